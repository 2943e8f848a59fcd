"""Cost projection of a forecast."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

WEEKS_PER_YEAR = 52.18


def project_costs(
    forecast: pd.DataFrame,
    weekly_cost: Mapping[str, float],
    inflation: float = 0.0,
    origin: object = None,
) -> pd.DataFrame:
    """Annualised cost (GBP per year) of each forecast row.

    cost = count x weekly_cost[placement] x 52.18 x (1 + inflation) ** years, where years is
    the time from ``origin`` (default: one month before the first period) to the row's
    period. Every count column present (mean, lo_*, hi_*) gets a ``cost_`` twin; quantiles
    stay quantiles because the factor is positive. Placements missing from
    ``weekly_cost`` get NaN costs.
    """
    if inflation <= -1:
        raise ValueError("inflation must be > -1")
    out = forecast.copy()
    periods = pd.to_datetime(out["period"])
    if origin is None:
        origin = periods.min() - pd.offsets.MonthEnd(1)
    years = (periods - pd.Timestamp(origin)).dt.days.to_numpy() / 365.25
    unit = out["placement"].map(lambda p: weekly_cost.get(p, np.nan)).astype(float).to_numpy()
    factor = unit * WEEKS_PER_YEAR * (1.0 + inflation) ** years
    cols = [c for c in out.columns if c == "mean" or c.startswith(("lo_", "hi_"))]
    for c in cols:
        out[f"cost_{c}"] = out[c].to_numpy(dtype=float) * factor
    return out
