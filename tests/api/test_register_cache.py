"""The prepared register is cached per process and rebuilt after any change to the register,
including a change written by another process (another session on the same database)."""

from __future__ import annotations

from rcc.db import transaction
from rcc.db.models import Home
from rcc.matching import shortlist as matching
from tests.api.test_matching_api import make_home, make_referral


def test_shortlists_reuse_the_prepared_register_until_it_changes(client, world, factory):
    near = make_home(client, world, postcode="NE6 1")
    ref, _ = make_referral(client, world)
    url = f"/api/v1/referrals/{ref}/shortlist?top_n=5"
    h = world.h("officer_a")
    first = client.post(url, headers=h).json()
    misses = matching._REGISTERS.misses
    again = client.post(url, headers=h).json()
    assert matching._REGISTERS.misses == misses  # served from the cache
    assert again["entries"] == first["entries"] and [e["home_id"] for e in first["entries"]] == [near]

    # another process adds a home nearer still: the next shortlist sees it
    with transaction(factory) as s:
        template = s.get(Home, near)
        twin = Home(
            **{c.key: getattr(template, c.key) for c in Home.__table__.columns if c.key not in ("id", "urn")}
        )
        twin.name = "Written elsewhere"
        s.add(twin)
        s.flush()
        twin_id = twin.id
    after = client.post(url, headers=h).json()
    assert matching._REGISTERS.misses == misses + 1
    assert after["homes_considered"] == first["homes_considered"] + 1
    assert twin_id in [e["home_id"] for e in after["entries"]]

    # a change through the API is seen at once too: the home is suspended, so it drops out
    r = client.patch(
        f"/api/v1/homes/{twin_id}", json={"registration_status": "suspended"}, headers=world.h("admin")
    )
    assert r.status_code == 200, r.text
    assert twin_id not in [e["home_id"] for e in client.post(url, headers=h).json()["entries"]]
    assert matching._REGISTERS.misses == misses + 2


def test_the_published_report_is_built_once_per_change(client, world, factory):
    from rcc.commissioning import reports as commissioning
    from tests.api.test_commissioning_api import _q
    from tests.services.commissioning_fixtures import build

    build(factory, world)
    h = world.h("commissioner")
    first = client.get("/api/v1/commissioning/report", params=_q(world), headers=h)
    assert first.status_code == 200
    misses = commissioning._REPORTS.misses
    assert client.get("/api/v1/commissioning/report", params=_q(world), headers=h).text == first.text
    assert commissioning._REPORTS.misses == misses  # the same page, not computed again
    # another role sees its own page, computed for it
    assert (
        client.get("/api/v1/commissioning/report", params=_q(world), headers=world.h("admin")).status_code
        == 200
    )
    assert commissioning._REPORTS.misses == misses + 1
    # any change to the records (here a provider, which the matching register does not track) rebuilds it
    r = client.post(
        "/api/v1/providers", json={"name": "Gamma Care", "sector": "private"}, headers=world.h("admin")
    )
    assert r.status_code == 201
    client.get("/api/v1/commissioning/report", params=_q(world), headers=h)
    assert commissioning._REPORTS.misses == misses + 2
    # a caller outside the RCC is refused, whatever is cached
    assert client.get(
        "/api/v1/commissioning/report", params=_q(world), headers=world.h("officer_out")
    ).status_code in (403, 404)


def test_a_kept_homes_page_is_the_same_json_as_each_home_read_alone_and_follows_changes(client, world):
    from rcc.register import homes as homes_svc

    a = make_home(client, world, postcode="NE6 1")
    b = make_home(client, world, postcode="NE1 4")
    h = world.h("admin")
    url = "/api/v1/homes?limit=10"
    first = client.get(url, headers=h)
    misses = homes_svc._PAGES.misses
    again = client.get(url, headers=h)
    assert homes_svc._PAGES.misses == misses  # kept
    assert again.status_code == 200 and again.headers["content-type"] == "application/json"
    assert again.json() == first.json() and first.json()["total"] == 2
    alone = {i: client.get(f"/api/v1/homes/{i}", headers=h).json() for i in (a, b)}
    assert {x["id"]: x for x in first.json()["items"]} == alone  # the same fields and values as one read

    r = client.patch(f"/api/v1/homes/{a}", json={"name": "Renamed house"}, headers=h)
    assert r.status_code == 200
    after = client.get(url, headers=h).json()
    assert {x["id"]: x["name"] for x in after["items"]}[a] == "Renamed house"
    assert client.get(url + "&offset=abc", headers=h).status_code == 422  # validation still first
