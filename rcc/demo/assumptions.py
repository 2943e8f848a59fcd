"""Every modelling assumption of the generator (:mod:`rcc.demo.params`) in plain sentences.

``DemoRegion.assumptions``, the README and ``rcc demo --help`` print these. This module imports only the
constants, so the CLI can list them without loading the data.
"""

from __future__ import annotations

from datetime import date

from rcc.demo.params import (
    CONTINGENCY_PLAN_SHARE_LARGE,
    CONTINGENCY_PLAN_SHARE_OTHER,
    DIFFICULT_TO_REPLACE_MIN_HOMES,
    DIFFICULT_TO_REPLACE_MIN_REGION_PLACE_SHARE,
    FEE_NOISE_SIGMA,
    FOSTER_PLACE_UTILISATION,
    FOSTER_SHARE_FOR_COSTS,
    IFA_SHARE_OF_MAINSTREAM_FOSTER,
    IFA_TO_LA_FOSTER_COST_RATIO,
    KINSHIP_SHARE_OF_FOSTER,
    MUST_KEEP_SCHOOL_SHARE_EXAM_YEARS,
    MUST_KEEP_SCHOOL_SHARE_OTHER,
    OPEN_DEMAND_WEEKS,
    PARENT_AND_CHILD_PLACE_UTILISATION,
    PARENT_AND_CHILD_TO_IFA_COST_RATIO,
    PREFER_LOCAL_SHARE,
    RESIDENTIAL_NEED_MULTIPLIER,
    RESIDENTIAL_SHARE_FOR_COSTS,
    RSS_TO_RESIDENTIAL_COST_RATIO,
    SCHOOL_NEIGHBOUR_MSOAS,
    SECURE_TO_RESIDENTIAL_COST_RATIO,
    SHORT_BREAK_OCCUPANCY,
    SIBLING_CHILD_SHARE,
    STALE_AFTER_DAYS,
    STALE_VACANCY_SHARE,
    SUPPORTED_ACCOMMODATION_TO_RESIDENTIAL_COST_RATIO,
    SUPPORTED_LODGINGS_SHARE,
    SUPPORTED_PLACE_UTILISATION,
    UASC_MALE_SHARE,
    UASC_MAX_LA_SHARE,
    UASC_NATIONAL_SHARE,
    URGENCY_SHARES,
)


def _pct(x: float) -> str:
    return f"{x * 100:.0f}%"


def assumptions(latest_year: int | None = None, as_of: date | None = None) -> tuple[str, ...]:
    """Every modelling assumption of the generator, in plain words."""
    year = latest_year or "the latest year"
    return (
        "Children in care are one simulated population per LA (forecasting.synthetic, rcc/demo/population.py): "
        "entrants per year, their trend and length of stay calibrated on each LA's DfE counts of children starting "
        "to be looked after and looked after on 31 March 2021-2025, UASC arrivals on its UASC share, times the "
        "scale factor; the register holds the children in care on the snapshot date "
        f"({as_of.isoformat() if as_of else f'31 March {year}'}), with their current and ended placements "
        "(moves in the last three years), and every LA's SSDA903 returns for the five collection years before it "
        "are the same children's.",
        "Ages, sexes, settings and lengths of stay come from that simulation (placement spells of log-normal length, "
        "leaving care by age, an adoption route, UASC leaving at 18); settings follow the SSDA903 placement code "
        "(U1-U3 kinship, U4-U6 foster with the LA's own or agency carers by provider, K1/K2/R1/S1 residential, "
        "H5/P2/P3/K3 supported, R3 parent and child); children placed with parents, for adoption or elsewhere "
        "have no placement in the register.",
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
        f"{_pct(SIBLING_CHILD_SHARE)} of referred children are in sibling groups (mostly pairs), referred together; "
        "siblings share a home address and are placed together where a home has room for all of them (the "
        "simulated population has no siblings, so children in care are placed one by one).",
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
