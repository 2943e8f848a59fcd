"""The prepared register is cached per process and rebuilt after any change to the register,
including a change written by another process (another session on the same database)."""

from __future__ import annotations

from rcc.db import transaction
from rcc.db.models import Home
from rcc.services import matching
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
