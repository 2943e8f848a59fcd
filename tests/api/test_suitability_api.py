"""Suitability is one map keyed by the placement-category vocabulary: validated against it, merged on
PATCH, mapped to and from NPS through it, so a new category needs the vocabulary and nothing else."""

from __future__ import annotations

from enum import StrEnum

from api_schemas import vocab
from tests.api.helpers import child_body

NPS = "/api/v1/nps/placements"


def test_unknown_category_is_422_naming_it(client, world):
    h = world.h("officer_a")
    body = child_body(world.la_a, suitability={"foster": "preferred", "castle": "preferred"})
    r = client.post("/api/v1/children", json=body, headers=h)
    assert r.status_code == 422, r.text
    (detail,) = r.json()["error"]["details"]
    assert detail["field"] == "suitability" and "'castle'" in detail["message"]
    r = client.post(
        "/api/v1/children", json=child_body(world.la_a, suitability={"foster": "maybe"}), headers=h
    )
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "suitability.foster"


def test_every_category_is_answered_and_patch_changes_only_the_ones_sent(client, world):
    h = world.h("officer_a")
    r = client.post(
        "/api/v1/children", json=child_body(world.la_a, suitability={"foster": "preferred"}), headers=h
    )
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    assert r.json()["suitability"] == {
        "foster": "preferred", "residential": "not_specified", "supported": "not_specified"
    }  # fmt: skip
    patch = {"suitability": {"residential": "unsuitable", "foster": "not_specified"}}
    r = client.patch(f"/api/v1/children/{cid}", json=patch, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["suitability"] == {
        "foster": "not_specified", "residential": "unsuitable", "supported": "not_specified"
    }  # fmt: skip
    r = client.patch(f"/api/v1/children/{cid}", json={"suitability": None}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "suitability"


def test_a_new_category_needs_only_the_vocabulary(client, world, monkeypatch):
    """Add 'secure' to the vocabulary (and its NPS property): the API takes and returns it, NPS
    export writes it and import reads it back, and the web form gets a field for it."""
    members = {c.name: c.value for c in vocab.PlacementCategory} | {"SECURE": "secure"}
    monkeypatch.setattr(vocab, "PlacementCategory", StrEnum("PlacementCategory", members))
    monkeypatch.setitem(vocab.NPS_SUITABILITY_PROPERTY, "secure", "secureCareSuitability")
    h = world.h("officer_a")

    body = child_body(world.la_a, suitability={"secure": "preferred", "foster": "unsuitable"})
    r = client.post("/api/v1/children", json=body, headers=h)
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    assert r.json()["suitability"]["secure"] == "preferred"
    referral = {"la_code": world.la_a, "child_ids": [cid], "needed_by": "< 5 days"}
    r = client.post("/api/v1/referrals", json=referral, headers=h)
    assert r.status_code == 201, r.text
    rid = r.json()["id"]

    doc = client.get(f"{NPS}/{rid}", headers=h).json()
    rec = doc["placementRecommendation"]
    assert (rec["secureCareSuitability"], rec["fosterCareSuitability"]) == ("Preferred", "Unsuitable")
    rec["secureCareSuitability"] = "Unsuitable"
    rec["residentialCareSuitability"] = "Preferred"
    r = client.post(NPS, json=doc, headers=h)
    assert r.status_code == 200, r.text
    assert client.get(f"/api/v1/children/{cid}", headers=h).json()["suitability"] == {
        "foster": "unsuitable", "residential": "preferred", "supported": "not_specified", "secure": "unsuitable"
    }  # fmt: skip
    del doc["placementRecommendation"]["secureCareSuitability"]  # now a required NPS property
    r = client.post(NPS, json=doc, headers=h)
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["field"] == "placementRecommendation.secureCareSuitability"

    from rcc.web.officer import _choices

    assert ("secure", "Secure") in _choices()["categories"]  # the referral form's field for it
