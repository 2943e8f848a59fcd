"""Controlled vocabularies shared by the register, the optimiser and the forecasts.

Plain ``StrEnum`` values (standard library only) so that the pure libraries
(``matching``, ``forecasting``) can use them without importing pydantic, the
web framework or the database layer. Where the National Placement Standard
(NPS) names a value, the NPS label is kept in ``NPS_LABELS``.
"""

from __future__ import annotations

from enum import StrEnum


class HomeType(StrEnum):
    LA_FOSTER = "la_foster"  # local-authority (in-house) foster household
    IFA_FOSTER = "ifa_foster"  # independent fostering agency household
    KINSHIP_FOSTER = "kinship_foster"  # kinship / connected-person carer
    CHILDRENS_HOME = "childrens_home"
    SECURE_CHILDRENS_HOME = "secure_childrens_home"
    SHORT_BREAK_HOME = "short_break_home"
    RESIDENTIAL_SPECIAL_SCHOOL = "residential_special_school"  # registered as a children's home
    SUPPORTED_ACCOMMODATION = "supported_accommodation"  # 16-17 only
    SUPPORTED_LODGINGS = "supported_lodgings"
    PARENT_AND_CHILD = "parent_and_child"


class PlacementCategory(StrEnum):
    """The NPS placement-type taxonomy: what a care plan rates as suitable or not."""

    FOSTER = "foster"
    RESIDENTIAL = "residential"
    SUPPORTED = "supported"


# The NPS placementRecommendation property that carries a care plan's rating of each category.
NPS_SUITABILITY_PROPERTY: dict[str, str] = {
    PlacementCategory.FOSTER: "fosterCareSuitability",
    PlacementCategory.RESIDENTIAL: "residentialCareSuitability",
    PlacementCategory.SUPPORTED: "supportedAccommodationSuitability",
}


def placement_categories() -> tuple[str, ...]:
    """The placement-category vocabulary's keys, in order, read when called (so the suitability
    maps of the API, the web form and the NPS mapping all follow the vocabulary alone)."""
    return tuple(c.value for c in PlacementCategory)


def nps_suitability_properties() -> dict[str, str]:
    """NPS placementRecommendation property -> placement category, one per vocabulary entry."""
    return {NPS_SUITABILITY_PROPERTY[c]: c for c in placement_categories()}


HOME_TYPE_CATEGORY: dict[HomeType, PlacementCategory] = {
    HomeType.LA_FOSTER: PlacementCategory.FOSTER,
    HomeType.IFA_FOSTER: PlacementCategory.FOSTER,
    HomeType.KINSHIP_FOSTER: PlacementCategory.FOSTER,
    HomeType.PARENT_AND_CHILD: PlacementCategory.FOSTER,
    HomeType.CHILDRENS_HOME: PlacementCategory.RESIDENTIAL,
    HomeType.SECURE_CHILDRENS_HOME: PlacementCategory.RESIDENTIAL,
    HomeType.SHORT_BREAK_HOME: PlacementCategory.RESIDENTIAL,
    HomeType.RESIDENTIAL_SPECIAL_SCHOOL: PlacementCategory.RESIDENTIAL,
    HomeType.SUPPORTED_ACCOMMODATION: PlacementCategory.SUPPORTED,
    HomeType.SUPPORTED_LODGINGS: PlacementCategory.SUPPORTED,
}

# Family-based settings: preferred over residential when the care plan allows both.
FAMILY_BASED: frozenset[HomeType] = frozenset(
    t for t, c in HOME_TYPE_CATEGORY.items() if c is PlacementCategory.FOSTER
)

# Home types registered with Ofsted (and therefore carrying a URN and judgement).
OFSTED_REGISTERED: frozenset[HomeType] = frozenset(
    {
        HomeType.CHILDRENS_HOME,
        HomeType.SECURE_CHILDRENS_HOME,
        HomeType.SHORT_BREAK_HOME,
        HomeType.RESIDENTIAL_SPECIAL_SCHOOL,
        HomeType.SUPPORTED_ACCOMMODATION,
    }
)


class ProviderSector(StrEnum):
    LOCAL_AUTHORITY = "local_authority"
    PRIVATE = "private"
    VOLUNTARY = "voluntary"
    HEALTH = "health"


class RegistrationStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"


class OfstedJudgement(StrEnum):
    OUTSTANDING = "outstanding"
    GOOD = "good"
    REQUIRES_IMPROVEMENT = "requires_improvement"
    INADEQUATE = "inadequate"
    NOT_YET_INSPECTED = "not_yet_inspected"


class Sex(StrEnum):
    MALE = "male"  # SSDA903 SEX 1
    FEMALE = "female"  # SSDA903 SEX 2


class Need(StrEnum):
    """What a home can meet / what a child needs (register issue list)."""

    SIBLING_GROUP = "sibling_group"
    UASC = "uasc"
    DISABILITY = "disability"
    COMPLEX_TRAUMA = "complex_trauma"  # therapeutic care
    MENTAL_HEALTH = "mental_health"
    EXPLOITATION_RISK = "exploitation_risk"
    PARENT_AND_CHILD = "parent_and_child"
    SAME_DAY_EMERGENCY = "same_day_emergency"
    SOLO_PLACEMENT = "solo_placement"


class Suitability(StrEnum):
    """NPS suitability level for a placement category in the care plan."""

    PREFERRED = "preferred"
    SUITABLE = "suitable"  # NPS "Suitable but not preferred"
    UNSUITABLE = "unsuitable"
    NOT_SPECIFIED = "not_specified"


class RiskFlag(StrEnum):
    """The NPS risk assessment's 11 named risks (to the child, then to others)."""

    SELF_HARM = "riskSelfHarm"
    CRIMINAL_EXPLOITATION = "riskCriminalExploitation"
    DRUG_ALCOHOL = "riskDrugAlcohol"
    EATING_DISORDER = "riskEatingDisorder"
    MISSING = "riskMissing"
    SEXUAL_EXPLOITATION = "riskSexualExploitation"
    TO_OTHERS_PHYSICAL = "riskToOthersPhysical"
    TO_OTHERS_SEXUAL = "riskToOthersSexual"
    TO_OTHERS_FIRE = "riskToOthersFire"
    TO_OTHERS_ANIMALS = "riskToOthersAnimals"
    TO_OTHERS_CRIMINAL = "riskToOthersCriminal"


RISKS_TO_OTHERS: frozenset[RiskFlag] = frozenset(r for r in RiskFlag if r.value.startswith("riskToOthers"))


class LivingCompanions(StrEnum):
    """NPS living-arrangement taxonomy."""

    SOLO = "solo"  # "Solo placement recommended"
    WITH_OTHERS = "with_others"  # "With other children recommended"
    ONLY_OLDER = "only_older"  # "Only with other older children"
    ONLY_YOUNGER = "only_younger"  # "Only with other younger children"
    NO_PREFERENCE = "no_preference"


class Urgency(StrEnum):
    """NPS placement-urgency taxonomy (neededBy)."""

    TODAY = "Today"
    WITHIN_5_DAYS = "< 5 days"
    AFTER_5_DAYS = "> 5 days"


class OutOfLAReason(StrEnum):
    SAFEGUARDING = "Safeguarding concerns"
    BAIL = "Bail conditions"
    COURT_ORDER = "Court order"
    OTHER = "Other"


class ReasonPlaceChange(StrEnum):
    """SSDA903 REASON_PLACE_CHANGE codes (why a placement ended)."""

    ALLEG = "ALLEG"  # allegation (s47)
    APPRR = "APPRR"  # approval of carer(s) removed / resigned
    CARPL = "CARPL"  # change to/implementation of care plan
    CHILD = "CHILD"  # child requests
    CLOSE = "CLOSE"  # resignation / closure of provision
    CREQB = "CREQB"  # carer requests (behaviour)
    CREQO = "CREQO"  # carer requests (other)
    CUSTOD = "CUSTOD"  # custody arrangement
    LAREQ = "LAREQ"  # LA requests (other)
    OTHER = "OTHER"
    PLACE = "PLACE"  # change in status of placement only
    STAND = "STAND"  # standards of care concern


class DeclineReason(StrEnum):
    """Why a provider declines an offer (coded, following the NPS matching needs)."""

    NO_VACANCY = "no_vacancy"
    CANNOT_MEET_NEEDS = "cannot_meet_needs"
    RISK_TO_OTHERS = "risk_to_others"  # impact on children already living there
    MATCHING_CONCERN = "matching_concern"
    LOCATION = "location"
    OTHER = "other"


# SSDA903 PLACE codes are grouped into forecast categories by forecasting.categories (one mapping only).
