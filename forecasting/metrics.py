"""Forecast accuracy: WAPE over cells, error on totals, interval coverage."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike


def wape(actual: ArrayLike, forecast: ArrayLike) -> float:
    """Weighted absolute percentage error: sum |actual - forecast| / sum actual (NaN if sum is 0)."""
    a = np.asarray(actual, dtype=float)
    f = np.asarray(forecast, dtype=float)
    den = np.abs(a).sum()
    return float(np.abs(a - f).sum() / den) if den > 0 else float("nan")


def total_error(actual: ArrayLike, forecast: ArrayLike) -> float:
    """Signed relative error of the total: (sum forecast - sum actual) / sum actual."""
    a = float(np.sum(actual))
    f = float(np.sum(forecast))
    return (f - a) / a if a > 0 else float("nan")


def coverage(actual: ArrayLike, lo: ArrayLike, hi: ArrayLike) -> float:
    """Share of cells whose actual lies in [lo, hi] (inclusive)."""
    a = np.asarray(actual, dtype=float)
    lo = np.asarray(lo, dtype=float)
    hi = np.asarray(hi, dtype=float)
    if a.size == 0:
        return float("nan")
    return float(np.mean((a >= lo) & (a <= hi)))


def evaluate(
    results: pd.DataFrame, la: str | None = None, level: Sequence[int] = (80, 95), by: str = "origin"
) -> dict[str, Any]:
    """Score a backtest table (columns origin, la, age_band, placement, mean, actual, lo_/hi_).

    ``la`` selects which rows are scored (e.g. the region label); default: all rows.
    Returns pooled WAPE over all cells and origins, the mean absolute relative error of the
    total per origin, the signed total error per origin, coverage per level (pooled), and
    the same per origin under ``per_origin``.
    """
    df = results if la is None else results[results["la"] == la]
    out: dict[str, Any] = {"cells": int(len(df)), "wape": wape(df["actual"], df["mean"])}
    tot = df.groupby(by)[["actual", "mean"]].sum()
    rel = (tot["mean"] - tot["actual"]) / tot["actual"]
    out["total_abs_error"] = float(rel.abs().mean())
    out["total_error_by_origin"] = {str(pd.Timestamp(k).date()): float(v) for k, v in rel.items()}
    for lv in level:
        if f"lo_{lv}" in df and df[f"lo_{lv}"].notna().all():
            out[f"coverage_{lv}"] = coverage(df["actual"], df[f"lo_{lv}"], df[f"hi_{lv}"])
        else:
            out[f"coverage_{lv}"] = None
    per = {}
    for k, g in df.groupby(by):
        d = {
            "wape": wape(g["actual"], g["mean"]),
            "actual_total": float(g["actual"].sum()),
            "forecast_total": float(g["mean"].sum()),
        }
        for lv in level:
            if f"lo_{lv}" in g and g[f"lo_{lv}"].notna().all():
                d[f"coverage_{lv}"] = coverage(g["actual"], g[f"lo_{lv}"], g[f"hi_{lv}"])
        per[str(pd.Timestamp(k).date())] = d
    out["per_origin"] = per
    return out
