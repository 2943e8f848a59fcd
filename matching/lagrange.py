"""Full-set lower bounds stronger than the LP: capacity (and the floor) priced with
multipliers, every referral's own choice solved as an INTEGER problem over every eligible pair.

Relax the home-capacity rows with multipliers ``lam[h] = -mu[h] >= 0`` and the floor row
(``sum size_r * unmatched_r <= children - floor``) with ``psi >= 0``. What is left splits
by referral: each referral picks one option - unplaced (``unmatched + psi * size``), the
whole group in one home (``cost + lam[h] * size``), or a split plan: its children partitioned
into sub-groups, each in its own home, at ``split penalty + sum(cost + lam[h] * |S|)`` plus,
optionally, SplitApart's pairwise terms (they are >= 0: leaving them out only weakens the
bound). So, for ANY plan over every eligible pair,

    objective >= L = sum_r g_r - sum_h lam[h] * free[h] - psi * (children - floor)

where ``g_r`` is the referral's cheapest option (:func:`lagrangian_bound`). The LP
relaxation solves each referral's choice over fractional partitions (a sibling group can be
"half split" over homes that hold half its children); here it is integer, so with the LP's
own duals ``L`` is at least the LP bound, and on split-heavy instances much higher.
:func:`dantzig_wolfe` then improves the multipliers with a master LP over whole referral
options (its limit is the best such bound). A plan using a given (group or sub-group, home)
pair costs at least ``L - g_r`` + the cheapest option of ``r`` containing it
(:func:`column_floor`): the proof step in :mod:`matching.solver` leaves a pair out only
when that reaches the incumbent.

Split plans are searched exactly (depth first over the sub-group holding the first child
left, distinct homes, pruned by the relaxed bound below) for groups up to ``EXACT_MAX``
children; larger groups use the relaxed bound (homes need not be distinct), still valid.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from matching.model import MatchModel

Chosen = dict[int, list[int]]

DW_ROUNDS = 200  # rounds of the referral-option master LP (it converged in ~25 on the open-data instances)
DW_EPS = 1e-6
EXACT_MAX = 7  # split plans of groups up to this size are searched exactly (distinct homes)
PAIR_HOMES = 24  # homes per sub-group, beyond n + 1, searched for plans with pairwise terms
NODE_LIMIT = 4000  # search nodes per referral for plans with pairwise terms


@dataclass
class Bound:
    value: float  # L, a lower bound over every eligible pair
    g: np.ndarray  # per referral: its cheapest option under the multipliers
    lam: np.ndarray  # per home, >= 0
    best_sub: dict[int, dict[int, float]]  # referral -> child mask -> cheapest value of that sub-group
    rest: dict[int, np.ndarray]  # referral -> child mask -> cheapest way (relaxed) to place those children
    load: np.ndarray  # places each home takes in the referrals' cheapest options (a subgradient)
    unplaced: int  # children unplaced in those options
    options: list[list[tuple[int, int]] | None]  # per referral: its cheapest option, (home, places) or None
    costs: list[float]  # per referral: that option's objective (without the multipliers)
    ext: np.ndarray | None = None  # [places, home]: capacity-cut prices an option pays per home it uses


@functools.lru_cache(maxsize=256)
def cg_cuts(free: int, kmax: int) -> list[tuple[tuple[int, ...], int]]:
    """Rank-1 Chvatal-Gomory cuts of one home's capacity row: any plan puts groups of sizes
    k_1, k_2, ... (one per referral) in a home with ``free`` places, sum k_i <= free, so for
    any a > 0 also sum floor(a * k_i) <= floor(a * free). One (coefficient per size 0..kmax,
    right-hand side) per distinct coefficient vector of the multipliers a = p/q < 1, q <= free + 1."""
    out: dict[tuple[int, ...], int] = {}
    for q in range(2, max(free, kmax) + 2):
        for p in range(1, q):
            if math.gcd(p, q) != 1:
                continue
            coef = tuple((p * k) // q for k in range(kmax + 1))
            rhs = (p * free) // q
            if coef not in out or rhs < out[coef]:
                out[coef] = rhs
    return [(c, r) for c, r in out.items()]


def lagrangian_bound(
    m: MatchModel,
    mu: np.ndarray,
    floor_dual: float,
    pair_cache: dict[tuple[int, int], int] | None = None,
    pairwise: bool = False,
    ext: np.ndarray | None = None,
    ext_const: float = 0.0,
) -> Bound:
    """L for the multipliers ``mu`` (capacity duals, <= 0) and ``floor_dual`` (<= 0).
    ``pairwise``: count SplitApart's pairwise terms in split plans (slower, stronger);
    ``pair_cache`` keeps their points between calls. ``ext[k, h]`` (>= 0) is the price of
    capacity cuts (:func:`cg_cuts`) an option pays for putting ``k`` children in home ``h``,
    ``ext_const`` (>= 0) their multipliers times right-hand sides."""
    cache = {} if pair_cache is None else pair_cache

    def pair(a: int, b: int) -> int:
        key = (a, b) if a < b else (b, a)
        v = cache.get(key)
        if v is None:
            v = cache[key] = m.pair_points(*key)
        return v

    lam = np.maximum(0.0, -np.asarray(mu, dtype=float))
    psi = max(0.0, -float(floor_dual))
    free = m.ph.free.astype(float)
    total = sum(r.size for r in m.referrals)
    const = -float(lam @ free) - (psi * (total - m.floor) if m.floor > 0 else 0.0) - ext_const
    g = np.zeros(len(m.referrals))
    load = np.zeros(len(m.ph.homes))
    unplaced = 0
    options: list[list[tuple[int, int]] | None] = []
    costs: list[float] = []
    best_sub: dict[int, dict[int, float]] = {}
    rest: dict[int, np.ndarray] = {}
    for r, ref in enumerate(m.referrals):
        n = ref.size
        best = m.unmatched_cost[r] + (psi * n if m.floor > 0 else 0.0)
        use: list[tuple[int, int]] | None = None  # (home, places) of the cheapest option; None: unplaced
        subs: dict[int, tuple[list[float], list[int], bool]] = {}
        for f in m.ref_families[r]:
            fam = m.families[f]
            v = fam.cost + lam[fam.homes] * len(fam.children)
            if ext is not None:
                v = v + ext[len(fam.children), fam.homes]
            if not fam.split:
                i = int(np.argmin(v))
                if v[i] < best:
                    best, use = float(v[i]), [(int(fam.homes[i]), n)]
            else:
                order = np.argsort(v, kind="stable")[: n + 1 + PAIR_HOMES]
                cut = len(order) < len(v)
                subs[_mask(fam.children)] = (v[order].tolist(), fam.homes[order].tolist(), cut)
        if subs and m.splittable[r]:
            cheapest = {k: float(v[0]) for k, (v, _, _) in subs.items()}
            relaxed = _relaxed(n, cheapest)
            rest[r] = relaxed
            best_sub[r] = cheapest
            full = (1 << n) - 1
            plan, homes = (
                _exact(n, subs, relaxed, pair if pairwise else None)
                if n <= EXACT_MAX
                else (float(relaxed[full]), [])
            )
            if m.split_cost[r] + plan < best:
                best, use = m.split_cost[r] + plan, homes
        g[r] = best
        options.append(use)
        if use is None:
            unplaced += n
            costs.append(float(m.unmatched_cost[r]))
        else:
            for h, k in use:
                load[h] += k
            costs.append(best - sum(lam[h] * k + (ext[k, h] if ext is not None else 0.0) for h, k in use))
    return Bound(float(g.sum() + const), g, lam, best_sub, rest, load, unplaced, options, costs, ext)


def _mask(children: tuple[int, ...]) -> int:
    out = 0
    for k in children:
        out |= 1 << k
    return out


def _relaxed(n: int, best: dict[int, float]) -> np.ndarray:
    """For every set of children, the cheapest partition into sub-groups each at its
    cheapest home (homes may repeat): a lower bound on placing that set as part of a split."""
    full = 1 << n
    out = np.full(full, math.inf)
    out[0] = 0.0
    for s in range(1, full):
        low = s & -s  # the sub-group holding the lowest child of s
        sub = s
        v = math.inf
        while sub:
            if sub & low and sub in best:
                v = min(v, best[sub] + out[s ^ sub])
            sub = (sub - 1) & s
        out[s] = v
    return out


def _exact(
    n: int,
    subs: dict[int, tuple[list[float], list[int], bool]],
    relaxed: np.ndarray,
    pair: Callable[[int, int], int] | None = None,
) -> tuple[float, list[tuple[int, int]]]:
    """The cheapest split plan: sub-groups partition the children, each in a different home;
    its value and (home, sub-group size) list. ``subs``: per sub-group (child mask) its values
    and homes, cheapest first (the first ``n + 1`` at least), and whether the lists were cut.
    With ``pair`` (SplitApart's pairwise points of two homes) the pairwise terms are counted
    too - unless the search would need homes past a cut list or more than ``NODE_LIMIT``
    nodes: then the value without them (still a lower bound) is returned."""
    by_low: dict[int, list[int]] = {}
    for k in subs:
        by_low.setdefault((k & -k).bit_length() - 1, []).append(k)
    best = [math.inf]
    plan: list[tuple[int, int]] = []
    path: list[tuple[int, int]] = []
    used: list[int] = []
    nodes = [0]
    exact = [True]
    with_pairs = [False]  # the first pass leaves the pairwise terms out: its value is a lower bound

    def dfs(left: int, cost: float, limit: int) -> None:
        if left == 0:
            if cost < best[0]:
                best[0] = cost
                plan[:] = path
            return
        if cost + relaxed[left] >= best[0]:
            return
        nodes[0] += 1
        if with_pairs[0] and nodes[0] > NODE_LIMIT:
            exact[0] = False
            return
        low = (left & -left).bit_length() - 1
        for k in by_low.get(low, ()):
            if k & ~left:
                continue
            vs, hs, cut = subs[k]
            rest_lb = relaxed[left ^ k]
            for i in range(min(limit, len(vs))):
                v, h = vs[i], hs[i]
                if cost + v + rest_lb >= best[0]:
                    break
                if h in used:
                    continue
                extra = sum(pair(h, u) for u in used) if with_pairs[0] and pair is not None else 0
                used.append(h)
                path.append((h, k.bit_count()))
                dfs(left ^ k, cost + v + extra, limit)
                path.pop()
                used.pop()
            else:
                if with_pairs[0] and (cut or limit < len(vs)) and min(limit, len(vs)) > 0:
                    exact[0] = False  # a home past the list could still be in a cheaper plan

    full = (1 << n) - 1
    dfs(full, 0.0, n + 1)  # without pairwise terms: n + 1 homes per sub-group suffice
    if pair is None or not plan:
        return best[0], plan
    base = best[0]
    hs_ = [h for h, _ in plan]
    ub = base + sum(pair(a, b) for i, a in enumerate(hs_) for b in hs_[i + 1 :])  # that plan, scored
    base_plan = list(plan)
    best[0] = ub + 1e-9
    with_pairs[0] = True
    dfs(full, 0.0, 1 << 30)  # plan keeps the first pass's plan unless a cheaper one is found
    if not exact[0]:
        return base, base_plan
    return min(best[0], ub), plan


def dantzig_wolfe(
    m: MatchModel,
    plans: Iterable[Chosen],
    deadline: float,
    stop: Callable[[], bool] | None = None,
    max_rounds: int = DW_ROUNDS,
    pairwise: bool = True,
    cuts: bool = True,
) -> Bound | None:
    """The best :func:`lagrangian_bound` over the duals of a master LP whose columns are
    whole referral options - unplaced, a whole group in a home, a complete split plan -
    priced by :func:`lagrangian_bound` itself (Dantzig-Wolfe on the referrals). It starts
    from unplaced plus the options the given plans (e.g. the greedy and the incumbent) use,
    and stops when no option prices out, after ``max_rounds``, at ``deadline`` or when
    ``stop()`` says so. The rounds leave SplitApart's pairwise terms out (fast); the best
    duals are then evaluated once with them (``pairwise``). Every
    round's bound is valid; its limit is the best bound with capacity and the floor relaxed
    and each referral's choice integer. With ``cuts``, whenever no option prices out, the
    master's solution is checked against the capacity cuts of :func:`cg_cuts` (a group of 3
    and one of 2 do not both fit 4 places, though 3/4 + 2/4 of them do); violated ones are
    added to the master, priced into the options (``Bound.ext``), and the rounds go on.
    None if the master LP fails."""
    from ortools.linear_solver import pywraplp

    s = pywraplp.Solver.CreateSolver("GLOP")
    inf = s.infinity()
    R = len(m.referrals)
    obj = s.Objective()
    obj.SetMinimization()
    conv = [s.Constraint(1.0, 1.0) for _ in range(R)]
    floor = None
    if m.floor > 0:
        floor = s.Constraint(-inf, float(sum(r.size for r in m.referrals) - m.floor))
        # elastic, so the master is feasible from the start (any multipliers give a valid bound)
        slack = s.NumVar(0.0, inf, "")
        floor.SetCoefficient(slack, -1.0)
        per_child = max(c / r.size for c, r in zip(m.unmatched_cost, m.referrals, strict=True))
        obj.SetCoefficient(slack, 2.0 * per_child)
    cap: dict[int, Any] = {}
    seen: set[tuple[int, tuple[tuple[int, int], ...] | None]] = set()
    kmax = max((r.size for r in m.referrals), default=1)
    opts: list[tuple[Any, list[tuple[int, int]]]] = []  # option variables that place children
    cut_rows: list[tuple[Any, int, tuple[int, ...], int]] = []  # (row, home, coefficient per size, rhs)
    cut_at: dict[int, list[int]] = {}  # home -> its cuts in cut_rows
    cut_keys: set[tuple[int, tuple[int, ...]]] = set()

    def add(r: int, use: list[tuple[int, int]] | None, cost: float) -> None:
        key = (r, None if use is None else tuple(sorted(use)))
        if key in seen:
            return
        seen.add(key)
        v = s.NumVar(0.0, inf, "")
        conv[r].SetCoefficient(v, 1.0)
        obj.SetCoefficient(v, float(cost))
        if use is None:
            if floor is not None:
                floor.SetCoefficient(v, float(m.referrals[r].size))
            return
        opts.append((v, use))
        for h, k in use:
            if h not in cap:
                cap[h] = s.Constraint(-inf, float(m.ph.free[h]))
            cap[h].SetCoefficient(v, float(k))
            for i in cut_at.get(h, ()):
                if cut_rows[i][2][k]:
                    cut_rows[i][0].SetCoefficient(v, float(cut_rows[i][2][k]))

    def separate() -> int:
        """Add the capacity cuts the master's solution violates; how many."""
        agg: dict[int, np.ndarray] = {}
        for v, use in opts:
            x = v.solution_value()
            if x > 1e-9:
                for h, k in use:
                    agg.setdefault(h, np.zeros(kmax + 1))[k] += x
        new = 0
        for h, y in agg.items():
            free_h = int(m.ph.free[h])
            if free_h < 2 or float(y[1:] @ np.arange(1, kmax + 1)) <= 1.0 + 1e-9:
                continue
            for coef, rhs in cg_cuts(free_h, kmax):
                if (h, coef) in cut_keys or float(np.dot(coef, y)) <= rhs + 1e-6:
                    continue
                cut_keys.add((h, coef))
                row = s.Constraint(-inf, float(rhs))
                cut_at.setdefault(h, []).append(len(cut_rows))
                cut_rows.append((row, h, coef, rhs))
                for v, use in opts:
                    c = sum(coef[k] for hh, k in use if hh == h)
                    if c:
                        row.SetCoefficient(v, float(c))
                new += 1
        return new

    for r in range(R):
        add(r, None, m.unmatched_cost[r])
    for plan in plans:
        for r, cols in plan.items():
            if cols:
                use = [(m.columns[j].home, len(m.columns[j].children)) for j in cols]
                split = m.split_cost[r] if m.columns[cols[0]].split else 0
                add(r, use, sum(m.columns[j].cost for j in cols) + split)
    best: Bound | None = None
    best_duals: tuple[np.ndarray, float, np.ndarray | None, float] | None = None
    mu = np.zeros(len(m.ph.homes))
    for _ in range(max_rounds):
        if s.Solve() != pywraplp.Solver.OPTIMAL:
            break
        mu[:] = 0.0
        for h, ct in cap.items():
            mu[h] = min(0.0, ct.dual_value())
        fd = min(0.0, floor.dual_value()) if floor is not None else 0.0
        pi = [c.dual_value() for c in conv]  # read before any column is added
        ext, ext_const = None, 0.0
        if cut_rows:
            ext = np.zeros((kmax + 1, len(m.ph.homes)))
            for row, h, coef, rhs in cut_rows:
                nu = max(0.0, -row.dual_value())
                if nu:
                    ext[:, h] += nu * np.asarray(coef, dtype=float)
                    ext_const += nu * rhs
        b = lagrangian_bound(m, mu, fd, ext=ext, ext_const=ext_const)
        if best is None or b.value > best.value:
            best, best_duals = b, (mu.copy(), fd, ext, ext_const)
        added = 0
        for r in range(R):
            option = b.options[r]
            if b.g[r] < pi[r] - DW_EPS and (option is None or option):
                n0 = len(seen)
                add(r, option, b.costs[r])
                added += len(seen) - n0
        if not added and cuts:
            added = separate()
        if not added or time.perf_counter() > deadline or (stop is not None and stop()):
            break
    if best_duals is not None and pairwise and time.perf_counter() < deadline:
        mu_, fd_, ext_, const_ = best_duals
        b = lagrangian_bound(m, mu_, fd_, pairwise=True, ext=ext_, ext_const=const_)
        if best is None or b.value > best.value:
            best = b
    return best


def column_floor(m: MatchModel, b: Bound, f: int, pos: np.ndarray) -> np.ndarray:
    """For positions ``pos`` of family ``f``: a lower bound on the objective of ANY plan that
    uses that (group or sub-group, home) pair - L with the referral's cheapest option
    replaced by the cheapest option containing the pair."""
    fam = m.families[f]
    r, size = fam.referral, len(fam.children)
    v = fam.cost[pos] + b.lam[fam.homes[pos]] * size
    if b.ext is not None:
        v = v + b.ext[size, fam.homes[pos]]
    base = b.value - b.g[r]
    if not fam.split:
        return base + v
    if r not in b.rest:  # no split can cover every child: the sub-group is never used
        return np.full(len(pos), math.inf)
    left = ((1 << m.referrals[r].size) - 1) ^ _mask(fam.children)
    return base + m.split_cost[r] + v + float(b.rest[r][left])
