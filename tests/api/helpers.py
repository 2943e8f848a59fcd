"""Small builders for API tests."""

from __future__ import annotations

from typing import Any


def home_body(provider_id: int, **over: Any) -> dict[str, Any]:
    body = {
        "provider_id": provider_id,
        "name": "Riverside House",
        "home_type": "childrens_home",
        "urn": "SC123456",
        "ofsted_judgement": "good",
        "ofsted_judgement_date": "2023-05-01",
        "postcode": "NE1 4",
        "registered_places": 4,
        "age_min": 8,
        "age_max": 17,
        "needs_met": ["complex_trauma", "exploitation_risk"],
        "fee_core": 4200,
        "fee_additional_support": 600,
    }
    body.update(over)
    return body


def child_body(la_code: str, **over: Any) -> dict[str, Any]:
    body = {
        "la_code": la_code,
        "la_child_id": "C0001",
        "birth_month": "2012-06-01",
        "sex": "female",
        "ethnicity": "WBRI",
        "needs": ["complex_trauma"],
        "home_postcode_sector": "NE1 4",
        "school_postcode_sector": "NE1 4",
        "suitability": {"foster": "preferred", "residential": "suitable", "supported": "unsuitable"},
        "risks": ["riskMissing"],
        "wishes": "To stay near my school and my nan.",
    }
    body.update(over)
    return body
