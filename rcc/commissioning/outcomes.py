"""Placement outcomes (stability, distance, moves) and equality of access."""

from __future__ import annotations

import csv
import datetime as dt
import functools
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from rcc.auth import Principal
from rcc.commissioning import stats as st
from rcc.commissioning.scope import (
    COMMON_CAVEATS,
    PRow,
    _age,
    _header,
    _la_names,
    _placements,
    check_period,
    resolve_scope,
)
from rcc.config import load_settings

EQUALITY_DIMENSIONS: dict[str, tuple[Callable[[PRow, dt.date], str], tuple[str, ...]]] = {
    "ethnicity": (lambda r, on: st.ethnic_group(r.child_ethnicity), st.ETHNIC_GROUPS),
    "disability": (
        lambda r, on: "disabled" if "disability" in r.child_needs else "not disabled",
        ("disabled", "not disabled"),
    ),
    "uasc": (lambda r, on: "UASC" if r.child_uasc else "not UASC", ("UASC", "not UASC")),
    "age_band": (lambda r, on: st.age_band(_age(r, on)), st.AGE_BANDS),
}


@functools.lru_cache(maxsize=8)
def _dfe_distance(path: str) -> tuple[int | None, dict[str, dict[str, int | None]]]:
    """Latest year's DfE new placements by distance per LA: total, over 20 miles, parts suppressed."""
    p = Path(path)
    if not p.exists():
        return None, {}
    with p.open(newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["level"] == "Local authority"]
    if not rows:
        return None, {}
    year = max(int(r["year"]) for r in rows)
    out: dict[str, dict[str, int | None]] = defaultdict(
        lambda: {"total": None, "over_20": 0, "blank_parts": 0}
    )
    for r in rows:
        if int(r["year"]) != year:
            continue
        rec = out[r["la_gss_code"]]
        value = int(float(r["children"])) if r["children"].strip() else None
        loc = r["location"]
        if loc.startswith("Total"):
            rec["total"] = value
        elif "more than 20 miles" in loc:
            if value is None:
                rec["blank_parts"] = (rec["blank_parts"] or 0) + 1
            else:
                rec["over_20"] = (rec["over_20"] or 0) + value
    return year, dict(out)


def _dfe_share(codes: list[str], data_dir: Path) -> dict[str, Any]:
    year, table = _dfe_distance(str(Path(data_dir) / "dfe_new_placements_by_distance_2021_2025.csv"))
    totals = [table.get(c, {}).get("total") for c in codes]
    if year is None or any(t is None for t in totals):
        return {"year": year, "percent": None, "lower_bound": False, "caveat": "no DfE figure for these LAs"}
    over = sum(table[c]["over_20"] or 0 for c in codes)
    blank = sum(table[c]["blank_parts"] or 0 for c in codes)
    total = sum(t or 0 for t in totals)  # none is None here
    return {
        "year": year,
        "new_placements": total,
        "over_20_miles": over,
        "percent": round(100.0 * over / total, 1) if total else None,
        "lower_bound": blank > 0,
        "caveat": ("a lower bound: DfE suppressed part of the count over 20 miles" if blank else None),
    }


@dataclass(frozen=True)
class _Windows:
    start: dt.date
    end: dt.date
    year_start: dt.date


def _measures(rows: list[PRow], w: _Windows, group: Callable[[PRow, dt.date], str] | None = None) -> dict:
    """Every stability/outcome measure for ``rows``; with ``group`` split by that child grouping."""
    current = [r for r in rows if st.active_on(r.start, r.end, w.end)]
    new = [r for r in rows if w.start <= r.start <= w.end]
    in_year: dict[int, int] = Counter(
        r.child_id for r in rows if st.active_between(r.start, r.end, w.year_start, w.end)
    )
    at_end = {r.child_id: r for r in current}
    referred = [r for r in new if r.referral_created is not None]
    waits = [
        (r, (r.start - r.referral_created.date()).days) for r in referred if r.referral_created is not None
    ]

    def keyed(items, on_of: Callable[[Any], dt.date], child_of: Callable[[Any], PRow]):
        if group is None:
            return {"all": list(items)}
        out: dict[str, list] = defaultdict(list)
        for it in items:
            out[group(child_of(it), on_of(it))].append(it)
        return out

    cur_g = keyed(current, lambda r: w.end, lambda r: r)
    new_g = keyed(new, lambda r: r.start, lambda r: r)
    kids_g = keyed(list(at_end.values()), lambda r: w.end, lambda r: r)
    wait_g = keyed(waits, lambda x: x[0].start, lambda x: x[0])
    keys = sorted(set(cur_g) | set(new_g) | set(kids_g) | set(wait_g))
    out = {}
    for k in keys:
        cur, nw, kids, wt = cur_g.get(k, []), new_g.get(k, []), kids_g.get(k, []), wait_g.get(k, [])
        moves = [in_year[r.child_id] for r in kids]
        valid_waits = [d for _, d in wt if d >= 0]
        out[k] = {
            "children_placed_at_end": st.count(len(kids), "children").as_dict(),
            "residential_at_end": st.share(
                sum(r.category == "residential" for r in cur), len(cur), "placements"
            ).as_dict(),
            "miles_from_home_at_end": st.summarise((r.miles for r in cur), "placements", 1).as_dict(),
            "new_placements": st.count(len(nw)).as_dict(),
            "new_over_20_miles": st.share(sum(r.miles > st.FAR_MILES for r in nw), len(nw)).as_dict(),
            "new_miles_from_home": st.summarise((r.miles for r in nw), "placements", 1).as_dict(),
            "three_plus_placements": st.share(sum(m >= 3 for m in moves), len(moves), "children").as_dict(),
            "days_referral_to_placement": st.summarise(valid_waits, "placements", 1).as_dict(),
        }
    if group is None and "all" not in out:
        out["all"] = _measures_of_nothing()
    return out


def _measures_of_nothing() -> dict:
    none = st.summarise([]).as_dict()
    return {
        "children_placed_at_end": st.count(0).as_dict(),
        "residential_at_end": st.share(0, 0).as_dict(),
        "miles_from_home_at_end": none,
        "new_placements": st.count(0).as_dict(),
        "new_over_20_miles": st.share(0, 0).as_dict(),
        "new_miles_from_home": none,
        "three_plus_placements": st.share(0, 0, "children").as_dict(),
        "days_referral_to_placement": none,
    }


def _overall(rows: list[PRow], w: _Windows) -> dict:
    """The ungrouped measures plus those only shown overall: moves distribution and endings by reason."""
    res = _measures(rows, w)["all"]
    at_end = {r.child_id for r in rows if st.active_on(r.start, r.end, w.end)}
    in_year = Counter(r.child_id for r in rows if st.active_between(r.start, r.end, w.year_start, w.end))
    moves = [in_year[c] for c in at_end]
    res["placements_in_year_distribution"] = {
        "1": st.count(sum(m == 1 for m in moves), "children").as_dict(),
        "2": st.count(sum(m == 2 for m in moves), "children").as_dict(),
        "3+": st.count(sum(m >= 3 for m in moves), "children").as_dict(),
    }
    ended = [r for r in rows if r.end is not None and w.start <= r.end <= w.end]
    reasons = Counter(r.reason_ended or "not recorded" for r in ended)
    res["endings"] = st.count(len(ended)).as_dict()
    res["endings_by_reason"] = [
        {"reason": reason, "count": st.count(n).as_dict(), "share": st.share(n, len(ended)).as_dict()}
        for reason, n in sorted(reasons.items())
    ]
    new = [r for r in rows if w.start <= r.start <= w.end and r.referral_created is not None]
    res["waits_excluded_negative"] = sum(
        (r.start - r.referral_created.date()).days < 0 for r in new if r.referral_created is not None
    )
    return res


OUTCOME_METHOD = (
    "Children placed at the period end: children of the LAs with a placement open on the last day.",
    "Three or more placements: of the children placed on the period end, the share with 3 or more "
    "placements open at any time in the 12 months ending then (DfE's stability measure; nationally about 1 "
    "in 10). Placements counts every placement record, including a change of status only (PLACE).",
    "Endings: placements whose end date falls in the period, by SSDA903 REASON_PLACE_CHANGE code.",
    "Days from referral to placement: referral created date to placement start, for placements that "
    "started in the period and are linked to a referral (negative intervals are excluded and counted).",
    "Distance: straight line from the child's home postcode sector to the home's location on the British "
    "National Grid (1 mile = 1,609.344 m). New placements: placements that started in the period. DfE "
    "reports the share of new placements more than 20 miles from home including placements whose distance "
    "was not known in the denominator; these figures have no unknowns.",
    "Residential: children's homes, secure children's homes, short-break homes and residential special "
    "schools (the NPS residential category).",
)


def _windows(start: dt.date, end: dt.date) -> _Windows:
    return _Windows(start, end, st.year_before(end))


def outcomes(
    session: Session,
    who: Principal,
    rcc_id: int,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
    la_code: str | None = None,
    data_dir: Path | None = None,
) -> dict[str, Any]:
    start, end = check_period(period_start, period_end)
    scope = resolve_scope(session, who, rcc_id, la_code)
    data_dir = Path(data_dir or load_settings().data_dir)
    w = _windows(start, end)
    rows = _placements(session, scope.la_ids, min(start, w.year_start), end)
    las = _la_names(session, scope.la_ids)
    overall = _overall(rows, w)
    per_la = []
    for la_id in sorted(scope.la_ids, key=lambda i: las[i].gss_code):
        m = _overall([r for r in rows if r.child_la_id == la_id], w)
        per_la.append(
            {
                "la_code": las[la_id].gss_code,
                "la_name": las[la_id].name,
                "new_placements": m["new_placements"],
                "new_over_20_miles": m["new_over_20_miles"],
                "dfe_over_20_miles": _dfe_share([las[la_id].gss_code], data_dir),
                "three_plus_placements": m["three_plus_placements"],
                "days_referral_to_placement": m["days_referral_to_placement"],
            }
        )
    overall["dfe_over_20_miles"] = _dfe_share([las[i].gss_code for i in scope.la_ids], data_dir)
    return {
        **_header(scope, start, end),
        "year_start": w.year_start.isoformat(),
        "overall": overall,
        "by_la": per_la,
        "caveats": list(COMMON_CAVEATS)
        + [
            "DfE figures are for all of each LA's new placements in its latest published year, not this period."
        ],
        "method": list(OUTCOME_METHOD),
    }


EQUALITY_METHOD = (
    "Ethnicity: SSDA903 ETHNIC codes grouped as in DfE's statistics - White (WBRI, WIRI, WIRT, WOTH, WROM), "
    "Mixed (MWBC, MWBA, MWAS, MOTH), Asian (AIND, APKN, ABAN, AOTH), Black (BCRB, BAFR, BOTH), Other (CHNE, "
    "OOTH); refused (REFU), not obtained (NOBT) and missing are 'Not known'.",
    "Disability: the child's needs include 'disability'. UASC: as recorded on the child.",
    "Age band (under 1, 1-4, 5-9, 10-15, 16-17): at the period end for children placed then and for the "
    "stability measure; at the placement start for new placements and days to placement.",
)


def equality(
    session: Session,
    who: Principal,
    rcc_id: int,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
    la_code: str | None = None,
) -> dict[str, Any]:
    start, end = check_period(period_start, period_end)
    scope = resolve_scope(session, who, rcc_id, la_code)
    w = _windows(start, end)
    rows = _placements(session, scope.la_ids, min(start, w.year_start), end)
    empty = _measures_of_nothing()
    out = []
    for dim, (fn, order) in EQUALITY_DIMENSIONS.items():
        groups = _measures(rows, w, fn)
        for g in order:
            if g in groups or g != "18 and over":
                out.append({"dimension": dim, "group": g, **groups.get(g, empty)})
    return {
        **_header(scope, start, end),
        "year_start": w.year_start.isoformat(),
        "groups": out,
        "caveats": list(COMMON_CAVEATS[:1])
        + ["Differences between small groups are often chance; look at several periods before concluding."],
        "method": list(EQUALITY_METHOD) + list(OUTCOME_METHOD),
    }
