"""Request and response models for matching: policy, shortlists, choices, runs, offers, unmet need."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api_schemas.common import Id, Orm, Timestamp
from api_schemas.vocab import DeclineReason

# ---------------------------------------------------------------- policy


class MatchingPolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    overrides: dict[str, Any] = Field(
        default_factory=dict,
        description=(
            'fields of matching.Policy to change, e.g. {"points_per_mile": 12}; pairs such as '
            "urgency_extra_per_child or median_weekly_fee are given as an object keyed by value "
            '({"Today": 10000}). Replaces the previous overrides; {} restores the defaults.'
        ),
    )


class MatchingPolicyOut(BaseModel):
    rcc_id: Id
    overrides: dict[str, Any]
    effective: dict[str, Any] = Field(description="every weight in force: defaults with overrides applied")
    defaults: dict[str, Any]


# ---------------------------------------------------------------- shortlist and choices


class ContributionOut(BaseModel):
    term: str
    points: int
    text: str
    child_id: Id | None = None


class ShortlistEntryOut(BaseModel):
    rank: int
    home_id: Id
    home_name: str
    home_type: str
    provider_id: Id
    la_code: str
    free_places: int
    weekly_fee: int
    points: int
    miles: float
    contributions: list[ContributionOut]
    explanation: list[str] = Field(description="each factor's contribution in plain words, largest first")


class ShortlistOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "referral_id": 12,
                    "policy_rcc_id": 1,
                    "homes_considered": 492,
                    "eligible_total": 8,
                    "excluded_total": 484,
                    "excluded": {"age_range": 300, "needs_met": 184},
                    "summary": "8 eligible homes of 492; lower points are better",
                    "points_note": "points are penalties: lower is better; 0 is a perfect match",
                    "factor_order": ["distance", "outside_home_la", "school"],
                    "entries": [],
                    "elapsed_ms": 41.2,
                }
            ]
        }
    )

    referral_id: Id
    policy_rcc_id: Id | None = Field(description="the RCC whose policy scored it (None: library defaults)")
    homes_considered: int
    eligible_total: int
    excluded_total: int
    excluded: dict[str, int] = Field(description="homes excluded per hard rule (first rule failed)")
    summary: str
    points_note: str = Field(
        default="points are penalties: lower is better; 0 is a perfect match",
        description="how to read `points`",
    )
    factor_order: list[str] = Field(
        default_factory=list, description="the soft factors in order of weight (heaviest first)"
    )
    entries: list[ShortlistEntryOut]
    elapsed_ms: float


class ChoiceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    home_ids: dict[int, int] = Field(
        min_length=1, description="child id -> home id, one entry per child of the referral"
    )


class ViolationOut(BaseModel):
    rule: str
    home_id: Id | None
    child_id: Id | None
    reason: str


class ScoredAssignment(BaseModel):
    home_ids: dict[int, int]
    ok: bool
    objective: int
    violations: list[ViolationOut]
    violations_by_rule: dict[str, list[str]]
    contributions: list[ContributionOut]


class ChoiceOut(BaseModel):
    referral_id: Id
    choice: ScoredAssignment
    best: ScoredAssignment | None = Field(description="the optimiser's proposal for this referral alone")
    best_status: str
    difference: int | None = Field(description="choice objective minus best objective (positive: worse)")
    summary: str


# ---------------------------------------------------------------- runs


class MatchingRunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rcc_id: Id
    time_limit_s: float | None = Field(
        default=None,
        gt=0,
        le=600,
        description="solver time limit, seconds (default: RCC_MATCHING_TIME_LIMIT_S)",
    )
    referral_ids: list[Id] | None = Field(
        default=None, max_length=5000, description="only these open referrals (default: all open in the RCC)"
    )
    la_codes: list[str] | None = Field(
        default=None, max_length=20, description="only open referrals of these member LAs"
    )


class MatchingRunOut(Orm):
    id: str
    status: str
    params: dict[str, Any]
    error: str | None
    cancel_requested: bool
    created_at: Timestamp
    started_at: Timestamp | None
    finished_at: Timestamp | None


class PlacementProposal(BaseModel):
    child_id: Id
    home_id: Id


class AssignmentOut(BaseModel):
    referral_id: Id
    la_code: str
    placements: list[PlacementProposal]
    split: bool
    points: int
    contributions: list[ContributionOut]


class UnusedHomeOut(BaseModel):
    home_id: int
    reason: str = Field(
        description="taken | too_few_places | split_not_allowed | split_incomplete | worse_than_unplaced | not_proven"
    )
    free_after: int = Field(description="the home's free places left after this run's plan")
    children: int = Field(description="how many of the group the home could take by the hard rules")
    taken_by: list[int] = Field(description="referrals this run's plan placed in the home")
    points: int | None
    text: str


class UnmatchedOut(BaseModel):
    referral_id: Id
    la_code: str
    points: int
    reasons: list[str]
    homes: list[UnusedHomeOut] = Field(
        default_factory=list,
        description="why not placed: each eligible home not used and why, true of this run's plan (at most 20)",
    )


class ExcludedOut(BaseModel):
    kind: str = Field(description="referral | home")
    id: int
    la_code: str | None = Field(default=None, description="the referral's LA")
    field: str = Field(description="the unusable field, e.g. children[0].age_years")
    reason: str


class MatchingRunResult(BaseModel):
    run_id: str
    rcc_id: Id
    status: str = Field(description="optimal | feasible | infeasible | timed_out")
    objective: int | None
    bound: float | None
    gap: float | None
    referrals_considered: int
    homes_considered: int
    children_placed: int
    assignments: list[AssignmentOut]
    unmatched: list[UnmatchedOut]
    excluded: list[ExcludedOut] = Field(
        default_factory=list, description="records left out of the run as unusable, with the field and why"
    )
    stats: dict[str, Any]


# ---------------------------------------------------------------- offers


class OfferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    referral_id: Id
    home_id: Id | None = Field(default=None, description="one home for every child of the referral")
    home_ids: dict[int, int] | None = Field(default=None, description="child id -> home id")
    matching_run_id: str | None = Field(default=None, max_length=36)

    @model_validator(mode="after")
    def _one_form(self) -> OfferIn:
        if (self.home_id is None) == (self.home_ids is None):
            raise ValueError("give either home_id or home_ids")
        return self


class OfferChildOut(Orm):
    child_id: Id
    home_id: Id


class OfferOut(Orm):
    id: int
    referral_id: Id
    provider_id: Id
    status: str
    matching_run_id: str | None
    children: list[OfferChildOut]
    decline_reason: DeclineReason | None
    decline_text: str | None
    start_date: dt.date | None
    weekly_core: int | None
    weekly_additional_support: int | None
    weekly_education: int | None
    weekly_other: int | None
    created_at: Timestamp
    decided_at: Timestamp | None
    placement_ids: list[Id] = Field(default_factory=list)


class WithdrawIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "the child's care plan changed"}]}
    )
    reason: str | None = Field(default=None, max_length=4000, description="why, in words (optional)")


class ChildProfileOut(BaseModel):
    """What a provider may know about a child offered to it: nothing that identifies the child."""

    age_band: str = Field(description="e.g. '13-15'")
    sex: str
    needs: list[str]
    risks: list[str]
    siblings: int = Field(description="how many siblings are referred with the child")
    uasc: bool
    communication_needs: list[str]
    cultural_needs: str | None
    wishes: str | None = Field(description="the child's wishes in their own words")
    home_type_suitability: dict[str, str]


class OfferProfileOut(BaseModel):
    offer_id: int
    referral_id: int
    needed_by: str
    children: list[ChildProfileOut]


class AcceptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start_date: dt.date
    weekly_core: int = Field(ge=0, le=100_000, description="weekly price per child, whole pounds")
    weekly_additional_support: int = Field(default=0, ge=0, le=100_000)
    weekly_education: int = Field(default=0, ge=0, le=100_000)
    weekly_other: int = Field(default=0, ge=0, le=100_000)


class DeclineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: DeclineReason
    text: str | None = Field(default=None, max_length=4000)

    @model_validator(mode="after")
    def _other(self) -> DeclineIn:
        if self.reason is DeclineReason.OTHER and not (self.text or "").strip():
            raise ValueError("text is required when reason is 'other'")
        return self


# ---------------------------------------------------------------- unmet need


class UnmetNeedOut(Orm):
    id: int
    referral_id: Id
    la_code: str
    child_id: Id | None
    kind: str
    detail: str
    distance_miles: float | None
    recorded_at: Timestamp
    matching_run_id: str | None
    offer_id: Id | None
