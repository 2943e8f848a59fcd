"""Sufficiency: forecasts of children looked after, demand against the register's supply, backtests.

Forecasts
---------
A forecast is a persisted job (kind ``forecast``). It reads the LAs' stored SSDA903 returns
(:func:`rcc.services.returns.current_episodes`), fits :class:`forecasting.MultiStateForecaster`
at the *origin* -- 31 March ending the latest collection year stored, the date up to which the
returns are complete -- and simulates ``horizon_months`` month ends ahead, optionally under a
what-if :class:`forecasting.Scenario`. The result is the long-format forecast (LA x age band x
coarse placement category x month, with ``all`` totals; for an RCC also the ``RCC`` rows, the
LAs summed draw by draw so means add up exactly) and a cost projection from the register's fees.

Gap
---
:func:`gap` sets the forecast at the horizon against the register's homes located in each LA
(see :data:`GAP_RULE`). The forecast is the latest succeeded baseline (no scenario) forecast job
for the same scope and horizon; if there is none, it is computed synchronously with
:data:`SYNC_N_SIMS` draws and a fixed :data:`SYNC_LOOKBACK_DAYS` lookback (well under a second
for a region's returns; run a forecast job for the full-precision figures).

Costs: the median weekly fee (core + additional support + education + other) of active homes by
home type and LA, grouped to the forecast's categories; where an LA has no priced home of a
category, the RCC's median for the category; fees of 0 are treated as not recorded. Fees are
inflated by ``inflation`` a year (default :data:`DEFAULT_INFLATION`) from the origin.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import html
import io
import logging
import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

import forecasting as fc
from api_schemas.forecasts import BacktestIn, ForecastIn, ScenarioIn
from api_schemas.vocab import HOME_TYPE_CATEGORY, HomeType
from rcc import jobs
from rcc.auth import Principal, Role
from rcc.db.models import (
    Home,
    Job,
    LocalAuthority,
    Rcc,
    RccMember,
    SufficiencyReturn,
    UnmetNeedRecord,
    Vacancy,
)
from rcc.errors import Conflict, Forbidden, Invalid, NotFound
from rcc.services.common import get_or_404, resolve_la
from rcc.services.register import occupied_subquery
from rcc.services.returns import current_episodes, episodes_as_of_returns
from rcc.sufficiency import coverage

log = logging.getLogger(__name__)

FORECAST_KIND = "forecast"
BACKTEST_KIND = "forecast_backtest"
REGION = fc.REGION  # label of the RCC-total rows
CATEGORIES: tuple[str, ...] = tuple(fc.COARSE_CATEGORIES)  # fostering, residential, supported, other
COMMISSIONED = ("fostering", "residential", "supported")  # categories the register's homes provide
REGISTER_TO_FORECAST = {"foster": "fostering", "residential": "residential", "supported": "supported"}
DEFAULT_INFLATION = 0.03
SYNC_N_SIMS = 200
SYNC_LOOKBACK_DAYS = 730
UNMET_KINDS = ("no_eligible_home", "not_preferred_type", "over_20_miles")
LEVELS_ALWAYS = (80, 95)

GAP_RULE = (
    "For each LA and placement category: required = the upper end of the 80% forecast interval of "
    "children in that category at the horizon (all ages), rounded up - a prudent figure that the "
    "forecast expects to be exceeded about one time in ten. available = the registered places of "
    "active homes of that category located in the LA (children living there now are among the "
    "children projected, so occupied places count as available to them). places to commission = "
    "required - available, never negative. Register home types map to categories through "
    "HOME_TYPE_CATEGORY: foster (LA, IFA, kinship, parent-and-child) -> fostering; children's homes, "
    "secure, short-break and residential special schools -> residential; supported accommodation and "
    "lodgings -> supported. 'other' placements (with parents, placed for adoption, NHS, custody) are "
    "projected but not met by the register's homes, so nothing is commissioned for them. The RCC "
    "row pools the LAs: its required figure comes from the RCC-total forecast (lower than the sum "
    "of the LAs' upper ends, because the LAs' highs rarely coincide) and a spare place in one LA "
    "counts for another, so it can be lower than the sum of the LA rows."
)

CAVEATS = [
    "The forecast assumes the next months behave like the lookback window (rates of entering, "
    "moving and leaving care); policy changes, new services and shocks are not in the data. Use "
    "scenarios to explore them.",
    "SSDA903 returns are revised: later returns add children who were in care but not yet reported "
    "and close episodes left open. The most recent months are the least complete.",
    "The synthetic SSDA903 sample shipped with the project is one closed, shrinking cohort: "
    "almost no children enter after 2017-18, so forecasts from it fall year on year. It checks "
    "the mechanics; it is not a real LA's demand.",
    "Supply is the register as it stands today: homes located in each LA, whichever LA's children "
    "live in them. Children placed outside the RCC and places used by other regions are not "
    "netted off.",
    "Costs use median weekly fees from the register, not contract prices, and an assumed annual inflation.",
]


# ---------------------------------------------------------------- scope


@dataclass(frozen=True)
class Scope:
    """What a forecast or gap covers: an RCC's member LAs, or one LA."""

    kind: str  # "rcc" | "la"
    rcc_id: int | None
    la_ids: tuple[int, ...]
    la_codes: tuple[str, ...]  # GSS codes, same order as la_ids
    la_names: dict[str, str] = field(default_factory=dict)
    name: str = ""

    @property
    def label(self) -> str:
        """The rows that total the scope: ``RCC`` for an RCC, the LA's code for one LA."""
        return REGION if self.kind == "rcc" else self.la_codes[0]

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "rcc_id": self.rcc_id,
            "name": self.name,
            "la_codes": list(self.la_codes),
            "la_names": dict(self.la_names),
        }


def resolve_scope(
    session: Session,
    who: Principal,
    rcc_id: int | None,
    la_code: str | None,
    rcc_field: str = "rcc_id",
    la_field: str = "la_code",
) -> Scope:
    """The caller's scope: providers never see sufficiency (403); an RCC or LA outside the caller's
    scope is not found (404); an LA officer works on their own LA only."""
    if who.role is Role.PROVIDER:
        raise Forbidden("providers do not see sufficiency forecasts")
    if (rcc_id is None) == (la_code is None):
        raise Invalid("give exactly one of an RCC or an LA", rcc_field)
    if rcc_id is not None:
        if who.role is Role.LA_OFFICER:
            raise Forbidden("an LA officer sees their own LA's sufficiency; ask for it by LA code")
        rcc = get_or_404(session, Rcc, rcc_id, "rcc")
        if who.role is Role.RCC_COMMISSIONER and who.rcc_id != rcc_id:
            raise NotFound("rcc", rcc_id)
        las = list(rcc.members)
        if not las:
            raise Conflict(f"RCC {rcc_id} has no member LAs")
        return Scope(
            "rcc",
            rcc_id,
            tuple(la.id for la in las),
            tuple(la.gss_code for la in las),
            {la.gss_code: la.name for la in las},
            rcc.name,
        )
    la = resolve_la(session, la_code, la_field)
    if not who.can_see_la(la.id):
        raise NotFound("local authority", la_code)
    home_rcc = session.scalar(
        select(RccMember.rcc_id).where(RccMember.la_id == la.id).order_by(RccMember.rcc_id)
    )
    if who.role is Role.RCC_COMMISSIONER:
        home_rcc = who.rcc_id
    return Scope("la", home_rcc, (la.id,), (la.gss_code,), {la.gss_code: la.name}, la.name)


# ---------------------------------------------------------------- history and fees


def origin_of(history: pd.DataFrame) -> pd.Timestamp:
    """31 March ending the latest collection year stored: the returns are complete up to it."""
    return pd.Timestamp(int(history["collection_year"].max()) + 1, 3, 31)


def load_history(session: Session, scope: Scope) -> pd.DataFrame:
    return current_episodes(session, scope.la_ids)


@dataclass(frozen=True)
class Fees:
    """Median weekly fees: by (LA, home type), and by (LA, forecast category) with RCC fallback."""

    by_type: list[dict[str, Any]]
    la_category: dict[tuple[str, str], float]
    rcc_category: dict[str, float]

    def fee(self, la: str, category: str) -> tuple[float | None, str]:
        if (la, category) in self.la_category:
            return self.la_category[(la, category)], "la"
        if category in self.rcc_category:
            return self.rcc_category[category], "rcc"
        return None, "none"


def _category(home_type: str) -> str | None:
    try:
        return REGISTER_TO_FORECAST[HOME_TYPE_CATEGORY[HomeType(home_type)].value]
    except (KeyError, ValueError):
        return None


def _active_homes(session: Session, la_ids: Iterable[int]) -> list[tuple]:
    occ = occupied_subquery()
    vac = (
        select(Vacancy.home_id, func.sum(Vacancy.places).label("places"))
        .where(Vacancy.places > 0)
        .group_by(Vacancy.home_id)
        .subquery()
    )
    stmt = (
        select(
            LocalAuthority.gss_code,
            Home.home_type,
            Home.registered_places,
            func.coalesce(occ.c.occupied, 0),
            func.coalesce(vac.c.places, 0),
            Home.fee_core + Home.fee_additional_support + Home.fee_education + Home.fee_other,
        )
        .join(LocalAuthority, LocalAuthority.id == Home.la_id)
        .outerjoin(occ, occ.c.home_id == Home.id)
        .outerjoin(vac, vac.c.home_id == Home.id)
        .where(Home.la_id.in_(list(la_ids)), Home.registration_status == "active")
    )
    return list(session.execute(stmt))


def fees_for(session: Session, la_ids: Iterable[int], homes: list[tuple] | None = None) -> Fees:
    homes = homes if homes is not None else _active_homes(session, la_ids)
    by_type: dict[tuple[str, str], list[float]] = defaultdict(list)
    by_cat: dict[tuple[str, str], list[float]] = defaultdict(list)
    rcc: dict[str, list[float]] = defaultdict(list)
    for la, home_type, _reg, _occ, _vac, fee in homes:
        cat = _category(home_type)
        if cat is None or not fee or fee <= 0:
            continue
        by_type[(la, home_type)].append(float(fee))
        by_cat[(la, cat)].append(float(fee))
        rcc[cat].append(float(fee))
    rows = [
        {
            "la": la,
            "home_type": t,
            "category": _category(t),
            "homes": len(v),
            "median_weekly_fee": float(median(v)),
        }
        for (la, t), v in sorted(by_type.items())
    ]
    return Fees(
        rows,
        {k: float(median(v)) for k, v in by_cat.items()},
        {k: float(median(v)) for k, v in rcc.items()},
    )


# ---------------------------------------------------------------- scenarios


def to_scenario(session: Session, data: ScenarioIn | None) -> dict[str, Any] | None:
    """The scenario as stored in job params (JSON), LA codes resolved to GSS; validated by
    building the library's :class:`forecasting.Scenario` (422 naming the field if refused)."""
    if data is None:
        return None
    las = None
    if data.la_codes is not None:
        las = [
            resolve_la(session, c, f"scenario.la_codes[{i}]").gss_code for i, c in enumerate(data.la_codes)
        ]
    stored = {
        "name": data.name,
        "entry_multiplier": data.entry_multiplier,
        "entry_by_age": dict(data.entry_by_age),
        "entry_by_placement": dict(data.entry_by_placement),
        "exit_multiplier": data.exit_multiplier,
        "exit_by_age": dict(data.exit_by_age),
        "exit_by_placement": dict(data.exit_by_placement),
        "transitions": [[t.from_, t.to, t.multiplier] for t in data.transitions],
        "las": las,
    }
    try:
        scenario_from_params(stored)
    except (KeyError, ValueError) as exc:
        raise Invalid(f"scenario refused: {exc}", "scenario") from exc
    return stored


def scenario_from_params(p: dict[str, Any] | None) -> fc.Scenario:
    if not p:
        return fc.BASELINE
    return fc.Scenario(
        name=p.get("name", "scenario"),
        entry_multiplier=float(p.get("entry_multiplier", 1.0)),
        entry_by_age=dict(p.get("entry_by_age") or {}),
        entry_by_placement=dict(p.get("entry_by_placement") or {}),
        exit_multiplier=float(p.get("exit_multiplier", 1.0)),
        exit_by_age=dict(p.get("exit_by_age") or {}),
        exit_by_placement=dict(p.get("exit_by_placement") or {}),
        transition_multipliers={(a, b): float(v) for a, b, v in p.get("transitions") or []},
        las=tuple(p["las"]) if p.get("las") else None,
    )


# ---------------------------------------------------------------- forecast computation


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    out = df.copy()
    out["period"] = pd.to_datetime(out["period"]).dt.date.astype(str)
    num = [c for c in out.columns if c == "mean" or c.startswith(("lo_", "hi_"))]
    out[num] = out[num].astype(float).round(3)
    return out.to_dict(orient="records")


def _cost_rows(
    model: fc.MultiStateForecaster,
    horizon: int,
    scenario: fc.Scenario,
    fees: Fees,
    inflation: float,
    keep_region: bool,
) -> list[dict[str, Any]]:
    """Annual cost by LA x category (and 'all', and the RCC) per month end, from the simulated
    draws so that totals and their intervals are coherent. Per row the arithmetic is that of
    :func:`forecasting.project_costs`: count x weekly fee x 52.18 x (1 + inflation) ** years."""
    counts, labels, cats = model.draws(horizon, scenario, categories="coarse")
    counts = counts[:, :-1].sum(axis=2).astype(float)  # (S, L, C, H): LAs, all ages
    las = labels[:-1]
    periods = fc.month_ends(model.origin_, horizon)
    years = np.asarray((periods - model.origin_).days, dtype=float) / 365.25
    annual = fc.WEEKS_PER_YEAR * (1.0 + inflation) ** years  # (H,)
    fee = np.zeros((len(las), len(cats)))
    source = {}
    for i, la in enumerate(las):
        for j, c in enumerate(cats):
            f, src = fees.fee(la, c)
            fee[i, j] = f or 0.0
            source[(la, c)] = (f, src)
    cost = counts * fee[None, :, :, None] * annual[None, None, None, :]  # (S, L, C, H)
    cost = np.concatenate([cost, cost.sum(axis=2, keepdims=True)], axis=2)
    names = [*las]
    if keep_region:
        cost = np.concatenate([cost, cost.sum(axis=1, keepdims=True)], axis=1)
        names.append(REGION)
    mean = cost.mean(axis=0)
    lo, hi = np.quantile(cost, [0.1, 0.9], axis=0)
    rows = []
    for i, la in enumerate(names):
        for j, c in enumerate([*cats, "all"]):
            if c == "all":
                f, src = None, "sum of costed categories"
            elif la == REGION:
                f, src = None, "sum of LAs"
            else:
                f, src = source[(la, c)]
            costed = c == "all" or la == REGION or f is not None
            for h, p in enumerate(periods):
                m = float(mean[i, j, h])
                rows.append(
                    {
                        "la": la,
                        "placement": c,
                        "period": str(p.date()),
                        "weekly_fee": f,
                        "fee_source": src,
                        "weekly_cost_mean": round(m / fc.WEEKS_PER_YEAR, 2) if costed else None,
                        "annual_cost_mean": round(m, 2) if costed else None,
                        "annual_cost_lo_80": round(float(lo[i, j, h]), 2) if costed else None,
                        "annual_cost_hi_80": round(float(hi[i, j, h]), 2) if costed else None,
                    }
                )
    return rows


def compute_forecast(
    history: pd.DataFrame,
    scope: dict[str, Any],
    horizon: int,
    levels: Iterable[int] = LEVELS_ALWAYS,
    n_sims: int = 500,
    seed: int = 0,
    scenario: dict[str, Any] | None = None,
    fees: Fees | None = None,
    inflation: float = DEFAULT_INFLATION,
    lookback_days: int | tuple[int, ...] = (365, 730, 1095),
    cancelled: Callable[[], bool] = lambda: False,
) -> dict[str, Any]:
    """Fit and simulate; the JSON result of a forecast job (see :class:`api_schemas.forecasts.ForecastResult`)."""
    t0 = time.perf_counter()
    if history.empty:
        raise Conflict("no SSDA903 returns are stored for these LAs; submit returns first")
    levels = sorted({*LEVELS_ALWAYS, *(int(x) for x in levels)})
    origin = origin_of(history)
    sc = scenario_from_params(scenario)
    model = fc.MultiStateForecaster(n_sims=n_sims, seed=seed, region=REGION, lookback_days=lookback_days)
    model.fit(history, origin=origin)
    if cancelled():
        return {}
    out = model.predict(horizon, level=levels, scenario=sc, categories="coarse", totals=True)
    keep_region = scope.get("kind") == "rcc"
    if not keep_region:
        out = out[out["la"] != REGION]
    now = fc.observed_counts(fc.as_of(history, origin), [origin], categories="coarse", region=REGION)
    at_origin = now.groupby("la")["count"].sum().round().astype(int).to_dict()
    if not keep_region:
        at_origin.pop(REGION, None)
    costs = _cost_rows(model, horizon, sc, fees, inflation, keep_region) if fees is not None else []
    lagging = sorted(
        la for la, y in history.groupby("la")["collection_year"].max().items() if y < origin.year - 1
    )
    notes = [f"origin {origin.date()}: 31 March ending the latest collection year stored"]
    if lagging:
        notes.append(
            f"no return for the latest collection year from {', '.join(lagging)}: their recent months are missing"
        )
    missing = sorted(set(scope.get("la_codes", [])) - set(history["la"].unique()))
    if missing:
        notes.append(f"no returns stored for {', '.join(missing)}: not in this forecast")
    return {
        "scope": scope,
        "origin": str(origin.date()),
        "horizon_months": horizon,
        "levels": levels,
        "n_sims": n_sims,
        "scenario": scenario,
        "children_at_origin": {str(k): int(v) for k, v in at_origin.items()},
        "lookback_days": int(model.lookback_days_),
        "runtime_s": round(time.perf_counter() - t0, 3),
        "forecast": _records(out),
        "costs": costs,
        "inflation": inflation,
        "notes": notes,
    }


# ---------------------------------------------------------------- forecast jobs


def submit_forecast(session: Session, who: Principal, data: ForecastIn) -> Job:
    scope = resolve_scope(session, who, data.rcc_id, data.la_code)
    scenario = to_scenario(session, data.scenario)
    if not _has_returns(session, scope):
        raise Conflict(f"no SSDA903 returns are stored for {', '.join(scope.la_codes)}; submit returns first")
    params = {
        "scope": scope.as_dict(),
        "la_ids": list(scope.la_ids),
        "horizon_months": data.horizon_months,
        "levels": sorted({*LEVELS_ALWAYS, *data.levels}),
        "n_sims": data.n_sims,
        "seed": data.seed,
        "inflation": data.inflation,
        "scenario": scenario,
    }
    return jobs.submit(session, who, FORECAST_KIND, params, rcc_id=scope.rcc_id)


def get_forecast(session: Session, who: Principal, job_id: str) -> Job:
    if who.role is Role.PROVIDER:
        raise Forbidden("providers do not see sufficiency forecasts")
    return jobs.get(session, who, job_id, FORECAST_KIND)


def _has_returns(session: Session, scope: Scope) -> bool:
    return (session.scalar(select(func.count()).where(SufficiencyReturn.la_id.in_(scope.la_ids))) or 0) > 0


@jobs.handler(FORECAST_KIND)
def run_forecast_job(ctx: jobs.JobContext) -> dict[str, Any]:
    p = ctx.params
    with ctx.sessions() as s:
        history = current_episodes(s, p["la_ids"])
        fees = fees_for(s, p["la_ids"])
    if ctx.cancelled():
        return {}
    return compute_forecast(
        history,
        p["scope"],
        int(p["horizon_months"]),
        p.get("levels", LEVELS_ALWAYS),
        int(p.get("n_sims", 500)),
        int(p.get("seed", 0)),
        p.get("scenario"),
        fees,
        float(p.get("inflation", DEFAULT_INFLATION)),
        cancelled=ctx.cancelled,
    )


def run_now(factory, job_id: str) -> Job:
    """Run one queued job in this process (the CLI's ``forecast run``); returns it finished."""
    from sqlalchemy import update

    from rcc.db import transaction
    from rcc.db.models import utcnow

    with transaction(factory) as s:
        claimed = s.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == "queued")
            .values(status="running", started_at=utcnow())
        ).rowcount
        job = s.get(Job, job_id)
        ctx = jobs.JobContext(job.id, job.kind, dict(job.params), factory, jobs._principal_for(s, job))
    if not claimed:
        raise Conflict(f"job {job_id} is not queued (a worker may have taken it)")
    jobs.run_one(ctx)
    with factory() as s:
        return s.get(Job, job_id)


# ---------------------------------------------------------------- the forecast a view uses


@dataclass
class ForecastView:
    """Forecast rows for a scope (from a job or computed now) and where they came from."""

    rows: pd.DataFrame  # la, age_band, placement, period, mean, lo_*, hi_*
    source: dict[str, Any]
    children_at_origin: dict[str, int]


def _latest_job(session: Session, scope: Scope, horizon: int) -> Job | None:
    stmt = (
        select(Job)
        .where(Job.kind == FORECAST_KIND, Job.status == "succeeded")
        .order_by(Job.finished_at.desc())
        .limit(200)
    )
    for job in session.scalars(stmt):
        p = job.params or {}
        js = p.get("scope") or {}
        if p.get("scenario") or int(p.get("horizon_months", 0)) != horizon or not job.result:
            continue
        if scope.kind == "rcc" and (js.get("kind") != "rcc" or js.get("rcc_id") != scope.rcc_id):
            continue
        if scope.kind == "la" and scope.la_codes[0] not in (js.get("la_codes") or []):
            continue
        return job
    return None


def forecast_view(
    session: Session, who: Principal, scope: Scope, horizon: int, job_id: str | None = None
) -> ForecastView | None:
    """The scope's forecast: a named job, else the latest succeeded baseline job for the scope and
    horizon, else computed now with few draws; None when no returns are stored."""
    job = jobs.get(session, who, job_id, FORECAST_KIND) if job_id else _latest_job(session, scope, horizon)
    if job_id and job.status != "succeeded":
        raise Conflict(f"forecast {job_id} has not succeeded (status {job.status})")
    if job is not None:
        res = job.result
        rows = pd.DataFrame(res["forecast"])
        rows = rows[rows["la"].isin([*scope.la_codes, scope.label])]
        if scope.kind == "la":
            rows = rows[rows["la"] == scope.la_codes[0]]
        src = {"kind": "job", "job_id": job.id, "n_sims": res["n_sims"], "origin": res["origin"]}
        return ForecastView(_typed(rows), src, res.get("children_at_origin", {}))
    history = load_history(session, scope)
    if history.empty:
        return None
    res = compute_forecast(
        history, scope.as_dict(), horizon, n_sims=SYNC_N_SIMS, lookback_days=SYNC_LOOKBACK_DAYS, fees=None
    )
    src = {"kind": "computed", "job_id": None, "n_sims": SYNC_N_SIMS, "origin": res["origin"]}
    return ForecastView(_typed(pd.DataFrame(res["forecast"])), src, res["children_at_origin"])


def _typed(rows: pd.DataFrame) -> pd.DataFrame:
    rows = rows.copy()
    rows["period"] = pd.to_datetime(rows["period"])
    return rows.reset_index(drop=True)


# ---------------------------------------------------------------- gap


def _unmet_need(session: Session, scope: Scope) -> tuple[bool, dict[str, dict[str, int]]]:
    bind = session.get_bind()
    if not inspect(bind).has_table(UnmetNeedRecord.__tablename__):
        return False, {}
    stmt = (
        select(LocalAuthority.gss_code, UnmetNeedRecord.kind, func.count())
        .join(LocalAuthority, LocalAuthority.id == UnmetNeedRecord.la_id)
        .where(UnmetNeedRecord.la_id.in_(scope.la_ids))
        .group_by(LocalAuthority.gss_code, UnmetNeedRecord.kind)
    )
    out: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(UNMET_KINDS, 0))
    for la, kind, n in session.execute(stmt):
        if kind in UNMET_KINDS:
            out[la][kind] += int(n)
    return True, out


def gap(
    session: Session,
    who: Principal,
    *,
    rcc_id: int | None = None,
    la_code: str | None = None,
    horizon: int = 12,
    inflation: float = DEFAULT_INFLATION,
    job_id: str | None = None,
) -> dict[str, Any]:
    """Projected children against the register's places, places to commission and costs (see
    :data:`GAP_RULE`); JSON-able, shaped as :class:`api_schemas.forecasts.GapOut`."""
    if not 1 <= horizon <= 36:
        raise Invalid("horizon must be between 1 and 36 months", "horizon")
    if not -0.5 <= inflation <= 0.5:
        raise Invalid("inflation is a yearly rate between -0.5 and 0.5 (0.03 = 3%)", "inflation")
    scope = resolve_scope(session, who, rcc_id, la_code, "rcc", "la")
    view = forecast_view(session, who, scope, horizon, job_id)
    homes = _active_homes(session, scope.la_ids)
    fees = fees_for(session, scope.la_ids, homes)
    supply: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # reg, occ, free, vac
    for la, home_type, reg, occ, vac, _fee in homes:
        cat = _category(home_type)
        if cat is None:
            continue
        s = supply[(la, cat)]
        s[0] += int(reg)
        s[1] += int(occ)
        s[2] += max(int(reg) - int(occ), 0)
        s[3] += int(vac)
    factor = (1.0 + inflation) ** (horizon / 12.0)
    period = None
    proj: dict[tuple[str, str], tuple[float, float]] = {}
    if view is not None:
        period = view.rows["period"].max()
        at = view.rows[(view.rows["period"] == period) & (view.rows["age_band"] == "all")]
        proj = {(r.la, r.placement): (float(r.mean), float(r.hi_80)) for r in at.itertuples()}

    def base(la: str, name: str, cat: str, las: list[str]) -> dict[str, Any]:
        reg, occ, free, vac = (sum(supply[(x, cat)][i] for x in las) for i in range(4))
        mean, hi = proj.get((la, cat), (None, None))
        required = math.ceil(hi - 1e-9) if hi is not None else None
        commission = max(0, required - reg) if required is not None and cat in COMMISSIONED else None
        return {
            "la": la, "la_name": name, "category": cat,
            "projected_mean": round(mean, 3) if mean is not None else None,
            "projected_hi_80": round(hi, 3) if hi is not None else None,
            "required": required, "registered_places": reg, "occupied_places": occ, "free_places": free,
            "vacancies": vac, "available": reg, "to_commission": commission,
        }  # fmt: skip

    def priced(r: dict[str, Any]) -> dict[str, Any]:
        f, src = fees.fee(r["la"], r["category"]) if r["category"] in COMMISSIONED else (None, "none")
        wk = {
            k: round(r[p] * f * factor, 2) if f is not None and r[p] is not None else None
            for k, p in (("weekly_cost_mean", "projected_mean"), ("weekly_cost_hi_80", "projected_hi_80"))
        }
        return {
            **r, "weekly_fee": f, "fee_source": src, **wk,
            "annual_cost_mean": _times(wk["weekly_cost_mean"], fc.WEEKS_PER_YEAR),
            "annual_cost_hi_80": _times(wk["weekly_cost_hi_80"], fc.WEEKS_PER_YEAR),
        }  # fmt: skip

    def summed(r: dict[str, Any], parts: list[dict[str, Any]], src: str) -> dict[str, Any]:
        return {
            **r,
            "weekly_fee": None,
            "fee_source": src,
            **{k: _sum(p[k] for p in parts) for k in COST_KEYS},
        }

    rows = [priced(base(la, scope.la_names[la], c, [la])) for la in scope.la_codes for c in CATEGORIES]
    label, las = scope.label, list(scope.la_codes)
    if view is not None:  # the totals compare like with like: only LAs the forecast covers
        las = [la for la in las if any((la, c) in proj for c in CATEGORIES)]
    total_name = scope.name if scope.kind == "rcc" else scope.la_names[las[0]]
    totals = []
    for c in CATEGORIES:
        parts = [r for r in rows if r["category"] == c]
        t = base(label, total_name, c, las)
        totals.append(priced(t) if scope.kind == "la" else summed(t, parts, "sum of LAs"))
    everything = base(label, total_name, "all", las)
    for k in ("registered_places", "occupied_places", "free_places", "vacancies", "available"):
        everything[k] = sum(t[k] for t in totals)
    everything["to_commission"] = _sum(t["to_commission"] for t in totals)
    totals.append(summed(everything, totals, "sum of categories"))
    available, unmet = _unmet_need(session, scope)
    unmet_rows = []
    for la in scope.la_codes:
        counts = unmet.get(la, dict.fromkeys(UNMET_KINDS, 0))
        unmet_rows.append({"la": la, "la_name": scope.la_names[la], **counts, "total": sum(counts.values())})
    notes = []
    if view is None:
        notes.append("no SSDA903 returns are stored for these LAs: supply is shown without a forecast")
    elif view.source["kind"] == "computed":
        notes.append(
            f"no finished forecast job for this scope and horizon: computed now with {SYNC_N_SIMS} draws "
            f"and a {SYNC_LOOKBACK_DAYS}-day lookback (POST /api/v1/sufficiency/forecasts for full precision)"
        )
    uncovered = [la for la in scope.la_codes if la not in las]
    if uncovered:
        notes.append(
            f"no SSDA903 returns stored for {', '.join(uncovered)}: their supply is listed by LA but left out "
            f"of the {label} totals"
        )
    no_fee = sorted({c for la in scope.la_codes for c in COMMISSIONED if fees.fee(la, c)[1] == "none"})
    if no_fee:
        notes.append(f"no priced home of category {', '.join(no_fee)} in the register: not costed")
    notes.append(
        f"costs: projected children x median weekly fee x (1 + {inflation:g}) ** ({horizon}/12) years; "
        f"annual = weekly x {fc.WEEKS_PER_YEAR}"
    )
    source = dict(view.source) if view else {"kind": "none"}
    source["period"] = str(pd.Timestamp(period).date()) if period is not None else None
    cov = coverage.coverage(
        scope.la_codes, scope.la_names, las if view is not None else [], source.get("origin")
    )
    to_c = everything["to_commission"]
    figure = (
        f"{total_name} needs {to_c} more place{'s' * (to_c != 1)} than are registered by {source['period']}"
        if to_c is not None
        else f"{total_name}: no places to commission could be computed"
    )
    return {
        "headline": coverage.headline(figure, cov),
        "coverage": cov,
        "scope": scope.as_dict(),
        "horizon_months": horizon,
        "inflation": inflation,
        "forecast": source,
        "rule": GAP_RULE,
        "rows": rows,
        "totals": totals,
        "unmet_need": unmet_rows,
        "unmet_need_available": available,
        "fees": fees.by_type,
        "notes": notes,
        "_children_at_origin": view.children_at_origin if view else {},
    }


COST_KEYS = ("weekly_cost_mean", "weekly_cost_hi_80", "annual_cost_mean", "annual_cost_hi_80")


def _times(v: float | None, k: float) -> float | None:
    return None if v is None else round(v * k, 2)


def _sum(values: Iterable[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return round(sum(vals), 2) if vals else None


GAP_CSV_COLUMNS = (
    "la", "la_name", "category", "projected_mean", "projected_hi_80", "required", "registered_places",
    "occupied_places", "free_places", "vacancies", "available", "to_commission", "weekly_fee", "fee_source",
    "weekly_cost_mean", "weekly_cost_hi_80", "annual_cost_mean", "annual_cost_hi_80",
)  # fmt: skip


def to_csv(rows: list[dict[str, Any]], columns: Iterable[str] | None = None) -> str:
    rows = list(rows)
    cols = list(columns or (rows[0].keys() if rows else []))
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: "" if r.get(k) is None else r.get(k) for k in cols})
    return out.getvalue()


def gap_csv(result: dict[str, Any]) -> str:
    return to_csv([*result["rows"], *result["totals"]], GAP_CSV_COLUMNS)


def forecast_csv(job: Job) -> str:
    if job.status != "succeeded" or not job.result:
        raise Conflict(f"forecast {job.id} has no result yet (status {job.status})")
    return to_csv(job.result["forecast"])


# ---------------------------------------------------------------- charts


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    _plt().close(fig)
    return buf.getvalue()


def fan_chart(
    session: Session,
    who: Principal,
    *,
    rcc_id: int | None = None,
    la_code: str | None = None,
    horizon: int = 12,
    placement: str = "all",
    job_id: str | None = None,
) -> bytes:
    """PNG: observed children in care for two years before the origin, then the forecast's mean
    with 80% and 95% bands, for the scope's total (or one placement category)."""
    if placement not in (*CATEGORIES, "all"):
        raise Invalid(f"placement must be one of {', '.join((*CATEGORIES, 'all'))}", "placement")
    scope = resolve_scope(session, who, rcc_id, la_code, "rcc", "la")
    view = forecast_view(session, who, scope, horizon, job_id)
    if view is None:
        raise Conflict("no SSDA903 returns are stored for these LAs; nothing to chart")
    return _fan_png(session, scope, view, placement)


def _fan_png(session: Session, scope: Scope, view: ForecastView, placement: str) -> bytes:
    plt = _plt()
    r = view.rows
    r = r[(r["la"] == scope.label) & (r["age_band"] == "all") & (r["placement"] == placement)]
    r = r.sort_values("period")
    history = load_history(session, scope)
    origin = pd.Timestamp(view.source["origin"])
    past = pd.date_range(origin - pd.DateOffset(months=24), origin, freq="ME")
    obs = None
    if not history.empty:
        known = fc.as_of(history, origin)
        oc = fc.observed_counts(known, past, categories="coarse", region=None)
        if placement != "all":
            oc = oc[oc["placement"] == placement]
        obs = oc.groupby("period")["count"].sum()
    fig, ax = plt.subplots(figsize=(8, 4.2))
    x = list(r["period"])
    ax.fill_between(x, r["lo_95"], r["hi_95"], color="#9ecae1", alpha=0.5, label="95% interval")
    ax.fill_between(x, r["lo_80"], r["hi_80"], color="#4292c6", alpha=0.5, label="80% interval")
    ax.plot(x, r["mean"], color="#08306b", lw=2, label="forecast (mean)")
    if obs is not None and len(obs):
        ax.plot(obs.index, obs.values, color="black", lw=1.5, label="observed (returns)")
    ax.axvline(origin, color="grey", ls=":", lw=1)
    what = "all placements" if placement == "all" else placement
    name = scope.name or scope.label
    covered = (
        sorted(set(view.rows["la"]) & set(scope.la_codes)) if scope.kind == "rcc" else list(scope.la_codes)
    )
    cov = coverage.coverage(scope.la_codes, scope.la_names, covered, view.source.get("origin"))
    ax.set_title(f"Children looked after, {what}: {coverage.data_label(cov, name)}", fontsize=10)
    ax.set_ylabel("children")
    ax.set_ylim(bottom=0)
    ax.legend(loc="best", fontsize=8)
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    return _png(fig)


def gap_chart(
    session: Session,
    who: Principal,
    *,
    rcc_id: int | None = None,
    la_code: str | None = None,
    horizon: int = 12,
    inflation: float = DEFAULT_INFLATION,
    job_id: str | None = None,
) -> bytes:
    result = gap(
        session, who, rcc_id=rcc_id, la_code=la_code, horizon=horizon, inflation=inflation, job_id=job_id
    )
    return _gap_png(result)


def _gap_png(result: dict[str, Any]) -> bytes:
    plt = _plt()
    totals = [t for t in result["totals"] if t["category"] in COMMISSIONED]
    cats = [t["category"] for t in totals]
    xs = np.arange(len(cats))
    w = 0.27
    fig, ax = plt.subplots(figsize=(8, 4.2))
    req = [t["required"] or 0 for t in totals]
    avail = [t["available"] for t in totals]
    gapv = [t["to_commission"] or 0 for t in totals]
    ax.bar(xs - w, req, w, label="required (80% upper)", color="#4292c6")
    ax.bar(xs, avail, w, label="registered places", color="#a1d99b")
    ax.bar(xs + w, gapv, w, label="to commission", color="#de2d26")
    for i, v in enumerate(gapv):
        ax.annotate(str(v), (xs[i] + w, v), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(xs, cats)
    ax.set_ylabel("places")
    period = result["forecast"].get("period") or "no forecast"
    label = coverage.data_label(result["coverage"], result["scope"]["name"])
    ax.set_title(f"Places required vs registered at {period}: {label}", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    return _png(fig)


# ---------------------------------------------------------------- HTML report


def _fmt_money(v: float | None) -> str:
    return "–" if v is None else f"£{v:,.0f}"


def _fmt(v: Any, nd: int = 1) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:,.{nd}f}"
    return f"{v:,}" if isinstance(v, int) else html.escape(str(v))


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def report_html(
    session: Session,
    who: Principal,
    *,
    rcc_id: int | None = None,
    la_code: str | None = None,
    horizon: int = 12,
    inflation: float = DEFAULT_INFLATION,
) -> str:
    """A self-contained sufficiency report (plain words, tables, charts embedded as base64)."""
    result = gap(session, who, rcc_id=rcc_id, la_code=la_code, horizon=horizon, inflation=inflation)
    scope = resolve_scope(session, who, rcc_id, la_code, "rcc", "la")
    name = html.escape(result["scope"]["name"])
    e = html.escape
    src = result["forecast"]
    tot = {t["category"]: t for t in result["totals"]}
    all_row = tot["all"]
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Sufficiency report: {name}</title>",
        "<style>body{font-family:system-ui,Arial,sans-serif;max-width:60em;margin:2em auto;line-height:1.45;"
        "color:#222}table{border-collapse:collapse;margin:1em 0;font-size:.9em}td,th{border:1px solid #ccc;"
        "padding:.3em .6em;text-align:right}th{background:#eef}td:first-child,th:first-child{text-align:left}"
        ".headline{font-size:1.1em;background:#f6f6fa;padding:1em;border-left:4px solid #4292c6}"
        "img{max-width:100%}</style></head><body>",
        f"<h1>Sufficiency report: {name}</h1>",
        f"<p>Prepared {dt.date.today():%d %B %Y} by the RCC sufficiency service. Horizon: {horizon} months.</p>",
        f"<p class='headline'><b>{e(result['headline'])}</b></p>",
    ]
    if src["kind"] == "none":
        parts.append(
            "<p class='headline'>No SSDA903 returns are stored for this area yet, so there is no forecast. "
            "The tables below show the register's supply only.</p>"
        )
    else:
        now = result.get("_children_at_origin", {}).get(scope.label)
        origin = src.get("origin")
        to_c = all_row["to_commission"]
        by_cat = ", ".join(f"{c}: {_fmt(tot[c]['to_commission'])}" for c in COMMISSIONED)
        words = [
            f"<p class='headline'>On {e(str(origin))} <b>{_fmt(now)}</b> children were looked after"
            f" (latest returns). By {e(str(src['period']))} we expect about "
            f"<b>{_fmt(all_row['projected_mean'], 0)}</b> (80% range up to {_fmt(all_row['projected_hi_80'], 0)}).",
            f" To plan prudently the area needs <b>{_fmt(to_c)}</b> more places than are registered today"
            f" ({by_cat}).",
            f" Projected annual cost of placements at that date: <b>{_fmt_money(all_row['annual_cost_mean'])}</b>"
            f" (prudent: {_fmt_money(all_row['annual_cost_hi_80'])}), assuming {inflation:.1%} yearly fee inflation.</p>",
        ]
        parts.append("".join(words))
        view = forecast_view(session, who, scope, horizon)
        if view is not None:
            fan = base64.b64encode(_fan_png(session, scope, view, "all")).decode()
            parts.append("<h2>Children looked after: the forecast</h2>")
            parts.append(
                "<p>The black line is what the returns show; the dark band is where we expect the number "
                "to be 8 times in 10, the light band 19 times in 20.</p>"
            )
            parts.append(f"<img alt='fan chart of the forecast' src='data:image/png;base64,{fan}'>")
    gap_png = base64.b64encode(_gap_png(result)).decode()
    parts.append("<h2>Places needed and places registered</h2>")
    parts.append(f"<img alt='bar chart of the gap' src='data:image/png;base64,{gap_png}'>")
    parts.append(f"<p><b>How places to commission are worked out.</b> {e(result['rule'])}</p>")
    headers = ["area", "category", "projected (mean)", "prudent (80% upper)", "required", "registered", "occupied",
               "free", "vacancies", "to commission", "weekly fee", "annual cost (mean)", "annual cost (prudent)"]  # fmt: skip

    def line(r: dict[str, Any]) -> list[str]:
        return [
            e(r["la_name"] or r["la"]), e(r["category"]), _fmt(r["projected_mean"]), _fmt(r["projected_hi_80"]),
            _fmt(r["required"]), _fmt(r["registered_places"]), _fmt(r["occupied_places"]), _fmt(r["free_places"]),
            _fmt(r["vacancies"]), f"<b>{_fmt(r['to_commission'])}</b>", _fmt_money(r["weekly_fee"]),
            _fmt_money(r["annual_cost_mean"]), _fmt_money(r["annual_cost_hi_80"]),
        ]  # fmt: skip

    parts.append("<h3>The whole area</h3>" + _table(headers, [line(t) for t in result["totals"]]))
    if len(result["rows"]) > len(CATEGORIES) or scope.kind == "rcc":
        parts.append("<h3>By local authority</h3>" + _table(headers, [line(r) for r in result["rows"]]))
    parts.append("<h2>Unmet need recorded by matching</h2>")
    if result["unmet_need_available"]:
        parts.append(
            "<p>Referrals for which matching found no eligible home, or placed a child in a type of placement "
            "the care plan did not prefer, or more than 20 miles from home.</p>"
        )
        parts.append(
            _table(
                ["LA", "no eligible home", "not the preferred type", "over 20 miles", "total"],
                [
                    [
                        e(u["la_name"]),
                        _fmt(u["no_eligible_home"]),
                        _fmt(u["not_preferred_type"]),
                        _fmt(u["over_20_miles"]),
                        _fmt(u["total"]),
                    ]
                    for u in result["unmet_need"]
                ],  # fmt: skip
            )
        )
    else:
        parts.append("<p>Matching records are not available in this installation.</p>")
    if result["fees"]:
        parts.append("<h2>Fees used</h2><p>Median weekly fee of active homes by type in each LA.</p>")
        parts.append(
            _table(
                ["LA", "home type", "homes", "median weekly fee"],
                [
                    [e(f["la"]), e(f["home_type"]), _fmt(f["homes"]), _fmt_money(f["median_weekly_fee"])]
                    for f in result["fees"]
                ],
            )
        )
    parts.append("<h2>Method</h2>")
    parts.append(
        "<p>The forecast follows every child in the latest SSDA903 returns month by month: how often children "
        "of each age and placement type move placement or leave care, and how many children enter care each "
        "month (with its trend and season), are measured from recent years; small LAs' rates are pulled "
        "towards the region's. Children leave the count at 18. Thousands of simulated futures give the "
        "average and the ranges. Categories: fostering (all foster care), residential (children's homes, "
        "residential schools, secure), supported (semi-independent and independent living), other "
        f"(placed with parents, for adoption, NHS, custody). Forecast source: {e(src['kind'])}"
        + (f" (job {e(str(src.get('job_id')))})" if src.get("job_id") else "")
        + (f", {src['n_sims']} simulated futures" if src.get("n_sims") else "")
        + ".</p>"
    )
    parts.append(
        "<h2>Caveats</h2><ul>" + "".join(f"<li>{e(c)}</li>" for c in [*CAVEATS, *result["notes"]]) + "</ul>"
    )
    parts.append("</body></html>")
    return "".join(parts)


# ---------------------------------------------------------------- backtests


def year_end_origins(
    years: Iterable[int], horizon: int, n_windows: int, step_months: int = 12
) -> list[pd.Timestamp]:
    """31 March origins that some earlier collection year's return covers and that leave ``horizon``
    months of outcome inside the latest return (collection year Y ends 31 March Y+1); the last
    ``n_windows``, ``step_months`` apart."""
    years = sorted(set(int(y) for y in years))
    if not years:
        return []
    last = pd.Timestamp(years[-1] + 1, 3, 31)
    first_ok = pd.Timestamp(years[0] + 1, 3, 31)
    o = last - pd.DateOffset(months=horizon)
    o = o + pd.offsets.MonthEnd(0)
    out = []
    while o >= first_ok and len(out) < n_windows:
        out.append(o)
        o = o - pd.DateOffset(months=step_months) + pd.offsets.MonthEnd(0)
    return out[::-1]


def _year_covering(years: Iterable[int], origin: pd.Timestamp) -> int | None:
    ok = [y for y in years if pd.Timestamp(y + 1, 3, 31) <= origin]
    return max(ok) if ok else None


def run_backtest(
    truth: pd.DataFrame,
    history_for_year: Callable[[int], pd.DataFrame],
    years: list[int],
    horizon: int = 12,
    n_windows: int = 4,
    step_months: int = 12,
    n_sims: int = 500,
    label: str = REGION,
) -> dict[str, Any]:
    """The library's rolling-origin backtest (:func:`forecasting.rolling_backtest`): at each 31 March
    origin the model sees only the returns that existed then (``history_for_year(Y)``: every return
    up to collection year Y), the truth is every return combined."""
    origins = year_end_origins(years, horizon, n_windows, step_months)
    if not origins:
        raise Conflict("a backtest needs returns for at least two collection years spanning the horizon")
    cache: dict[int, pd.DataFrame] = {}

    def history_at(o: pd.Timestamp) -> pd.DataFrame:
        y = _year_covering(years, o)
        if y not in cache:
            cache[y] = history_for_year(y)
        return fc.as_of(cache[y], o)

    model = fc.MultiStateForecaster(n_sims=n_sims, region=REGION)
    summary, rows = fc.rolling_backtest(
        truth, origins=origins, horizon=horizon, history_at=history_at, model=model, la=label
    )
    per_origin = fc.evaluate(rows["model"], la=label)["per_origin"]
    table = [
        {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
        for r in summary.to_dict(orient="records")
    ]
    for r in table:
        r["runtime_s"] = round(float(r["runtime_s"]), 3)
        r["cells"] = int(r["cells"])
    return {
        "origins": [str(o.date()) for o in origins],
        "horizon_months": horizon,
        "table": table,
        "per_origin": per_origin,
        "notes": [
            "WAPE: sum of |actual - forecast| over age band x placement cells at the horizon, over the sum "
            "of actuals, pooled over origins. total error: mean absolute relative error of the total per "
            "origin. coverage: share of cells whose actual lies inside the interval.",
            "Each origin sees only the returns for collection years ending on or before it; the truth is "
            "every return combined (the latest revision of each episode).",
        ],
    }


def submit_backtest(session: Session, who: Principal, data: BacktestIn) -> Job:
    scope = resolve_scope(session, who, data.rcc_id, data.la_code)
    if not _has_returns(session, scope):
        raise Conflict(f"no SSDA903 returns are stored for {', '.join(scope.la_codes)}; submit returns first")
    params = {
        "scope": scope.as_dict(),
        "la_ids": list(scope.la_ids),
        **data.model_dump(exclude={"rcc_id", "la_code"}),
    }
    return jobs.submit(session, who, BACKTEST_KIND, params, rcc_id=scope.rcc_id)


def get_backtest(session: Session, who: Principal, job_id: str) -> Job:
    if who.role is Role.PROVIDER:
        raise Forbidden("providers do not see sufficiency forecasts")
    return jobs.get(session, who, job_id, BACKTEST_KIND)


@jobs.handler(BACKTEST_KIND)
def run_backtest_job(ctx: jobs.JobContext) -> dict[str, Any]:
    p = ctx.params
    la_ids = p["la_ids"]
    with ctx.sessions() as s:
        truth = current_episodes(s, la_ids)
    if truth.empty:
        raise Conflict("no SSDA903 returns are stored for these LAs")
    years = sorted(int(y) for y in truth["collection_year"].unique())

    def history_for_year(y: int) -> pd.DataFrame:
        if ctx.cancelled():
            raise Conflict("cancelled")
        with ctx.sessions() as s:
            return episodes_as_of_returns(s, la_ids, y)

    scope = p["scope"]
    label = REGION if scope["kind"] == "rcc" else scope["la_codes"][0]
    out = run_backtest(
        truth, history_for_year, years, int(p["horizon_months"]), int(p["n_windows"]), int(p["step_months"]),
        int(p["n_sims"]), label,
    )  # fmt: skip
    return {"scope": scope, **out}


def sample_backtest(
    data_dir: Path, horizon: int = 12, n_windows: int = 4, n_sims: int = 1000, label: str = "LA"
) -> dict[str, Any]:
    """The backtest on SSDA903 return folders on disk (``data_dir/YYYY/{header,episodes,uasc}.csv``,
    folder YYYY = collection year YYYY-YY+1), as ``bench/forecast_backtest.py`` runs it."""
    from rcc.sufficiency.ssda903 import combine_returns, read_return_tables

    tables = read_return_tables(Path(data_dir))
    if not tables:
        raise Invalid(f"no SSDA903 return folders (YYYY/episodes.csv) under {data_dir}", "data_dir")

    def combine(years: list[int]) -> pd.DataFrame:
        return combine_returns(tables, years, label)

    years = sorted(tables)
    truth = combine(years)
    out = run_backtest(
        truth, lambda y: combine([x for x in years if x <= y]), years, horizon, n_windows, 12, n_sims, label
    )
    return {"scope": {"kind": "files", "data_dir": str(data_dir), "la_codes": [label]}, **out}


def backtest_table_text(result: dict[str, Any]) -> str:
    """The backtest table as aligned text (what ``rcc forecast backtest`` prints)."""

    def pct(v):
        return "–" if v is None else f"{100 * v:.1f}%"

    lines = [
        f"Rolling-origin backtest, {result['horizon_months']} months ahead; origins {', '.join(result['origins'])}",
        f"{'method':<36} {'WAPE':>7} {'total err':>9} {'cov 80%':>8} {'cov 95%':>8} {'runtime':>8} {'cells':>6}",
    ]
    for r in result["table"]:
        lines.append(
            f"{r['method']:<36} {pct(r['wape']):>7} {pct(r['total_abs_error']):>9} {pct(r['coverage_80']):>8} "
            f"{pct(r['coverage_95']):>8} {r['runtime_s']:>7.1f}s {r['cells']:>6}"
        )
    lines.append("")
    lines.append("per origin (model): WAPE, forecast total vs actual total, 80% coverage")
    for o, d in result["per_origin"].items():
        lines.append(
            f"  {o}: WAPE {pct(d['wape'])}, forecast {d['forecast_total']:.1f} vs actual {d['actual_total']:.0f}, "
            f"cov80 {pct(d.get('coverage_80'))}"
        )
    return "\n".join(lines)
