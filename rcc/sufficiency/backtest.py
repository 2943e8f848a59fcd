"""Backtests: forecast from past year-ends and compare with what the returns later showed."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

import forecasting as fc
from api_schemas.forecasts import BacktestIn
from rcc.auth import Principal, Role
from rcc.db.models import (
    Job,
)
from rcc.errors import Conflict, Forbidden, Invalid
from rcc.jobs import queue as jobs
from rcc.sufficiency.episodes import current_episodes, episodes_as_of_returns
from rcc.sufficiency.forecasts import _has_returns
from rcc.sufficiency.scope import REGION, resolve_scope

BACKTEST_KIND = jobs.FORECAST_BACKTEST


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
    out: list[pd.Timestamp] = []
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
        assert y is not None, "origins come from year_end_origins, so a return covers each"
        if y not in cache:
            cache[y] = history_for_year(y)
        return fc.as_of(cache[y], o)

    model = fc.MultiStateForecaster(n_sims=n_sims, region=REGION)
    summary, rows = fc.rolling_backtest(
        truth, origins=origins, horizon=horizon, history_at=history_at, model=model, la=label
    )
    per_origin = fc.evaluate(rows["model"], la=label)["per_origin"]
    table: list[dict[str, Any]] = [
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
