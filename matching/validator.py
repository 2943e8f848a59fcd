"""Solver-independent validation and scoring of any assignment (also a human's choice).

:func:`validate` checks every placed group of children against the hard rules
(violations are reported by rule name), checks that homes are not over-filled and
sibling groups are not left half-placed, and scores the assignment with the same
objective the optimiser minimises, so a placement officer can compare their choice
with the proposal term by term.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from matching.domain import (
    Assignment,
    Contribution,
    Home,
    Placement,
    Policy,
    Referral,
    ReferralMatch,
    Unmatched,
    ValidationReport,
    Violation,
)
from matching.rules.hard import all_failures
from matching.rules.soft import SIBLINGS_TOGETHER, UNMATCHED, ScoringContext, make_context, pair_contributions


def score_referral(ref: Referral, placed: Mapping[str, Home], ctx: ScoringContext) -> ReferralMatch:
    """Contributions of every objective term for a referral whose children are placed
    as ``placed`` (child id -> home)."""
    contribs: list[Contribution] = []
    placements = []
    for child in ref.children:
        home = placed.get(child.id)
        if home is None:
            continue
        placements.append(Placement(child.id, home.id))
        contribs.extend(pair_contributions(child, home, ctx))
    n_homes = len({h.id for h in placed.values()})
    split = n_homes > 1
    if split:
        contribs.append(Contribution(SIBLINGS_TOGETHER.name, SIBLINGS_TOGETHER.points(ref, ctx.policy),
                                     SIBLINGS_TOGETHER.explain(ref, ctx.policy, n_homes)))
    return ReferralMatch(ref.id, tuple(placements), split, sum(c.points for c in contribs), tuple(contribs))


def validate(assignment: Assignment | Mapping[str, str], referrals: Iterable[Referral], homes: Iterable[Home],
             policy: Policy | None = None, *, distance=None) -> ValidationReport:
    """Check ``assignment`` (child id -> home id) against the hard rules and score it.

    Violation rule names are the hard rules' names plus ``capacity`` (a home given more
    children than free places, across referrals), ``whole_group`` (only some siblings
    of a referral placed) and ``unknown`` (an id not in the inputs). The objective
    counts every referral: placed ones by their soft terms, unplaced ones by the
    unmatched penalty; half-placed groups are scored as placed (and flagged).
    """
    policy = policy or Policy()
    homes = tuple(homes)
    referrals = tuple(referrals)
    ctx = make_context(policy, homes, distance)
    by_id = {h.id: h for h in homes}
    amap = assignment.as_dict() if isinstance(assignment, Assignment) else dict(assignment)
    violations: list[Violation] = []
    known_children = set()
    load: dict[str, int] = {}
    matches, unmatched = [], []
    total = 0
    for ref in referrals:
        placed: dict[str, Home] = {}
        for child in ref.children:
            known_children.add(child.id)
            hid = amap.get(child.id)
            if hid is None:
                continue
            home = by_id.get(hid)
            if home is None:
                violations.append(Violation("unknown", ref.id, hid, child.id, f"unknown home {hid}"))
                continue
            placed[child.id] = home
        if not placed:
            pts = UNMATCHED.points(ref, policy)
            total += pts
            unmatched.append(Unmatched(ref.id, pts, (UNMATCHED.explain(ref, policy),)))
            continue
        if len(placed) < ref.size:
            violations.append(Violation("whole_group", ref.id, None, None,
                                        f"{len(placed)} of {ref.size} siblings placed"))
        groups: dict[str, list] = {}
        for child in ref.children:
            if child.id in placed:
                groups.setdefault(placed[child.id].id, []).append(child)
        for hid, kids in groups.items():
            load[hid] = load.get(hid, 0) + len(kids)
            for rule, why in all_failures(ref, tuple(kids), by_id[hid], policy):
                cid = kids[0].id if len(kids) == 1 else None
                violations.append(Violation(rule, ref.id, hid, cid, why))
        match = score_referral(ref, placed, ctx)
        total += match.points
        matches.append(match)
    for hid, n in load.items():
        if n > by_id[hid].free_places:
            violations.append(Violation("capacity", "*", hid, None,
                                        f"{n} children placed, {by_id[hid].free_places} free place(s)"))
    for cid in amap:
        if cid not in known_children:
            violations.append(Violation("unknown", "*", amap[cid], cid, f"unknown child {cid}"))
    return ValidationReport(tuple(violations), total, tuple(matches), tuple(unmatched))
