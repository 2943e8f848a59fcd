"""UASC arrivals as their own regime process, scenario inputs, and honest per-LA coverage."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from forecasting import MultiStateForecaster, Scenario, episodes_from_returns
from forecasting.synthetic import LASpec, RegionSpec, UASCRegime, simulate_region
from forecasting.uasc import fit_uasc_arrivals
from tests.forecasting.conftest import episode, make_history


def test_regime_model_follows_a_surge_and_its_end():
    c = np.zeros((3, 36))
    c[0, -8:] = [3, 4, 2, 5, 3, 4, 3, 5]  # surge under way
    c[1, 8:26] = 3  # surge that stopped ten months ago
    c[2, ::4] = 1  # steady trickle
    f = fit_uasc_arrivals(c)
    rate = f.current_rate
    assert rate[0] == pytest.approx(3.6, abs=0.6)
    assert rate[1] < 0.3
    assert rate[2] == pytest.approx(0.25, abs=0.12)
    assert list(f.last_change_month[:2]) == [8, 10]
    assert f.expected(12)[0, -1] < rate[0]  # a regime may end: expectations revert with time


def test_no_uasc_no_arrivals():
    f = fit_uasc_arrivals(np.zeros((2, 24)))
    assert (f.current_rate == 0).all() and (f.expected(6) == 0).all()


def surge_history(stop: str | None) -> pd.DataFrame:
    """LA A: steady non-UASC care, plus 3 UASC arrivals a month from January 2020 (to ``stop``)."""
    rows = make_history(120, "A", seed=3).to_dict("records")
    rng = np.random.default_rng(1)
    d = pd.Timestamp("2020-01-05")
    end = pd.Timestamp(stop) if stop else pd.Timestamp("2020-12-31")
    i = 0
    while d <= end:
        for _ in range(3):
            dob = d - pd.Timedelta(days=int(rng.integers(int(15.5 * 365), int(17.2 * 365))))
            rows.append(episode(f"U{i}", dob, d, None, "H5", "PR4", ls="V2", la="A", uasc=True))
            i += 1
        d += pd.DateOffset(months=1)
    return pd.DataFrame(rows)


def uasc_total(m: MultiStateForecaster, scenario: Scenario | None = None) -> float:
    fc = m.predict(12, level=(), uasc=True, scenario=scenario)
    return float(fc.loc[(fc["la"] == "RCC") & (fc["period"] == fc["period"].max()), "mean"].sum())


def test_surge_under_way_is_carried_on_and_a_stopped_one_is_not():
    on = MultiStateForecaster(lookback_days=730, n_sims=150, calibrate=False).fit(
        surge_history(None), origin="2020-12-31"
    )
    off = MultiStateForecaster(lookback_days=730, n_sims=150, calibrate=False).fit(
        surge_history("2020-03-31"), origin="2020-12-31"
    )
    at_origin_on = int(on.stock_["uasc"].sum())
    assert uasc_total(on) > at_origin_on  # arrivals continue (about 3 a month)
    assert on.uasc_arrivals_.current_rate[0] == pytest.approx(3.0, abs=0.8)
    assert off.uasc_arrivals_.current_rate[0] < 0.5  # nine months without arrivals
    assert uasc_total(off) < int(off.stock_["uasc"].sum())  # only leavers (at 18)


def test_uasc_leave_at_18():
    rows = [episode("U1", "2003-03-10", "2019-06-01", None, "H5", "PR4", ls="V2", uasc=True)]
    rows.append(episode("C1", "2010-01-01", "2019-06-01", None, "U4", "PR1"))
    m = MultiStateForecaster(lookback_days=365, n_sims=50, calibrate=False).fit(
        pd.DataFrame(rows), origin="2020-12-31"
    )
    fc = m.predict(
        6, level=(), uasc=True, scenario=Scenario(name="no arrivals", uasc_monthly_arrivals={"*": 0.0})
    )
    reg = fc[fc["la"] == "RCC"].groupby("period")["mean"].sum()
    assert reg[pd.Timestamp("2021-02-28")] == 1.0 and reg[pd.Timestamp("2021-03-31")] == 0.0


def test_nts_scenario_inputs_fixed_arrivals_and_quota():
    m = MultiStateForecaster(lookback_days=730, n_sims=150, calibrate=False).fit(
        surge_history("2020-03-31"), origin="2020-12-31"
    )
    base = uasc_total(m)
    more = uasc_total(m, Scenario(name="NTS 4 a month", uasc_monthly_arrivals={"A": 4.0}))
    assert more > base + 30
    quota = 40
    capped = Scenario(name="quota", uasc_monthly_arrivals={"*": 4.0}, uasc_quota={"A": quota})
    draws, labels, _ = m.draws(12, scenario=capped, uasc=True)
    assert draws[:, labels.index("A")].sum(axis=(1, 2)).max() <= quota  # never above the quota
    assert uasc_total(m, capped) > 0.8 * quota
    with pytest.raises(ValueError):
        Scenario(uasc_quota={"A": -1})


def two_la_returns(drop_last_for_b: bool) -> pd.DataFrame:
    spec = RegionSpec(
        las=(
            LASpec("A", 50, uasc=(UASCRegime(dt.date(2021, 1, 1), dt.date(2023, 1, 1), 0.5),)),
            LASpec("B", 40),
        ),
        first_year=2020,
        last_year=2023,
        warmup_years=5,
        seed=9,
    )
    region = simulate_region(spec)
    frames = []
    for la, by_year in region.returns.items():
        years = [y for y in sorted(by_year) if not (drop_last_for_b and la == "B" and y == 2023)]
        frames.append(
            episodes_from_returns(
                [by_year[y]["header"] for y in years],
                [by_year[y]["episodes"] for y in years],
                [by_year[y]["uasc"] for y in years],
                la=la,
            )
        )
    return pd.concat(frames, ignore_index=True)


def test_la_without_a_return_covering_the_origin_is_reported_not_counted_as_zero():
    hist = two_la_returns(drop_last_for_b=True)
    m = MultiStateForecaster(lookback_days=365, n_sims=60).fit(hist, origin="2024-03-31")
    cov = m.coverage_.set_index("la")
    assert cov.loc["A", "status"] == "covered" and cov.loc["B", "status"] == "missing"
    assert not cov.loc["B", "in_forecast"]
    assert "no return covering the origin" in cov.loc["B", "note"]
    notes = {n["la"]: n for n in m.coverage_notes()}
    assert notes["B"]["covered_to"] == "2023-03-31"
    fc = m.predict(3, level=(80,))
    assert set(fc["la"]) == {"A", "RCC"}  # B is not silently forecast (nor counted as zero)
    a = fc[fc["la"] == "A"].set_index(["age_band", "placement", "period"])["mean"]
    r = fc[fc["la"] == "RCC"].set_index(["age_band", "placement", "period"])["mean"]
    np.testing.assert_allclose(a.to_numpy(), r.reindex(a.index).to_numpy())  # region = the LAs forecast
    inc = MultiStateForecaster(lookback_days=365, n_sims=60, uncovered="include").fit(
        hist, origin="2024-03-31"
    )
    assert set(inc.predict(3, level=(80,))["la"]) == {"A", "B", "RCC"}
    full = MultiStateForecaster(lookback_days=365, n_sims=60).fit(two_la_returns(False), origin="2024-03-31")
    assert set(full.coverage_["status"]) == {"covered"}


def test_intervals_widened_by_internal_backtests_are_never_narrower(two_la_history):
    h = make_history(300, "A", seed=21, origin="2021-12-31", start="2017-01-01")
    cal = MultiStateForecaster(lookback_days=730, n_sims=150).fit(h, origin="2021-12-31")
    raw = MultiStateForecaster(lookback_days=730, n_sims=150, calibrate=False).fit(h, origin="2021-12-31")
    assert cal.calibration_ and all(v["la"] >= 1.0 and v["region"] >= 1.0 for v in cal.calibration_.values())
    assert cal.calibration_cells_ > 0
    a, b = cal.predict(12), raw.predict(12)
    pd.testing.assert_series_equal(a["mean"], b["mean"])
    assert (a["hi_95"] - a["lo_95"] >= b["hi_95"] - b["lo_95"] - 1e-9).all()
