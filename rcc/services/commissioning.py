"""Commissioning intelligence and market oversight for an RCC: the database side.

Cost of care, provider concentration, the financial-oversight register, stability and outcome
measures with equality breakdowns, and the provider-exit stress test (a persisted job). The
arithmetic lives in :mod:`rcc.services.commissioning_stats`; rendering (CSV, HTML) in
:mod:`rcc.services.commissioning_render`.

Who sees what: an RCC commissioner their own RCC, an admin any RCC, an LA officer their own LA's
figures within an RCC their LA belongs to (with the RCC median alongside for comparison); providers
are refused (403). Anything that lists children (the oversight register, the stress test's
per-child rows) appends ``read`` audit events for those children.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import functools
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api_schemas.vocab import HOME_TYPE_CATEGORY, HomeType, ProviderSector, Urgency
from rcc import audit, jobs
from rcc.auth import Principal, Role
from rcc.cache import VersionedCache
from rcc.config import load_settings
from rcc.db import transaction, versions
from rcc.db.models import Child, Home, LocalAuthority, Placement, Provider, Rcc, RccMember, Referral
from rcc.errors import Forbidden, Invalid, NotFound
from rcc.services import commissioning_stats as st
from rcc.services.children import age_on
from rcc.services.common import resolve_la

SOURCE = (
    "RCC placement register: placements (agreed weekly cost in NPS components), homes, providers and "
    "children of the RCC's member local authorities"
)
COMPONENTS = ("core", "additional_support", "education", "other", "total")
COMMON_CAVEATS = (
    f"Figures based on fewer than {st.SUPPRESS_BELOW} placements or children are suppressed "
    f"(shown as '{st.SUPPRESSED}' or null), as in official statistics; counts of 1-4 are suppressed too.",
    "No DfE statistical-neighbour data is held in the shared open data, so each LA is compared with the "
    "median of the RCC it belongs to, not with its statistical neighbours.",
)


# ---------------------------------------------------------------- scope


@dataclass(frozen=True)
class Scope:
    rcc: Rcc
    member_ids: tuple[int, ...]  # every LA of the RCC
    la_ids: tuple[int, ...]  # the LAs whose children these figures cover
    la: LocalAuthority | None  # set when narrowed to one LA

    @property
    def label(self) -> str:
        return f"{self.rcc.name}" + (f" - {self.la.name}" if self.la else "")


def resolve_scope(session: Session, who: Principal, rcc_id: int, la_code: str | None = None) -> Scope:
    """The RCC (and optionally one member LA) the caller may read; 404 outside their scope."""
    if who.role is Role.PROVIDER:
        raise Forbidden("providers do not see commissioning intelligence")
    rcc = session.get(Rcc, rcc_id)
    if rcc is None or (who.role is Role.RCC_COMMISSIONER and who.rcc_id != rcc_id):
        raise NotFound("rcc", rcc_id)
    members = tuple(sorted(session.scalars(select(RccMember.la_id).where(RccMember.rcc_id == rcc_id))))
    la = None
    if who.role is Role.LA_OFFICER:
        if who.la_id not in members:
            raise NotFound("rcc", rcc_id)
        if la_code is not None and resolve_la(session, la_code, "la").id != who.la_id:
            raise Forbidden("an LA officer reads their own LA's figures only")
        la = session.get(LocalAuthority, who.la_id)
    elif la_code is not None:
        la = resolve_la(session, la_code, "la")
        if la.id not in members:
            raise Invalid(f"{la.name} is not a member of {rcc.name}", "la")
    return Scope(rcc, members, (la.id,) if la else members, la)


def check_period(period_start: dt.date | None, period_end: dt.date | None) -> tuple[dt.date, dt.date]:
    """Defaults: the 12 months ending today. 422 naming ``period_end`` if the period runs backwards."""
    end = period_end or dt.date.today()
    start = period_start or st.year_before(end)
    if start > end:
        raise Invalid("period_end must not be before period_start", "period_end")
    if (end - start).days > 366 * 10:
        raise Invalid("the period may span at most 10 years", "period_start")
    return start, end


def _la_names(session: Session, ids: Iterable[int]) -> dict[int, LocalAuthority]:
    ids = list(ids)
    return {la.id: la for la in session.scalars(select(LocalAuthority).where(LocalAuthority.id.in_(ids)))}


def _header(scope: Scope, start: dt.date | None = None, end: dt.date | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "rcc_id": scope.rcc.id,
        "rcc_name": scope.rcc.name,
        "la_code": scope.la.gss_code if scope.la else None,
        "la_name": scope.la.name if scope.la else None,
        "generated_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "source": SOURCE,
    }
    if start is not None:
        out["period_start"], out["period_end"] = start.isoformat(), end.isoformat()
    return out


# ---------------------------------------------------------------- placement rows


@dataclass(frozen=True)
class PRow:
    """One placement with what the measures need (read once, grouped in Python)."""

    placement_id: int
    child_id: int
    child_la_id: int
    start: dt.date
    end: dt.date | None
    reason_ended: str | None
    contract: str
    core: int
    additional_support: int
    education: int
    other: int
    home_id: int
    home_type: str
    home_la_id: int
    home_e: float
    home_n: float
    provider_id: int
    provider_name: str
    sector: str
    owner_group: str
    child_birth: dt.date
    child_ethnicity: str | None
    child_needs: tuple[str, ...]
    child_uasc: bool
    child_e: float
    child_n: float
    referral_created: dt.datetime | None

    @property
    def total(self) -> int:
        return self.core + self.additional_support + self.education + self.other

    def component(self, name: str) -> int:
        return self.total if name == "total" else getattr(self, name)

    @property
    def category(self) -> str:
        try:
            return HOME_TYPE_CATEGORY[HomeType(self.home_type)].value
        except ValueError:
            return "other"

    @property
    def in_house(self) -> bool:
        return self.sector == ProviderSector.LOCAL_AUTHORITY.value or self.contract == "in_house"

    @property
    def miles(self) -> float:
        return st.miles(self.child_e, self.child_n, self.home_e, self.home_n)


def _placements(session: Session, la_ids: Iterable[int], start: dt.date, end: dt.date) -> list[PRow]:
    """Placements of children of ``la_ids`` overlapping ``[start, end]`` (end dates exclusive)."""
    stmt = (
        select(Placement, Home, Provider, Child, Referral.created_at)
        .join(Home, Placement.home_id == Home.id)
        .join(Provider, Home.provider_id == Provider.id)
        .join(Child, Placement.child_id == Child.id)
        .outerjoin(Referral, Placement.referral_id == Referral.id)
        .where(Child.la_id.in_(list(la_ids)), Placement.start_date <= end)
        .where((Placement.end_date.is_(None)) | (Placement.end_date > start))
        .order_by(Placement.id)
    )
    rows = []
    for p, h, pr, c, created in session.execute(stmt):
        rows.append(
            PRow(
                p.id, c.id, c.la_id, p.start_date, p.end_date, p.reason_ended, p.contract or "spot",
                p.weekly_core, p.weekly_additional_support, p.weekly_education, p.weekly_other,
                h.id, h.home_type, h.la_id, h.easting, h.northing,
                pr.id, pr.name, pr.sector, st.owner_group_key(pr.owner_group, pr.name, pr.id),
                c.birth_month, c.ethnicity, tuple(c.needs or ()), bool(c.uasc), c.home_easting, c.home_northing,
                created,
            )
        )  # fmt: skip
    return rows


# ---------------------------------------------------------------- cost of care

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
        "rows": table,
        "la_vs_rcc": comparison,
        "trend": trend,
        "caveats": list(COMMON_CAVEATS),
        "method": list(COST_METHOD),
    }


# ---------------------------------------------------------------- concentration

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
    for la_id, home_type, places, pid, pname, group in session.execute(stmt):
        g = st.owner_group_key(group, pname, pid)
        try:
            cat = HOME_TYPE_CATEGORY[HomeType(home_type)].value
        except ValueError:
            cat = "other"
        for area in (la_id, None):
            cells[(area, "all")][g] += places
            cells[(area, cat)][g] += places
    areas = []
    for la_id in [None, *sorted(scope.member_ids, key=lambda i: las[i].gss_code)]:
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


# ---------------------------------------------------------------- financial oversight


def financial_oversight(
    session: Session, who: Principal, rcc_id: int, as_of: dt.date | None = None
) -> dict[str, Any]:
    """Providers flagged difficult to replace that have homes in the RCC's area or children of its LAs."""
    as_of = as_of or dt.date.today()
    scope = resolve_scope(session, who, rcc_id)
    las = _la_names(session, scope.member_ids)
    stale_before = st.year_before(as_of)
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
    out, seen_children = [], []
    for p in sorted(flagged, key=lambda p: (p.name, p.id)):
        in_area = [h for h in homes if h.provider_id == p.id and h.la_id in scope.member_ids]
        kids = [{"child_id": cid, "la_code": las[la].gss_code} for pid, cid, la in living if pid == p.id]
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
                "owner_group": st.owner_group_key(p.owner_group, p.name, p.id),
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


# ---------------------------------------------------------------- stability and outcomes


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
                rec["blank_parts"] += 1
            else:
                rec["over_20"] += value
    return year, dict(out)


def _dfe_share(codes: list[str], data_dir: Path) -> dict[str, Any]:
    year, table = _dfe_distance(str(Path(data_dir) / "dfe_new_placements_by_distance_2021_2025.csv"))
    totals = [table.get(c, {}).get("total") for c in codes]
    if year is None or any(t is None for t in totals):
        return {"year": year, "percent": None, "lower_bound": False, "caveat": "no DfE figure for these LAs"}
    over = sum(table[c]["over_20"] for c in codes)
    blank = sum(table[c]["blank_parts"] for c in codes)
    total = sum(totals)
    return {
        "year": year,
        "new_placements": total,
        "over_20_miles": over,
        "percent": round(100.0 * over / total, 1) if total else None,
        "lower_bound": blank > 0,
        "caveat": ("a lower bound: DfE suppressed part of the count over 20 miles" if blank else None),
    }


def _age(r: PRow, on: dt.date) -> int:
    return age_on(r.child_birth, on)


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
    waits = [(r, (r.start - r.referral_created.date()).days) for r in referred]

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
    res["waits_excluded_negative"] = sum((r.start - r.referral_created.date()).days < 0 for r in new)
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


# ---------------------------------------------------------------- equality monitoring

EQUALITY_DIMENSIONS: dict[str, tuple[Callable[[PRow, dt.date], str], tuple[str, ...]]] = {
    "ethnicity": (lambda r, on: st.ethnic_group(r.child_ethnicity), st.ETHNIC_GROUPS),
    "disability": (
        lambda r, on: "disabled" if "disability" in r.child_needs else "not disabled",
        ("disabled", "not disabled"),
    ),
    "uasc": (lambda r, on: "UASC" if r.child_uasc else "not UASC", ("UASC", "not UASC")),
    "age_band": (lambda r, on: st.age_band(_age(r, on)), st.AGE_BANDS),
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


# ---------------------------------------------------------------- provider-exit stress test

STRESS_KIND = "commissioning_stress_test"

STRESS_METHOD = (
    "Affected: children of the RCC's member LAs with a placement open on the date in any home of a provider "
    "in the exiting owner group (a provider without an owner group is its own group).",
    "Supply: active homes located in the RCC's LAs, less the exiting group's homes, read through the "
    "matching service's adapters: a home's free places are its registered places less the children placed "
    "there on the date, capped by the vacancies its provider declared where it declared any (so the test "
    "uses the capacity the RCC could actually offer today). With capacity 'registered' declared vacancies "
    "are ignored: every registered place not taken counts (what providers could offer if they filled their "
    "registration).",
    "Each affected child, or each set of affected siblings (same sibling group) together, becomes one "
    "referral of urgency 'Today'; siblings may be split only if they already live apart. The region-wide "
    "optimiser (matching.solve with the RCC's matching policy; regional fee medians from the remaining "
    "homes) places as many as it can, nearest and best-matched first.",
    "Distance: straight line from the child's home postcode sector to the home (miles). Weekly cost "
    "before: the placement's agreed weekly cost; after: the new home's weekly fee for one place.",
    "Home types are ranked by how much of their spare capacity the re-placements use; a type is exhausted "
    "when no free place is left in it (or it had none after the exit and children needed re-placing).",
)


def owner_groups(session: Session, owner_group: str) -> list[int]:
    """Provider ids in ``owner_group`` (the stored group, or a provider's own key when it has none)."""
    key = owner_group.strip()
    ids = list(session.scalars(select(Provider.id).where(Provider.owner_group == key)))
    if ids:
        return ids
    for pid, name, group in session.execute(
        select(Provider.id, Provider.name, Provider.owner_group).where(Provider.owner_group.is_(None))
    ):
        if st.owner_group_key(group, name, pid) == key:
            return [pid]
    return []


def submit_stress_test(
    session: Session,
    who: Principal,
    rcc_id: int,
    owner_group: str,
    as_of: dt.date | None = None,
    time_limit_s: float = 30.0,
    capacity: str = "vacancies",
):
    who.require(Role.RCC_COMMISSIONER)
    rcc = session.get(Rcc, rcc_id)
    if rcc is None or (who.role is Role.RCC_COMMISSIONER and who.rcc_id != rcc_id):
        raise Invalid(f"unknown RCC {rcc_id}", "rcc_id")
    if not owner_group.strip() or not owner_groups(session, owner_group):
        raise Invalid(f"no provider belongs to owner group {owner_group!r}", "owner_group")
    params = {
        "rcc_id": rcc_id,
        "owner_group": owner_group.strip(),
        "as_of": (as_of or dt.date.today()).isoformat(),
        "time_limit_s": float(time_limit_s),
        "capacity": capacity,
    }
    return jobs.submit(session, who, STRESS_KIND, params, rcc_id=rcc_id)


def get_stress_test(session: Session, who: Principal, job_id: str):
    """The job (status and, once finished, its report); children listed in the report are audited as read."""
    if who.role is Role.PROVIDER:
        raise Forbidden("providers do not see commissioning intelligence")
    job = jobs.get(session, who, job_id, STRESS_KIND)
    if job.status == "succeeded" and job.result:
        ids = [c["child_id"] for c in job.result.get("children", [])]
        audit.record(session, who, "read", "child", ids, detail=f"stress test {job_id}")
    return job


def _money(x: float) -> int:
    return int(round(x))


def _mean_median(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"n": 0, "mean": None, "median": None}
    return {
        "n": len(values),
        "mean": round(sum(values) / len(values), 1),
        "median": round(st.quantile(values, 0.5), 1),
    }


def stress_test(
    session: Session,
    who: Principal,
    rcc_id: int,
    owner_group: str,
    as_of: dt.date,
    time_limit_s: float = 30.0,
    capacity: str = "vacancies",
) -> dict[str, Any]:
    """What happens if ``owner_group`` stops trading: re-place its RCC children within the RCC's area."""
    import matching
    from rcc.services import matching as adapters  # the shared DB -> matching adapters

    scope = resolve_scope(session, who, rcc_id)
    las = {la.id: la for la in session.scalars(select(LocalAuthority))}
    codes = {i: la.gss_code for i, la in las.items()}
    exiting = set(owner_groups(session, owner_group))
    if not exiting:
        raise Invalid(f"no provider belongs to owner group {owner_group!r}", "owner_group")

    # who lives where on the date
    live = session.execute(
        select(Placement, Child, Home)
        .join(Child, Placement.child_id == Child.id)
        .join(Home, Placement.home_id == Home.id)
        .where(Placement.start_date <= as_of)
        .where((Placement.end_date.is_(None)) | (Placement.end_date > as_of))
        .order_by(Placement.id)
    ).all()
    affected = [(p, c, h) for p, c, h in live if h.provider_id in exiting and c.la_id in scope.member_ids]
    others_in_area = sum(
        1
        for _, c, h in live
        if h.provider_id in exiting and c.la_id not in scope.member_ids and h.la_id in scope.member_ids
    )

    # supply: the homes in the area as the matching service sees them, less the exiting group's
    area_homes = list(
        session.scalars(select(Home).where(Home.la_id.in_(list(scope.member_ids))).order_by(Home.id))
    )
    exiting_homes = [h for h in area_homes if h.provider_id in exiting and h.registration_status != "closed"]
    loaded = adapters.load_supply(session, scope.member_ids, as_of, codes=codes)
    supply = [h for h in area_homes if h.provider_id not in exiting and h.registration_status == "active"]
    keep = {str(h.id) for h in supply}
    m_homes = [mh for mh in loaded.homes if mh.id in keep]
    if capacity == "registered":  # ignore declared vacancies: every registered place not taken
        occupied = Counter(h.id for _, _, h in live)
        registered = {str(h.id): h.registered_places for h in supply}
        m_homes = [
            dataclasses.replace(mh, free_places=max(registered[mh.id] - occupied[int(mh.id)], 0))
            for mh in m_homes
        ]
    spare = {int(mh.id): mh.free_places for mh in m_homes}
    policy = adapters.policy_for_rcc(session, rcc_id)

    # referrals: one per child, or per affected sibling group
    groups: dict[str, list[tuple]] = defaultdict(list)
    for p, c, h in affected:
        groups[f"s:{c.la_id}:{c.sibling_group}" if c.sibling_group else f"c:{c.id}"].append((p, c, h))
    referrals = []
    for i, (_, members) in enumerate(sorted(groups.items())):
        kids = tuple(adapters.child_profile(c, codes[c.la_id], as_of) for _, c, _ in members)
        apart = len({h.id for _, _, h in members}) > 1
        referrals.append(
            matching.Referral(
                id=f"r{i}",
                children=kids,
                urgency=Urgency.TODAY,
                la=kids[0].home_la,
                allow_split=apart,
            )
        )
    if referrals and m_homes:
        result = matching.solve(referrals, m_homes, policy, time_limit_s)
        solver = {
            "status": result.status.value,
            "objective": result.objective,
            "gap": result.gap,
            "solve_s": round(float(result.stats.get("solve_s", 0.0)), 2),
        }
        placed = result.assignment.as_dict()
        reasons = {u.referral_id: list(u.reasons) for u in result.unmatched}
    else:
        solver = {"status": "not run", "objective": None, "gap": None, "solve_s": 0.0}
        placed, reasons = {}, {}
    solver["time_limit_s"] = time_limit_s
    homes_by_id = {str(h.id): h for h in supply}
    ref_of_child = {k.id: r.id for r in referrals for k in r.children}

    children, before_all, before_re, after_re = [], [], [], []
    cost_before_all = cost_before_re = cost_after_re = 0
    for p, c, h in affected:
        d_before = st.miles(c.home_easting, c.home_northing, h.easting, h.northing)
        before_all.append(d_before)
        cost_before_all += _money(p.weekly_total)
        row = {
            "child_id": c.id,
            "la_code": las[c.la_id].gss_code,
            "sibling_group": bool(c.sibling_group),
            "before_home_id": h.id,
            "before_home_type": h.home_type,
            "before_miles": round(d_before, 1),
            "before_weekly_cost": _money(p.weekly_total),
        }
        new = homes_by_id.get(placed.get(str(c.id), ""))
        if new is not None:
            d_after = st.miles(c.home_easting, c.home_northing, new.easting, new.northing)
            before_re.append(d_before)
            after_re.append(d_after)
            cost_before_re += _money(p.weekly_total)
            cost_after_re += _money(new.weekly_fee)
            row |= {
                "outcome": "re-placed",
                "after_home_id": new.id,
                "after_home_type": new.home_type,
                "after_miles": round(d_after, 1),
                "after_weekly_cost": _money(new.weekly_fee),
                "reasons": [],
            }
        else:
            row |= {
                "outcome": "unplaced",
                "after_home_id": None,
                "after_home_type": None,
                "after_miles": None,
                "after_weekly_cost": None,
                "reasons": reasons.get(ref_of_child.get(str(c.id), ""), []),
            }
        children.append(row)

    # siblings: affected sibling groups of 2+ children
    sib = {"groups": 0, "together_before": 0, "together_after": 0, "split_after": 0, "unplaced": 0}
    for key, members in groups.items():
        if not key.startswith("s:") or len(members) < 2:
            continue
        sib["groups"] += 1
        sib["together_before"] += len({h.id for _, _, h in members}) == 1
        homes_after = [placed.get(str(c.id)) for _, c, _ in members]
        if any(x is None for x in homes_after):
            sib["unplaced"] += 1
        elif len(set(homes_after)) == 1:
            sib["together_after"] += 1
        else:
            sib["split_after"] += 1

    # home types: capacity lost, spare after the exit, used by the re-placements
    types = sorted({h.home_type for h in area_homes} | {h.home_type for _, _, h in affected})
    used = Counter(homes_by_id[hid].home_type for hid in placed.values() if hid in homes_by_id)
    demand = Counter(h.home_type for _, _, h in affected)
    table = []
    for t in types:
        spare_after_exit = sum(spare[h.id] for h in supply if h.home_type == t)
        u = used.get(t, 0)
        remaining = spare_after_exit - u
        table.append(
            {
                "home_type": t,
                "places_removed": sum(h.registered_places for h in exiting_homes if h.home_type == t),
                "affected_children_from_type": demand.get(t, 0),
                "spare_places_after_exit": spare_after_exit,
                "used_by_re_placements": u,
                "spare_places_remaining": remaining,
                "utilisation_percent": round(100.0 * u / spare_after_exit, 1) if spare_after_exit else None,
                "exhausted": (spare_after_exit > 0 and remaining == 0)
                or (spare_after_exit == 0 and demand.get(t, 0) > 0),
            }
        )
    table.sort(
        key=lambda r: (
            not r["exhausted"],
            -(r["utilisation_percent"] if r["utilisation_percent"] is not None else 100.0),
            -r["affected_children_from_type"],
            r["home_type"],
        )
    )
    n_re = len(after_re)
    change = cost_after_re - cost_before_re
    audit.record(session, who, "read", "child", sorted({c.id for _, c, _ in affected}), detail="stress test")
    return {
        "rcc_id": scope.rcc.id,
        "rcc_name": scope.rcc.name,
        "owner_group": owner_group,
        "as_of": as_of.isoformat(),
        "capacity": capacity,
        "providers_in_group": len(exiting),
        "homes_removed_in_area": len(exiting_homes),
        "places_removed_in_area": sum(h.registered_places for h in exiting_homes),
        "other_las_children_in_group_homes_in_area": others_in_area,
        "affected": len(affected),
        "referrals": len(referrals),
        "re_placed": n_re,
        "unplaced": len(affected) - n_re,
        "distance_before_all": _mean_median(before_all),
        "distance_before_re_placed": _mean_median(before_re),
        "distance_after_re_placed": _mean_median(after_re),
        "over_20_miles_before_re_placed": sum(d > st.FAR_MILES for d in before_re),
        "over_20_miles_after_re_placed": sum(d > st.FAR_MILES for d in after_re),
        "weekly_cost_before_all": cost_before_all,
        "weekly_cost_before_re_placed": cost_before_re,
        "weekly_cost_after_re_placed": cost_after_re,
        "weekly_cost_change": change,
        "weekly_cost_change_percent": round(100.0 * change / cost_before_re, 1) if cost_before_re else None,
        "siblings": sib,
        "home_types": table,
        "exhausted_first": [r["home_type"] for r in table if r["exhausted"]],
        "solver": solver,
        "children": children,
        "caveats": [
            "Not for publication: lists children (register ids and LA only); not suppressed. Reads are audited.",
            "A what-if on the register as it stands: real providers' exits are phased, and other RCCs and "
            "out-of-area homes are not drawn on here (children re-placed outside the RCC's area are not modelled).",
            "Children of other LAs living in the group's homes in the area are counted but not re-placed here.",
        ],
        "method": list(STRESS_METHOD),
    }


@jobs.handler(STRESS_KIND)
def _run_stress_test(ctx) -> dict[str, Any]:
    p = ctx.params
    with transaction(ctx.sessions) as s:
        return stress_test(
            s,
            ctx.principal,
            int(p["rcc_id"]),
            str(p["owner_group"]),
            dt.date.fromisoformat(p["as_of"]),
            float(p.get("time_limit_s", 30.0)),
            str(p.get("capacity", "vacancies")),
        )


# ---------------------------------------------------------------- renderings the router serves


def cost_of_care_csv(session: Session, who: Principal, rcc_id: int, start, end, la_code=None) -> str:
    from rcc.services import commissioning_render as render

    return render.cost_of_care_csv(cost_of_care(session, who, rcc_id, start, end, la_code))


def concentration_csv(session: Session, who: Principal, rcc_id: int) -> str:
    from rcc.services import commissioning_render as render

    return render.concentration_csv(concentration(session, who, rcc_id))


def equality_csv(session: Session, who: Principal, rcc_id: int, start, end, la_code=None) -> str:
    from rcc.services import commissioning_render as render

    return render.equality_csv(equality(session, who, rcc_id, start, end, la_code))


def published_report_html(
    session: Session,
    who: Principal,
    rcc_id: int,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
    la_code: str | None = None,
    data_dir: Path | None = None,
) -> str:
    """The period's management-information report for the RCC (or one member LA): no child-level data,
    so nothing to audit. Built once per caller scope, arguments and day while the data are unchanged
    (any change to any record moves the ``data`` version), however many ask for it."""
    from rcc.services import commissioning_render as render

    def build() -> str:
        cost = cost_of_care(session, who, rcc_id, period_start, period_end, la_code)
        outs = outcomes(session, who, rcc_id, period_start, period_end, la_code, data_dir)
        eq = equality(session, who, rcc_id, period_start, period_end, la_code)
        conc = concentration(session, who, rcc_id) if cost["la_code"] is None else None
        return render.published_report_html(cost, outs, eq, conc)

    scope = (who.role, who.rcc_id, who.la_id, who.provider_id, who.rcc_la_ids)
    key = ("published_report", scope, rcc_id, period_start, period_end, la_code, str(data_dir), dt.date.today())
    return _REPORTS.get(session, key, build)


_REPORTS = VersionedCache(maxsize=32, version=versions.DATA)


def stress_test_view(job) -> dict[str, Any]:
    return {
        "id": job.id,
        "status": job.status,
        "params": dict(job.params or {}),
        "error": job.error,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "report": job.result if job.status == "succeeded" else None,
    }


def stress_test_html(session: Session, who: Principal, job_id: str) -> str:
    from rcc.services import commissioning_render as render

    view = stress_test_view(get_stress_test(session, who, job_id))
    view = {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in view.items()}
    return render.stress_test_html(view)
