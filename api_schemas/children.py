"""Request and response models for children, referrals and placements (pseudonymised)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from api_schemas import vocab
from api_schemas.common import Id, Orm, Patch, Timestamp
from api_schemas.vocab import (
    LivingCompanions,
    Need,
    OutOfLAReason,
    ReasonPlaceChange,
    RiskFlag,
    Sex,
    Suitability,
    Urgency,
)

ETHNIC_CODES = {
    "WBRI", "WIRI", "WIRT", "WOTH", "WROM", "MWBC", "MWBA", "MWAS", "MOTH", "AIND", "APKN", "ABAN", "AOTH",
    "BCRB", "BAFR", "BOTH", "CHNE", "OOTH", "REFU", "NOBT",
}  # fmt: skip


def _known_categories(levels: dict[str, Suitability]) -> dict[str, Suitability]:
    """Every key must be a placement category of the vocabulary (read now, not at import)."""
    known = vocab.placement_categories()
    unknown = [k for k in levels if k not in known]
    if unknown:
        raise ValueError(
            f"not a placement category: {', '.join(map(repr, unknown))} (one of {', '.join(known)})"
        )
    return levels


def _categories_schema(schema: dict[str, Any]) -> None:
    schema["propertyNames"] = {"enum": list(vocab.placement_categories())}


SuitabilityMap = Annotated[
    dict[str, Suitability],
    AfterValidator(_known_categories),
    Field(
        description="the care plan's NPS suitability per placement category, keyed by the placement-"
        "category vocabulary; a category left out is not_specified",
        json_schema_extra=_categories_schema,
        examples=[{"foster": "preferred", "residential": "suitable", "supported": "unsuitable"}],
    ),
]


def every_category(levels: dict[str, Suitability] | None) -> dict[str, Suitability]:
    """The full map, one entry per vocabulary category (not_specified where none is recorded)."""
    given = levels or {}
    return {c: Suitability(given.get(c, Suitability.NOT_SPECIFIED)) for c in vocab.placement_categories()}


class PlaceToAvoid(BaseModel):
    postcode: str = Field(min_length=2, max_length=8, description="district or sector")
    radius_miles: float = Field(gt=0, le=200)


class ChildBase(BaseModel):
    sex: Sex
    ethnicity: str | None = Field(default=None, max_length=4, description="SSDA903 ETHNIC code, e.g. WBRI")
    uasc: bool = False
    needs: list[Need] = Field(default_factory=list)
    home_postcode_sector: str = Field(
        min_length=2, max_length=8, description="postcode sector at most (NE1 4)"
    )
    school_postcode_sector: str | None = Field(default=None, min_length=2, max_length=8)
    must_keep_school: bool = False
    sibling_group: str | None = Field(default=None, max_length=40)
    suitability: SuitabilityMap = Field(default_factory=dict)
    risks: list[RiskFlag] = Field(default_factory=list, description="NPS risks recorded as 'Risk Present'")
    living_companions: LivingCompanions = LivingCompanions.NO_PREFERENCE
    places_to_avoid: list[PlaceToAvoid] = Field(default_factory=list)
    cultural_needs: str | None = Field(default=None, max_length=2000)
    communication_needs: list[str] = Field(default_factory=list)
    wishes: str | None = Field(default=None, max_length=4000, description="the child's own wishes, in words")

    @field_validator("ethnicity")
    @classmethod
    def _ethnicity(cls, v: str | None) -> str | None:
        if v is not None and v not in ETHNIC_CODES:
            raise ValueError(f"not an SSDA903 ETHNIC code: {v!r}")
        return v


def birth_month_in_childhood(v: dt.date, today: dt.date | None = None) -> dt.date:
    """A birth month from the first of the month 18 years ago to this month (a child is under 18)."""
    this_month = (today or dt.date.today()).replace(day=1)
    first = this_month.replace(year=this_month.year - 18)
    if v.replace(day=1) > this_month:
        raise ValueError("birth month may not be in the future")
    if v.replace(day=1) < first:
        raise ValueError(f"birth month may not be more than 18 years back (before {first:%Y-%m})")
    return v


class ChildIn(ChildBase):
    model_config = ConfigDict(extra="forbid")
    la_code: str = Field(description="responsible LA, GSS or DfE code")
    la_child_id: str = Field(min_length=1, max_length=40, description="the LA's own pseudonymised child ID")
    birth_month: dt.date = Field(
        description="any date in the birth month; stored as the 1st. Not in the future, nor more than "
        "18 years back (a looked-after child is under 18)"
    )

    @field_validator("birth_month")
    @classmethod
    def _birth_month_in_childhood(cls, v: dt.date) -> dt.date:
        return birth_month_in_childhood(v)


class ChildPatch(Patch):
    NOT_NULL: ClassVar[frozenset[str]] = frozenset(
        {
            "communication_needs",
            "home_postcode_sector",
            "living_companions",
            "must_keep_school",
            "needs",
            "places_to_avoid",
            "risks",
            "sex",
            "suitability",
            "uasc",
        }
    )  # NOT NULL columns (tested)
    sex: Sex | None = None
    ethnicity: str | None = Field(default=None, max_length=4)
    uasc: bool | None = None
    needs: list[Need] | None = None
    home_postcode_sector: str | None = Field(default=None, min_length=2, max_length=8)
    school_postcode_sector: str | None = Field(default=None, min_length=2, max_length=8)
    must_keep_school: bool | None = None
    sibling_group: str | None = Field(default=None, max_length=40)
    suitability: SuitabilityMap | None = Field(
        default=None, description="the categories sent change; the others stay as they are"
    )
    risks: list[RiskFlag] | None = None
    living_companions: LivingCompanions | None = None
    places_to_avoid: list[PlaceToAvoid] | None = None
    cultural_needs: str | None = Field(default=None, max_length=2000)
    communication_needs: list[str] | None = None
    wishes: str | None = Field(default=None, max_length=4000)

    _eth = field_validator("ethnicity")(ChildBase._ethnicity.__func__)  # type: ignore[attr-defined]  # pydantic re-binds a classmethod


class ChildOut(Orm, ChildBase):
    id: int
    la_code: str
    la_child_id: str
    birth_month: dt.date
    age_years: int

    @field_validator("suitability", mode="before")
    @classmethod
    def _every_category(cls, v: Any) -> dict[str, Suitability]:
        return every_category(v)


class ReferralIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    la_code: str
    child_ids: list[Id] = Field(min_length=1, max_length=8, description="one child or a sibling group")
    needed_by: Urgency
    preferred_location_local: bool = True
    out_of_la_reason: OutOfLAReason | None = None
    out_of_la_reason_other: str | None = None
    allow_split: bool = Field(default=False, description="may a sibling group be split if no home fits it")

    @model_validator(mode="after")
    def _reasons(self) -> ReferralIn:
        if not self.preferred_location_local and self.out_of_la_reason is None:
            raise ValueError("out_of_la_reason is required when preferred_location_local is false")
        if self.out_of_la_reason is OutOfLAReason.OTHER and not self.out_of_la_reason_other:
            raise ValueError("out_of_la_reason_other is required when out_of_la_reason is 'Other'")
        return self


class ReferralPatch(Patch):
    NOT_NULL: ClassVar[frozenset[str]] = frozenset(
        {"allow_split", "needed_by", "preferred_location_local", "status"}
    )  # NOT NULL columns (tested)
    needed_by: Urgency | None = None
    preferred_location_local: bool | None = None
    out_of_la_reason: OutOfLAReason | None = None
    out_of_la_reason_other: str | None = None
    allow_split: bool | None = None
    status: str | None = Field(default=None, max_length=20, pattern=r"^(open|closed)$")


class ReferralOut(Orm):
    id: int
    la_code: str
    child_ids: list[Id]
    status: str
    needed_by: Urgency
    sibling_count: int
    preferred_location_local: bool
    out_of_la_reason: OutOfLAReason | None
    out_of_la_reason_other: str | None
    allow_split: bool
    created_at: Timestamp


class PlacementCosts(BaseModel):
    weekly_core: int = Field(default=0, ge=0, le=100_000)
    weekly_additional_support: int = Field(default=0, ge=0, le=100_000)
    weekly_education: int = Field(default=0, ge=0, le=100_000)
    weekly_other: int = Field(default=0, ge=0, le=100_000)


class PlacementIn(PlacementCosts):
    model_config = ConfigDict(extra="forbid")
    child_id: Id
    home_id: Id
    referral_id: Id | None = None
    start_date: dt.date
    end_date: dt.date | None = None
    reason_ended: ReasonPlaceChange | None = None
    contract: str = Field(default="spot", max_length=12, pattern=r"^(spot|contracted|in_house)$")

    @model_validator(mode="after")
    def _dates(self) -> PlacementIn:
        if self.end_date is not None and self.end_date < self.start_date:
            raise ValueError("end_date must not be before start_date")
        return self


class PlacementPatch(Patch):
    NOT_NULL: ClassVar[frozenset[str]] = frozenset(
        {"weekly_additional_support", "weekly_core", "weekly_education", "weekly_other"}
    )  # NOT NULL columns (tested)
    end_date: dt.date | None = None
    reason_ended: ReasonPlaceChange | None = None
    weekly_core: int | None = Field(default=None, ge=0, le=100_000)
    weekly_additional_support: int | None = Field(default=None, ge=0, le=100_000)
    weekly_education: int | None = Field(default=None, ge=0, le=100_000)
    weekly_other: int | None = Field(default=None, ge=0, le=100_000)


class PlacementOut(Orm, PlacementCosts):
    id: int
    child_id: Id
    home_id: Id
    referral_id: Id | None
    start_date: dt.date
    end_date: dt.date | None
    reason_ended: ReasonPlaceChange | None
    contract: str
    weekly_total: int
