"""Candidate pairs in arrays: which (referral or sub-group, home) pairs are eligible, at what cost.

The hard-rule classes in :mod:`matching.rules.hard` and the soft-term classes in
:mod:`matching.rules.soft` are the authority on eligibility and cost. To price every
eligible pair of a national register this module mirrors them in numpy:

* :func:`prefilter_stages` - the first seven rules, stage by stage (exclusion summaries);
* :func:`child_ok` / :func:`group_ok` - ALL the rules: a (group, home) pair is eligible iff
  every child passes the per-child rules and the group passes capacity, quality, sibling
  group and split (the rules decompose that way);
* :func:`ranking_cost` - the soft pair terms of one child over many homes.

Property tests check both against the classes pair by pair (equal, not approximately:
the straight-line distance is computed bit-for-bit the same way in both).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from api_schemas.vocab import (
    FAMILY_BASED,
    HOME_TYPE_CATEGORY,
    HomeType,
    LivingCompanions,
    Need,
    OfstedJudgement,
    PlacementCategory,
    RegistrationStatus,
    RiskFlag,
    Sex,
    Suitability,
)
from matching.distance import METRES_PER_MILE, straight_line_miles_many
from matching.domain import ChildProfile, Home, Policy, Referral
from matching.rules.hard import HARD_RULES, first_failure
from matching.rules.soft import SCARCE_SPECIALISMS, ScoringContext

NEED_BIT = {n: 1 << i for i, n in enumerate(Need)}
SEX_BIT = {Sex.MALE: 1, Sex.FEMALE: 2}
CATS = list(PlacementCategory)
CAT_CODE = {c: i for i, c in enumerate(CATS)}
_POPCOUNT = np.array([bin(i).count("1") for i in range(1 << len(Need))], dtype=np.int64)
_SUPPORTED = (HomeType.SUPPORTED_ACCOMMODATION, HomeType.SUPPORTED_LODGINGS)


def need_mask(needs: Iterable[Need]) -> int:
    m = 0
    for n in needs:
        m |= NEED_BIT[n]
    return m


SCARCE_MASK = need_mask(SCARCE_SPECIALISMS)
SIBLING_BIT = NEED_BIT[Need.SIBLING_GROUP]
SOLO_BIT = NEED_BIT[Need.SOLO_PLACEMENT]
EXPLOIT_BIT = NEED_BIT[Need.EXPLOITATION_RISK]
_EXPLOITATION = frozenset({RiskFlag.SEXUAL_EXPLOITATION, RiskFlag.CRIMINAL_EXPLOITATION})
_HARM_TO_YOUNG = frozenset(
    {RiskFlag.TO_OTHERS_PHYSICAL, RiskFlag.TO_OTHERS_FIRE, RiskFlag.TO_OTHERS_CRIMINAL}
)


@dataclass
class PreparedHomes:
    """Column arrays over a list of homes, built once per call (or reused by the caller)."""

    homes: tuple[Home, ...]
    ctx: ScoringContext
    e: np.ndarray = field(init=False)
    n: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        hs = self.homes
        p = self.ctx.policy
        self.index = {h.id: i for i, h in enumerate(hs)}
        self.e = np.array([h.easting for h in hs], dtype=float)
        self.n = np.array([h.northing for h in hs], dtype=float)
        self.free = np.array([h.free_places for h in hs], dtype=np.int64)
        self.age_min = np.array([h.age_min for h in hs], dtype=np.int64)
        self.age_max = np.array([h.age_max for h in hs], dtype=np.int64)
        self.sex = np.array([sum(SEX_BIT[s] for s in h.sexes) for h in hs], dtype=np.int64)
        self.quality_ok = np.array(
            [
                h.registration is RegistrationStatus.ACTIVE and h.judgement is not OfstedJudgement.INADEQUATE
                for h in hs
            ],
            dtype=bool,
        )
        self.cat = np.array([CAT_CODE[HOME_TYPE_CATEGORY[h.home_type]] for h in hs], dtype=np.int64)
        self.supported = np.array([h.home_type in _SUPPORTED for h in hs], dtype=bool)
        self.secure = np.array([h.home_type is HomeType.SECURE_CHILDRENS_HOME for h in hs], dtype=bool)
        self.family = np.array([h.home_type in FAMILY_BASED for h in hs], dtype=bool)
        self.needs = np.array([need_mask(h.needs_met) for h in hs], dtype=np.int64)
        las = sorted({h.la for h in hs})
        self.la_code = {la: i for i, la in enumerate(las)}
        self.la = np.array([self.la_code[h.la] for h in hs], dtype=np.int64)
        jpts = {
            OfstedJudgement.OUTSTANDING: p.ofsted_outstanding,
            OfstedJudgement.GOOD: p.ofsted_good,
            OfstedJudgement.NOT_YET_INSPECTED: p.ofsted_not_yet_inspected,
            OfstedJudgement.REQUIRES_IMPROVEMENT: p.ofsted_requires_improvement,
        }
        med = self.ctx.median_fee
        fee_pts = []
        for h in hs:
            m = med.get(h.home_type)
            fee_pts.append(
                0
                if m is None or h.weekly_fee <= m
                else int(round((h.weekly_fee - m) / p.fee_pounds_per_point))
            )
        self.home_pts = np.array([jpts.get(h.judgement, 0) for h in hs], dtype=np.int64) + np.array(
            fee_pts, dtype=np.int64
        )
        self.scarce_pop = self.needs & SCARCE_MASK
        self.res_empty = np.array([h.resident_ages == () for h in hs], dtype=bool)  # known: nobody else
        self.res_any = np.array([bool(h.resident_ages) for h in hs], dtype=bool)  # known: someone lives there
        self.res_min = np.array([min(h.resident_ages) if h.resident_ages else 99 for h in hs], dtype=np.int64)
        self.res_max = np.array([max(h.resident_ages) if h.resident_ages else -1 for h in hs], dtype=np.int64)
        self.open = np.flatnonzero((self.free > 0) & self.quality_ok)  # homes any pair can use


def prefilter_stages(
    ph: PreparedHomes, referral: Referral, children: tuple[ChildProfile, ...]
) -> list[tuple[str, np.ndarray]]:
    """Vectorised versions of the first hard rules, in :data:`HARD_RULES` order.

    Returns (rule name, boolean mask of homes that pass that rule). For these rules the
    vectorised test is exact, so counting first failures stage by stage gives the same
    exclusion summary as running the rule classes home by home.
    """
    ages = [c.age_years for c in children]
    lo, hi = min(ages), max(ages)
    stages = [
        ("capacity", ph.free >= len(children)),
        ("quality", ph.quality_ok),
        ("age_range", (ph.age_min <= lo) & (ph.age_max >= hi)),
    ]
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


def exclusion_counts(
    ph: PreparedHomes, referral: Referral, children: tuple[ChildProfile, ...], policy: Policy
) -> tuple[dict[str, int], np.ndarray]:
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
    eligible: list[int] = []
    rest = HARD_RULES[_VECTOR_RULES:]
    for hi in np.flatnonzero(alive):
        f = first_failure(referral, children, ph.homes[hi], policy, rest)
        if f is None:
            eligible.append(int(hi))
        else:
            counts[f[0]] = counts.get(f[0], 0) + 1
    return counts, np.array(eligible, dtype=np.int64)


def ranking_cost(
    ph: PreparedHomes, child: ChildProfile, idx: np.ndarray, miles: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(cost, miles from home) of ``child`` in homes ``idx``; mirrors the soft pair terms.
    ``miles`` may be passed when already computed for ``idx``."""
    ctx = ph.ctx
    p = ctx.policy
    e, n = ph.e[idx], ph.n[idx]
    if miles is None:
        miles = np.asarray(
            ctx.distance.miles_many(child.home_easting, child.home_northing, e, n), dtype=float
        )
    cost = np.rint(miles * p.points_per_mile).astype(np.int64)
    if child.school_easting is not None and child.school_northing is not None:
        ms = np.asarray(ctx.distance.miles_many(child.school_easting, child.school_northing, e, n))
        per_mile = p.school_points_per_mile if child.must_keep_school else p.school_location_points_per_mile
        cost += np.rint(ms * per_mile).astype(np.int64)
    cost += np.where(miles > p.flag_distance_miles, p.over_20_miles, 0)
    cost += np.where(ph.la[idx] != ph.la_code.get(child.home_la, -1), p.outside_home_la, 0)
    care = np.zeros(len(CATS), dtype=np.int64)
    fam = np.zeros(len(CATS), dtype=np.int64)
    for cat in CATS:
        s = child.suitability_of(cat)
        care[CAT_CODE[cat]] = {
            Suitability.SUITABLE: p.suitable_not_preferred,
            Suitability.NOT_SPECIFIED: p.not_specified,
        }.get(s, 0)
    if (
        child.suitability_of(PlacementCategory.RESIDENTIAL) is not Suitability.PREFERRED
        and child.suitability_of(PlacementCategory.FOSTER) is not Suitability.UNSUITABLE
    ):
        fam[CAT_CODE[PlacementCategory.RESIDENTIAL]] = p.residential_when_family_possible
    cats = ph.cat[idx]
    cost += care[cats] + fam[cats]
    cost += _POPCOUNT[ph.scarce_pop[idx] & ~need_mask(child.needs)] * p.unused_specialism
    cost += ph.home_pts[idx]
    return cost, miles


def child_ok(ph: PreparedHomes, child: ChildProfile, policy: Policy, idx: np.ndarray) -> np.ndarray:
    """Homes ``idx`` where ``child`` passes every per-child hard rule (age range, sex, home
    type for age, care plan, needs, living companions, risks, places to avoid)."""
    a = child.age_years
    ok = (ph.age_min[idx] <= a) & (ph.age_max[idx] >= a) & ((ph.sex[idx] & SEX_BIT[child.sex]) != 0)
    if not 16 <= a <= 17:
        ok &= ~ph.supported[idx]
    if not 10 <= a <= 17:
        ok &= ~ph.secure[idx]
    cat = ph.cat[idx]
    for c, s in child.suitability:
        if s is Suitability.UNSUITABLE:
            ok &= cat != CAT_CODE[c]
    need = need_mask(child.needs) & ~SIBLING_BIT
    if need:
        ok &= (ph.needs[idx] & need) == need
    lc = child.living_companions
    if lc is LivingCompanions.SOLO:
        ok &= ((ph.needs[idx] & SOLO_BIT) != 0) | ph.res_empty[idx]
    elif lc is LivingCompanions.ONLY_YOUNGER:
        ok &= ~ph.res_any[idx] | (ph.res_max[idx] < a)
    elif lc is LivingCompanions.ONLY_OLDER:
        ok &= ~ph.res_any[idx] | (ph.res_min[idx] > a)
    r = child.risks
    if r:
        if r & _EXPLOITATION:
            ok &= (ph.needs[idx] & EXPLOIT_BIT) != 0
        if RiskFlag.TO_OTHERS_SEXUAL in r:
            ok &= ~ph.res_any[idx] | (ph.res_min[idx] >= a)
        if r & _HARM_TO_YOUNG:
            ok &= ~ph.res_any[idx] | (ph.res_min[idx] >= policy.risk_min_resident_age)
    for e, n, radius in child.places_to_avoid:
        ok &= straight_line_miles_many(e, n, ph.e[idx], ph.n[idx]) > radius
    return ok


def group_ok(ph: PreparedHomes, referral: Referral, size: int, policy: Policy, idx: np.ndarray) -> np.ndarray:
    """Homes ``idx`` that pass the group rules for ``size`` of ``referral``'s children in one
    home: capacity, quality, sibling group, and split (when ``size`` < the group)."""
    ok = (ph.free[idx] >= size) & ph.quality_ok[idx]
    if size >= 2:
        ok &= ((ph.needs[idx] & SIBLING_BIT) != 0) | ph.family[idx]  # family homes: free >= size above
    if size < referral.size:
        if not (policy.allow_split and referral.allow_split):
            return np.zeros(len(idx), dtype=bool)
        c = referral.children[0]
        ok &= (
            straight_line_miles_many(c.home_easting, c.home_northing, ph.e[idx], ph.n[idx])
            <= policy.split_max_miles
        )
    return ok


_LC_CODE = {LivingCompanions.SOLO: 1, LivingCompanions.ONLY_YOUNGER: 2, LivingCompanions.ONLY_OLDER: 3}


def batch_ok_cost(
    ph: PreparedHomes, children: tuple[ChildProfile, ...], policy: Policy, idx: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`child_ok`, :func:`ranking_cost` and the miles from home for many children at
    once: (ok, cost, miles), each children x homes ``idx`` (tested equal row by row)."""
    from matching.distance import StraightLine

    C = len(children)
    p = policy
    age = np.array([c.age_years for c in children], dtype=np.int64)[:, None]
    sexb = np.array([SEX_BIT[c.sex] for c in children], dtype=np.int64)[:, None]
    amin, amax, hsex = ph.age_min[idx][None, :], ph.age_max[idx][None, :], ph.sex[idx][None, :]
    ok = (amin <= age) & (amax >= age) & ((hsex & sexb) != 0)
    not_sup = ~((age >= 16) & (age <= 17))
    ok &= ~(not_sup & ph.supported[idx][None, :])
    not_sec = ~((age >= 10) & (age <= 17))
    ok &= ~(not_sec & ph.secure[idx][None, :])
    cat = ph.cat[idx]
    ncat = len(CATS)
    unsuit = np.zeros((C, ncat), dtype=bool)
    care = np.zeros((C, ncat), dtype=np.int64)
    fam = np.zeros((C, ncat), dtype=np.int64)
    res_cat = CAT_CODE[PlacementCategory.RESIDENTIAL]
    for i, c in enumerate(children):
        for k, cc in enumerate(CATS):
            s = c.suitability_of(cc)
            unsuit[i, k] = s is Suitability.UNSUITABLE
            care[i, k] = (
                p.suitable_not_preferred
                if s is Suitability.SUITABLE
                else (p.not_specified if s is Suitability.NOT_SPECIFIED else 0)
            )
        if (
            c.suitability_of(PlacementCategory.RESIDENTIAL) is not Suitability.PREFERRED
            and c.suitability_of(PlacementCategory.FOSTER) is not Suitability.UNSUITABLE
        ):
            fam[i, res_cat] = p.residential_when_family_possible
    ok &= ~unsuit[:, cat]
    cneeds = np.array([need_mask(c.needs) for c in children], dtype=np.int64)
    need = (cneeds & ~SIBLING_BIT)[:, None]
    hneeds = ph.needs[idx][None, :]
    ok &= (hneeds & need) == need
    lc = np.array([_LC_CODE.get(c.living_companions, 0) for c in children])[:, None]
    res_any, res_min, res_max = ph.res_any[idx][None, :], ph.res_min[idx][None, :], ph.res_max[idx][None, :]
    solo_ok = ((hneeds & SOLO_BIT) != 0) | ph.res_empty[idx][None, :]
    ok &= np.where(lc == 1, solo_ok, True)
    ok &= np.where(lc == 2, ~res_any | (res_max < age), True)
    ok &= np.where(lc == 3, ~res_any | (res_min > age), True)
    exploit = np.array([bool(c.risks & _EXPLOITATION) for c in children])[:, None]
    sexual = np.array([RiskFlag.TO_OTHERS_SEXUAL in c.risks for c in children])[:, None]
    harm = np.array([bool(c.risks & _HARM_TO_YOUNG) for c in children])[:, None]
    ok &= np.where(exploit, (hneeds & EXPLOIT_BIT) != 0, True)
    ok &= np.where(sexual, ~res_any | (res_min >= age), True)
    ok &= np.where(harm, ~res_any | (res_min >= p.risk_min_resident_age), True)
    e, n = ph.e[idx], ph.n[idx]
    for i, c in enumerate(children):
        for ae, an, radius in c.places_to_avoid:
            ok[i] &= straight_line_miles_many(ae, an, e, n) > radius
    dist = ph.ctx.distance
    if isinstance(dist, StraightLine):
        ce = np.array([c.home_easting for c in children], dtype=float)[:, None]
        cn = np.array([c.home_northing for c in children], dtype=float)[:, None]
        de, dn = e[None, :] - ce, n[None, :] - cn
        miles = np.sqrt(de * de + dn * dn) / METRES_PER_MILE
    else:
        miles = np.array(
            [
                np.asarray(dist.miles_many(c.home_easting, c.home_northing, e, n), dtype=float)
                for c in children
            ]
        ).reshape(C, len(idx))
    cost = np.rint(miles * p.points_per_mile).astype(np.int64)
    for i, c in enumerate(children):
        if c.school_easting is not None and c.school_northing is not None:
            ms = np.asarray(dist.miles_many(c.school_easting, c.school_northing, e, n), dtype=float)
            per_mile = p.school_points_per_mile if c.must_keep_school else p.school_location_points_per_mile
            cost[i] += np.rint(ms * per_mile).astype(np.int64)
    cost += np.where(miles > p.flag_distance_miles, p.over_20_miles, 0)
    hla = ph.la[idx][None, :]
    cla = np.array([ph.la_code.get(c.home_la, -1) for c in children], dtype=np.int64)[:, None]
    cost += np.where(hla != cla, p.outside_home_la, 0)
    cost += care[:, cat] + fam[:, cat]
    cost += _POPCOUNT[ph.scarce_pop[idx][None, :] & ~cneeds[:, None]] * p.unused_specialism
    cost += ph.home_pts[idx][None, :]
    return ok, cost, miles
