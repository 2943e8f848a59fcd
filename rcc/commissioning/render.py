"""CSV and HTML renderings of the commissioning reports (CSV through :mod:`rcc.csv_export`, which
neutralises formula cells; HTML from the Jinja2 templates in ``rcc/commissioning/templates/``,
autoescaped).

Suppressed figures print as ``c``; every figure's caveat is printed beside it (CSV: a ``caveat``
column; HTML: a small note in the same cell).
"""

from __future__ import annotations

from typing import Any

from rcc.commissioning.stats import SUPPRESSED
from rcc.csv_export import write_rows
from rcc.templates import render

# ---------------------------------------------------------------- CSV


def _v(x: Any) -> str:
    return "" if x is None else str(x)


def _fig(fig: dict, key: str) -> str:
    return SUPPRESSED if fig.get("suppressed") else _v(fig.get(key))


def cost_of_care_csv(report: dict) -> str:
    """One row per group and component: tidy, so a spreadsheet can pivot it."""
    head = ["rcc", "la_code", "period_start", "period_end", "section", "dimension", "group", "label"]
    rows: list[list[Any]] = []
    base = [report["rcc_name"], _v(report["la_code"]), report["period_start"], report["period_end"]]
    for row in report["rows"]:
        for comp in ("core", "additional_support", "education", "other", "total"):
            f = row[comp]
            rows.append(
                [*base, "cost", row["dimension"], row["group"], row["label"], comp]
                + [_fig(f, k) for k in ("n", "median", "q1", "q3", "mean")]
                + [_v(f["caveat"])]
            )
    for c in report["la_vs_rcc"]:
        for who, f in (("la", c["la_total"]), ("rcc", c["rcc_total"])):
            rows.append(
                [
                    *base,
                    f"la_vs_rcc_{who}",
                    "la_home_type",
                    f"{c['la_code']}:{c['home_type']}",
                    c["la_name"],
                    "total",
                ]
                + [_fig(f, k) for k in ("n", "median", "q1", "q3", "mean")]
                + [_v(f["caveat"] or c["caveat"])]
            )
    for t in report["trend"]:
        f = t["total"]
        rows.append(
            [*base, "trend", "quarter_category", f"{t['quarter']}:{t['category']}", t["quarter_end"], "total"]
            + [_fig(f, k) for k in ("n", "median", "q1", "q3", "mean")]
            + [_v(f["caveat"])]
        )
    return write_rows([*head, "component", "n", "median", "q1", "q3", "mean", "caveat"], rows)


def concentration_csv(report: dict) -> str:
    head = ["rcc", "area", "area_code", "category", "places", "owner_groups", "hhi", "level", "top_group",
            "top_share_percent"]  # fmt: skip
    rows: list[list[Any]] = []
    for a in report["areas"]:
        top = a["top_groups"][0] if a["top_groups"] else {}
        rows.append([report["rcc_name"], a["area"], a["area_code"], a["category"], a["places"], a["owner_groups"],
                    a["hhi"], _v(a["level"]), _v(top.get("owner_group")), _v(top.get("share_percent"))])  # fmt: skip
    return write_rows(head, rows)


EQUALITY_MEASURES = (
    ("children_placed_at_end", "Children placed at period end"),
    ("residential_at_end", "% in residential care at period end"),
    ("miles_from_home_at_end", "Miles from home at period end (median)"),
    ("new_placements", "New placements"),
    ("new_over_20_miles", "% of new placements over 20 miles"),
    ("new_miles_from_home", "Miles from home, new placements (median)"),
    ("three_plus_placements", "% with 3+ placements in 12 months"),
    ("days_referral_to_placement", "Days from referral to placement (median)"),
)


def _headline(fig: dict) -> str:
    """A figure's one value: count, percentage or median; ``c`` when suppressed."""
    if fig.get("suppressed"):
        return SUPPRESSED
    for key in ("percent", "median", "value"):
        if key in fig:
            return _v(fig[key])
    return ""


def equality_csv(report: dict) -> str:
    head = ["rcc", "period_start", "period_end", "dimension", "group", "measure", "value", "base", "caveat"]
    rows: list[list[Any]] = []
    for g in report["groups"]:
        for key, _ in EQUALITY_MEASURES:
            f = g[key]
            base = f.get("denominator", f.get("n", f.get("value")))
            rows.append([report["rcc_name"], report["period_start"], report["period_end"], g["dimension"],
                        g["group"], key, _headline(f), _v(None if f.get("suppressed") else base),
                        _v(f.get("caveat"))])  # fmt: skip
    return write_rows(head, rows)


# ---------------------------------------------------------------- HTML (templates/*.html.j2)

DIMENSION_TITLES = {
    "all": "All placements",
    "home_type": "By home type",
    "la": "By local authority (child's own LA)",
    "owner_group": "By provider owner group",
    "provider": "By provider",
    "sector": "In-house against external",
    "contract": "Spot against contracted",
}


def _cell_text(fig: dict, key: str | None = None, money: bool = False) -> str:
    """A figure's text in a table cell: ``c`` when suppressed, else the value (money as whole pounds)."""
    if fig.get("suppressed"):
        return SUPPRESSED
    raw = fig.get(key) if key else _headline(fig)
    return "" if raw is None else (f"£{float(raw):,.0f}" if money else str(raw))


def _iqr(t: dict) -> dict:
    """The total's interquartile range as one cell (its caveat is already beside the median)."""
    if t.get("suppressed"):
        return dict(t, q1=None)
    return {"q1": f"£{t['q1']:,.0f} - £{t['q3']:,.0f}" if t["q1"] is not None else None, "caveat": None}


def _top_groups(area: dict) -> str:
    return "; ".join(f"{g['owner_group']} {g['share_percent']}%" for g in area["top_groups"][:3])


def _render(name: str, **context: Any) -> str:
    helpers = {"cell_text": _cell_text, "headline": _headline, "iqr": _iqr, "top_groups": _top_groups}
    return render("rcc.commissioning", name, **helpers, **context)


def published_report_html(cost: dict, outcomes: dict, equality: dict, concentration: dict | None) -> str:
    """The RCC's management-information report for a period: fit to publish (no child-level data)."""
    area = cost["rcc_name"] + (f" - {cost['la_name']}" if cost.get("la_name") else "")
    return _render(
        "published_report.html.j2",
        title=f"Commissioning intelligence: {area}",
        subtitle=(
            f"Management information for {cost['period_start']} to {cost['period_end']}. "
            "Official-statistics style suppression applies."
        ),
        generated=cost["generated_at"],
        source=cost["source"],
        caveats=list(dict.fromkeys(cost["caveats"] + outcomes["caveats"] + equality["caveats"])),
        dimension_titles=DIMENSION_TITLES,
        equality_measures=EQUALITY_MEASURES,
        cost=cost,
        outcomes=outcomes,
        equality=equality,
        concentration=concentration,
    )


def _stress_summary(r: dict) -> list[tuple[str, Any]]:
    d0, d1, db = r["distance_before_all"], r["distance_after_re_placed"], r["distance_before_re_placed"]
    return [
        ("Providers in the group", r["providers_in_group"]),
        ("Homes / places removed in the RCC's area", f"{r['homes_removed_in_area']} / {r['places_removed_in_area']}"),
        ("Other LAs' children in the group's homes in the area (not modelled)", r["other_las_children_in_group_homes_in_area"]),
        ("Referrals (children or sibling groups)", r["referrals"]),
        ("Distance before, all affected: mean / median miles", f"{d0['mean']} / {d0['median']}"),
        ("Distance before, re-placed children: mean / median", f"{db['mean']} / {db['median']}"),
        ("Distance after, re-placed children: mean / median", f"{d1['mean']} / {d1['median']}"),
        ("Over 20 miles, re-placed children: before / after",
         f"{r['over_20_miles_before_re_placed']} / {r['over_20_miles_after_re_placed']}"),
        ("Weekly cost before (all affected)", f"£{r['weekly_cost_before_all']:,}"),
        ("Weekly cost before / after (re-placed children)",
         f"£{r['weekly_cost_before_re_placed']:,} / £{r['weekly_cost_after_re_placed']:,}"),
        ("Weekly cost change (re-placed)", f"£{r['weekly_cost_change']:+,} ({_v(r['weekly_cost_change_percent'])}%)"),
        ("Sibling groups affected / together before / together after / split / not re-placed",
         "{groups} / {together_before} / {together_after} / {split_after} / {unplaced}".format(**r["siblings"])),
        ("Optimiser", f"{r['solver'].get('status')} in {r['solver'].get('solve_s')} s"),
    ]  # fmt: skip


def stress_test_html(job: dict) -> str:
    """The stress test's page: its status while queued or running, the full report once it has one."""
    r = job.get("report")
    if not r:
        return _render(
            "stress_test.html.j2",
            title="Provider-exit stress test",
            subtitle=job["id"],
            generated=job.get("finished_at") or job.get("created_at"),
            source="RCC register",
            job=job,
            r=None,
        )
    return _render(
        "stress_test.html.j2",
        title=f"Provider-exit stress test: if {r['owner_group']} stopped trading",
        subtitle=f"{r['rcc_name']}, placements on {r['as_of']}. Job {job['id']}. Not for publication.",
        generated=job.get("finished_at") or "",
        source="RCC placement register and the region-wide matching optimiser",
        job=job,
        r=r,
        kpis=[
            ("children affected", r["affected"]),
            ("re-placed within the RCC", r["re_placed"]),
            ("not re-placed", r["unplaced"]),
            ("weekly cost change (re-placed)", f"£{r['weekly_cost_change']:+,}"),
        ],
        summary=_stress_summary(r),
    )
