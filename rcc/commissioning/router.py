"""Commissioning intelligence and market oversight: cost of care, concentration, oversight, outcomes, stress tests.

Thin: parse, call :mod:`rcc.commissioning.service`, shape the response (JSON, CSV or HTML).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from api_schemas.commissioning import (
    ConcentrationOut,
    CostOfCareOut,
    EqualityOut,
    OutcomesOut,
    OversightOut,
    StressTestIn,
    StressTestJob,
)
from api_schemas.common import Id
from rcc.api.convert import csv_download, table_download
from rcc.api.deps import DB, Caller, Config
from rcc.commissioning import cost as cost_svc
from rcc.commissioning import downloads, reports
from rcc.commissioning import outcomes as outcomes_svc
from rcc.commissioning import stress as stress_svc
from rcc.exports import XLSX_MEDIA_TYPE

router = APIRouter(prefix="/commissioning", tags=["commissioning"])

Rcc = Annotated[Id, Query(alias="rcc", description="the RCC's id")]
Start = Annotated[
    dt.date | None, Query(description="first day of the period (default: 12 months to the end)")
]
End = Annotated[dt.date | None, Query(description="last day of the period (default: today)")]
La = Annotated[str | None, Query(description="narrow to one member LA (GSS or DfE code)")]
Format = Annotated[Literal["json", "csv", "html"], Query(description="json, csv or html")]


@router.get(
    "/cost-of-care",
    response_model=CostOfCareOut,
    responses={200: {"content": {"text/csv": {}, "text/html": {}}}},
)
def cost_of_care(
    db: DB, who: Caller, cfg: Config, rcc: Rcc, period_start: Start = None, period_end: End = None,
    la: La = None, format: Format = "json",
):  # fmt: skip
    if format == "csv":
        return csv_download(
            reports.cost_of_care_csv(db, who, rcc, period_start, period_end, la), "cost-of-care"
        )
    if format == "html":
        return HTMLResponse(
            reports.published_report_html(db, who, rcc, period_start, period_end, la, cfg.data_dir)
        )
    return CostOfCareOut.model_validate(cost_svc.cost_of_care(db, who, rcc, period_start, period_end, la))


@router.get("/cost-of-care.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def cost_of_care_csv(
    db: DB, who: Caller, rcc: Rcc, period_start: Start = None, period_end: End = None, la: La = None
):
    return csv_download(reports.cost_of_care_csv(db, who, rcc, period_start, period_end, la), "cost-of-care")


@router.get("/report", response_class=HTMLResponse)
def published_report(
    db: DB,
    who: Caller,
    cfg: Config,
    rcc: Rcc,
    period_start: Start = None,
    period_end: End = None,
    la: La = None,
):
    """The period's management-information report (HTML, fit to publish: suppressed, with caveats and method)."""
    return HTMLResponse(
        reports.published_report_html(db, who, rcc, period_start, period_end, la, cfg.data_dir)
    )


DOWNLOAD: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}, XLSX_MEDIA_TYPE: {}}, "description": "CSV, or Excel with format=xlsx"}
}


@router.get("/homes", response_class=Response, responses=DOWNLOAD)
def homes_download(
    db: DB, who: Caller, rcc: Rcc, la: La = None, format: Literal["csv", "xlsx"] = "csv"
) -> Response:
    return table_download(downloads.homes_table(db, who, rcc, la), "homes", format)


@router.get("/concentration", response_model=ConcentrationOut,
            responses={200: {"content": {"text/csv": {}, XLSX_MEDIA_TYPE: {}}}})  # fmt: skip
def concentration(db: DB, who: Caller, rcc: Rcc, format: Literal["json", "csv", "xlsx"] = "json"):
    if format == "xlsx":
        return table_download(downloads.concentration_table(db, who, rcc), "concentration", format)
    if format == "csv":
        return csv_download(reports.concentration_csv(db, who, rcc), "concentration")
    return ConcentrationOut.model_validate(cost_svc.concentration(db, who, rcc))


@router.get("/financial-oversight", response_model=OversightOut)
def financial_oversight(db: DB, who: Caller, rcc: Rcc, as_of: dt.date | None = None):
    return OversightOut.model_validate(cost_svc.financial_oversight(db, who, rcc, as_of))


@router.get("/outcomes", response_model=OutcomesOut)
def outcomes(
    db: DB,
    who: Caller,
    cfg: Config,
    rcc: Rcc,
    period_start: Start = None,
    period_end: End = None,
    la: La = None,
):
    return OutcomesOut.model_validate(
        outcomes_svc.outcomes(db, who, rcc, period_start, period_end, la, cfg.data_dir)
    )


@router.get("/equality", response_model=EqualityOut, responses={200: {"content": {"text/csv": {}}}})
def equality(
    db: DB, who: Caller, rcc: Rcc, period_start: Start = None, period_end: End = None, la: La = None,
    format: Literal["json", "csv"] = "json",
):  # fmt: skip
    if format == "csv":
        return csv_download(reports.equality_csv(db, who, rcc, period_start, period_end, la), "equality")
    return EqualityOut.model_validate(outcomes_svc.equality(db, who, rcc, period_start, period_end, la))


@router.post("/stress-tests", response_model=StressTestJob, status_code=202)
def submit_stress_test(body: StressTestIn, db: DB, who: Caller):
    job = stress_svc.submit_stress_test(
        db, who, body.rcc_id, body.owner_group, body.as_of, body.time_limit_s, body.capacity
    )
    return StressTestJob.model_validate(stress_svc.stress_test_view(job))


@router.get(
    "/stress-tests/{job_id}", response_model=StressTestJob, responses={200: {"content": {"text/html": {}}}}
)
def get_stress_test(job_id: str, db: DB, who: Caller, format: Literal["json", "html"] = "json"):
    if format == "html":
        return HTMLResponse(stress_svc.stress_test_html(db, who, job_id))
    return StressTestJob.model_validate(
        stress_svc.stress_test_view(stress_svc.get_stress_test(db, who, job_id))
    )
