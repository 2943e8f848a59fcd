"""Examples for the API's request bodies, shown in the OpenAPI document, and :func:`apply`, which
attaches them and the response examples (:mod:`rcc.api.examples_responses`).

Kept in one table beside :mod:`rcc.api.docs` (the models stay declarations); every request example
is validated against its model by ``tests/api/test_openapi_docs.py``, so an example cannot drift from
what the API accepts.
"""

from __future__ import annotations

from typing import Any

from rcc.api.examples_responses import INLINE, RESPONSES, page

CHILD = {
    "la_code": "E06000001", "la_child_id": "C0001", "birth_month": "2012-06-01", "sex": "female",
    "ethnicity": "WBRI", "needs": ["complex_trauma"], "home_postcode_sector": "TS24 7",
    "school_postcode_sector": "TS24 8",
    "suitability": {"foster": "preferred", "residential": "suitable", "supported": "unsuitable"},
    "risks": ["riskMissing"], "wishes": "To stay near my school and my nan.",
}  # fmt: skip
HOME = {
    "provider_id": 7, "name": "Riverside House", "home_type": "childrens_home", "urn": "SC123456",
    "ofsted_judgement": "good", "ofsted_judgement_date": "2025-05-01", "postcode": "NE1 4", "registered_places": 4,
    "age_min": 8, "age_max": 17, "needs_met": ["complex_trauma", "exploitation_risk"], "fee_core": 4200,
    "fee_additional_support": 600,
}  # fmt: skip

REQUESTS: dict[str, dict[str, Any]] = {
    "RccIn": {"name": "North East RCC", "member_la_codes": ["E06000001", "E06000002", "E06000003"]},
    "RccPatch": {"name": "North East Regional Care Cooperative"},
    "ProviderIn": {
        "name": "Example Care Ltd",
        "sector": "private",
        "owner_group": "Example Group",
        "difficult_to_replace": True,
        "risk_rating": "high",
    },  # fmt: skip
    "ProviderPatch": {
        "risk_rating": "medium",
        "contingency_plan_held": True,
        "contingency_plan_date": "2026-10-01",
    },
    "HomeIn": HOME,
    "HomePatch": {
        "registered_places": 5,
        "ofsted_judgement": "outstanding",
        "ofsted_judgement_date": "2026-09-12",
    },
    "VacancyIn": {
        "home_id": 12,
        "places": 1,
        "available_from": "2026-12-07",
        "confirmed_by": "J. Smith, registered manager",
    },
    "VacancyPatch": {"confirmed_by": "J. Smith, registered manager"},
    "ChildIn": CHILD,
    "ChildPatch": {"needs": ["complex_trauma", "sibling_group"], "must_keep_school": True},
    "ReferralIn": {
        "la_code": "E06000001",
        "child_ids": [41, 42],
        "needed_by": "< 5 days",
        "allow_split": False,
    },
    "ReferralPatch": {"needed_by": "Today"},
    "PlacementIn": {
        "child_id": 41,
        "home_id": 12,
        "start_date": "2026-12-07",
        "weekly_core": 4300,
        "weekly_additional_support": 400,
        "contract": "spot",
    },  # fmt: skip
    "PlacementPatch": {"end_date": "2027-03-31", "reason_ended": "CARPL"},
    "MatchingPolicyIn": {"overrides": {"points_per_mile": 15, "over_20_miles": 500}},
    "MatchingRunIn": {"rcc_id": 1, "time_limit_s": 30},
    "ChoiceIn": {"home_ids": {"41": 12}},
    "OfferIn": {"referral_id": 17, "home_id": 12},
    "AcceptIn": {"start_date": "2026-12-07", "weekly_core": 4300, "weekly_additional_support": 400},
    "DeclineIn": {"reason": "other", "text": "no staff for a second admission this month"},
    "ForecastIn": {"rcc_id": 1, "horizon_months": 12, "n_sims": 1000, "inflation": 0.03},
    "BacktestIn": {"rcc_id": 1, "horizon_months": 12, "n_windows": 4},
    "StressTestIn": {"rcc_id": 1, "owner_group": "The Adolescent And Children's Trust"},
}


def apply(schemas: dict[str, Any]) -> None:
    """Put each example on its component schema (a request's only when the model declares none
    itself); a ``Page[X]`` gets a one-item page of X's example."""
    for name, example in REQUESTS.items():
        schema = schemas.get(name)
        if schema is not None and "examples" not in schema:
            schema["examples"] = [example]
    for name, example in RESPONSES.items():  # these win: FastAPI drops nulls from a model's own example
        if name in schemas:
            schemas[name]["examples"] = [example]
    for name, schema in schemas.items():
        item = name[len("Page_") : -1] if name.startswith("Page_") and name.endswith("_") else None
        if item is None or "examples" in schema:
            continue
        item_examples = schemas.get(item, {}).get("examples")
        if item_examples:
            schema["examples"] = [page(item_examples[0])]


def apply_inline(paths: dict[str, Any], prefix: str = "/api/v1") -> None:
    """Examples for JSON responses that are not models (health probes, NPS records as dicts)."""
    for path, ops in paths.items():
        short = path[len(prefix) :] if path.startswith(prefix) else path
        for method, op in ops.items():
            example = INLINE.get(f"{method.upper()} {short}")
            if example is None:
                continue
            for code, response in op.get("responses", {}).items():
                media = (response.get("content") or {}).get("application/json")
                if code.startswith("2") and media is not None and "example" not in media:
                    media["example"] = example
