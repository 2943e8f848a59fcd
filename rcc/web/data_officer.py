"""LA data officer pages: upload SSDA903 returns, the validation report by row, history, the forecast."""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from api_schemas.forecasts import ForecastIn
from rcc import csv_export
from rcc.auth import Role
from rcc.db.models import LocalAuthority
from rcc.errors import Conflict, DomainError, Invalid
from rcc.exports import XLSX_MEDIA_TYPE, Table, to_xlsx
from rcc.pagination import PageRequest
from rcc.sufficiency import charts as charts_svc
from rcc.sufficiency import forecasts as forecasts_svc
from rcc.sufficiency import gap as gap_svc
from rcc.sufficiency import rejections as rejections_svc
from rcc.sufficiency import returns as returns_svc
from rcc.sufficiency.scope import GapQuery
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


def _check(check) -> dict | None:
    """The latest previous-year check on a stored return, for the page (None: not recorded)."""
    if check is None:
        return None
    return {"trigger": check.trigger, "previous_return_id": check.previous_return_id,
            "previous_version": check.previous_version, "triggered_by": check.triggered_by_return_id,
            "finding_count": check.finding_count, "findings": list(check.findings or [])[:20]}  # fmt: skip


def _outcome_notes(history: list[dict], return_id: int | None) -> tuple[dict | None, list[dict]]:
    """For the return just stored: its own check, and the later years it caused to be re-checked."""
    own = next((r for r in history if r["id"] == return_id and r["status"] != "rejected"), None)
    rechecked = [
        r for r in history
        if r["status"] != "rejected" and r["check"] and r["check"]["triggered_by"] == return_id
    ]  # fmt: skip
    return own, rechecked


def _history(request: Request, who: SignedIn, la_code: str) -> list[dict]:
    """Every submission, oldest first: the stored returns and the uploads the validator refused."""
    with unit(request) as s:
        page = returns_svc.list_returns(s, who.principal, PageRequest(limit=200), la_code=la_code)
        stored = [
            {"id": r.id, "year": r.collection_year, "version": r.version, "status": r.status,
             "submitted_at": r.submitted_at, "files": r.file_names, "rows": r.rows, "changes": r.changes,
             "check": _check(r.previous_year_check)}
            for r in page.items
        ]  # fmt: skip
        refused = rejections_svc.list_rejections(s, who.principal, PageRequest(limit=200), la_code=la_code)
        rejected = [
            {"id": r.id, "year": r.collection_year, "version": None, "status": "rejected",
             "submitted_at": r.submitted_at, "files": r.file_names, "error_count": r.error_count,
             "errors": list(r.errors or [])[:5]}
            for r in refused.items
        ]  # fmt: skip
    return sorted(stored + rejected, key=lambda r: (r["submitted_at"], r["status"] != "rejected", r["id"]))


REPORT_COLUMNS = ("file", "spreadsheet_row", "record", "column", "rule", "message")


def _report_table(problems: list[dict]) -> Table:
    rows = [[p["file"], p["sheet_row"], p["record"], p["column"], p["code"], p["message"]] for p in problems]
    return Table("validation report", REPORT_COLUMNS, rows,
                 ("rows are the spreadsheet's: the column headings are row 1",))  # fmt: skip


def _report_csv(problems: list[dict]) -> str:
    return csv_export.write_rows(REPORT_COLUMNS, _report_table(problems).rows)


def _data_url(media: str, body: bytes) -> str:
    return f"data:{media};base64,{base64.b64encode(body).decode()}"


def _returns_page(request: Request, who: SignedIn, status: int = 200, **ctx):
    la_code = _la_code(request, who)
    for key in ("problems", "outcome", "return_id"):
        ctx.setdefault(key, None)
    problems = ctx["problems"] or []
    csv_href = xlsx_href = None
    if problems:  # the report is not stored anywhere: the downloads travel in the page
        csv_href = _data_url("text/csv", _report_csv(problems).encode())
        xlsx_href = _data_url(XLSX_MEDIA_TYPE, to_xlsx(_report_table(problems)))
    history = _history(request, who, la_code)
    own, rechecked = _outcome_notes(history, ctx["return_id"]) if ctx["outcome"] else (None, [])
    return render(
        request, "data/returns.html.j2", who, status=status, la_code=la_code, history=history,
        csv_href=csv_href, xlsx_href=xlsx_href, stored=own, rechecked=rechecked, **ctx,
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
        if job_view and job_view["status"] in ("queued", "running"):
            # only the progress while it runs: charts of a forecast computed now (seconds of CPU each)
            # would compete with the job and with the page's own status polls
            return render(request, "data/forecast.html.j2", who, la_code=la_code, job=job_view, gap=None,
                          note=None, has_forecast=False, placements=())  # fmt: skip
        try:
            job_id = job if job_view and job_view["status"] == "succeeded" else None
            q = GapQuery(la_code=la_code, horizon=12, job_id=job_id)
            gap = cache.kept(s, who.principal, "gap", q, lambda: gap_svc.gap(s, who.principal, q))
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
        png = cache.kept(s, who.principal, "fan", (la_code, placement, job),
                         lambda: charts_svc.fan_chart(s, who.principal, la_code=la_code, placement=placement,
                                                      job_id=job))  # fmt: skip
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=300"})
