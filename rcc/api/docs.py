"""The API's documentation for client developers: tag descriptions, and a summary and description
for every operation that does not carry its own in its decorator.

Kept in one table so the routers stay thin and a reviewer reads the whole API in one place;
:func:`install` post-processes the generated OpenAPI document, and ``tests/api/test_openapi_docs.py``
fails when an operation or a tag is left undescribed.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from rcc.api import examples

API_DESCRIPTION = """\
The engine of a Regional Care Cooperative: the register of homes and places, placement matching,
and sufficiency planning for children's social care in England.

**Authentication.** Every call carries `Authorization: Bearer <API key>`. Keys are made by an operator
(`rcc apikey create`) or printed by `rcc demo`. A key has one role: `admin`, `rcc_commissioner` (its RCC's
member LAs), `la_officer` (its own LA's children) or `provider` (its own homes and the offers made to it).
A record outside the caller's scope answers 404, so nothing leaks; an action the role may never take is 403.

**Paging.** Lists take `limit` (1-500, default 50) and `offset`, and answer `{items, total, limit, offset}`.

**Errors.** Every error is one envelope: `{"error": {"code", "message", "details": [{"field", "message"}]}}`
with 401, 403, 404, 409 (conflicts with the register's state) or 422 (invalid input; `details` names each
field, including unknown query parameters). Bad input never gives a 500.

**Jobs.** Long work (region-wide matching runs, forecasts, backtests, stress tests) is queued as a job:
the POST answers 202 with the job; poll its GET until `status` is `succeeded`, `failed` or `cancelled`
(every second or two is plenty), then read `result`. Jobs survive restarts.

**Events.** Subscribe a URL to events (offers made, accepted, declined, withdrawn; vacancies gone stale;
returns rejected) with `POST /webhooks`; each delivery is signed with HMAC-SHA256.
"""

TAGS: list[dict[str, str]] = [
    {"name": "register", "description": "Local authorities, RCCs, providers, homes and declared vacancies."},
    {"name": "children", "description": "Pseudonymised child records (birth month, postcode sector); every read is audited."},
    {"name": "referrals", "description": "A request to place one child or a sibling group, with its urgency and location preferences."},
    {"name": "placements", "description": "Where a child lives, from when, at what weekly cost; made by accepting an offer or recorded directly."},
    {"name": "matching", "description": "Ranked shortlists with each factor in words (lower points are better), an officer's own choice checked, region-wide matching runs, and the unmet need they reveal."},
    {"name": "offers", "description": "The offer journey: the LA offers a home, the provider sees a non-identifying profile of the child and accepts or declines; the LA may withdraw."},
    {"name": "sufficiency", "description": "SSDA903 returns (with rejected submissions recorded), forecasts of demand, the gap against supply, charts and the sufficiency report."},
    {"name": "commissioning", "description": "Cost of care and total spend, market concentration, financial oversight, outcomes, equality, stress tests; CSV and Excel exports."},
    {"name": "nps", "description": "National Placement Standard records: import a JSON-LD record, export any referral or placement as one."},
    {"name": "jobs", "description": "Status, result and cancellation of any persisted job."},
    {"name": "webhooks", "description": "Subscribe URLs to events; signed deliveries with retries and a delivery log."},
    {"name": "audit", "description": "The append-only audit trail of reads and changes of child records (admins and commissioners)."},
    {"name": "meta", "description": "Liveness and readiness."},
]  # fmt: skip

# "METHOD /path" (without /api/v1) -> (summary, description)
OPERATIONS: dict[str, tuple[str, str]] = {
    "GET /local-authorities": ("List local authorities", "The 153 English LAs with children's services, with GSS and DfE codes and region; filter by `region`."),
    "GET /local-authorities/{code}": ("Get a local authority", "One LA by GSS code (E06000001) or DfE code (805)."),
    "POST /rccs": ("Create an RCC", "Admin only: a Regional Care Cooperative of up to 20 member LAs, given by code."),
    "GET /rccs": ("List RCCs", "The RCCs the caller may see, each with its member LAs."),
    "GET /rccs/{rcc_id}": ("Get an RCC", "One RCC and its member LAs."),
    "PATCH /rccs/{rcc_id}": ("Update an RCC", "Admin only: rename, or replace the member LAs."),
    "DELETE /rccs/{rcc_id}": ("Delete an RCC", "Admin only; 409 while anything refers to it."),
    "POST /providers": ("Register a provider", "A provider of homes (private, voluntary, local authority), its owner group and risk rating."),
    "GET /providers": ("List providers", "Filter by `sector`, `owner_group` or `difficult_to_replace`; paged."),
    "GET /providers/{provider_id}": ("Get a provider", "One provider; a provider key sees only its own."),
    "PATCH /providers/{provider_id}": ("Update a provider", "Change the fields sent; the rest are kept."),
    "DELETE /providers/{provider_id}": ("Delete a provider", "409 while it has homes."),
    "POST /homes": ("Register a home", "A children's home, fostering household or supported accommodation: places, ages, needs met, Ofsted judgement, postcode (geocoded to its sector), fees."),
    "GET /homes": ("Search homes", "Filter by RCC, LA, type, need met, age, vacancy and Ofsted judgement; unknown filters are a 422; paged."),
    "GET /homes/{home_id}": ("Get a home", "One home with its places taken and declared free."),
    "PATCH /homes/{home_id}": ("Update a home", "Change the fields sent; a new postcode is geocoded again."),
    "DELETE /homes/{home_id}": ("Delete a home", "409 while placements or offers refer to it."),
    "POST /vacancies": ("Declare a vacancy", "The provider says a home has places free from a date; it is stale if not confirmed for the configured number of days."),
    "GET /vacancies": ("List vacancies", "Filter by home, LA, RCC or `stale=true`; paged."),
    "GET /vacancies/{vacancy_id}": ("Get a vacancy", "One vacancy and whether it is stale."),
    "PATCH /vacancies/{vacancy_id}": ("Update or confirm a vacancy", "Change places or dates; confirming it resets its age."),
    "DELETE /vacancies/{vacancy_id}": ("Remove a vacancy", "The places are no longer offered."),
    "POST /children": ("Record a child", "A pseudonymised child record of the caller's LA: birth month, sex, needs, risks, postcode sectors, suitability of each placement type, wishes."),
    "GET /children": ("List children", "The caller's LA's children (an RCC commissioner: the member LAs'); paged; each read is audited."),
    "GET /children/{child_id}": ("Get a child", "One child record; the read is audited."),
    "PATCH /children/{child_id}": ("Update a child", "Change the fields sent; audited."),
    "DELETE /children/{child_id}": ("Delete a child", "409 while referrals or placements refer to the child."),
    "POST /referrals": ("Make a referral", "One child or a sibling group needing a placement, with urgency and whether it should be local."),
    "GET /referrals": ("List referrals", "Filter by `status` and LA; paged."),
    "GET /referrals/{referral_id}": ("Get a referral", "One referral and its children's ids."),
    "PATCH /referrals/{referral_id}": ("Update a referral", "Change urgency or location preferences, or close it."),
    "DELETE /referrals/{referral_id}": ("Delete a referral", "409 once offers or placements refer to it."),
    "POST /placements": ("Record a placement", "A placement made outside the offer flow (e.g. an existing one), with its weekly costs."),
    "GET /placements": ("List placements", "Filter by child, home, LA or whether current; paged."),
    "GET /placements/{placement_id}": ("Get a placement", "One placement and its weekly costs."),
    "PATCH /placements/{placement_id}": ("Update or end a placement", "Set `end_date` and `reason_ended` to end it."),
    "DELETE /placements/{placement_id}": ("Delete a placement", "Removes a placement recorded in error."),
    "GET /jobs/{job_id}": ("Get a job", "Status (`queued`, `running`, `succeeded`, `failed`, `cancelled`), parameters, and when succeeded the result."),
    "POST /jobs/{job_id}/cancel": ("Cancel a job", "A queued job is cancelled at once; a running one stops at its next check. 409 if it has finished."),
    "POST /sufficiency/returns": ("Submit an SSDA903 return", "Multipart upload of the header, episodes and (optional) UASC CSVs. UTF-8 (with or without BOM) and Windows-1252 are read; a wrong delimiter or swapped files are diagnosed in words. With `quarantine=true` rows the DfE rules reject are dropped and listed instead of refusing the return. A refused return answers 422 with spreadsheet row numbers (the column names are row 1) and is recorded (who, when, hash, errors; no rows)."),
    "GET /sufficiency/returns": ("List returns", "Accepted returns by LA and collection year, newest version first; paged."),
    "GET /sufficiency/returns/rejected": ("List rejected returns", "Refused submissions: who, when, the files' SHA-256 and the errors, never the rows; paged."),
    "GET /sufficiency/returns/{return_id}": ("Get a return", "One stored return: its version, rows and what it changed."),
    "POST /sufficiency/forecasts": ("Queue a forecast", "A persisted job projecting children looked after by placement category; poll its GET."),
    "GET /sufficiency/forecasts/{job_id}": ("Get a forecast", "The job's status and, when succeeded, the forecast."),
    "GET /sufficiency/gap": ("The sufficiency gap", "Projected demand against registered supply by placement category and LA: places to commission and their cost. The headline names the LAs with no returns and the origin date. `format=csv` or `format=xlsx` downloads it (the workbook's About sheet carries the headline and notes)."),
    "GET /sufficiency/charts/fan.png": ("Forecast fan chart", "PNG: the projection with its uncertainty; the title names the LAs the data covers."),
    "GET /sufficiency/charts/gap.png": ("Gap chart", "PNG: places needed against places available; the title names the LAs the data covers."),
    "GET /sufficiency/report": ("Sufficiency report", "A self-contained HTML report for the RCC: data coverage first, then the forecast and the gap."),
    "POST /sufficiency/backtests": ("Queue a forecast backtest", "A rolling-origin backtest on the stored returns against naive baselines; poll its GET."),
    "GET /sufficiency/backtests/{job_id}": ("Get a backtest", "The job's status and, when succeeded, the accuracy table."),
    "GET /rccs/{rcc_id}/matching-policy": ("Get the matching policy", "The RCC's overrides of the matching library's weights, and the effective values."),
    "PUT /rccs/{rcc_id}/matching-policy": ("Set the matching policy", "Replace the RCC's overrides; unknown or out-of-range values are a 422 naming them."),
    "POST /referrals/{referral_id}/shortlist": ("Shortlist homes for a referral", "Homes meeting every hard rule, ranked by penalty points (lower is better), each factor in words in order of weight; and how many homes each hard rule excluded."),
    "POST /referrals/{referral_id}/validate-choice": ("Check an officer's choice", "The officer's own home(s) checked against every rule, beside the best proposal and the difference in points."),
    "POST /matching-runs": ("Queue a region-wide matching run", "An optimal assignment of open referrals to free places across the RCC (a job); poll its GET, then read the result."),
    "GET /matching-runs/{run_id}": ("Get a matching run", "The job's status."),
    "GET /matching-runs/{run_id}/result": ("Matching run result", "Optimal or feasible, the gap to the bound, assignments, and the unmatched with reasons."),
    "POST /matching-runs/{run_id}/cancel": ("Cancel a matching run", "As for any job."),
    "POST /offers": ("Offer a home", "The LA (or the RCC) offers a home to the provider for a referral; it must meet every hard rule and have a free place now."),
    "GET /offers": ("List offers", "A provider sees the offers made to it; an LA its own; filter by `status`, `referral_id`, `home_id`; paged."),
    "GET /offers/{offer_id}": ("Get an offer", "One offer, and its placements once accepted."),
    "GET /offers/{offer_id}/child-profile": ("The child's profile for an offer", "For the provider the offer is addressed to: age band, sex, needs, number of siblings, and the child's wishes in their own words; nothing that identifies the child. Each read is audited."),
    "POST /offers/{offer_id}/accept": ("Accept an offer", "The provider accepts with a start date and weekly prices: the placement(s) are made and the places taken, or 409 if a place has gone."),
    "POST /offers/{offer_id}/decline": ("Decline an offer", "The provider declines with a reason; the referral reopens when no other offer is pending."),
    "POST /offers/{offer_id}/withdraw": ("Withdraw an offer", "The LA or the RCC withdraws a pending offer, with an optional reason; the provider is told by event."),
    "GET /matching/unmet-need": ("List unmet need", "Referrals no home could meet, or met only far away, outside the LA or in a type the care plan did not prefer."),
    "GET /commissioning/cost-of-care": ("Cost of care", "Weekly costs of current placements by type, LA and owner group: medians, IQRs, and total spend (weekly and annualised)."),
    "GET /commissioning/cost-of-care.csv": ("Cost of care (CSV)", "The cost-of-care table as CSV."),
    "GET /commissioning/report": ("Cost-of-care report", "The period's management-information report (HTML)."),
    "GET /commissioning/concentration": ("Market concentration", "Owner-group shares of places (one name per group: aliases and council names merged) and the HHI; `format=csv` or `format=xlsx` downloads it."),
    "GET /commissioning/homes": ("Homes (CSV or Excel)", "Every home located in the RCC's area (or one LA): places registered, taken and free today, declared vacancies, Ofsted judgement, fees and owner group; `format=csv` (default) or `format=xlsx`."),
    "GET /commissioning/financial-oversight": ("Financial oversight", "Providers that are difficult to replace, their risk ratings and contingency plans."),
    "GET /commissioning/outcomes": ("Placement outcomes", "Stability: placements ended, moves, and durations."),
    "GET /commissioning/equality": ("Equality of placements", "Children looked after and their placements by sex, age and ethnic group."),
    "POST /commissioning/stress-tests": ("Queue a stress test", "\"If owner group X stopped trading\": re-match its children on the remaining supply (a job); poll its GET."),
    "GET /commissioning/stress-tests/{job_id}": ("Get a stress test", "The job's status and, when succeeded, who could be re-placed and at what cost."),
    "POST /nps/placements": ("Import an NPS record", "A National Placement Standard JSON-LD record: the child, referral and placement are created or updated."),
    "GET /nps/placements/{referral_id}": ("Export an NPS record", "Any referral (and its placement, if made) as a National Placement Standard record, whether or not it came in as one."),
    "GET /nps/placements/by-placement/{placement_id}": ("Export a placement as an NPS record", "Any placement, including those recorded directly or loaded by the demo, as a National Placement Standard record (through its referral when it has one)."),
    "GET /audit": ("Read the audit trail", "Who read or changed which child record, when, with which key; filter and page it. Admins see all; a commissioner sees the RCC's LAs."),
    "GET /health": ("Liveness", "Answers `{\"status\": \"ok\"}` while the process serves."),
}  # fmt: skip


def _auto_summary(op: dict[str, Any]) -> bool:
    """FastAPI's default summary is the function name in title case."""
    summary = str(op.get("summary", ""))
    return not summary or summary == default_summary(str(op.get("operationId", "")))


def default_summary(operation_id: str) -> str:
    """What FastAPI would call an operation: its function's name in title case."""
    name = operation_id.split("_api_v1")[0]
    return name.replace("_", " ").title()


def document(spec: dict[str, Any], prefix: str = "/api/v1") -> dict[str, Any]:
    """Fill in summaries and descriptions from :data:`OPERATIONS` and the tags from :data:`TAGS`."""
    for path, ops in spec.get("paths", {}).items():
        short = path[len(prefix) :] if path.startswith(prefix) else path
        for method, op in ops.items():
            _errors_as_json(op)
            entry = OPERATIONS.get(f"{method.upper()} {short}")
            if entry is None:
                continue
            summary, description = entry
            if _auto_summary(op):
                op["summary"] = summary
            if not op.get("description"):
                op["description"] = description
    spec["tags"] = TAGS
    examples.apply(spec.get("components", {}).get("schemas", {}))
    examples.apply_inline(spec.get("paths", {}), prefix)
    envelope = spec.get("components", {}).get("schemas", {}).get("ErrorEnvelope")
    if envelope is not None:
        envelope["examples"] = [ERROR_EXAMPLE]
    return spec


ERROR_EXAMPLE = {
    "error": {
        "code": "invalid",
        "message": "unknown query parameter(s): postcode",
        "details": [{"field": "postcode", "message": "unknown query parameter"}],
    }
}


def _errors_as_json(op: dict[str, Any]) -> None:
    """Errors are always JSON, also from operations whose success is HTML, CSV or PNG."""
    for code, response in op.get("responses", {}).items():
        content = response.get("content") or {}
        if not code.startswith(("4", "5")) or "application/json" in content:
            continue
        for media in list(content):
            if content[media].get("schema", {}).get("$ref", "").endswith("/ErrorEnvelope"):
                content["application/json"] = content.pop(media)


def install(app: FastAPI) -> None:
    """Post-process the generated OpenAPI document once, on first request for it."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
