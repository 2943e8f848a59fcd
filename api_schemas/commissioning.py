"""Commissioning intelligence and market oversight: the shapes the API publishes.

Every figure carries its own ``suppressed`` flag and ``caveat``: a figure based on fewer than 5
placements or children is suppressed (value ``null``; ``c`` in CSV and HTML), as official
statistics do. Money is whole pounds per week; distances are straight-line miles.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api_schemas.common import Id, Timestamp


class Summary(BaseModel):
    """Median and interquartile range (q1-q3) with the mean; all null when suppressed."""

    n: int | None = Field(description="values the figure rests on; null when suppressed (1-4)")
    median: float | None
    q1: float | None = Field(description="lower quartile (25%)")
    q3: float | None = Field(description="upper quartile (75%)")
    mean: float | None
    suppressed: bool
    caveat: str | None


class Count(BaseModel):
    value: int | None = Field(description="null when suppressed (1-4)")
    suppressed: bool
    caveat: str | None


class Share(BaseModel):
    numerator: int | None
    denominator: int | None
    percent: float | None
    suppressed: bool
    caveat: str | None


class Report(BaseModel):
    rcc_id: Id
    rcc_name: str
    la_code: str | None = Field(description="set when the figures cover one member LA only")
    la_name: str | None
    generated_at: str
    source: str
    caveats: list[str]
    method: list[str]


class PeriodReport(Report):
    period_start: dt.date
    period_end: dt.date


# ---------------------------------------------------------------- cost of care


class CostRow(BaseModel):
    dimension: str = Field(description="all | home_type | la | provider | owner_group | sector | contract")
    group: str
    label: str
    core: Summary
    additional_support: Summary
    education: Summary
    other: Summary
    total: Summary


class LaComparison(BaseModel):
    la_code: str
    la_name: str
    home_type: str = Field(description="'all' or one home type")
    la_total: Summary
    rcc_total: Summary
    difference: float | None = Field(description="LA median minus RCC median, £ a week")
    ratio: float | None = Field(description="LA median / RCC median")
    caveat: str | None


class TrendPoint(BaseModel):
    quarter: str
    quarter_end: dt.date
    category: str = Field(description="all | foster | residential | supported")
    total: Summary


class SpendBlock(BaseModel):
    placements: int
    weekly: int = Field(description="GBP a week: the sum of the agreed weekly costs")
    annualised: int = Field(description="GBP a year: weekly x 52.18")


class SpendByCategory(SpendBlock):
    category: str


class SpendByLa(SpendBlock):
    la_code: str
    la_name: str


class TotalSpend(SpendBlock):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"as_of": "2026-11-30", "placements": 517, "weekly": 2450000, "annualised": 127838000,
                 "by_category": [{"category": "foster", "placements": 300, "weekly": 300000, "annualised": 15653000}],
                 "by_la": [{"la_code": "E06000001", "la_name": "Hartlepool", "placements": 40, "weekly": 190000,
                            "annualised": 9913000}],
                 "method": "..."}
            ]
        }
    )  # fmt: skip

    as_of: dt.date = Field(description="placements open on this day (the period's end) are counted")
    by_category: list[SpendByCategory]
    by_la: list[SpendByLa]
    method: str


class CostOfCareOut(PeriodReport):
    placements: Count
    spend: TotalSpend = Field(description="total spend: weekly and annualised")
    rows: list[CostRow]
    la_vs_rcc: list[LaComparison]
    trend: list[TrendPoint]


# ---------------------------------------------------------------- concentration


class GroupShare(BaseModel):
    owner_group: str
    places: int
    share_percent: float


class ConcentrationArea(BaseModel):
    area: str
    area_code: str = Field(description="an LA's GSS code, or 'rcc' for the RCC's whole area")
    category: str = Field(description="all | foster | residential | supported")
    places: int
    owner_groups: int
    hhi: float = Field(description="Herfindahl-Hirschman index on percentage shares, 0-10,000")
    level: str | None
    top_groups: list[GroupShare]


class Thresholds(BaseModel):
    moderate: int
    high: int


class ConcentrationOut(Report):
    thresholds: Thresholds
    areas: list[ConcentrationArea]


# ---------------------------------------------------------------- financial oversight


class ChildRef(BaseModel):
    child_id: Id = Field(description="the register's pseudonymous child id")
    la_code: str


class OversightProvider(BaseModel):
    provider_id: Id
    provider_name: str
    owner_group: str
    sector: str
    risk_rating: str | None
    contingency_plan_held: bool
    contingency_plan_date: dt.date | None
    contingency_plan_review_due: bool = Field(
        description="none held, undated, or reviewed over 12 months ago"
    )
    homes_in_area: int
    places_in_area: int
    children: list[ChildRef]


class OversightOut(Report):
    as_of: dt.date
    providers: list[OversightProvider]


# ---------------------------------------------------------------- stability, outcomes, equality


class Measures(BaseModel):
    children_placed_at_end: Count
    residential_at_end: Share
    miles_from_home_at_end: Summary
    new_placements: Count
    new_over_20_miles: Share
    new_miles_from_home: Summary
    three_plus_placements: Share
    days_referral_to_placement: Summary


class EndingReason(BaseModel):
    reason: str = Field(description="SSDA903 REASON_PLACE_CHANGE code, or 'not recorded'")
    count: Count
    share: Share


class DfeShare(BaseModel):
    year: int | None
    new_placements: int | None = None
    over_20_miles: int | None = None
    percent: float | None
    lower_bound: bool
    caveat: str | None


class OverallMeasures(Measures):
    placements_in_year_distribution: dict[str, Count]
    endings: Count
    endings_by_reason: list[EndingReason]
    waits_excluded_negative: int
    dfe_over_20_miles: DfeShare


class LaOutcome(BaseModel):
    la_code: str
    la_name: str
    new_placements: Count
    new_over_20_miles: Share
    dfe_over_20_miles: DfeShare
    three_plus_placements: Share
    days_referral_to_placement: Summary


class OutcomesOut(PeriodReport):
    year_start: dt.date
    overall: OverallMeasures
    by_la: list[LaOutcome]


class EqualityGroup(Measures):
    dimension: str = Field(description="ethnicity | disability | uasc | age_band")
    group: str


class EqualityOut(PeriodReport):
    year_start: dt.date
    groups: list[EqualityGroup]


# ---------------------------------------------------------------- stress test


class StressTestIn(BaseModel):
    rcc_id: Id
    owner_group: str = Field(min_length=1, max_length=200, description="the owner group that stops trading")
    as_of: dt.date | None = Field(default=None, description="the date whose placements are tested; today")
    time_limit_s: float = Field(default=30.0, ge=1, le=600, description="the optimiser's time limit")
    capacity: Literal["vacancies", "registered"] = Field(
        default="vacancies",
        description="free places as the matching service counts them (capped by declared vacancies), "
        "or every registered place not taken",
    )


class MeanMedian(BaseModel):
    n: int
    mean: float | None
    median: float | None


class SiblingOutcome(BaseModel):
    groups: int = Field(description="affected sibling groups of 2 or more")
    together_before: int
    together_after: int
    split_after: int
    unplaced: int = Field(description="groups with at least one child not re-placed")


class HomeTypeStress(BaseModel):
    home_type: str
    places_removed: int
    affected_children_from_type: int
    spare_places_after_exit: int
    used_by_re_placements: int
    spare_places_remaining: int
    utilisation_percent: float | None
    exhausted: bool


class StressChild(BaseModel):
    child_id: Id
    la_code: str
    sibling_group: bool
    before_home_id: Id
    before_home_type: str
    before_miles: float
    before_weekly_cost: int
    outcome: str = Field(description="re-placed | unplaced")
    after_home_id: Id | None
    after_home_type: str | None
    after_miles: float | None
    after_weekly_cost: int | None
    reasons: list[str]


class StressReport(BaseModel):
    rcc_id: Id
    rcc_name: str
    owner_group: str
    as_of: dt.date
    capacity: str
    providers_in_group: int
    homes_removed_in_area: int
    places_removed_in_area: int
    other_las_children_in_group_homes_in_area: int
    affected: int
    referrals: int
    re_placed: int
    unplaced: int
    distance_before_all: MeanMedian
    distance_before_re_placed: MeanMedian
    distance_after_re_placed: MeanMedian
    over_20_miles_before_re_placed: int
    over_20_miles_after_re_placed: int
    weekly_cost_before_all: int
    weekly_cost_before_re_placed: int
    weekly_cost_after_re_placed: int
    weekly_cost_change: int
    weekly_cost_change_percent: float | None
    siblings: SiblingOutcome
    home_types: list[HomeTypeStress]
    exhausted_first: list[str]
    solver: dict[str, str | float | int | None]
    children: list[StressChild]
    caveats: list[str]
    method: list[str]


class StressTestJob(BaseModel):
    id: str
    status: str = Field(description="queued | running | succeeded | failed | cancelled")
    params: dict
    error: str | None
    created_at: Timestamp
    started_at: Timestamp | None
    finished_at: Timestamp | None
    report: StressReport | None
