"""Deterministic demo-region generator built only from the open data in the shared data directory.

``generate_region("North East", seed=1, data_dir=...)`` returns a :class:`DemoRegion`: plain frozen
dataclasses (no database) describing one Regional Care Cooperative made of every children's-services
local authority in an English region, with

* the region's real Ofsted-registered children's homes, secure children's homes and residential special
  schools registered as children's homes (real URN, places, sector, owner, judgement and date);
* one provider per owner organisation, plus each LA's in-house fostering service, the region's
  independent fostering agencies, and synthetic supported-accommodation providers;
* generated fostering, kinship, parent-and-child and supported households sized to each LA's children
  looked after (DfE), with weekly fees shaped by each LA's spending (MHCLG RO3);
* children in care per LA equal to the DfE count on 31 March (latest year, times ``scale``), their current
  placements (respecting capacity, with out-of-area and 20+ mile shares from the DfE distance file), the
  resulting vacancies, and open referrals for additional children not yet placed.

Every number that is not read from the data is a named module-level constant below, documented as a
modelling assumption with its rationale; :func:`assumptions` turns them into plain sentences, which
``DemoRegion.assumptions`` carries so the README and ``rcc demo --help`` can print them.

Determinism: every random draw comes from a NumPy generator seeded with ``(seed, region, LA, purpose)``,
so the same (region, seed, parameters) always gives identical output, and one LA's children do not
change when another LA's data does. No wall clock is read: dates are relative to ``as_of`` (default 31
March of the latest DfE year).
"""

from __future__ import annotations

import hashlib
import math
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from api_schemas.vocab import (
    HomeType,
    LivingCompanions,
    Need,
    OfstedJudgement,
    OutOfLAReason,
    ProviderSector,
    RegistrationStatus,
    RiskFlag,
    Sex,
    Suitability,
    Urgency,
)
from rcc import geo

# ==================================================================================================
# Source files and vocabularies of the data (not assumptions: how the files spell things)
# ==================================================================================================

LA_FILE = "england_childrens_services_las.csv"
MSOA_FILE = "england_msoa_centroids.csv"
OFSTED_FILE = "ofsted_providers_2023.csv"
CLA_FILE = "dfe_children_looked_after_by_la_2021_2025.csv"
DISTANCE_FILE = "dfe_new_placements_by_distance_2021_2025.csv"
SPEND_FILE = "mhclg_cla_expenditure_by_la_2024_25.csv"

CLA_MEASURE = "Children looked after on 31 March each year"
STARTS_MEASURE = "Children starting to be looked after each year"

# Ofsted provision types that the register holds as homes, and the HomeType each becomes.
# (Children's homes registered for short breaks only become SHORT_BREAK_HOME.)
OFSTED_HOME_TYPES: dict[str, HomeType] = {
    "Children's home": HomeType.CHILDRENS_HOME,
    "Secure children's home": HomeType.SECURE_CHILDRENS_HOME,
    "Residential special school (registered as a children's home)": HomeType.RESIDENTIAL_SPECIAL_SCHOOL,
}
OFSTED_IFA = "Independent Fostering Agency"

OFSTED_SECTORS: dict[str, ProviderSector] = {
    "Private": ProviderSector.PRIVATE,
    "Local Authority": ProviderSector.LOCAL_AUTHORITY,
    "Voluntary": ProviderSector.VOLUNTARY,
    "Health Authority": ProviderSector.HEALTH,
    # Academy trusts are charitable companies: the vocabulary's nearest sector is voluntary.
    "Academy": ProviderSector.VOLUNTARY,
}
OFSTED_JUDGEMENTS: dict[str, OfstedJudgement] = {
    "Outstanding": OfstedJudgement.OUTSTANDING,
    "Good": OfstedJudgement.GOOD,
    "Requires improvement to be good": OfstedJudgement.REQUIRES_IMPROVEMENT,
    "Inadequate": OfstedJudgement.INADEQUATE,
}
OFSTED_STATUSES: dict[str, RegistrationStatus] = {
    "Active": RegistrationStatus.ACTIVE,
    "Suspended": RegistrationStatus.SUSPENDED,
}

# DfE distance-file locations, in the order used for the four distance classes below.
DISTANCE_CLASSES: tuple[str, ...] = (
    "Placed inside LA boundary less than 20 miles from home",
    "Placed inside LA boundary more than 20 miles from home",
    "Placed outside LA boundary less than 20 miles from home",
    "Placed outside LA boundary more than 20 miles from home",
)
METRES_PER_MILE = 1609.344
FAR_MILES = 20.0  # the DfE file's threshold

# ==================================================================================================
# Modelling assumptions (each one is printed by assumptions())
# ==================================================================================================

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
_UASC_BANDS = dict(enumerate(UASC_AGE_BAND_SHARES))
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

# ==================================================================================================
# Output
# ==================================================================================================


@dataclass(frozen=True, slots=True)
class LASeed:
    gss_code: str
    dfe_code: str | None  # 3-digit DfE code; None for LAs created after the register was compiled
    name: str
    region: str
    population: int
    lat: float
    lon: float
    easting: float
    northing: float


@dataclass(frozen=True, slots=True)
class ProviderSeed:
    key: str
    name: str
    sector: ProviderSector
    owner_group: str
    companies_house_number: str | None
    difficult_to_replace: bool
    risk_rating: str  # "low" | "medium" | "high"
    contingency_plan_held: bool
    contingency_plan_date: date | None


@dataclass(frozen=True, slots=True)
class HomeSeed:
    key: str
    provider_key: str
    urn: str | None
    name: str
    home_type: HomeType
    registration_status: RegistrationStatus
    judgement: OfstedJudgement
    judgement_date: date | None
    la_gss_code: str
    postcode_sector: str
    easting: float
    northing: float
    registered_places: int
    age_min: int
    age_max: int
    sexes: tuple[Sex, ...]
    needs_met: tuple[Need, ...]
    fee_core: float
    fee_additional_support: float
    fee_education: float
    fee_other: float


@dataclass(frozen=True, slots=True)
class ChildSeed:
    key: str
    la_gss_code: str
    la_child_id: str
    birth_month: date
    sex: Sex
    ethnicity: str
    uasc: bool
    needs: tuple[Need, ...]
    home_postcode_sector: str
    home_easting: float
    home_northing: float
    school_postcode_sector: str | None
    school_easting: float | None
    school_northing: float | None
    must_keep_school: bool
    sibling_group_key: str | None
    suitability_foster: Suitability
    suitability_residential: Suitability
    suitability_supported: Suitability
    risks: tuple[RiskFlag, ...]
    living_companions: LivingCompanions
    cultural_needs: str | None
    communication_needs: tuple[str, ...]
    wishes: str


@dataclass(frozen=True, slots=True)
class PlacementSeed:
    child_key: str
    home_key: str
    start_date: date
    weekly_core: float
    weekly_additional_support: float
    weekly_education: float
    weekly_other: float


@dataclass(frozen=True, slots=True)
class VacancySeed:
    home_key: str
    places: int
    available_from: date
    confirmed_by: str
    confirmed_at: datetime


@dataclass(frozen=True, slots=True)
class ReferralSeed:
    key: str
    la_gss_code: str
    child_keys: tuple[str, ...]
    needed_by: Urgency
    preferred_location_local: bool
    out_of_la_reason: OutOfLAReason | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DemoRegion:
    rcc_name: str
    region: str
    seed: int
    las: tuple[LASeed, ...]
    providers: tuple[ProviderSeed, ...]
    homes: tuple[HomeSeed, ...]
    children: tuple[ChildSeed, ...]
    placements: tuple[PlacementSeed, ...]
    vacancies: tuple[VacancySeed, ...]
    referrals: tuple[ReferralSeed, ...]
    assumptions: tuple[str, ...]
    as_of: date  # the day the snapshot describes (vacancy staleness, referral ages, placement starts)


# ==================================================================================================
# Data loading (cached per data directory)
# ==================================================================================================


@dataclass(frozen=True)
class _Data:
    las: pd.DataFrame  # indexed by gss_code, with easting/northing
    msoa: pd.DataFrame  # with easting/northing
    ofsted: pd.DataFrame
    cla: dict[str, int]  # children looked after on 31 March, latest year with a value
    starts: dict[str, int]
    latest_year: int
    distance: dict[str, np.ndarray]  # la -> shares of the four DISTANCE_CLASSES
    region_distance: dict[str, np.ndarray]
    national_distance: np.ndarray
    spend: pd.DataFrame  # indexed by la_gss_code
    owner_homes_national: dict[str, int]
    sector_codes: tuple[str, ...]
    sector_e: np.ndarray
    sector_n: np.ndarray
    sector_la: np.ndarray  # children's-services LA code per sector ("" if outside England)


def _latest_by_la(frame: pd.DataFrame, measure: str) -> tuple[dict[str, int], int]:
    """Latest non-missing count per LA (DfE suppresses small numbers; fall back to earlier years)."""
    rows = frame[(frame["measure"] == measure) & frame["children"].notna()].sort_values("year")
    latest = rows.groupby("la_gss_code").tail(1)
    return {r.la_gss_code: int(r.children) for r in latest.itertuples()}, int(frame["year"].max())


def _distance_shares(frame: pd.DataFrame) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray]:
    """Shares of the four known-distance classes per LA / region / England, latest year with data."""

    def shares(rows: pd.DataFrame) -> np.ndarray | None:
        counts = rows.set_index("location")["children"].reindex(list(DISTANCE_CLASSES))
        if counts.isna().any() or counts.sum() <= 0:
            return None
        return (counts / counts.sum()).to_numpy(dtype=float)

    by_la: dict[str, np.ndarray] = {}
    by_region: dict[str, np.ndarray] = {}
    national = None
    for year in sorted(frame["year"].unique(), reverse=True):
        yr = frame[frame["year"] == year]
        for la, rows in yr[yr["level"] == "Local authority"].groupby("la_gss_code"):
            if la not in by_la and (s := shares(rows)) is not None:
                by_la[la] = s
        for region, rows in yr[yr["level"] == "Regional"].groupby("region"):
            if region not in by_region and (s := shares(rows)) is not None:
                by_region[region] = s
        if national is None:
            national = shares(yr[yr["level"] == "National"])
    if national is None:
        raise ValueError(f"{DISTANCE_FILE}: no national distance figures")
    return by_la, by_region, national


def _vote_regions(las: pd.DataFrame, ofsted: pd.DataFrame, distance: pd.DataFrame) -> list[str]:
    """Each LA's region by majority of three sources: the LA register, the DfE file and Ofsted.

    The LA register places Derbyshire in the West Midlands and Lincolnshire in Yorkshire and The
    Humber, while DfE and Ofsted (and ONS) place both in the East Midlands; the majority wins, and the
    register breaks ties.
    """
    dfe = (
        distance[distance["level"] == "Local authority"]
        .groupby("la_gss_code")["region"]
        .agg(lambda x: x.mode().iloc[0])
    )
    ofs = ofsted.groupby("la_gss_code")["region"].agg(lambda x: x.mode().iloc[0])
    out = []
    for la, own in zip(las["gss_code"], las["region"], strict=True):
        votes = [v for v in (own, dfe.get(la), ofs.get(la)) if isinstance(v, str)]
        best = max(set(votes), key=lambda r: (votes.count(r), r == own))
        out.append(best)
    return out


@lru_cache(maxsize=4)
def _load(data_dir_text: str) -> _Data:
    data_dir = Path(data_dir_text)
    las = pd.read_csv(data_dir / LA_FILE, dtype={"dfe_la_code": "string"})
    bng = [geo.to_bng(lat, lon) for lat, lon in zip(las["lat"], las["lon"], strict=True)]
    las["easting"] = [p[0] for p in bng]
    las["northing"] = [p[1] for p in bng]
    las = las.set_index("gss_code", drop=False)
    las.index.name = None

    msoa = pd.read_csv(data_dir / MSOA_FILE)
    bng = [geo.to_bng(lat, lon) for lat, lon in zip(msoa["lat"], msoa["lon"], strict=True)]
    msoa["easting"] = [p[0] for p in bng]
    msoa["northing"] = [p[1] for p in bng]
    msoa = msoa.sort_values("msoa_code").reset_index(drop=True)

    ofsted = pd.read_csv(data_dir / OFSTED_FILE, dtype={"urn": "string"})
    distance_frame = pd.read_csv(data_dir / DISTANCE_FILE)
    las["region"] = _vote_regions(las, ofsted, distance_frame)
    cla_frame = pd.read_csv(data_dir / CLA_FILE)
    cla, latest_year = _latest_by_la(cla_frame, CLA_MEASURE)
    starts, _ = _latest_by_la(cla_frame, STARTS_MEASURE)
    by_la, by_region, national = _distance_shares(distance_frame)
    spend = pd.read_csv(data_dir / SPEND_FILE).set_index("la_gss_code")

    homes = ofsted[ofsted["provision_type"].isin(list(OFSTED_HOME_TYPES))]
    owner_homes = homes["owner"].dropna().value_counts().to_dict()

    # Sectors -> children's-services LA: unitary codes map to themselves, county districts by the
    # nearest MSOA centroid's LA (majority vote over each district's sectors).
    table = geo.sector_table()
    mapping = geo.district_to_upper_tier(
        frozenset(las["gss_code"]),
        list(
            zip(
                msoa["easting"].tolist(), msoa["northing"].tolist(), msoa["la_gss_code"].tolist(), strict=True
            )
        ),
    )
    sector_la = np.array([mapping.get(la or "", "") for la in table.laua], dtype=object)
    return _Data(
        las=las,
        msoa=msoa,
        ofsted=ofsted,
        cla=cla,
        starts=starts,
        latest_year=latest_year,
        distance=by_la,
        region_distance=by_region,
        national_distance=national,
        spend=spend,
        owner_homes_national={str(k): int(v) for k, v in owner_homes.items()},
        sector_codes=table.codes,
        sector_e=table.easting,
        sector_n=table.northing,
        sector_la=sector_la,
    )


def region_names(data_dir: Path) -> tuple[str, ...]:
    """Every English region in the LA register, sorted."""
    return tuple(sorted(_load(str(Path(data_dir).resolve())).las["region"].unique().tolist()))


# ==================================================================================================
# Helpers
# ==================================================================================================


def _rng(seed: int, *parts: object) -> np.random.Generator:
    words = [int(seed) & 0xFFFFFFFF] + [zlib.crc32(str(p).encode()) for p in parts]
    return np.random.Generator(np.random.PCG64(words))


_CUMULATIVE: dict[int, tuple[list, list[float], dict]] = {}


def _choice(rng: np.random.Generator, shares: dict):
    """One key of ``shares`` drawn with probability proportional to its value."""
    cached = _CUMULATIVE.get(id(shares))
    if cached is None or cached[2] is not shares:
        keys = list(shares)
        total = float(sum(shares.values()))
        acc, cum = 0.0, []
        for k in keys:
            acc += shares[k] / total
            cum.append(acc)
        cached = (keys, cum, shares)
        if len(_CUMULATIVE) < 4096:
            _CUMULATIVE[id(shares)] = cached
    keys, cum, _ = cached
    u = rng.random()
    for k, c in zip(keys, cum, strict=True):
        if u < c:
            return k
    return keys[-1]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _months_before(day: date, months: int) -> date:
    total = day.year * 12 + (day.month - 1) - months
    return date(total // 12, total % 12 + 1, 1)


def _age_on(birth_month: date, on: date) -> int:
    return on.year - birth_month.year - ((on.month, on.day) < (birth_month.month, birth_month.day))


def _band_of(age: int) -> int:
    for i, (lo, hi) in enumerate(AGE_BANDS):
        if lo <= age <= hi:
            return i
    return len(AGE_BANDS) - 1


@dataclass
class _Geo:
    """Per-LA sampling geography for one region: MSOA centroids and each one's nearest sector."""

    msoa_e: dict[str, np.ndarray]
    msoa_n: dict[str, np.ndarray]
    msoa_sector: dict[str, list[int]]  # index into the sector table
    neighbours: dict[str, np.ndarray]  # la -> (n_msoa, k) nearest MSOAs within the LA


def _region_geo(data: _Data, la_codes: Sequence[str]) -> _Geo:
    msoa_e, msoa_n, msoa_sector, neighbours = {}, {}, {}, {}
    for la in la_codes:
        rows = data.msoa[data.msoa["la_gss_code"] == la]
        e = rows["easting"].to_numpy(float)
        n = rows["northing"].to_numpy(float)
        in_la = np.flatnonzero(data.sector_la == la)
        candidates = in_la if len(in_la) else np.arange(len(data.sector_codes))
        se, sn = data.sector_e[candidates], data.sector_n[candidates]
        d2 = (e[:, None] - se[None, :]) ** 2 + (n[:, None] - sn[None, :]) ** 2
        msoa_sector[la] = candidates[np.argmin(d2, axis=1)].tolist()
        k = min(SCHOOL_NEIGHBOUR_MSOAS, len(e))
        dm = (e[:, None] - e[None, :]) ** 2 + (n[:, None] - n[None, :]) ** 2
        neighbours[la] = np.argsort(dm, axis=1, kind="stable")[:, :k]
        msoa_e[la], msoa_n[la] = e, n
    return _Geo(msoa_e, msoa_n, msoa_sector, neighbours)


# ==================================================================================================
# Generation
# ==================================================================================================


@dataclass
class _Child:
    key: str
    la: str
    age: int
    birth_month: date
    sex: Sex
    ethnicity: str
    uasc: bool
    setting: str  # la_foster / ifa_foster / kinship / residential / supported / parent_and_child / other
    msoa: int
    sibling_group: str | None = None
    needs: tuple[Need, ...] = ()
    risks: tuple[RiskFlag, ...] = ()


@dataclass
class _Home:
    key: str
    provider_key: str
    urn: str | None
    name: str
    home_type: HomeType
    status: RegistrationStatus
    judgement: OfstedJudgement
    judgement_date: date | None
    la: str
    sector: str
    e: float
    n: float
    places: int
    age_min: int
    age_max: int
    sexes: tuple[Sex, ...]
    needs_met: tuple[Need, ...]
    fees: tuple[float, float, float, float]
    capacity: int  # places that can be occupied on the day (short-break homes: fewer)


def _non_uasc_age_shares(uasc_share: float) -> np.ndarray:
    """Age profile of non-UASC children such that all children together follow AGE_BAND_SHARES."""
    total = np.array(AGE_BAND_SHARES, float)
    uasc = np.array(UASC_AGE_BAND_SHARES, float)
    rest = np.clip(total - uasc_share * uasc, 1e-6, None)
    return rest / rest.sum()


def _sample_age(rng: np.random.Generator, band: int) -> tuple[int, int]:
    lo, hi = AGE_BANDS[band]
    return int(rng.integers(lo, hi + 1)), int(rng.integers(0, 12))


def _foster_split(rng: np.random.Generator) -> str:
    if rng.random() < KINSHIP_SHARE_OF_FOSTER:
        return "kinship"
    return "ifa_foster" if rng.random() < IFA_SHARE_OF_MAINSTREAM_FOSTER else "la_foster"


_FAMILY_SETTINGS = ("foster", "other")


@cache
def _setting_shares(band: int, female: bool, family_only: bool) -> dict[str, float]:
    """Setting probabilities for a child, so that the whole population follows SETTING_BY_AGE_BAND.

    Sibling groups only go to family-based settings (or "other"), so single children carry the other
    settings at 1 / (1 - SIBLING_CHILD_SHARE) times their population rate; parent-and-child placements
    are for young mothers, so girls carry them at 1 / (1 - MALE_SHARE) times the rate.
    """
    base = dict(SETTING_BY_AGE_BAND[band])
    family = {k: v for k, v in base.items() if k in _FAMILY_SETTINGS}
    if family_only:
        return family or {"foster": 1.0}
    other = {k: v / (1 - SIBLING_CHILD_SHARE) for k, v in base.items() if k not in _FAMILY_SETTINGS}
    if "parent_and_child" in other:
        if female:
            other["parent_and_child"] /= 1 - MALE_SHARE
        else:
            del other["parent_and_child"]
    other_total = sum(other.values())
    if other_total > 0.95:  # keep some family-based placements in every band
        other = {k: v * 0.95 / other_total for k, v in other.items()}
        other_total = 0.95
    family_total = sum(family.values()) or 1.0
    return {**other, **{k: v / family_total * (1 - other_total) for k, v in family.items()}}


def _sample_setting(rng: np.random.Generator, age: int, sex: Sex, *, family_only: bool = False) -> str:
    setting = _choice(rng, _setting_shares(_band_of(age), sex is Sex.FEMALE, family_only))
    return _foster_split(rng) if setting == "foster" else setting


def _uasc_shares(data: _Data) -> dict[str, float]:
    spend = data.spend
    total = spend["cla_total_expenditure_gbp_000"].fillna(0)
    uasc = spend["uasc_gbp_000"].fillna(0).clip(lower=0)
    national = float(uasc.sum() / total[total > 0].sum())
    out = {}
    for la in data.las.index:
        if la in spend.index and total.get(la, 0) > 0 and national > 0:
            share = UASC_NATIONAL_SHARE * float(uasc[la] / total[la]) / national
        else:
            share = UASC_NATIONAL_SHARE
        out[la] = float(min(share, UASC_MAX_LA_SHARE))
    return out


def _make_children(
    geog: _Geo,
    la: str,
    count: int,
    seed: int,
    as_of: date,
    uasc_share: float,
    key_prefix: str,
    age_shares: Sequence[float] | None,
    purpose: str,
) -> list[_Child]:
    """Children of one LA, in sibling units, each with a sampled setting (for referrals: a target)."""
    rng = _rng(seed, la, purpose)
    n_msoa = len(geog.msoa_e[la])
    children: list[_Child] = []
    n_uasc = int(rng.binomial(count, uasc_share)) if count else 0
    base_age = _non_uasc_age_shares(uasc_share) if age_shares is None else np.array(age_shares, float)
    base_age = base_age / base_age.sum()
    male_share = (MALE_SHARE - uasc_share * UASC_MALE_SHARE) / max(1e-9, 1 - uasc_share)
    mean_size = sum(k * v for k, v in SIBLING_GROUP_SIZE_SHARES.items()) / sum(
        SIBLING_GROUP_SIZE_SHARES.values()
    )
    group_unit_p = SIBLING_CHILD_SHARE / (mean_size - SIBLING_CHILD_SHARE * (mean_size - 1))
    eth_codes = list(ETHNICITY_SHARES)
    eth_p = np.array([ETHNICITY_SHARES[c] for c in eth_codes])
    eth_p = eth_p / eth_p.sum()
    n_group = 0

    def new_child(age: int, months: int, sex: Sex, eth: str, uasc: bool, setting: str, msoa: int) -> _Child:
        idx = len(children)
        return _Child(
            key=f"{key_prefix}{idx + 1}",
            la=la,
            age=age,
            birth_month=_months_before(as_of, age * 12 + months),
            sex=sex,
            ethnicity=eth,
            uasc=uasc,
            setting=setting,
            msoa=msoa,
        )

    for _ in range(n_uasc):
        band = _choice(rng, _UASC_BANDS)
        age, months = _sample_age(rng, band)
        sex = Sex.MALE if rng.random() < UASC_MALE_SHARE else Sex.FEMALE
        eth = _choice(rng, UASC_ETHNICITY_SHARES)
        setting = _sample_setting(rng, age, sex)
        children.append(new_child(age, months, sex, eth, True, setting, int(rng.integers(n_msoa))))

    while len(children) < count:
        remaining = count - len(children)
        size = 1
        if remaining >= 2 and rng.random() < group_unit_p:
            size = min(remaining, _choice(rng, SIBLING_GROUP_SIZE_SHARES))
        band = int(rng.choice(len(base_age), p=base_age))
        age, months = _sample_age(rng, band)
        eth = eth_codes[int(rng.choice(len(eth_codes), p=eth_p))]
        msoa = int(rng.integers(n_msoa))
        if size == 1:
            sex = Sex.MALE if rng.random() < male_share else Sex.FEMALE
            children.append(new_child(age, months, sex, eth, False, _sample_setting(rng, age, sex), msoa))
            continue
        # A sibling group: the eldest is drawn from the age profile, the others are younger; they share
        # ethnicity, home and (family-based or "other") setting.
        n_group += 1
        group_key = f"sib:{la}:{purpose[:1]}{n_group}"
        ages = [(age, months)]
        for _ in range(size - 1):
            prev_age, prev_months = ages[-1]
            gap = int(rng.integers(1, SIBLING_MAX_AGE_GAP_YEARS + 1))
            if prev_age - gap < 0:
                ages.append((0, int(rng.integers(0, 12))))
            else:
                ages.append((prev_age - gap, int(rng.integers(0, 12))))
        youngest = min(a for a, _ in ages)
        setting = _sample_setting(rng, youngest, Sex.MALE, family_only=True)
        for a, m in ages:
            sex = Sex.MALE if rng.random() < male_share else Sex.FEMALE
            c = new_child(a, m, sex, eth, False, setting, msoa)
            c.sibling_group = group_key
            children.append(c)
    return children


def _assign_needs(rng: np.random.Generator, child: _Child, target_setting: str) -> None:
    residential = target_setting == "residential"
    mult = RESIDENTIAL_NEED_MULTIPLIER if residential else 1.0
    rates = NEED_RATES_10_PLUS if child.age >= 10 else NEED_RATES_UNDER_10
    needs = {need for need, p in rates.items() if rng.random() < min(0.9, p * mult)}
    risks: list[RiskFlag] = []
    if child.age >= 10:
        risks = [r for r, p in RISK_RATES_10_PLUS.items() if rng.random() < min(0.9, p * mult)]
    if child.uasc:
        needs.add(Need.UASC)
    if child.sibling_group:
        needs.add(Need.SIBLING_GROUP)
    if target_setting == "parent_and_child":
        needs.add(Need.PARENT_AND_CHILD)
    if child.age >= 10 and not child.sibling_group:
        solo_p = SOLO_SHARE_RESIDENTIAL if residential else SOLO_SHARE_OTHER_10_PLUS
        if rng.random() < solo_p:
            needs.add(Need.SOLO_PLACEMENT)
    child.needs = tuple(n for n in Need if n in needs)
    child.risks = tuple(r for r in RiskFlag if r in risks)


def _suitability(
    rng: np.random.Generator, child: _Child, target: str
) -> tuple[Suitability, Suitability, Suitability]:
    """(foster, residential, supported) NPS suitability implied by the child's setting and age."""
    if target == "other":
        return Suitability.NOT_SPECIFIED, Suitability.NOT_SPECIFIED, Suitability.NOT_SPECIFIED
    supported = Suitability.UNSUITABLE if child.age < 16 else Suitability.SUITABLE
    if target in ("la_foster", "ifa_foster", "kinship", "parent_and_child"):
        foster = Suitability.PREFERRED
        residential = Suitability.UNSUITABLE if child.age < 10 or rng.random() < 0.7 else Suitability.SUITABLE
        if child.age >= 16 and rng.random() < 0.5:
            supported = Suitability.UNSUITABLE
    elif target == "residential":
        residential = Suitability.PREFERRED
        foster = Suitability.SUITABLE if rng.random() < 0.4 else Suitability.UNSUITABLE
    else:  # supported
        supported = Suitability.PREFERRED
        foster = Suitability.SUITABLE if rng.random() < 0.3 else Suitability.UNSUITABLE
        residential = Suitability.UNSUITABLE if rng.random() < 0.8 else Suitability.SUITABLE
    return foster, residential, supported


_CULTURAL_NEEDS = (
    "Support to practise their faith, including getting to a place of worship",
    "Carers able to cook food the child is used to, including religious dietary requirements",
    "Keep links with their community and the language spoken at home",
    "Carers confident with the child's hair and skin care",
    "Support to celebrate the festivals the child's family marks",
)
_DISABILITY_COMMUNICATION = (
    "Makaton",
    "British Sign Language",
    "Uses a communication aid (AAC)",
    "Visual timetable and symbols",
)
_WISHES_GENERAL = (
    "Wants to stay at the same school",
    "Wants to live near family",
    "Would like to live with a family",
    "Wants to keep going to their sports club",
    "Would like a home with pets",
    "Wants a quiet home with few other children",
    "Wants to stay in the area where friends live",
    "Wants more say in when family time happens",
)
_WISHES_SIBLINGS = ("Wants to live with their brothers and sisters", "Wants to stay with their siblings")
_WISHES_OLDER = ("Wants to learn to live independently", "Wants to stay close to college", "Wants own room")


def _profile(
    rng: np.random.Generator, child: _Child
) -> tuple[str | None, tuple[str, ...], str, LivingCompanions]:
    cultural = None
    if child.uasc or rng.random() < (
        CULTURAL_NEEDS_SHARE_WBRI if child.ethnicity == "WBRI" else CULTURAL_NEEDS_SHARE_OTHER
    ):
        cultural = _CULTURAL_NEEDS[int(rng.integers(len(_CULTURAL_NEEDS)))]
    communication: list[str] = []
    if child.uasc:
        communication.append(f"Interpreter: {UASC_LANGUAGES[int(rng.integers(len(UASC_LANGUAGES)))]}")
    if Need.DISABILITY in child.needs and rng.random() < DISABLED_COMMUNICATION_SHARE:
        communication.append(_DISABILITY_COMMUNICATION[int(rng.integers(len(_DISABILITY_COMMUNICATION)))])
    pool = list(_WISHES_GENERAL)
    if child.sibling_group:
        pool += _WISHES_SIBLINGS * 3
    if child.age >= 15:
        pool += _WISHES_OLDER
    wishes = (
        "No wishes recorded yet (too young to express them)"
        if child.age < 4
        else pool[int(rng.integers(len(pool)))]
    )
    if Need.SOLO_PLACEMENT in child.needs:
        living = LivingCompanions.SOLO
    else:
        r = rng.random()
        living = (
            LivingCompanions.NO_PREFERENCE
            if r < 0.6
            else LivingCompanions.WITH_OTHERS
            if r < 0.8
            else LivingCompanions.ONLY_YOUNGER
            if r < 0.9
            else LivingCompanions.ONLY_OLDER
        )
    return cultural, tuple(communication), wishes, living


def _unit_costs(data: _Data, la_codes: Sequence[str]) -> dict[str, tuple[float, float]]:
    """Implied weekly (residential, fostering) unit cost per LA, with regional/national fallbacks."""
    spend = data.spend
    raw: dict[str, tuple[float, float]] = {}
    for la in data.las.index:
        cla = data.cla.get(la, 0)
        res = spend["residential_care_gbp_000"].get(la, np.nan) if la in spend.index else np.nan
        fos = spend["fostering_services_gbp_000"].get(la, np.nan) if la in spend.index else np.nan
        r = res * 1000 / (cla * RESIDENTIAL_SHARE_FOR_COSTS * 52) if cla > 0 else np.nan
        f = fos * 1000 / (cla * FOSTER_SHARE_FOR_COSTS * 52) if cla > 0 else np.nan
        raw[la] = (float(r), float(f))
    out = {}
    for j in (0, 1):
        values = np.array([v[j] for v in raw.values()])
        med = float(np.nanmedian(values[values > 0]))
        lo, hi = UNIT_COST_CLIP_LOW * med, UNIT_COST_CLIP_HIGH * med
        valid = {la: v[j] for la, v in raw.items() if np.isfinite(v[j]) and lo <= v[j] <= hi}
        for la in la_codes:
            if la in valid:
                value = valid[la]
            else:
                region = data.las.at[la, "region"]
                peers = [valid[x] for x in data.las.index[data.las["region"] == region] if x in valid]
                value = float(np.median(peers)) if peers else med
            out.setdefault(la, [0.0, 0.0])[j] = value
    return {la: (v[0], v[1]) for la, v in out.items()}


def _fees(rng: np.random.Generator, weekly: float, split: str) -> tuple[float, float, float, float]:
    total = weekly * float(np.exp(rng.normal(0.0, FEE_NOISE_SIGMA)))
    return tuple(round(total * f, 2) for f in FEE_SPLITS[split])  # type: ignore[return-value]


def _home_fee(home_type: HomeType, res_unit: float, foster_unit: float, rng: np.random.Generator):
    ifa_share = (1 - KINSHIP_SHARE_OF_FOSTER) * IFA_SHARE_OF_MAINSTREAM_FOSTER
    la_foster = foster_unit / (1 - ifa_share + ifa_share * IFA_TO_LA_FOSTER_COST_RATIO)
    ifa = la_foster * IFA_TO_LA_FOSTER_COST_RATIO
    table = {
        HomeType.CHILDRENS_HOME: (res_unit, "residential"),
        HomeType.SECURE_CHILDRENS_HOME: (res_unit * SECURE_TO_RESIDENTIAL_COST_RATIO, "residential"),
        HomeType.SHORT_BREAK_HOME: (res_unit * SHORT_BREAK_TO_RESIDENTIAL_COST_RATIO, "residential"),
        HomeType.RESIDENTIAL_SPECIAL_SCHOOL: (res_unit * RSS_TO_RESIDENTIAL_COST_RATIO, "school"),
        HomeType.LA_FOSTER: (la_foster, "foster"),
        HomeType.IFA_FOSTER: (ifa, "foster"),
        HomeType.KINSHIP_FOSTER: (la_foster * KINSHIP_TO_LA_FOSTER_COST_RATIO, "foster"),
        HomeType.PARENT_AND_CHILD: (ifa * PARENT_AND_CHILD_TO_IFA_COST_RATIO, "foster"),
        HomeType.SUPPORTED_ACCOMMODATION: (
            res_unit * SUPPORTED_ACCOMMODATION_TO_RESIDENTIAL_COST_RATIO,
            "supported",
        ),
        HomeType.SUPPORTED_LODGINGS: (la_foster * SUPPORTED_LODGINGS_TO_LA_FOSTER_COST_RATIO, "supported"),
    }
    weekly, split = table[home_type]
    return _fees(rng, weekly, split)


def _home_profile(rng: np.random.Generator, home_type: HomeType, places: int):
    """(age_min, age_max, sexes, needs_met) for a home."""
    both = (Sex.MALE, Sex.FEMALE)
    if home_type in (HomeType.CHILDRENS_HOME, HomeType.SHORT_BREAK_HOME):
        age_min, age_max = _choice(rng, CHILDRENS_HOME_AGE_RANGES)
        sexes = (
            ((Sex.MALE,) if rng.random() < 0.5 else (Sex.FEMALE,))
            if rng.random() < SINGLE_SEX_HOME_SHARE
            else both
        )
    elif home_type is HomeType.SECURE_CHILDRENS_HOME:
        age_min, age_max, sexes = 10, 17, both
    elif home_type is HomeType.RESIDENTIAL_SPECIAL_SCHOOL:
        age_min, age_max, sexes = 8, 17, both
    elif home_type in (HomeType.SUPPORTED_ACCOMMODATION, HomeType.SUPPORTED_LODGINGS):
        age_min, age_max, sexes = 16, 17, both
    elif home_type is HomeType.PARENT_AND_CHILD:
        age_min, age_max, sexes = 14, 17, (Sex.FEMALE,)
    else:
        age_min, age_max, sexes = 0, 17, both
    needs = {need for need, p in HOME_NEEDS_MET.get(home_type, {}).items() if rng.random() < p}
    if places >= 2 and home_type in (HomeType.LA_FOSTER, HomeType.IFA_FOSTER, HomeType.KINSHIP_FOSTER):
        needs.add(Need.SIBLING_GROUP)
    if places == 1 and home_type in (HomeType.LA_FOSTER, HomeType.IFA_FOSTER, HomeType.CHILDRENS_HOME):
        needs.add(Need.SOLO_PLACEMENT)
    return age_min, age_max, sexes, tuple(n for n in Need if n in needs)


def _date(value) -> date | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return None
    return date.fromisoformat(str(value)[:10])


def generate_region(
    region_name: str,
    seed: int,
    data_dir: Path,
    *,
    scale: float = DEFAULT_SCALE,
    referral_scale: float = 1.0,
    as_of: date | None = None,
) -> DemoRegion:
    """Generate one region's RCC deterministically from the open data in ``data_dir``.

    ``scale`` multiplies the number of children in care (and with it the generated fostering, kinship,
    parent-and-child and supported capacity; Ofsted-registered homes are real and never scaled);
    ``referral_scale`` multiplies the number of open referrals; ``as_of`` is the day the snapshot
    describes (default 31 March of the latest DfE year, so output never depends on the clock).
    """
    data = _load(str(Path(data_dir).resolve()))
    valid = sorted(data.las["region"].unique().tolist())
    if region_name not in valid:
        raise ValueError(f"unknown region {region_name!r}; valid regions: {', '.join(valid)}")
    if scale < 0 or referral_scale < 0:
        raise ValueError("scale and referral_scale must be non-negative")
    as_of = as_of or date(data.latest_year, 3, 31)
    las_frame = data.las[data.las["region"] == region_name].sort_values("gss_code")
    la_codes = las_frame["gss_code"].tolist()
    la_names = dict(zip(las_frame["gss_code"], las_frame["name"], strict=True))
    geog = _region_geo(data, la_codes)
    costs = _unit_costs(data, la_codes)
    uasc_shares = _uasc_shares(data)
    notes: list[str] = []

    las = tuple(
        LASeed(
            gss_code=r.gss_code,
            dfe_code=None if pd.isna(r.dfe_la_code) else str(r.dfe_la_code),
            name=r.name,
            region=r.region,
            population=int(r.population_2020),
            lat=float(r.lat),
            lon=float(r.lon),
            easting=float(r.easting),
            northing=float(r.northing),
        )
        for r in las_frame.itertuples()
    )

    def sector_point(la: str, msoa: int) -> tuple[str, float, float]:
        s = geog.msoa_sector[la][msoa]
        return data.sector_codes[s], float(data.sector_e[s]), float(data.sector_n[s])

    # ---- Ofsted-registered homes and their owners ------------------------------------------------
    ofsted = data.ofsted[data.ofsted["la_gss_code"].isin(la_codes)]
    reg_homes = ofsted[ofsted["provision_type"].isin(list(OFSTED_HOME_TYPES))].sort_values("urn")
    ifas = ofsted[ofsted["provision_type"] == OFSTED_IFA].sort_values("urn")
    region_places = float(reg_homes["places"].sum()) or 1.0

    def owner_key(owner, urn: str) -> str:
        return f"own:{_slug(owner)}" if isinstance(owner, str) and owner.strip() else f"urn:{urn}:owner"

    owners: dict[str, dict] = {}
    for r in pd.concat([reg_homes, ifas]).itertuples():
        key = owner_key(r.owner, r.urn)
        o = owners.setdefault(
            key,
            {"name": r.owner if isinstance(r.owner, str) else f"Owner of {r.urn}", "sectors": [], "rows": []},
        )
        o["sectors"].append(r.sector)
        o["rows"].append(r)

    providers: list[ProviderSeed] = []
    prov_rng = _rng(seed, region_name, "providers")
    for key in sorted(owners):
        o = owners[key]
        rows = o["rows"]
        n_national = data.owner_homes_national.get(o["name"], 0)
        home_rows = [r for r in rows if r.provision_type in OFSTED_HOME_TYPES]
        place_share = sum(float(r.places) for r in home_rows if not pd.isna(r.places)) / region_places
        difficult = (
            n_national >= DIFFICULT_TO_REPLACE_MIN_HOMES
            or place_share >= DIFFICULT_TO_REPLACE_MIN_REGION_PLACE_SHARE
        )
        judgements = [OFSTED_JUDGEMENTS.get(r.overall_judgement) for r in rows]
        ri = sum(j is OfstedJudgement.REQUIRES_IMPROVEMENT for j in judgements)
        if (
            any(j is OfstedJudgement.INADEQUATE for j in judgements)
            or any(r.registration_status == "Suspended" for r in rows)
            or (rows and ri / len(rows) >= HIGH_RISK_REQUIRES_IMPROVEMENT_SHARE)
        ):
            risk = "high"
        elif ri or difficult:
            risk = "medium"
        else:
            risk = "low"
        sector = OFSTED_SECTORS.get(pd.Series(o["sectors"]).mode().iloc[0], ProviderSector.PRIVATE)
        providers.append(_provider(prov_rng, key, o["name"], sector, o["name"], difficult, risk, as_of))

    homes: list[_Home] = []
    home_rng = _rng(seed, region_name, "homes")
    for r in reg_homes.itertuples():
        home_type = OFSTED_HOME_TYPES[r.provision_type]
        if home_type is HomeType.CHILDRENS_HOME and bool(r.short_break_only):
            home_type = HomeType.SHORT_BREAK_HOME
        rng = home_rng
        la = r.la_gss_code
        msoa = int(rng.integers(len(geog.msoa_e[la])))
        sector, _, _ = sector_point(la, msoa)
        places = int(r.places)
        age_min, age_max, sexes, needs = _home_profile(rng, home_type, places)
        status = OFSTED_STATUSES.get(r.registration_status, RegistrationStatus.ACTIVE)
        capacity = places
        if home_type is HomeType.SHORT_BREAK_HOME:
            capacity = int(round(places * SHORT_BREAK_OCCUPANCY))
        homes.append(
            _Home(
                key=f"urn:{r.urn}",
                provider_key=owner_key(r.owner, r.urn),
                urn=str(r.urn),
                name=f"{r.provision_type.split(' (')[0]} {r.urn}",
                home_type=home_type,
                status=status,
                judgement=OFSTED_JUDGEMENTS.get(r.overall_judgement, OfstedJudgement.NOT_YET_INSPECTED),
                judgement_date=_date(r.latest_inspection_date),
                la=la,
                sector=sector,
                e=float(geog.msoa_e[la][msoa]),
                n=float(geog.msoa_n[la][msoa]),
                places=places,
                age_min=age_min,
                age_max=age_max,
                sexes=sexes,
                needs_met=needs,
                fees=_home_fee(home_type, costs[la][0], costs[la][1], rng),
                capacity=0 if status is not RegistrationStatus.ACTIVE else capacity,
            )
        )
    ifa_keys = [owner_key(r.owner, r.urn) for r in ifas.itertuples()]
    ifa_info = {owner_key(r.owner, r.urn): r for r in ifas.itertuples()}

    # LA in-house services (fostering, kinship, supported lodgings).
    for la in la_codes:
        providers.append(
            _provider(
                prov_rng,
                f"la:{la}",
                f"{la_names[la]} in-house fostering service",
                ProviderSector.LOCAL_AUTHORITY,
                la_names[la],
                False,
                "low",
                as_of,
            )
        )

    # ---- Children in care ------------------------------------------------------------------------
    children: list[_Child] = []
    for la in la_codes:
        count = int(round(data.cla.get(la, 0) * scale))
        children += _make_children(
            geog, la, count, seed, as_of, uasc_shares[la], f"child:{la}:", None, "children"
        )
    child_rng = _rng(seed, region_name, "needs")
    for c in children:
        _assign_needs(child_rng, c, c.setting)

    # ---- Generated households sized to demand ----------------------------------------------------
    demand: dict[tuple[str, str], int] = {}
    for c in children:
        demand[(c.la, c.setting)] = demand.get((c.la, c.setting), 0) + 1

    def add_home(la, key, provider_key, home_type, places, rng, msoa=None, judgement=None, jdate=None):
        msoa = int(rng.integers(len(geog.msoa_e[la]))) if msoa is None else msoa
        sector, se, sn = sector_point(la, msoa)
        age_min, age_max, sexes, needs = _home_profile(rng, home_type, places)
        homes.append(
            _Home(
                key=key,
                provider_key=provider_key,
                urn=None,
                name=f"{home_type.value.replace('_', ' ').capitalize()} household {key.split(':')[-1]} ({la_names[la]})",
                home_type=home_type,
                status=RegistrationStatus.ACTIVE,
                judgement=judgement or OfstedJudgement.NOT_YET_INSPECTED,
                judgement_date=jdate,
                la=la,
                sector=sector,
                e=se,
                n=sn,
                places=places,
                age_min=age_min,
                age_max=age_max,
                sexes=sexes,
                needs_met=needs,
                fees=_home_fee(home_type, costs[la][0], costs[la][1], rng),
                capacity=places,
            )
        )

    for la in la_codes:
        rng = _rng(seed, la, "households")
        specs = (
            ("la_foster", HomeType.LA_FOSTER, FOSTER_PLACES_SHARES, FOSTER_PLACE_UTILISATION, "fh"),
            ("ifa_foster", HomeType.IFA_FOSTER, FOSTER_PLACES_SHARES, FOSTER_PLACE_UTILISATION, "ifh"),
            (
                "parent_and_child",
                HomeType.PARENT_AND_CHILD,
                {1: 1.0},
                PARENT_AND_CHILD_PLACE_UTILISATION,
                "pc",
            ),
        )
        for setting, home_type, place_shares, utilisation, tag in specs:
            target = math.ceil(demand.get((la, setting), 0) / utilisation)
            made = 0
            i = 0
            while made < target:
                places = int(_choice(rng, place_shares))
                i += 1
                provider_key, judgement, jdate = f"la:{la}", None, None
                if home_type is HomeType.IFA_FOSTER or (
                    home_type is HomeType.PARENT_AND_CHILD
                    and rng.random() < PARENT_AND_CHILD_IFA_SHARE
                    and ifa_keys
                ):
                    if ifa_keys:
                        provider_key = ifa_keys[int(rng.integers(len(ifa_keys)))]
                        info = ifa_info[provider_key]
                        judgement = OFSTED_JUDGEMENTS.get(info.overall_judgement)
                        jdate = _date(info.latest_inspection_date)
                add_home(la, f"{tag}:{la}:{i}", provider_key, home_type, places, rng, None, judgement, jdate)
                made += places
        # Supported accommodation (synthetic providers) and supported lodgings (LA scheme).
        n_supported = demand.get((la, "supported"), 0)
        n_lodgings = int(rng.binomial(n_supported, SUPPORTED_LODGINGS_SHARE)) if n_supported else 0
        for home_type, count, shares, tag in (
            (HomeType.SUPPORTED_LODGINGS, n_lodgings, SUPPORTED_LODGINGS_PLACES_SHARES, "sl"),
            (
                HomeType.SUPPORTED_ACCOMMODATION,
                n_supported - n_lodgings,
                SUPPORTED_ACCOMMODATION_PLACES_SHARES,
                "sa",
            ),
        ):
            target = math.ceil(count / SUPPORTED_PLACE_UTILISATION)
            made, i = 0, 0
            while made < target:
                places = int(_choice(rng, shares))
                i += 1
                if home_type is HomeType.SUPPORTED_LODGINGS:
                    provider_key = f"la:{la}"
                else:
                    k = (i - 1) // SUPPORTED_UNITS_PER_PROVIDER + 1
                    provider_key = f"sa:{la}:{k}"
                    if (i - 1) % SUPPORTED_UNITS_PER_PROVIDER == 0:
                        name = f"Supported accommodation provider {k} ({la_names[la]})"
                        providers.append(
                            _provider(
                                prov_rng,
                                provider_key,
                                name,
                                ProviderSector.PRIVATE,
                                name,
                                False,
                                "low",
                                as_of,
                            )
                        )
                add_home(la, f"{tag}:{la}:{i}", provider_key, home_type, places, rng)
                made += places

    # ---- Placements --------------------------------------------------------------------------------
    placements: list[PlacementSeed] = []
    occupied: dict[str, int] = {}
    place_rng = _rng(seed, region_name, "placements")
    child_points = {c.key: sector_point(c.la, c.msoa) for c in children}
    home_index = {h.key: i for i, h in enumerate(homes)}
    h_e = np.array([h.e for h in homes])
    h_n = np.array([h.n for h in homes])
    h_la = np.array([h.la for h in homes], dtype=object)
    h_type = np.array([h.home_type.value for h in homes], dtype=object)
    h_free = np.array([h.capacity for h in homes], dtype=np.int64)
    h_amin = np.array([h.age_min for h in homes])
    h_amax = np.array([h.age_max for h in homes])
    h_male = np.array([Sex.MALE in h.sexes for h in homes])
    h_female = np.array([Sex.FEMALE in h.sexes for h in homes])

    setting_types = {
        "la_foster": {HomeType.LA_FOSTER.value},
        "ifa_foster": {HomeType.IFA_FOSTER.value},
        "parent_and_child": {HomeType.PARENT_AND_CHILD.value},
        "residential": {HomeType.CHILDRENS_HOME.value},
        "supported": {HomeType.SUPPORTED_ACCOMMODATION.value, HomeType.SUPPORTED_LODGINGS.value},
    }
    type_masks = {s: np.isin(h_type, list(t)) for s, t in setting_types.items()}
    la_mask_cache: dict[str, np.ndarray] = {}

    def in_la(la: str) -> np.ndarray:
        if la not in la_mask_cache:
            la_mask_cache[la] = h_la == la
        return la_mask_cache[la]

    residential_masks: dict[tuple[bool, bool], np.ndarray] = {}

    def residential_mask(c: _Child) -> np.ndarray:
        key = (Need.DISABILITY in c.needs, len(c.risks) >= SECURE_MIN_RISK_FLAGS)
        if key not in residential_masks:
            types = {HomeType.CHILDRENS_HOME.value}
            if key[0]:
                types |= {HomeType.RESIDENTIAL_SPECIAL_SCHOOL.value, HomeType.SHORT_BREAK_HOME.value}
            if key[1]:
                types |= {HomeType.SECURE_CHILDRENS_HOME.value}
            residential_masks[key] = np.isin(h_type, list(types))
        return residential_masks[key]

    def choose(unit: list[_Child], base: np.ndarray) -> int | None:
        ages = [c.age for c in unit]
        idx = np.flatnonzero(base)
        ok = (h_free[idx] >= len(unit)) & (h_amin[idx] <= min(ages)) & (h_amax[idx] >= max(ages))
        if any(c.sex is Sex.MALE for c in unit):
            ok &= h_male[idx]
        if any(c.sex is Sex.FEMALE for c in unit):
            ok &= h_female[idx]
        idx = idx[ok]
        if len(idx) == 0:
            return None
        la = unit[0].la
        _, ce, cn = child_points[unit[0].key]
        shares = data.distance.get(la)
        if shares is None:
            shares = data.region_distance.get(region_name, data.national_distance)
        cls = int(
            np.searchsorted(np.cumsum(shares), place_rng.random() * float(np.sum(shares)), side="right")
        )
        cls = min(cls, 3)
        dist = np.hypot(h_e[idx] - ce, h_n[idx] - cn)
        inside = in_la(la)[idx]
        far = dist > FAR_MILES * METRES_PER_MILE
        want_inside, want_far = cls < 2, cls % 2 == 1
        pick = (inside == want_inside) & (far == want_far)
        if pick.any():
            cand, d = idx[pick], dist[pick]
            w = 1.0 / (d + 5_000.0)
            return int(cand[int(place_rng.choice(len(cand), p=w / w.sum()))])
        return int(idx[int(np.argmin(dist))])  # nearest home that can take them

    # Units: sibling groups together (falling back to individual placements), then singles.
    units: dict[str, list[_Child]] = {}
    for c in children:
        units.setdefault(c.sibling_group or c.key, []).append(c)
    order = place_rng.permutation(len(units))
    unit_list = list(units.values())
    unplaced_residential = 0
    kinship_count: dict[str, int] = {}

    def record(unit: list[_Child], home: int) -> None:
        h = homes[home]
        h_free[home] -= len(unit)
        occupied[h.key] = occupied.get(h.key, 0) + len(unit)
        mean_age = PLACEMENT_MEAN_AGE_DAYS[unit[0].setting]
        start = as_of - timedelta(days=int(place_rng.exponential(mean_age)))
        for c in unit:
            start_c = max(start, c.birth_month)
            intensive = sum(
                n in c.needs
                for n in (
                    Need.COMPLEX_TRAUMA,
                    Need.MENTAL_HEALTH,
                    Need.EXPLOITATION_RISK,
                    Need.SOLO_PLACEMENT,
                )
            )
            noise = float(np.exp(place_rng.normal(0, PLACEMENT_FEE_NOISE_SIGMA)))
            core, extra, edu, other = h.fees
            placements.append(
                PlacementSeed(
                    child_key=c.key,
                    home_key=h.key,
                    start_date=start_c,
                    weekly_core=core,
                    weekly_additional_support=round(
                        extra * (1 + ADDITIONAL_SUPPORT_UPLIFT_PER_NEED * intensive) * noise, 2
                    ),
                    weekly_education=edu,
                    weekly_other=other,
                )
            )

    for u in order.tolist():
        unit = unit_list[u]
        setting = unit[0].setting
        if setting == "other":
            continue
        if setting == "kinship":
            la = unit[0].la
            rng = place_rng
            home_la = (
                la if rng.random() < KINSHIP_SAME_LA_SHARE else la_codes[int(rng.integers(len(la_codes)))]
            )
            kinship_count[la] = kinship_count.get(la, 0) + 1
            add_home(
                home_la, f"kin:{la}:{kinship_count[la]}", f"la:{la}", HomeType.KINSHIP_FOSTER, len(unit), rng
            )
            home_index[homes[-1].key] = len(homes) - 1
            h = homes[-1]
            occupied[h.key] = len(unit)
            mean_age = PLACEMENT_MEAN_AGE_DAYS["kinship"]
            start = as_of - timedelta(days=int(rng.exponential(mean_age)))
            for c in unit:
                core, extra, edu, other = h.fees
                placements.append(
                    PlacementSeed(c.key, h.key, max(start, c.birth_month), core, extra, edu, other)
                )
            continue
        if setting == "supported":
            base = type_masks["supported"]
        elif setting == "residential":
            base = residential_mask(unit[0])
        elif setting == "la_foster":
            base = type_masks["la_foster"] & in_la(unit[0].la)
        else:
            base = type_masks[setting]
        home = choose(unit, base)
        if home is None and len(unit) > 1:
            for c in unit:
                single = choose([c], base)
                if single is not None:
                    record([c], single)
            continue
        if home is None:
            # Fall back to any home of the family for the setting anywhere in the region.
            if setting in ("la_foster", "ifa_foster"):
                home = choose(unit, type_masks["la_foster"] | type_masks["ifa_foster"])
            if home is None:
                if setting == "residential":
                    unplaced_residential += len(unit)
                continue
        record(unit, home)

    # ---- Vacancies -----------------------------------------------------------------------------------
    vacancies: list[VacancySeed] = []
    vac_rng = _rng(seed, region_name, "vacancies")
    confirmers = {
        HomeType.LA_FOSTER: "Fostering team manager",
        HomeType.IFA_FOSTER: "Agency placements officer",
        HomeType.PARENT_AND_CHILD: "Fostering team manager",
        HomeType.SUPPORTED_ACCOMMODATION: "Service manager",
        HomeType.SUPPORTED_LODGINGS: "Supported lodgings coordinator",
    }
    for h in homes:
        if h.status is not RegistrationStatus.ACTIVE or h.home_type is HomeType.KINSHIP_FOSTER:
            continue
        free = h.places - occupied.get(h.key, 0)
        if free <= 0:
            continue
        if vac_rng.random() < STALE_VACANCY_SHARE:
            age_days = float(vac_rng.uniform(STALE_AFTER_DAYS + 1, VACANCY_MAX_STALE_DAYS))
        else:
            age_days = float(vac_rng.uniform(0, STALE_AFTER_DAYS - 0.01))
        confirmed_at = datetime.combine(as_of, time(17, 0), tzinfo=UTC) - timedelta(days=age_days)
        confirmed_at = confirmed_at.replace(second=0, microsecond=0)
        vacancies.append(
            VacancySeed(
                home_key=h.key,
                places=free,
                available_from=as_of + timedelta(days=int(vac_rng.integers(0, VACANCY_MAX_LEAD_DAYS + 1))),
                confirmed_by=confirmers.get(h.home_type, "Registered manager"),
                confirmed_at=confirmed_at,
            )
        )

    # ---- Referrals -------------------------------------------------------------------------------------
    referrals: list[ReferralSeed] = []
    referral_children: list[tuple[_Child, str]] = []
    for la in la_codes:
        rng = _rng(seed, la, "referrals")
        count = int(round(data.starts.get(la, 0) / 52 * OPEN_DEMAND_WEEKS * referral_scale))
        kids = _make_children(
            geog,
            la,
            count,
            seed,
            as_of,
            uasc_shares[la],
            f"child:{la}:r",
            START_AGE_BAND_SHARES,
            "referral-children",
        )
        groups: dict[str, list[_Child]] = {}
        for c in kids:
            if c.setting == "other":  # referrals are for children who need a placement
                c.setting = _sample_setting(rng, c.age, c.sex, family_only=bool(c.sibling_group))
                if c.setting == "other":
                    c.setting = _foster_split(rng)
            groups.setdefault(c.sibling_group or c.key, []).append(c)
        for n, group in enumerate(groups.values(), start=1):
            target = group[0].setting
            for c in group:
                c.setting = target
                _assign_needs(rng, c, target)
            urgency = _choice(rng, URGENCY_SHARES)
            if urgency is Urgency.TODAY:
                for c in group:
                    c.needs = tuple(x for x in Need if x in set(c.needs) | {Need.SAME_DAY_EMERGENCY})
            local = bool(rng.random() < PREFER_LOCAL_SHARE)
            created = datetime.combine(as_of, time(17, 0), tzinfo=UTC) - timedelta(
                minutes=int(rng.integers(0, int(OPEN_DEMAND_WEEKS * 7 * 24 * 60)))
            )
            referrals.append(
                ReferralSeed(
                    key=f"ref:{la}:{n}",
                    la_gss_code=la,
                    child_keys=tuple(c.key for c in group),
                    needed_by=urgency,
                    preferred_location_local=local,
                    out_of_la_reason=None if local else _choice(rng, OUT_OF_LA_REASON_SHARES),
                    created_at=created,
                )
            )
            referral_children += [(c, target) for c in group]
            for c in group:
                child_points[c.key] = sector_point(c.la, c.msoa)

    # ---- Child records ---------------------------------------------------------------------------------
    profile_rngs = {la: _rng(seed, la, "profiles") for la in la_codes}

    def child_seed(c: _Child, target: str) -> ChildSeed:
        rng = profile_rngs[c.la]
        sector, he, hn = child_points[c.key]
        school = (None, None, None)
        must_keep = False
        if c.age >= SCHOOL_MIN_AGE:
            options = geog.neighbours[c.la][c.msoa]
            school = sector_point(c.la, int(options[int(rng.integers(len(options)))]))
            p = MUST_KEEP_SCHOOL_SHARE_EXAM_YEARS if 14 <= c.age <= 16 else MUST_KEEP_SCHOOL_SHARE_OTHER
            must_keep = bool(rng.random() < p)
        foster, residential, supported = _suitability(rng, c, target)
        cultural, communication, wishes, living = _profile(rng, c)
        digest = hashlib.sha256(f"{seed}|{c.key}".encode()).hexdigest()[:10].upper()
        return ChildSeed(
            key=c.key,
            la_gss_code=c.la,
            la_child_id=f"C{digest}",
            birth_month=c.birth_month,
            sex=c.sex,
            ethnicity=c.ethnicity,
            uasc=c.uasc,
            needs=c.needs,
            home_postcode_sector=sector,
            home_easting=he,
            home_northing=hn,
            school_postcode_sector=school[0],
            school_easting=school[1],
            school_northing=school[2],
            must_keep_school=must_keep,
            sibling_group_key=c.sibling_group,
            suitability_foster=foster,
            suitability_residential=residential,
            suitability_supported=supported,
            risks=c.risks,
            living_companions=living,
            cultural_needs=cultural,
            communication_needs=communication,
            wishes=wishes,
        )

    child_seeds = [child_seed(c, c.setting) for c in children] + [
        child_seed(c, t) for c, t in referral_children
    ]

    home_seeds = tuple(
        HomeSeed(
            key=h.key,
            provider_key=h.provider_key,
            urn=h.urn,
            name=h.name,
            home_type=h.home_type,
            registration_status=h.status,
            judgement=h.judgement,
            judgement_date=h.judgement_date,
            la_gss_code=h.la,
            postcode_sector=h.sector,
            easting=h.e,
            northing=h.n,
            registered_places=h.places,
            age_min=h.age_min,
            age_max=h.age_max,
            sexes=h.sexes,
            needs_met=h.needs_met,
            fee_core=h.fees[0],
            fee_additional_support=h.fees[1],
            fee_education=h.fees[2],
            fee_other=h.fees[3],
        )
        for h in homes
    )
    if unplaced_residential:
        notes.append(
            f"{unplaced_residential} children needing residential care could not be placed in the region's own "
            "registered homes (no suitable free place) and are treated as placed outside the region."
        )
    return DemoRegion(
        rcc_name=f"{region_name} RCC",
        region=region_name,
        seed=seed,
        las=las,
        providers=tuple(providers),
        homes=home_seeds,
        children=tuple(child_seeds),
        placements=tuple(placements),
        vacancies=tuple(vacancies),
        referrals=tuple(referrals),
        assumptions=assumptions(data.latest_year, as_of) + tuple(notes),
        as_of=as_of,
    )


def _provider(
    rng: np.random.Generator,
    key: str,
    name: str,
    sector: ProviderSector,
    owner_group: str,
    difficult: bool,
    risk: str,
    as_of: date,
) -> ProviderSeed:
    held = bool(rng.random() < (CONTINGENCY_PLAN_SHARE_LARGE if difficult else CONTINGENCY_PLAN_SHARE_OTHER))
    plan_date = as_of - timedelta(days=int(rng.integers(0, CONTINGENCY_PLAN_MAX_AGE_DAYS))) if held else None
    return ProviderSeed(
        key=key,
        name=name,
        sector=sector,
        owner_group=owner_group,
        companies_house_number=None,
        difficult_to_replace=difficult,
        risk_rating=risk,
        contingency_plan_held=held,
        contingency_plan_date=plan_date,
    )


def generate_regions(
    region_names_: Iterable[str] | None,
    seed: int,
    data_dir: Path,
    *,
    scale: float = DEFAULT_SCALE,
    referral_scale: float = 1.0,
    as_of: date | None = None,
) -> tuple[DemoRegion, ...]:
    """Several regions (``None``: all nine, i.e. a national instance), each generated independently.

    Keys are prefixed by LA codes or URNs, so they do not collide across regions, except provider keys
    of owner groups present in several regions, which deliberately coincide (same owner, same key).
    """
    names = region_names(data_dir) if region_names_ is None else tuple(region_names_)
    return tuple(
        generate_region(n, seed, data_dir, scale=scale, referral_scale=referral_scale, as_of=as_of)
        for n in names
    )


def _pct(x: float) -> str:
    return f"{x * 100:.0f}%"


def assumptions(latest_year: int | None = None, as_of: date | None = None) -> tuple[str, ...]:
    """Every modelling assumption of the generator, in plain words."""
    year = latest_year or "the latest year"
    ages = ", ".join(
        f"{_pct(s)} aged {lo}-{hi}" if lo != hi else f"{_pct(s)} under 1"
        for (lo, hi), s in zip(AGE_BANDS, AGE_BAND_SHARES, strict=True)
    )
    return (
        f"Children in care per LA equal the DfE count on 31 March {year} (earlier years where a figure is "
        "suppressed), times the scale factor; the snapshot date is "
        f"{as_of.isoformat() if as_of else '31 March of that year'}.",
        f"Ages follow the national profile of children in care: {ages}.",
        f"{_pct(MALE_SHARE)} of children in care are boys.",
        "Placement settings depend on age and reproduce the national mix: about 68% foster care, 11% children's "
        "homes, secure homes and residential schools, 8% supported accommodation or lodgings (16-17 only), 1% "
        "parent-and-child placements and 12% placed elsewhere (with parents, for adoption, custody, health), "
        "who have no placement in the register.",
        f"{_pct(KINSHIP_SHARE_OF_FOSTER)} of foster placements are with kinship carers; of the rest, "
        f"{_pct(IFA_SHARE_OF_MAINSTREAM_FOSTER)} are with independent fostering agency carers.",
        f"{_pct(SUPPORTED_LODGINGS_SHARE)} of supported placements are supported lodgings, the rest supported "
        "accommodation; supported accommodation providers are synthetic, because the 2023 Ofsted list predates "
        "their registration.",
        f"Unaccompanied asylum-seeking children are {_pct(UASC_NATIONAL_SHARE)} of children in care nationally; each "
        "LA's share follows its UASC share of children-looked-after spending (MHCLG RO3), capped at "
        f"{_pct(UASC_MAX_LA_SHARE)}; they are {_pct(UASC_MALE_SHARE)} boys, mostly aged 16-17.",
        "Ethnicity (SSDA903 codes) follows approximately the national mix of children in care (about 72% white, 10% "
        "mixed, 7% black, 5% Asian, 4% other, 2% not recorded); it does not vary by region.",
        f"{_pct(SIBLING_CHILD_SHARE)} of children are in sibling groups looked after by the same LA (mostly pairs); "
        "siblings share a home address and are placed together where a home has room for all of them.",
        "Needs and NPS risk flags are drawn with assumed rates that rise from age 10 and are "
        f"{RESIDENTIAL_NEED_MULTIPLIER}x higher for children in residential care.",
        "Home addresses are postcode sectors nearest to a uniformly chosen MSOA centroid in the child's LA; schools "
        f"are in one of the {SCHOOL_NEIGHBOUR_MSOAS} nearest MSOAs; children in exam years (14-16) must keep their "
        f"school in {_pct(MUST_KEEP_SCHOOL_SHARE_EXAM_YEARS)} of cases, others in {_pct(MUST_KEEP_SCHOOL_SHARE_OTHER)}.",
        "Children's homes, secure children's homes and residential special schools are the real Ofsted 2023 records "
        "(URN, places, owner, sector, judgement, status); their exact addresses are withheld, so each is placed at an "
        "MSOA centroid in its LA, with the nearest postcode sector in that LA.",
        "Ages taken, sexes and needs met by registered homes are not published and are drawn with assumed rates; "
        f"short-break homes have {_pct(SHORT_BREAK_OCCUPANCY)} of places in use on the day; suspended homes have no "
        "children and no vacancies.",
        f"Foster households have 1-4 approved places (mean about 1.9) and {_pct(FOSTER_PLACE_UTILISATION)} of places "
        "are in use, so about 1.6 children per household; the number of households is sized to each LA's foster "
        "children.",
        f"Supported and parent-and-child capacity is sized so {_pct(SUPPORTED_PLACE_UTILISATION)} and "
        f"{_pct(PARENT_AND_CHILD_PLACE_UTILISATION)} of places are in use.",
        "Kinship carers are approved for the particular child or siblings, so their households have no vacancies.",
        "Each placement's distance class (inside/outside the LA, under/over 20 miles) is drawn from the LA's shares "
        "of new placements in the DfE distance file (latest year with figures); if no home in that class has room, "
        "the nearest home with room is used.",
        "Residential homes hold only the region's own children; where the region has more places than children "
        "needing them the surplus shows as vacancies, although in reality other regions' children fill many of them.",
        f"Weekly fees: an LA's residential unit cost is its residential spending (MHCLG RO3 2024-25) divided by "
        f"{_pct(RESIDENTIAL_SHARE_FOR_COSTS)} of its children in care x 52 weeks; fostering likewise with "
        f"{_pct(FOSTER_SHARE_FOR_COSTS)}; implausible or missing values use the regional median.",
        f"Agency foster placements cost {IFA_TO_LA_FOSTER_COST_RATIO}x in-house ones; secure homes "
        f"{SECURE_TO_RESIDENTIAL_COST_RATIO}x and residential schools {RSS_TO_RESIDENTIAL_COST_RATIO}x a children's "
        f"home; supported accommodation {SUPPORTED_ACCOMMODATION_TO_RESIDENTIAL_COST_RATIO}x; parent-and-child "
        f"{PARENT_AND_CHILD_TO_IFA_COST_RATIO}x an agency foster placement; each home's fee has "
        f"{_pct(FEE_NOISE_SIGMA)} lognormal noise and is split into core, additional support, education and other.",
        f"Owner groups running at least {DIFFICULT_TO_REPLACE_MIN_HOMES} registered homes in England, or holding "
        f"{_pct(DIFFICULT_TO_REPLACE_MIN_REGION_PLACE_SHARE)} of the region's places, are difficult to replace; "
        f"{_pct(CONTINGENCY_PLAN_SHARE_LARGE)} of them and {_pct(CONTINGENCY_PLAN_SHARE_OTHER)} of other providers hold "
        "a contingency plan.",
        "Provider risk is high if any home is inadequate or suspended or half require improvement, medium if any "
        "requires improvement or the provider is difficult to replace, otherwise low.",
        f"{_pct(STALE_VACANCY_SHARE)} of vacancies were last confirmed more than {STALE_AFTER_DAYS} days ago.",
        f"Open referrals per LA: children starting to be looked after per year / 52 x {OPEN_DEMAND_WEEKS:g} weeks, "
        "times the referral scale; referred children are additional to the children in care, younger on average, "
        f"and siblings are referred together; urgency today / within 5 days / later: "
        + " / ".join(_pct(v) for v in URGENCY_SHARES.values())
        + f"; {_pct(PREFER_LOCAL_SHARE)} prefer a placement inside their LA.",
        "Children have pseudonymous identifiers and no names; wishes, cultural and communication needs are "
        "illustrative phrases.",
        "An LA's region is the majority of the LA register, the DfE file and Ofsted (this moves Derbyshire and "
        "Lincolnshire to the East Midlands, where DfE, Ofsted and ONS place them); a region's registered homes are "
        "those located in its LAs.",
    )
