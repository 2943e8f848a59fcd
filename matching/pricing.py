"""LP relaxation of the restricted model and pricing of the pairs left out of it.

:class:`RestrictedLP` keeps the LP relaxation of the restricted model in OR-Tools' GLOP
and grows it in place as columns are added (no rebuild per round). :func:`scan` computes
the reduced cost ``c_j - sum_i a_ij y_i`` of left-out pairs family by family: a family's
homes are sorted by cost, and the home-capacity and split-pair duals are <= 0 (they only
raise a reduced cost), so only the prefix of homes cheaper than the family's dual
threshold can have a negative reduced cost.

The "never fewer than greedy" floor is written on the unmatched variables
(sum of size * unmatched <= children - floor), so it touches no pair column.

Bound (valid at every round, even before pricing converges): for any integer solution
x of the FULL model, objective(x) >= LP value + sum_j rc_j x_j, and a referral uses at
most as many columns as it has children, so LP value + sum_r size_r * min(0, min rc_r)
is a lower bound over every eligible pair (:func:`lagrangian_bound`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from matching.lagrange import Bound, column_floor
from matching.model import MatchModel

RC_EPS = 1e-6


@dataclass
class Duals:
    value: float  # LP optimum of the restricted model
    conv: np.ndarray  # referral row: whole + split + unmatched = 1
    cover: dict[tuple[int, int], float]  # (referral, child) row: its split columns = split[r]
    mu: np.ndarray  # per home, <= 0 (capacity)
    sigma: dict[int, dict[int, float]]  # referral -> home -> <= 0 (one sub-group per home)
    x: np.ndarray  # primal values of the columns
    floor: float = 0.0  # dual of the floor row (<= 0)


class RestrictedLP:
    """The LP relaxation of the model's current columns, in GLOP, grown in place."""

    def __init__(self, m: MatchModel):
        from ortools.linear_solver import pywraplp

        self.m = m
        s = pywraplp.Solver.CreateSolver("GLOP")
        self.s = s
        inf = s.infinity()
        R = len(m.referrals)
        self.obj = s.Objective()
        self.obj.SetMinimization()
        self.conv = [s.Constraint(1.0, 1.0) for _ in range(R)]
        self.cover: dict[tuple[int, int], Any] = {}
        self.unm: list[Any] = []
        for r in range(R):
            u = s.NumVar(0.0, inf, "")
            self.unm.append(u)
            self.conv[r].SetCoefficient(u, 1.0)
            self.obj.SetCoefficient(u, float(m.unmatched_cost[r]))
            if m.splittable[r]:
                sp = s.NumVar(0.0, inf, "")
                self.conv[r].SetCoefficient(sp, 1.0)
                self.obj.SetCoefficient(sp, float(m.split_cost[r]))
                for k in range(m.referrals[r].size):
                    ct = s.Constraint(0.0, 0.0)
                    ct.SetCoefficient(sp, -1.0)
                    self.cover[(r, k)] = ct
        self.cap: dict[int, Any] = {}
        self.pair: dict[tuple[int, int], Any] = {}
        self.at_home: dict[int, list[int]] = {}  # home -> columns (rows only where over-filling is possible)
        self.load = np.zeros(len(m.ph.homes), dtype=np.int64)
        self.at_pair: dict[tuple[int, int], list[int]] = {}
        # children placed >= floor  <=>  sum_r size_r * unmatched[r] <= children - floor
        self.floor = None
        if m.floor > 0:
            total = sum(r.size for r in m.referrals)
            self.floor = s.Constraint(-inf, float(total - m.floor))
            for r in range(R):
                self.floor.SetCoefficient(self.unm[r], float(m.referrals[r].size))
        self.x: list[Any] = []

    def sync(self) -> None:
        """Add the model's new columns to the LP. A capacity row is made only once a home's
        columns could over-fill it, a split-pair row once two sub-groups share a home."""
        m, s = self.m, self.s
        inf = s.infinity()
        for j in range(len(self.x), len(m.columns)):
            col = m.columns[j]
            v = s.NumVar(0.0, inf, "")
            self.x.append(v)
            size = len(col.children)
            self.obj.SetCoefficient(v, float(col.cost))
            if col.split:
                for k in col.children:
                    self.cover[(col.referral, k)].SetCoefficient(v, 1.0)
                key = (col.referral, col.home)
                js = self.at_pair.setdefault(key, [])
                js.append(j)
                if key in self.pair:
                    self.pair[key].SetCoefficient(v, 1.0)
                elif len(js) > 1:
                    ct = self.pair[key] = s.Constraint(-inf, 1.0)
                    for i in js:
                        ct.SetCoefficient(self.x[i], 1.0)
            else:
                self.conv[col.referral].SetCoefficient(v, 1.0)
            h = col.home
            self.at_home.setdefault(h, []).append(j)
            self.load[h] += size
            if h in self.cap:
                self.cap[h].SetCoefficient(v, float(size))
            elif self.load[h] > m.ph.free[h]:
                ct = self.cap[h] = s.Constraint(-inf, float(m.ph.free[h]))
                for i in self.at_home[h]:
                    ct.SetCoefficient(self.x[i], float(len(m.columns[i].children)))

    def solve(self) -> Duals | None:
        from ortools.linear_solver import pywraplp

        self.sync()
        if self.s.Solve() != pywraplp.Solver.OPTIMAL:
            return None
        m = self.m
        mu = np.zeros(len(m.ph.homes))
        for h, ct in self.cap.items():
            mu[h] = min(0.0, ct.dual_value())
        sigma: dict[int, dict[int, float]] = {}
        for (r, h), ct in self.pair.items():
            d = min(0.0, ct.dual_value())
            if d:
                sigma.setdefault(r, {})[h] = d
        return Duals(
            self.obj.Value(),
            np.array([c.dual_value() for c in self.conv]),
            {k: ct.dual_value() for k, ct in self.cover.items()},
            mu,
            sigma,
            np.array([v.solution_value() for v in self.x]),
            min(0.0, self.floor.dual_value()) if self.floor is not None else 0.0,
        )


def scan(m: MatchModel, d: Duals, limit: float, visit: Callable[[int, int, np.ndarray], None]) -> None:
    """For each family, pass the reduced costs of its homes whose cost is below the family's
    threshold (+ ``limit``) to ``visit(family, prefix length, reduced costs)``."""
    for f, fam in enumerate(m.families):
        r, size = fam.referral, len(fam.children)
        if fam.split:
            base = sum(d.cover[(r, k)] for k in fam.children)
        else:
            base = float(d.conv[r])
        shift = base  # rc >= cost - shift: home and pair duals only add (the floor row holds no pair)
        p = int(np.searchsorted(fam.cost, shift + limit, side="left"))
        if p == 0:
            continue
        hs = fam.homes[:p]
        rc = fam.cost[:p] - shift - size * d.mu[hs]
        if fam.split and r in d.sigma:
            for h, s in d.sigma[r].items():
                rc[hs == h] -= s
        visit(f, p, rc)


def price(m: MatchModel, d: Duals, per_family: int) -> tuple[int, float]:
    """Add up to ``per_family`` left-out pairs of negative reduced cost per family (most
    negative first). Returns (pairs added, Lagrangian lower bound over every eligible pair)."""
    min_rc: dict[int, float] = {}
    new: list[tuple[int, int]] = []

    def visit(f: int, p: int, rc: np.ndarray) -> None:
        fam = m.families[f]
        out = fam.col[:p] < 0  # columns in the model have rc >= 0 at the LP optimum
        if out.any():
            lo = float(rc[out].min())
            if lo < min_rc.get(fam.referral, 0.0):
                min_rc[fam.referral] = lo
        cand = np.flatnonzero((rc < -RC_EPS) & out)
        if len(cand) > per_family:
            cand = cand[np.argsort(rc[cand], kind="stable")[:per_family]]
        new.extend((f, int(i)) for i in cand)

    scan(m, d, RC_EPS, visit)
    for f, pos in new:
        m.add(f, pos)
    bound = d.value + sum(m.referrals[r].size * v for r, v in min_rc.items())
    return len(new), bound


def add_below(
    m: MatchModel, d: Duals, lagr: float, ub: float, cap: int, lag: Bound | None = None
) -> tuple[int, float]:
    """Add every left-out pair that could be in a plan cheaper than ``ub``: a plan using a
    pair costs at least ``lagr`` + its reduced cost, and at least
    :func:`matching.lagrange.column_floor` (when ``lag`` is given); a pair is left out when
    either reaches ``ub``. At most ``cap`` pairs, the lowest first. Returns (pairs added,
    T): every plan using a pair still left out costs at least T."""
    found: list[tuple[float, int, int]] = []
    delta = ub - lagr

    def visit(f: int, p: int, rc: np.ndarray) -> None:
        fam = m.families[f]
        sel = np.flatnonzero((rc < delta + RC_EPS) & (fam.col[:p] < 0))
        if not len(sel):
            return
        lb = lagr + rc[sel]
        if lag is not None:
            lb = np.maximum(lb, column_floor(m, lag, f, sel))
        keep = lb < ub + RC_EPS
        found.extend((float(v), f, int(i)) for v, i in zip(lb[keep], sel[keep], strict=True))

    scan(m, d, delta + RC_EPS, visit)
    proven = ub
    if len(found) > cap:
        found.sort()
        proven = found[cap][0]
        found = [x for x in found[:cap] if x[0] < proven]
    for _, f, pos in found:
        m.add(f, pos)
    return len(found), proven
