"""The field-level write matrix (rcc/permissions.py) through the API: the cases issue 9 found."""

from __future__ import annotations

import pytest

from rcc.auth import Role
from rcc.permissions import WRITERS, writers
from tests.api.helpers import child_body, home_body

UNREGULATED = {"urn": None, "ofsted_judgement": None, "ofsted_judgement_date": None}


@pytest.fixture
def other_rcc(world, factory):
    """A second RCC (Hull, East Riding) with its commissioner and a provider whose homes are there."""
    from rcc.auth import create_api_key
    from rcc.db import transaction
    from rcc.db.models import LocalAuthority, Provider, Rcc

    with transaction(factory) as s:
        hull = s.query(LocalAuthority).filter_by(gss_code="E06000010").one()
        eriding = s.query(LocalAuthority).filter_by(gss_code="E06000011").one()
        rcc = Rcc(name="Humber", members=[hull, eriding])
        p = Provider(name="Humber Homes", sector="private")
        s.add_all([rcc, p])
        s.flush()
        return {"h": {"Authorization": f"Bearer {create_api_key(s, Role.RCC_COMMISSIONER, rcc_id=rcc.id)[1]}"},
                "provider": p.id}  # fmt: skip


def test_regulatory_fields_are_admin_only(client, world):
    home = client.post("/api/v1/homes", json=home_body(world.provider_a), headers=world.h("admin")).json()
    for who in ("provider_a", "commissioner"):
        for field, value in (("ofsted_judgement", "outstanding"), ("registration_status", "suspended"),
                             ("urn", "SC999999"), ("ofsted_judgement_date", "2026-01-01")):  # fmt: skip
            r = client.patch(f"/api/v1/homes/{home['id']}", json={field: value}, headers=world.h(who))
            assert r.status_code == 403 and field in r.json()["error"]["message"], (who, field)
    r = client.patch(
        f"/api/v1/homes/{home['id']}", json={"ofsted_judgement": "outstanding"}, headers=world.h("admin")
    )
    assert r.status_code == 200 and r.json()["ofsted_judgement"] == "outstanding"
    got = client.get(f"/api/v1/homes/{home['id']}", headers=world.h("admin")).json()
    assert (got["urn"], got["registration_status"]) == ("SC123456", "active")
    # ordinary fields stay the provider's
    assert (
        client.patch(
            f"/api/v1/homes/{home['id']}", json={"name": "Renamed"}, headers=world.h("provider_a")
        ).status_code
        == 200
    )


def test_oversight_and_market_fields_are_the_commissioners(client, world):
    url = f"/api/v1/providers/{world.provider_a}"
    for field, value in (
        ("owner_group", "Someone Else"),
        ("risk_rating", "low"),
        ("difficult_to_replace", True),
    ):
        r = client.patch(url, json={field: value}, headers=world.h("provider_a"))
        assert r.status_code == 403 and field in r.json()["error"]["message"]
    assert client.patch(url, json={"name": "Acme Care Ltd"}, headers=world.h("provider_a")).status_code == 200
    # provider a has no homes yet: any commissioner may oversee it; once it has homes, only theirs
    client.post("/api/v1/homes", json=home_body(world.provider_a), headers=world.h("admin"))
    r = client.patch(
        url, json={"owner_group": "Acme Holdings", "risk_rating": "high"}, headers=world.h("commissioner")
    )
    assert r.status_code == 200 and r.json()["owner_group"] == "Acme Holdings"


def test_a_commissioner_of_another_rcc_cannot_touch_a_provider_in_the_first(client, world, other_rcc):
    client.post("/api/v1/homes", json=home_body(world.provider_a), headers=world.h("admin"))  # in Newcastle
    url = f"/api/v1/providers/{world.provider_a}"
    r = client.patch(
        url, json={"risk_rating": "critical", "difficult_to_replace": True}, headers=other_rcc["h"]
    )
    assert r.status_code == 403
    assert client.delete(url, headers=other_rcc["h"]).status_code == 403
    got = client.get(url, headers=world.h("admin")).json()
    assert (got["risk_rating"], got["difficult_to_replace"]) == (None, False)


def test_a_homes_la_comes_from_its_postcode(client, world, other_rcc):
    body = home_body(
        other_rcc["provider"], postcode="TS24 7", la_code="E06000010", **UNREGULATED
    )  # Hartlepool
    r = client.post("/api/v1/homes", json=body, headers=other_rcc["h"])
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "la_code"
    body.pop("la_code")
    assert (
        client.post("/api/v1/homes", json=body, headers=other_rcc["h"]).status_code == 403
    )  # not their area
    r = client.post("/api/v1/homes", json={**body, "la_code": "E06000001"}, headers=other_rcc["h"])
    assert r.status_code == 403  # confirming the right LA is fine, but Hartlepool is not in Humber
    r = client.post("/api/v1/homes", json={**body, "postcode": "HU1 1"}, headers=other_rcc["h"])
    assert r.status_code == 201 and r.json()["la_code"] == "E06000010"
    # an admin may place a home near a county border in the LA it really is in
    r = client.post("/api/v1/homes", json={**body, "la_code": "E06000002"}, headers=world.h("admin"))
    assert r.status_code == 201 and r.json()["la_code"] == "E06000002"


def test_an_la_officer_cannot_place_against_another_las_referral(client, world):
    home = client.post(
        "/api/v1/homes", json=home_body(world.provider_a, age_min=0), headers=world.h("admin")
    ).json()
    b = world.h("officer_b")
    cb = client.post("/api/v1/children", json=child_body(world.la_b, la_child_id="B1", home_postcode_sector="TS1 2"),
                     headers=b).json()["id"]  # fmt: skip
    ref = client.post(
        "/api/v1/referrals", json={"la_code": world.la_b, "child_ids": [cb], "needed_by": "Today"}, headers=b
    ).json()
    a = world.h("officer_a")
    ca = client.post("/api/v1/children", json=child_body(world.la_a), headers=a).json()["id"]
    body = {"child_id": ca, "home_id": home["id"], "referral_id": ref["id"], "start_date": "2026-01-05"}
    r = client.post("/api/v1/placements", json=body, headers=a)
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "referral_id"
    assert client.delete(f"/api/v1/referrals/{ref['id']}", headers=b).status_code == 204


def test_the_matrix_names_every_writable_field_of_the_schemas():
    from api_schemas.register import HomeIn, HomePatch, ProviderIn, ProviderPatch

    for resource, models in (("home", (HomeIn, HomePatch)), ("provider", (ProviderIn, ProviderPatch))):
        for model in models:
            for name in model.model_fields:
                assert writers(resource, name) <= set(Role), (resource, name)
    assert writers("home", "ofsted_judgement") == {Role.ADMIN}
    assert writers("provider", "risk_rating") == {Role.ADMIN, Role.RCC_COMMISSIONER}
    assert Role.PROVIDER in writers("home", "name") and "*" in WRITERS["home"]
