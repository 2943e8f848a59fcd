"""Baselines: today's practice, sequential first-come-first-served to the nearest home.

:func:`greedy_nearest` takes referrals in the order given (first come, first served)
and gives each the *nearest* eligible home with room for the whole group; if there is
none and a split is allowed, each sibling gets the nearest eligible home with room
(within the split radius). It sees the same hard rules as the optimiser (through the
rule classes, not the optimiser's arrays) and is scored by the same objective (through
:func:`matching.validator.validate`). Unusable records are left out, as in ``solve``.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from matching.candidates import _REST, PreparedHomes, prefilter
from matching.distance import DistanceSource
from matching.domain import Assignment, ChildProfile, Home, MatchResult, Policy, Referral, Status, Unmatched
from matching.inputs import split_valid
from matching.rules.hard import first_failure
from matching.rules.soft import make_context
from matching.validator import validate


def _nearest_with_room(
    ph: PreparedHomes,
    ref: Referral,
    children: tuple[ChildProfile, ...],
    policy: Policy,
    left: np.ndarray,
    exclude: set[int] | None = None,
) -> int | None:
    idx = np.flatnonzero(prefilter(ph, ref, children) & (left >= len(children)))
    if len(idx) == 0:
        return None
    c = children[0]
    miles = ph.ctx.distance.miles_many(c.home_easting, c.home_northing, ph.e[idx], ph.n[idx])
    for hi in idx[np.argsort(miles, kind="stable")]:
        if exclude and hi in exclude:
            continue
        if first_failure(ref, children, ph.homes[hi], policy, _REST) is None:
            return int(hi)
    return None


def greedy_pairs(ph: PreparedHomes, referrals: Iterable[Referral], policy: Policy) -> dict[str, str]:
    """Child id -> home id chosen first-come-first-served, nearest eligible home with room."""
    left = ph.free.copy()
    pairs: dict[str, str] = {}
    for ref in referrals:
        hi = _nearest_with_room(ph, ref, ref.children, policy, left)
        if hi is not None:
            left[hi] -= ref.size
            for c in ref.children:
                pairs[c.id] = ph.homes[hi].id
            continue
        if ref.size > 1 and policy.allow_split and ref.allow_split:
            picks: list[int] = []
            for c in ref.children:
                hj = _nearest_with_room(ph, ref, (c,), policy, left, exclude=set(picks))
                if hj is None:
                    break
                picks.append(hj)
                left[hj] -= 1
            if len(picks) == ref.size:
                for c, hj in zip(ref.children, picks, strict=True):
                    pairs[c.id] = ph.homes[hj].id
            else:
                for hj in picks:
                    left[hj] += 1
    return pairs


def greedy_nearest(
    referrals: Iterable[Referral],
    homes: Iterable[Home],
    policy: Policy | None = None,
    *,
    distance: DistanceSource | None = None,
    prepared: PreparedHomes | None = None,
) -> MatchResult:
    """First-come-first-served, nearest eligible home (the usual manual practice)."""
    policy = policy or Policy()
    refs, good_homes, excluded = split_valid(referrals, homes)
    if prepared is not None and len(prepared.homes) != len(good_homes):
        prepared = None
    ph = prepared or PreparedHomes(good_homes, make_context(policy, good_homes, distance))
    pairs = greedy_pairs(ph, refs, policy)
    report = validate(Assignment.of(pairs), refs, ph.homes, policy, distance=distance)
    unmatched = tuple(
        Unmatched(
            u.referral_id,
            u.points,
            u.reasons + ("No eligible home with room when its turn came (first come, first served)",),
        )
        for u in report.unmatched
    )
    return MatchResult(
        Status.FEASIBLE,
        report.objective,
        None,
        None,
        report.matches,
        unmatched,
        {"backend": "greedy_nearest", "violations": len(report.violations)},
        excluded,
    )
