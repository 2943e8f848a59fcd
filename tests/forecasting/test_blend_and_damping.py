"""The model's blend with flat and the entrant trend's damping, both chosen by internal backtest."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting import MultiStateForecaster, observed_counts
from tests.forecasting.conftest import make_history

ORIGIN = "2021-12-31"


@pytest.fixture(scope="module")
def two_las() -> pd.DataFrame:
    return pd.concat(
        [
            make_history(160, "A", seed=21, origin=ORIGIN, start="2017-01-01"),
            make_history(60, "B", seed=22, origin=ORIGIN, start="2017-01-01"),
        ],
        ignore_index=True,
    )


def test_damping_chosen_among_candidates_by_internal_backtest(two_las):
    m = MultiStateForecaster(lookback_days=730, n_sims=50, trend_damping=(0.95, 0.8)).fit(
        two_las, origin=ORIGIN
    )
    assert set(m.damping_scores_) == {0.95, 0.8}
    best = min(m.damping_scores_.values())
    assert m.damping_scores_[m.trend_damping_] == best
    fixed = MultiStateForecaster(lookback_days=730, n_sims=50, trend_damping=0.9).fit(two_las, origin=ORIGIN)
    assert fixed.trend_damping_ == 0.9 and fixed.damping_scores_ == {}


def test_damping_changes_only_the_entrants():
    hist = make_history(150, "A", seed=5, origin=ORIGIN, start="2017-01-01")
    a = MultiStateForecaster(lookback_days=730, trend_damping=1.0, calibrate=False).fit(hist, origin=ORIGIN)
    b = MultiStateForecaster(lookback_days=730, trend_damping=0.5, calibrate=False).fit(hist, origin=ORIGIN)
    ma, _ = a._expected(12)
    mb, _ = b._expected(12)
    assert not np.allclose(ma, mb)  # the entrants' projection differs
    # ... from the same fit: the month-1 counts, mostly children already in care, stay close
    assert abs(ma[..., 0].sum() - mb[..., 0].sum()) < 0.05 * ma[..., 0].sum()


def test_choose_blend_picks_the_better_of_model_and_flat():
    m = MultiStateForecaster()
    rng = np.random.default_rng(0)
    act = rng.poisson(20, size=(5, 2, 5, 4)).astype(float)
    model = act.copy()
    model[:, 0] += 6.0  # LA 0: the model is off, flat (below) is right
    flat = act.copy()
    flat[:, 1] -= 6.0  # LA 1: flat is off, the model is right
    w = m._choose_blend(model, flat, act)
    assert w[0] == 0.0 and w[1] == 1.0
    pooled = MultiStateForecaster(blend_flat="pooled")._choose_blend(model, flat, act)
    assert pooled[0] == pooled[1]
    assert (MultiStateForecaster(blend_flat="none")._choose_blend(model, flat, act) == 1.0).all()
    with pytest.raises(ValueError):
        MultiStateForecaster(blend_flat="sometimes")


def test_zero_weight_forecasts_the_origin_counts_and_las_still_add_up(two_las):
    m = MultiStateForecaster(lookback_days=730, n_sims=100, calibrate=False).fit(two_las, origin=ORIGIN)
    model_fc = m.predict(12, level=(80,), categories="coarse")
    m.blend_weights_ = np.array([0.0, 1.0])  # LA A: flat; LA B: the model
    fc = m.predict(12, level=(80,), categories="coarse")
    last = fc["period"].max()
    at_origin = observed_counts(two_las, [pd.Timestamp(ORIGIN)], categories="coarse", region="RCC")
    a = fc[(fc["la"] == "A") & (fc["period"] == last)].merge(at_origin, on=["la", "age_band", "placement"])
    # Draws are scaled to the origin's counts cell by cell: the means are those counts.
    assert np.allclose(a["mean"], a["count"])
    keys = ["la", "age_band", "placement", "period"]
    b_new = fc[fc["la"] == "B"].set_index(keys)["mean"]
    b_old = model_fc[model_fc["la"] == "B"].set_index(keys)["mean"]
    pd.testing.assert_series_equal(b_new, b_old)
    las = fc[fc["la"] != "RCC"].groupby(["age_band", "placement", "period"])["mean"].sum()
    reg = fc[fc["la"] == "RCC"].set_index(["age_band", "placement", "period"])["mean"]
    assert np.allclose(las.sort_index(), reg.sort_index())
    assert (fc["lo_80"] <= fc["mean"] + 1e-9).all() and (fc["mean"] <= fc["hi_80"] + 1e-9).all()
