"""Occupancy over date intervals on every path that makes a placement, including under
concurrency (run on PostgreSQL with ``RCC_TEST_DATABASE_URL``; SQLite by default).

Concurrent requests go through one TestClient from many threads: its portal runs them on one
event loop, and the sync endpoints run in the thread pool, each with its own session and
transaction, as under uvicorn.
"""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from tests.api.helpers import child_body, home_body

TODAY = dt.date.today()
NEXT_MONTH = TODAY + dt.timedelta(days=30)


def _home(client, world, places=1, **over):
    body = home_body(world.provider_a, urn=None, registered_places=places, age_min=0, **over)
    r = client.post("/api/v1/homes", json=body, headers=world.h("admin"))
    assert r.status_code == 201, r.text
    return r.json()


def _children(client, world, n, tag="K"):
    h = world.h("officer_a")
    return [
        client.post(
            "/api/v1/children", json=child_body(world.la_a, la_child_id=f"{tag}{i}"), headers=h
        ).json()["id"]
        for i in range(n)
    ]


def _placements_at(factory, home_id):
    from rcc.db.models import Placement

    with factory() as s:
        return s.scalar(select(func.count()).select_from(Placement).where(Placement.home_id == home_id))


def _race(n, fn, items):
    """Run ``fn`` over ``items`` from ``n`` threads released together."""
    gate = threading.Barrier(n)

    def go(item):
        gate.wait()
        return fn(item)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(go, items))


def _place(client, world, home_id, start, end):
    def post(cid):
        body = {"child_id": cid, "home_id": home_id, "start_date": start.isoformat(),
                "end_date": end.isoformat() if end else None, "weekly_core": 4000}  # fmt: skip
        return client.post("/api/v1/placements", json=body, headers=world.h("officer_a")).status_code

    return post


def test_twenty_concurrent_direct_placements_with_end_dates_fill_one_place_once(client, world, factory):
    home = _home(client, world)
    kids = _children(client, world, 20)
    codes = _race(20, _place(client, world, home["id"], TODAY, dt.date(2099, 12, 31)), kids)
    assert sorted(codes) == [201] + [409] * 19
    assert _placements_at(factory, home["id"]) == 1
    assert client.get(f"/api/v1/homes/{home['id']}", headers=world.h("admin")).json()["free_places"] == 0


def test_twenty_concurrent_future_placements_fill_one_place_once(client, world, factory):
    home = _home(client, world)
    kids = _children(client, world, 20)
    codes = _race(20, _place(client, world, home["id"], NEXT_MONTH, None), kids)
    assert codes.count(201) == 1 and codes.count(409) == 19
    assert _placements_at(factory, home["id"]) == 1


def test_direct_placements_and_accepted_offers_racing_never_overbook(client, world, factory):
    home = _home(client, world, places=2)
    kids = _children(client, world, 12)
    h = world.h("officer_a")
    offers = []
    for cid in kids[:6]:
        ref = client.post(
            "/api/v1/referrals",
            json={"la_code": world.la_a, "child_ids": [cid], "needed_by": "Today"},
            headers=h,
        ).json()
        offers.append(
            client.post(
                "/api/v1/offers", json={"referral_id": ref["id"], "home_id": home["id"]}, headers=h
            ).json()["id"]
        )
    place = _place(client, world, home["id"], TODAY, TODAY + dt.timedelta(days=90))

    def act(item):
        kind, x = item
        if kind == "offer":
            body = {"start_date": TODAY.isoformat(), "weekly_core": 4000}
            return client.post(
                f"/api/v1/offers/{x}/accept", json=body, headers=world.h("provider_a")
            ).status_code
        return place(x)

    items = [("offer", o) for o in offers] + [("direct", c) for c in kids[6:]]
    codes = _race(len(items), act, items)
    assert sum(c in (200, 201) for c in codes) == 2 and codes.count(409) == len(items) - 2
    assert _placements_at(factory, home["id"]) == 2


def test_capacity_holds_over_the_whole_date_range(client, world):
    home = _home(client, world)
    a, b, c, d = _children(client, world, 4)
    place = _place(client, world, home["id"], NEXT_MONTH, None)
    assert place(a) == 201  # booked from next month, open-ended
    # today to 2099 overlaps the booking; so does an open-ended placement from today
    assert _place(client, world, home["id"], TODAY, dt.date(2099, 12, 31))(b) == 409
    assert _place(client, world, home["id"], TODAY, None)(b) == 409
    # a stay that ends the day the booking starts fits
    assert _place(client, world, home["id"], TODAY, NEXT_MONTH)(b) == 201
    # and extending it into the booking is refused, naming the home
    pid = client.get("/api/v1/placements", params={"child_id": b}, headers=world.h("officer_a")).json()[
        "items"
    ][0]["id"]
    longer = {"end_date": (NEXT_MONTH + dt.timedelta(days=1)).isoformat(), "reason_ended": "CARPL"}
    r = client.patch(f"/api/v1/placements/{pid}", json=longer, headers=world.h("officer_a"))
    assert r.status_code == 409 and r.json()["error"]["details"][0]["field"] == "home_id"
    assert (
        _place(client, world, home["id"], TODAY - dt.timedelta(days=400), TODAY - dt.timedelta(days=300))(c)
        == 201
    )
    assert (
        _place(client, world, home["id"], TODAY - dt.timedelta(days=350), TODAY - dt.timedelta(days=340))(d)
        == 409
    )


def test_free_places_tell_the_truth_for_any_date(client, world):
    home = _home(client, world, places=2)
    a, b = _children(client, world, 2)
    assert _place(client, world, home["id"], TODAY, NEXT_MONTH)(a) == 201
    assert (
        _place(client, world, home["id"], NEXT_MONTH, None)(b) == 201
    )  # booked (as an accepted offer would be)
    h = world.h("admin")

    def shown(on):
        r = client.get(f"/api/v1/homes/{home['id']}", params={"on": on.isoformat()}, headers=h).json()
        return r["occupied_places"], r["free_places"]

    assert shown(TODAY) == (1, 1)  # one there today; the booking leaves one place free from today
    assert shown(NEXT_MONTH) == (1, 1)
    assert shown(TODAY + dt.timedelta(days=400)) == (1, 1)
    assert shown(TODAY - dt.timedelta(days=1)) == (0, 1)
    listed = client.get("/api/v1/homes", params={"on": TODAY.isoformat()}, headers=h).json()["items"]
    assert [(x["occupied_places"], x["free_places"]) for x in listed] == [(1, 1)]


def test_an_accepted_offer_starting_next_month_takes_the_place_now(client, world):
    home = _home(client, world)
    (a,) = _children(client, world, 1)
    h = world.h("officer_a")
    ref = client.post(
        "/api/v1/referrals",
        json={"la_code": world.la_a, "child_ids": [a], "needed_by": "> 5 days"},
        headers=h,
    ).json()
    offer = client.post(
        "/api/v1/offers", json={"referral_id": ref["id"], "home_id": home["id"]}, headers=h
    ).json()
    r = client.post(f"/api/v1/offers/{offer['id']}/accept",
                    json={"start_date": NEXT_MONTH.isoformat(), "weekly_core": 4000}, headers=world.h("provider_a"))  # fmt: skip
    assert r.status_code == 200, r.text
    assert client.get(f"/api/v1/homes/{home['id']}", headers=h).json()["free_places"] == 0
    vac = {"home_id": home["id"], "places": 1, "available_from": TODAY.isoformat(), "confirmed_by": "manager"}
    r = client.post("/api/v1/vacancies", json=vac, headers=world.h("provider_a"))
    assert r.status_code == 409 and r.json()["error"]["details"][0]["field"] == "places"


def test_declared_vacancies_never_exceed_free_places(client, world):
    home = _home(client, world, places=3)
    p = world.h("provider_a")
    vac = {"home_id": home["id"], "places": 2, "available_from": TODAY.isoformat(), "confirmed_by": "manager"}
    v1 = client.post("/api/v1/vacancies", json=vac, headers=p)
    assert v1.status_code == 201
    assert (
        client.post("/api/v1/vacancies", json={**vac, "places": 2}, headers=p).status_code == 409
    )  # 2 + 2 > 3
    assert client.post("/api/v1/vacancies", json={**vac, "places": 1}, headers=p).status_code == 201
    assert (
        client.patch(f"/api/v1/vacancies/{v1.json()['id']}", json={"places": 3}, headers=p).status_code == 409
    )
    # a direct placement takes a place: the declared vacancies shrink to what is free
    (a,) = _children(client, world, 1)
    assert _place(client, world, home["id"], TODAY, None)(a) == 201
    declared = client.get("/api/v1/vacancies", params={"home_id": home["id"]}, headers=p).json()["items"]
    assert sum(v["places"] for v in declared) == 2


def test_matching_sees_a_place_booked_next_month_as_taken(client, world):
    booked = _home(client, world, name="Booked")
    free = _home(client, world, name="Free")
    a, b = _children(client, world, 2)
    assert _place(client, world, booked["id"], NEXT_MONTH, None)(a) == 201
    h = world.h("officer_a")
    ref = client.post(
        "/api/v1/referrals", json={"la_code": world.la_a, "child_ids": [b], "needed_by": "Today"}, headers=h
    ).json()
    r = client.post(f"/api/v1/referrals/{ref['id']}/shortlist?top_n=5", headers=h)
    assert r.status_code == 200, r.text
    assert [e["home_id"] for e in r.json()["entries"]] == [free["id"]]


def test_one_child_placed_concurrently_into_ten_homes_is_placed_once(client, world, factory):
    from rcc.db.models import Placement

    homes = [_home(client, world, places=2, name=f"H{i}")["id"] for i in range(10)]
    (child,) = _children(client, world, 1)

    def post(home_id):
        body = {"child_id": child, "home_id": home_id, "start_date": TODAY.isoformat(), "weekly_core": 1}
        return client.post("/api/v1/placements", json=body, headers=world.h("officer_a")).status_code

    codes = _race(10, post, homes)
    assert sorted(codes) == [201] + [409] * 9
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Placement).where(Placement.child_id == child)) == 1
