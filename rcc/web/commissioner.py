"""Commissioner pages: the sufficiency gap, cost of care, concentration and oversight, the stress test."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy import select

from api_schemas.matching import MatchingRunIn
from rcc.api.convert import csv_download, table_download
from rcc.auth import Role
from rcc.commissioning import cost as cost_svc
from rcc.commissioning import downloads as downloads_svc
from rcc.commissioning import reports as reports_svc
from rcc.commissioning import stress as stress_svc
from rcc.db.models import Provider, Rcc
from rcc.errors import DomainError, Invalid
from rcc.exports import from_csv
from rcc.matching import runs as runs_svc
from rcc.sufficiency import gap as gap_svc
from rcc.sufficiency import report as report_svc
from rcc.sufficiency.scope import GapQuery
from rcc.web import cache, charts, labels
from rcc.web.core import FormErrors, form_dict, posted, render, role_is, text, unit
from rcc.web.users import SignedIn

router = APIRouter(include_in_schema=False)
Commissioner = Annotated[SignedIn, Depends(role_is(Role.RCC_COMMISSIONER))]


def _rcc_id(request: Request, who: SignedIn) -> int:
    """The commissioner's RCC; an administrator may pick one with ``?rcc=`` (default: the first)."""
    if who.principal.rcc_id is not None:
        return who.principal.rcc_id
    raw = request.query_params.get("rcc")
    if raw and raw.isdigit():
        return int(raw)
    with unit(request) as s:
        first = s.scalar(select(Rcc.id).order_by(Rcc.id).limit(1))
    if first is None:
        raise Invalid("no RCC is registered yet", "rcc")
    return first


def _gap_query(request: Request, who: SignedIn, horizon: int) -> GapQuery:
    """The RCC's gap at ``horizon`` months (kept within 1-36: the page's links are typed by hand too)."""
    return GapQuery(rcc_id=_rcc_id(request, who), horizon=min(max(horizon, 1), 36))


@router.get("/commissioner")
def gap(request: Request, who: Commissioner, horizon: int = 12):
    q = _gap_query(request, who, horizon)
    rcc_id, horizon = q.rcc_id, q.horizon
    with unit(request) as s:
        result = cache.kept(s, who.principal, "gap", q, lambda: gap_svc.gap(s, who.principal, q))
    totals = [r for r in result["totals"] if r["category"] != "all"]
    by_type = charts.grouped_bars(
        [r["category"].title() for r in totals],
        {"Places registered": [r["registered_places"] for r in totals],
         "Places occupied": [r["occupied_places"] for r in totals],
         "Places required (80% upper)": [r["required"] or 0 for r in totals]},
        title="Places by type of care across the RCC",
    )  # fmt: skip
    areas: dict[str, dict[str, Any]] = {}
    for r in result["rows"]:
        a = areas.setdefault(r["la"], {"name": r["la_name"], "registered": 0, "free": 0, "required": 0})
        a["registered"] += r["registered_places"]
        a["free"] += r["free_places"]
        a["required"] += r["required"] or 0
    by_area = charts.grouped_bars(
        [a["name"] for a in areas.values()],
        {"Places registered": [a["registered"] for a in areas.values()],
         "Free places": [a["free"] for a in areas.values()]},
        title="Places by local authority",
    )  # fmt: skip
    return render(
        request, "commissioner/gap.html.j2", who, result=result, totals=totals, chart_type=by_type,
        chart_area=by_area, horizon=horizon, rcc_id=rcc_id,
    )  # fmt: skip


@router.get("/commissioner/gap.csv")
def gap_csv(request: Request, who: Commissioner, horizon: int = 12):
    with unit(request) as s:
        result = gap_svc.gap(s, who.principal, _gap_query(request, who, horizon))
    return csv_download(report_svc.gap_csv(result), "sufficiency-gap")


@router.get("/commissioner/gap.xlsx")
def gap_xlsx(request: Request, who: Commissioner, horizon: int = 12):
    with unit(request) as s:
        result = gap_svc.gap(s, who.principal, _gap_query(request, who, horizon))
    table = from_csv("gap", report_svc.gap_csv(result), [result["headline"], *result["notes"]])
    return table_download(table, "sufficiency-gap", "xlsx")


@router.get("/commissioner/cost-of-care")
def cost_of_care(request: Request, who: Commissioner):
    rcc_id = _rcc_id(request, who)
    with unit(request) as s:
        report = cache.kept(s, who.principal, "cost_of_care", (rcc_id,),
                            lambda: cost_svc.cost_of_care(s, who.principal, rcc_id, None, None, None))  # fmt: skip
    by_type = [r for r in report["rows"] if r["dimension"] == "home_type"]
    by_la = [r for r in report["rows"] if r["dimension"] == "la"]
    chart_type = charts.hbars(
        [r["label"] for r in by_type],
        [r["total"]["median"] for r in by_type],
        title="Median weekly cost by type of home (£)",
        money=True,
    )
    trend = [t for t in report["trend"] if t["category"] == "all"]
    chart_trend = charts.columns(
        [t["quarter"] for t in trend],
        [t["total"]["median"] for t in trend],
        title="Median weekly cost by quarter, all placements (£)",
        money=True,
    )
    return render(
        request, "commissioner/cost.html.j2", who, report=report, by_type=by_type, by_la=by_la,
        chart_type=chart_type, chart_trend=chart_trend,
    )  # fmt: skip


@router.get("/commissioner/cost-of-care.csv")
def cost_of_care_csv(request: Request, who: Commissioner):
    rcc_id = _rcc_id(request, who)
    with unit(request) as s:
        body = reports_svc.cost_of_care_csv(s, who.principal, rcc_id, None, None, None)
    return csv_download(body, "cost-of-care")


@router.get("/commissioner/cost-of-care.xlsx")
def cost_of_care_xlsx(request: Request, who: Commissioner):
    rcc_id = _rcc_id(request, who)
    with unit(request) as s:
        body = reports_svc.cost_of_care_csv(s, who.principal, rcc_id, None, None, None)
    return table_download(from_csv("cost of care", body), "cost-of-care", "xlsx")


@router.get("/commissioner/market")
def market(request: Request, who: Commissioner):
    rcc_id = _rcc_id(request, who)
    with unit(request) as s:
        conc = cache.kept(s, who.principal, "concentration", (rcc_id,),
                          lambda: cost_svc.concentration(s, who.principal, rcc_id))  # fmt: skip
        oversight = cost_svc.financial_oversight(s, who.principal, rcc_id, None)
    whole = [a for a in conc["areas"] if a["area_code"] == "rcc"]
    chart = charts.hbars(
        [a["category"].title() for a in whole],
        [a["hhi"] for a in whole],
        title="Concentration across the RCC (HHI, 0 to 10,000)",
        marks={"moderate": conc["thresholds"]["moderate"], "high": conc["thresholds"]["high"]},
    )
    return render(request, "commissioner/market.html.j2", who, conc=conc, oversight=oversight, chart=chart)


@router.get("/commissioner/concentration.csv")
def concentration_csv(request: Request, who: Commissioner):
    rcc_id = _rcc_id(request, who)
    with unit(request) as s:
        body = reports_svc.concentration_csv(s, who.principal, rcc_id)
    return csv_download(body, "concentration")


@router.get("/commissioner/concentration.xlsx")
def concentration_xlsx(request: Request, who: Commissioner):
    rcc_id = _rcc_id(request, who)
    with unit(request) as s:
        table = downloads_svc.concentration_table(s, who.principal, rcc_id)
    return table_download(table, "concentration", "xlsx")


@router.get("/commissioner/oversight.{fmt}")
def oversight_download(request: Request, who: Commissioner, fmt: Literal["csv", "xlsx"]):
    rcc_id = _rcc_id(request, who)
    with unit(request) as s:
        table = downloads_svc.oversight_table(s, who.principal, rcc_id)
    return table_download(table, "oversight-register", fmt)


# ---------------------------------------------------------------- stress test (a job, polled)


def _groups(request: Request, rcc_id: int) -> list[str]:
    with unit(request) as s:
        return sorted(
            g
            for g in s.scalars(
                select(Provider.owner_group).where(Provider.owner_group.is_not(None)).distinct()
            )
            if g
        )


@router.get("/commissioner/stress-test")
def stress_form(request: Request, who: Commissioner):
    rcc_id = _rcc_id(request, who)
    return render(request, "commissioner/stress_form.html.j2", who, groups=_groups(request, rcc_id),
                  form={"capacity": "vacancies", "time_limit_s": "20"})  # fmt: skip


@router.post("/commissioner/stress-test")
async def stress_submit(request: Request, who: Commissioner):
    form = await posted(request, who)
    rcc_id = _rcc_id(request, who)
    capacity = text(form, "capacity") or "vacancies"
    errors = FormErrors()
    if capacity not in ("vacancies", "registered"):
        errors.add("capacity", "Choose which places children may be moved to")
    try:
        limit = float(text(form, "time_limit_s") or "20")
        if not 1 <= limit <= 600:
            raise ValueError
    except ValueError:
        errors.add("time_limit_s", "Enter a time limit between 1 and 600 seconds")
        limit = 20.0
    if not errors:
        try:
            with unit(request) as s:
                job = stress_svc.submit_stress_test(
                    s, who.principal, rcc_id, text(form, "owner_group") or "", None, limit, capacity
                )
                job_id = job.id
            return RedirectResponse(f"/commissioner/stress-test/{job_id}", status_code=303)
        except DomainError as exc:
            errors = FormErrors.from_domain(exc)
    return render(request, "commissioner/stress_form.html.j2", who, status=422, groups=_groups(request, rcc_id),
                  form=form_dict(form), errors=errors)  # fmt: skip


@router.get("/commissioner/stress-test/{job_id}")
def stress_result(request: Request, who: Commissioner, job_id: str):
    with unit(request) as s:
        view = stress_svc.stress_test_view(stress_svc.get_stress_test(s, who.principal, job_id))
    report = view["report"]
    chart = None
    if report:
        chart = charts.grouped_bars(
            [labels.label(labels.HOME_TYPES, h["home_type"]) for h in report["home_types"]],
            {"Places lost": [h["places_removed"] for h in report["home_types"]],
             "Spare places after exit": [h["spare_places_after_exit"] for h in report["home_types"]],
             "Used by re-placements": [h["used_by_re_placements"] for h in report["home_types"]]},
            title="Places by type of home after the exit",
        )  # fmt: skip
    return render(request, "commissioner/stress_result.html.j2", who, job=view, report=report, chart=chart,
                  labels=labels)  # fmt: skip


# ---------------------------------------------------------------- region-wide matching run (a job, polled)


@router.get("/commissioner/matching-run")
def run_form(request: Request, who: Commissioner):
    return render(request, "commissioner/run_form.html.j2", who, form={"time_limit_s": "20"})


@router.post("/commissioner/matching-run")
async def run_submit(request: Request, who: Commissioner):
    form = await posted(request, who)
    rcc_id = _rcc_id(request, who)
    try:
        body = MatchingRunIn(rcc_id=rcc_id, time_limit_s=text(form, "time_limit_s") or 20)
        with unit(request) as s:
            job_id = runs_svc.submit_run(s, who.principal, body).id
    except ValidationError:
        errors = FormErrors([("time_limit_s", "Enter a time limit between 1 and 600 seconds")])
        return render(
            request, "commissioner/run_form.html.j2", who, status=422, form=form_dict(form), errors=errors
        )
    except DomainError as exc:
        return render(request, "commissioner/run_form.html.j2", who, status=exc.status, form=form_dict(form),
                      errors=FormErrors.from_domain(exc))  # fmt: skip
    return RedirectResponse(f"/commissioner/matching-run/{job_id}", status_code=303)


@router.get("/commissioner/matching-run/{run_id}")
def run_page(request: Request, who: Commissioner, run_id: str):
    with unit(request) as s:
        job = runs_svc.get_run(s, who.principal, run_id)
        view = {"id": job.id, "status": job.status, "error": job.error, "params": dict(job.params or {})}
        result = runs_svc.run_result(s, who.principal, run_id) if job.status == "succeeded" else None
    return render(request, "commissioner/run_result.html.j2", who, job=view, result=result)
