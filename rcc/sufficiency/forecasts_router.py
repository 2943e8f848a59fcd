"""Sufficiency forecasts (jobs), the demand-vs-supply gap, charts, the HTML report and backtests."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import HTMLResponse, PlainTextResponse

from api_schemas.forecasts import BacktestIn, BacktestJobOut, ForecastIn, ForecastJobOut, GapOut
from rcc.api.deps import DB, Caller
from rcc.sufficiency import forecasts as svc

router = APIRouter(prefix="/sufficiency", tags=["sufficiency"])

Rcc = Annotated[int | None, Query(description="RCC id (give this or la)")]
La = Annotated[str | None, Query(description="LA GSS or DfE code (give this or rcc)")]
Horizon = Annotated[int, Query(ge=1, le=36, description="months ahead")]
Inflation = Annotated[
    float, Query(ge=-0.5, le=0.5, description="yearly fee inflation for costs (default 0.03 = 3%)")
]
JobId = Annotated[str | None, Query(description="use this finished forecast job (default: the latest)")]
Format = Annotated[Literal["json", "csv"], Query(description="json or csv")]
PNG = {200: {"content": {"image/png": {}}, "description": "PNG image"}}
CSV_OR_JSON = {200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with format=csv"}}


def _csv(text: str, name: str) -> PlainTextResponse:
    headers = {"Content-Disposition": f'attachment; filename="{name}.csv"'}
    return PlainTextResponse(text, media_type="text/csv", headers=headers)


@router.post("/forecasts", response_model=ForecastJobOut, status_code=202)
def submit_forecast(body: ForecastIn, db: DB, who: Caller):
    """Queue a forecast (a persisted job); poll GET /sufficiency/forecasts/{id}."""
    return ForecastJobOut.model_validate(svc.submit_forecast(db, who, body))


@router.get("/forecasts/{job_id}", response_model=ForecastJobOut, responses=CSV_OR_JSON)
def get_forecast(job_id: str, db: DB, who: Caller, format: Format = "json"):
    """Status, and when succeeded the long-format forecast and cost projection (CSV: the forecast rows)."""
    job = svc.get_forecast(db, who, job_id)
    if format == "csv":
        return _csv(svc.forecast_csv(job), f"forecast-{job_id}")
    return ForecastJobOut.model_validate(job)


@router.get("/gap", response_model=GapOut, responses=CSV_OR_JSON)
def get_gap(
    db: DB, who: Caller, rcc: Rcc = None, la: La = None, horizon: Horizon = 12,
    inflation: Inflation = svc.DEFAULT_INFLATION, job_id: JobId = None, format: Format = "json",
):  # fmt: skip
    """Projected children by placement category and LA against the register's places; places to
    commission (the rule is in the response) and projected costs."""
    result = svc.gap(db, who, rcc_id=rcc, la_code=la, horizon=horizon, inflation=inflation, job_id=job_id)
    if format == "csv":
        return _csv(svc.gap_csv(result), "sufficiency-gap")
    return GapOut.model_validate(result)


@router.get("/charts/fan.png", response_class=Response, responses=PNG)
def fan_chart(
    db: DB, who: Caller, rcc: Rcc = None, la: La = None, horizon: Horizon = 12,
    placement: Annotated[str, Query(description="fostering | residential | supported | other | all")] = "all",
    job_id: JobId = None,
):  # fmt: skip
    png = svc.fan_chart(db, who, rcc_id=rcc, la_code=la, horizon=horizon, placement=placement, job_id=job_id)
    return Response(png, media_type="image/png")


@router.get("/charts/gap.png", response_class=Response, responses=PNG)
def gap_chart(
    db: DB, who: Caller, rcc: Rcc = None, la: La = None, horizon: Horizon = 12,
    inflation: Inflation = svc.DEFAULT_INFLATION, job_id: JobId = None,
):  # fmt: skip
    png = svc.gap_chart(db, who, rcc_id=rcc, la_code=la, horizon=horizon, inflation=inflation, job_id=job_id)
    return Response(png, media_type="image/png")


@router.get("/report", response_class=HTMLResponse)
def report(
    db: DB, who: Caller, rcc: Rcc = None, la: La = None, horizon: Horizon = 12,
    inflation: Inflation = svc.DEFAULT_INFLATION,
):  # fmt: skip
    """A self-contained HTML sufficiency report for the RCC or one LA."""
    return HTMLResponse(
        svc.report_html(db, who, rcc_id=rcc, la_code=la, horizon=horizon, inflation=inflation)
    )


@router.post("/backtests", response_model=BacktestJobOut, status_code=202)
def submit_backtest(body: BacktestIn, db: DB, who: Caller):
    """Queue a rolling-origin backtest on the stored returns (model next to naive baselines)."""
    return BacktestJobOut.model_validate(svc.submit_backtest(db, who, body))


@router.get("/backtests/{job_id}", response_model=BacktestJobOut)
def get_backtest(job_id: str, db: DB, who: Caller):
    return BacktestJobOut.model_validate(svc.get_backtest(db, who, job_id))
