"""Sufficiency endpoints: SSDA903 returns (upload, list, get); forecasts (jobs), the demand-vs-supply gap,
charts, the HTML report and backtests."""

from __future__ import annotations

from typing import Annotated, Any, BinaryIO, Literal

from fastapi import APIRouter, File, Form, Query, Response, UploadFile
from fastapi.responses import HTMLResponse

from api_schemas.common import Id, Page
from api_schemas.forecasts import BacktestIn, BacktestJobOut, ForecastIn, ForecastJobOut, GapOut
from api_schemas.sufficiency import (
    LaterYearRecheckOut,
    QuarantinedRow,
    RejectedReturnOut,
    ReturnOut,
    SubmissionOut,
)
from rcc.api.convert import csv_download, table_download, to_page
from rcc.api.deps import DB, Caller, Paging
from rcc.errors import Invalid
from rcc.exports import XLSX_MEDIA_TYPE, from_csv
from rcc.sufficiency import backtest as backtest_svc
from rcc.sufficiency import charts as charts_svc
from rcc.sufficiency import forecasts as forecasts_svc
from rcc.sufficiency import gap as gap_svc
from rcc.sufficiency import rejections, scope
from rcc.sufficiency import report as report_svc
from rcc.sufficiency import returns as returns_svc

router = APIRouter(prefix="/sufficiency", tags=["sufficiency"])


def _read(upload: UploadFile | None, field: str) -> BinaryIO | None:
    """The upload's spooled file (in memory up to 1 MB, on disk above), refusing (422) one over the size
    limit by its size, without reading it. The validator reads it row by row, never whole."""
    if upload is None:
        return None
    if returns_svc.file_size(upload.file) > returns_svc.MAX_FILE_BYTES:
        raise Invalid(f"the file is larger than {returns_svc.MAX_FILE_BYTES // (1024 * 1024)} MB", field)
    return upload.file


@router.post(
    "/returns",
    response_model=SubmissionOut,
    response_model_by_alias=True,
    status_code=201,
    responses={
        200: {"model": SubmissionOut, "description": "identical to the latest version: nothing stored"}
    },
)
def submit_return(
    response: Response,
    db: DB,
    who: Caller,
    la_code: Annotated[str, Form(description="GSS or DfE code of the LA the return is for")],
    header: Annotated[UploadFile, File(description="SSDA903 header CSV")],
    episodes: Annotated[UploadFile, File(description="SSDA903 episodes CSV")],
    uasc: Annotated[UploadFile | None, File(description="SSDA903 UASC CSV (optional)")] = None,
    collection_year: Annotated[int | None, Form(description="start year (2024 = 2024-25); inferred if absent")] = None,
    quarantine: Annotated[bool, Form(description="drop (and list) the rows DfE's rules reject instead of refusing the return")] = False,
):  # fmt: skip
    uploads = {"header": header, "episodes": episodes, "uasc": uasc}
    files = {name: raw for name, up in uploads.items() if (raw := _read(up, name)) is not None}
    names = {name: up.filename for name, up in uploads.items() if up is not None and up.filename}
    result = returns_svc.submit_return(db, who, la_code, collection_year, files, names, quarantine=quarantine)
    if result.unchanged:
        response.status_code = 200
    return SubmissionOut(
        outcome=result.outcome,
        collection_year_inferred=result.collection_year_inferred,
        return_=ReturnOut.model_validate(result.ret),
        quarantined_count=len(result.quarantined),
        quarantined=[QuarantinedRow(field=p.field, message=p.message) for p in result.quarantined],
        previous_return_id=result.previous_return_id,
        previous_year_rules=result.previous_year_rules,
        later_year_recheck=(
            LaterYearRecheckOut.model_validate(result.later_year, from_attributes=True)
            if result.later_year
            else None
        ),
    )


@router.get("/returns/rejected", response_model=Page[RejectedReturnOut])
def list_rejected_returns(db: DB, who: Caller, page: Paging, la: str | None = None):
    result = rejections.list_rejections(db, who, page, la_code=la)
    items = [
        RejectedReturnOut(
            id=r.id,
            la_code=r.la_code,
            collection_year=r.collection_year,
            submitted_at=r.submitted_at,
            api_key_id=r.api_key_id,
            role=r.role,
            content_sha256=r.content_sha256,
            file_names=r.file_names,
            error_count=r.error_count,
            errors=[QuarantinedRow(**e) for e in r.errors],
        )  # fmt: skip
        for r in result.items
    ]
    return Page[RejectedReturnOut](items=items, total=result.total, limit=result.limit, offset=result.offset)


@router.get("/returns", response_model=Page[ReturnOut])
def list_returns(
    db: DB, who: Caller, page: Paging, la: str | None = None, collection_year: int | None = None
):
    return to_page(
        returns_svc.list_returns(db, who, page, la_code=la, collection_year=collection_year), ReturnOut
    )


@router.get("/returns/{return_id}", response_model=ReturnOut)
def get_return(return_id: Id, db: DB, who: Caller):
    return ReturnOut.model_validate(returns_svc.get_return(db, who, return_id))


Rcc = Annotated[Id | None, Query(description="RCC id (give this or la)")]
La = Annotated[str | None, Query(description="LA GSS or DfE code (give this or rcc)")]
Horizon = Annotated[int, Query(ge=1, le=36, description="months ahead")]
Inflation = Annotated[
    float, Query(ge=-0.5, le=0.5, description="yearly fee inflation for costs (default 0.03 = 3%)")
]
JobId = Annotated[str | None, Query(description="use this finished forecast job (default: the latest)")]
Format = Annotated[Literal["json", "csv"], Query(description="json or csv")]
PNG: dict[int | str, dict[str, Any]] = {200: {"content": {"image/png": {}}, "description": "PNG image"}}
CSV_OR_JSON: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with format=csv"}
}


GAP_FORMATS: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/csv": {}, XLSX_MEDIA_TYPE: {}},
        "description": "JSON, CSV (format=csv) or Excel (format=xlsx)",
    }
}


@router.post("/forecasts", response_model=ForecastJobOut, status_code=202)
def submit_forecast(body: ForecastIn, db: DB, who: Caller):
    """Queue a forecast (a persisted job); poll GET /sufficiency/forecasts/{id}."""
    return ForecastJobOut.model_validate(forecasts_svc.submit_forecast(db, who, body))


@router.get("/forecasts/{job_id}", response_model=ForecastJobOut, responses=CSV_OR_JSON)
def get_forecast(job_id: str, db: DB, who: Caller, format: Format = "json"):
    """Status, and when succeeded the long-format forecast and cost projection (CSV: the forecast rows)."""
    job = forecasts_svc.get_forecast(db, who, job_id)
    if format == "csv":
        return csv_download(report_svc.forecast_csv(job), f"forecast-{job_id}")
    return ForecastJobOut.model_validate(job)


@router.get("/gap", response_model=GapOut, responses=GAP_FORMATS)
def get_gap(
    db: DB, who: Caller, rcc: Rcc = None, la: La = None, horizon: Horizon = 12,
    inflation: Inflation = scope.DEFAULT_INFLATION, job_id: JobId = None,
    format: Annotated[Literal["json", "csv", "xlsx"], Query(description="json, csv or xlsx (Excel)")] = "json",
):  # fmt: skip
    """Projected children by placement category and LA against the register's places; places to
    commission (the rule is in the response) and projected costs."""
    result = gap_svc.gap(db, who, scope.GapQuery(rcc, la, horizon, inflation, job_id))
    if format == "csv":
        return csv_download(report_svc.gap_csv(result), "sufficiency-gap")
    if format == "xlsx":
        notes = [result["headline"], *result["notes"]]
        return table_download(from_csv("gap", report_svc.gap_csv(result), notes), "sufficiency-gap", "xlsx")
    return GapOut.model_validate(result)


@router.get("/charts/fan.png", response_class=Response, responses=PNG)
def fan_chart(
    db: DB, who: Caller, rcc: Rcc = None, la: La = None, horizon: Horizon = 12,
    placement: Annotated[str, Query(description="fostering | residential | supported | other | all")] = "all",
    job_id: JobId = None,
):  # fmt: skip
    png = charts_svc.fan_chart(
        db, who, rcc_id=rcc, la_code=la, horizon=horizon, placement=placement, job_id=job_id
    )
    return Response(png, media_type="image/png")


@router.get("/charts/gap.png", response_class=Response, responses=PNG)
def gap_chart(
    db: DB, who: Caller, rcc: Rcc = None, la: La = None, horizon: Horizon = 12,
    inflation: Inflation = scope.DEFAULT_INFLATION, job_id: JobId = None,
):  # fmt: skip
    png = charts_svc.gap_chart(db, who, scope.GapQuery(rcc, la, horizon, inflation, job_id))
    return Response(png, media_type="image/png")


@router.get("/report", response_class=HTMLResponse)
def report(
    db: DB, who: Caller, rcc: Rcc = None, la: La = None, horizon: Horizon = 12,
    inflation: Inflation = scope.DEFAULT_INFLATION,
):  # fmt: skip
    """A self-contained HTML sufficiency report for the RCC or one LA."""
    return HTMLResponse(report_svc.report_html(db, who, scope.GapQuery(rcc, la, horizon, inflation)))


@router.post("/backtests", response_model=BacktestJobOut, status_code=202)
def submit_backtest(body: BacktestIn, db: DB, who: Caller):
    """Queue a rolling-origin backtest on the stored returns (model next to naive baselines)."""
    return BacktestJobOut.model_validate(backtest_svc.submit_backtest(db, who, body))


@router.get("/backtests/{job_id}", response_model=BacktestJobOut)
def get_backtest(job_id: str, db: DB, who: Caller):
    return BacktestJobOut.model_validate(backtest_svc.get_backtest(db, who, job_id))
