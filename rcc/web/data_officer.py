"""LA data officer pages: upload SSDA903 returns, the validation report by row, history, the forecast."""

from __future__ import annotations

import base64
import csv
import io
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from api_schemas.forecasts import ForecastIn
from rcc.auth import Role
from rcc.db.models import LocalAuthority
from rcc.errors import Conflict, DomainError, Invalid
from rcc.pagination import PageRequest
from rcc.sufficiency import charts as charts_svc
from rcc.sufficiency import forecasts as forecasts_svc
from rcc.sufficiency import gap as gap_svc
from rcc.sufficiency import returns as returns_svc
from rcc.web import cache
from rcc.web.core import FormErrors, posted, render, role_is, text, unit
from rcc.web.users import SignedIn

router = APIRouter(include_in_schema=False)
DataOfficer = Annotated[SignedIn, Depends(role_is(Role.LA_OFFICER))]
FILES = ("header", "episodes", "uasc")


def _la_code(request: Request, who: SignedIn) -> str:
    with unit(request) as s:
        if who.principal.la_id is not None:
            la = s.get(LocalAuthority, who.principal.la_id)
            if la is not None:
                return la.gss_code
    raw = request.query_params.get("la")
    if raw:
        return raw
    raise Invalid("give the LA with ?la=<GSS code>", "la")


def _history(request: Request, who: SignedIn, la_code: str) -> list[dict]:
    with unit(request) as s:
        page = returns_svc.list_returns(s, who.principal, PageRequest(limit=200), la_code=la_code)
        return [
            {"id": r.id, "year": r.collection_year, "version": r.version, "status": r.status,
             "submitted_at": r.submitted_at, "files": r.file_names, "rows": r.rows, "changes": r.changes}
            for r in reversed(page.items)
        ]  # fmt: skip


def _report_csv(problems: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["file", "spreadsheet_row", "record", "column", "rule", "message"])
    for p in problems:
        w.writerow(
            [p["file"], p["sheet_row"] or "", p["record"] or "", p["column"] or "", p["code"], p["message"]]
        )
    return buf.getvalue()


def _returns_page(request: Request, who: SignedIn, status: int = 200, **ctx):
    la_code = _la_code(request, who)
    for key in ("problems", "outcome", "return_id"):
        ctx.setdefault(key, None)
    problems = ctx["problems"] or []
    csv_href = None
    if problems:
        csv_href = "data:text/csv;base64," + base64.b64encode(_report_csv(problems).encode()).decode()
    return render(
        request, "data/returns.html.j2", who, status=status, la_code=la_code, history=_history(request, who, la_code),
        csv_href=csv_href, **ctx,
    )  # fmt: skip


@router.get("/data/returns")
def returns(request: Request, who: DataOfficer, outcome: str | None = None, id: int | None = None):
    return _returns_page(request, who, outcome=outcome, return_id=id)


@router.post("/data/returns")
async def upload(request: Request, who: DataOfficer):
    form = await posted(request, who)
    la_code = _la_code(request, who)
    files: dict[str, bytes] = {}
    names: dict[str, str] = {}
    for name in FILES:
        up = form.get(name)
        if isinstance(up, UploadFile) and up.filename:
            raw = await up.read(returns_svc.MAX_FILE_BYTES + 1)
            files[name] = raw
            names[name] = up.filename
    errors = FormErrors()
    for name in ("header", "episodes"):
        if name not in files:
            errors.add(name, f"Choose the {name} CSV file")
    year_raw = text(form, "collection_year")
    year = None
    if year_raw:
        if not year_raw.isdigit():
            errors.add("collection_year", "Enter the collection year as a 4-digit start year, like 2024")
        else:
            year = int(year_raw)
    if errors:
        return _returns_page(request, who, status=422, errors=errors)
    try:
        with unit(request) as s:
            result = returns_svc.submit_return(s, who.principal, la_code, year, files, names)
            ret_id, outcome = result.ret.id, result.outcome
    except returns_svc.ReturnRejected as exc:
        problems = [
            {"file": e.table, "record": e.row, "sheet_row": (e.row + 1) if e.row is not None else None,
             "column": e.field, "code": e.code, "message": e.message}
            for e in exc.errors
        ]  # fmt: skip
        errors.add("", exc.message)
        return _returns_page(request, who, status=422, errors=errors, problems=problems)
    except DomainError as exc:
        return _returns_page(request, who, status=exc.status, errors=FormErrors.from_domain(exc))
    return RedirectResponse(f"/data/returns?outcome={outcome}&id={ret_id}", status_code=303)


# ---------------------------------------------------------------- forecast (a job, polled)


@router.get("/data/forecast")
def forecast(request: Request, who: DataOfficer, job: str | None = None):
    la_code = _la_code(request, who)
    job_view = None
    note = None
    with unit(request) as s:
        if job:
            j = forecasts_svc.get_forecast(s, who.principal, job)
            job_view = {"id": j.id, "status": j.status, "error": j.error, "created_at": j.created_at,
                        "finished_at": j.finished_at}  # fmt: skip
        try:
            job_id = job if job_view and job_view["status"] == "succeeded" else None
            gap = cache.kept(s, who.principal, "gap", (la_code, 12, job_id),
                             lambda: gap_svc.gap(s, who.principal, la_code=la_code, horizon=12, job_id=job_id))  # fmt: skip
        except (Conflict, Invalid) as exc:
            gap, note = None, exc.message
    has_forecast = bool(gap and gap["forecast"]["kind"] != "none")
    return render(
        request, "data/forecast.html.j2", who, la_code=la_code, job=job_view, gap=gap, note=note,
        has_forecast=has_forecast, placements=("all", *forecasts_svc.CATEGORIES),
    )  # fmt: skip


@router.post("/data/forecast")
async def run_forecast(request: Request, who: DataOfficer):
    await posted(request, who)
    la_code = _la_code(request, who)
    try:
        with unit(request) as s:
            job = forecasts_svc.submit_forecast(
                s, who.principal, ForecastIn(la_code=la_code, horizon_months=12, n_sims=200)
            )
            job_id = job.id
    except DomainError as exc:
        return render(request, "data/forecast.html.j2", who, status=exc.status, la_code=la_code, job=None,
                      gap=None, note=None, has_forecast=False, placements=(),
                      errors=FormErrors.from_domain(exc))  # fmt: skip
    return RedirectResponse(f"/data/forecast?job={job_id}", status_code=303)


@router.get("/data/forecast/fan.png")
def fan_png(request: Request, who: DataOfficer, placement: str = "all", job: str | None = None):
    la_code = _la_code(request, who)
    with unit(request) as s:
        png = charts_svc.fan_chart(s, who.principal, la_code=la_code, placement=placement, job_id=job)
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=300"})
