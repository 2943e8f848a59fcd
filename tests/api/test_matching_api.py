"""Matching through the API: policy, shortlist, choices, region-wide runs as jobs, offers, unmet need,
and two acceptances racing for a home's last place."""

from __future__ import annotations

import itertools
import threading

import pytest
from sqlalchemy import func, select

from tests.api.helpers import child_body, home_body
from tests.conftest import PG_URL

_seq = itertools.count(1)


def make_home(client, world, provider: str = "a", **over) -> int:
    pid = world.provider_a if provider == "a" else world.provider_b
    body = home_body(pid, urn=None, name=f"Home {next(_seq)}", **over)
    r = client.post("/api/v1/homes", json=body, headers=world.h("admin"))
    assert r.status_code == 201, r.text
    return r.json()["id"]


def make_referral(client, world, officer: str = "officer_a", la: str | None = None, needed_by="< 5 days",
                  **child) -> tuple[int, int]:  # fmt: skip
    h = world.h(officer)
    body = child_body(la or world.la_a, la_child_id=f"C{next(_seq)}", **child)
    r = client.post("/api/v1/children", json=body, headers=h)
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    r = client.post("/api/v1/referrals", json={"la_code": la or world.la_a, "child_ids": [cid],
                                                "needed_by": needed_by}, headers=h)  # fmt: skip
    assert r.status_code == 201, r.text
    return r.json()["id"], cid


ACCEPT = {"start_date": "2026-12-01", "weekly_core": 4200, "weekly_additional_support": 500}


def test_matching_policy_get_put_and_scope(client, world):
    url = f"/api/v1/rccs/{world.rcc_id}/matching-policy"
    r = client.get(url, headers=world.h("commissioner"))
    assert r.status_code == 200 and r.json()["overrides"] == {}
    assert r.json()["effective"]["points_per_mile"] == r.json()["defaults"]["points_per_mile"] == 10
    r = client.put(url, json={"overrides": {"points_per_mile": 15, "over_20_miles": 500}},
                   headers=world.h("commissioner"))  # fmt: skip
    assert r.status_code == 200 and r.json()["effective"]["over_20_miles"] == 500
    assert client.get(url, headers=world.h("admin")).json()["overrides"] == {
        "points_per_mile": 15,
        "over_20_miles": 500,
    }
    r = client.put(url, json={"overrides": {"points_per_mile": "far"}}, headers=world.h("commissioner"))
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "overrides.points_per_mile"
    assert client.get(url, headers=world.h("officer_a")).status_code == 403
    assert client.put(url, json={"overrides": {}}, headers=world.h("provider_a")).status_code == 403
    assert client.get("/api/v1/rccs/99999/matching-policy", headers=world.h("admin")).status_code == 404


def test_shortlist_and_choice_through_the_api(client, world):
    near = make_home(client, world, postcode="NE6 1")
    far = make_home(client, world, "b", postcode="TS1 1")
    young = make_home(client, world, postcode="NE4 5", age_min=0, age_max=7)
    ref, cid = make_referral(client, world)
    r = client.post(f"/api/v1/referrals/{ref}/shortlist?top_n=5", headers=world.h("officer_a"))
    assert r.status_code == 200, r.text
    out = r.json()
    assert [e["home_id"] for e in out["entries"]] == [near, far]
    assert out["entries"][0]["explanation"] and "miles from home" in " ".join(
        out["entries"][0]["explanation"]
    )
    assert out["excluded"] == {"age_range": 1} and "1 homes excluded: 1 age range" in out["summary"]
    # points are penalties: the shortlist says so, and names its factors heaviest first
    assert "lower is better" in out["summary"] and "lower is better" in out["points_note"]
    weights = {}
    for e in out["entries"]:
        for c in e["contributions"]:
            weights[c["term"]] = weights.get(c["term"], 0) + c["points"]
    assert out["factor_order"] == [
        t for t, p in sorted(weights.items(), key=lambda kv: (-kv[1], kv[0])) if p > 0
    ]
    assert [e["points"] for e in out["entries"]] == sorted(e["points"] for e in out["entries"])
    # scoped to an RCC: only its member LAs' homes (both are members here); the commissioner may shortlist
    r = client.post(f"/api/v1/referrals/{ref}/shortlist?rcc={world.rcc_id}", headers=world.h("commissioner"))
    assert (
        r.status_code == 200
        and r.json()["homes_considered"] == 3
        and r.json()["policy_rcc_id"] == world.rcc_id
    )
    # scope: another LA's officer does not see the referral; providers never shortlist
    assert client.post(f"/api/v1/referrals/{ref}/shortlist", headers=world.h("officer_b")).status_code == 404
    assert client.post(f"/api/v1/referrals/{ref}/shortlist", headers=world.h("provider_a")).status_code == 403
    r = client.post(f"/api/v1/referrals/{ref}/shortlist?top_n=0", headers=world.h("officer_a"))
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "top_n"
    # an officer's own choice, side by side with the best proposal
    r = client.post(f"/api/v1/referrals/{ref}/validate-choice", json={"home_ids": {str(cid): young}},
                    headers=world.h("officer_a"))  # fmt: skip
    assert r.status_code == 200, r.text
    body = r.json()
    assert not body["choice"]["ok"] and list(body["choice"]["violations_by_rule"]) == ["age_range"]
    assert body["best"]["home_ids"] == {str(cid): near} and body["best"]["ok"]
    r = client.post(f"/api/v1/referrals/{ref}/validate-choice", json={"home_ids": {str(cid): far}},
                    headers=world.h("officer_a"))  # fmt: skip
    assert r.json()["choice"]["ok"] and r.json()["difference"] > 0
    r = client.post(f"/api/v1/referrals/{ref}/validate-choice", json={"home_ids": {"abc": far}},
                    headers=world.h("officer_a"))  # fmt: skip
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"].startswith("home_ids")


def test_region_wide_run_end_to_end(client, world, factory):
    from rcc.jobs.worker import drain

    near = make_home(client, world, postcode="NE6 1", registered_places=1)
    far = make_home(client, world, "b", postcode="TS1 1", registered_places=1)
    r1, _ = make_referral(client, world, needed_by="Today")
    r2, _ = make_referral(client, world)
    r3, _ = make_referral(client, world, needs=["disability"])  # no home meets it
    r_out, _ = make_referral(client, world, "officer_out", la=world.la_out)  # not in the RCC
    assert client.post("/api/v1/matching-runs", json={"rcc_id": world.rcc_id},
                       headers=world.h("officer_a")).status_code == 403  # fmt: skip
    r = client.post("/api/v1/matching-runs", json={"rcc_id": world.rcc_id, "time_limit_s": 5},
                    headers=world.h("commissioner"))  # fmt: skip
    assert r.status_code == 202, r.text
    run = r.json()["id"]
    assert (
        client.get(f"/api/v1/matching-runs/{run}", headers=world.h("commissioner")).json()["status"]
        == "queued"
    )
    r = client.get(f"/api/v1/matching-runs/{run}/result", headers=world.h("commissioner"))
    assert r.status_code == 409
    assert drain(factory) == 1
    status = client.get(f"/api/v1/matching-runs/{run}", headers=world.h("commissioner")).json()
    assert status["status"] == "succeeded", status
    r = client.get(f"/api/v1/matching-runs/{run}/result", headers=world.h("commissioner"))
    assert r.status_code == 200, r.text
    res = r.json()
    assert res["status"] == "optimal" and res["referrals_considered"] == 3 and res["children_placed"] == 2
    assert res["gap"] == 0 and res["objective"] is not None and res["bound"] is not None
    placed = {a["referral_id"]: a["placements"][0]["home_id"] for a in res["assignments"]}
    assert set(placed) == {r1, r2} and set(placed.values()) == {near, far}
    assert all(a["contributions"] for a in res["assignments"])
    (un,) = res["unmatched"]
    assert un["referral_id"] == r3 and any("No home can take" in x for x in un["reasons"])
    assert r_out not in placed
    # the unmatched referral is evidence of unmet need
    r = client.get(f"/api/v1/matching/unmet-need?rcc={world.rcc_id}", headers=world.h("commissioner"))
    assert r.status_code == 200
    (rec,) = r.json()["items"]
    assert (rec["referral_id"], rec["kind"], rec["matching_run_id"]) == (r3, "no_eligible_home", run)
    assert "needs" in rec["detail"] and rec["la_code"] == world.la_a
    assert client.get("/api/v1/matching/unmet-need", headers=world.h("officer_b")).json()["total"] == 0
    assert client.get("/api/v1/matching/unmet-need", headers=world.h("provider_a")).status_code == 403
    # a second run refreshes the record rather than counting the need twice
    client.post("/api/v1/matching-runs", json={"rcc_id": world.rcc_id, "referral_ids": [r3]},
                headers=world.h("admin"))  # fmt: skip
    drain(factory)
    assert client.get("/api/v1/matching/unmet-need", headers=world.h("admin")).json()["total"] == 1
    # bad filters name the field
    r = client.post("/api/v1/matching-runs", json={"rcc_id": world.rcc_id, "la_codes": [world.la_out]},
                    headers=world.h("commissioner"))  # fmt: skip
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "la_codes[0]"
    r = client.post("/api/v1/matching-runs", json={"rcc_id": world.rcc_id, "time_limit_s": 0},
                    headers=world.h("commissioner"))  # fmt: skip
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "time_limit_s"


def _age_out_of_range(factory, child_id: int) -> None:
    """A record the matching library cannot use (a child of 36), written behind the API's back."""
    import datetime as dt

    from rcc.db import transaction
    from rcc.db.models import Child

    with transaction(factory) as s:
        s.get(Child, child_id).birth_month = dt.date(1990, 1, 1)


def test_run_lists_excluded_records_and_why_each_home_was_not_used(client, world, factory):
    from rcc.jobs.worker import drain

    near = make_home(client, world, postcode="NE6 1", registered_places=1)
    r1, _ = make_referral(client, world, needed_by="Today")
    r2, _ = make_referral(client, world)
    bad, bad_child = make_referral(client, world)
    _age_out_of_range(factory, bad_child)
    r = client.post("/api/v1/matching-runs", json={"rcc_id": world.rcc_id}, headers=world.h("commissioner"))
    assert r.status_code == 202, r.text
    run = r.json()["id"]
    assert drain(factory) == 1
    res = client.get(f"/api/v1/matching-runs/{run}/result", headers=world.h("commissioner")).json()
    assert res["status"] == "optimal", res
    # the unusable referral is listed with its field and reason; it neither aborts the run nor is "unmatched"
    (ex,) = res["excluded"]
    assert (ex["kind"], ex["id"], ex["la_code"], ex["field"]) == (
        "referral",
        bad,
        world.la_a,
        "children[0].age_years",
    )
    assert "outside" in ex["reason"]
    placed = {a["referral_id"]: a["placements"][0]["home_id"] for a in res["assignments"]}
    assert placed == {r1: near}
    (un,) = res["unmatched"]
    assert un["referral_id"] == r2
    # "why not placed": every eligible home not used, with a reason true of this very result
    (home,) = un["homes"]
    assert (home["home_id"], home["reason"], home["free_after"]) == (near, "taken", 0)
    assert home["taken_by"] == [r1] and placed[home["taken_by"][0]] == near
    assert f"taken by {r1}" in home["text"]
    # the unmet-need record keeps the same reason
    (rec,) = client.get("/api/v1/matching/unmet-need", headers=world.h("admin")).json()["items"]
    assert (rec["referral_id"], rec["kind"]) == (r2, "no_place_left_in_run")
    assert f"home {near}: no place left: taken by {r1}" in rec["detail"]


def test_unusable_referral_is_a_422_naming_the_field(client, world, factory, monkeypatch):
    import matching

    home = make_home(client, world, postcode="NE6 1")
    ref, cid = make_referral(client, world)
    _age_out_of_range(factory, cid)
    for url, body in (
        (f"/api/v1/referrals/{ref}/shortlist", None),
        (f"/api/v1/referrals/{ref}/validate-choice", {"home_ids": {str(cid): home}}),
    ):
        r = client.post(url, json=body, headers=world.h("officer_a"))
        assert r.status_code == 422, r.text
        err = r.json()["error"]
        assert err["code"] == "invalid" and err["details"][0]["field"] == "children[0].age_years"
        assert "outside" in err["details"][0]["message"]
    # the library's own refusal (matching.InvalidInput from shortlist) is mapped the same way, never a 500
    monkeypatch.setattr(matching, "check_referral", lambda referral: ())
    r = client.post(f"/api/v1/referrals/{ref}/shortlist", headers=world.h("officer_a"))
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "children[0].age_years"


def test_run_time_limit_comes_from_the_setting_unless_the_request_gives_one(settings, world, factory):
    from fastapi.testclient import TestClient

    from rcc.app import create_app
    from rcc.jobs.worker import drain

    assert settings.matching_time_limit_s == 60.0  # the default (RCC_MATCHING_TIME_LIMIT_S)
    cfg = settings.model_copy(update={"matching_time_limit_s": 7.5})
    with TestClient(create_app(cfg, start_worker=False)) as c:
        r = c.post("/api/v1/matching-runs", json={"rcc_id": world.rcc_id}, headers=world.h("commissioner"))
        assert r.status_code == 202 and r.json()["params"]["time_limit_s"] == 7.5
        r = c.post("/api/v1/matching-runs", json={"rcc_id": world.rcc_id, "time_limit_s": 3},
                   headers=world.h("commissioner"))  # fmt: skip
        assert r.status_code == 202 and r.json()["params"]["time_limit_s"] == 3
    assert drain(factory) == 2


def test_run_cancelled_before_start_never_runs(client, world, factory):
    from rcc.jobs.worker import drain

    make_referral(client, world)
    run = client.post("/api/v1/matching-runs", json={"rcc_id": world.rcc_id},
                      headers=world.h("commissioner")).json()["id"]  # fmt: skip
    r = client.post(f"/api/v1/matching-runs/{run}/cancel", headers=world.h("commissioner"))
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert drain(factory) == 0
    assert (
        client.get(f"/api/v1/matching-runs/{run}/result", headers=world.h("commissioner")).status_code == 409
    )
    assert (
        client.post(f"/api/v1/matching-runs/{run}/cancel", headers=world.h("commissioner")).status_code == 409
    )
    assert client.get(f"/api/v1/matching-runs/{run}", headers=world.h("officer_a")).status_code == 404


def test_offer_accept_decline_and_scope(client, world):
    home_a = make_home(client, world, postcode="NE6 1", registered_places=2)
    ref, cid = make_referral(client, world)
    # bad offers name the field
    r = client.post("/api/v1/offers", json={"referral_id": ref}, headers=world.h("officer_a"))
    assert r.status_code == 422
    r = client.post(
        "/api/v1/offers", json={"referral_id": ref, "home_id": 999999}, headers=world.h("officer_a")
    )
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "home_id"
    young = make_home(client, world, postcode="NE4 5", age_min=0, age_max=7)
    r = client.post(
        "/api/v1/offers", json={"referral_id": ref, "home_id": young}, headers=world.h("officer_a")
    )
    assert r.status_code == 422 and "age_range" in r.json()["error"]["message"]
    assert client.post("/api/v1/offers", json={"referral_id": ref, "home_id": home_a},
                       headers=world.h("officer_b")).status_code == 404  # fmt: skip
    r = client.post("/api/v1/offers", json={"referral_id": ref, "home_ids": {str(cid): home_a}},
                    headers=world.h("officer_a"))  # fmt: skip
    assert r.status_code == 201, r.text
    offer = r.json()
    assert offer["status"] == "pending" and offer["children"] == [{"child_id": cid, "home_id": home_a}]
    assert client.get(f"/api/v1/referrals/{ref}", headers=world.h("officer_a")).json()["status"] == "offered"
    # the provider sees offers for its own homes only
    assert client.get("/api/v1/offers?status=pending", headers=world.h("provider_a")).json()["total"] == 1
    assert client.get("/api/v1/offers?status=pending", headers=world.h("provider_b")).json()["total"] == 0
    assert client.get("/api/v1/offers", headers=world.h("officer_out")).json()["total"] == 0
    r = client.get("/api/v1/offers?status=maybe", headers=world.h("provider_a"))
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "status"
    oid = offer["id"]
    assert (
        client.post(f"/api/v1/offers/{oid}/accept", json=ACCEPT, headers=world.h("provider_b")).status_code
        == 404
    )
    assert (
        client.post(f"/api/v1/offers/{oid}/accept", json=ACCEPT, headers=world.h("officer_a")).status_code
        == 403
    )
    r = client.post(
        f"/api/v1/offers/{oid}/accept", json={**ACCEPT, "weekly_core": -5}, headers=world.h("provider_a")
    )
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "weekly_core"
    r = client.post(f"/api/v1/offers/{oid}/accept", json=ACCEPT, headers=world.h("provider_a"))
    assert r.status_code == 200, r.text
    accepted = r.json()
    assert accepted["status"] == "accepted" and len(accepted["placement_ids"]) == 1
    assert (
        client.post(f"/api/v1/offers/{oid}/accept", json=ACCEPT, headers=world.h("provider_a")).status_code
        == 409
    )
    assert client.get(f"/api/v1/referrals/{ref}", headers=world.h("officer_a")).json()["status"] == "placed"
    (p,) = client.get(f"/api/v1/placements?child_id={cid}", headers=world.h("officer_a")).json()["items"]
    assert (p["home_id"], p["weekly_total"], p["start_date"]) == (home_a, 4700, "2026-12-01")
    # the booked place (starting next month) is taken for matching from now on
    ref_next, _ = make_referral(client, world)
    r = client.post(f"/api/v1/referrals/{ref_next}/shortlist", headers=world.h("officer_a"))
    assert [(e["home_id"], e["free_places"]) for e in r.json()["entries"]] == [(home_a, 1)]
    # a decline: coded reason (+ text), the referral is open again
    ref2, _ = make_referral(client, world)
    oid2 = client.post("/api/v1/offers", json={"referral_id": ref2, "home_id": home_a},
                       headers=world.h("commissioner")).json()["id"]  # fmt: skip
    r = client.post(f"/api/v1/offers/{oid2}/decline", json={"reason": "busy"}, headers=world.h("provider_a"))
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "reason"
    r = client.post(f"/api/v1/offers/{oid2}/decline", json={"reason": "other"}, headers=world.h("provider_a"))
    assert r.status_code == 422
    r = client.post(f"/api/v1/offers/{oid2}/decline", json={"reason": "risk_to_others", "text": "Two boys aged 8."},
                    headers=world.h("provider_a"))  # fmt: skip
    assert r.status_code == 200 and r.json()["decline_reason"] == "risk_to_others"
    assert client.get(f"/api/v1/referrals/{ref2}", headers=world.h("officer_a")).json()["status"] == "open"
    assert client.post(f"/api/v1/offers/{oid2}/decline", json={"reason": "location"},
                       headers=world.h("provider_a")).status_code == 409  # fmt: skip


def test_accepted_placement_far_away_in_a_not_preferred_type_is_unmet_need(client, world):
    far = make_home(client, world, "b", postcode="TS1 1")  # a children's home 31 miles away in Middlesbrough
    ref, cid = make_referral(client, world)  # care plan prefers foster care; lives in Newcastle
    oid = client.post("/api/v1/offers", json={"referral_id": ref, "home_id": far},
                      headers=world.h("officer_a")).json()["id"]  # fmt: skip
    assert (
        client.post(f"/api/v1/offers/{oid}/accept", json=ACCEPT, headers=world.h("provider_b")).status_code
        == 200
    )
    items = client.get(
        f"/api/v1/matching/unmet-need?rcc={world.rcc_id}", headers=world.h("officer_a")
    ).json()["items"]
    kinds = {i["kind"]: i for i in items}
    assert set(kinds) == {"not_preferred_type", "over_20_miles", "outside_home_la"}
    assert all(i["offer_id"] == oid and i["child_id"] == cid and i["referral_id"] == ref for i in items)
    assert 30 < kinds["over_20_miles"]["distance_miles"] < 33
    assert "prefers foster" in kinds["not_preferred_type"]["detail"]
    r = client.get("/api/v1/matching/unmet-need?kind=over_20_miles", headers=world.h("admin"))
    assert r.json()["total"] == 1


def _race(client, world, factory) -> tuple[list[int], int]:
    """Two offers for the one free place of a home; both acceptances read, then race to write."""
    from api_schemas.matching import AcceptIn
    from rcc.auth import authenticate
    from rcc.db.models import Home, Placement
    from rcc.errors import DomainError
    from rcc.matching import offers as offers_svc
    from rcc.register.homes import home_view

    home = make_home(client, world, postcode="NE6 1", registered_places=1)
    offers = []
    for _ in range(2):
        ref, _ = make_referral(client, world)
        r = client.post(
            "/api/v1/offers", json={"referral_id": ref, "home_id": home}, headers=world.h("officer_a")
        )
        assert r.status_code == 201, r.text
        offers.append(r.json()["id"])
    barrier = threading.Barrier(2)
    outcome: dict[int, int] = {}

    def accept(offer_id: int) -> None:
        s = factory()
        try:
            who = authenticate(s, world.keys["provider_a"])
            assert home_view(s, s.get(Home, home)).free_places == 1  # both see the last place free
            barrier.wait(timeout=20)
            offers_svc.accept_offer(s, who, offer_id, AcceptIn(**ACCEPT))
            s.commit()
            outcome[offer_id] = 200
        except DomainError as exc:
            s.rollback()
            outcome[offer_id] = exc.status
        finally:
            s.close()

    threads = [threading.Thread(target=accept, args=(o,)) for o in offers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    with factory() as s:
        n = s.scalar(select(func.count()).select_from(Placement).where(Placement.home_id == home))
    return sorted(outcome.values()), n


@pytest.mark.skipif(not PG_URL, reason="row locks are proven on PostgreSQL: set RCC_TEST_DATABASE_URL")
def test_racing_acceptances_for_the_last_place_postgresql(client, world, factory):
    statuses, placements = _race(client, world, factory)
    assert statuses == [200, 409] and placements == 1


@pytest.mark.skipif(bool(PG_URL), reason="the SQLite variant of the race")
def test_racing_acceptances_for_the_last_place_sqlite(client, world, factory):
    statuses, placements = _race(client, world, factory)
    assert statuses == [200, 409] and placements == 1
