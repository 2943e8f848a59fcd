"""Solver-independent validation and scoring of any assignment (also a human's choice).

:func:`validate` checks every placed group of children against the hard rules
(violations are reported by rule name), checks that homes are not over-filled and
sibling groups are not left half-placed, and scores the assignment with the same
objective the optimiser minimises, so a placement officer can compare their choice
with the proposal term by term.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from matching.distance import DistanceSource
from matching.domain import (
    Assignment,
    ChildProfile,
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
from matching.inputs import split_valid
from matching.rules.group import SIBLINGS_TOGETHER, SPLIT_APART, UNMATCHED
from matching.rules.hard import all_failures
from matching.rules.soft import (
    ScoringContext,
    make_context,
    pair_contributions,
)


def score_referral(ref: Referral, placed: Mapping[str, Home], ctx: ScoringContext) -> ReferralMatch:
    """Contributions of every objective term for a referral whose children are placed
    as ``placed`` (child id -> home)."""
    contribs: list[Contribution] = []
    placements: list[Placement] = []
    for child in ref.children:
        home = placed.get(child.id)
        if home is None:
            continue
        placements.append(Placement(child.id, home.id))
        contribs.extend(pair_contributions(child, home, ctx))
    by_home: dict[str, list[str]] = {}
    for cid, h in placed.items():
        by_home.setdefault(h.id, []).append(cid)
    n_homes = len(by_home)
    split = n_homes > 1
    if split:
        contribs.append(
            Contribution(
                SIBLINGS_TOGETHER.name,
                SIBLINGS_TOGETHER.points(ref, ctx.policy),
                SIBLINGS_TOGETHER.explain(ref, ctx.policy, n_homes),
            )
        )
        homes = {h.id: h for h in placed.values()}
        contribs.extend(
            SPLIT_APART.contributions([(homes[hid], len(kids)) for hid, kids in by_home.items()], ctx)
        )
    return ReferralMatch(ref.id, tuple(placements), split, sum(c.points for c in contribs), tuple(contribs))


def validate(
    assignment: Assignment | Mapping[str, str],
    referrals: Iterable[Referral],
    homes: Iterable[Home],
    policy: Policy | None = None,
    *,
    distance: DistanceSource | None = None,
) -> ValidationReport:
    """Check ``assignment`` (child id -> home id) against the hard rules and score it.

    Violation rule names are the hard rules' names plus ``capacity`` (a home given more
    children than free places, across referrals), ``whole_group`` (only some siblings
    of a referral placed) and ``unknown`` (an id not in the inputs). The objective
    counts every referral: placed ones by their soft terms, unplaced ones by the
    unmatched penalty; half-placed groups are scored as placed (and flagged). Unusable
    records (see :mod:`matching.inputs`) are left out and reported as ``invalid``
    violations naming the field.
    """
    policy = policy or Policy()
    all_refs, all_homes = tuple(referrals), tuple(homes)
    referrals, homes, excluded = split_valid(all_refs, all_homes)
    ctx = make_context(policy, homes, distance)
    by_id = {h.id: h for h in homes}
    amap = assignment.as_dict() if isinstance(assignment, Assignment) else dict(assignment)
    violations: list[Violation] = [
        Violation(
            "invalid",
            x.record_id if x.kind == "referral" else "*",
            x.record_id if x.kind == "home" else None,
            None,
            f"{x.kind} {x.record_id}: {x.field}: {x.reason}",
        )
        for x in excluded
    ]
    known_children = {c.id for r in all_refs for c in r.children}  # excluded ones are not "unknown"
    bad_homes = {x.record_id for x in excluded if x.kind == "home"}
    load: dict[str, int] = {}
    matches: list[ReferralMatch] = []
    unmatched: list[Unmatched] = []
    total = 0
    for ref in referrals:
        placed: dict[str, Home] = {}
        for child in ref.children:
            hid = amap.get(child.id)
            if hid is None:
                continue
            home = by_id.get(hid)
            if home is None and hid in bad_homes:
                violations.append(Violation("invalid", ref.id, hid, child.id, f"home {hid} is not usable"))
                continue
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
            violations.append(
                Violation("whole_group", ref.id, None, None, f"{len(placed)} of {ref.size} siblings placed")
            )
        groups: dict[str, list[ChildProfile]] = {}
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
            violations.append(
                Violation(
                    "capacity", "*", hid, None, f"{n} children placed, {by_id[hid].free_places} free place(s)"
                )
            )
    for cid in amap:
        if cid not in known_children:
            violations.append(Violation("unknown", "*", amap[cid], cid, f"unknown child {cid}"))
    return ValidationReport(tuple(violations), total, tuple(matches), tuple(unmatched))
