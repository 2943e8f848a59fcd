"""Shortlist: the top N homes for one referral, each factor's contribution in plain words,
and a summary of why the other homes were excluded."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from matching.candidates import PreparedHomes, exclusion_counts, ranking_cost
from matching.distance import DistanceSource
from matching.domain import Home, Policy, Referral, Shortlist, ShortlistEntry
from matching.inputs import InvalidInput, check_referral, split_valid
from matching.reasons import summarise_exclusions
from matching.rules.soft import make_context, pair_contributions


def prepare(
    homes: Iterable[Home], policy: Policy | None = None, distance: DistanceSource | None = None
) -> PreparedHomes:
    """Precompute the register's column arrays once, to reuse across many shortlists and
    solves. Unusable homes (:mod:`matching.inputs`) are left out."""
    _, good, _ = split_valid((), homes)
    policy = policy or Policy()
    return PreparedHomes(good, make_context(policy, good, distance))


def shortlist(
    referral: Referral,
    homes: Iterable[Home],
    policy: Policy | None = None,
    top_n: int = 10,
    *,
    distance: DistanceSource | None = None,
    prepared: PreparedHomes | None = None,
) -> Shortlist:
    """Rank the eligible homes for ``referral`` (the whole group in one home) by penalty.

    Every home not eligible is counted once, under the first hard rule it fails, in the
    summary, e.g. "212 homes excluded: 140 no free place, 51 age range, 21 needs".
    Pass ``prepared`` (from :func:`prepare`) to reuse the register across calls; it
    must have been prepared with the same policy. An unusable referral raises
    :class:`~matching.inputs.InvalidInput` naming the field; unusable homes are left out.
    """
    problems = check_referral(referral)
    if problems:
        raise InvalidInput(problems)
    policy = policy or Policy()
    ph = prepared or prepare(homes, policy, distance)
    counts, eligible = exclusion_counts(ph, referral, referral.children, policy)
    entries: list[ShortlistEntry] = []
    if len(eligible):
        cost = np.zeros(len(eligible), dtype=np.int64)
        for c in referral.children:
            cost += ranking_cost(ph, c, eligible)[0]
        k = min(len(eligible), max(top_n * 2, top_n + 5))
        top = eligible[np.argpartition(cost, k - 1)[:k]] if k < len(eligible) else eligible
        scored: list[tuple[int, str, float, tuple]] = []
        ctx = ph.ctx
        for hi in top:
            home = ph.homes[hi]
            contribs = tuple(x for c in referral.children for x in pair_contributions(c, home, ctx))
            miles = ctx.facts(referral.children[0], home).miles_home
            scored.append((sum(x.points for x in contribs), home.id, miles, contribs))
        scored.sort(key=lambda t: (t[0], t[1]))
        entries = [
            ShortlistEntry(i + 1, hid, pts, round(miles, 1), contribs)
            for i, (pts, hid, miles, contribs) in enumerate(scored[:top_n])
        ]
    excluded_total = sum(counts.values())
    summary = f"{len(eligible)} eligible; {summarise_exclusions(counts)}"
    return Shortlist(referral.id, tuple(entries), dict(counts), excluded_total, summary, len(eligible))
