"""Sufficiency outputs: CSV downloads and the HTML report (rendered from a Jinja2 template)."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterable
from typing import Any

from markupsafe import Markup
from sqlalchemy.orm import Session

from rcc.auth import Principal
from rcc.csv_export import write_dicts
from rcc.db.models import (
    Job,
)
from rcc.errors import Conflict
from rcc.sufficiency.charts import _fan_png, _gap_png
from rcc.sufficiency.coverage import coverage_headline, covers_label
from rcc.sufficiency.forecasts import CATEGORIES, CAVEATS, forecast_view
from rcc.sufficiency.gap import gap
from rcc.sufficiency.scope import COMMISSIONED, GapQuery, resolve_scope
from rcc.templates import render

GAP_CSV_COLUMNS = (
    "la", "la_name", "category", "projected_mean", "projected_hi_80", "required", "registered_places",
    "occupied_places", "free_places", "vacancies", "available", "to_commission", "weekly_fee", "fee_source",
    "weekly_cost_mean", "weekly_cost_hi_80", "annual_cost_mean", "annual_cost_hi_80",
)  # fmt: skip


def to_csv(rows: list[dict[str, Any]], columns: Iterable[str] | None = None) -> str:
    """Through :func:`rcc.csv_export.write_dicts`, which neutralises formula cells."""
    return write_dicts(rows, list(columns) if columns is not None else None)


def gap_csv(result: dict[str, Any]) -> str:
    return to_csv([*result["rows"], *result["totals"]], GAP_CSV_COLUMNS)


def forecast_csv(job: Job) -> str:
    if job.status != "succeeded" or not job.result:
        raise Conflict(f"forecast {job.id} has no result yet (status {job.status})")
    return to_csv(job.result["forecast"])


def _fmt_money(v: float | None) -> str:
    return "–" if v is None else f"£{v:,.0f}"


def _fmt(v: Any, nd: int = 1) -> str:
    """A number for the report (the template escapes it)."""
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:,.{nd}f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


GAP_HEADERS = ["area", "category", "projected (mean)", "prudent (80% upper)", "required", "registered", "occupied",
               "free", "vacancies", "to commission", "weekly fee", "annual cost (mean)", "annual cost (prudent)"]  # fmt: skip


def _gap_line(r: dict[str, Any]) -> list[Any]:
    return [
        r["la_name"] or r["la"], r["category"], _fmt(r["projected_mean"]), _fmt(r["projected_hi_80"]),
        _fmt(r["required"]), _fmt(r["registered_places"]), _fmt(r["occupied_places"]), _fmt(r["free_places"]),
        _fmt(r["vacancies"]), Markup("<b>{}</b>").format(_fmt(r["to_commission"])), _fmt_money(r["weekly_fee"]),
        _fmt_money(r["annual_cost_mean"]), _fmt_money(r["annual_cost_hi_80"]),
    ]  # fmt: skip


def report_html(session: Session, who: Principal, q: GapQuery) -> str:
    """A self-contained sufficiency report (plain words, tables, charts embedded as base64).

    Rendered from ``templates/report.html.j2`` (autoescaped)."""
    result = gap(session, who, q)
    scope = resolve_scope(session, who, q.rcc_id, q.la_code, "rcc", "la")
    src = result["forecast"]
    tot = {t["category"]: t for t in result["totals"]}
    fan_png = None
    if src["kind"] != "none":
        view = forecast_view(session, who, scope, q.horizon, q.job_id)
        if view is not None:
            fan_png = base64.b64encode(_fan_png(session, scope, view, "all")).decode()
    by_la = len(result["rows"]) > len(CATEGORIES) or scope.kind == "rcc"
    return render(
        "rcc.sufficiency",
        "report.html.j2",
        name=result["scope"]["name"],
        headline=result["headline"],
        covers=covers_label(result["scope"]["name"], result["coverage"]),
        incomplete=coverage_headline(result["coverage"], str(src.get("origin")), scope.label),
        prepared=f"{dt.date.today():%d %B %Y}",
        horizon=q.horizon,
        inflation=q.inflation,
        src=src,
        origin=str(src.get("origin")),
        now=result.get("_children_at_origin", {}).get(scope.label),
        all_row=tot["all"],
        by_category=", ".join(f"{c}: {_fmt(tot[c]['to_commission'])}" for c in COMMISSIONED),
        fan_png=fan_png,
        gap_png=base64.b64encode(_gap_png(result)).decode(),
        rule=result["rule"],
        gap_headers=GAP_HEADERS,
        totals=[_gap_line(t) for t in result["totals"]],
        by_la=[_gap_line(r) for r in result["rows"]] if by_la else None,
        unmet_need=[
            [
                u["la_name"],
                _fmt(u["no_eligible_home"]),
                _fmt(u["not_preferred_type"]),
                _fmt(u["over_20_miles"]),
                _fmt(u["total"]),
            ]
            for u in result["unmet_need"]
        ]
        if result["unmet_need_available"]
        else None,  # fmt: skip
        fees=[
            [f["la"], f["home_type"], _fmt(f["homes"]), _fmt_money(f["median_weekly_fee"])]
            for f in result["fees"]
        ],
        caveats=[*CAVEATS, *result["notes"]],
        fmt=_fmt,
        money=_fmt_money,
    )
