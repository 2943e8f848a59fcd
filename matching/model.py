"""The region-wide assignment model, independent of any solver.

Variables (all binary):

* ``col[j]`` - a *column*: either a whole referral placed together in one home, or
  (for referrals whose care plan and the policy allow a split) one sibling placed
  alone in a home near the family home.
* ``split[r]`` - referral r is placed split; ``unmatched[r]`` - r is left unplaced.

Constraints:

* each referral: sum of its whole columns + split[r] + unmatched[r] = 1;
* each child of a splittable referral: sum of its split columns = split[r];
* siblings of a split referral are in different homes (at most one per home);
* each home: children placed <= free places.

Objective: the sum of the soft pair terms of every placed child (each column's cost
is the sum over its children), + split penalty * split[r] + unmatched penalty *
unmatched[r]. Every coefficient comes from :mod:`matching.rules.soft`.

Pruning: each referral keeps only its ``k_best`` cheapest eligible whole columns (and
``k_split`` per child for splits). A greedy pass then extends the candidate list of
any referral whose candidates are all full (up to ``extend_limit`` more homes), so the
pruned model can always place at least as many children as the greedy. Pruning
changes the model: an "optimal" status means optimal *for the pruned model*. The
exact reference (:mod:`matching.reference`) solves the same pruned model, so gaps are
comparable; ``k_best=None`` keeps every eligible pair (the unpruned model).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from api_schemas.vocab import Urgency
from matching.candidates import PreparedHomes, Scan
from matching.domain import Policy, Referral
from matching.rules.soft import SIBLINGS_TOGETHER, UNMATCHED, ScoringContext, make_context


@dataclass(frozen=True, slots=True)
class Column:
    referral: int
    home: int
    children: tuple[int, ...]  # indices into the referral's children
    cost: int
    split: bool


@dataclass
class MatchModel:
    referrals: tuple[Referral, ...]
    ph: PreparedHomes
    policy: Policy
    columns: list[Column] = field(default_factory=list)
    whole: list[list[int]] = field(default_factory=list)  # referral -> column ids
    split_cols: list[list[list[int]] | None] = field(default_factory=list)  # referral -> child -> ids
    unmatched_cost: list[int] = field(default_factory=list)
    split_cost: list[int] = field(default_factory=list)
    scans: list[Scan] = field(default_factory=list)
    build_s: float = 0.0

    @property
    def ctx(self) -> ScoringContext:
        return self.ph.ctx

    def add_column(self, col: Column) -> int:
        self.columns.append(col)
        j = len(self.columns) - 1
        if col.split:
            self.split_cols[col.referral][col.children[0]].append(j)
        else:
            self.whole[col.referral].append(j)
        return j

    def has_split(self, r: int) -> bool:
        sc = self.split_cols[r]
        return sc is not None and all(sc)

    # ---------------------------------------------------------------- linear form
    def linear_form(self):
        """The model as (c, rows, senses, rhs, var_names) with rows as {var: coef} dicts.

        Variable order: columns, then split[r] for referrals with a split option, then
        unmatched[r] for every referral. Used by the MIP backends and the reference.
        """
        nc = len(self.columns)
        split_var = {}
        for r in range(len(self.referrals)):
            if self.has_split(r):
                split_var[r] = nc + len(split_var)
        unm0 = nc + len(split_var)
        n = unm0 + len(self.referrals)
        c = np.zeros(n)
        for j, col in enumerate(self.columns):
            c[j] = col.cost
        for r, v in split_var.items():
            c[v] = self.split_cost[r]
        for r in range(len(self.referrals)):
            c[unm0 + r] = self.unmatched_cost[r]
        rows, senses, rhs = [], [], []
        for r in range(len(self.referrals)):
            row = {j: 1.0 for j in self.whole[r]}
            if r in split_var:
                row[split_var[r]] = 1.0
            row[unm0 + r] = 1.0
            rows.append(row)
            senses.append("==")
            rhs.append(1.0)
            if r in split_var:
                per_home: dict[int, list[int]] = {}
                for ids in self.split_cols[r]:
                    row = {j: 1.0 for j in ids}
                    row[split_var[r]] = -1.0
                    rows.append(row)
                    senses.append("==")
                    rhs.append(0.0)
                    for j in ids:
                        per_home.setdefault(self.columns[j].home, []).append(j)
                for ids in per_home.values():
                    if len(ids) > 1:
                        rows.append({j: 1.0 for j in ids})
                        senses.append("<=")
                        rhs.append(1.0)
        load: dict[int, dict[int, float]] = {}
        for j, col in enumerate(self.columns):
            load.setdefault(col.home, {})[j] = float(len(col.children))
        for h, row in load.items():
            if sum(row.values()) > self.ph.free[h]:
                rows.append(row)
                senses.append("<=")
                rhs.append(float(self.ph.free[h]))
        return c, rows, senses, rhs, split_var, unm0


URGENCY_RANK = {Urgency.TODAY: 0, Urgency.WITHIN_5_DAYS: 1, Urgency.AFTER_5_DAYS: 2}


def build_model(referrals, homes, policy: Policy, *, k_best: int | None = 8, k_split: int = 3,
                extend_limit: int = 200, distance=None, prepared: PreparedHomes | None = None,
                include: dict[str, str] | None = None) -> MatchModel:
    """Build the (pruned) model. ``include`` (child id -> home id) forces those pairs into
    the candidate lists when eligible, e.g. a baseline's choice, so the optimum of the
    model is never worse than that baseline."""
    t0 = time.perf_counter()
    referrals = tuple(referrals)
    if prepared is None:
        homes = tuple(homes)
        prepared = PreparedHomes(homes, make_context(policy, homes, distance))
    m = MatchModel(referrals, prepared, policy)
    big = len(prepared.homes) + 1
    for r, ref in enumerate(referrals):
        m.whole.append([])
        m.unmatched_cost.append(UNMATCHED.points(ref, policy))
        m.split_cost.append(SIBLINGS_TOGETHER.points(ref, policy))
        scan = Scan(prepared, ref, ref.children, policy)
        m.scans.append(scan)
        for cost, hi in scan.best(k_best or big):
            m.whole[r].append(len(m.columns))
            m.columns.append(Column(r, hi, tuple(range(ref.size)), cost, False))
        if ref.size > 1 and policy.allow_split and ref.allow_split:
            per_child = [Scan(prepared, ref, (child,), policy).best(k_split if k_best else big)
                         for child in ref.children]
            if all(per_child):
                m.split_cols.append([[] for _ in ref.children])
                for k, found in enumerate(per_child):
                    for cost, hi in found:
                        m.add_column(Column(r, hi, (k,), cost, True))
            else:
                m.split_cols.append(None)
        else:
            m.split_cols.append(None)
    if include:
        _include_pairs(m, include)
    _extend_for_capacity(m, extend_limit)
    m.build_s = time.perf_counter() - t0
    return m


def _include_pairs(m: MatchModel, include: dict[str, str]) -> None:
    from matching.rules.hard import first_failure
    from matching.rules.soft import pair_points

    ctx = m.ctx
    for r, ref in enumerate(m.referrals):
        homes = {include.get(c.id) for c in ref.children}
        if None in homes:
            continue
        if len(homes) == 1:
            hi = m.ph.index.get(homes.pop())
            if hi is None or any(m.columns[j].home == hi for j in m.whole[r]):
                continue
            home = m.ph.homes[hi]
            if first_failure(ref, ref.children, home, m.policy) is None:
                cost = sum(pair_points(c, home, ctx.facts(c, home), ctx) for c in ref.children)
                m.add_column(Column(r, hi, tuple(range(ref.size)), cost, False))
        elif m.split_cols[r] is not None:
            for k, c in enumerate(ref.children):
                hi = m.ph.index.get(include[c.id])
                if hi is None or any(m.columns[j].home == hi for j in m.split_cols[r][k]):
                    continue
                home = m.ph.homes[hi]
                if first_failure(ref, (c,), home, m.policy) is None:
                    m.add_column(Column(r, hi, (k,), pair_points(c, home, ctx.facts(c, home), ctx), True))


def greedy_on_model(m: MatchModel, extend_limit: int = 0) -> dict[int, list[int]]:
    """Greedy solution on the model's columns: most urgent (then largest, then cheapest)
    referral first, each takes its cheapest column with room; if none has room and
    ``extend_limit`` > 0, scan further eligible homes and add the first with room as a
    new column. Returns referral -> chosen column ids (absent = unmatched)."""
    left = m.ph.free.copy()
    chosen: dict[int, list[int]] = {}
    order = sorted(range(len(m.referrals)), key=lambda r: (
        URGENCY_RANK.get(m.referrals[r].urgency, 3), -m.referrals[r].size,
        min((m.columns[j].cost for j in m.whole[r]), default=1 << 60)))
    for r in order:
        ref = m.referrals[r]
        best = None
        for j in m.whole[r]:
            col = m.columns[j]
            if left[col.home] >= ref.size and (best is None or col.cost < m.columns[best].cost):
                best = j
        if best is None and extend_limit:
            scan = m.scans[r]
            for _ in range(extend_limit):
                item = scan.next_eligible()
                if item is None:
                    break
                cost, hi = item
                j = m.add_column(Column(r, hi, tuple(range(ref.size)), cost, False))
                if left[hi] >= ref.size:
                    best = j
                    break
        if best is not None:
            chosen[r] = [best]
            left[m.columns[best].home] -= ref.size
            continue
        if m.has_split(r):
            picks, used = [], set()
            for ids in m.split_cols[r]:
                opts = [j for j in ids if left[m.columns[j].home] >= 1 and m.columns[j].home not in used]
                if not opts:
                    break
                j = min(opts, key=lambda j: m.columns[j].cost)
                picks.append(j)
                used.add(m.columns[j].home)
                left[m.columns[j].home] -= 1
            if len(picks) == ref.size:
                chosen[r] = picks
            else:
                for j in picks:
                    left[m.columns[j].home] += 1
    return chosen


def _extend_for_capacity(m: MatchModel, extend_limit: int) -> None:
    if extend_limit:
        greedy_on_model(m, extend_limit)


def objective_of(m: MatchModel, chosen: dict[int, list[int]]) -> int:
    total = 0
    for r in range(len(m.referrals)):
        cols = chosen.get(r)
        if not cols:
            total += m.unmatched_cost[r]
        else:
            total += sum(m.columns[j].cost for j in cols)
            if m.columns[cols[0]].split:
                total += m.split_cost[r]
    return total
