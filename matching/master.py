"""The referral-option master LP (Dantzig-Wolfe on the referrals): a full-set lower bound
stronger than :func:`matching.lagrange.lagrangian_bound` at the LP's duals.

The master's columns are whole referral options - unplaced, the whole group in one home, a
complete split plan, each at its objective (SplitApart's pairwise terms included) - with the
home-capacity rows, the "never fewer than greedy" floor (elastic, so it is feasible from the
start) and, as they are found violated, the capacity cuts of :func:`matching.lagrange.cg_cuts`
and zero-half cuts (:class:`matching.lagrange.ZeroHalf`; separated only before the rounds that
price pairwise terms, where each round costs ~1.5 s on SW).
Its options are priced by :func:`~matching.lagrange.lagrangian_bound` itself at the master's
duals; every such bound is valid for every plan over every eligible pair, whatever the master
holds.

What is left of the gap on the open-data instances (SW: bound 8,367,942 against a plan of
8,370,851) was the master placing referrals by halves around odd cycles of shared homes: a
2-sibling group half in each of two homes that a 4-sibling split fills with its other half.
The zero-half cuts close those of one referral and 1-3 homes (SW's master LP 8,368,598 ->
8,368,734 without pairwise pricing); what stays fractional there spreads over 3+ referrals
(two children a quarter in each of four one-place homes a 6-sibling split half fills).
Branching on "referral r uses home h" was tried (best-first, pricing honouring it): 15 nodes
in 40 s on SW, the least open bound unmoved - not kept.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from matching.lagrange import Bound, ZeroHalf, cg_cuts, lagrangian_bound, pairwise_points
from matching.model import MatchModel

Chosen = dict[int, list[int]]
Use = tuple[tuple[int, int], ...] | None  # (home, places) per sub-group, sorted; None: unplaced

DW_ROUNDS = 200  # rounds of the master LP (it converged in ~25 on the open-data instances)
DW_EPS = 1e-6
ZH_PER_ROUND = 50  # zero-half cuts added per separation round, most violated first


def _zh_coef(r: int, use: Use | list[tuple[int, int]] | None, refs: frozenset[int], a: dict[int, tuple[int, ...]]) -> int:
    """An option's coefficient in a zero-half cut (:class:`matching.lagrange.ZeroHalf`)."""
    return (int(r in refs) + sum(a[h][k] for h, k in use or () if h in a)) // 2


def price_zero_half(
    cuts: Iterable[tuple[float, frozenset[int], dict[int, tuple[int, ...]], int]],
    ext: np.ndarray,
    out: list[ZeroHalf],
) -> float:
    """Zero-half cuts (multiplier, referrals, home -> row coefficient per size, rhs) into the
    pricing of :func:`matching.lagrange.lagrangian_bound`: their additive part into ``ext``
    (in place), the rest appended to ``out``; returns their multipliers times right-hand sides."""
    const = 0.0
    for nu, refs, a, rhs in cuts:
        if nu > 1e-9:
            odd = {}
            for h, coef in a.items():
                ext[:, h] += nu * (np.asarray(coef, dtype=float) // 2)
                odd[h] = frozenset(k for k, c in enumerate(coef) if c % 2)
            const += nu * rhs
            out.append(ZeroHalf(nu, refs, odd))
    return const


class OptionMaster:
    """The master LP in GLOP, grown in place: options, capacity rows, cuts."""

    def __init__(
        self,
        m: MatchModel,
        plans: Iterable[Chosen],
        cuts: bool = True,
        pairwise: bool = True,
        zero_half: bool = True,
    ):
        from ortools.linear_solver import pywraplp

        self.m, self.cuts, self.pairwise, self.zero_half = m, cuts, pairwise, zero_half and cuts
        self.pair_cache: dict[tuple[int, int], int] = {}
        self.s = s = pywraplp.Solver.CreateSolver("GLOP")
        self.inf = inf = s.infinity()
        self.obj = s.Objective()
        self.obj.SetMinimization()
        self.conv = [s.Constraint(1.0, 1.0) for _ in m.referrals]
        self.floor = None
        if m.floor > 0:
            self.floor = s.Constraint(-inf, float(sum(r.size for r in m.referrals) - m.floor))
            slack = s.NumVar(0.0, inf, "")
            self.floor.SetCoefficient(slack, -1.0)
            per_child = max(c / r.size for c, r in zip(m.unmatched_cost, m.referrals, strict=True))
            self.obj.SetCoefficient(slack, 2.0 * per_child)
        self.cap: dict[int, Any] = {}
        self.kmax = max((r.size for r in m.referrals), default=1)
        self.opts: list[tuple[Any, int, Use]] = []  # (variable, referral, use)
        self.seen: dict[tuple[int, Use], tuple[Any, float]] = {}  # option -> (variable, cost)
        self.cut_rows: list[tuple[Any, int, tuple[int, ...], int]] = []  # (row, home, coef per size, rhs)
        self.cut_at: dict[int, list[int]] = {}
        self.cut_keys: set[tuple[int, tuple[int, ...]]] = set()
        # zero-half cuts: (row, referrals, home -> coefficient per size, rhs)
        self.zh_rows: list[tuple[Any, frozenset[int], dict[int, tuple[int, ...]], int]] = []
        self.zh_at: dict[int, list[int]] = {}  # home or -1 - referral -> zero-half rows
        self.zh_keys: set[Any] = set()
        for r in range(len(m.referrals)):
            self.add(r, None, m.unmatched_cost[r])
        for plan in plans:
            for r, cols in plan.items():
                if cols:
                    use = [(m.columns[j].home, len(m.columns[j].children)) for j in cols]
                    split = 0
                    if m.columns[cols[0]].split:
                        split = m.split_cost[r] + pairwise_points(m.pair_points, use)
                    self.add(r, use, sum(m.columns[j].cost for j in cols) + split)

    def add(self, r: int, use: list[tuple[int, int]] | None, cost: float) -> bool:
        key = (r, None if use is None else tuple(sorted(use)))
        old = self.seen.get(key)
        if old is not None:  # the same homes and places, other children in them: keep the cheaper
            if cost >= old[1] - DW_EPS:
                return False
            self.obj.SetCoefficient(old[0], float(cost))
            self.seen[key] = (old[0], cost)
            return True
        m, s = self.m, self.s
        v = s.NumVar(0.0, self.inf, "")
        self.seen[key] = (v, cost)
        self.conv[r].SetCoefficient(v, 1.0)
        self.obj.SetCoefficient(v, float(cost))
        self.opts.append((v, r, key[1]))
        if use is None:
            if self.floor is not None:
                self.floor.SetCoefficient(v, float(m.referrals[r].size))
            return True
        for h, k in use:
            if h not in self.cap:
                self.cap[h] = s.Constraint(-self.inf, float(m.ph.free[h]))
            self.cap[h].SetCoefficient(v, float(k))
            for i in self.cut_at.get(h, ()):
                c = self.cut_rows[i][2][k]
                if c:
                    self.cut_rows[i][0].SetCoefficient(v, float(c))
        rows = set(self.zh_at.get(-1 - r, ()))
        for h, _ in use:
            rows.update(self.zh_at.get(h, ()))
        for i in rows:
            row, refs, a, _ = self.zh_rows[i]
            c = _zh_coef(r, use, refs, a)
            if c:
                row.SetCoefficient(v, float(c))
        return True

    def separate_zero_half(self, agg: dict[int, np.ndarray], xs: list[float]) -> int:
        """Zero-half cuts: half of a fractional referral's convexity row plus one tight row of
        each of 1-3 homes its fractional options use (a 2-sibling group half in each of two
        2-place homes, a 4-sibling split holding the other half of both: the group and the
        split conflict in both homes, and group-in-either + split <= 1)."""
        tight: dict[int, list[tuple[tuple[int, ...], int, float]]] = {}
        ks = np.arange(self.kmax + 1)
        for h, y in agg.items():
            free_h = int(self.m.ph.free[h])
            rows = [(tuple(int(k) for k in ks), free_h)] + cg_cuts(free_h, self.kmax)
            # rows that the options in h touch, least slack first (a row at 0 = 0 is slack-free but useless)
            cand = sorted((b - float(np.dot(a, y)), -b, a) for a, b in rows if float(np.dot(a, y)) > 1e-9)
            tight[h] = [(a, -nb, sl) for sl, nb, a in cand if sl < 1.0 - 1e-6][:4]
        at_home: dict[int, list[int]] = {}
        by_ref: dict[int, list[int]] = {}
        for i, (_, r, use) in enumerate(self.opts):
            if xs[i] > 1e-9:
                by_ref.setdefault(r, []).append(i)
                for h, _ in use or ():
                    at_home.setdefault(h, []).append(i)
        found: list[tuple[float, frozenset[int], dict[int, tuple[int, ...]], int]] = []
        for r, idx in by_ref.items():
            if max(xs[i] for i in idx) > 1.0 - 1e-6:
                continue
            homes = sorted({h for i in idx for h, _ in self.opts[i][2] or () if h in tight})
            best: tuple[float, frozenset[int], dict[int, tuple[int, ...]], int] | None = None
            for size in (1, 2, 3):
                for hs in itertools.combinations(homes[:8], size):
                    for choice in itertools.product(*(tight[h] for h in hs)):
                        if sum(sl for _, _, sl in choice) >= 1.0 - 1e-6:
                            continue
                        rhs2 = 1 + sum(b for _, b, _ in choice)
                        if rhs2 % 2 == 0:
                            continue
                        a = {h: c[0] for h, c in zip(hs, choice, strict=True)}
                        refs = frozenset((r,))
                        touched = set(idx).union(*(at_home.get(h, ()) for h in hs))
                        lhs = sum(xs[i] * _zh_coef(self.opts[i][1], self.opts[i][2], refs, a) for i in touched)
                        viol = lhs - rhs2 // 2
                        if viol > 1e-3 and (best is None or viol > best[0]):
                            best = (viol, refs, a, rhs2 // 2)
            if best is not None:
                found.append(best)
        new = 0
        for _, refs, a, rhs in sorted(found, key=lambda t: -t[0])[:ZH_PER_ROUND]:
            key = (refs, tuple(sorted(a.items())))
            if key in self.zh_keys:
                continue
            self.zh_keys.add(key)
            row = self.s.Constraint(-self.inf, float(rhs))
            i = len(self.zh_rows)
            self.zh_rows.append((row, refs, a, rhs))
            for r in refs:
                self.zh_at.setdefault(-1 - r, []).append(i)
            for h in a:
                self.zh_at.setdefault(h, []).append(i)
            for v, r, use in self.opts:
                if use and (r in refs or any(h in a for h, _ in use)):
                    c = _zh_coef(r, use, refs, a)
                    if c:
                        row.SetCoefficient(v, float(c))
            new += 1
        return new

    def separate(self) -> int:
        """Add the capacity cuts the master's solution violates; how many."""
        agg: dict[int, np.ndarray] = {}
        xs = [v.solution_value() for v, _, _ in self.opts]
        for (_, _, use), x in zip(self.opts, xs, strict=True):
            if x > 1e-9 and use:
                for h, k in use:
                    agg.setdefault(h, np.zeros(self.kmax + 1))[k] += x
        new = 0
        for h, y in agg.items():
            free_h = int(self.m.ph.free[h])
            if free_h < 2 or float(y[1:] @ np.arange(1, self.kmax + 1)) <= 1.0 + 1e-9:
                continue
            for coef, rhs in cg_cuts(free_h, self.kmax):
                if (h, coef) in self.cut_keys or float(np.dot(coef, y)) <= rhs + 1e-6:
                    continue
                self.cut_keys.add((h, coef))
                row = self.s.Constraint(-self.inf, float(rhs))
                self.cut_at.setdefault(h, []).append(len(self.cut_rows))
                self.cut_rows.append((row, h, coef, rhs))
                for v, _, use in self.opts:
                    c = sum(coef[k] for hh, k in use or () if hh == h)
                    if c:
                        row.SetCoefficient(v, float(c))
                new += 1
        if self.zero_half:
            new += self.separate_zero_half(agg, xs)
        return new

    def duals(self) -> tuple[np.ndarray, float, np.ndarray | None, float, list[float], list[ZeroHalf]]:
        mu = np.zeros(len(self.m.ph.homes))
        for h, ct in self.cap.items():
            mu[h] = min(0.0, ct.dual_value())
        fd = min(0.0, self.floor.dual_value()) if self.floor is not None else 0.0
        ext, ext_const = None, 0.0
        if self.cut_rows or self.zh_rows:
            ext = np.zeros((self.kmax + 1, len(self.m.ph.homes)))
            for row, h, coef, rhs in self.cut_rows:
                nu = max(0.0, -row.dual_value())
                if nu:
                    ext[:, h] += nu * np.asarray(coef, dtype=float)
                    ext_const += nu * rhs
        zh: list[ZeroHalf] = []
        if ext is not None:
            priced = [(max(0.0, -row.dual_value()), refs, a, rhs) for row, refs, a, rhs in self.zh_rows]
            ext_const += price_zero_half(priced, ext, zh)
        return mu, fd, ext, ext_const, [c.dual_value() for c in self.conv], zh

    def converge(
        self,
        deadline: float,
        stop: Callable[[], bool] | None = None,
        max_rounds: int = DW_ROUNDS,
    ) -> tuple[Bound | None, tuple[Any, ...] | None, bool]:
        """Column generation (and cuts) until no option prices out. Returns the best bound,
        the multipliers it came from, and whether the master converged."""
        from ortools.linear_solver import pywraplp

        best: Bound | None = None
        mult: tuple[Any, ...] | None = None
        for _ in range(max_rounds):
            if self.s.Solve() != pywraplp.Solver.OPTIMAL:
                return best, mult, False
            mu, fd, ext, ext_const, pi, zh = self.duals()
            b = lagrangian_bound(
                self.m, mu, fd, self.pair_cache, self.pairwise, ext=ext, ext_const=ext_const, zh=zh
            )
            if best is None or b.value > best.value:
                best, mult = b, (mu, fd, ext, ext_const, zh)
            added = 0
            for r in range(len(self.m.referrals)):
                option = b.options[r]
                if b.g[r] < pi[r] - DW_EPS and (option is None or option):
                    added += self.add(r, option, b.costs[r])
            if not added and self.cuts:
                added = self.separate()
            if not added:
                return best, mult, True
            if time.perf_counter() > deadline or (stop is not None and stop()):
                break
        return best, mult, False


def dantzig_wolfe(
    m: MatchModel,
    plans: Iterable[Chosen],
    deadline: float,
    stop: Callable[[], bool] | None = None,
    max_rounds: int = DW_ROUNDS,
    pairwise: bool = True,
    cuts: bool = True,
    zero_half: bool = True,
) -> Bound | None:
    """The best :func:`lagrangian_bound` over the duals of the master LP, started from unplaced
    plus the options the given plans use (e.g. the greedy), until no option prices out, after
    ``max_rounds``, at ``deadline`` or when ``stop()`` says so. The first rounds leave
    SplitApart's pairwise terms out of the pricing (fast); then (``pairwise``) the best
    multipliers are evaluated with them, and the rounds go on pricing with them until the
    master converges again or the deadline (SW: bound 8,367,044 -> 8,367,942 in ~5 s CPU).
    With ``cuts``, violated capacity cuts are added whenever no option prices out (a group of
    3 and one of 2 do not both fit 4 places, though 3/4 + 2/4 of them do). None if the
    master LP fails."""
    master = OptionMaster(m, plans, cuts, pairwise=False, zero_half=zero_half)
    best, mult, _ = master.converge(deadline, stop, max_rounds)
    if mult is not None and pairwise and time.perf_counter() < deadline:
        mu, fd, ext, ext_const, zh = mult
        b = lagrangian_bound(m, mu, fd, master.pair_cache, True, ext=ext, ext_const=ext_const, zh=zh)
        if best is None or b.value > best.value:
            best = b
        if time.perf_counter() < deadline and not (stop is not None and stop()):
            master.pairwise = True  # go on from there, pricing split plans with their pairwise terms
            master.zero_half = False  # (its zero-half rows stay; separating more there costs rounds of ~1.5 s)
            b2, _, _ = master.converge(deadline, stop, max_rounds)
            if b2 is not None and (best is None or b2.value > best.value):
                best = b2
    return best
