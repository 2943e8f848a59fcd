"""Children, referrals and placements through the API: CRUD, validation, LA scoping, audit."""

from __future__ import annotations

from sqlalchemy import select, text

from tests.api.helpers import child_body, home_body


def test_child_crud_and_derived_fields(client, world):
    h = world.h("officer_a")
    r = client.post("/api/v1/children", json=child_body(world.la_a, birth_month="2012-06-17"), headers=h)
    assert r.status_code == 201, r.text
    child = r.json()
    assert child["birth_month"] == "2012-06-01"  # held as month only
    assert child["la_code"] == world.la_a and child["home_postcode_sector"] == "NE1 4"
    assert child["suitability"]["foster"] == "preferred" and child["risks"] == ["riskMissing"]
    cid = child["id"]
    r = client.patch(
        f"/api/v1/children/{cid}",
        json={"needs": ["mental_health"], "school_postcode_sector": None},
        headers=h,
    )
    assert (
        r.status_code == 200
        and r.json()["needs"] == ["mental_health"]
        and r.json()["school_postcode_sector"] is None
    )
    assert client.get(f"/api/v1/children/{cid}", headers=h).json()["needs"] == ["mental_health"]
    assert client.delete(f"/api/v1/children/{cid}", headers=h).status_code == 204
    assert client.get(f"/api/v1/children/{cid}", headers=h).status_code == 404


def test_child_location_is_a_sector_at_most(client, world):
    r = client.post(
        "/api/v1/children",
        json=child_body(world.la_a, home_postcode_sector="NE1 4ST"),
        headers=world.h("officer_a"),
    )
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "home_postcode_sector"
    r = client.post(
        "/api/v1/children",
        json=child_body(world.la_a, school_postcode_sector="QQ1 1"),
        headers=world.h("officer_a"),
    )
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "school_postcode_sector"


def test_child_validation_names_fields(client, world):
    h = world.h("officer_a")
    r = client.post("/api/v1/children", json=child_body(world.la_a, ethnicity="XXXX", sex="other"), headers=h)
    assert r.status_code == 422
    assert {d["field"] for d in r.json()["error"]["details"]} == {"ethnicity", "sex"}
    r = client.post("/api/v1/children", json=child_body(world.la_a, risks=["riskOfBoredom"]), headers=h)
    assert r.json()["error"]["details"][0]["field"] == "risks[0]"
    r = client.post("/api/v1/children", json=child_body("nowhere"), headers=world.h("admin"))
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "la_code"
    r = client.post("/api/v1/children", json=child_body(world.la_a, name="Jane"), headers=h)
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "name"  # no names, ever
    assert client.post("/api/v1/children", json=child_body(world.la_a), headers=h).status_code == 201
    assert client.post("/api/v1/children", json=child_body(world.la_a), headers=h).status_code == 409


def test_la_officer_cannot_see_another_las_child(client, world):
    cid = client.post("/api/v1/children", json=child_body(world.la_a), headers=world.h("officer_a")).json()[
        "id"
    ]
    b = world.h("officer_b")
    assert client.get(f"/api/v1/children/{cid}", headers=b).status_code == 404
    assert client.patch(f"/api/v1/children/{cid}", json={"wishes": "x"}, headers=b).status_code == 404
    assert client.delete(f"/api/v1/children/{cid}", headers=b).status_code == 404
    assert client.get("/api/v1/children", headers=b).json()["total"] == 0
    assert (
        client.post("/api/v1/children", json=child_body(world.la_a, la_child_id="C9"), headers=b).status_code
        == 403
    )
    assert client.get(f"/api/v1/children/{cid}", headers=world.h("provider_a")).status_code == 403
    # the RCC's commissioner reads it; a commissioner of nothing else, and officers outside, do not
    assert client.get(f"/api/v1/children/{cid}", headers=world.h("commissioner")).status_code == 200
    assert client.get(f"/api/v1/children/{cid}", headers=world.h("officer_out")).status_code == 404
    assert (
        client.patch(
            f"/api/v1/children/{cid}", json={"wishes": "x"}, headers=world.h("commissioner")
        ).status_code
        == 403
    )


def test_every_read_and_change_of_a_child_is_audited(client, world, factory):
    from rcc.db.models import AuditEvent

    h = world.h("officer_a")
    cid = client.post("/api/v1/children", json=child_body(world.la_a), headers=h).json()["id"]
    client.get(f"/api/v1/children/{cid}", headers=h)
    client.get("/api/v1/children", headers=world.h("commissioner"))
    client.patch(f"/api/v1/children/{cid}", json={"wishes": "A dog."}, headers=h)
    client.get(f"/api/v1/children/{cid}", headers=world.h("officer_b"))  # refused: audited as refused
    with factory() as s:
        events = s.scalars(
            select(AuditEvent).where(AuditEvent.entity_id == cid).order_by(AuditEvent.id)
        ).all()
        assert [(e.action, e.role) for e in events] == [
            ("create", "la_officer"),
            ("read", "la_officer"),
            ("read", "rcc_commissioner"),
            ("update", "la_officer"),
            ("refused", "la_officer"),
        ]
        assert events[-2].detail == "wishes"
        assert events[-1].entity == "child" and events[-1].detail.startswith("GET /api/v1/children/")
        assert all(e.api_key_id is not None and e.at is not None for e in events)


def test_audit_trail_is_append_only(client, world, factory):
    import pytest
    from sqlalchemy.exc import DBAPIError

    client.post("/api/v1/children", json=child_body(world.la_a), headers=world.h("officer_a"))
    with factory() as s:
        with pytest.raises(DBAPIError, match="append-only"):
            s.execute(text("UPDATE audit_events SET role = 'admin'"))
        s.rollback()
        with pytest.raises(DBAPIError, match="append-only"):
            s.execute(text("DELETE FROM audit_events"))
        s.rollback()


def _home(client, world, **over):
    return client.post(
        "/api/v1/homes", json=home_body(world.provider_a, **over), headers=world.h("admin")
    ).json()


def test_referral_crud_and_sibling_groups(client, world):
    h = world.h("officer_a")
    c1 = client.post(
        "/api/v1/children", json=child_body(world.la_a, la_child_id="S1", sibling_group="G1"), headers=h
    ).json()
    c2 = client.post(
        "/api/v1/children", json=child_body(world.la_a, la_child_id="S2", sibling_group="G1"), headers=h
    ).json()
    body = {"la_code": world.la_a, "child_ids": [c1["id"], c2["id"]], "needed_by": "< 5 days"}
    r = client.post("/api/v1/referrals", json=body, headers=h)
    assert r.status_code == 201, r.text
    ref = r.json()
    assert ref["sibling_count"] == 1 and ref["status"] == "open" and ref["child_ids"] == [c1["id"], c2["id"]]
    assert client.post("/api/v1/referrals", json=body, headers=h).status_code == 409  # already referred
    r = client.patch(f"/api/v1/referrals/{ref['id']}", json={"needed_by": "Today"}, headers=h)
    assert r.json()["needed_by"] == "Today"
    assert client.get(f"/api/v1/referrals/{ref['id']}", headers=world.h("officer_b")).status_code == 404
    assert client.get("/api/v1/referrals", params={"status": "open"}, headers=h).json()["total"] == 1
    assert client.delete(f"/api/v1/referrals/{ref['id']}", headers=h).status_code == 204


def test_referral_validation(client, world):
    h = world.h("officer_a")
    c1 = client.post("/api/v1/children", json=child_body(world.la_a), headers=h).json()
    r = client.post(
        "/api/v1/referrals",
        json={"la_code": world.la_a, "child_ids": [c1["id"]], "needed_by": "Tomorrow"},
        headers=h,
    )
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "needed_by"
    r = client.post(
        "/api/v1/referrals",
        json={"la_code": world.la_a, "child_ids": [c1["id"], 999], "needed_by": "Today"},
        headers=h,
    )
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "child_ids[1]"
    r = client.post("/api/v1/referrals", json={"la_code": world.la_a, "child_ids": [c1["id"]], "needed_by": "Today",
                                               "preferred_location_local": False}, headers=h)  # fmt: skip
    assert r.status_code == 422 and "out_of_la_reason" in r.json()["error"]["message"] + str(
        r.json()["error"]["details"]
    )


def test_placement_crud_takes_a_place_and_keeps_history(client, world):
    h = world.h("officer_a")
    home = _home(client, world, registered_places=1)
    c1 = client.post("/api/v1/children", json=child_body(world.la_a), headers=h).json()
    c2 = client.post("/api/v1/children", json=child_body(world.la_a, la_child_id="C2"), headers=h).json()
    body = {"child_id": c1["id"], "home_id": home["id"], "start_date": "2026-01-05", "weekly_core": 4200,
            "weekly_additional_support": 800}  # fmt: skip
    r = client.post("/api/v1/placements", json=body, headers=h)
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    assert r.json()["weekly_total"] == 5000
    assert client.get(f"/api/v1/homes/{home['id']}", headers=h).json()["free_places"] == 0
    r = client.post("/api/v1/placements", json={**body, "child_id": c2["id"]}, headers=h)
    assert r.status_code == 409 and "no free place" in r.json()["error"]["message"]
    r = client.patch(f"/api/v1/placements/{pid}", json={"end_date": "2026-02-01"}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "reason_ended"
    r = client.patch(
        f"/api/v1/placements/{pid}", json={"end_date": "2026-02-01", "reason_ended": "CARPL"}, headers=h
    )
    assert r.status_code == 200 and r.json()["reason_ended"] == "CARPL"
    assert client.get(f"/api/v1/homes/{home['id']}", headers=h).json()["free_places"] == 1
    assert client.delete(f"/api/v1/placements/{pid}", headers=h).status_code == 403  # history is kept
    assert client.delete(f"/api/v1/children/{c1['id']}", headers=h).status_code == 409
    assert client.get(f"/api/v1/placements/{pid}", headers=world.h("officer_b")).status_code == 404
    assert client.delete(f"/api/v1/placements/{pid}", headers=world.h("admin")).status_code == 204


def test_placement_validation(client, world):
    h = world.h("officer_a")
    home = _home(client, world)
    c1 = client.post("/api/v1/children", json=child_body(world.la_a), headers=h).json()
    r = client.post("/api/v1/placements", json={"child_id": c1["id"], "home_id": home["id"], "start_date": "2026-01-05",
                                                "end_date": "2025-01-01"}, headers=h)  # fmt: skip
    assert r.status_code == 422
    r = client.post("/api/v1/placements", json={"child_id": c1["id"], "home_id": home["id"], "start_date": "2026-01-05",
                                                "reason_ended": "BORED"}, headers=h)  # fmt: skip
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "reason_ended"
    r = client.post(
        "/api/v1/placements",
        json={"child_id": c1["id"], "home_id": 999, "start_date": "2026-01-05"},
        headers=h,
    )
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "home_id"
    r = client.post("/api/v1/placements", json={"child_id": c1["id"], "home_id": home["id"], "start_date": "2026-01-05",
                                                "weekly_core": -5}, headers=h)  # fmt: skip
    assert r.json()["error"]["details"][0]["field"] == "weekly_core"


def test_malformed_json_is_422_not_500(client, world):
    r = client.post(
        "/api/v1/children",
        content=b"{not json",
        headers={**world.h("officer_a"), "content-type": "application/json"},
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid"
    r = client.get("/api/v1/children/abc", headers=world.h("officer_a"))
    assert r.status_code == 422
