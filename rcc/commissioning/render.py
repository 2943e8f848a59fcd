"""CSV and HTML renderings of the commissioning reports (standard library only: csv, html, string.Template).

Suppressed figures print as ``c``; every figure's caveat is printed beside it (CSV: a ``caveat``
column; HTML: a small note in the same cell).
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Iterable
from string import Template
from typing import Any

from rcc.commissioning.stats import SUPPRESSED

# ---------------------------------------------------------------- CSV


def _v(x: Any) -> str:
    return "" if x is None else str(x)


def _fig(fig: dict, key: str) -> str:
    return SUPPRESSED if fig.get("suppressed") else _v(fig.get(key))


def cost_of_care_csv(report: dict) -> str:
    """One row per group and component: tidy, so a spreadsheet can pivot it."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    head = ["rcc", "la_code", "period_start", "period_end", "section", "dimension", "group", "label"]
    w.writerow([*head, "component", "n", "median", "q1", "q3", "mean", "caveat"])
    base = [report["rcc_name"], _v(report["la_code"]), report["period_start"], report["period_end"]]
    for row in report["rows"]:
        for comp in ("core", "additional_support", "education", "other", "total"):
            f = row[comp]
            w.writerow(
                [*base, "cost", row["dimension"], row["group"], row["label"], comp]
                + [_fig(f, k) for k in ("n", "median", "q1", "q3", "mean")]
                + [_v(f["caveat"])]
            )
    for c in report["la_vs_rcc"]:
        for who, f in (("la", c["la_total"]), ("rcc", c["rcc_total"])):
            w.writerow(
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
        w.writerow(
            [*base, "trend", "quarter_category", f"{t['quarter']}:{t['category']}", t["quarter_end"], "total"]
            + [_fig(f, k) for k in ("n", "median", "q1", "q3", "mean")]
            + [_v(f["caveat"])]
        )
    return out.getvalue()


def concentration_csv(report: dict) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["rcc", "area", "area_code", "category", "places", "owner_groups", "hhi", "level", "top_group",
                "top_share_percent"])  # fmt: skip
    for a in report["areas"]:
        top = a["top_groups"][0] if a["top_groups"] else {}
        w.writerow([report["rcc_name"], a["area"], a["area_code"], a["category"], a["places"], a["owner_groups"],
                    a["hhi"], _v(a["level"]), _v(top.get("owner_group")), _v(top.get("share_percent"))])  # fmt: skip
    return out.getvalue()


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
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(
        ["rcc", "period_start", "period_end", "dimension", "group", "measure", "value", "base", "caveat"]
    )
    for g in report["groups"]:
        for key, _ in EQUALITY_MEASURES:
            f = g[key]
            base = f.get("denominator", f.get("n", f.get("value")))
            w.writerow([report["rcc_name"], report["period_start"], report["period_end"], g["dimension"],
                        g["group"], key, _headline(f), _v(None if f.get("suppressed") else base),
                        _v(f.get("caveat"))])  # fmt: skip
    return out.getvalue()


# ---------------------------------------------------------------- HTML

PAGE = Template("""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
<style>
body{font-family:Arial,Helvetica,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#0b0c0c;line-height:1.4}
h1{font-size:1.9rem}h2{font-size:1.4rem;margin-top:2.2rem;border-bottom:2px solid #1d70b8}
h3{font-size:1.1rem;margin-top:1.5rem}table{border-collapse:collapse;width:100%;margin:.6rem 0 1rem;font-size:.88rem}
th,td{border:1px solid #b1b4b6;padding:.3rem .45rem;text-align:left;vertical-align:top}th{background:#f3f2f1}
td.num{text-align:right;white-space:nowrap}.cav{display:block;font-size:.74rem;color:#505a5f}
.note{background:#f3f2f1;padding:.6rem 1rem;border-left:5px solid #1d70b8}.warn{border-left-color:#d4351c}
.kpi{display:inline-block;margin:0 1.5rem 1rem 0}.kpi b{display:block;font-size:1.6rem}
</style></head><body>
<h1>$title</h1>
<p>$subtitle</p>
$body
<footer><p class="cav">Generated $generated. Source: $source.</p></footer>
</body></html>
""")


def e(x: Any) -> str:
    return html.escape(_v(x))


def _cell(fig: dict | None, key: str | None = None, money: bool = False) -> str:
    """A table cell with the figure (``c`` when suppressed) and its caveat beside it."""
    if fig is None:
        return '<td class="num"></td>'
    if fig.get("suppressed"):
        text = SUPPRESSED
    else:
        raw = fig.get(key) if key else _headline(fig)
        text = "" if raw is None else (f"£{float(raw):,.0f}" if money else str(raw))
    cav = f'<span class="cav">{e(fig["caveat"])}</span>' if fig.get("caveat") else ""
    return f'<td class="num">{html.escape(text)}{cav}</td>'


def _table(head: Iterable[str], rows: Iterable[str]) -> str:
    th = "".join(f"<th>{e(h)}</th>" for h in head)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _notes(title: str, items: Iterable[str], cls: str = "note") -> str:
    lis = "".join(f"<li>{e(i)}</li>" for i in items)
    return f'<div class="{cls}"><h3>{e(title)}</h3><ul>{lis}</ul></div>'


DIMENSION_TITLES = {
    "all": "All placements",
    "home_type": "By home type",
    "la": "By local authority (child's own LA)",
    "owner_group": "By provider owner group",
    "provider": "By provider",
    "sector": "In-house against external",
    "contract": "Spot against contracted",
}


def _cost_section(r: dict) -> str:
    parts = [f"<h2>Cost of care</h2><p>Placements open in the period: {_headline(r['placements'])}.</p>"]
    head = ["Group", "Median total", "Total IQR (q1-q3)", "Core", "Additional support", "Education", "Other"]
    for dim, title in DIMENSION_TITLES.items():
        rows = [x for x in r["rows"] if x["dimension"] == dim]
        if not rows:
            continue
        body = []
        for x in rows:
            t = x["total"]
            iqr = dict(t, q1=None) if t.get("suppressed") else {
                "q1": f"£{t['q1']:,.0f} - £{t['q3']:,.0f}" if t["q1"] is not None else None, "caveat": None}  # fmt: skip
            body.append(
                f"<tr><td>{e(x['label'])}</td>{_cell(t, 'median', True)}{_cell(iqr, 'q1')}"
                + "".join(
                    _cell(x[c], "median", True) for c in ("core", "additional_support", "education", "other")
                )
                + "</tr>"
            )
        parts.append(f"<h3>{e(title)}</h3>" + _table(head, body))
    body = [
        f"<tr><td>{e(c['la_name'])}</td><td>{e(c['home_type'].replace('_', ' '))}</td>"
        f"{_cell(c['la_total'], 'median', True)}{_cell(c['rcc_total'], 'median', True)}"
        f"{_cell({'v': c['difference'], 'caveat': c['caveat']}, 'v', True)}"
        f"{_cell({'v': c['ratio'], 'caveat': None}, 'v')}</tr>"
        for c in r["la_vs_rcc"]
    ]
    parts.append(
        "<h3>Each LA against the RCC median (weekly total)</h3>"
        + _table(["LA", "Home type", "LA median", "RCC median", "Difference", "Ratio"], body)
    )
    body = [
        f"<tr><td>{e(t['quarter'])}</td><td>{e(t['category'])}</td>{_cell(t['total'], 'n')}"
        f"{_cell(t['total'], 'median', True)}{_cell(dict(t['total'], caveat=None), 'q1', True)}"
        f"{_cell(dict(t['total'], caveat=None), 'q3', True)}</tr>"
        for t in r["trend"]
    ]
    parts.append(
        "<h3>Trend: placements open at each quarter end</h3>"
        + _table(["Quarter", "Category", "Placements", "Median total", "q1", "q3"], body)
    )
    parts.append(_notes("Cost of care: method", r["method"]))
    return "".join(parts)


def _outcomes_section(o: dict) -> str:
    ov = o["overall"]
    dfe = ov["dfe_over_20_miles"]
    kpis = [
        ("New placements over 20 miles", _headline(ov["new_over_20_miles"]) + "%"),
        (
            f"DfE {dfe['year'] or ''} same LAs",
            (_v(dfe["percent"]) + "%") if dfe["percent"] is not None else "n/a",
        ),
        ("Children with 3+ placements in 12 months", _headline(ov["three_plus_placements"]) + "%"),
        ("Median days referral to placement", _headline(ov["days_referral_to_placement"])),
    ]
    parts = ["<h2>Stability and outcomes</h2><p>"]
    parts += [f'<span class="kpi"><b>{e(v)}</b>{e(k)}</span>' for k, v in kpis]
    parts.append("</p>")
    rows = [
        f"<tr><td>{e(k.replace('_', ' '))}</td>{_cell(ov[k])}</tr>"
        for k in ("children_placed_at_end", "three_plus_placements", "new_placements", "new_over_20_miles",
                  "new_miles_from_home", "days_referral_to_placement", "residential_at_end", "endings")
    ]  # fmt: skip
    rows += [
        f"<tr><td>{e(k)} placement(s) in 12 months</td>{_cell(v)}</tr>"
        for k, v in ov["placements_in_year_distribution"].items()
    ]
    parts.append(_table(["Measure", "Value"], rows))
    rows = [
        f"<tr><td>{e(x['reason'])}</td>{_cell(x['count'])}{_cell(x['share'])}</tr>"
        for x in ov["endings_by_reason"]
    ]
    parts.append(
        "<h3>Placement endings by reason (REASON_PLACE_CHANGE)</h3>"
        + _table(["Reason", "Endings", "%"], rows)
    )
    rows = []
    for x in o["by_la"]:
        d = x["dfe_over_20_miles"]
        dfe_fig = {"v": d["percent"], "caveat": d["caveat"]}
        rows.append(
            f"<tr><td>{e(x['la_name'])}</td>{_cell(x['new_placements'])}{_cell(x['new_over_20_miles'])}"
            f"{_cell(dfe_fig, 'v')}{_cell(x['three_plus_placements'])}{_cell(x['days_referral_to_placement'])}</tr>"
        )
    parts.append(
        "<h3>By local authority</h3>"
        + _table(
            [
                "LA",
                "New placements",
                "% over 20 miles",
                "DfE % over 20 miles (latest year)",
                "% 3+ placements",
                "Median days to placement",
            ],
            rows,
        )  # fmt: skip
    )
    return "".join(parts)


def _equality_section(q: dict) -> str:
    parts = ["<h2>Equality monitoring</h2>"]
    for dim in ("ethnicity", "disability", "uasc", "age_band"):
        rows = [
            f"<tr><td>{e(g['group'])}</td>" + "".join(_cell(g[k]) for k, _ in EQUALITY_MEASURES) + "</tr>"
            for g in q["groups"]
            if g["dimension"] == dim
        ]
        parts.append(
            f"<h3>By {e(dim.replace('_', ' '))}</h3>"
            + _table(["Group", *(t for _, t in EQUALITY_MEASURES)], rows)
        )
    parts.append(_notes("Stability, outcomes and equality: method", q["method"]))
    return "".join(parts)


def _concentration_section(c: dict) -> str:
    rows = []
    for a in c["areas"]:
        top = "; ".join(f"{g['owner_group']} {g['share_percent']}%" for g in a["top_groups"][:3])
        rows.append(
            f"<tr><td>{e(a['area'])}</td><td>{e(a['category'])}</td><td class='num'>{a['places']}</td>"
            f"<td class='num'>{a['owner_groups']}</td><td class='num'>{a['hhi']:,.0f}</td><td>{e(a['level'])}</td>"
            f"<td>{e(top)}</td></tr>"
        )
    return (
        "<h2>Provider concentration (registered places by owner group)</h2>"
        + _table(["Area", "Category", "Places", "Owner groups", "HHI", "Level", "Largest groups"], rows)
        + _notes("Concentration: method", c["method"])
    )


def published_report_html(cost: dict, outcomes: dict, equality: dict, concentration: dict | None) -> str:
    """The RCC's management-information report for a period: fit to publish (no child-level data)."""
    area = cost["rcc_name"] + (f" - {cost['la_name']}" if cost.get("la_name") else "")
    caveats = list(dict.fromkeys(cost["caveats"] + outcomes["caveats"] + equality["caveats"]))
    body = (
        _notes("Read this first", caveats, "note warn")
        + _cost_section(cost)
        + _outcomes_section(outcomes)
        + _equality_section(equality)
        + (_concentration_section(concentration) if concentration else "")
    )
    return PAGE.substitute(
        title=e(f"Commissioning intelligence: {area}"),
        subtitle=e(
            f"Management information for {cost['period_start']} to {cost['period_end']}. "
            "Official-statistics style suppression applies."
        ),  # fmt: skip
        body=body,
        generated=e(cost["generated_at"]),
        source=e(cost["source"]),
    )


def stress_test_html(job: dict) -> str:
    r = job.get("report")
    if not r:
        body = f"<p>Status: <b>{e(job['status'])}</b>.</p>" + (
            f"<pre>{e(job['error'])}</pre>" if job.get("error") else ""
        )
        return PAGE.substitute(title="Provider-exit stress test", subtitle=e(job["id"]), body=body,
                               generated=e(job.get("finished_at") or job.get("created_at")), source="RCC register")  # fmt: skip
    d0, d1, db = r["distance_before_all"], r["distance_after_re_placed"], r["distance_before_re_placed"]
    kpis = [
        ("children affected", r["affected"]),
        ("re-placed within the RCC", r["re_placed"]),
        ("not re-placed", r["unplaced"]),
        ("weekly cost change (re-placed)", f"£{r['weekly_cost_change']:+,}"),
    ]
    parts = ["<p>" + "".join(f'<span class="kpi"><b>{e(v)}</b>{e(k)}</span>' for k, v in kpis) + "</p>"]
    parts.append(_notes("Caveats", r["caveats"], "note warn"))
    rows = [
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
    parts.append(
        "<h2>Summary</h2>"
        + _table(["Measure", "Value"], (f"<tr><td>{e(k)}</td><td>{e(v)}</td></tr>" for k, v in rows))
    )
    rows2 = [
        f"<tr><td>{e(t['home_type'].replace('_', ' '))}</td><td class='num'>{t['places_removed']}</td>"
        f"<td class='num'>{t['affected_children_from_type']}</td><td class='num'>{t['spare_places_after_exit']}</td>"
        f"<td class='num'>{t['used_by_re_placements']}</td><td class='num'>{t['spare_places_remaining']}</td>"
        f"<td class='num'>{e(t['utilisation_percent'])}</td><td>{'exhausted' if t['exhausted'] else ''}</td></tr>"
        for t in r["home_types"]
    ]
    parts.append(
        "<h2>Home types, in the order they run out</h2>"
        + _table(
            [
                "Home type",
                "Places removed",
                "Affected children from type",
                "Spare after exit",
                "Used",
                "Remaining",
                "% of spare used",
                "",
            ],
            rows2,
        )  # fmt: skip
    )
    rows3 = [
        f"<tr><td>{c['child_id']}</td><td>{e(c['la_code'])}</td><td>{e(c['before_home_type'])}</td>"
        f"<td class='num'>{c['before_miles']}</td><td>{e(c['outcome'])}</td><td>{e(c['after_home_type'])}</td>"
        f"<td class='num'>{e(c['after_miles'])}</td><td class='num'>{c['before_weekly_cost']}</td>"
        f"<td class='num'>{e(c['after_weekly_cost'])}</td><td>{e(' '.join(c['reasons'][:2]))}</td></tr>"
        for c in r["children"]
    ]
    parts.append(
        "<h2>Children affected (pseudonymised)</h2>"
        + _table(
            [
                "Child",
                "LA",
                "Home type before",
                "Miles before",
                "Outcome",
                "Home type after",
                "Miles after",
                "£/week before",
                "£/week after",
                "Why not re-placed",
            ],
            rows3,
        )  # fmt: skip
    )
    parts.append(_notes("Method", r["method"]))
    return PAGE.substitute(
        title=e(f"Provider-exit stress test: if {r['owner_group']} stopped trading"),
        subtitle=e(f"{r['rcc_name']}, placements on {r['as_of']}. Job {job['id']}. Not for publication."),
        body="".join(parts),
        generated=e(job.get("finished_at") or ""),
        source=e("RCC placement register and the region-wide matching optimiser"),
    )
