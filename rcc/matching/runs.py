"""Region-wide matching runs (persisted jobs) and the unmet need they record."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

import matching as mlib
from api_schemas.matching import MatchingRunIn
from rcc import audit
from rcc.auth import Principal, Role
from rcc.config import DEFAULT_MATCHING_TIME_LIMIT_S
from rcc.db.models import (
    Job,
    Rcc,
    Referral,
    ReferralChild,
    UnmetNeedRecord,
)
from rcc.errors import Conflict, Forbidden, Invalid
from rcc.jobs import queue as jobs
from rcc.matching.adapters import Supply, _member_las, la_codes, load_supply, to_referral
from rcc.matching.policy import _manage_rcc, policy_for_rcc
from rcc.matching.shortlist import OPEN_STATUSES, _contribs
from rcc.matching.unmet import upsert_unmet
from rcc.pagination import PageRequest, PageResult, get_or_404, paginate, resolve_la, with_la_codes

RUN_KIND = jobs.MATCHING_RUN


def submit_run(
    session: Session,
    who: Principal,
    data: MatchingRunIn,
    default_time_limit_s: float = DEFAULT_MATCHING_TIME_LIMIT_S,
) -> Job:
    """Queue a region-wide run; the solver's time limit is the request's, else ``default_time_limit_s``
    (the service's RCC_MATCHING_TIME_LIMIT_S), stored in the job's params."""
    _manage_rcc(session, who, data.rcc_id)
    members = set(_member_las(session, data.rcc_id))
    la_ids = None
    if data.la_codes is not None:
        la_ids = []
        for i, code in enumerate(data.la_codes):
            la = resolve_la(session, code, f"la_codes[{i}]")
            if la.id not in members:
                raise Invalid(f"{la.name} is not a member of this RCC", f"la_codes[{i}]")
            la_ids.append(la.id)
    if data.referral_ids is not None:
        for i, rid in enumerate(data.referral_ids):
            ref = session.get(Referral, rid)
            if ref is None or ref.la_id not in members:
                raise Invalid(f"referral {rid} is not a referral of this RCC", f"referral_ids[{i}]")
    params = {
        "rcc_id": data.rcc_id,
        "time_limit_s": data.time_limit_s or default_time_limit_s,
        "referral_ids": data.referral_ids,
        "la_ids": la_ids,
    }
    return jobs.submit(session, who, RUN_KIND, params, rcc_id=data.rcc_id)


def get_run(session: Session, who: Principal, run_id: str) -> Job:
    return jobs.get(session, who, run_id, RUN_KIND)


def cancel_run(session: Session, who: Principal, run_id: str) -> Job:
    return jobs.cancel(session, who, run_id, RUN_KIND)


def run_result(session: Session, who: Principal, run_id: str) -> dict[str, Any]:
    job = get_run(session, who, run_id)
    if job.status != "succeeded":
        extra = f": {job.error.splitlines()[-1]}" if job.status == "failed" and job.error else ""
        raise Conflict(f"matching run {run_id} is {job.status}; no result{extra}")
    result = dict(job.result or {})
    named = [p["child_id"] for a in result.get("assignments", []) for p in a.get("placements", [])]
    unplaced = [u["referral_id"] for u in result.get("unmatched", [])]
    if unplaced:
        named += list(
            session.scalars(select(ReferralChild.child_id).where(ReferralChild.referral_id.in_(unplaced)))
        )
    audit.record(session, who, "read", "child", named, detail=f"matching run {run_id} result")
    return result


@dataclass(frozen=True)
class _RunInput:
    referrals: tuple[mlib.Referral, ...]
    la_of_referral: dict[int, int]
    supply: Supply
    policy: mlib.Policy
    codes: dict[int, str]


def _run_input(session: Session, params: dict[str, Any], on: dt.date) -> _RunInput:
    rcc_id = params["rcc_id"]
    members = _member_las(session, rcc_id)
    ref_las = params.get("la_ids") or members
    stmt = (
        select(Referral)
        .where(Referral.la_id.in_(ref_las), Referral.status.in_(OPEN_STATUSES))
        .options(selectinload(Referral.children))
        .order_by(Referral.id)
    )
    if params.get("referral_ids") is not None:
        stmt = stmt.where(Referral.id.in_(params["referral_ids"]))
    refs = list(session.scalars(stmt))
    codes = la_codes(session)
    return _RunInput(
        tuple(to_referral(r, codes, on) for r in refs),  # the library excludes unusable ones, by field
        {r.id: r.la_id for r in refs},
        load_supply(session, members, on, codes=codes),
        policy_for_rcc(session, rcc_id),
        codes,
    )


def _unused_home(h: mlib.UnusedHome) -> dict[str, Any]:
    return {
        "home_id": int(h.home_id),
        "reason": h.reason.value,
        "free_after": h.free_after,
        "children": h.children,
        "taken_by": [int(r) for r in h.taken_by],
        "points": h.points,
        "text": h.text,
    }


UNMET_HOMES_LISTED = 5


def _unmet_detail(u: mlib.Unmatched) -> str:
    """The unmatched reasons, then the nearest-cost eligible homes not used and why (from the plan)."""
    detail = "; ".join(u.reasons[1:] or u.reasons)
    if u.homes:
        listed = "; ".join(f"home {h.home_id}: {h.text}" for h in u.homes[:UNMET_HOMES_LISTED])
        more = len(u.homes) - UNMET_HOMES_LISTED
        detail += f". Eligible homes not used: {listed}" + (f"; and {more} more" if more > 0 else "")
    return detail


def _excluded(x: mlib.Exclusion, la_code: dict[int, str]) -> dict[str, Any]:
    """An unusable record as the run result lists it (ids are the register's, always whole numbers)."""
    rid = int(x.record_id)
    return {
        "kind": x.kind,
        "id": rid,
        "la_code": la_code.get(rid) if x.kind == "referral" else None,
        "field": x.field,
        "reason": x.reason,
    }


def run_matching_job(ctx: jobs.JobContext) -> dict[str, Any]:
    """Load the RCC's open referrals and homes, solve jointly, store unmet need, return the result."""
    on = dt.date.today()
    with ctx.sessions() as s:
        inp = _run_input(s, ctx.params, on)
    base = {"run_id": ctx.job_id, "rcc_id": ctx.params["rcc_id"]}
    if ctx.cancelled():
        return {**base, "status": "cancelled"}
    prepared = mlib.prepare(inp.supply.homes, inp.policy)
    if inp.referrals:
        res = mlib.solve(
            inp.referrals,
            inp.supply.homes,
            inp.policy,
            time_limit_s=float(ctx.params.get("time_limit_s") or DEFAULT_MATCHING_TIME_LIMIT_S),
            prepared=prepared,
            stop=ctx.cancelled,  # a cancel ends the solve at its next check (pricing round, solver callback)
        )
        status, objective, bound, gap = res.status.value, res.objective, res.best_bound, res.gap
        matches, unmatched, stats, excluded = res.matches, res.unmatched, dict(res.stats), res.excluded
    else:
        status, objective, bound, gap, matches, unmatched, stats = "optimal", 0, 0.0, 0.0, (), (), {}
        excluded = ()
    if ctx.cancelled():
        return {**base, "status": "cancelled"}
    by_id = {r.id: r for r in inp.referrals}
    la_code = {rid: inp.codes[la] for rid, la in inp.la_of_referral.items()}
    assignments: list[dict[str, Any]] = [
        {
            "referral_id": int(m.referral_id),
            "la_code": la_code[int(m.referral_id)],
            "placements": [{"child_id": int(p.child_id), "home_id": int(p.home_id)} for p in m.placements],
            "split": m.split,
            "points": m.points,
            "contributions": _contribs(m.contributions),
        }
        for m in matches
    ]
    unmatched_out = []
    # the run's effects (unmet need, the audit trail) and its completion commit together, and only
    # while this worker still holds the job: a run re-tried after a crash never records them twice
    with ctx.transaction() as s:
        for u in unmatched:
            rid = int(u.referral_id)
            unmatched_out.append(
                {
                    "referral_id": rid,
                    "la_code": la_code[rid],
                    "points": u.points,
                    "reasons": list(u.reasons),
                    "homes": [_unused_home(h) for h in u.homes],
                }
            )
            eligible = mlib.shortlist(
                by_id[u.referral_id], inp.supply.homes, inp.policy, 1, prepared=prepared
            )
            kind = "no_eligible_home" if eligible.eligible_total == 0 else "no_place_left_in_run"
            upsert_unmet(
                s,
                referral_id=rid,
                la_id=inp.la_of_referral[rid],
                child_id=None,
                kind=kind,
                detail=_unmet_detail(u),
                distance_miles=None,
                matching_run_id=ctx.job_id,
                offer_id=None,
            )
        child_ids = [int(c.id) for r in inp.referrals for c in r.children]
        audit.record(s, ctx.principal, "read", "child", child_ids, detail=f"matching run {ctx.job_id}")
        clean_stats = {k: v for k, v in stats.items() if isinstance(v, int | float | str)}
        result = {
            **base,
            "status": status,
            "objective": objective,
            "bound": bound,
            "gap": gap,
            "referrals_considered": len(inp.referrals),
            "homes_considered": len(inp.supply.homes),
            "children_placed": sum(len(a["placements"]) for a in assignments),
            "assignments": assignments,
            "unmatched": unmatched_out,
            "excluded": [_excluded(x, la_code) for x in excluded],
            "stats": clean_stats,
        }
        ctx.complete(s, result)
    return result


def list_unmet_need(
    session: Session,
    who: Principal,
    page: PageRequest,
    *,
    rcc_id: int | None = None,
    la_code: str | None = None,
    kind: str | None = None,
) -> PageResult:
    if who.role is Role.PROVIDER:
        raise Forbidden("providers do not see children's referrals")
    stmt = select(UnmetNeedRecord).order_by(UnmetNeedRecord.id)
    visible = who.visible_la_ids()
    if visible is not None:
        stmt = stmt.where(UnmetNeedRecord.la_id.in_(visible))
    if rcc_id is not None:
        get_or_404(session, Rcc, rcc_id, "rcc")
        stmt = stmt.where(UnmetNeedRecord.la_id.in_(_member_las(session, rcc_id)))
    if la_code:
        stmt = stmt.where(UnmetNeedRecord.la_id == resolve_la(session, la_code, "la").id)
    if kind:
        stmt = stmt.where(UnmetNeedRecord.kind == kind)
    result = paginate(session, stmt, page)
    named = [r.child_id for r in result.items if r.child_id is not None]
    whole = [r.referral_id for r in result.items if r.child_id is None]
    if whole:  # a record about a whole referral names its children through it
        named += list(
            session.scalars(select(ReferralChild.child_id).where(ReferralChild.referral_id.in_(whole)))
        )
    audit.record(session, who, "read", "child", named, detail="unmet need")
    return with_la_codes(session, result)
