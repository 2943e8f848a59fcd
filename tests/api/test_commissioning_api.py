"""Commissioning endpoints: JSON, CSV and HTML renderings, scope by role, the stress-test job."""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from rcc.jobs import worker as jobs
from tests.conftest import DATA_DIR
from tests.services.commissioning_fixtures import build

PERIOD = {"period_start": "2024-04-01", "period_end": "2025-03-31"}


def _q(world, **over):
    return {"rcc": world.rcc_id, **PERIOD, **over}


def test_cost_of_care_json_csv_and_html(client, world, factory):
    build(factory, world)
    h = world.h("commissioner")
    r = client.get("/api/v1/commissioning/cost-of-care", params=_q(world), headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    ch = next(x for x in body["rows"] if x["dimension"] == "home_type" and x["group"] == "childrens_home")
    assert ch["total"]["median"] == 3100 and body["period_end"] == "2025-03-31"
    # total spend: every placement open on the period's end, weekly and annualised
    from rcc.db.models import Placement

    with factory() as s:
        live = [p for p in s.scalars(select(Placement)) if p.start_date <= dt.date(2025, 3, 31)
                and (p.end_date is None or p.end_date >= dt.date(2025, 3, 31))]  # fmt: skip
    spend = body["spend"]
    assert spend["as_of"] == "2025-03-31"
    assert spend["weekly"] == sum(p.weekly_total for p in live) > 0
    assert spend["annualised"] == round(spend["weekly"] * 52.18)
    assert (
        sum(x["weekly"] for x in spend["by_la"])
        == sum(x["weekly"] for x in spend["by_category"])
        == spend["weekly"]
    )
    for url, params in (("/api/v1/commissioning/cost-of-care", _q(world, format="csv")),
                        ("/api/v1/commissioning/cost-of-care.csv", _q(world))):  # fmt: skip
        r = client.get(url, params=params, headers=h)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(r.text)))
        total = next(x for x in rows if x["group"] == "childrens_home" and x["component"] == "total")
        assert (total["n"], total["median"], total["q1"], total["q3"]) == ("5", "3100.0", "2100.0", "4100.0")
        la_foster = next(x for x in rows if x["group"] == "la_foster" and x["component"] == "total")
        assert la_foster["median"] == "c" and la_foster["n"] == "c" and "fewer than 5" in la_foster["caveat"]
    r = client.get("/api/v1/commissioning/cost-of-care", params=_q(world, format="html"), headers=h)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    assert "Commissioning intelligence: Test RCC" in page and "£3,100" in page
    assert "suppressed: based on fewer than 5" in page and ">c<" in page
    assert "statistical neighbour" in page and "Source:" in page and "method" in page
    assert "Provider concentration" in page and "Equality monitoring" in page
    r2 = client.get("/api/v1/commissioning/report", params=_q(world), headers=h)
    assert r2.status_code == 200 and "Stability and outcomes" in r2.text


def test_other_reports_and_csv(client, world, factory):
    build(factory, world)
    h = world.h("commissioner")
    r = client.get("/api/v1/commissioning/concentration", params={"rcc": world.rcc_id}, headers=h)
    assert r.status_code == 200 and r.json()["areas"][0]["hhi"] == 5013.9
    r = client.get(
        "/api/v1/commissioning/concentration", params={"rcc": world.rcc_id, "format": "csv"}, headers=h
    )
    assert r.text.splitlines()[1].split(",")[6] == "5013.9"
    r = client.get("/api/v1/commissioning/outcomes", params=_q(world), headers=h)
    assert r.status_code == 200 and r.json()["overall"]["new_over_20_miles"]["percent"] == 27.8
    assert r.json()["overall"]["dfe_over_20_miles"]["year"] == 2025  # from the shared data dir
    r = client.get("/api/v1/commissioning/equality", params=_q(world), headers=h)
    assert r.status_code == 200 and {g["dimension"] for g in r.json()["groups"]} == {
        "ethnicity", "disability", "uasc", "age_band"
    }  # fmt: skip
    r = client.get("/api/v1/commissioning/equality", params=_q(world, format="csv"), headers=h)
    row = next(x for x in csv.DictReader(io.StringIO(r.text)) if x["group"] == "Mixed"
               and x["measure"] == "children_placed_at_end")  # fmt: skip
    assert row["value"] == "c"
    r = client.get("/api/v1/commissioning/financial-oversight", params={"rcc": world.rcc_id, "as_of": "2025-03-31"},
                   headers=h)  # fmt: skip
    assert r.status_code == 200 and len(r.json()["providers"][0]["children"]) == 5


def test_scope_by_role_and_bad_input(client, world, factory):
    build(factory, world)
    url = "/api/v1/commissioning/cost-of-care"
    assert client.get(url, params=_q(world), headers=world.h("admin")).status_code == 200
    r = client.get(url, params=_q(world), headers=world.h("officer_a"))
    assert r.status_code == 200 and r.json()["la_code"] == world.la_a and r.json()["placements"]["value"] == 8
    assert client.get(url, params=_q(world, la=world.la_b), headers=world.h("officer_a")).status_code == 403
    assert client.get(url, params=_q(world), headers=world.h("officer_out")).status_code == 404
    assert client.get(url, params=_q(world), headers=world.h("provider_a")).status_code == 403
    assert (
        client.get(url, params=_q(world, rcc=world.rcc_id + 99), headers=world.h("admin")).status_code == 404
    )
    assert client.get(url, params=_q(world)).status_code == 401
    for params, field in (
        (_q(world, period_start="2025-04-01"), "period_end"),
        (_q(world, period_end="31/03/2025"), "period_end"),
        (_q(world, format="pdf"), "format"),
        (_q(world, la="nowhere"), "la"),
        ({"period_start": "2024-04-01"}, "rcc"),
    ):
        r = client.get(url, params=params, headers=world.h("admin"))
        assert r.status_code == 422, (params, r.text)
        assert r.json()["error"]["details"][0]["field"] == field


def test_stress_test_job(client, world, factory):
    build(factory, world)
    h = world.h("commissioner")
    url = "/api/v1/commissioning/stress-tests"
    body = {"rcc_id": world.rcc_id, "owner_group": "Acme Group", "as_of": "2025-03-31", "time_limit_s": 10}
    assert client.post(url, json=body, headers=world.h("officer_a")).status_code == 403
    assert client.post(url, json=body, headers=world.h("provider_a")).status_code == 403
    for bad, field in (({"owner_group": "Nobody Ltd"}, "owner_group"), ({"owner_group": ""}, "owner_group"),
                       ({"rcc_id": world.rcc_id + 99}, "rcc_id"), ({"time_limit_s": 0}, "time_limit_s"),
                       ({"capacity": "infinite"}, "capacity")):  # fmt: skip
        r = client.post(url, json=body | bad, headers=h)
        assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == field, r.text
    r = client.post(url, json=body, headers=h)
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["status"] == "queued" and job["report"] is None
    assert jobs.drain(factory) == 1
    r = client.get(f"{url}/{job['id']}", headers=h)
    assert r.status_code == 200, r.text
    rep = r.json()["report"]
    assert r.json()["status"] == "succeeded"
    assert (rep["affected"], rep["re_placed"], rep["unplaced"]) == (5, 3, 2)
    assert rep["distance_after_re_placed"]["median"] == 20.0 and rep["weekly_cost_after_re_placed"] == 12000
    page = client.get(f"{url}/{job['id']}", params={"format": "html"}, headers=h)
    assert page.status_code == 200 and "if Acme Group stopped trading" in page.text
    assert "Home types, in the order they run out" in page.text and "Not for publication" in page.text
    assert client.get(f"{url}/{job['id']}", headers=world.h("admin")).status_code == 200
    assert client.get(f"{url}/{job['id']}", headers=world.h("officer_a")).status_code == 404
    assert client.get(f"{url}/nope", headers=h).status_code == 404


@pytest.mark.slow
def test_stress_test_on_the_demo_region(factory, tmp_path):
    """North East at a small scale (about 3 s): the largest independent owner group stops trading."""
    from rcc.auth import SYSTEM
    from rcc.commissioning import stress as stress_svc
    from rcc.db import transaction
    from rcc.db.models import Home, Provider
    from rcc.demo.generate import generate_region
    from rcc.demo.load import load_region

    t0 = time.perf_counter()
    demo = generate_region("North East", 7, Path(DATA_DIR), scale=0.1)
    with transaction(factory) as s:
        summary = load_region(s, demo)
        places = s.execute(
            select(Provider.owner_group, func.sum(Home.registered_places))
            .join(Home, Home.provider_id == Provider.id)
            .where(Provider.sector != "local_authority", Provider.owner_group.is_not(None))
            .group_by(Provider.owner_group)
            .order_by(func.sum(Home.registered_places).desc(), Provider.owner_group)
        ).first()
        group = places[0]
        job = stress_svc.submit_stress_test(s, SYSTEM, summary.rcc_id, group, demo_date(demo), 20)
        job_id = job.id
    assert jobs.drain(factory) == 1
    with transaction(factory) as s:
        view = stress_svc.stress_test_view(stress_svc.get_stress_test(s, SYSTEM, job_id))
    assert view["status"] == "succeeded", view["error"]
    r = view["report"]
    assert r["owner_group"] == group and r["affected"] > 0
    assert r["affected"] == r["re_placed"] + r["unplaced"] == len(r["children"])
    assert r["re_placed"] == sum(c["outcome"] == "re-placed" for c in r["children"])
    assert (
        r["distance_before_all"]["n"] == r["affected"]
        and r["distance_after_re_placed"]["n"] == r["re_placed"]
    )
    assert r["weekly_cost_change"] == r["weekly_cost_after_re_placed"] - r["weekly_cost_before_re_placed"]
    assert r["weekly_cost_after_re_placed"] == sum(c["after_weekly_cost"] or 0 for c in r["children"])
    sib = r["siblings"]
    assert sib["groups"] == sib["together_after"] + sib["split_after"] + sib["unplaced"]
    assert sum(t["used_by_re_placements"] for t in r["home_types"]) == r["re_placed"]
    assert all(t["spare_places_remaining"] >= 0 for t in r["home_types"])
    assert r["exhausted_first"] == [t["home_type"] for t in r["home_types"] if t["exhausted"]]
    assert time.perf_counter() - t0 < 120


def demo_date(demo):
    return max(p.start_date for p in demo.placements)


def test_cost_of_care_on_an_rcc_with_no_placements_is_empty_not_an_error(client, world):
    """An RCC whose LAs have no placements in the period gets suppressed totals, never a 500."""
    h = world.h("commissioner")
    for fmt in ("json", "csv", "html"):
        r = client.get("/api/v1/commissioning/cost-of-care", params=_q(world, format=fmt), headers=h)
        assert r.status_code == 200, (fmt, r.text)
    body = client.get("/api/v1/commissioning/cost-of-care", params=_q(world), headers=h).json()
    totals = [c for c in body["la_vs_rcc"] if c["home_type"] == "all"]
    assert totals and all(c["rcc_total"]["median"] is None for c in totals)
