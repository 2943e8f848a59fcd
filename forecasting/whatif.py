"""Side-by-side scenario comparison for commissioners."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from forecasting.model import MultiStateForecaster
from forecasting.scenario import BASELINE, Scenario


def compare_scenarios(
    model: MultiStateForecaster,
    scenarios: Sequence[Scenario],
    horizon: int = 12,
    categories: str = "coarse",
    level: Sequence[int] = (80,),
) -> pd.DataFrame:
    """Forecast at the horizon by la x placement (all ages) for the baseline and each scenario.

    Columns: scenario, la, placement, period, mean, lo_/hi_ per level, change (mean minus the
    baseline's mean for the same la and placement).
    """
    frames = []
    for sc in [BASELINE, *scenarios]:
        fc = model.predict(horizon, level=level, scenario=sc, categories=categories, totals=True)
        fc = fc[(fc["period"] == fc["period"].max()) & (fc["age_band"] == "all")].drop(columns="age_band")
        fc.insert(0, "scenario", sc.name)
        frames.append(fc)
    out = pd.concat(frames, ignore_index=True)
    base = out[out["scenario"] == BASELINE.name].set_index(["la", "placement"])["mean"]
    out["change"] = (
        out["mean"].to_numpy() - base.reindex(pd.MultiIndex.from_frame(out[["la", "placement"]])).to_numpy()
    )
    return out
