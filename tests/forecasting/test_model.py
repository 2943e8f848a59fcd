from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting import AGE_BANDS, FINE_CATEGORIES, MultiStateForecaster, Scenario, evaluate
from forecasting.scenario import BASELINE
from tests.forecasting.conftest import episode, make_history

ORIGIN = pd.Timestamp("2020-12-31")


def fitted(history, **kw):
    params = {"lookback_days": 730, "n_sims": 300, "seed": 3}
    params.update(kw)
    return MultiStateForecaster(**params).fit(history, origin=ORIGIN)


def total_at(fc: pd.DataFrame, la: str = "RCC", placement=None, bands=None) -> float:
    last = fc["period"].max()
    sel = (fc["la"] == la) & (fc["period"] == last)
    if placement is not None:
        sel &= fc["placement"].isin([placement] if isinstance(placement, str) else placement)
    if bands is not None:
        sel &= fc["age_band"].isin(bands)
    return float(fc.loc[sel, "mean"].sum())


def test_output_schema_and_intervals_nest(two_la_history):
    m = fitted(two_la_history)
    fc = m.predict(12, level=(80, 95))
    assert list(fc.columns) == [
        "la",
        "age_band",
        "placement",
        "period",
        "mean",
        "lo_80",
        "hi_80",
        "lo_95",
        "hi_95",
    ]
    assert set(fc["la"]) == {"A", "B", "RCC"}
    assert set(fc["age_band"]) == set(AGE_BANDS)
    assert set(fc["placement"]) == set(FINE_CATEGORIES)
    assert fc["period"].nunique() == 12
    assert fc["period"].min() == pd.Timestamp("2021-01-31")
    eps = 1e-9
    assert (fc["lo_95"] <= fc["lo_80"] + eps).all()
    assert (fc["lo_80"] <= fc["mean"] + eps).all()
    assert (fc["mean"] <= fc["hi_80"] + eps).all()
    assert (fc["hi_80"] <= fc["hi_95"] + eps).all()
    assert (fc["lo_95"] >= 0).all()
    # Intervals widen with the horizon for the region total.
    tot = m.predict(12, totals=True)
    tot = tot[(tot["la"] == "RCC") & (tot["age_band"] == "all") & (tot["placement"] == "all")]
    width = (tot["hi_80"] - tot["lo_80"]).to_numpy()
    assert width[-1] > width[0]


def test_la_forecasts_add_up_to_region(two_la_history):
    m = fitted(two_la_history)
    for cats in ("fine", "coarse"):
        fc = m.predict(6, categories=cats)
        las = fc[fc["la"] != "RCC"].groupby(["age_band", "placement", "period"])["mean"].sum()
        reg = fc[fc["la"] == "RCC"].set_index(["age_band", "placement", "period"])["mean"]
        np.testing.assert_allclose(las.reindex(reg.index).to_numpy(), reg.to_numpy(), atol=1e-9)
    draws, labels, _ = m.draws(6)
    assert labels[-1] == "RCC"
    np.testing.assert_array_equal(draws[:, :-1].sum(axis=1), draws[:, -1])


def test_coarse_is_sum_of_fine(two_la_history):
    m = fitted(two_la_history)
    fine = m.predict(6, categories="fine")
    coarse = m.predict(6, categories="coarse")
    fost = (
        fine[fine["placement"].str.startswith("fostering")]
        .groupby(["la", "age_band", "period"])["mean"]
        .sum()
    )
    c = coarse[coarse["placement"] == "fostering"].set_index(["la", "age_band", "period"])["mean"]
    np.testing.assert_allclose(fost.reindex(c.index).to_numpy(), c.to_numpy(), atol=1e-9)


def test_uasc_split_adds_up(two_la_history):
    m = fitted(two_la_history)
    keys = ["la", "age_band", "placement", "period"]
    allc = m.predict(6).set_index(keys)["mean"]
    yes = m.predict(6, uasc=True).set_index(keys)["mean"]
    no = m.predict(6, uasc=False).set_index(keys)["mean"]
    np.testing.assert_allclose((yes + no).reindex(allc.index).to_numpy(), allc.to_numpy(), atol=1e-9)
    assert yes.sum() > 0


def test_more_entrants_more_children(two_la_history):
    m = fitted(two_la_history, parameter_uncertainty=False)
    base = total_at(m.predict(12))
    more = total_at(m.predict(12, scenario=Scenario(name="more", entry_multiplier=1.5)))
    assert more > base * 1.02
    teen = ["10_to_15", "16_to_17"]
    s = Scenario(entry_by_age={"10_to_15": 2.0, "16_to_17": 2.0})
    assert total_at(m.predict(12, scenario=s), bands=teen) > total_at(m.predict(12), bands=teen)


def test_higher_exits_fewer_children(two_la_history):
    m = fitted(two_la_history, parameter_uncertainty=False)
    base = total_at(m.predict(12))
    assert total_at(m.predict(12, scenario=Scenario(exit_multiplier=1.5))) < base * 0.97
    assert total_at(m.predict(12, scenario=Scenario(exit_multiplier=0.5))) > base * 1.03


def test_step_down_residential_to_fostering():
    places = [("K2", "PR4"), ("U4", "PR1"), ("U5", "PR4")]
    hist = pd.concat([make_history(200, "A", seed=5, places=places, p_exit=0.2)], ignore_index=True)
    m = fitted(hist, parameter_uncertainty=False, n_sims=400)
    base = m.predict(12, categories="coarse")
    s = Scenario(name="step-down doubles", transition_multipliers={("residential", "fostering"): 2.0})
    alt = m.predict(12, categories="coarse", scenario=s)
    assert total_at(alt, placement="residential") < total_at(base, placement="residential") - 1
    assert total_at(alt, placement="fostering") > total_at(base, placement="fostering") + 1


def test_scenario_validation():
    with pytest.raises(KeyError):
        Scenario(entry_by_age={"teenagers": 1.1})
    with pytest.raises(KeyError):
        Scenario(transition_multipliers={("castle", "fostering"): 2.0})
    with pytest.raises(ValueError):
        Scenario(exit_multiplier=-1)


def test_short_breaks_not_counted():
    rows = [episode(i, "2010-01-01", "2020-01-01", None, "U4", "PR1", ls="V3") for i in range(5)]
    rows += [episode(10 + i, "2010-01-01", "2020-01-01", None, "U4", "PR1", ls="V4") for i in range(5)]
    rows += [episode(20 + i, "2010-01-01", "2020-01-01", None, "U4", "PR1", ls="C2") for i in range(3)]
    m = fitted(pd.DataFrame(rows))
    assert m.n_children_at_origin_ == 3
    fc = m.predict(3)
    first = fc[(fc["la"] == "RCC") & (fc["period"] == fc["period"].min())]
    assert first["mean"].sum() == pytest.approx(3.0)


def test_ageing_crosses_band_on_birthday_and_leaves_at_18():
    rows = [
        episode(1, "2005-03-15", "2019-06-01", None, "U4", "PR1"),  # 16 on 15 March 2021
        episode(2, "2003-05-20", "2019-06-01", None, "K2", "PR4"),  # 18 on 20 May 2021
    ]
    m = fitted(pd.DataFrame(rows), n_sims=50)
    fc = m.predict(6)
    reg = fc[fc["la"] == "RCC"]

    def at(period, band, placement):
        sel = (
            (reg["period"] == pd.Timestamp(period))
            & (reg["age_band"] == band)
            & (reg["placement"] == placement)
        )
        return float(reg.loc[sel, "mean"].sum())

    assert at("2021-02-28", "10_to_15", "fostering_inhouse") == 1.0
    assert at("2021-03-31", "10_to_15", "fostering_inhouse") == 0.0
    assert at("2021-03-31", "16_to_17", "fostering_inhouse") == 1.0
    assert at("2021-04-30", "16_to_17", "residential") == 1.0
    assert at("2021-05-31", "16_to_17", "residential") == 0.0


def test_fit_ignores_what_was_not_known_at_origin(two_la_history):
    later = pd.DataFrame([episode(999, "2010-01-01", "2021-06-01", None, "K2", "PR4")])
    a = fitted(two_la_history)
    b = fitted(pd.concat([two_la_history, later], ignore_index=True))
    pd.testing.assert_frame_equal(a.predict(3), b.predict(3))


def test_backtest_and_evaluate():
    hist = make_history(200, "A", seed=7, origin="2021-12-31", start="2017-01-01")
    m = MultiStateForecaster(lookback_days=365, n_sims=200)
    bt = m.backtest(hist, horizon=12, origins=[pd.Timestamp("2019-12-31"), pd.Timestamp("2020-12-31")])
    assert {"origin", "actual", "mean", "lo_80", "hi_95", "runtime_s"} <= set(bt.columns)
    assert bt["origin"].nunique() == 2
    assert set(bt["period"]) == {pd.Timestamp("2020-12-31"), pd.Timestamp("2021-12-31")}
    res = evaluate(bt, la="RCC")
    assert 0 <= res["wape"] < 1.0
    assert 0 <= res["coverage_80"] <= res["coverage_95"] <= 1


def test_lookback_selected_by_internal_backtest():
    hist = make_history(150, "A", seed=11, origin="2021-12-31", start="2017-01-01")
    m = MultiStateForecaster(lookback_days=(365, 730), n_sims=100).fit(hist, origin="2021-12-31")
    assert m.lookback_days_ in (365, 730)
    assert set(m.lookback_scores_) == {365, 730}


def test_rolling_backtest_reports_model_next_to_baselines():
    from forecasting import rolling_backtest

    hist = make_history(150, "A", seed=13, origin="2021-12-31", start="2017-01-01")
    summary, rows = rolling_backtest(
        hist, n_windows=2, model=MultiStateForecaster(lookback_days=365, n_sims=100)
    )
    assert list(summary["method"]) == [
        "model",
        "baseline: flat",
        "baseline: linear_trend",
        "baseline: cell_share_total_growth",
    ]
    assert summary["wape"].notna().all()
    assert summary.loc[summary["method"] == "model", "coverage_80"].notna().all()
    assert summary.loc[summary["method"] != "model", "coverage_80"].isna().all()
    o1, o2 = sorted(rows["model"]["origin"].unique())
    assert o2 == o1 + pd.DateOffset(months=12) + pd.offsets.MonthEnd(0)
    assert o2 + pd.DateOffset(months=12) <= pd.Timestamp("2021-12-31")


def test_quiet_la_gets_a_small_forecast():
    quiet = pd.DataFrame([episode(1, "2010-01-01", "2018-01-01", "2018-05-01", la="Q")])
    m = fitted(pd.concat([make_history(80, "A", seed=4), quiet], ignore_index=True))
    fc = m.predict(12)
    q = fc[(fc["la"] == "Q") & (fc["period"] == fc["period"].max())]
    assert q["mean"].sum() < 2.0
    assert q["hi_95"].max() < 3.0


def test_compare_scenarios_table(two_la_history):
    from forecasting import compare_scenarios

    m = fitted(two_la_history, parameter_uncertainty=False)
    table = compare_scenarios(m, [Scenario(name="exits up", exit_multiplier=1.5)])
    assert set(table["scenario"]) == {"baseline", "exits up"}
    base = table[table["scenario"] == "baseline"]
    assert (base["change"] == 0).all()
    total = table[(table["la"] == "RCC") & (table["placement"] == "all")].set_index("scenario")
    assert total.loc["exits up", "change"] < 0


def test_simulation_agrees_with_the_analytic_propagation(two_la_history):
    """The Monte Carlo (every child and entrant, moves drawn month by month) and the analytic
    propagation of the same fitted rates (``_expected``) agree within Monte Carlo error, and the
    simulation's spread matches the analytic process variance. Children in care at the origin
    alone (no entrants): cell by cell (LA x UASC x band x placement x month). With entrants: by
    LA x placement x month (the analytic side puts entrants on a grid of whole months of age, so
    their birthdays, bands and leaving at 18 are approximate there). Guards rewrites of the
    simulator (issue 12 speed work)."""
    m = fitted(two_la_history, parameter_uncertainty=False, n_sims=3000)
    stock_only = Scenario(name="no entrants", entry_multiplier=0.0, uasc_monthly_arrivals={"*": 0.0})
    for scenario, sums in ((stock_only, ((),)), (BASELINE, ((2, 3),))):
        c = m._simulate(12, scenario).astype(float)  # (S, L, 2, B, K, H)
        mean, var = m._expected(12, scenario=scenario)
        for axes in sums:
            sim, exp = c.mean(axis=0).sum(axis=axes), mean.sum(axis=axes)
            se = np.sqrt(var.sum(axis=axes) / c.shape[0])  # summed variances: an upper bound
            assert (np.abs(sim - exp) <= 4.5 * se + 0.01 * exp + 1e-9).all(), scenario.name
        ok = var > 0.5
        assert 0.95 < float(np.median(c.var(axis=0)[ok] / var[ok])) < 1.05
