"""NPS import/export through the API: happy path, 422 naming the property, LA scope, provider 403."""

from __future__ import annotations

import json
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "nps" / "examples"
URL = "/api/v1/nps/placements"


def record(name: str, **ext) -> dict:
    doc = json.loads((EXAMPLES / name).read_text())
    doc["rcc:extension"] = {"sex": "male", "birth_month": "2010-09", "home_postcode_sector": "NE1 4", **ext}
    return doc


def test_import_then_export_then_reimport(client, world):
    h = world.h("officer_a")
    r = client.post(URL, json=record("valid-other-options.jsonld"), headers=h)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["created"] == ["child", "referral"] and body["warnings"] == []
    out = client.get(f"{URL}/{body['referral_id']}", headers=h)
    assert out.status_code == 200
    doc = out.json()
    assert doc["childId"] == "OTHER001" and doc["placementId"] == "PLC-OTHER-001"
    assert doc["placementAvailability"]["outOfLAReasonOther"][1].startswith("Specialist provider")
    assert (
        doc["rcc:extension"]["la_code"] == world.la_a and doc["rcc:extension"]["birth_month"] == "2010-09-01"
    )
    again = client.post(URL, json=doc, headers=h)
    assert again.status_code == 200 and again.json()["referral_id"] == body["referral_id"]
    assert client.get(f"{URL}/{body['referral_id']}", headers=h).json() == doc
    ref = client.get(f"/api/v1/referrals/{body['referral_id']}", headers=h).json()
    assert ref["needed_by"] == "< 5 days" and ref["out_of_la_reason"] == "Other"
    seen_by_rcc = client.get(f"{URL}/{body['referral_id']}", headers=world.h("commissioner"))
    assert seen_by_rcc.status_code == 200
    # quality-assurance names stay within the recording LA; the dates travel
    qa_own, qa_rcc = doc["qualityAssurance"], seen_by_rcc.json()["qualityAssurance"]
    assert qa_own["placementOfficerName"] != "withheld outside the recording LA"
    assert qa_rcc["placementOfficerName"] == "withheld outside the recording LA"
    assert qa_rcc["placementDate"] == qa_own["placementDate"]


def test_invalid_record_is_422_naming_the_property(client, world):
    r = client.post(URL, json=record("invalid-postcode.jsonld"), headers=world.h("officer_a"))
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["field"] == "actualPlacement.placementLocation"
    r = client.post(URL, json=record("invalid-missing-required.jsonld"), headers=world.h("officer_a"))
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "riskAssessment"
    r = client.post(URL, json=record("valid-placement.jsonld", sex="other"), headers=world.h("officer_a"))
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "rcc:extension.sex"
    r = client.post(URL, json=record("invalid-cost-out-of-range.jsonld"), headers=world.h("officer_a"))
    assert r.status_code == 201 and "actualPlacement.totalWeeklyCost" in {
        w["field"] for w in r.json()["warnings"]
    }
    r = client.post(
        URL,
        params={"strict": True},
        json=record("invalid-cost-out-of-range.jsonld"),
        headers=world.h("officer_a"),
    )
    assert r.status_code == 422
    r = client.post(URL, json=["not", "a", "record"], headers=world.h("officer_a"))
    assert r.status_code == 422
    r = client.post(
        URL, json=record("valid-placement.jsonld"), headers=world.h("admin")
    )  # admin must name the LA
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "rcc:extension.la_code"
    assert (
        client.post(
            URL, json=record("valid-placement.jsonld", la_code=world.la_a), headers=world.h("admin")
        ).status_code
        == 201
    )


def test_scope_other_las_and_providers(client, world):
    doc = record("valid-neededby-symbolic.jsonld")
    r = client.post(URL, json={**doc, "rcc:extension": {**doc["rcc:extension"], "la_code": world.la_a}},
                    headers=world.h("officer_b"))  # fmt: skip
    assert r.status_code == 403
    ref_id = client.post(URL, json=doc, headers=world.h("officer_a")).json()["referral_id"]
    assert client.get(f"{URL}/{ref_id}", headers=world.h("officer_b")).status_code == 404
    assert client.get(f"{URL}/{ref_id}", headers=world.h("officer_out")).status_code == 404
    assert client.get(f"{URL}/{ref_id}", headers=world.h("provider_a")).status_code == 403
    assert client.post(URL, json=doc, headers=world.h("provider_a")).status_code == 403
    assert client.post(URL, json=doc, headers=world.h("commissioner")).status_code == 403
    # officer_b importing the same childId makes officer_b's own child, not officer_a's
    r = client.post(URL, json=doc, headers=world.h("officer_b"))
    assert r.status_code == 201 and r.json()["referral_id"] != ref_id
    assert client.get(f"{URL}/999", headers=world.h("officer_a")).status_code == 404
