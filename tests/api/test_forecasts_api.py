"""Sufficiency forecasts through the API: jobs end to end, scenarios, the gap, CSV, charts, report, scope."""

from __future__ import annotations

import pandas as pd
import pytest

from rcc.jobs import worker as jobs
from tests.forecast_builders import returns_by_year
from tests.services.test_sufficiency_service import hand_world  # noqa: F401  (fixture)

API = "/api/v1"


def upload(client, world, la: str, seed: int, key: str = "commissioner", n: int = 40) -> None:
    for year, files in returns_by_year(n, seed).items():
        r = client.post(
            f"{API}/sufficiency/returns",
            headers=world.h(key),
            data={"la_code": la, "collection_year": str(year)},
            files={t: (f"{t}.csv", raw, "text/csv") for t, raw in files.items()},
        )
        assert r.status_code in (200, 201), r.text


@pytest.fixture
def stored(client, world):
    upload(client, world, world.la_a, 1)
    upload(client, world, world.la_b, 2)
    return world


def run(client, factory, world, body: dict, key: str = "commissioner") -> dict:
    r = client.post(f"{API}/sufficiency/forecasts", headers=world.h(key), json=body)
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "queued"
    jobs.drain(factory)
    got = client.get(f"{API}/sufficiency/forecasts/{r.json()['id']}", headers=world.h(key))
    assert got.status_code == 200 and got.json()["status"] == "succeeded", got.text
    return got.json()


def test_forecast_job_end_to_end(client, factory, stored):
    w = stored
    job = run(client, factory, w, {"rcc_id": w.rcc_id, "horizon_months": 12, "n_sims": 200})
    res = job["result"]
    df = pd.DataFrame(res["forecast"])
    assert set(df["la"]) == {w.la_a, w.la_b, "RCC"}
    assert len(df["period"].unique()) == 12 and res["origin"] == "2022-03-31"
    assert (df["lo_95"] <= df["lo_80"] + 1e-9).all() and (df["lo_80"] <= df["mean"] + 1e-9).all()
    assert (df["mean"] <= df["hi_80"] + 1e-9).all() and (df["hi_80"] <= df["hi_95"] + 1e-9).all()
    key = ["age_band", "placement", "period"]
    las = df[df["la"] != "RCC"].groupby(key)["mean"].sum()
    total = df[df["la"] == "RCC"].set_index(key)["mean"].reindex(las.index)
    assert (las - total).abs().max() < 0.01
    assert res["costs"] and {"annual_cost_mean", "fee_source"} <= set(res["costs"][0])
    csv = client.get(f"{API}/sufficiency/forecasts/{job['id']}?format=csv", headers=w.h("commissioner"))
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert (
        csv.text.startswith("la,age_band,placement,period,mean") and len(csv.text.splitlines()) == len(df) + 1
    )
    # The gap uses this job.
    gap = client.get(f"{API}/sufficiency/gap?rcc={w.rcc_id}&horizon=12", headers=w.h("commissioner")).json()
    assert gap["forecast"]["kind"] == "job" and gap["forecast"]["job_id"] == job["id"]


def _total(job: dict) -> float:
    df = pd.DataFrame(job["result"]["forecast"])
    last = df["period"].max()
    sel = (
        (df["la"] == "RCC") & (df["age_band"] == "all") & (df["placement"] == "all") & (df["period"] == last)
    )
    return float(df.loc[sel, "mean"].iloc[0])


@pytest.mark.slow
def test_scenarios_move_the_forecast_the_expected_way(client, factory, stored):
    w = stored
    base = {"rcc_id": w.rcc_id, "horizon_months": 12, "n_sims": 200}
    baseline = _total(run(client, factory, w, base))
    more = _total(
        run(client, factory, w, {**base, "scenario": {"name": "more entrants", "entry_multiplier": 2}})
    )
    fewer_exits = _total(run(client, factory, w, {**base, "scenario": {"exit_multiplier": 0.2}}))
    teens = run(client, factory, w, {**base, "scenario": {"entry_by_age": {"10_to_15": 3}}})
    assert more > baseline and fewer_exits > baseline and _total(teens) >= baseline
    # A scenario job never feeds the gap (it uses the latest baseline job).
    gap = client.get(f"{API}/sufficiency/gap?rcc={w.rcc_id}", headers=w.h("commissioner")).json()
    assert gap["forecast"]["job_id"] != teens["id"]


def test_bad_input_is_422_naming_the_field(client, world):
    h = world.h("commissioner")
    r = client.post(
        f"{API}/sufficiency/forecasts", headers=h, json={"rcc_id": world.rcc_id, "horizon_months": 0}
    )
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "horizon_months"
    r = client.post(
        f"{API}/sufficiency/forecasts", headers=h,
        json={"rcc_id": world.rcc_id, "scenario": {"entry_by_age": {"teens": 1.2}}},
    )  # fmt: skip
    assert r.status_code == 422 and "scenario.entry_by_age" in r.json()["error"]["details"][0]["field"]
    r = client.post(f"{API}/sufficiency/forecasts", headers=h, json={"horizon_months": 12})
    assert r.status_code == 422
    r = client.post(f"{API}/sufficiency/forecasts", headers=h, json={"rcc_id": world.rcc_id})
    assert r.status_code == 409  # no returns stored yet
    r = client.get(f"{API}/sufficiency/gap?rcc={world.rcc_id}&horizon=99", headers=h)
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "horizon"
    r = client.get(f"{API}/sufficiency/gap?la=XYZ", headers=h)
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "la"
    r = client.get(f"{API}/sufficiency/charts/fan.png?rcc={world.rcc_id}&placement=castle", headers=h)
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "placement"


def test_gap_through_the_api_hand_checked(client, hand_world):  # noqa: F811
    w = hand_world
    r = client.get(f"{API}/sufficiency/gap?rcc={w.rcc_id}&horizon=12", headers=w.h("commissioner"))
    assert r.status_code == 200, r.text
    g = r.json()
    rows = {(x["la"], x["category"]): x for x in g["rows"] + g["totals"]}
    assert rows[(w.la_a, "fostering")]["to_commission"] == 6
    assert rows[(w.la_b, "fostering")]["to_commission"] == 7
    assert rows[("RCC", "fostering")]["to_commission"] == 10
    assert rows[("RCC", "all")]["to_commission"] == 12
    assert rows[(w.la_a, "fostering")]["annual_cost_mean"] == pytest.approx(10 * 500 * 1.03 * 52.18)
    csv = client.get(f"{API}/sufficiency/gap?rcc={w.rcc_id}&format=csv", headers=w.h("commissioner"))
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.splitlines()
    assert lines[0].startswith("la,la_name,category,projected_mean,projected_hi_80,required")
    assert len(lines) == 1 + 8 + 5


@pytest.mark.slow
def test_charts_and_report(client, hand_world):  # noqa: F811
    w = hand_world
    h = w.h("commissioner")
    for path in ("charts/fan.png", "charts/gap.png"):
        r = client.get(f"{API}/sufficiency/{path}?rcc={w.rcc_id}", headers=h)
        assert r.status_code == 200 and r.headers["content-type"] == "image/png", r.text
        assert r.content.startswith(b"\x89PNG") and len(r.content) > 2000
    r = client.get(f"{API}/sufficiency/report?rcc={w.rcc_id}", headers=h)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    assert "Sufficiency report: Test RCC" in page
    assert "<b>29</b> children were looked after" in page  # children at origin (RCC)
    assert "<b>24</b>" in page  # projected mean 24.5 -> shown rounded to 24
    assert "<b>12</b> more places" in page  # places to commission
    assert "fostering: 10" in page
    assert page.count("data:image/png;base64,") == 2
    assert "closed, shrinking cohort" in page and "never negative" in page
    r = client.get(f"{API}/sufficiency/report?la={w.la_a}", headers=w.h("officer_a"))
    assert r.status_code == 200 and "Newcastle" in r.text


def test_scope_through_the_api(client, factory, stored):
    w = stored
    job = run(client, factory, w, {"la_code": w.la_a, "horizon_months": 6, "n_sims": 100}, key="officer_a")
    assert {r["la"] for r in job["result"]["forecast"]} == {w.la_a}
    # Another LA's officer: not found; provider: forbidden; the RCC's commissioner: sees it.
    url = f"{API}/sufficiency/forecasts/{job['id']}"
    assert client.get(url, headers=w.h("officer_b")).status_code == 404
    assert client.get(url, headers=w.h("provider_a")).status_code == 403
    assert client.get(url, headers=w.h("commissioner")).status_code == 200
    body = {"la_code": w.la_a}
    assert client.post(f"{API}/sufficiency/forecasts", headers=w.h("officer_b"), json=body).status_code == 404
    assert (
        client.post(f"{API}/sufficiency/forecasts", headers=w.h("provider_a"), json=body).status_code == 403
    )
    rcc_body = {"rcc_id": w.rcc_id}
    assert (
        client.post(f"{API}/sufficiency/forecasts", headers=w.h("officer_a"), json=rcc_body).status_code
        == 403
    )
    assert client.get(f"{API}/sufficiency/gap?la={w.la_a}", headers=w.h("officer_out")).status_code == 404
    assert client.get(f"{API}/sufficiency/gap?rcc={w.rcc_id}", headers=w.h("provider_a")).status_code == 403
    assert client.get(f"{API}/sufficiency/report?la={w.la_b}", headers=w.h("officer_a")).status_code == 404
    assert (
        client.get(f"{API}/sufficiency/charts/fan.png?la={w.la_a}", headers=w.h("officer_a")).status_code
        == 200
    )


@pytest.mark.slow
def test_backtest_job_through_the_api(client, factory, stored):
    w = stored
    h = w.h("commissioner")
    r = client.post(
        f"{API}/sufficiency/backtests", headers=h, json={"rcc_id": w.rcc_id, "n_windows": 2, "n_sims": 100}
    )
    assert r.status_code == 202, r.text
    jobs.drain(factory)
    got = client.get(f"{API}/sufficiency/backtests/{r.json()['id']}", headers=h).json()
    assert got["status"] == "succeeded", got["error"]
    table = got["result"]["table"]
    assert table[0]["method"] == "model" and len(table) >= 2
    assert got["result"]["origins"] == ["2020-03-31", "2021-03-31"]


def test_run_now_runs_one_queued_forecast_in_process_and_refuses_a_taken_one(client, factory, stored):
    """The CLI's ``forecast run`` path: claim this job, run the forecast handler, store the result."""
    from rcc.errors import Conflict
    from rcc.sufficiency import forecasts

    w = stored
    r = client.post(
        f"{API}/sufficiency/forecasts", headers=w.h("commissioner"), json={"rcc_id": w.rcc_id, "n_sims": 200}
    )
    job = forecasts.run_now(factory, r.json()["id"])
    assert job.status == "succeeded" and job.result["forecast"]
    with pytest.raises(Conflict):
        forecasts.run_now(factory, job.id)


def test_a_member_la_without_returns_is_named_in_the_result_gap_and_report_headline(client, factory, world):
    upload(client, world, world.la_a, 1)  # Middlesbrough (la_b) submits nothing
    h = world.h("commissioner")
    job = run(client, factory, world, {"rcc_id": world.rcc_id, "horizon_months": 6, "n_sims": 100})
    res = job["result"]
    cov = {c["la"]: c for c in res["coverage"]}
    assert cov[world.la_b]["in_forecast"] is False and cov[world.la_b]["status"] == "no_returns"
    assert cov[world.la_a]["in_forecast"] is True and cov[world.la_a]["covered_to"] == res["origin"]
    assert res["covered_las"] == [world.la_a]
    assert (
        "Middlesbrough" in res["notes"][0] and "RCC totals cover only Newcastle upon Tyne" in res["notes"][0]
    )
    assert {r["la"] for r in res["forecast"]} == {world.la_a, "RCC"}

    g = client.get(f"{API}/sufficiency/gap?rcc={world.rcc_id}&horizon=6", headers=h).json()
    assert g["notes"][0] == res["notes"][0] and g["covered_las"] == [world.la_a]
    assert [c["la"] for c in g["coverage"] if not c["in_forecast"]] == [world.la_b]

    page = client.get(f"{API}/sufficiency/report?rcc={world.rcc_id}&horizon=6", headers=h).text
    headline = page[page.index("class='headline'") : page.index("</p>", page.index("class='headline'"))]
    assert "Incomplete data." in headline and "Middlesbrough" in headline and res["origin"] in headline
    assert "Test RCC: Newcastle upon Tyne only" in headline  # what the figures cover, up front


def test_uasc_scenario_inputs_through_the_api(client, factory, stored):
    h = stored.h("commissioner")
    bad = [
        ({"uasc_monthly_arrivals": {"*": -1}}, "scenario"),
        ({"uasc_quota": {"E99999999": 5}}, "scenario.uasc_quota[E99999999]"),
        ({"uasc_monthly_arrivals": {"XYZ": 1}}, "scenario.uasc_monthly_arrivals[XYZ]"),
    ]
    for scenario, field in bad:
        r = client.post(
            f"{API}/sufficiency/forecasts", headers=h, json={"rcc_id": stored.rcc_id, "scenario": scenario}
        )
        assert r.status_code == 422, r.text
        assert r.json()["error"]["details"][0]["field"].startswith(field), r.text
    body = {"rcc_id": stored.rcc_id, "horizon_months": 12, "n_sims": 100}
    base = run(client, factory, stored, body)
    more = run(client, factory, stored, {**body, "scenario": {"uasc_monthly_arrivals": {"*": 5}}})
    assert more["params"]["scenario"]["uasc_monthly_arrivals"] == {"*": 5.0}
    # five UASC arrivals a month in each of two LAs for a year: clearly more children in care
    assert _total(more) > _total(base) + 20
