"""Forecasts, the demand-vs-supply gap and backtests: request and response shapes.

Placement categories of the forecast (coarse SSDA903 groups): ``fostering``, ``residential``
(children's homes, residential schools, secure), ``supported`` (semi-independent and independent
living), ``other`` (placed with parents, placed for adoption, NHS, custody, temporary). Scenario
keys also accept the fine categories (``fostering_kinship``, ``fostering_inhouse``,
``fostering_agency``, ``residential``, ``secure``, ``supported``, ``other``) and ``*``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api_schemas.common import Id, Orm, Timestamp

AgeBand = Literal["under_1", "1_to_4", "5_to_9", "10_to_15", "16_to_17"]
Category = Literal[
    "fostering",
    "residential",
    "supported",
    "other",
    "fostering_kinship",
    "fostering_inhouse",
    "fostering_agency",
    "secure",
    "*",
]
Multiplier = Field(ge=0, le=10)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TransitionIn(_Strict):
    from_: Category = Field(alias="from", description="placement category moved from")
    to: Category = Field(description="placement category moved to")
    multiplier: float = Multiplier

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ScenarioIn(_Strict):
    """A what-if: multipliers on the fitted rates (1 = unchanged). Maps onto ``forecasting.Scenario``."""

    name: str = Field("scenario", max_length=80)
    entry_multiplier: float = Field(1.0, ge=0, le=10, description="all new entrants")
    entry_by_age: dict[AgeBand, float] = Field(
        default_factory=dict, description='entrants by age band at entry, e.g. {"10_to_15": 1.1}'
    )
    entry_by_placement: dict[Category, float] = Field(
        default_factory=dict, description="entrants by first placement category"
    )
    exit_multiplier: float = Field(1.0, ge=0, le=10, description="every hazard of leaving care")
    exit_by_age: dict[AgeBand, float] = Field(default_factory=dict)
    exit_by_placement: dict[Category, float] = Field(default_factory=dict)
    transitions: list[TransitionIn] = Field(
        default_factory=list,
        max_length=50,
        description='moves between placements, e.g. {"from": "residential", "to": "fostering", '
        '"multiplier": 2} = step-down doubles',
    )
    la_codes: list[str] | None = Field(
        None, max_length=20, description="apply to these LAs only (GSS or DfE codes); default all"
    )
    uasc_monthly_arrivals: dict[str, float] = Field(
        default_factory=dict,
        max_length=50,
        description='UASC arriving per month by LA (GSS or DfE code, or "*" for every LA), replacing the '
        'fitted arrivals, e.g. national transfer scheme transfers: {"E08000021": 2}',
    )
    uasc_quota: dict[str, float] = Field(
        default_factory=dict,
        max_length=50,
        description='most UASC in care an LA takes (GSS or DfE code, or "*"), e.g. the NTS threshold '
        "of 0.1% of its child population; no UASC arrive while it is reached",
    )

    @model_validator(mode="after")
    def _multipliers_in_range(self) -> ScenarioIn:
        for name in ("entry_by_age", "entry_by_placement", "exit_by_age", "exit_by_placement"):
            for key, value in getattr(self, name).items():
                if not 0 <= value <= 10:
                    raise ValueError(f"{name}[{key}] must be between 0 and 10")
        for name, top in (("uasc_monthly_arrivals", 1000), ("uasc_quota", 100_000)):
            for key, value in getattr(self, name).items():
                if not 0 <= value <= top:
                    raise ValueError(f"{name}[{key}] must be between 0 and {top}")
        return self


class ForecastIn(_Strict):
    rcc_id: Id | None = Field(None, description="forecast every member LA of this RCC (and the RCC total)")
    la_code: str | None = Field(None, description="or forecast one LA (GSS or DfE code)")
    horizon_months: int = Field(12, ge=1, le=36)
    levels: list[int] = Field(
        default_factory=lambda: [80, 95],
        min_length=1,
        max_length=4,
        description="central prediction-interval levels (%); 80 and 95 are always included",
    )
    scenario: ScenarioIn | None = None
    n_sims: int = Field(500, ge=50, le=2000, description="Monte Carlo draws")
    inflation: float = Field(
        0.03, ge=-0.5, le=0.5, description="annual fee inflation for the cost projection"
    )
    seed: int = Field(0, ge=0, le=2**31 - 1)

    @model_validator(mode="after")
    def _one_scope(self) -> ForecastIn:
        if (self.rcc_id is None) == (self.la_code is None):
            raise ValueError("give exactly one of rcc_id or la_code")
        for lv in self.levels:
            if not 50 <= lv <= 99:
                raise ValueError("levels must be between 50 and 99")
        return self


class ForecastRow(BaseModel):
    la: str = Field(description="GSS code, or 'RCC' for the total of the LAs forecast")
    age_band: str = Field(description="an age band, or 'all'")
    placement: str = Field(description="a placement category, or 'all'")
    period: dt.date = Field(description="month end")
    mean: float
    lo_80: float
    hi_80: float
    lo_95: float
    hi_95: float

    model_config = ConfigDict(extra="allow")  # lo_/hi_ of any extra level


class CostRow(BaseModel):
    la: str
    placement: str
    period: dt.date
    weekly_fee: float | None = Field(description="median weekly fee used (GBP, before inflation)")
    fee_source: str = Field(description="la | rcc | none (category not costed)")
    weekly_cost_mean: float | None
    annual_cost_mean: float | None
    annual_cost_lo_80: float | None
    annual_cost_hi_80: float | None


class CoverageNote(BaseModel):
    """Whether a member LA's returns cover the forecast's origin (from ``forecasting``'s
    ``coverage_notes``, plus ``no_returns`` for an LA with no stored return)."""

    la: str
    la_name: str | None = None
    status: str = Field(
        description="covered | missing (latest return ends before the origin while other LAs' do not: "
        "left out) | behind (every LA's returns end before the origin) | unknown | no_returns"
    )
    covered_to: dt.date | None = Field(description="end of the LA's latest return")
    last_recorded: dt.date | None = Field(None, description="latest start or end date in its episodes")
    in_forecast: bool = Field(description="false: not forecast and not in the scope's totals")
    note: str


class ForecastResult(BaseModel):
    scope: dict[str, Any]
    origin: dt.date
    horizon_months: int
    levels: list[int]
    n_sims: int
    scenario: dict[str, Any] | None
    children_at_origin: dict[str, int]
    lookback_days: int
    runtime_s: float
    forecast: list[ForecastRow]
    costs: list[CostRow]
    inflation: float
    notes: list[str] = Field(description="the first says which LAs are missing or stale, if any")
    coverage: list[CoverageNote] = Field(default_factory=list, description="per member LA")
    covered_las: list[str] = Field(
        default_factory=list, description="the LAs forecast: the RCC rows are their sum"
    )


class ForecastJobOut(Orm):
    id: str
    kind: str
    status: str = Field(description="queued | running | succeeded | failed | cancelled")
    params: dict[str, Any]
    error: str | None
    created_at: Timestamp
    started_at: Timestamp | None
    finished_at: Timestamp | None
    result: ForecastResult | None = None


# ---------------------------------------------------------------- gap


class GapRow(BaseModel):
    la: str
    la_name: str
    category: str = Field(description="fostering | residential | supported | other")
    projected_mean: float | None = Field(description="children projected at the horizon (mean)")
    projected_hi_80: float | None = Field(description="upper end of the 80% interval: the prudent figure")
    required: int | None = Field(description="ceil(projected_hi_80): places the prudent plan needs")
    registered_places: int = Field(description="places in active homes of this category located in the LA")
    occupied_places: int
    free_places: int
    vacancies: int = Field(description="places offered in current vacancy notices")
    available: int = Field(description="places counted against the requirement (registered places)")
    to_commission: int | None = Field(description="max(0, required - available); none for 'other'")
    weekly_fee: float | None = Field(description="median weekly fee (GBP) used for the cost")
    fee_source: str
    weekly_cost_mean: float | None
    weekly_cost_hi_80: float | None
    annual_cost_mean: float | None
    annual_cost_hi_80: float | None


class UnmetNeedRow(BaseModel):
    la: str
    la_name: str
    no_eligible_home: int
    not_preferred_type: int
    over_20_miles: int
    total: int


class FeeRow(BaseModel):
    la: str
    home_type: str
    category: str
    homes: int
    median_weekly_fee: float


class ForecastSource(BaseModel):
    kind: Literal["job", "computed", "none"]
    job_id: str | None = None
    n_sims: int | None = None
    origin: dt.date | None = None
    period: dt.date | None = Field(None, description="the horizon's month end the gap is measured at")


class GapOut(BaseModel):
    headline: str = Field(
        description="the figure in words, with what it is built on when incomplete: the LAs with no "
        "returns and the origin date when stale"
    )
    data_coverage: dict[str, Any] = Field(
        description="las_total, las_with_returns, las_missing ([{code, name}]), origin, origin_age_days, "
        "stale, complete"
    )
    scope: dict[str, Any]
    horizon_months: int
    inflation: float
    forecast: ForecastSource
    rule: str
    rows: list[GapRow]
    totals: list[GapRow] = Field(description="the whole scope by category (la = 'RCC' or the LA)")
    unmet_need: list[UnmetNeedRow]
    unmet_need_available: bool = Field(description="false when the matching tables do not exist")
    fees: list[FeeRow]
    notes: list[str]
    coverage: list[CoverageNote] = Field(
        default_factory=list, description="per member LA: does the forecast cover it (see notes[0])"
    )
    covered_las: list[str] = Field(
        default_factory=list, description="the LAs the projected totals cover (all LAs when no forecast)"
    )


# ---------------------------------------------------------------- backtest


class BacktestIn(_Strict):
    rcc_id: Id | None = None
    la_code: str | None = None
    horizon_months: int = Field(12, ge=1, le=24)
    n_windows: int = Field(4, ge=1, le=8)
    step_months: int = Field(12, ge=1, le=24)
    n_sims: int = Field(500, ge=50, le=2000)

    @model_validator(mode="after")
    def _one_scope(self) -> BacktestIn:
        if (self.rcc_id is None) == (self.la_code is None):
            raise ValueError("give exactly one of rcc_id or la_code")
        return self


class BacktestRow(BaseModel):
    method: str
    wape: float | None = Field(description="sum |actual - forecast| / sum actual over all cells and origins")
    total_abs_error: float | None = Field(description="mean absolute relative error of the total per origin")
    coverage_80: float | None
    coverage_95: float | None
    runtime_s: float
    cells: int


class BacktestResult(BaseModel):
    scope: dict[str, Any]
    origins: list[dt.date]
    horizon_months: int
    table: list[BacktestRow]
    per_origin: dict[str, Any]
    notes: list[str]


class BacktestJobOut(Orm):
    id: str
    kind: str
    status: str
    params: dict[str, Any]
    error: str | None
    created_at: Timestamp
    started_at: Timestamp | None
    finished_at: Timestamp | None
    result: BacktestResult | None = None
