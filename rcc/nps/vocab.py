"""The mapping between NPS record fields and the register's columns (shared by import and export)."""

from __future__ import annotations

from api_schemas.nps import COST_COMPONENTS, RISKS
from api_schemas.vocab import PlacementCategory, nps_suitability_properties

EXT = "rcc:extension"


SUITABILITY_MAP = {
    "Preferred": "preferred",
    "SuitableButNotPreferred": "suitable",
    "Unsuitable": "unsuitable",
    "NotSpecified": "not_specified",
}


LIVING_MAP = {
    "SoloPlacement": "solo",
    "WithOtherChildren": "with_others",
    "OnlyWithOlderChildren": "only_older",
    "OnlyWithYoungerChildren": "only_younger",
    "NoPreference": "no_preference",
}


TYPE_CATEGORY = {
    "Foster": PlacementCategory.FOSTER,
    "Residential": PlacementCategory.RESIDENTIAL,
    "SupportedAccommodation": PlacementCategory.SUPPORTED,
}


COST_COLUMNS = dict(
    zip(
        COST_COMPONENTS,
        ("weekly_core", "weekly_additional_support", "weekly_education", "weekly_other"),
        strict=True,
    )
)


def owned(node: str) -> set[str]:
    """Properties of ``node`` the register's columns own; everything else of the record is kept in
    NpsRecordRow.standard. The suitability properties follow the placement-category vocabulary."""
    return {
        "placementAvailability": {"neededBy", "siblingCount", "isPreferredLocationLocal", "outOfLAReason"},
        "placementRequirements": {"livingCompanions"},
        "placementRecommendation": set(nps_suitability_properties()),
        "riskAssessment": set(RISKS),
    }.get(node, set())


OPEN = ("open", "offered")


NULLABLE = {"ethnicity", "school_postcode_sector", "sibling_group", "wishes", "cultural_needs"}
