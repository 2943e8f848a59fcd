"""The audit trail through the API: every read or change of a record naming a child is audited,
refused attempts too, and GET /api/v1/audit serves admins and (for their RCC) commissioners."""

from __future__ import annotations

import datetime as dt

from tests.api.helpers import child_body, home_body


def _events(client, world, who="admin", **params):
    r = client.get("/api/v1/audit", params={"limit": 500, **params}, headers=world.h(who))
    assert r.status_code == 200, r.text
    return r.json()


def _child_and_referral(client, world, la=None, officer="officer_a", tag="A1"):
    h = world.h(officer)
    cid = client.post(
        "/api/v1/children", json=child_body(la or world.la_a, la_child_id=tag), headers=h
    ).json()["id"]
    ref = client.post("/api/v1/referrals", json={"la_code": la or world.la_a, "child_ids": [cid], "needed_by": "Today"},
                      headers=h).json()  # fmt: skip
    return cid, ref["id"]


def test_reads_and_changes_of_referrals_offers_and_unmet_need_are_audited(client, world):
    cid, rid = _child_and_referral(client, world)
    h = world.h("officer_a")
    home = client.post("/api/v1/homes", json=home_body(world.provider_a, urn=None, age_min=0),
                       headers=world.h("admin")).json()  # fmt: skip
    before = _events(client, world, child_id=cid)["total"]
    steps = [
        ("GET", f"/api/v1/referrals/{rid}", None, "officer_a"),
        ("GET", "/api/v1/referrals", None, "commissioner"),
        ("PATCH", f"/api/v1/referrals/{rid}", {"needed_by": "< 5 days"}, "officer_a"),
    ]
    for method, url, body, who in steps:
        assert client.request(method, url, json=body, headers=world.h(who)).status_code == 200
    offer = client.post("/api/v1/offers", json={"referral_id": rid, "home_id": home["id"]}, headers=h).json()
    for url, who in ((f"/api/v1/offers/{offer['id']}", "provider_a"), ("/api/v1/offers", "officer_a")):
        assert client.get(url, headers=world.h(who)).status_code == 200
    r = client.post(
        f"/api/v1/offers/{offer['id']}/decline", json={"reason": "no_vacancy"}, headers=world.h("provider_a")
    )
    assert r.status_code == 200, r.text
    events = _events(client, world, child_id=cid)
    details = [e["detail"] for e in events["items"][: events["total"] - before]]
    assert details[::-1] == [
        f"referral {rid}", "referrals", f"referral {rid}: needed_by", f"offer {offer['id']} made",
        f"offer {offer['id']}", "offers", f"offer {offer['id']} declined",
    ]  # fmt: skip
    other, other_ref = _child_and_referral(client, world, tag="A9")
    assert client.delete(f"/api/v1/referrals/{other_ref}", headers=h).status_code == 204
    last = _events(client, world, child_id=other)["items"][0]
    assert (last["action"], last["detail"]) == ("delete", f"referral {other_ref}")


def test_refused_attempts_are_audited(client, world):
    cid, rid = _child_and_referral(client, world)
    b = world.h("officer_b")
    assert client.get(f"/api/v1/children/{cid}", headers=b).status_code == 404
    assert client.patch(f"/api/v1/referrals/{rid}", json={"needed_by": "Today"}, headers=b).status_code == 404
    assert client.get(f"/api/v1/children/{cid}", headers=world.h("provider_a")).status_code == 403
    refused = _events(client, world, action="refused")["items"]
    assert [(e["role"], e["entity"], e["entity_id"]) for e in refused][::-1] == [
        ("la_officer", "child", cid), ("la_officer", "referral", rid), ("provider", "child", cid),
    ]  # fmt: skip
    assert refused[-1]["detail"].startswith(f"GET /api/v1/children/{cid}: 404")


def test_who_reads_the_audit_trail(client, world, factory):
    from rcc.auth import Role, create_api_key
    from rcc.db import transaction
    from rcc.db.models import LocalAuthority, Rcc

    mine, _ = _child_and_referral(client, world)
    theirs, _ = _child_and_referral(client, world, la=world.la_out, officer="officer_out", tag="O1")
    with transaction(factory) as s:
        out = s.query(LocalAuthority).filter_by(gss_code=world.la_out).one()
        other = Rcc(name="North West", members=[out])
        s.add(other)
        s.flush()
        other_key = create_api_key(s, Role.RCC_COMMISSIONER, rcc_id=other.id)[1]
    mine_ids = {e["entity_id"] for e in _events(client, world, "commissioner", entity="child")["items"]}
    assert mine in mine_ids and theirs not in mine_ids
    theirs_view = client.get(
        "/api/v1/audit", params={"entity": "child"}, headers={"Authorization": f"Bearer {other_key}"}
    )
    assert {e["entity_id"] for e in theirs_view.json()["items"]} == {theirs}
    assert {mine, theirs} <= {e["entity_id"] for e in _events(client, world, entity="child")["items"]}
    for who in ("officer_a", "provider_a"):
        assert client.get("/api/v1/audit", headers=world.h(who)).status_code == 403


def test_audit_filters_and_paging(client, world):
    a, _ = _child_and_referral(client, world)
    b, _ = _child_and_referral(client, world, tag="A2")
    client.get(f"/api/v1/children/{a}", headers=world.h("commissioner"))
    everything = _events(client, world)
    assert everything["total"] >= 5
    page = client.get("/api/v1/audit", params={"limit": 2, "offset": 1}, headers=world.h("admin")).json()
    assert [e["id"] for e in page["items"]] == [e["id"] for e in everything["items"][1:3]]
    only_a = _events(client, world, child_id=a)["items"]
    assert only_a and all(e["entity"] == "child" and e["entity_id"] == a for e in only_a)
    assert b not in {e["entity_id"] for e in only_a}
    commissioner_key = next(e["api_key_id"] for e in only_a if e["role"] == "rcc_commissioner")
    by_key = _events(client, world, api_key_id=commissioner_key)["items"]
    assert [e["entity_id"] for e in by_key] == [a]
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    assert _events(client, world, since=later)["total"] == 0
    assert _events(client, world, until=later)["total"] == everything["total"]
    r = client.get("/api/v1/audit", params={"action": "erase"}, headers=world.h("admin"))
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "action"


def test_reading_unmet_need_and_a_placement_are_audited(client, world):
    cid, rid = _child_and_referral(client, world)
    home = client.post(
        "/api/v1/homes",
        json=home_body(world.provider_a, urn=None, age_min=0, postcode="TS1 2"),
        headers=world.h("admin"),
    ).json()  # fmt: skip  (Middlesbrough: outside the child's LA)
    offer = client.post(
        "/api/v1/offers", json={"referral_id": rid, "home_id": home["id"]}, headers=world.h("officer_a")
    ).json()
    accepted = client.post(f"/api/v1/offers/{offer['id']}/accept", json={"start_date": "2026-01-05", "weekly_core": 1},
                           headers=world.h("provider_a"))  # fmt: skip
    assert accepted.status_code == 200, accepted.text
    unmet = client.get("/api/v1/matching/unmet-need", headers=world.h("commissioner")).json()
    assert {u["kind"] for u in unmet["items"]} >= {"outside_home_la"}
    pid = accepted.json()["placement_ids"][0]
    assert client.get(f"/api/v1/placements/{pid}", headers=world.h("officer_a")).status_code == 200
    details = [e["detail"] for e in _events(client, world, child_id=cid)["items"][:2]]
    assert details == [f"placement {pid}", "unmet need"]
