"""The NPS Placement record's shape: the controlled vocabularies (``sh:in`` lists with the context's
labels) and the properties of each node (``sh:property``), copied from ``shacl-shape.ttl`` and
``context.jsonld``; ``tests/services/test_nps.py`` checks the copies against those files.

The placementRecommendation properties come from the placement-category vocabulary
(:data:`api_schemas.vocab.NPS_SUITABILITY_PROPERTY`), read when a record is parsed or written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from api_schemas import vocab

BASE = "https://ns.socialcaredata.io/placements/"

PREFIXES = {
    "pl": BASE,
    "cln": BASE + "cultural-need#",
    "cn": BASE + "communication-need#",
    "la": BASE + "living-arrangement#",
    "pa": BASE + "pets-allowance#",
    "pt": BASE + "placement-type#",
    "pu": BASE + "placement-urgency#",
    "rl": BASE + "risk-level#",
    "sl": BASE + "suitability-level#",
    "st": BASE + "support-type#",
    "yns": BASE + "presence-status#",
    "olr": BASE + "outof-la-reason#",
}


@dataclass(frozen=True)
class Vocab:
    """One ``sh:in`` list: concept local names (in the shape's order) and the context's labels."""

    prefix: str
    concepts: tuple[str, ...]
    labels: dict[str, str]  # concept -> the label written on export (the context's term, if any)

    def label(self, concept: str) -> str:
        return self.labels.get(concept, concept)

    def resolve(self, token: str) -> tuple[str | None, bool]:
        """``(concept, exact)`` for a token; ``exact`` is False for a case-insensitive match."""
        by_label = {v: k for k, v in self.labels.items()}
        if token in by_label:
            return by_label[token], True
        if token in self.concepts:
            return token, True
        ns = PREFIXES[self.prefix]
        for start in (ns, self.prefix + ":"):
            if token.startswith(start) and token[len(start) :] in self.concepts:
                return token[len(start) :], True
        folded = " ".join(token.split()).casefold()
        for c in self.concepts:
            if folded in (c.casefold(), self.label(c).casefold()):
                return c, False
        return None, False

    def allowed(self) -> str:
        return ", ".join(repr(self.label(c)) for c in self.concepts)


# sh:in lists from shacl-shape.ttl; labels from the scoped contexts in context.jsonld.
URGENCY = Vocab("pu", ("Today", "WithinFiveDays", "MoreThanFiveDays"),
                {"WithinFiveDays": "< 5 days", "MoreThanFiveDays": "> 5 days"})  # fmt: skip
OUT_OF_LA_REASON = Vocab(
    "olr",
    ("SafeguardingConcerns", "BailConditions", "CourtOrder", "OutOfLAReasonOther"),
    {"SafeguardingConcerns": "Safeguarding concerns", "BailConditions": "Bail conditions",
     "CourtOrder": "Court order", "OutOfLAReasonOther": "Other"},
)  # fmt: skip
PRESENCE = Vocab("yns", ("Yes", "No", "NotSpecified"), {"NotSpecified": "Not Specified"})
COMMUNICATION_NEED = Vocab("cn", ("ESOL", "BSL", "Makaton", "Other", "None"), {})
CULTURAL_NEED = Vocab("cln", ("Required", "NotRequired", "NotKnown", "Other"),
                      {"NotRequired": "Not Required", "NotKnown": "Not Known"})  # fmt: skip
LIVING_ARRANGEMENT = Vocab(
    "la",
    ("SoloPlacement", "WithOtherChildren", "OnlyWithOlderChildren", "OnlyWithYoungerChildren", "NoPreference"),
    {"SoloPlacement": "Solo placement recommended", "WithOtherChildren": "With Other children recommended",
     "OnlyWithOlderChildren": "Only With Other older children",
     "OnlyWithYoungerChildren": "Only With Other younger children", "NoPreference": "No preference"},
)  # fmt: skip
PETS = Vocab("pa", ("YesMust", "YesCan", "No", "NotKnown"),
             {"YesMust": "Yes-must", "YesCan": "Yes-can", "NotKnown": "Not known"})  # fmt: skip
SUPPORT_TYPE = Vocab(
    "st",
    ("AdditionalSupervision", "TherapeuticSupport", "WorkerForRespite", "TaxisToSchool", "NotApplicable", "Other"),
    {"AdditionalSupervision": "Additional supervision", "TherapeuticSupport": "Therapeutic support",
     "WorkerForRespite": "A worker for respite", "TaxisToSchool": "Taxis to school", "NotApplicable": "NA"},
)  # fmt: skip
SUITABILITY = Vocab("sl", ("Preferred", "SuitableButNotPreferred", "Unsuitable", "NotSpecified"),
                    {"SuitableButNotPreferred": "Suitable but not preferred", "NotSpecified": "Not specified"})  # fmt: skip
RISK_LEVEL = Vocab(
    "rl", ("NoKnownRisk", "RiskPresent"), {"RiskPresent": "Risk Present", "NoKnownRisk": "No known risk"}
)
PLACEMENT_TYPE = Vocab("pt", ("Foster", "Residential", "SupportedAccommodation"),
                       {"SupportedAccommodation": "Supported Accommodation"})  # fmt: skip

RISKS = (
    "riskSelfHarm", "riskCriminalExploitation", "riskDrugAlcohol", "riskEatingDisorder", "riskMissing",
    "riskSexualExploitation", "riskToOthersPhysical", "riskToOthersSexual", "riskToOthersFire",
    "riskToOthersAnimals", "riskToOthersCriminal",
)  # fmt: skip

# Pattern and bounds from shacl-shape.ttl (ActualPlacementShape).
POSTCODE_PREFIX = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]?$")
COST_MIN, COST_MAX = Decimal(100), Decimal(100_000)
COST_COMPONENTS = ("coreWeeklyCost", "additionalSupportWeeklyCost", "educationWeeklyCost", "otherWeeklyCost")


@dataclass(frozen=True)
class Prop:
    """One ``sh:property``: ``kind`` is str | bool | nonneg | decimal | date | a Vocab."""

    name: str
    kind: Any
    min: int = 0
    max: int | None = 1  # None: multi-valued


def _p(name: str, kind: Any, required: bool = False, many: bool = False) -> Prop:
    return Prop(name, kind, 1 if required else 0, None if many else 1)


NODES: dict[str, tuple[str, tuple[Prop, ...]]] = {
    # property of Placement -> (class, its properties)
    "placementAvailability": ("PlacementAvailability", (
        _p("neededBy", URGENCY, True), _p("siblingCount", "nonneg"), _p("isPreferredLocationLocal", "bool", True),
        _p("outOfLAReason", OUT_OF_LA_REASON), _p("outOfLAReasonOther", "str", many=True),
    )),
    "placementRequirements": ("PlacementRequirements", (
        _p("communicationNeeds", PRESENCE, True),
        Prop("specificCommunicationRequirement", COMMUNICATION_NEED, 1, None),
        _p("specificCommunicationRequirementOther", "str", many=True),
        _p("homeAdaptationRequired", "bool"),
        _p("culturalNeeds", CULTURAL_NEED, True), _p("culturalNeedsOther", "str", many=True),
        _p("livingCompanions", LIVING_ARRANGEMENT, True), _p("pets", PETS, True),
        _p("additionalSupport", SUPPORT_TYPE, many=True), _p("additionalSupportOther", "str", many=True),
        _p("deprivationOfLiberty", "bool"),
    )),
    "placementRecommendation": ("PlacementRecommendation", ()),  # node_props: from the vocabulary
    # riskOther / riskToOthersOther are in the ontology and the specification, not the shape
    "riskAssessment": ("RiskAssessment", (
        *(_p(r, RISK_LEVEL, True) for r in RISKS), _p("riskOther", "str", many=True),
        _p("riskToOthersOther", "str", many=True),
    )),
    "actualPlacement": ("ActualPlacement", (
        _p("placementType", PLACEMENT_TYPE, True), _p("providerURN", "str", True),
        _p("placementLocation", "str", True), _p("isLocationPreferred", "bool", True),
        _p("isEducationContinuous", "bool", True), _p("siblingsPlacedTogether", "nonneg", True),
        _p("totalWeeklyCost", "decimal", True), *(_p(c, "decimal") for c in COST_COMPONENTS),
    )),
    "qualityAssurance": ("QualityAssurance", (
        _p("referralDate", "date", True), _p("referralOfficerName", "str"), _p("placementDate", "date", True),
        _p("placementOfficerName", "str", True), _p("costDate", "date", True), _p("costOfficerName", "str"),
    )),
}  # fmt: skip
REQUIRED_NODES = ("placementAvailability", "placementRequirements", "placementRecommendation",
                  "riskAssessment", "qualityAssurance")  # fmt: skip

# (node, controlled property, its 'Other' concept, the paired free-text property)
OTHER_PAIRINGS = (
    ("placementAvailability", "outOfLAReason", "OutOfLAReasonOther", "outOfLAReasonOther"),
    ("placementRequirements", "culturalNeeds", "Other", "culturalNeedsOther"),
    (
        "placementRequirements",
        "specificCommunicationRequirement",
        "Other",
        "specificCommunicationRequirementOther",
    ),
    ("placementRequirements", "additionalSupport", "Other", "additionalSupportOther"),
)


def node_props(name: str) -> tuple[str, tuple[Prop, ...]]:
    """``(class, properties)`` of a node; placementRecommendation's are one required suitability
    property per placement category of the vocabulary."""
    if name == "placementRecommendation":
        props = tuple(_p(prop, SUITABILITY, True) for prop in vocab.nps_suitability_properties())
        return NODES[name][0], props
    return NODES[name]
