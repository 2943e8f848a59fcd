"""Backtest as a product: rolling origins, the model next to naive baselines."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import pandas as pd

from forecasting.baselines import BASELINES, baseline_forecast
from forecasting.data import as_of, default_origins, month_ends, observed_counts
from forecasting.metrics import evaluate
from forecasting.model import MultiStateForecaster

__all__ = ["SUMMARY_COLUMNS", "default_origins", "rolling_backtest"]

SUMMARY_COLUMNS = ["method", "wape", "total_abs_error", "coverage_80", "coverage_95", "runtime_s", "cells"]


def rolling_backtest(
    history: pd.DataFrame,
    origins: Sequence | None = None,
    horizon: int = 12,
    n_windows: int = 4,
    step_months: int = 12,
    history_at: Callable[[pd.Timestamp], pd.DataFrame] | None = None,
    model: MultiStateForecaster | None = None,
    baselines: Sequence[str] = BASELINES,
    categories: str = "coarse",
    la: str | None = None,
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Refit at each origin on what was knowable then and score the ``horizon``-month forecast.

    ``history`` is the latest, fullest data (the truth); ``history_at(origin)`` gives what was
    available at an origin (default ``as_of(history, origin)``; pass one that uses only the
    returns that existed then). Rows scored: ``la`` (default: the region rows).
    Returns (summary with one row per method: WAPE over cells, mean absolute relative error
    of the total, 80%/95% coverage, runtime; per-method rows with forecasts and actuals).
    """
    model = model or MultiStateForecaster()
    origins = [
        pd.Timestamp(o) for o in (origins or default_origins(history, horizon, n_windows, step_months))
    ]
    la = la or model.region
    rows: dict[str, pd.DataFrame] = {}
    runtimes: dict[str, float] = {}
    t0 = time.perf_counter()
    rows["model"] = model.backtest(
        history, horizon, origins=origins, history_at=history_at, categories=categories
    )
    runtimes["model"] = time.perf_counter() - t0
    for method in baselines:
        t0 = time.perf_counter()
        frames = []
        for o in origins:
            data = history_at(o) if history_at is not None else as_of(history, o)
            target = month_ends(o, horizon)[-1]
            fc = baseline_forecast(
                data, o, horizon, method=method, categories=categories, region=model.region
            )
            fc = fc[fc["period"] == target]
            act = observed_counts(history, [target], categories=categories, region=model.region)
            fc = fc.merge(
                act.rename(columns={"count": "actual"}), on=["la", "age_band", "placement", "period"]
            )
            fc.insert(0, "origin", o)
            frames.append(fc)
        rows[f"baseline: {method}"] = pd.concat(frames, ignore_index=True)
        runtimes[f"baseline: {method}"] = time.perf_counter() - t0
    summary = []
    for name, r in rows.items():
        res = evaluate(r, la=la)
        summary.append(
            {
                "method": name,
                "wape": res["wape"],
                "total_abs_error": res["total_abs_error"],
                "coverage_80": res["coverage_80"],
                "coverage_95": res["coverage_95"],
                "runtime_s": runtimes[name],
                "cells": res["cells"],
            }
        )
    return pd.DataFrame(summary, columns=SUMMARY_COLUMNS), rows
