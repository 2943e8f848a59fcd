"""The generator's modelling assumptions: every number that is not read from the open data.

Each constant is documented with its rationale; :func:`rcc.demo.assumptions.assumptions` turns them
into the plain sentences that ``DemoRegion.assumptions``, the README and ``rcc demo --help`` print.
"""

from __future__ import annotations

from api_schemas.vocab import HomeType, Need, OutOfLAReason, RiskFlag, Urgency

# --- Where children in care live (shares of all children looked after on 31 March) ---------------
# National age profile of children looked after on 31 March (DfE, Children looked after in England,
# 2024: about 5% under 1, 13% aged 1-4, 17% aged 5-9, 38% aged 10-15, 27% aged 16-17).
AGE_BANDS: tuple[tuple[int, int], ...] = ((0, 0), (1, 4), (5, 9), (10, 15), (16, 17))
AGE_BAND_SHARES: tuple[float, ...] = (0.05, 0.13, 0.17, 0.38, 0.27)

# Placement setting by age band. Calibrated so that, with the age profile above, about 68% of children
# are in foster care, 11% in children's homes / secure homes / residential schools, 8% in supported
# accommodation or lodgings (16-17 only: unregulated placements for under-16s are unlawful since 2021),
# 1% in parent-and-child placements and 12% elsewhere (placed with parents, placed for adoption, NHS,
# custody...), close to the DfE national mix (CLA in England 2024: 68% foster placements).
SETTING_BY_AGE_BAND: tuple[dict[str, float], ...] = (
    {"foster": 0.75, "other": 0.25},
    {"foster": 0.78, "other": 0.22},
    {"foster": 0.85, "residential": 0.03, "other": 0.12},
    {"foster": 0.75, "residential": 0.15, "other": 0.10},
    {"foster": 0.42, "residential": 0.18, "supported": 0.30, "parent_and_child": 0.037, "other": 0.063},
)
# Of children in foster care, the share with kinship (family and friends / connected person) carers
# (DfE CLA 2024: about 19% of foster placements).
KINSHIP_SHARE_OF_FOSTER = 0.19
# Of the remaining (mainstream) foster placements, the share with independent fostering agency carers
# rather than the LA's own carers (DfE CLA: agency carers hold a little under half of mainstream
# foster placements).
IFA_SHARE_OF_MAINSTREAM_FOSTER = 0.46
# Of children in supported settings, the share in supported lodgings (a host household) rather than
# supported accommodation (assumption: lodgings are the smaller part of the sector).
SUPPORTED_LODGINGS_SHARE = 0.15

# --- Who the children are --------------------------------------------------------------------------
# Share of children in care who are male (DfE CLA 2024: 56%).
MALE_SHARE = 0.56
# National share of children in care who are unaccompanied asylum-seeking children (DfE CLA 2024:
# about 9%). Each LA's share is this times the LA's UASC share of CLA spending relative to England's
# (MHCLG RO3), capped at UASC_MAX_LA_SHARE.
UASC_NATIONAL_SHARE = 0.09
UASC_MAX_LA_SHARE = 0.40
# UASC are mostly older boys (DfE: about 9 in 10 male, most aged 16-17).
UASC_MALE_SHARE = 0.92
UASC_AGE_BAND_SHARES: tuple[float, ...] = (0.0, 0.0, 0.0, 0.20, 0.80)
# First languages offered to UASC for interpreter needs (main nationalities of UASC in recent Home
# Office statistics: Afghan, Sudanese, Eritrean, Iranian/Kurdish, Vietnamese, Albanian).
UASC_LANGUAGES: tuple[str, ...] = (
    "Pashto",
    "Dari",
    "Arabic",
    "Tigrinya",
    "Kurdish Sorani",
    "Vietnamese",
    "Albanian",
)
# Ethnicity (SSDA903 codes) of children in care who are not UASC: approximately the DfE CLA 2024 mix
# (white about 72%, mixed 10%, black 7%, Asian 5%, other 4%, not recorded 2%), split across codes by
# assumption. Shares are normalised before use.
ETHNICITY_SHARES: dict[str, float] = {
    "WBRI": 0.655,
    "WIRI": 0.004,
    "WIRT": 0.005,
    "WROM": 0.006,
    "WOTH": 0.050,
    "MWBC": 0.035,
    "MWBA": 0.012,
    "MWAS": 0.015,
    "MOTH": 0.038,
    "AIND": 0.008,
    "APKN": 0.015,
    "ABAN": 0.007,
    "AOTH": 0.020,
    "CHNE": 0.002,
    "BCRB": 0.012,
    "BAFR": 0.035,
    "BOTH": 0.023,
    "OOTH": 0.040,
    "REFU": 0.005,
    "NOBT": 0.013,
}
# Ethnicity of UASC (assumption shaped by the main nationalities above).
UASC_ETHNICITY_SHARES: dict[str, float] = {
    "AOTH": 0.35,
    "BAFR": 0.30,
    "OOTH": 0.20,
    "WOTH": 0.10,
    "AIND": 0.05,
}

# Sibling groups: share of children in care who are in a sibling group looked after by the same LA
# (assumption; the Children's Commissioner's work on siblings in care found roughly a third to a half
# of children in care have a sibling also in care). Group sizes: mostly pairs.
SIBLING_CHILD_SHARE = 0.35
SIBLING_GROUP_SIZE_SHARES: dict[int, float] = {2: 0.62, 3: 0.25, 4: 0.10, 5: 0.03}
SIBLING_MAX_AGE_GAP_YEARS = 3  # gap between consecutive siblings, drawn from 1..this

# Needs (probabilities, by whether the child is 10 or older; residential children are multiplied by
# RESIDENTIAL_NEED_MULTIPLIER, capped at 0.9). Assumptions of plausible magnitude: about 1 in 10
# children in care has a disability; emotional and mental health concerns are common among older
# children in care (DfE SDQ returns); exploitation risk concentrates in teenagers.
NEED_RATES_UNDER_10: dict[Need, float] = {
    Need.DISABILITY: 0.08,
    Need.COMPLEX_TRAUMA: 0.10,
    Need.MENTAL_HEALTH: 0.03,
}
NEED_RATES_10_PLUS: dict[Need, float] = {
    Need.DISABILITY: 0.08,
    Need.COMPLEX_TRAUMA: 0.22,
    Need.MENTAL_HEALTH: 0.15,
    Need.EXPLOITATION_RISK: 0.10,
}
RESIDENTIAL_NEED_MULTIPLIER = 2.5
# NPS risk flags for children aged 10+ (assumption; residential children multiplied as above).
RISK_RATES_10_PLUS: dict[RiskFlag, float] = {
    RiskFlag.SELF_HARM: 0.08,
    RiskFlag.CRIMINAL_EXPLOITATION: 0.06,
    RiskFlag.DRUG_ALCOHOL: 0.07,
    RiskFlag.EATING_DISORDER: 0.02,
    RiskFlag.MISSING: 0.10,
    RiskFlag.SEXUAL_EXPLOITATION: 0.05,
    RiskFlag.TO_OTHERS_PHYSICAL: 0.06,
    RiskFlag.TO_OTHERS_SEXUAL: 0.01,
    RiskFlag.TO_OTHERS_FIRE: 0.01,
    RiskFlag.TO_OTHERS_ANIMALS: 0.01,
    RiskFlag.TO_OTHERS_CRIMINAL: 0.03,
}
# Share of children recommended a solo placement: residential children / everyone else aged 10+.
SOLO_SHARE_RESIDENTIAL = 0.25
SOLO_SHARE_OTHER_10_PLUS = 0.03
# Share of children with recorded cultural needs (white British / everyone else; UASC always).
CULTURAL_NEEDS_SHARE_WBRI = 0.05
CULTURAL_NEEDS_SHARE_OTHER = 0.35
# Share of disabled children with a communication need (signing, symbols, AAC).
DISABLED_COMMUNICATION_SHARE = 0.5

# School: children of compulsory school age (5-17) attend a school near home; those in the exam years
# (14-16) must keep their school with this probability, others with the lower one (assumption).
SCHOOL_MIN_AGE = 5
MUST_KEEP_SCHOOL_SHARE_EXAM_YEARS = 0.7
MUST_KEEP_SCHOOL_SHARE_OTHER = 0.2
SCHOOL_NEIGHBOUR_MSOAS = 6  # the school is in one of the home MSOA's nearest MSOAs within the LA

# --- Homes and capacity -----------------------------------------------------------------------------
# Approved places per mainstream foster household (assumption giving a mean of ~1.9 approved places;
# with FOSTER_PLACE_UTILISATION, about 1.6 children per household, within the usual 1.5-2).
FOSTER_PLACES_SHARES: dict[int, float] = {1: 0.38, 2: 0.40, 3: 0.17, 4: 0.05}
# Share of approved fostering places in use (assumption: Ofsted fostering data show a minority of
# approved places vacant at any time, many of them not actually available).
FOSTER_PLACE_UTILISATION = 0.85
# Kinship carers are approved for the particular child or siblings, in the child's own LA with this
# probability (otherwise elsewhere in the region).
KINSHIP_SAME_LA_SHARE = 0.8
# Supported accommodation units (shared houses and flats) and lodgings hosts: places per setting and
# share of places in use (assumption).
SUPPORTED_ACCOMMODATION_PLACES_SHARES: dict[int, float] = {1: 0.30, 2: 0.20, 3: 0.20, 4: 0.15, 6: 0.15}
SUPPORTED_LODGINGS_PLACES_SHARES: dict[int, float] = {1: 0.8, 2: 0.2}
SUPPORTED_PLACE_UTILISATION = 0.85
SUPPORTED_UNITS_PER_PROVIDER = 12  # synthetic supported-accommodation providers: one per this many units
# Parent-and-child placements are single-place foster households, IFA-run with this probability.
PARENT_AND_CHILD_IFA_SHARE = 0.6
PARENT_AND_CHILD_PLACE_UTILISATION = 0.75
# Age ranges and sexes of registered homes are not published: drawn from these (assumption; most
# children's homes take teenagers of either sex).
CHILDRENS_HOME_AGE_RANGES: dict[tuple[int, int], float] = {
    (8, 17): 0.35,
    (10, 17): 0.30,
    (12, 17): 0.25,
    (5, 17): 0.10,
}
SINGLE_SEX_HOME_SHARE = 0.15
# Needs that registered homes state they can meet (probabilities, assumption), by home type.
HOME_NEEDS_MET: dict[HomeType, dict[Need, float]] = {
    HomeType.CHILDRENS_HOME: {
        Need.COMPLEX_TRAUMA: 0.6,
        Need.MENTAL_HEALTH: 0.4,
        Need.EXPLOITATION_RISK: 0.4,
        Need.SOLO_PLACEMENT: 0.15,
        Need.SAME_DAY_EMERGENCY: 0.2,
        Need.SIBLING_GROUP: 0.1,
        Need.UASC: 0.15,
        Need.DISABILITY: 0.1,
    },
    HomeType.SECURE_CHILDRENS_HOME: {
        Need.COMPLEX_TRAUMA: 1.0,
        Need.MENTAL_HEALTH: 1.0,
        Need.EXPLOITATION_RISK: 1.0,
        Need.SAME_DAY_EMERGENCY: 0.5,
    },
    HomeType.SHORT_BREAK_HOME: {Need.DISABILITY: 1.0, Need.SIBLING_GROUP: 0.2},
    HomeType.RESIDENTIAL_SPECIAL_SCHOOL: {
        Need.DISABILITY: 1.0,
        Need.COMPLEX_TRAUMA: 0.4,
        Need.MENTAL_HEALTH: 0.3,
    },
    HomeType.LA_FOSTER: {
        Need.COMPLEX_TRAUMA: 0.2,
        Need.DISABILITY: 0.1,
        Need.UASC: 0.1,
        Need.SAME_DAY_EMERGENCY: 0.15,
    },
    HomeType.IFA_FOSTER: {
        Need.COMPLEX_TRAUMA: 0.35,
        Need.DISABILITY: 0.12,
        Need.UASC: 0.15,
        Need.MENTAL_HEALTH: 0.15,
        Need.SAME_DAY_EMERGENCY: 0.15,
    },
    HomeType.KINSHIP_FOSTER: {},
    HomeType.PARENT_AND_CHILD: {Need.PARENT_AND_CHILD: 1.0},
    HomeType.SUPPORTED_ACCOMMODATION: {
        Need.UASC: 0.4,
        Need.EXPLOITATION_RISK: 0.2,
        Need.SAME_DAY_EMERGENCY: 0.3,
    },
    HomeType.SUPPORTED_LODGINGS: {Need.UASC: 0.3},
}
# Residential children are placed in secure homes only with at least this many risk flags, and in
# residential special schools and short-break homes only if disabled (assumption).
SECURE_MIN_RISK_FLAGS = 2
# Short-break homes provide respite: this share of their places is occupied on the day (assumption).
SHORT_BREAK_OCCUPANCY = 0.5

# --- Providers -------------------------------------------------------------------------------------
# An owner group is "difficult to replace" if it runs at least this many Ofsted-registered homes in
# England (assumption in the spirit of the DfE's proposed financial-oversight scheme for large
# providers; in 2023 about a dozen groups ran 20+ homes, the largest 184), or holds at least this share
# of the region's registered places.
DIFFICULT_TO_REPLACE_MIN_HOMES = 20
DIFFICULT_TO_REPLACE_MIN_REGION_PLACE_SHARE = 0.05
# Share of providers holding a contingency (business-continuity) plan: difficult-to-replace / others.
CONTINGENCY_PLAN_SHARE_LARGE = 0.8
CONTINGENCY_PLAN_SHARE_OTHER = 0.3
CONTINGENCY_PLAN_MAX_AGE_DAYS = 730
# Risk rating from inspection outcomes: "high" if any home is inadequate or suspended, or at least this
# share requires improvement; "medium" if any requires improvement or the owner is difficult to
# replace; otherwise "low".
HIGH_RISK_REQUIRES_IMPROVEMENT_SHARE = 0.5

# --- Fees (weekly, pounds) -------------------------------------------------------------------------
# An LA's implied weekly residential unit cost = residential spending / (children looked after x
# RESIDENTIAL_SHARE_FOR_COSTS x 52); fostering likewise with FOSTER_SHARE_FOR_COSTS. The residential
# share counts children's homes, secure homes and residential schools (11%) plus supported
# accommodation (8%), assumed to be funded from the same RO3 line: with 11% alone the national median
# implied cost is about 8,000 pounds a week, well above typical children's home fees. Values outside
# [UNIT_COST_CLIP_LOW, UNIT_COST_CLIP_HIGH] x the national median (or missing/zero spending) fall back to
# the regional median, to damp reporting quirks.
RESIDENTIAL_SHARE_FOR_COSTS = 0.19
FOSTER_SHARE_FOR_COSTS = 0.68
UNIT_COST_CLIP_LOW = 0.5
UNIT_COST_CLIP_HIGH = 2.0
# Agency foster placements cost more than in-house ones (assumption of about 1.6x, in line with the
# cost comparisons in the Narey-Owers review of foster care, 2018); the LA's fostering unit cost is
# split so the mix-weighted average reproduces the implied cost.
IFA_TO_LA_FOSTER_COST_RATIO = 1.6
KINSHIP_TO_LA_FOSTER_COST_RATIO = 1.0  # approved kinship foster carers receive the LA's fostering allowance
PARENT_AND_CHILD_TO_IFA_COST_RATIO = 2.0
SUPPORTED_LODGINGS_TO_LA_FOSTER_COST_RATIO = 0.8
SUPPORTED_ACCOMMODATION_TO_RESIDENTIAL_COST_RATIO = 0.3
SECURE_TO_RESIDENTIAL_COST_RATIO = 1.5
RSS_TO_RESIDENTIAL_COST_RATIO = 1.2
SHORT_BREAK_TO_RESIDENTIAL_COST_RATIO = 0.9
# Split of a weekly fee into core / additional support / education / other (assumption).
FEE_SPLITS: dict[str, tuple[float, float, float, float]] = {
    "residential": (0.75, 0.12, 0.08, 0.05),
    "school": (0.55, 0.10, 0.30, 0.05),
    "foster": (0.85, 0.10, 0.00, 0.05),
    "supported": (0.80, 0.15, 0.00, 0.05),
}
FEE_NOISE_SIGMA = 0.15  # lognormal noise per home
# A child's additional-support cost is the home's times this uplift per intensive need (complex
# trauma, mental health, exploitation risk, solo placement), with lognormal noise.
ADDITIONAL_SUPPORT_UPLIFT_PER_NEED = 0.5
PLACEMENT_FEE_NOISE_SIGMA = 0.2

# --- Placements, vacancies, referrals --------------------------------------------------------------
# Mean time already spent in the current placement, in days, by setting (assumption; exponential).
PLACEMENT_MEAN_AGE_DAYS: dict[str, float] = {
    "la_foster": 550,
    "ifa_foster": 550,
    "kinship": 700,
    "residential": 300,
    "supported": 200,
    "parent_and_child": 90,
}
# Vacancies are confirmed by providers; this share was last confirmed more than STALE_AFTER_DAYS ago.
STALE_VACANCY_SHARE = 0.25
STALE_AFTER_DAYS = 14
VACANCY_MAX_STALE_DAYS = 60
VACANCY_MAX_LEAD_DAYS = 14  # a vacancy becomes available within this many days of as_of
# Open referrals: children starting to be looked after per year (DfE, latest year) / 52 x this many
# weeks of demand open at any time (assumption: a search typically stays open about two weeks).
OPEN_DEMAND_WEEKS = 2.0
# Age profile of children starting to be looked after (DfE CLA 2024, approximately: starters are
# younger than the population in care).
START_AGE_BAND_SHARES: tuple[float, ...] = (0.18, 0.15, 0.16, 0.33, 0.18)
URGENCY_SHARES: dict[Urgency, float] = {
    Urgency.TODAY: 0.25,
    Urgency.WITHIN_5_DAYS: 0.35,
    Urgency.AFTER_5_DAYS: 0.40,
}
# Referrals preferring a placement inside the LA; the rest give a reason to look outside it.
PREFER_LOCAL_SHARE = 0.85
OUT_OF_LA_REASON_SHARES: dict[OutOfLAReason, float] = {
    OutOfLAReason.SAFEGUARDING: 0.6,
    OutOfLAReason.COURT_ORDER: 0.1,
    OutOfLAReason.BAIL: 0.05,
    OutOfLAReason.OTHER: 0.25,
}

DEFAULT_SCALE = 1.0
