"""Sufficiency: forecasts of children looked after, demand against the register's supply, backtests.

Forecasts
---------
A forecast is a persisted job (kind ``forecast``). It reads the LAs' stored SSDA903 returns
(:func:`rcc.sufficiency.returns.current_episodes`), fits :class:`forecasting.MultiStateForecaster`
at the *origin* -- 31 March ending the latest collection year stored, the date up to which the
returns are complete -- and simulates ``horizon_months`` month ends ahead, optionally under a
what-if :class:`forecasting.Scenario`. The result is the long-format forecast (LA x age band x
coarse placement category x month, with ``all`` totals; for an RCC also the ``RCC`` rows, the
LAs summed draw by draw so means add up exactly) and a cost projection from the register's fees.

Coverage
--------
The library leaves out of the forecast (and the RCC total) an LA whose latest return ends before the
origin while other LAs' do not. The result's ``coverage`` holds its per-LA notes
(:meth:`forecasting.MultiStateForecaster.coverage_notes`) plus ``no_returns`` for a member LA with
no stored return; ``covered_las`` lists the LAs forecast; when any is left out or behind, the first
note (also the gap's first note and the report's headline) says which, and that the RCC totals
cover only the others. Children at origin for the RCC count the covered LAs only.

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

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

import forecasting as fc
from api_schemas.forecasts import ForecastIn
from rcc.auth import Principal, Role
from rcc.db.models import (
    Job,
    SufficiencyReturn,
)
from rcc.errors import Conflict, Forbidden
from rcc.jobs import queue as jobs
from rcc.sufficiency.coverage import coverage_headline
from rcc.sufficiency.episodes import current_episodes
from rcc.sufficiency.scope import (
    DEFAULT_INFLATION,
    REGION,
    Fees,
    Scope,
    _records,
    fees_for,
    load_history,
    origin_of,
    resolve_scope,
    scenario_from_params,
    to_scenario,
)


def _typed(rows: pd.DataFrame) -> pd.DataFrame:
    rows = rows.copy()
    rows["period"] = pd.to_datetime(rows["period"])
    return rows.reset_index(drop=True)


log = logging.getLogger(__name__)


FORECAST_KIND = jobs.FORECAST


CATEGORIES: tuple[str, ...] = tuple(fc.COARSE_CATEGORIES)  # fostering, residential, supported, other


SYNC_N_SIMS = 200


SYNC_LOOKBACK_DAYS = 730


LEVELS_ALWAYS = (80, 95)


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
    coverage = coverage_of(model, scope, history)
    left_out = {c["la"] for c in coverage if not c["in_forecast"]}
    at_origin.pop(REGION, None)
    if keep_region:  # like the forecast's RCC rows: only the LAs the forecast covers
        at_origin[REGION] = sum(int(v) for la, v in at_origin.items() if la not in left_out)
    costs = _cost_rows(model, horizon, sc, fees, inflation, keep_region) if fees is not None else []
    notes = [f"origin {origin.date()}: 31 March ending the latest collection year stored"]
    headline = coverage_headline(coverage, str(origin.date()), REGION if keep_region else None)
    if headline:
        notes.insert(0, headline)
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
        "coverage": coverage,
        "covered_las": [c["la"] for c in coverage if c["in_forecast"]],
    }


def coverage_of(
    model: fc.MultiStateForecaster, scope: dict[str, Any], history: pd.DataFrame
) -> list[dict[str, Any]]:
    """Per member LA of the scope: the library's coverage note (status covered / missing / behind /
    unknown, covered-to date, in-forecast flag, note), plus ``no_returns`` for an LA of the scope
    with no stored return at all (never counted as zero demand: it is simply not in the forecast)."""
    names = scope.get("la_names") or {}
    out = []
    for c in model.coverage_notes():
        out.append(
            {**c, "la": str(c["la"]), "in_forecast": bool(c["in_forecast"]), "la_name": names.get(c["la"])}
        )
    seen = set(history["la"].astype(str).unique())
    for la in scope.get("la_codes", []):
        if la not in seen:
            out.append(
                {
                    "la": la,
                    "la_name": names.get(la),
                    "status": "no_returns",
                    "covered_to": None,
                    "last_recorded": None,
                    "in_forecast": False,
                    "note": "no SSDA903 return stored: not forecast and not in the total",
                }
            )
    return out


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


def run_now(factory: sessionmaker[Session], job_id: str) -> Job:
    """Run one queued forecast job in this process (the CLI's ``forecast run``); returns it finished."""
    ctx = jobs.claim_one(factory, job_id)
    if ctx is None:
        raise Conflict(f"job {job_id} is not queued (a worker may have taken it)")
    jobs.run_with(ctx, run_forecast_job)
    with factory() as s:
        return s.get_one(Job, job_id)


@dataclass
class ForecastView:
    """Forecast rows for a scope (from a job or computed now) and where they came from."""

    rows: pd.DataFrame  # la, age_band, placement, period, mean, lo_*, hi_*
    source: dict[str, Any]
    children_at_origin: dict[str, int]
    coverage: list[dict[str, Any]] = field(default_factory=list)

    @property
    def covered_las(self) -> list[str]:
        return [c["la"] for c in self.coverage if c["in_forecast"]]


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
        covered = job.result.get("covered_las")
        if scope.kind == "la" and covered is not None and scope.la_codes[0] not in covered:
            continue  # an RCC job that left this LA out (stale return): compute it on its own
        return job
    return None


def forecast_view(
    session: Session, who: Principal, scope: Scope, horizon: int, job_id: str | None = None
) -> ForecastView | None:
    """The scope's forecast: a named job, else the latest succeeded baseline job for the scope and
    horizon, else computed now with few draws; None when no returns are stored."""
    job = jobs.get(session, who, job_id, FORECAST_KIND) if job_id else _latest_job(session, scope, horizon)
    if job_id and job is not None and job.status != "succeeded":
        raise Conflict(f"forecast {job_id} has not succeeded (status {job.status})")
    if job is not None and job.result is not None:
        res = job.result
        rows = pd.DataFrame(res["forecast"])
        rows = rows[rows["la"].isin([*scope.la_codes, scope.label])]
        if scope.kind == "la":
            rows = rows[rows["la"] == scope.la_codes[0]]
        src = {"kind": "job", "job_id": job.id, "n_sims": res["n_sims"], "origin": res["origin"]}
        return ForecastView(_typed(rows), src, res.get("children_at_origin", {}), _scoped(res, scope))
    history = load_history(session, scope)
    if history.empty:
        return None
    res = compute_forecast(
        history, scope.as_dict(), horizon, n_sims=SYNC_N_SIMS, lookback_days=SYNC_LOOKBACK_DAYS, fees=None
    )
    src = {"kind": "computed", "job_id": None, "n_sims": SYNC_N_SIMS, "origin": res["origin"]}
    return ForecastView(
        _typed(pd.DataFrame(res["forecast"])), src, res["children_at_origin"], res["coverage"]
    )


def _scoped(res: dict[str, Any], scope: Scope) -> list[dict[str, Any]]:
    """The job's coverage notes for the LAs of ``scope`` (older jobs stored none: an empty list)."""
    return [c for c in res.get("coverage") or [] if c.get("la") in scope.la_codes]
