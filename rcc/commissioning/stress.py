"""The market stress test (a persisted job): what if a provider group left the market?"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import matching
from api_schemas.vocab import Urgency
from rcc import audit, occupancy
from rcc.auth import Principal, Role
from rcc.commissioning import stats as st
from rcc.commissioning.scope import resolve_scope
from rcc.db import transaction
from rcc.db.models import Child, Home, LocalAuthority, Placement, Provider, Rcc
from rcc.errors import Forbidden, Invalid
from rcc.jobs import queue as jobs
from rcc.matching import interface as matching_api
from rcc.owner_groups import resolver

STRESS_KIND = jobs.STRESS_TEST


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
    canonical = resolver(session)
    key = canonical(owner_group) or owner_group.strip()
    ids = [
        pid
        for pid, group in session.execute(
            select(Provider.id, Provider.owner_group).where(Provider.owner_group.is_not(None))
        )
        if canonical(group) == key
    ]
    if ids:
        return sorted(ids)
    for pid, name, group in session.execute(
        select(Provider.id, Provider.name, Provider.owner_group).where(Provider.owner_group.is_(None))
    ):
        if st.owner_group_key(group, name, pid) == owner_group.strip():
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
    loaded = matching_api.load_supply(session, scope.member_ids, as_of, codes=codes)
    supply = [h for h in area_homes if h.provider_id not in exiting and h.registration_status == "active"]
    keep = {str(h.id) for h in supply}
    m_homes = [mh for mh in loaded.homes if mh.id in keep]
    if capacity == "registered":  # ignore declared vacancies: every registered place not taken
        # taken = the most places held on any day from as_of (current and booked placements), as
        # rcc.occupancy counts them for every path that makes a placement
        loads = occupancy.load(session, [(h.id, h.registered_places) for h in supply], as_of)
        m_homes = [
            dataclasses.replace(mh, free_places=max(loads[int(mh.id)].free_places, 0)) for mh in m_homes
        ]
    spare = {int(mh.id): mh.free_places for mh in m_homes}
    policy = matching_api.policy_for_rcc(session, rcc_id)

    # referrals: one per child, or per affected sibling group
    groups: dict[str, list[tuple]] = defaultdict(list)
    for p, c, h in affected:
        groups[f"s:{c.la_id}:{c.sibling_group}" if c.sibling_group else f"c:{c.id}"].append((p, c, h))
    referrals = []
    for i, (_, members) in enumerate(sorted(groups.items())):
        kids = tuple(matching_api.child_profile(c, codes[c.la_id], as_of) for _, c, _ in members)
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
    table: list[dict[str, Any]] = []
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


def run_stress_test_job(ctx: jobs.JobContext) -> dict[str, Any]:
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
    from rcc.commissioning import render as render

    view = stress_test_view(get_stress_test(session, who, job_id))
    view = {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in view.items()}
    return render.stress_test_html(view)
