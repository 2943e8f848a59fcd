"""Sufficiency outputs: CSV downloads and the HTML report (rendered from a Jinja2 template)."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import html
import io
from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from rcc.auth import Principal
from rcc.db.models import (
    Job,
)
from rcc.errors import Conflict
from rcc.sufficiency.charts import _fan_png, _gap_png
from rcc.sufficiency.forecasts import CATEGORIES, CAVEATS, forecast_view
from rcc.sufficiency.gap import gap
from rcc.sufficiency.scope import COMMISSIONED, DEFAULT_INFLATION, resolve_scope

GAP_CSV_COLUMNS = (
    "la", "la_name", "category", "projected_mean", "projected_hi_80", "required", "registered_places",
    "occupied_places", "free_places", "vacancies", "available", "to_commission", "weekly_fee", "fee_source",
    "weekly_cost_mean", "weekly_cost_hi_80", "annual_cost_mean", "annual_cost_hi_80",
)  # fmt: skip


def to_csv(rows: list[dict[str, Any]], columns: Iterable[str] | None = None) -> str:
    rows = list(rows)
    cols = list(columns or (rows[0].keys() if rows else []))
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: "" if r.get(k) is None else r.get(k) for k in cols})
    return out.getvalue()


def gap_csv(result: dict[str, Any]) -> str:
    return to_csv([*result["rows"], *result["totals"]], GAP_CSV_COLUMNS)


def forecast_csv(job: Job) -> str:
    if job.status != "succeeded" or not job.result:
        raise Conflict(f"forecast {job.id} has no result yet (status {job.status})")
    return to_csv(job.result["forecast"])


def _fmt_money(v: float | None) -> str:
    return "–" if v is None else f"£{v:,.0f}"


def _fmt(v: Any, nd: int = 1) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:,.{nd}f}"
    return f"{v:,}" if isinstance(v, int) else html.escape(str(v))


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def report_html(
    session: Session,
    who: Principal,
    *,
    rcc_id: int | None = None,
    la_code: str | None = None,
    horizon: int = 12,
    inflation: float = DEFAULT_INFLATION,
) -> str:
    """A self-contained sufficiency report (plain words, tables, charts embedded as base64)."""
    result = gap(session, who, rcc_id=rcc_id, la_code=la_code, horizon=horizon, inflation=inflation)
    scope = resolve_scope(session, who, rcc_id, la_code, "rcc", "la")
    name = html.escape(result["scope"]["name"])
    e = html.escape
    src = result["forecast"]
    tot = {t["category"]: t for t in result["totals"]}
    all_row = tot["all"]
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Sufficiency report: {name}</title>",
        "<style>body{font-family:system-ui,Arial,sans-serif;max-width:60em;margin:2em auto;line-height:1.45;"
        "color:#222}table{border-collapse:collapse;margin:1em 0;font-size:.9em}td,th{border:1px solid #ccc;"
        "padding:.3em .6em;text-align:right}th{background:#eef}td:first-child,th:first-child{text-align:left}"
        ".headline{font-size:1.1em;background:#f6f6fa;padding:1em;border-left:4px solid #4292c6}"
        "img{max-width:100%}</style></head><body>",
        f"<h1>Sufficiency report: {name}</h1>",
        f"<p>Prepared {dt.date.today():%d %B %Y} by the RCC sufficiency service. Horizon: {horizon} months.</p>",
    ]
    if src["kind"] == "none":
        parts.append(
            "<p class='headline'>No SSDA903 returns are stored for this area yet, so there is no forecast. "
            "The tables below show the register's supply only.</p>"
        )
    else:
        now = result.get("_children_at_origin", {}).get(scope.label)
        origin = src.get("origin")
        to_c = all_row["to_commission"]
        by_cat = ", ".join(f"{c}: {_fmt(tot[c]['to_commission'])}" for c in COMMISSIONED)
        words = [
            f"<p class='headline'>On {e(str(origin))} <b>{_fmt(now)}</b> children were looked after"
            f" (latest returns). By {e(str(src['period']))} we expect about "
            f"<b>{_fmt(all_row['projected_mean'], 0)}</b> (80% range up to {_fmt(all_row['projected_hi_80'], 0)}).",
            f" To plan prudently the area needs <b>{_fmt(to_c)}</b> more places than are registered today"
            f" ({by_cat}).",
            f" Projected annual cost of placements at that date: <b>{_fmt_money(all_row['annual_cost_mean'])}</b>"
            f" (prudent: {_fmt_money(all_row['annual_cost_hi_80'])}), assuming {inflation:.1%} yearly fee inflation.</p>",
        ]
        parts.append("".join(words))
        view = forecast_view(session, who, scope, horizon)
        if view is not None:
            fan = base64.b64encode(_fan_png(session, scope, view, "all")).decode()
            parts.append("<h2>Children looked after: the forecast</h2>")
            parts.append(
                "<p>The black line is what the returns show; the dark band is where we expect the number "
                "to be 8 times in 10, the light band 19 times in 20.</p>"
            )
            parts.append(f"<img alt='fan chart of the forecast' src='data:image/png;base64,{fan}'>")
    gap_png = base64.b64encode(_gap_png(result)).decode()
    parts.append("<h2>Places needed and places registered</h2>")
    parts.append(f"<img alt='bar chart of the gap' src='data:image/png;base64,{gap_png}'>")
    parts.append(f"<p><b>How places to commission are worked out.</b> {e(result['rule'])}</p>")
    headers = ["area", "category", "projected (mean)", "prudent (80% upper)", "required", "registered", "occupied",
               "free", "vacancies", "to commission", "weekly fee", "annual cost (mean)", "annual cost (prudent)"]  # fmt: skip

    def line(r: dict[str, Any]) -> list[str]:
        return [
            e(r["la_name"] or r["la"]), e(r["category"]), _fmt(r["projected_mean"]), _fmt(r["projected_hi_80"]),
            _fmt(r["required"]), _fmt(r["registered_places"]), _fmt(r["occupied_places"]), _fmt(r["free_places"]),
            _fmt(r["vacancies"]), f"<b>{_fmt(r['to_commission'])}</b>", _fmt_money(r["weekly_fee"]),
            _fmt_money(r["annual_cost_mean"]), _fmt_money(r["annual_cost_hi_80"]),
        ]  # fmt: skip

    parts.append("<h3>The whole area</h3>" + _table(headers, [line(t) for t in result["totals"]]))
    if len(result["rows"]) > len(CATEGORIES) or scope.kind == "rcc":
        parts.append("<h3>By local authority</h3>" + _table(headers, [line(r) for r in result["rows"]]))
    parts.append("<h2>Unmet need recorded by matching</h2>")
    if result["unmet_need_available"]:
        parts.append(
            "<p>Referrals for which matching found no eligible home, or placed a child in a type of placement "
            "the care plan did not prefer, or more than 20 miles from home.</p>"
        )
        parts.append(
            _table(
                ["LA", "no eligible home", "not the preferred type", "over 20 miles", "total"],
                [
                    [
                        e(u["la_name"]),
                        _fmt(u["no_eligible_home"]),
                        _fmt(u["not_preferred_type"]),
                        _fmt(u["over_20_miles"]),
                        _fmt(u["total"]),
                    ]
                    for u in result["unmet_need"]
                ],  # fmt: skip
            )
        )
    else:
        parts.append("<p>Matching records are not available in this installation.</p>")
    if result["fees"]:
        parts.append("<h2>Fees used</h2><p>Median weekly fee of active homes by type in each LA.</p>")
        parts.append(
            _table(
                ["LA", "home type", "homes", "median weekly fee"],
                [
                    [e(f["la"]), e(f["home_type"]), _fmt(f["homes"]), _fmt_money(f["median_weekly_fee"])]
                    for f in result["fees"]
                ],
            )
        )
    parts.append("<h2>Method</h2>")
    parts.append(
        "<p>The forecast follows every child in the latest SSDA903 returns month by month: how often children "
        "of each age and placement type move placement or leave care, and how many children enter care each "
        "month (with its trend and season), are measured from recent years; small LAs' rates are pulled "
        "towards the region's. Children leave the count at 18. Thousands of simulated futures give the "
        "average and the ranges. Categories: fostering (all foster care), residential (children's homes, "
        "residential schools, secure), supported (semi-independent and independent living), other "
        f"(placed with parents, for adoption, NHS, custody). Forecast source: {e(src['kind'])}"
        + (f" (job {e(str(src.get('job_id')))})" if src.get("job_id") else "")
        + (f", {src['n_sims']} simulated futures" if src.get("n_sims") else "")
        + ".</p>"
    )
    parts.append(
        "<h2>Caveats</h2><ul>" + "".join(f"<li>{e(c)}</li>" for c in [*CAVEATS, *result["notes"]]) + "</ul>"
    )
    parts.append("</body></html>")
    return "".join(parts)
