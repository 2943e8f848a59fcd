"""Supply-side CRUD through the HTTP API, with validation and role scoping."""

from __future__ import annotations

from tests.api.helpers import home_body


def test_local_authorities_are_loaded_and_filterable(client, world):
    r = client.get(
        "/api/v1/local-authorities", params={"region": "North East", "limit": 100}, headers=world.h("admin")
    )
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 12
    assert {la["region"] for la in body["items"]} == {"North East"}
    r = client.get("/api/v1/local-authorities/805", headers=world.h("officer_a"))
    assert r.json()["name"] == "Hartlepool" and r.json()["gss_code"] == "E06000001"
    assert client.get("/api/v1/local-authorities/999", headers=world.h("admin")).status_code == 404


def test_requests_without_a_valid_key_are_refused(client, world):
    r = client.get("/api/v1/homes")
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorised"
    r = client.get("/api/v1/homes", headers={"Authorization": "Bearer rcc_nope_nope"})
    assert r.status_code == 401


def test_rcc_crud(client, world):
    h = world.h("admin")
    r = client.post(
        "/api/v1/rccs", json={"name": "Tees RCC", "member_la_codes": ["805", "E06000002"]}, headers=h
    )
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    assert [m["gss_code"] for m in r.json()["members"]] == ["E06000001", "E06000002"]
    assert (
        client.post(
            "/api/v1/rccs", json={"name": "Tees RCC", "member_la_codes": ["805"]}, headers=h
        ).status_code
        == 409
    )
    r = client.patch(f"/api/v1/rccs/{rid}", json={"member_la_codes": ["805"]}, headers=h)
    assert [m["dfe_code"] for m in r.json()["members"]] == ["805"]
    assert client.delete(f"/api/v1/rccs/{rid}", headers=h).status_code == 204
    assert client.get(f"/api/v1/rccs/{rid}", headers=h).status_code == 404


def test_rcc_rejects_more_than_twenty_members_and_unknown_codes(client, world):
    h = world.h("admin")
    r = client.post(
        "/api/v1/rccs",
        json={"name": "Too big", "member_la_codes": [str(800 + i) for i in range(21)]},
        headers=h,
    )
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["field"] == "member_la_codes"
    r = client.post("/api/v1/rccs", json={"name": "Bad", "member_la_codes": ["805", "XYZ"]}, headers=h)
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["field"] == "member_la_codes[1]"
    assert (
        client.post(
            "/api/v1/rccs", json={"name": "x", "member_la_codes": ["805"]}, headers=world.h("commissioner")
        ).status_code
        == 403
    )


def test_provider_crud_and_oversight_fields(client, world):
    h = world.h("commissioner")
    body = {"name": "Northern Homes Ltd", "sector": "private", "owner_group": "Northern Group",
            "companies_house_number": "01234567", "difficult_to_replace": True, "risk_rating": "high"}  # fmt: skip
    r = client.post("/api/v1/providers", json=body, headers=h)
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    assert r.json()["difficult_to_replace"] is True
    r = client.patch(
        f"/api/v1/providers/{pid}",
        json={"contingency_plan_held": True, "contingency_plan_date": "2026-01-31"},
        headers=h,
    )
    assert r.json()["contingency_plan_date"] == "2026-01-31"
    r = client.get("/api/v1/providers", params={"difficult_to_replace": True}, headers=h)
    assert [p["id"] for p in r.json()["items"]] == [pid]
    assert client.delete(f"/api/v1/providers/{pid}", headers=h).status_code == 204
    assert client.get(f"/api/v1/providers/{pid}", headers=h).status_code == 404


def test_provider_validation_names_the_field(client, world):
    r = client.post("/api/v1/providers", json={"name": "X", "sector": "pirate"}, headers=world.h("admin"))
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["field"] == "sector"


def test_home_crud_with_geocoding_and_occupancy(client, world):
    h = world.h("admin")
    r = client.post("/api/v1/homes", json=home_body(world.provider_a), headers=h)
    assert r.status_code == 201, r.text
    home = r.json()
    assert home["postcode"] == "NE1 4"
    assert home["la_code"] == "E08000021"  # Newcastle, from the postcode directory
    assert 420_000 < home["easting"] < 430_000 and 560_000 < home["northing"] < 570_000
    assert home["weekly_fee"] == 4800 and home["free_places"] == 4
    r = client.patch(
        f"/api/v1/homes/{home['id']}", json={"registered_places": 3, "postcode": "TS1 2"}, headers=h
    )
    assert r.status_code == 200
    assert r.json()["registered_places"] == 3 and r.json()["la_code"] == "E06000002"
    assert client.get(f"/api/v1/homes/{home['id']}", headers=h).json()["free_places"] == 3
    assert client.delete(f"/api/v1/homes/{home['id']}", headers=h).status_code == 204
    assert client.get(f"/api/v1/homes/{home['id']}", headers=h).status_code == 404


def test_home_unknown_postcode_is_422_naming_the_field(client, world):
    r = client.post(
        "/api/v1/homes", json=home_body(world.provider_a, postcode="ZZ9 9"), headers=world.h("admin")
    )
    assert r.status_code == 422
    assert r.json()["error"]["details"] == [{"field": "postcode", "message": "unknown postcode 'ZZ9 9'"}]


def test_home_validation_errors(client, world):
    h = world.h("admin")
    r = client.post("/api/v1/homes", json=home_body(world.provider_a, age_min=15, age_max=10), headers=h)
    assert r.status_code == 422
    r = client.post("/api/v1/homes", json=home_body(world.provider_a, needs_met=["telepathy"]), headers=h)
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "needs_met[0]"
    r = client.post("/api/v1/homes", json=home_body(world.provider_a, registered_places=0), headers=h)
    assert r.json()["error"]["details"][0]["field"] == "registered_places"
    r = client.post("/api/v1/homes", json=home_body(999), headers=h)
    assert r.status_code == 404


def test_duplicate_urn_is_a_conflict(client, world):
    h = world.h("admin")
    assert client.post("/api/v1/homes", json=home_body(world.provider_a), headers=h).status_code == 201
    r = client.post("/api/v1/homes", json=home_body(world.provider_b, name="Other"), headers=h)
    assert r.status_code == 409 and "SC123456" in r.json()["error"]["message"]


def test_home_filters(client, world):
    h = world.h("admin")
    client.post("/api/v1/homes", json=home_body(world.provider_a), headers=h)
    client.post("/api/v1/homes", json=home_body(world.provider_b, urn=None, name="Foster family", home_type="ifa_foster",
                                                  postcode="TS1 2", needs_met=["sibling_group"], ofsted_judgement=None)
                , headers=h)  # fmt: skip
    client.post("/api/v1/homes", json=home_body(world.provider_b, urn="SC999999", postcode="M1 1"), headers=h)

    def ids(**params):
        return [x["name"] for x in client.get("/api/v1/homes", params=params, headers=h).json()["items"]]

    assert ids(rcc=world.rcc_id) == ["Riverside House", "Foster family"]
    assert ids(home_type="ifa_foster") == ["Foster family"]
    assert ids(need="sibling_group") == ["Foster family"]
    assert ids(la="E08000003") == ["Riverside House"]
    assert ids(judgement="good", rcc=world.rcc_id) == ["Riverside House"]
    assert ids(has_vacancy=True) == []
    r = client.get("/api/v1/homes", params={"home_type": "castle"}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "home_type"


def test_vacancy_crud_and_staleness(client, world, factory):
    import datetime as dt

    from rcc.db.models import Vacancy

    h = world.h("provider_a")
    home = client.post("/api/v1/homes", json=home_body(world.provider_a), headers=world.h("admin")).json()
    r = client.post("/api/v1/vacancies", json={"home_id": home["id"], "places": 2, "available_from": "2026-12-01",
                                               "confirmed_by": "Registered manager"}, headers=h)  # fmt: skip
    assert r.status_code == 201, r.text
    vid = r.json()["id"]
    assert r.json()["stale"] is False
    assert client.get("/api/v1/homes", params={"has_vacancy": True}, headers=h).json()["total"] == 1
    # a vacancy not confirmed for 14 days is stale
    with factory() as s:
        s.get(Vacancy, vid).confirmed_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=15)
        s.commit()
    assert client.get(f"/api/v1/vacancies/{vid}", headers=h).json()["stale"] is True
    assert [
        v["id"] for v in client.get("/api/v1/vacancies", params={"stale": True}, headers=h).json()["items"]
    ] == [vid]
    r = client.patch(f"/api/v1/vacancies/{vid}", json={"confirmed_by": "Deputy manager"}, headers=h)
    assert r.json()["stale"] is False
    r = client.patch(f"/api/v1/vacancies/{vid}", json={"places": 9}, headers=h)
    assert r.status_code == 409
    assert client.delete(f"/api/v1/vacancies/{vid}", headers=h).status_code == 204
    assert client.get(f"/api/v1/vacancies/{vid}", headers=h).status_code == 404


def test_provider_cannot_touch_another_providers_home(client, world):
    home = client.post("/api/v1/homes", json=home_body(world.provider_a), headers=world.h("admin")).json()
    other = world.h("provider_b")
    assert client.get(f"/api/v1/homes/{home['id']}", headers=other).status_code == 404
    assert (
        client.patch(f"/api/v1/homes/{home['id']}", json={"name": "Mine now"}, headers=other).status_code
        == 404
    )
    assert client.delete(f"/api/v1/homes/{home['id']}", headers=other).status_code == 404
    r = client.post("/api/v1/vacancies", json={"home_id": home["id"], "places": 1, "available_from": "2026-12-01",
                                               "confirmed_by": "x"}, headers=other)  # fmt: skip
    assert r.status_code == 404
    assert client.get("/api/v1/homes", headers=other).json()["total"] == 0
    r = client.post("/api/v1/homes", json=home_body(world.provider_a, urn=None), headers=other)
    assert r.status_code == 404
    # the owner can
    assert (
        client.patch(
            f"/api/v1/homes/{home['id']}", json={"name": "Renamed"}, headers=world.h("provider_a")
        ).status_code
        == 200
    )
    # providers may not set their own financial-oversight flags
    r = client.patch(
        f"/api/v1/providers/{world.provider_a}", json={"risk_rating": "low"}, headers=world.h("provider_a")
    )
    assert r.status_code == 403


def test_la_officer_reads_supply_but_cannot_change_it(client, world):
    home = client.post("/api/v1/homes", json=home_body(world.provider_a), headers=world.h("admin")).json()
    h = world.h("officer_a")
    assert client.get(f"/api/v1/homes/{home['id']}", headers=h).status_code == 200
    assert client.patch(f"/api/v1/homes/{home['id']}", json={"name": "x"}, headers=h).status_code == 403
    assert (
        client.post("/api/v1/providers", json={"name": "x", "sector": "private"}, headers=h).status_code
        == 403
    )


def test_commissioner_manages_homes_only_in_their_rcc(client, world):
    h = world.h("commissioner")
    r = client.post("/api/v1/homes", json=home_body(world.provider_a), headers=h)
    assert (
        r.status_code == 403
        and "ofsted_judgement, ofsted_judgement_date, urn" in r.json()["error"]["message"]
    )
    unregulated = {"urn": None, "ofsted_judgement": None, "ofsted_judgement_date": None}
    assert (
        client.post("/api/v1/homes", json=home_body(world.provider_a, **unregulated), headers=h).status_code
        == 201
    )
    r = client.post(
        "/api/v1/homes", json=home_body(world.provider_a, postcode="M1 1", **unregulated), headers=h
    )
    assert r.status_code == 403
