"""Naive baselines in the same output schema (mean only; interval columns NaN)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.data import REGION, as_of, infer_observed_from, month_ends, observed_counts

BASELINES = ("flat", "linear_trend", "cell_share_total_growth")


def _history_series(
    history: pd.DataFrame,
    origin: object,
    months: int,
    categories: str,
    region: str | None,
    observed_from: object,
) -> pd.DataFrame:
    o = pd.Timestamp(origin)
    hist = as_of(history, o)
    if observed_from is None:
        observed_from = infer_observed_from(hist)
    dates = [o - pd.DateOffset(months=k) for k in range(months, -1, -1)]
    if o.is_month_end:
        dates = [d + pd.offsets.MonthEnd(0) for d in dates]
    dates = [d for d in dates if d >= pd.Timestamp(observed_from)] or [o]
    obs = observed_counts(hist, dates, categories=categories, region=region)
    wide = obs.pivot_table(
        index=["la", "age_band", "placement"], columns="period", values="count", sort=False
    )
    return wide


def baseline_forecast(
    history: pd.DataFrame,
    origin: object,
    horizon: int = 12,
    method: str = "flat",
    categories: str = "coarse",
    lookback_months: int = 12,
    region: str = REGION,
    observed_from: object = None,
) -> pd.DataFrame:
    """Forecast every cell at the ``horizon`` month-ends after ``origin``.

    - ``flat``: the cell's count at the origin (age band = age at the origin).
    - ``linear_trend``: least-squares line through the cell's month-end counts over the last
      ``lookback_months`` (clipped at 0).
    - ``cell_share_total_growth``: the cell's share of the LA total at the origin times the
      LA total's linear trend.
    """
    if method not in BASELINES:
        raise ValueError(f"method must be one of {BASELINES}")
    wide = _history_series(history, origin, lookback_months, categories, region, observed_from)
    periods = month_ends(origin, horizon)
    y = wide.to_numpy(dtype=float)
    last = y[:, -1]
    t = np.array([(pd.Timestamp(c) - pd.Timestamp(origin)).days / 30.4375 for c in wide.columns])
    h = np.array([(p - pd.Timestamp(origin)).days / 30.4375 for p in periods])

    def trend(v: np.ndarray) -> np.ndarray:  # rows of series -> (rows, H)
        if v.shape[1] < 2:
            return np.repeat(v[:, -1:], len(h), axis=1)
        tc = t - t.mean()
        slope = (v - v.mean(axis=1, keepdims=True)) @ tc / (tc @ tc)
        inter = v.mean(axis=1) - slope * t.mean()
        return np.clip(inter[:, None] + slope[:, None] * h[None, :], 0, None)

    if method == "flat":
        pred = np.repeat(last[:, None], len(h), axis=1)
    elif method == "linear_trend":
        pred = trend(y)
    else:
        las = wide.index.get_level_values("la").to_numpy()
        pred = np.zeros((len(y), len(h)))
        for la in np.unique(las):
            sel = las == la
            tot = y[sel].sum(axis=0, keepdims=True)
            share = last[sel] / tot[0, -1] if tot[0, -1] > 0 else np.zeros(sel.sum())
            pred[sel] = share[:, None] * trend(tot)
    out = []
    for j, p in enumerate(periods):
        df = wide.index.to_frame(index=False)
        df["period"] = p
        df["mean"] = pred[:, j]
        out.append(df)
    res = pd.concat(out, ignore_index=True)
    for c in ("lo_80", "hi_80", "lo_95", "hi_95"):
        res[c] = np.nan
    return res
