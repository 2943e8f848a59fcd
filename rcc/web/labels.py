"""Words for codes: what each controlled-vocabulary value is called on a page."""

from __future__ import annotations

from api_schemas.vocab import (
    DeclineReason,
    HomeType,
    LivingCompanions,
    Need,
    OutOfLAReason,
    PlacementCategory,
    RiskFlag,
    Sex,
    Suitability,
    Urgency,
)

NEEDS = {
    Need.SIBLING_GROUP: "Part of a sibling group",
    Need.UASC: "Unaccompanied asylum-seeking child",
    Need.DISABILITY: "Disability",
    Need.COMPLEX_TRAUMA: "Complex trauma (therapeutic care)",
    Need.MENTAL_HEALTH: "Mental health",
    Need.EXPLOITATION_RISK: "Risk of exploitation",
    Need.PARENT_AND_CHILD: "Parent and child",
    Need.SAME_DAY_EMERGENCY: "Same-day emergency",
    Need.SOLO_PLACEMENT: "Needs to live alone (solo placement)",
}
RISKS = {
    RiskFlag.SELF_HARM: "Self-harm",
    RiskFlag.CRIMINAL_EXPLOITATION: "Criminal exploitation",
    RiskFlag.DRUG_ALCOHOL: "Drugs or alcohol",
    RiskFlag.EATING_DISORDER: "Eating disorder",
    RiskFlag.MISSING: "Going missing",
    RiskFlag.SEXUAL_EXPLOITATION: "Sexual exploitation",
    RiskFlag.TO_OTHERS_PHYSICAL: "To others: physical harm",
    RiskFlag.TO_OTHERS_SEXUAL: "To others: sexual harm",
    RiskFlag.TO_OTHERS_FIRE: "To others: fire setting",
    RiskFlag.TO_OTHERS_ANIMALS: "To others: harm to animals",
    RiskFlag.TO_OTHERS_CRIMINAL: "To others: criminal behaviour",
}
SEXES = {Sex.MALE: "Male", Sex.FEMALE: "Female"}
SUITABILITY = {
    Suitability.PREFERRED: "Preferred",
    Suitability.SUITABLE: "Suitable but not preferred",
    Suitability.UNSUITABLE: "Unsuitable",
    Suitability.NOT_SPECIFIED: "Not specified",
}
CATEGORIES: dict[str, str] = {
    PlacementCategory.FOSTER: "Foster care",
    PlacementCategory.RESIDENTIAL: "Residential care",
    PlacementCategory.SUPPORTED: "Supported accommodation",
}


def category(key: str) -> str:
    """A placement category's label; a category of the vocabulary without one reads as its key."""
    return CATEGORIES.get(key, key.replace("_", " ").capitalize())


COMPANIONS = {
    LivingCompanions.NO_PREFERENCE: "No preference",
    LivingCompanions.SOLO: "Solo placement recommended",
    LivingCompanions.WITH_OTHERS: "With other children recommended",
    LivingCompanions.ONLY_OLDER: "Only with other older children",
    LivingCompanions.ONLY_YOUNGER: "Only with other younger children",
}
URGENCY = {
    Urgency.TODAY: "Today",
    Urgency.WITHIN_5_DAYS: "Within 5 days",
    Urgency.AFTER_5_DAYS: "In more than 5 days",
}
OUT_OF_LA = {r: r.value for r in OutOfLAReason}
DECLINE = {
    DeclineReason.NO_VACANCY: "No vacancy after all",
    DeclineReason.CANNOT_MEET_NEEDS: "Cannot meet the child's needs",
    DeclineReason.RISK_TO_OTHERS: "Risk to children already living here",
    DeclineReason.MATCHING_CONCERN: "Matching concern",
    DeclineReason.LOCATION: "Location",
    DeclineReason.OTHER: "Other (say why)",
}
HOME_TYPES = {
    HomeType.LA_FOSTER: "LA foster carer",
    HomeType.IFA_FOSTER: "Independent fostering agency carer",
    HomeType.KINSHIP_FOSTER: "Kinship carer",
    HomeType.CHILDRENS_HOME: "Children's home",
    HomeType.SECURE_CHILDRENS_HOME: "Secure children's home",
    HomeType.SHORT_BREAK_HOME: "Short-break home",
    HomeType.RESIDENTIAL_SPECIAL_SCHOOL: "Residential special school",
    HomeType.SUPPORTED_ACCOMMODATION: "Supported accommodation",
    HomeType.SUPPORTED_LODGINGS: "Supported lodgings",
    HomeType.PARENT_AND_CHILD: "Parent and child",
}
ETHNICITIES = {
    "WBRI": "White British", "WIRI": "White Irish", "WIRT": "Traveller of Irish heritage",
    "WOTH": "Any other White background", "WROM": "Gypsy/Roma", "MWBC": "White and Black Caribbean",
    "MWBA": "White and Black African", "MWAS": "White and Asian", "MOTH": "Any other mixed background",
    "AIND": "Indian", "APKN": "Pakistani", "ABAN": "Bangladeshi", "AOTH": "Any other Asian background",
    "BCRB": "Caribbean", "BAFR": "African", "BOTH": "Any other Black background", "CHNE": "Chinese",
    "OOTH": "Any other ethnic group", "REFU": "Refused", "NOBT": "Information not yet obtained",
}  # fmt: skip
OFFER_STATUS = {
    "pending": "Waiting for the provider",
    "accepted": "Accepted",
    "declined": "Declined",
    "withdrawn": "Withdrawn",
}
UNMET_KIND = {
    "no_eligible_home": "No eligible home",
    "no_place_left_in_run": "No place left in the matching run",
    "not_preferred_type": "Not the preferred type of home",
    "over_20_miles": "More than 20 miles from home",
    "outside_home_la": "Outside the child's home LA",
}


def label(mapping: dict, value: object) -> str:
    """The words for ``value`` (an enum member or its string), or the value itself."""
    for k, v in mapping.items():
        if k == value or getattr(k, "value", k) == value:
            return v
    return str(value)


ALL = {
    "needs": NEEDS,
    "risks": RISKS,
    "sexes": SEXES,
    "suitability": SUITABILITY,
    "companions": COMPANIONS,
    "urgency": URGENCY,
    "out_of_la": OUT_OF_LA,
    "decline": DECLINE,
    "home_types": HOME_TYPES,
    "ethnicities": ETHNICITIES,
    "offer_status": OFFER_STATUS,
    "unmet_kind": UNMET_KIND,
}
