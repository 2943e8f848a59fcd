"""The Lagrangian full-set bound (matching.lagrange): never above the exhaustive optimum for
ANY multipliers, never below the LP with the LP's duals, and the per-pair floor the proof step
uses never excludes a pair of an optimal plan."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import Policy, greedy_nearest, solve, validate
from matching.lagrange import cg_cuts, column_floor, lagrangian_bound
from matching.master import _zh_coef, dantzig_wolfe, price_zero_half
from matching.model import build_model
from matching.pricing import RestrictedLP
from tests.matching.exhaustive import exhaustive, options
from tests.matching.factories import MILE, child, home, referral
from tests.matching.strategies import instances, policies

SLOW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def floored_model(refs, homes, policy):
    m = build_model(refs, homes, policy)
    m.floor = len(greedy_nearest(refs, homes, policy).assignment.placements)
    return m


@SLOW
@given(
    inst=instances(max_siblings=4),
    policy=policies,
    mult=st.lists(st.floats(0, 60000), min_size=4, max_size=4),
    psi=st.floats(0, 60000),
    pairwise=st.booleans(),
)
def test_bound_never_above_the_exhaustive_optimum_for_any_multipliers(inst, policy, mult, psi, pairwise):
    refs, homes = inst
    m = floored_model(refs, homes, policy)
    mu = -np.resize(np.asarray(mult), len(m.ph.homes))
    b = lagrangian_bound(m, mu, -psi, pairwise=pairwise)
    best, plan = exhaustive(refs, homes, policy)
    assert b.value <= best + 1e-6
    assert_floors_below(m, b, plan, best)


@SLOW
@given(inst=instances(max_siblings=4), policy=policies)
def test_with_the_lp_duals_the_bound_is_at_least_the_lp(inst, policy):
    refs, homes = inst
    m = floored_model(refs, homes, policy)
    m.add_all()
    lp = RestrictedLP(m)
    d = lp.solve()
    if d is None:
        return
    assert lagrangian_bound(m, d.mu, d.floor).value >= d.value - 1e-6 * max(1.0, abs(d.value))


def test_half_split_group_is_not_counted_as_half_placed():
    """Four splittable siblings, one other child, a 2-place and a 1-place home within reach:
    the LP can place half the group; a referral's own split plan is integer here, so the
    bound is the true optimum (the group cannot be placed: 3 places for 4 siblings)."""
    group = referral(*[child(f"s{i}", age=9) for i in range(4)], rid="g", allow_split=True)
    solo = referral(child("o0", age=9), rid="o")
    homes = [home("h2", free=2, e=MILE), home("h1", free=1, e=2 * MILE)]
    policy = Policy()
    res = solve([group, solo], homes, policy)
    best, _ = exhaustive([group, solo], homes, policy)
    assert res.objective == best
    assert res.best_bound == best
    assert res.stats["lagrangian_bound"] >= res.stats["lp_bound"]


@SLOW
@given(inst=instances(max_siblings=4), policy=policies)
def test_referral_option_master_bound_between_the_lp_and_the_optimum(inst, policy):
    refs, homes = inst
    m = floored_model(refs, homes, policy)
    m.add_all()
    d = RestrictedLP(m).solve()
    dw = dantzig_wolfe(m, (), time.perf_counter() + 30.0)
    best, _ = exhaustive(refs, homes, policy)
    assert dw is not None
    assert dw.value <= best + 1e-6
    if d is not None:
        assert dw.value >= d.value - 1e-6 * max(1.0, abs(d.value))


def test_pairwise_split_search_never_overstates_a_referral_past_its_home_lists():
    """Two splittable siblings, 30 one-place homes: the three nearest (1 mile) are 1.7 miles
    apart, the rest on a ring at 1.2 miles with neighbours 0.26 miles apart. With SplitApart's
    pairwise terms the best split uses two neighbours on the ring - not among each sibling's
    n + 1 nearest homes. The search counting pairwise terms gives up there (the home lists are
    cut); what it returns instead must still be a lower bound (it once returned the
    pairwise-scored best plan over the n + 1 nearest homes, 7,517 against an optimum of 7,504)."""
    import math

    sibs = referral(child("a", age=9), child("b", age=9), rid="g", allow_split=True)
    homes = [
        home(f"n{i}", e=MILE * math.cos(a), n=MILE * math.sin(a))
        for i, a in enumerate((0.0, 2 * math.pi / 3, 4 * math.pi / 3))
    ]
    for i in range(27):
        a = 0.2 + i * 0.22
        homes.append(home(f"f{i}", e=1.2 * MILE * math.cos(a), n=1.2 * MILE * math.sin(a)))
    policy = Policy()
    m = build_model([sibs], homes, policy)
    best, _ = exhaustive([sibs], homes, policy)
    b = lagrangian_bound(m, np.zeros(len(m.ph.homes)), 0.0, pairwise=True)
    assert b.value <= best + 1e-6
    # the homes past the list stand in as one virtual home (no pairwise terms), so the pairwise
    # terms of the listed homes still count: more than the bound without any (7,502 > 7,500)
    assert b.value > lagrangian_bound(m, np.zeros(len(m.ph.homes)), 0.0).value
    # the option it hands to the master is a real plan, at that plan's own objective
    (h1, _), (h2, _) = b.options[0]
    plan = {"a": m.ph.homes[h1].id, "b": m.ph.homes[h2].id}
    assert b.costs[0] == validate(plan, [sibs], homes, policy).objective
    dw = dantzig_wolfe(m, (), time.perf_counter() + 30.0)
    assert dw is not None and dw.value <= best + 1e-6


def test_capacity_cuts_close_a_knapsack_the_option_master_fills_by_fractions():
    """Four places and two groups of three (neither may split): the master LP puts one group in
    and a third of the other (3 + 3/3 = 4 places). The cut (group a) + (group b) <= 1
    (Chvatal-Gomory, multiplier 1/3) forbids it; with cuts the bound is the optimum, and the
    per-pair floors of the proof step stay below it for the pairs of an optimal plan."""
    a = referral(*[child(f"a{i}", age=9) for i in range(3)], rid="a")
    b = referral(*[child(f"b{i}", age=9) for i in range(3)], rid="b")
    homes = [home("h4", free=4, e=MILE)]
    policy = Policy()
    m = floored_model([a, b], homes, policy)
    best, plan = exhaustive([a, b], homes, policy)
    plain = dantzig_wolfe(m, (), time.perf_counter() + 30.0, cuts=False)
    cut = dantzig_wolfe(m, (), time.perf_counter() + 30.0, cuts=True)
    assert plain is not None and cut is not None
    assert plain.value < best - 1
    assert math.ceil(cut.value - 1e-6) == best
    assert cut.ext is not None
    placed = next(r for r, ref in enumerate(m.referrals) if ref.children[0].id in plan)
    f = m.family_of[(placed, (0, 1, 2))]
    assert column_floor(m, cut, f, np.array([0]))[0] <= best + 1e-6


def test_cg_cuts_hold_for_every_way_to_fill_a_home():
    for free in range(1, 9):
        for coef, rhs in cg_cuts(free, 6):
            fills = [()]
            for _ in range(free):
                fills = fills + [f + (k,) for f in fills for k in range(1, 7) if sum(f) + k <= free]
            assert all(sum(coef[k] for k in f) <= rhs for f in set(fills))


@SLOW
@given(
    inst=instances(max_siblings=4),
    policy=policies,
    mult=st.lists(st.floats(0, 5000), min_size=4, max_size=4),
    pairwise=st.booleans(),
    data=st.data(),
)
def test_bound_with_any_zero_half_cuts_is_never_above_the_exhaustive_optimum(inst, policy, mult, pairwise, data):
    """Zero-half cuts over random referrals' convexity rows and random homes' capacity (or
    Chvatal-Gomory) rows, at random multipliers: priced into the options (additive part per
    home, the rest per option), the bound stays below the exhaustive optimum, and no pair of
    an optimal plan gets a floor above it."""
    refs, homes = inst
    m = floored_model(refs, homes, policy)
    n_homes, kmax = len(m.ph.homes), max(r.size for r in m.referrals)
    mu = -np.resize(np.asarray(mult), n_homes)
    cuts = []
    for _ in range(data.draw(st.integers(1, 3))):
        rs = data.draw(st.sets(st.integers(0, len(m.referrals) - 1), max_size=2))
        hs = data.draw(st.sets(st.integers(0, n_homes - 1), min_size=1, max_size=3))
        a, rhs2 = {}, len(rs)
        for h in hs:
            free_h = int(m.ph.free[h])
            rows = [(tuple(range(kmax + 1)), free_h), *cg_cuts(free_h, kmax)]
            coef, b = rows[data.draw(st.integers(0, len(rows) - 1))]
            a[h], rhs2 = coef, rhs2 + b
        cuts.append((data.draw(st.floats(0, 5000)), frozenset(rs), a, rhs2 // 2))
    ext = np.zeros((kmax + 1, n_homes))
    zh: list = []
    const = price_zero_half(cuts, ext, zh)
    b = lagrangian_bound(m, mu, 0.0, pairwise=pairwise, ext=ext, ext_const=const, zh=zh)
    best, plan = exhaustive(refs, homes, policy)
    assert b.value <= best + 1e-6
    assert_floors_below(m, b, plan, best)
    # each referral's value is its cheapest option over every way to place it, every option at
    # its objective plus its capacity and exact cut prices (exactly that with pairwise terms)
    for r, ref in enumerate(m.referrals):
        values = []
        for pts, _, where in options(ref, homes, policy):
            use: dict[int, int] = {}
            for h_ in where.values():
                use[m.ph.index[h_.id]] = use.get(m.ph.index[h_.id], 0) + 1
            cut = sum(nu * _zh_coef(r, list(use.items()), rs, a) for nu, rs, a, _ in cuts if nu > 1e-9)
            values.append(pts + sum(b.lam[h] * k for h, k in use.items()) + cut)
        assert b.g[r] <= min(values) + 1e-6
        if pairwise:
            assert b.g[r] == pytest.approx(min(values), abs=1e-6)
    # the cheapest option handed to the master, at its objective plus its prices, is not below
    # the value it was found at (exactly that for a whole group)
    for r, use in enumerate(b.options):
        if use:
            price = sum(nu * _zh_coef(r, use, rs, a) for nu, rs, a, _ in cuts if nu > 1e-9)
            priced = b.costs[r] + sum(b.lam[h] * k for h, k in use) + price
            assert priced >= b.g[r] - 1e-6
            if len(use) == 1:
                assert priced == pytest.approx(b.g[r])


def assert_floors_below(m, b, plan, best):
    """Every pair of the optimal plan has a floor no higher than its objective."""
    for r, ref in enumerate(m.referrals):
        by_home: dict[int, list[int]] = {}
        for k, c in enumerate(ref.children):
            if c.id in plan:
                by_home.setdefault(m.ph.index[plan[c.id]], []).append(k)
        for h, ks in by_home.items():
            f = m.family_of[(r, tuple(ks))]
            pos = m.families[f].position(h)
            assert pos is not None
            assert column_floor(m, b, f, np.array([pos]))[0] <= best + 1e-6


def test_zero_half_cut_closes_a_home_pair_a_split_and_a_child_share():
    """One child and two splittable siblings, two one-place homes: the child or the pair can be
    placed, not both. The master LP puts the child half in each home and the pair, split, in
    their other halves (every capacity and Chvatal-Gomory row holds). The zero-half cut
    (child) + (split over both homes) <= 1 - half the child's convexity row plus both capacity
    rows, rounded down - forbids it; with it the bound is the optimum."""
    a = referral(child("a0", age=9), rid="a")
    s = referral(child("s0", age=9), child("s1", age=9), rid="s", allow_split=True)
    homes = [home("h1", free=1, e=0.5 * MILE), home("h2", free=1, e=-0.5 * MILE)]
    policy = Policy()
    m = floored_model([a, s], homes, policy)
    best, plan = exhaustive([a, s], homes, policy)
    plain = dantzig_wolfe(m, (), time.perf_counter() + 30.0, zero_half=False)
    cut = dantzig_wolfe(m, (), time.perf_counter() + 30.0)
    assert plain is not None and cut is not None
    assert plain.value < best - 1000
    assert math.ceil(cut.value - 1e-6) == best
    assert_floors_below(m, cut, plan, best)


def test_zero_half_price_of_a_split_counts_its_odd_homes_in_pairs():
    """Two splittable siblings, two one-place homes, the cut over both capacity rows (no
    convexity row): the split over both homes has coefficient floor((1 + 1) / 2) = 1, each home's
    additive part floor(1 / 2) = 0 - the price is paid once per pair of odd homes, and with the
    referral's convexity row in, once for the first odd home."""
    s = referral(child("s0", age=9), child("s1", age=9), rid="s", allow_split=True)
    homes = [home("h1", free=1, e=0.5 * MILE), home("h2", free=1, e=-0.5 * MILE)]
    policy = Policy()
    m = build_model([s], homes, policy)
    zero = np.zeros(len(m.ph.homes))
    plain = lagrangian_bound(m, zero, 0.0, pairwise=True)
    assert plain.options[0] is not None and len(plain.options[0]) == 2
    cap = {h: tuple(range(3)) for h in range(2)}
    for refs, paid in ((frozenset(), 100.0), (frozenset({0}), 100.0)):
        ext = np.zeros((3, 2))
        zh: list = []
        const = price_zero_half([(100.0, refs, cap, (len(refs) + 2) // 2)], ext, zh)
        b = lagrangian_bound(m, zero, 0.0, pairwise=True, ext=ext, ext_const=const, zh=zh)
        assert b.g[0] == pytest.approx(plain.g[0] + paid)
        assert b.costs[0] == pytest.approx(plain.costs[0])
