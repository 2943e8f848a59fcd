"""Sufficiency service: forecast jobs from stored returns, the gap's arithmetic, scope, backtests."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import select

from api_schemas.forecasts import ForecastIn, ScenarioIn
from rcc.auth import SYSTEM, Principal, Role, authenticate
from rcc.db import transaction
from rcc.db.models import (
    Child,
    Home,
    Job,
    LocalAuthority,
    Placement,
    Referral,
    UnmetNeedRecord,
    Vacancy,
    utcnow,
)
from rcc.errors import Conflict, Forbidden, Invalid, NotFound
from rcc.jobs import worker as jobs
from rcc.sufficiency import backtest, forecasts
from rcc.sufficiency import gap as gap_svc
from rcc.sufficiency import returns as returns_svc
from rcc.sufficiency import scope as scope_svc
from rcc.sufficiency.scope import GapQuery
from tests.forecast_builders import returns_by_year


def who(factory, world, key: str) -> Principal:
    with factory() as s:
        return authenticate(s, world.keys[key])


def la_ids(factory, *codes: str) -> list[int]:
    with factory() as s:
        return [s.scalar(select(LocalAuthority.id).where(LocalAuthority.gss_code == c)) for c in codes]


def store_returns(factory, la_code: str, seed: int = 1, n: int = 40, years=(2019, 2020, 2021)) -> None:
    for year, files in returns_by_year(n, seed, years).items():
        with transaction(factory) as s:
            returns_svc.submit_return(s, SYSTEM, la_code, year, files)


# ---------------------------------------------------------------- the gap, by hand


def _home(la_id: int, provider_id: int, home_type: str, places: int, fee: int, name: str) -> Home:
    return Home(provider_id=provider_id, name=name, home_type=home_type, postcode="NE1 4", easting=424000.0,
                northing=564000.0, la_id=la_id, registered_places=places, fee_core=fee)  # fmt: skip


def _forecast_rows(cells: dict[tuple[str, str], tuple[float, float]], period: str) -> list[dict]:
    return [
        {
            "la": la,
            "age_band": "all",
            "placement": cat,
            "period": period,
            "mean": m,
            "lo_80": m / 2,
            "hi_80": hi,
            "lo_95": m / 3,
            "hi_95": hi + 1,
        }  # fmt: skip
        for (la, cat), (m, hi) in cells.items()
    ]


@pytest.fixture
def hand_world(factory, world):
    """Two LAs with known homes, fees, one occupied place, vacancies, unmet need, and a finished
    forecast job whose horizon-end means and 80% upper ends are set by hand."""
    a, b = la_ids(factory, world.la_a, world.la_b)
    with transaction(factory) as s:
        homes = [
            _home(a, world.provider_a, "la_foster", 2, 400, "A foster 1"),
            _home(a, world.provider_a, "la_foster", 2, 500, "A foster 2"),
            _home(a, world.provider_a, "ifa_foster", 3, 900, "A IFA"),
            _home(a, world.provider_a, "childrens_home", 4, 5000, "A home"),
            _home(b, world.provider_b, "childrens_home", 2, 4000, "B home"),
            _home(b, world.provider_b, "supported_accommodation", 3, 1200, "B supported"),
        ]
        closed = _home(b, world.provider_b, "childrens_home", 5, 9999, "B closed")
        closed.registration_status = "closed"
        s.add_all([*homes, closed])
        s.flush()
        kid = Child(la_id=b, la_child_id="K1", birth_month=dt.date(2010, 1, 1), sex="male",
                    home_postcode_sector="TS1 2", home_easting=449000.0, home_northing=519000.0)  # fmt: skip
        s.add(kid)
        s.flush()
        s.add(Placement(child_id=kid.id, home_id=homes[4].id, start_date=dt.date(2024, 1, 1)))
        s.add(Vacancy(home_id=homes[3].id, places=2, available_from=dt.date(2025, 1, 1), confirmed_by="x",
                      confirmed_at=utcnow()))  # fmt: skip
        refs = [Referral(la_id=a, needed_by="Today"), Referral(la_id=a, needed_by="Today")]
        s.add_all(refs)
        s.flush()
        # one record per (referral, child, kind): two referrals with no eligible home, one placed far away
        for ref, kind in zip(
            refs + refs[:1], ("no_eligible_home", "no_eligible_home", "over_20_miles"), strict=True
        ):
            s.add(UnmetNeedRecord(referral_id=ref.id, la_id=a, kind=kind, detail="test"))
        A, B, R = world.la_a, world.la_b, scope_svc.REGION
        cells = {
            (A, "fostering"): (10, 12.2), (A, "residential"): (3, 4.0), (A, "supported"): (1.5, 2.5),
            (A, "other"): (2, 3), (B, "fostering"): (5, 6.5), (B, "residential"): (2, 2.6),
            (B, "supported"): (1, 1.2), (B, "other"): (0, 0), (R, "fostering"): (15, 17),
            (R, "residential"): (5, 6.1), (R, "supported"): (2.5, 3.2), (R, "other"): (2, 3),
            (A, "all"): (16.5, 19), (B, "all"): (8, 9.5), (R, "all"): (24.5, 27.4),
        }  # fmt: skip
        result = {
            "forecast": _forecast_rows(cells, "2023-03-31") + _forecast_rows({(R, "all"): (30, 31)}, "2022-09-30"),
            "n_sims": 500, "origin": "2022-03-31", "children_at_origin": {A: 20, B: 9, R: 29},
        }  # fmt: skip
        scope = {"kind": "rcc", "rcc_id": world.rcc_id, "la_codes": [A, B]}
        s.add(Job(id="hand-made", kind="forecast", status="succeeded", rcc_id=world.rcc_id, result=result,
                  params={"scope": scope, "horizon_months": 12, "scenario": None}, finished_at=utcnow()))  # fmt: skip
    return world


def _by(rows, la, cat):
    return next(r for r in rows if r["la"] == la and r["category"] == cat)


def test_gap_arithmetic_on_a_hand_checked_case(factory, hand_world):
    w = hand_world
    with factory() as s:
        g = gap_svc.gap(s, who(factory, w, "commissioner"), GapQuery(rcc_id=w.rcc_id, horizon=12))
    assert g["forecast"]["kind"] == "job" and g["forecast"]["job_id"] == "hand-made"
    assert g["forecast"]["period"] == "2023-03-31"
    A, B, R = w.la_a, w.la_b, scope_svc.REGION
    rows, totals = g["rows"], g["totals"]
    # LA A fostering: ceil(12.2) = 13 required, 2 + 2 + 3 = 7 registered -> 6; fee median(400, 500, 900) = 500.
    f = _by(rows, A, "fostering")
    assert (f["required"], f["registered_places"], f["to_commission"]) == (13, 7, 6)
    assert (f["weekly_fee"], f["fee_source"]) == (500, "la")
    assert f["weekly_cost_mean"] == pytest.approx(10 * 500 * 1.03)
    assert f["weekly_cost_hi_80"] == pytest.approx(12.2 * 500 * 1.03)
    assert f["annual_cost_mean"] == pytest.approx(5150 * 52.18)
    # residential A: hi_80 exactly 4.0 -> 4 required, 4 places -> 0; vacancy of 2 places reported.
    r = _by(rows, A, "residential")
    assert (r["required"], r["available"], r["to_commission"], r["vacancies"]) == (4, 4, 0, 2)
    assert r["weekly_cost_hi_80"] == pytest.approx(4 * 5000 * 1.03)
    # supported A: no home -> 3 to commission; fee falls back to the RCC median (B's 1200).
    sa = _by(rows, A, "supported")
    assert (sa["required"], sa["to_commission"], sa["weekly_fee"], sa["fee_source"]) == (3, 3, 1200, "rcc")
    assert sa["weekly_cost_mean"] == pytest.approx(1.5 * 1200 * 1.03)
    # other: projected, never commissioned, not costed.
    o = _by(rows, A, "other")
    assert (o["required"], o["to_commission"], o["weekly_cost_mean"]) == (3, None, None)
    # LA B: fostering has no home -> 7; fee = RCC fostering median 500. Residential: the closed home
    # does not count; 2 places, one occupied -> required 3, commission 1.
    fb = _by(rows, B, "fostering")
    assert (fb["required"], fb["to_commission"], fb["fee_source"], fb["weekly_fee"]) == (7, 7, "rcc", 500)
    rb = _by(rows, B, "residential")
    assert (rb["registered_places"], rb["occupied_places"], rb["free_places"], rb["to_commission"]) == (
        2,
        1,
        1,
        1,
    )
    assert _by(rows, B, "supported")["to_commission"] == 0
    # The RCC pools: fostering ceil(17) - 7 = 10 (< 6 + 7), residential 7 - 6 = 1, supported 4 - 3 = 1.
    assert [_by(totals, R, c)["to_commission"] for c in ("fostering", "residential", "supported")] == [
        10,
        1,
        1,
    ]
    assert _by(totals, R, "all")["to_commission"] == 12
    assert _by(totals, R, "all")["registered_places"] == 16
    assert _by(totals, R, "fostering")["annual_cost_mean"] == pytest.approx(
        (5150 + 5 * 500 * 1.03) * 52.18, abs=0.02
    )
    # Unmet need from the matching tables.
    un = {u["la"]: u for u in g["unmet_need"]}
    assert g["unmet_need_available"]
    assert (un[A]["no_eligible_home"], un[A]["over_20_miles"], un[A]["total"], un[B]["total"]) == (2, 1, 3, 0)
    assert "never negative" in g["rule"]


def test_gap_inflation_and_horizon_parameters(factory, hand_world):
    w = hand_world
    with factory() as s:
        g = gap_svc.gap(s, SYSTEM, GapQuery(rcc_id=w.rcc_id, horizon=12, inflation=0.0))
        assert _by(g["rows"], w.la_a, "fostering")["weekly_cost_mean"] == pytest.approx(5000)
        with pytest.raises(Invalid) as exc:
            gap_svc.gap(s, SYSTEM, GapQuery(rcc_id=w.rcc_id, inflation=2))
        assert exc.value.details[0].field == "inflation"


def test_gap_without_returns_shows_supply_only(factory, world):
    with factory() as s:
        g = gap_svc.gap(s, SYSTEM, GapQuery(rcc_id=world.rcc_id))
    assert g["forecast"]["kind"] == "none"
    assert all(r["projected_mean"] is None and r["to_commission"] is None for r in g["rows"])


def test_scope_rules(factory, hand_world):
    w = hand_world
    with factory() as s:
        with pytest.raises(Forbidden):
            gap_svc.gap(s, who(factory, w, "provider_a"), GapQuery(rcc_id=w.rcc_id))
        with pytest.raises(NotFound):
            gap_svc.gap(s, who(factory, w, "officer_out"), GapQuery(la_code=w.la_a))
        with pytest.raises(Forbidden):
            gap_svc.gap(s, who(factory, w, "officer_a"), GapQuery(rcc_id=w.rcc_id))
        with pytest.raises(NotFound):
            gap_svc.gap(s, who(factory, w, "commissioner"), GapQuery(la_code=w.la_out))
        with pytest.raises(NotFound):
            gap_svc.gap(
                s, Principal(None, Role.RCC_COMMISSIONER, rcc_id=w.rcc_id + 99), GapQuery(rcc_id=w.rcc_id)
            )
        # The LA officer's own LA, from the RCC's forecast job (only that LA's rows).
        g = gap_svc.gap(s, who(factory, w, "officer_a"), GapQuery(la_code=w.la_a))
        assert {r["la"] for r in g["rows"]} == {w.la_a}
        assert _by(g["totals"], w.la_a, "fostering")["to_commission"] == 6


def test_forecast_job_from_stored_returns(factory, world):
    store_returns(factory, world.la_a, seed=1)
    store_returns(factory, world.la_b, seed=2)
    boss = who(factory, world, "commissioner")
    with transaction(factory) as s:
        job = forecasts.submit_forecast(
            s, boss, ForecastIn(rcc_id=world.rcc_id, horizon_months=6, n_sims=200)
        )
        job_id = job.id
    assert jobs.drain(factory) == 1
    with factory() as s:
        job = forecasts.get_forecast(s, boss, job_id)
        assert job.status == "succeeded", job.error
        res = job.result
    assert res["origin"] == "2022-03-31"
    df = pd.DataFrame(res["forecast"])
    assert set(df["la"]) == {world.la_a, world.la_b, scope_svc.REGION}
    assert (df["lo_95"] <= df["lo_80"] + 1e-9).all() and (df["lo_80"] <= df["mean"] + 1e-9).all()
    assert (df["mean"] <= df["hi_80"] + 1e-9).all() and (df["hi_80"] <= df["hi_95"] + 1e-9).all()
    las = df[df["la"] != scope_svc.REGION].groupby(["age_band", "placement", "period"])["mean"].sum()
    tot = df[df["la"] == scope_svc.REGION].set_index(["age_band", "placement", "period"])["mean"]
    assert (las - tot.reindex(las.index)).abs().max() < 0.01
    assert (
        res["children_at_origin"][scope_svc.REGION]
        == res["children_at_origin"][world.la_a] + res["children_at_origin"][world.la_b]
    )
    costs = pd.DataFrame(res["costs"])
    assert len(costs) and (costs["fee_source"] == "none").any()  # no homes in the register: not costed


def test_submit_refuses_bad_scenarios_and_missing_returns(factory, world):
    with transaction(factory) as s:
        with pytest.raises(Conflict):
            forecasts.submit_forecast(s, SYSTEM, ForecastIn(rcc_id=world.rcc_id))
    store_returns(factory, world.la_a, n=10, years=(2021,))
    with transaction(factory) as s:
        with pytest.raises(Invalid) as exc:
            forecasts.submit_forecast(
                s, SYSTEM, ForecastIn(rcc_id=world.rcc_id, scenario=ScenarioIn(la_codes=["ZZZ"]))
            )
        assert exc.value.details[0].field == "scenario.la_codes[0]"


@pytest.mark.slow
def test_backtest_job_on_stored_returns(factory, world):
    store_returns(factory, world.la_a, seed=3, n=60)
    from api_schemas.forecasts import BacktestIn

    with transaction(factory) as s:
        job_id = backtest.submit_backtest(
            s, SYSTEM, BacktestIn(la_code=world.la_a, n_windows=2, n_sims=100)
        ).id
    jobs.drain(factory)
    with factory() as s:
        job = backtest.get_backtest(s, SYSTEM, job_id)
        assert job.status == "succeeded", job.error
    res = job.result
    assert res["origins"] == ["2020-03-31", "2021-03-31"]
    methods = [r["method"] for r in res["table"]]
    assert methods[0] == "model" and any(m.startswith("baseline") for m in methods)
    assert res["table"][0]["cells"] == 2 * 5 * 4


def test_year_end_origins():
    assert backtest.year_end_origins([2017, 2018, 2019, 2020, 2021], 12, 4) == [
        pd.Timestamp(f"{y}-03-31") for y in (2018, 2019, 2020, 2021)
    ]
    assert backtest.year_end_origins([2021], 12, 4) == []


# ---------------------------------------------------------------- honest limits: which LAs are covered


def _run_rcc_forecast(factory, world, **kw) -> dict:
    boss = who(factory, world, "commissioner")
    with transaction(factory) as s:
        job_id = forecasts.submit_forecast(
            s, boss, ForecastIn(rcc_id=world.rcc_id, horizon_months=6, n_sims=100, **kw)
        ).id
    assert jobs.drain(factory) == 1
    with factory() as s:
        job = forecasts.get_forecast(s, boss, job_id)
        assert job.status == "succeeded", job.error
        return job.result


def test_an_la_without_returns_is_named_and_left_out_of_the_rcc_totals(factory, world):
    store_returns(factory, world.la_a, seed=1)
    res = _run_rcc_forecast(factory, world)
    cov = {c["la"]: c for c in res["coverage"]}
    assert cov[world.la_a]["status"] == "covered" and cov[world.la_a]["in_forecast"] is True
    assert cov[world.la_a]["covered_to"] == "2022-03-31"
    assert cov[world.la_b]["status"] == "no_returns" and cov[world.la_b]["in_forecast"] is False
    assert res["covered_las"] == [world.la_a]
    head = res["notes"][0]
    assert head.startswith("Incomplete data.") and world.la_b in head and "Middlesbrough" in head
    assert "origin 2022-03-31" in head
    assert f"The {scope_svc.REGION} totals cover only Newcastle upon Tyne ({world.la_a})" in head
    df = pd.DataFrame(res["forecast"])
    assert set(df["la"]) == {world.la_a, scope_svc.REGION}  # not a row of zeros for the missing LA
    assert res["children_at_origin"][scope_svc.REGION] == res["children_at_origin"][world.la_a]

    with factory() as s:
        g = gap_svc.gap(s, who(factory, world, "commissioner"), GapQuery(rcc_id=world.rcc_id, horizon=6))
    assert g["notes"][0] == head and g["covered_las"] == [world.la_a]
    assert {c["la"]: c["in_forecast"] for c in g["coverage"]} == {world.la_a: True, world.la_b: False}
    assert {r["la"] for r in g["rows"]} == {world.la_a, world.la_b}  # supply still listed by LA


def test_an_la_whose_return_is_stale_is_left_out_and_says_to_when_it_is_covered(factory, world):
    store_returns(factory, world.la_a, seed=1, years=(2019, 2020, 2021))
    store_returns(factory, world.la_b, seed=2, years=(2019, 2020))  # no 2021-22 return
    res = _run_rcc_forecast(factory, world)
    cov = {c["la"]: c for c in res["coverage"]}
    assert cov[world.la_b]["status"] == "missing" and cov[world.la_b]["in_forecast"] is False
    assert cov[world.la_b]["covered_to"] == "2021-03-31"
    assert "latest return ends 2021-03-31" in res["notes"][0]
    df = pd.DataFrame(res["forecast"])
    assert world.la_b not in set(df["la"])
    las = df[df["la"] == world.la_a].set_index(["age_band", "placement", "period"])["mean"]
    tot = df[df["la"] == scope_svc.REGION].set_index(["age_band", "placement", "period"])["mean"]
    assert (las - tot.reindex(las.index)).abs().max() < 0.01  # the RCC rows are LA A's alone
    with factory() as s:  # LA B on its own: not read from the RCC job that left it out
        g = gap_svc.gap(s, who(factory, world, "commissioner"), GapQuery(la_code=world.la_b, horizon=6))
    assert g["forecast"]["kind"] == "computed" and g["forecast"]["origin"] == "2021-03-31"
    assert g["covered_las"] == [world.la_b] and g["totals"][0]["projected_mean"] is not None


def test_a_fully_covered_forecast_has_no_incomplete_headline(factory, world):
    store_returns(factory, world.la_a, seed=1)
    store_returns(factory, world.la_b, seed=2)
    res = _run_rcc_forecast(factory, world)
    assert all(c["in_forecast"] and c["status"] == "covered" for c in res["coverage"])
    assert sorted(res["covered_las"]) == sorted([world.la_a, world.la_b])
    assert not any(n.startswith("Incomplete") for n in res["notes"])


# ---------------------------------------------------------------- UASC scenario inputs


def test_uasc_scenario_inputs_are_resolved_validated_and_passed_to_the_library(factory, world):
    store_returns(factory, world.la_a, n=10, years=(2021,))
    with factory() as s:
        dfe_a = s.scalar(select(LocalAuthority.dfe_code).where(LocalAuthority.gss_code == world.la_a))
        stored = scope_svc.to_scenario(
            s, ScenarioIn(uasc_monthly_arrivals={dfe_a: 2, "*": 0.5}, uasc_quota={"*": 30})
        )
    assert stored["uasc_monthly_arrivals"] == {world.la_a: 2.0, "*": 0.5}  # DfE code -> GSS
    sc = scope_svc.scenario_from_params(stored)
    assert dict(sc.uasc_monthly_arrivals) == {world.la_a: 2.0, "*": 0.5} and dict(sc.uasc_quota) == {
        "*": 30.0
    }
    with transaction(factory) as s:
        with pytest.raises(Invalid) as exc:
            forecasts.submit_forecast(
                s, SYSTEM, ForecastIn(rcc_id=world.rcc_id, scenario=ScenarioIn(uasc_quota={"ZZZ": 3}))
            )
        assert exc.value.details[0].field == "scenario.uasc_quota[ZZZ]"
    with pytest.raises(ValueError, match="uasc_monthly_arrivals"):
        ScenarioIn(uasc_monthly_arrivals={"*": -1})
