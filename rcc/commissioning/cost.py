"""Cost of care, market concentration and financial oversight."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api_schemas.vocab import HOME_TYPE_CATEGORY, HomeType
from forecasting import WEEKS_PER_YEAR
from rcc import audit
from rcc.auth import Principal
from rcc.commissioning import stats as st
from rcc.commissioning.scope import (
    COMMON_CAVEATS,
    COMPONENTS,
    PRow,
    _header,
    _la_names,
    _placements,
    check_period,
    resolve_scope,
)
from rcc.db.models import Child, Home, Placement, Provider
from rcc.owner_groups import resolver

COST_METHOD = (
    "Unit: the agreed weekly cost of each placement (whole pounds), in the National Placement Standard's "
    "components: core, additional support, education, other, and their total.",
    "Placements counted: every placement of a child of the RCC's member LAs that was open at any time in "
    "the period (started on or before its end, not ended before its start); each placement counts once.",
    "LA means the child's own (placing) local authority. In-house means a local-authority provider or a "
    "placement contracted in-house; everything else is external. Spot and contracted are as recorded on "
    "the placement.",
    "Medians and quartiles use linear interpolation between closest ranks (R type 7, Excel QUARTILE.INC).",
    "Trend: the weekly cost of placements open on the last day of each calendar quarter in the period "
    "(a stock measure, so a long placement counts in every quarter it spans).",
    "LA against RCC: each LA's median total weekly cost against the median over all of the RCC's placements, "
    "overall and for each home type (so that a different mix of home types does not drive the comparison).",
)


def total_spend(rows: list[PRow], on: dt.date, la_key: Callable[[PRow], tuple[str, str]]) -> dict[str, Any]:
    """What the RCC is paying: the weekly cost of every placement open on ``on`` (the period's end),
    summed, and annualised (x 52.18 weeks, as the sufficiency gap's costs), overall, by placement category and by the child's LA."""
    live = [r for r in rows if st.active_on(r.start, r.end, on)]

    def block(rs: list[PRow]) -> dict[str, Any]:
        weekly = sum(r.total for r in rs)
        return {"placements": len(rs), "weekly": weekly, "annualised": round(weekly * WEEKS_PER_YEAR)}

    by_cat: dict[str, list[PRow]] = defaultdict(list)
    by_la: dict[tuple[str, str], list[PRow]] = defaultdict(list)
    for r in live:
        by_cat[r.category].append(r)
        by_la[la_key(r)].append(r)
    return {
        "as_of": on.isoformat(),
        **block(live),
        "by_category": [{"category": c, **block(by_cat[c])} for c in sorted(by_cat)],
        "by_la": [
            {"la_code": code, "la_name": name, **block(by_la[(code, name)])} for code, name in sorted(by_la)
        ],
        "method": "the sum of the agreed weekly costs (all components) of placements open on as_of; "
        f"annualised = weekly x {WEEKS_PER_YEAR}, as if those placements ran for a year at today's prices",
    }


def _cost_components(rows: list[PRow]) -> dict[str, dict]:
    return {c: st.summarise(r.component(c) for r in rows).as_dict() for c in COMPONENTS}


def _cost_rows(rows: list[PRow], dimension: str, key: Callable[[PRow], tuple[str, str]]) -> list[dict]:
    groups: dict[tuple[str, str], list[PRow]] = defaultdict(list)
    for r in rows:
        groups[key(r)].append(r)
    return [
        {"dimension": dimension, "group": g, "label": label, **_cost_components(groups[(g, label)])}
        for g, label in sorted(groups)
    ]


def cost_of_care(
    session: Session,
    who: Principal,
    rcc_id: int,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
    la_code: str | None = None,
) -> dict[str, Any]:
    start, end = check_period(period_start, period_end)
    scope = resolve_scope(session, who, rcc_id, la_code)
    every = _placements(session, scope.member_ids, start, end)
    rows = [r for r in every if r.child_la_id in scope.la_ids]
    las = _la_names(session, scope.member_ids)

    def la_key(r: PRow) -> tuple[str, str]:
        return las[r.child_la_id].gss_code, las[r.child_la_id].name

    table = [{"dimension": "all", "group": "all", "label": "All placements", **_cost_components(rows)}]
    table += _cost_rows(rows, "home_type", lambda r: (r.home_type, r.home_type.replace("_", " ")))
    table += _cost_rows(rows, "la", la_key)
    table += _cost_rows(rows, "provider", lambda r: (str(r.provider_id), r.provider_name))
    table += _cost_rows(rows, "owner_group", lambda r: (r.owner_group, r.owner_group))
    table += _cost_rows(
        rows, "sector", lambda r: ("in_house", "In-house") if r.in_house else ("external", "External")
    )
    table += _cost_rows(rows, "contract", lambda r: (r.contract, r.contract.replace("_", "-")))

    # each LA against the RCC median (all RCC placements), overall and per home type
    comparison = []
    rcc_by_type: dict[str, list[PRow]] = defaultdict(list)
    rcc_by_type["all"] = []  # an RCC with no placements still has an (empty, suppressed) total
    for r in every:
        rcc_by_type["all"].append(r)
        rcc_by_type[r.home_type].append(r)
    rcc_summary = {t: st.summarise(r.total for r in rs) for t, rs in rcc_by_type.items()}
    for la_id in scope.la_ids:
        mine = [r for r in rows if r.child_la_id == la_id]
        types = ["all"] + sorted({r.home_type for r in mine})
        for t in types:
            la_sum = st.summarise(r.total for r in mine if t == "all" or r.home_type == t)
            diff, ratio = st.difference(la_sum, rcc_summary[t])
            comparison.append(
                {
                    "la_code": las[la_id].gss_code,
                    "la_name": las[la_id].name,
                    "home_type": t,
                    "la_total": la_sum.as_dict(),
                    "rcc_total": rcc_summary[t].as_dict(),
                    "difference": diff,
                    "ratio": ratio,
                    "caveat": None if diff is not None else "not compared: a median is suppressed",
                }
            )

    trend = []
    for q in st.quarter_ends(start, end):
        live = [r for r in rows if st.active_on(r.start, r.end, q)]
        trend.append(
            {"quarter": st.quarter_of(q), "quarter_end": q.isoformat(), "category": "all",
             "total": st.summarise(r.total for r in live).as_dict()}
        )  # fmt: skip
        for cat in ("foster", "residential", "supported"):
            trend.append(
                {"quarter": st.quarter_of(q), "quarter_end": q.isoformat(), "category": cat,
                 "total": st.summarise(r.total for r in live if r.category == cat).as_dict()}
            )  # fmt: skip
    return {
        **_header(scope, start, end),
        "placements": st.count(len(rows)).as_dict(),
        "spend": total_spend(rows, end, lambda r: (las[r.child_la_id].gss_code, las[r.child_la_id].name)),
        "rows": table,
        "la_vs_rcc": comparison,
        "trend": trend,
        "caveats": list(COMMON_CAVEATS),
        "method": list(COST_METHOD),
    }


CONCENTRATION_METHOD = (
    "Share of registered places by owner group among active and suspended homes located in each LA and "
    "across the RCC's area (closed homes excluded); a provider without an owner group is its own group; "
    "local-authority in-house homes count as their LA's group.",
    "HHI: the sum of the squared percentage shares (0-10,000), per LA and for the RCC, for all places and "
    "for each placement category (foster, residential, supported: separate markets).",
    f"Bands: below {st.HHI_MODERATE:,} unconcentrated, {st.HHI_MODERATE:,}-{st.HHI_HIGH:,} moderately, above "
    f"{st.HHI_HIGH:,} highly concentrated (the US DOJ/FTC 2010 Horizontal Merger Guidelines bands). The UK "
    "OFT/CC 2010 Merger Assessment Guidelines used 1,000 (concentrated) and 2,000 (highly concentrated); "
    "the CMA's current guidelines set no fixed HHI thresholds.",
)


def _concentration_area(area: str, code: str, category: str, places: dict[str, int], top: int) -> dict:
    index = st.hhi(places)
    shares = st.percentage_shares(places)
    ranked = sorted(places, key=lambda g: (-places[g], g))
    return {
        "area": area,
        "area_code": code,
        "category": category,
        "places": sum(places.values()),
        "owner_groups": len(places),
        "hhi": index,
        "level": st.concentration_level(index) if places else None,
        "top_groups": [
            {"owner_group": g, "places": places[g], "share_percent": round(shares[g], 1)}
            for g in ranked[:top]
        ],
    }


def concentration(session: Session, who: Principal, rcc_id: int, top: int = 5) -> dict[str, Any]:
    scope = resolve_scope(session, who, rcc_id)
    las = _la_names(session, scope.member_ids)
    stmt = (
        select(
            Home.la_id,
            Home.home_type,
            Home.registered_places,
            Provider.id,
            Provider.name,
            Provider.owner_group,
        )
        .join(Provider, Home.provider_id == Provider.id)
        .where(Home.la_id.in_(list(scope.member_ids)), Home.registration_status != "closed")
    )
    cells: dict[tuple[int | None, str], Counter] = defaultdict(Counter)
    la_id: int | None
    canonical = resolver(session)  # one name per owner group (aliases, councils as their LA)
    for la_id, home_type, places, pid, pname, group in session.execute(stmt):
        g = st.owner_group_key(canonical(group), pname, pid)
        try:
            cat = HOME_TYPE_CATEGORY[HomeType(home_type)].value
        except ValueError:
            cat = "other"
        for area in (la_id, None):
            cells[(area, "all")][g] += places
            cells[(area, cat)][g] += places
    areas = []
    area_ids: list[int | None] = [None, *sorted(scope.member_ids, key=lambda i: las[i].gss_code)]
    for la_id in area_ids:
        name, code = (scope.rcc.name, "rcc") if la_id is None else (las[la_id].name, las[la_id].gss_code)
        for cat in ("all", "foster", "residential", "supported"):
            if (la_id, cat) in cells or cat == "all":
                areas.append(_concentration_area(name, code, cat, dict(cells.get((la_id, cat), {})), top))
    return {
        **_header(scope),
        "thresholds": {"moderate": st.HHI_MODERATE, "high": st.HHI_HIGH},
        "areas": areas,
        "caveats": ["Registered places are capacity, not occupancy or spend.", *COMMON_CAVEATS[1:]],
        "method": list(CONCENTRATION_METHOD),
    }


def financial_oversight(
    session: Session, who: Principal, rcc_id: int, as_of: dt.date | None = None
) -> dict[str, Any]:
    """Providers flagged difficult to replace that have homes in the RCC's area or children of its LAs."""
    as_of = as_of or dt.date.today()
    scope = resolve_scope(session, who, rcc_id)
    las = _la_names(session, scope.member_ids)
    stale_before = st.year_before(as_of)
    canonical = resolver(session)
    flagged = list(session.scalars(select(Provider).where(Provider.difficult_to_replace.is_(True))))
    ids = [p.id for p in flagged]
    homes = session.execute(
        select(Home.provider_id, Home.registered_places, Home.la_id)
        .where(Home.provider_id.in_(ids), Home.registration_status != "closed")
    ).all()  # fmt: skip
    living = session.execute(
        select(Home.provider_id, Child.id, Child.la_id)
        .join(Placement, Placement.home_id == Home.id)
        .join(Child, Placement.child_id == Child.id)
        .where(Home.provider_id.in_(ids), Child.la_id.in_(list(scope.la_ids)), Placement.start_date <= as_of)
        .where((Placement.end_date.is_(None)) | (Placement.end_date > as_of))
        .order_by(Child.id)
    ).all()
    out: list[dict[str, Any]] = []
    seen_children: list[int] = []
    for p in sorted(flagged, key=lambda p: (p.name, p.id)):
        in_area = [h for h in homes if h.provider_id == p.id and h.la_id in scope.member_ids]
        kids: list[dict[str, Any]] = [
            {"child_id": cid, "la_code": las[la].gss_code} for pid, cid, la in living if pid == p.id
        ]
        if not in_area and not kids:
            continue
        seen_children += [k["child_id"] for k in kids]
        stale = (
            (not p.contingency_plan_held)
            or p.contingency_plan_date is None
            or (p.contingency_plan_date < stale_before)
        )
        out.append(
            {
                "provider_id": p.id,
                "provider_name": p.name,
                "owner_group": st.owner_group_key(canonical(p.owner_group), p.name, p.id),
                "sector": p.sector,
                "risk_rating": p.risk_rating,
                "contingency_plan_held": bool(p.contingency_plan_held),
                "contingency_plan_date": p.contingency_plan_date.isoformat()
                if p.contingency_plan_date
                else None,
                "contingency_plan_review_due": stale,
                "homes_in_area": len(in_area),
                "places_in_area": sum(h.registered_places for h in in_area),
                "children": kids,
            }
        )
    audit.record(
        session, who, "read", "child", sorted(set(seen_children)), detail="financial oversight register"
    )
    return {
        **_header(scope),
        "as_of": as_of.isoformat(),
        "providers": out,
        "caveats": [
            "Not for publication: lists children (register ids and LA only). Every listing is audited.",
            "A contingency plan is due for review when none is held, it has no date, or it was last reviewed "
            f"more than 12 months before {as_of.isoformat()} (before {stale_before.isoformat()}).",
        ],
        "method": [
            "Providers flagged difficult to replace with an active or suspended home in the RCC's area, or "
            "with a child of the RCC's LAs (or the caller's LA) living in one of their homes on the date.",
        ],
    }
