"""Candidate generation: which (referral or child, home) pairs enter the model, and at what cost.

The hard-rule classes in :mod:`matching.rules.hard` and the soft-term classes in
:mod:`matching.rules.soft` are the only authority on eligibility and cost. To scale
to a national register this module adds a vectorised *pre-filter* (numpy) that
implements necessary conditions only - it may keep an ineligible home, never drop
an eligible one (a property test checks this) - and a vectorised *ranking cost*
that mirrors the soft terms (tested equal). Homes are scanned in ranking order and
each is checked with the real rules and priced with the real terms, until the K
best eligible homes are found.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from api_schemas.vocab import (
    FAMILY_BASED,
    HOME_TYPE_CATEGORY,
    HomeType,
    Need,
    OfstedJudgement,
    PlacementCategory,
    RegistrationStatus,
    Sex,
    Suitability,
)
from matching.distance import METRES_PER_MILE
from matching.domain import ChildProfile, Home, Policy, Referral
from matching.rules.hard import HARD_RULES, first_failure
from matching.rules.soft import SCARCE_SPECIALISMS, ScoringContext, pair_points

NEED_BIT = {n: 1 << i for i, n in enumerate(Need)}
SEX_BIT = {Sex.MALE: 1, Sex.FEMALE: 2}
CATS = list(PlacementCategory)
CAT_CODE = {c: i for i, c in enumerate(CATS)}
_POPCOUNT = np.array([bin(i).count("1") for i in range(1 << len(Need))], dtype=np.int64)
_SUPPORTED = (HomeType.SUPPORTED_ACCOMMODATION, HomeType.SUPPORTED_LODGINGS)


def need_mask(needs) -> int:
    m = 0
    for n in needs:
        m |= NEED_BIT[n]
    return m


SCARCE_MASK = need_mask(SCARCE_SPECIALISMS)
SIBLING_BIT = NEED_BIT[Need.SIBLING_GROUP]


@dataclass
class PreparedHomes:
    """Column arrays over a list of homes, built once per call (or reused by the caller)."""

    homes: tuple[Home, ...]
    ctx: ScoringContext
    e: np.ndarray = field(init=False)
    n: np.ndarray = field(init=False)

    def __post_init__(self):
        hs = self.homes
        p = self.ctx.policy
        self.index = {h.id: i for i, h in enumerate(hs)}
        self.e = np.array([h.easting for h in hs], dtype=float)
        self.n = np.array([h.northing for h in hs], dtype=float)
        self.free = np.array([h.free_places for h in hs], dtype=np.int64)
        self.age_min = np.array([h.age_min for h in hs], dtype=np.int64)
        self.age_max = np.array([h.age_max for h in hs], dtype=np.int64)
        self.sex = np.array([sum(SEX_BIT[s] for s in h.sexes) for h in hs], dtype=np.int64)
        self.quality_ok = np.array([h.registration is RegistrationStatus.ACTIVE
                                    and h.judgement is not OfstedJudgement.INADEQUATE for h in hs], dtype=bool)
        self.cat = np.array([CAT_CODE[HOME_TYPE_CATEGORY[h.home_type]] for h in hs], dtype=np.int64)
        self.supported = np.array([h.home_type in _SUPPORTED for h in hs], dtype=bool)
        self.secure = np.array([h.home_type is HomeType.SECURE_CHILDRENS_HOME for h in hs], dtype=bool)
        self.family = np.array([h.home_type in FAMILY_BASED for h in hs], dtype=bool)
        self.needs = np.array([need_mask(h.needs_met) for h in hs], dtype=np.int64)
        las = sorted({h.la for h in hs})
        self.la_code = {la: i for i, la in enumerate(las)}
        self.la = np.array([self.la_code[h.la] for h in hs], dtype=np.int64)
        jpts = {OfstedJudgement.OUTSTANDING: p.ofsted_outstanding, OfstedJudgement.GOOD: p.ofsted_good,
                OfstedJudgement.NOT_YET_INSPECTED: p.ofsted_not_yet_inspected,
                OfstedJudgement.REQUIRES_IMPROVEMENT: p.ofsted_requires_improvement}
        med = self.ctx.median_fee
        fee_pts = []
        for h in hs:
            m = med.get(h.home_type)
            fee_pts.append(0 if m is None or h.weekly_fee <= m
                           else int(round((h.weekly_fee - m) / p.fee_pounds_per_point)))
        self.home_pts = np.array([jpts.get(h.judgement, 0) for h in hs], dtype=np.int64) + np.array(
            fee_pts, dtype=np.int64)
        self.scarce_pop = self.needs & SCARCE_MASK


def prefilter_stages(ph: PreparedHomes, referral: Referral, children: tuple[ChildProfile, ...]
                     ) -> list[tuple[str, np.ndarray]]:
    """Vectorised versions of the first hard rules, in :data:`HARD_RULES` order.

    Returns (rule name, boolean mask of homes that pass that rule). For these rules the
    vectorised test is exact, so counting first failures stage by stage gives the same
    exclusion summary as running the rule classes home by home.
    """
    ages = [c.age_years for c in children]
    lo, hi = min(ages), max(ages)
    stages = [("capacity", ph.free >= len(children)), ("quality", ph.quality_ok),
              ("age_range", (ph.age_min <= lo) & (ph.age_max >= hi))]
    sex_ok = np.ones(len(ph.homes), dtype=bool)
    for c in children:
        sex_ok &= (ph.sex & SEX_BIT[c.sex]) != 0
    stages.append(("sex", sex_ok))
    type_ok = np.ones(len(ph.homes), dtype=bool)
    if lo < 16 or hi > 17:
        type_ok &= ~ph.supported
    if lo < 10:
        type_ok &= ~ph.secure
    stages.append(("home_type_age", type_ok))
    care_ok = np.ones(len(ph.homes), dtype=bool)
    needed = 0
    for c in children:
        needed |= need_mask(c.needs)
        for cat, s in c.suitability:
            if s is Suitability.UNSUITABLE:
                care_ok &= ph.cat != CAT_CODE[cat]
    stages.append(("care_plan", care_ok))
    needed &= ~SIBLING_BIT
    stages.append(("needs", (ph.needs & needed) == needed))
    return stages


_VECTOR_RULES = 7  # the first seven HARD_RULES are vectorised above
_REST = HARD_RULES[_VECTOR_RULES:]


def prefilter(ph: PreparedHomes, referral: Referral, children: tuple[ChildProfile, ...]) -> np.ndarray:
    """Boolean mask of homes that pass the vectorisable rules (a necessary condition)."""
    ok = np.ones(len(ph.homes), dtype=bool)
    for _, m in prefilter_stages(ph, referral, children):
        ok &= m
    return ok


def exclusion_counts(ph: PreparedHomes, referral: Referral, children: tuple[ChildProfile, ...],
                     policy: Policy) -> tuple[dict[str, int], np.ndarray]:
    """Homes excluded per rule (each home counted under the first rule it fails), and the
    indices of the eligible homes. Exactly what running :func:`first_failure` on every
    home would give, but vectorised for the first rules."""
    counts: dict[str, int] = {}
    alive = np.ones(len(ph.homes), dtype=bool)
    for name, m in prefilter_stages(ph, referral, children):
        k = int(np.count_nonzero(alive & ~m))
        if k:
            counts[name] = k
        alive &= m
    eligible = []
    rest = HARD_RULES[_VECTOR_RULES:]
    for hi in np.flatnonzero(alive):
        f = first_failure(referral, children, ph.homes[hi], policy, rest)
        if f is None:
            eligible.append(hi)
        else:
            counts[f[0]] = counts.get(f[0], 0) + 1
    return counts, np.array(eligible, dtype=np.int64)


def ranking_cost(ph: PreparedHomes, child: ChildProfile, idx: np.ndarray, miles: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(cost, miles from home) of ``child`` in homes ``idx``; mirrors the soft pair terms.
    ``miles`` may be passed when already computed for ``idx``."""
    ctx = ph.ctx
    p = ctx.policy
    e, n = ph.e[idx], ph.n[idx]
    if miles is None:
        miles = np.asarray(ctx.distance.miles_many(child.home_easting, child.home_northing, e, n), dtype=float)
    cost = np.rint(miles * p.points_per_mile).astype(np.int64)
    if child.must_keep_school and child.has_school:
        ms = np.asarray(ctx.distance.miles_many(child.school_easting, child.school_northing, e, n))
        cost += np.rint(ms * p.school_points_per_mile).astype(np.int64)
    cost += np.where(miles > p.flag_distance_miles, p.over_20_miles, 0)
    cost += np.where(ph.la[idx] != ph.la_code.get(child.home_la, -1), p.outside_home_la, 0)
    care = np.zeros(len(CATS), dtype=np.int64)
    fam = np.zeros(len(CATS), dtype=np.int64)
    for cat in CATS:
        s = child.suitability_of(cat)
        care[CAT_CODE[cat]] = {Suitability.SUITABLE: p.suitable_not_preferred,
                               Suitability.NOT_SPECIFIED: p.not_specified}.get(s, 0)
    if (child.suitability_of(PlacementCategory.RESIDENTIAL) is not Suitability.PREFERRED
            and child.suitability_of(PlacementCategory.FOSTER) is not Suitability.UNSUITABLE):
        fam[CAT_CODE[PlacementCategory.RESIDENTIAL]] = p.residential_when_family_possible
    cats = ph.cat[idx]
    cost += care[cats] + fam[cats]
    cost += _POPCOUNT[ph.scarce_pop[idx] & ~need_mask(child.needs)] * p.unused_specialism
    cost += ph.home_pts[idx]
    return cost, miles


class Scan:
    """Eligible homes for (part of) a referral, found lazily in increasing cost order.

    Distance points are a lower bound of the full pair cost (every other term is >= 0),
    so only the ``CHUNK`` nearest homes are priced at first; the rest are priced only if
    the scan reaches a cost at or above the nearest unpriced home's distance bound.
    """

    CHUNK = 128

    def __init__(self, ph: PreparedHomes, referral: Referral, children: tuple[ChildProfile, ...],
                 policy: Policy):
        self.ph, self.referral, self.children, self.policy = ph, referral, children, policy
        mask = prefilter(ph, referral, children)
        if len(children) < referral.size:  # a split part: necessary condition of SplitAllowed
            c0 = referral.children[0]
            d = np.hypot(ph.e - c0.home_easting, ph.n - c0.home_northing) / METRES_PER_MILE
            mask &= d <= policy.split_max_miles + 1e-6
        idx = np.flatnonzero(mask)
        dist = ph.ctx.distance
        self._miles = [np.asarray(dist.miles_many(c.home_easting, c.home_northing, ph.e[idx], ph.n[idx]),
                                  dtype=float) for c in children]
        self._idx = idx
        self._rest: np.ndarray | None = None
        self._lb = np.zeros(len(idx), dtype=np.int64)
        for m in self._miles:
            self._lb += np.rint(m * policy.points_per_mile).astype(np.int64)
        self.threshold = np.inf
        self.order = idx[:0]
        self.ocost = np.zeros(0, dtype=np.int64)
        self.pos = 0
        self._rest = np.arange(len(idx))
        self._expand(self.CHUNK)
        self.found: list[tuple[int, int]] = []  # (exact cost, home index), in scan order

    def _price(self, pos: np.ndarray) -> np.ndarray:
        cost = np.zeros(len(pos), dtype=np.int64)
        for c, m in zip(self.children, self._miles, strict=True):
            cost += ranking_cost(self.ph, c, self._idx[pos], m[pos])[0]
        return cost

    def _expand(self, size: int) -> None:
        """Price the ``size`` unpriced homes with the smallest distance bound and merge them in."""
        rest = self._rest
        if len(rest) > 2 * size:
            part = np.argpartition(self._lb[rest], size)[:size]
            keep = np.zeros(len(rest), dtype=bool)
            keep[part] = True
            now, self._rest = rest[part], rest[~keep]
            self.threshold = int(self._lb[self._rest].min())
        else:
            now, self._rest, self.threshold = rest, None, np.inf
        cost = np.concatenate([self.ocost[self.pos:], self._price(now)])
        homes = np.concatenate([self.order[self.pos:], self._idx[now]])
        o = np.argsort(cost, kind="stable")
        self.order = np.concatenate([self.order[:self.pos], homes[o]])
        self.ocost = np.concatenate([self.ocost[:self.pos], cost[o]])

    def _exact(self, hi: int) -> int:
        home = self.ph.homes[hi]
        ctx = self.ph.ctx
        return sum(pair_points(c, home, ctx.facts(c, home), ctx) for c in self.children)

    def next_eligible(self) -> tuple[int, int] | None:
        homes = self.ph.homes
        while True:
            if self.pos < len(self.order) and self.ocost[self.pos] < self.threshold:
                hi = int(self.order[self.pos])
                self.pos += 1
                if first_failure(self.referral, self.children, homes[hi], self.policy, _REST) is None:
                    item = (self._exact(hi), hi)
                    self.found.append(item)
                    return item
            elif self._rest is not None:
                self._expand(max(self.CHUNK, 2 * len(self.order)))
            else:
                return None

    def best(self, k: int) -> list[tuple[int, int]]:
        while len(self.found) < k and self.next_eligible() is not None:
            pass
        return sorted(self.found)[:k]
