"""Examples of the API's response bodies, shown in the OpenAPI document (requests: :mod:`rcc.api.examples`).

Every response model of every operation has one here or declares its own; ``Page[...]`` lists are
built from their item's example by :func:`page`. ``tests/api/test_openapi_docs.py`` fails when a
response model has no example and validates each example against its model, so they cannot drift.
Generated, non-identifying values only.
"""

from __future__ import annotations

from typing import Any

from rcc.api.examples_reports import REPORTS, T0, T1, T2

LA = {"id": 1, "gss_code": "E06000001", "dfe_code": "805", "name": "Hartlepool", "region": "North East",
      "population": 92300, "easting": 449300.0, "northing": 532600.0}  # fmt: skip
CONTRIBUTION = {
    "term": "distance",
    "points": 120,
    "text": "6.0 miles from home (20 points a mile)",
    "child_id": 41,
}
CHANGES = {"added": 3, "revised": 1, "unchanged": 240, "withdrawn": 0, "superseded": 0}
RETURN = {"id": 12, "la_code": "E06000001", "collection_year": 2025, "version": 1, "status": "accepted",
          "submitted_at": T0, "content_sha256": "3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b",
          "file_names": {"header": "header.csv", "episodes": "episodes.csv"},
          "rows": {"header": 180, "episodes": 244, "uasc": 6},
          "changes": {"children": {**CHANGES, "added": 2, "revised": 0, "unchanged": 178},
                      "episodes": CHANGES, "uasc": {**CHANGES, "added": 0, "revised": 0, "unchanged": 6}}}  # fmt: skip
DECISION = {"home_ids": {"41": 12}, "ok": True, "objective": 240, "violations": [], "violations_by_rule": {},
            "contributions": [CONTRIBUTION]}  # fmt: skip


WEBHOOK = {
    "id": 1,
    "url": "https://case-system.example.gov.uk/rcc/events",
    "events": ["offer.accepted", "offer.declined"],
    "description": "LA case system",
    "active": True,
    "role": "la_officer",
    "created_at": T0,
}
RESPONSES: dict[str, dict[str, Any]] = {
    "LocalAuthorityOut": LA,
    "RccOut": {"id": 1, "name": "North East RCC", "members": [LA]},
    "ProviderOut": {
        "id": 7,
        "name": "Example Care Ltd",
        "sector": "private",
        "owner_group": "Example Group",
        "companies_house_number": "01234567",
        "difficult_to_replace": True,
        "risk_rating": "high",
        "contingency_plan_held": True,
        "contingency_plan_date": "2026-10-01",
    },  # fmt: skip
    "HomeOut": {
        "id": 12,
        "provider_id": 7,
        "urn": "SC123456",
        "name": "Riverside House",
        "home_type": "childrens_home",
        "registration_status": "active",
        "ofsted_judgement": "good",
        "ofsted_judgement_date": "2025-05-01",
        "postcode": "NE1 4",
        "easting": 424800.0,
        "northing": 564300.0,
        "la_code": "E08000021",
        "registered_places": 4,
        "occupied_places": 3,
        "free_places": 1,
        "age_min": 8,
        "age_max": 17,
        "sexes_accepted": ["male", "female"],
        "needs_met": ["complex_trauma", "exploitation_risk"],
        "fee_core": 4200,
        "fee_additional_support": 600,
        "fee_education": 0,
        "fee_other": 0,
        "weekly_fee": 4800,
    },  # fmt: skip
    "VacancyOut": {
        "id": 5,
        "home_id": 12,
        "places": 1,
        "available_from": "2026-12-07",
        "confirmed_by": "J. Smith, registered manager",
        "confirmed_at": T0,
        "stale": False,
    },  # fmt: skip
    "ChildOut": {
        "id": 41,
        "la_code": "E06000001",
        "la_child_id": "C0001",
        "birth_month": "2012-06-01",
        "age_years": 14,
        "sex": "female",
        "ethnicity": "WBRI",
        "uasc": False,
        "needs": ["complex_trauma"],
        "home_postcode_sector": "TS24 7",
        "school_postcode_sector": "TS24 8",
        "must_keep_school": False,
        "sibling_group": "SG-17",
        "suitability": {"foster": "preferred", "residential": "suitable", "supported": "unsuitable"},
        "risks": ["riskMissing"],
        "living_companions": "only_younger",
        "places_to_avoid": [{"postcode": "TS25 1", "radius_miles": 2.0}],
        "cultural_needs": None,
        "communication_needs": [],
        "wishes": "To stay near my school and my nan.",
    },  # fmt: skip
    "ReferralOut": {
        "id": 17,
        "la_code": "E06000001",
        "child_ids": [41, 42],
        "status": "open",
        "needed_by": "< 5 days",
        "sibling_count": 2,
        "preferred_location_local": True,
        "out_of_la_reason": None,
        "out_of_la_reason_other": None,
        "allow_split": False,
        "created_at": T0,
    },  # fmt: skip
    "PlacementOut": {
        "id": 812,
        "child_id": 41,
        "home_id": 12,
        "referral_id": 17,
        "start_date": "2026-12-07",
        "end_date": None,
        "reason_ended": None,
        "contract": "spot",
        "weekly_core": 4300,
        "weekly_additional_support": 400,
        "weekly_education": 0,
        "weekly_other": 0,
        "weekly_total": 4700,
    },  # fmt: skip
    "MatchingPolicyOut": {
        "rcc_id": 1,
        "overrides": {"points_per_mile": 15},
        "effective": {"points_per_mile": 15, "over_20_miles": 400},
        "defaults": {"points_per_mile": 20, "over_20_miles": 400},
    },  # fmt: skip
    "ChoiceOut": {
        "referral_id": 17,
        "choice": {**DECISION, "home_ids": {"41": 15}, "objective": 410},
        "best": DECISION,
        "best_status": "optimal",
        "difference": 170,
        "summary": "The chosen home meets every hard rule; it scores 170 points more than the best (lower is better).",
    },  # fmt: skip
    "MatchingRunOut": {
        "id": "5b0e4c1e-4c8a-4d7e-9d3a-2f1f0c8e9a10",
        "status": "succeeded",
        "params": {"rcc_id": 1},
        "error": None,
        "cancel_requested": False,
        "created_at": T0,
        "started_at": T1,
        "finished_at": T2,
    },  # fmt: skip
    "MatchingRunResult": {
        "run_id": "5b0e4c1e-4c8a-4d7e-9d3a-2f1f0c8e9a10",
        "rcc_id": 1,
        "status": "optimal",
        "objective": 1840,
        "bound": 1840.0,
        "gap": 0.0,
        "referrals_considered": 9,
        "homes_considered": 212,
        "children_placed": 10,
        "assignments": [
            {
                "referral_id": 17,
                "la_code": "E06000001",
                "placements": [{"child_id": 41, "home_id": 12}],
                "split": False,
                "points": 240,
                "contributions": [CONTRIBUTION],
            }
        ],
        "unmatched": [
            {
                "referral_id": 19,
                "la_code": "E06000002",
                "points": 0,
                "reasons": ["no home meets every hard rule: no home takes a 17-year-old with these needs"],
                "homes": [],
            }
        ],
        "excluded": [],
        "stats": {"wall_time_s": 1.9},
    },  # fmt: skip
    "UnmetNeedOut": {
        "id": 3,
        "referral_id": 19,
        "la_code": "E06000002",
        "child_id": 44,
        "kind": "no_eligible_home",
        "detail": "no home takes a 17-year-old with these needs",
        "distance_miles": None,
        "recorded_at": T0,
        "matching_run_id": "5b0e4c1e-4c8a-4d7e-9d3a-2f1f0c8e9a10",
        "offer_id": None,
    },  # fmt: skip
    "ReturnOut": RETURN,
    "SubmissionOut": {
        "outcome": "accepted",
        "collection_year_inferred": True,
        "return": RETURN,
        "quarantined_count": 1,
        "quarantined": [
            {
                "field": "episodes[row 14].DECOM",
                "message": "503D: The placement type in the first episode does not match open episode at end of last year",
            }
        ],
        "previous_return_id": 9,
        "previous_year_rules": "run against the stored 2024-25 return (return 9, version 1)",
    },  # fmt: skip
    "AuditEventOut": {
        "id": 301,
        "at": T0,
        "api_key_id": 3,
        "role": "la_officer",
        "action": "read",
        "entity": "child",
        "entity_id": 41,
        "detail": None,
    },  # fmt: skip
    "DeliveryOut": {
        "id": 88,
        "event_id": 52,
        "kind": "offer.accepted",
        "subject": "offer 3",
        "status": "delivered",
        "attempts": 2,
        "next_attempt_at": None,
        "last_status_code": 200,
        "last_error": None,
        "delivered_at": T2,
        "attempt_log": [
            {"attempt": 1, "at": T0, "status_code": 503, "error": "HTTP 503", "duration_ms": 41},
            {"attempt": 2, "at": T2, "status_code": 200, "error": None, "duration_ms": 38},
        ],
    },  # fmt: skip
    **REPORTS,
    "OfferProfileOut": {
        "offer_id": 3,
        "referral_id": 17,
        "needed_by": "< 5 days",
        "children": [
            {
                "age_band": "13-15",
                "sex": "female",
                "needs": ["complex_trauma"],
                "risks": ["riskMissing"],
                "siblings": 1,
                "uasc": False,
                "communication_needs": [],
                "cultural_needs": None,
                "wishes": "To stay near my school and my nan.",
                "home_type_suitability": {"foster": "preferred", "residential": "suitable"},
            }
        ],
    },  # fmt: skip
    "WebhookOut": WEBHOOK,
    "WebhookCreated": {**WEBHOOK, "secret": "whsec_3f9a1c7e5b2d4f6a8c0e1b3d5f7a9c2e"},
    "EventKindOut": {
        "kind": "offer.accepted",
        "description": "A provider accepted an offer; the placements are made.",
    },
    "JobOut": {
        "id": "5b0e4c1e-4c8a-4d7e-9d3a-2f1f0c8e9a10",
        "kind": "matching_run",
        "status": "succeeded",
        "params": {"rcc_id": 1},
        "result": {"status": "optimal"},
        "error": None,
        "cancel_requested": False,
        "created_at": "2026-11-30T21:00:00Z",
        "started_at": "2026-11-30T21:00:01Z",
        "finished_at": "2026-11-30T21:00:09Z",
    },  # fmt: skip
    "OfferOut": {
        "id": 3,
        "referral_id": 17,
        "provider_id": 7,
        "status": "accepted",
        "matching_run_id": None,
        "children": [{"child_id": 41, "home_id": 12}],
        "decline_reason": None,
        "decline_text": None,
        "start_date": "2026-12-07",
        "weekly_core": 4300,
        "weekly_additional_support": 400,
        "weekly_education": 0,
        "weekly_other": 0,
        "placement_ids": [812],
        "created_at": T0,
        "decided_at": T2,
    },  # fmt: skip
}

# JSON responses whose schema is not a model (dicts, health): examples put on the media type.
NPS_RECORD = {
    "@context": "https://ns.socialcaredata.io/placements/context.jsonld", "@id": "ex:REF-17", "@type": "Placement",
    "childId": "C0001",
    "placementAvailability": {"@type": "PlacementAvailability", "placementId": "PLC-17", "neededBy": "LessThan5Days",
                              "isPreferredLocationLocal": True, "siblingCount": 2},
    "placementRequirements": {"@type": "PlacementRequirements", "livingCompanions": "OnlyYoungerChildren"},
    "placementRecommendation": {"@type": "PlacementRecommendation", "fosterCareSuitability": "Preferred",
                                "residentialCareSuitability": "Suitable", "supportedAccommodationSuitability": "NotSuitable"},
    "riskAssessment": {"@type": "RiskAssessment", "riskMissing": "Medium", "riskSelfHarm": "NoKnownRisk"},
    "qualityAssurance": {"@type": "QualityAssurance", "referralDate": "2026-11-30"},
}  # fmt: skip
INLINE: dict[str, dict[str, Any]] = {
    "GET /health": {"status": "ok"},
    "GET /health/live": {"status": "ok"},
    "GET /health/ready": {"status": "ok", "checks": {"database": "ok", "workers": 1}},
    "POST /nps/placements": {
        "child_id": 41,
        "referral_id": 17,
        "placement_id": None,
        "created": [],
        "warnings": [
            {"field": "qualityAssurance.costDate", "message": "the cost date is before the placement date"}
        ],
    },  # fmt: skip
    "GET /nps/placements/{referral_id}": NPS_RECORD,
    "GET /nps/placements/by-placement/{placement_id}": NPS_RECORD,
}


def page(item: dict[str, Any]) -> dict[str, Any]:
    """A one-item page of a list operation."""
    return {"items": [item], "total": 1, "limit": 50, "offset": 0}
