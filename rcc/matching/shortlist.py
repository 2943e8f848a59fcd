"""Placement matching in the service: the register's rows as the matching library's dataclasses,
per-RCC policy, shortlists, an officer's own choice scored, region-wide runs as persisted jobs,
offers to providers, and the unmet-need evidence sufficiency planning counts.

Decisions (documented here because the library leaves them to the service):

* **Free places** of a home = registered places - placements holding a place (not ended on the
  matching date, including placements accepted to start later: a booked place is taken). Where the provider has declared vacancies for the
  home, the declared places available on or before the matching date *cap* that number
  (``min(registered - occupied, declared)``): a provider who declares vacancies is telling us how
  many of its registered places it will actually fill. A home with no vacancy rows at all is taken
  at its registered capacity (many foster households never declare vacancies). A vacancy dated in
  the future therefore means "no place yet". An accepted offer uses up the declared places.
* **Resident ages** come from those placements (current and booked); a home with none has
  ``()`` ("nobody else lives there"). Carers' own children are not in the register, which is why
  every proposal goes to the provider as an offer they may decline.
* **Home LA** of a child is the responsible LA (the LA that looks after the child); the DfE
  "outside LA boundary" measure is relative to it.
* **Regional median fee** per home type: the policy's ``median_weekly_fee`` where the RCC set
  it, else the library computes it over the homes given to the call (the candidate homes).
* **Policy** for a shortlist: the RCC given in ``rcc``, else the RCC the referral's LA belongs to,
  else the library defaults.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, joinedload

import matching as mlib
from api_schemas.matching import ChoiceIn
from rcc import audit
from rcc.auth import Principal, Role
from rcc.cache import VersionedCache
from rcc.db.models import (
    Home,
    Rcc,
    Referral,
)
from rcc.errors import Conflict, FieldProblem, Forbidden, Invalid, NotFound
from rcc.matching.adapters import Supply, _member_las, la_codes, load_supply, rcc_of_la, to_referral
from rcc.matching.policy import policy_for_rcc
from rcc.pagination import get_or_404

log = logging.getLogger("rcc.matching")


OPEN_STATUSES = ("open", "offered")


SHORTLIST_MAX = 100


CHOICE_BEST_TIME_LIMIT_S = 2.0


def _referral_for(
    session: Session, who: Principal, referral_id: int, *, with_children: bool = False
) -> Referral:
    """The referral if ``who`` may see it; ``with_children`` loads its children in the same query."""
    if who.role is Role.PROVIDER:
        raise Forbidden("providers see offers made to them, not referrals")
    options = [joinedload(Referral.children)] if with_children else []
    ref = session.get(Referral, referral_id, options=options)
    if ref is None or not who.can_see_la(ref.la_id):
        raise NotFound("referral", referral_id)
    return ref


def _open_referral(session: Session, who: Principal, referral_id: int) -> Referral:
    ref = _referral_for(session, who, referral_id, with_children=True)
    if ref.status not in OPEN_STATUSES:
        raise Conflict(f"referral {referral_id} is {ref.status}; only open referrals are matched")
    return ref


def _unusable(exclusions: Iterable[mlib.Exclusion], referral_id: int) -> Invalid:
    """A referral the matching library cannot use, as a 422 naming each bad field
    (e.g. ``children[0].age_years``)."""
    problems = [FieldProblem(x.field, x.reason) for x in exclusions]
    first = f": {problems[0].field} {problems[0].message}" if problems else ""
    return Invalid(f"referral {referral_id} cannot be matched{first}", details=problems)


def _usable_referral(ref: Referral, codes: dict[int, str], on: dt.date) -> mlib.Referral:
    """The referral as the library sees it; :class:`Invalid` naming the field when it is unusable."""
    lref = to_referral(ref, codes, on)
    problems = mlib.check_referral(lref)
    if problems:
        raise _unusable(problems, ref.id)
    return lref


def _contribs(contributions: Iterable[mlib.Contribution]) -> list[dict[str, Any]]:
    return [
        {
            "term": c.term,
            "points": c.points,
            "text": c.text,
            "child_id": int(c.child_id) if c.child_id is not None else None,
        }
        for c in contributions
    ]


def _explanation(contributions: Iterable[mlib.Contribution], several: bool) -> list[str]:
    ordered = sorted(contributions, key=lambda c: (-c.points, c.term))
    return [(f"Child {c.child_id}: {c.text}" if several and c.child_id else c.text) for c in ordered]


@dataclass(frozen=True)
class _Scope:
    la_ids: list[int] | None
    policy_rcc_id: int | None


def _scope(session: Session, ref: Referral, rcc_id: int | None) -> _Scope:
    """The homes to consider and the RCC whose policy applies (the policy itself is read with the
    prepared register, which is cached on the same version counter that policies bump)."""
    if rcc_id is not None:
        get_or_404(session, Rcc, rcc_id, "rcc")
        return _Scope(_member_las(session, rcc_id), rcc_id)
    return _Scope(None, rcc_of_la(session, ref.la_id))


@dataclass(frozen=True)
class _Register:
    codes: dict[int, str]
    supply: Supply
    policy: mlib.Policy
    prepared: Any


_REGISTERS = VersionedCache(maxsize=16)


def _prepared_register(session: Session, scope: _Scope, on: dt.date) -> _Register:
    """The scope's homes as the library sees them, the RCC's policy, and the library's prepared arrays
    over them, from this process's cache while the register version is unchanged (rebuilt after any
    change to a home, vacancy, placement, child or policy, in any process)."""
    las = tuple(sorted(scope.la_ids)) if scope.la_ids is not None else None
    key = ("shortlist", las, scope.policy_rcc_id, on)

    def build() -> _Register:
        codes = la_codes(session)
        supply = load_supply(session, scope.la_ids, on, codes=codes)
        policy = policy_for_rcc(session, scope.policy_rcc_id)
        return _Register(codes, supply, policy, mlib.prepare(supply.homes, policy))

    return _REGISTERS.get(session, key, build)


def shortlist(
    session: Session, who: Principal, referral_id: int, top_n: int = 10, rcc_id: int | None = None
) -> dict[str, Any]:
    """Ranked top N homes for the referral (the whole group in one home), each factor's
    contribution in plain words, and why every other home was excluded."""
    t0 = time.perf_counter()
    if not 1 <= top_n <= SHORTLIST_MAX:
        raise Invalid(f"top_n must be 1 to {SHORTLIST_MAX}", "top_n")
    ref = _open_referral(session, who, referral_id)
    scope = _scope(session, ref, rcc_id)
    today = dt.date.today()
    reg = _prepared_register(session, scope, today)
    supply = reg.supply
    lref = _usable_referral(ref, reg.codes, today)
    try:
        result = mlib.shortlist(lref, supply.homes, reg.policy, top_n, prepared=reg.prepared)
    except mlib.InvalidInput as exc:  # the library's own check: still the caller's data, never a 500
        raise _unusable(exc.exclusions, ref.id) from None
    several = lref.size > 1
    entries = []
    for e in result.entries:
        hi = supply.info[int(e.home_id)]
        entries.append(
            {
                "rank": e.rank,
                "home_id": hi.id,
                "home_name": hi.name,
                "home_type": hi.home_type,
                "provider_id": hi.provider_id,
                "la_code": hi.la_code,
                "free_places": hi.free_places,
                "weekly_fee": hi.weekly_fee,
                "points": e.points,
                "miles": e.miles,
                "contributions": _contribs(e.contributions),
                "explanation": _explanation(e.contributions, several),
            }
        )
    audit.record(session, who, "read", "child", [c.id for c in ref.children], detail=f"shortlist {ref.id}")
    return {
        "referral_id": ref.id,
        "policy_rcc_id": scope.policy_rcc_id,
        "homes_considered": len(supply.homes),
        "eligible_total": result.eligible_total,
        "excluded_total": result.excluded_total,
        "excluded": dict(result.excluded),
        "summary": f"{result.summary}; points are penalties, so lower is better",
        "points_note": POINTS_NOTE,
        "factor_order": factor_order(e.contributions for e in result.entries),
        "entries": entries,
        "elapsed_ms": round((time.perf_counter() - t0) * 1000, 1),
    }


POINTS_NOTE = "points are penalties: lower is better; 0 is a perfect match"


def factor_order(per_entry: Iterable[Iterable[mlib.Contribution]]) -> list[str]:
    """The soft factors that weighed on this shortlist, heaviest first (total points over its entries)."""
    totals: dict[str, int] = {}
    for contributions in per_entry:
        for c in contributions:
            totals[c.term] = totals.get(c.term, 0) + c.points
    return [t for t, p in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0])) if p > 0]


def _scored(report: mlib.ValidationReport, home_ids: dict[int, int]) -> dict[str, Any]:
    violations = [
        {
            "rule": v.rule,
            "home_id": int(v.home_id) if v.home_id and v.home_id.isdigit() else None,
            "child_id": int(v.child_id) if v.child_id and v.child_id.isdigit() else None,
            "reason": v.reason,
        }
        for v in report.violations
    ]
    by_rule = {rule: [v.reason for v in vs] for rule, vs in report.by_rule().items()}
    contribs = [c for m in report.matches for c in m.contributions]
    contribs += [mlib.Contribution("unmatched", u.points, "; ".join(u.reasons)) for u in report.unmatched]
    return {
        "home_ids": home_ids,
        "ok": report.ok,
        "objective": report.objective,
        "violations": violations,
        "violations_by_rule": by_rule,
        "contributions": _contribs(contribs),
    }


def validate_choice(
    session: Session, who: Principal, referral_id: int, data: ChoiceIn, rcc_id: int | None = None
) -> dict[str, Any]:
    """Hard-rule violations (by rule name) and the objective of the officer's own choice, side by
    side with the optimiser's best proposal for the same referral under the same policy."""
    ref = _open_referral(session, who, referral_id)
    child_ids = {c.id for c in ref.children}
    for cid, hid in data.home_ids.items():
        if cid not in child_ids:
            raise Invalid(f"child {cid} is not on referral {ref.id}", f"home_ids.{cid}")
        if session.get(Home, hid) is None:
            raise Invalid(f"home {hid} not found", f"home_ids.{cid}")
    scope = _scope(session, ref, rcc_id)
    policy = policy_for_rcc(session, scope.policy_rcc_id)
    today = dt.date.today()
    codes = la_codes(session)
    supply = load_supply(
        session, scope.la_ids, today, extra_home_ids=set(data.home_ids.values()), codes=codes
    )
    lref = _usable_referral(ref, codes, today)
    chosen = {str(c): str(h) for c, h in data.home_ids.items()}
    mine = mlib.validate(chosen, [lref], supply.homes, policy)
    best = mlib.solve([lref], supply.homes, policy, time_limit_s=CHOICE_BEST_TIME_LIMIT_S)
    best_map = best.assignment.as_dict()
    best_scored = None
    if best_map:
        best_report = mlib.validate(best_map, [lref], supply.homes, policy)
        best_scored = _scored(best_report, {int(c): int(h) for c, h in best_map.items()})
    diff = mine.objective - best_scored["objective"] if best_scored else None
    if not mine.ok:
        rules = ", ".join(sorted(mine.by_rule()))
        summary = f"Your choice breaks hard rule(s): {rules}."
    else:
        summary = f"Your choice meets every hard rule and scores {mine.objective} points."
    if best_scored is None:
        summary += " The optimiser found no eligible home for this referral."
    elif diff == 0:
        summary += " It is as good as the best proposal."
    elif diff is not None and diff > 0:
        summary += f" The best proposal scores {best_scored['objective']} ({diff} fewer points)."
    else:
        summary += f" The best proposal scores {best_scored['objective']}."
    audit.record(session, who, "read", "child", sorted(child_ids), detail=f"choice checked {ref.id}")
    return {
        "referral_id": ref.id,
        "choice": _scored(mine, dict(data.home_ids)),
        "best": best_scored,
        "best_status": best.status.value,
        "difference": diff,
        "summary": summary,
    }
