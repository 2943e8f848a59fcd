"""The region-wide assignment model over EVERY eligible pair, independent of any solver.

Candidates come in *families*: for each referral, the whole group in one home, and - when
the care plan and the policy allow a split - every proper sub-group of the siblings
(2+1, 2+2, 1+1+1, ...), each sub-group in one home. A family holds ALL its eligible homes
(:mod:`matching.candidates`), sorted by cost. A *column* is one (family, home) pair.

Variables (binary): ``x[j]`` for columns, ``split[r]`` (referral r placed as sub-groups),
``unmatched[r]``.

Constraints:

* each referral: whole columns + split[r] + unmatched[r] = 1;
* each child of a splittable referral: the split columns containing it = split[r]
  (every child in exactly one sub-group);
* a referral's sub-groups are in different homes (at most one per home);
* each home: children placed <= free places;
* children placed >= ``floor`` (the greedy baseline's count: never fewer than today).

Objective: pair terms of every placed child + the split penalty + the unmatched penalty +
:class:`~matching.rules.soft.SplitApart`: its per-home part is in each sub-group's cost, its
pairwise part (miles between two homes of the same split) is a variable ``w[r, h, h']`` with
``w >= (r's sub-groups at h) + (r's sub-groups at h') - 1``. Pairwise variables are added
lazily (:meth:`MatchModel.add_pairs`) for the home pairs a solution uses: a model without some
of them is a relaxation (every left-out term is >= 0), so its bounds stay valid, and a
solution whose home pairs are all modelled is scored exactly. Every coefficient comes from
:mod:`matching.rules.soft` (through the vectorised mirror, tested equal).

The solver keeps only some columns in the model at a time (the restricted model) and
prices the rest with the LP duals (:mod:`matching.solver`); ``MatchModel`` tracks which
columns of each family are in.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from matching.candidates import PreparedHomes, batch_ok_cost, group_ok
from matching.distance import DistanceSource
from matching.domain import Home, Policy, Referral
from matching.linear import LinearForm, linear_form
from matching.rules.group import SIBLINGS_TOGETHER, SPLIT_APART, UNMATCHED
from matching.rules.soft import ScoringContext, make_context

BATCH = 64  # referrals whose children are scored together (children x homes arrays)
MAX_SPLIT_GROUP = 10
"""Sub-groups are enumerated for groups up to this size (2^n - 2 sub-groups); larger
groups can only be placed whole."""


@dataclass
class Family:
    """All eligible homes of one (referral, children) group, cheapest first."""

    referral: int
    children: tuple[int, ...]  # indices into the referral's children
    split: bool  # a sub-group of a split (else the whole group)
    homes: np.ndarray  # home indices, sorted by cost
    cost: np.ndarray  # int64 cost of the group in each home (incl. SplitApart's per-home part for sub-groups)
    col: np.ndarray = field(init=False)  # column id per position, -1 when not in the model

    def __post_init__(self) -> None:
        self.col = np.full(len(self.homes), -1, dtype=np.int64)

    def position(self, home: int) -> int | None:
        hit = np.flatnonzero(self.homes == home)
        return int(hit[0]) if len(hit) else None


@dataclass(frozen=True, slots=True)
class Column:
    family: int
    referral: int
    home: int
    children: tuple[int, ...]
    cost: int
    split: bool


@dataclass
class MatchModel:
    referrals: tuple[Referral, ...]
    ph: PreparedHomes
    policy: Policy
    families: list[Family] = field(default_factory=list)
    ref_families: list[list[int]] = field(default_factory=list)
    family_of: dict[tuple[int, tuple[int, ...]], int] = field(default_factory=dict)
    columns: list[Column] = field(default_factory=list)
    unmatched_cost: list[int] = field(default_factory=list)
    split_cost: list[int] = field(default_factory=list)
    splittable: list[bool] = field(default_factory=list)
    floor: int = 0
    greedy: dict[int, list[tuple[tuple[int, ...], int]]] = field(default_factory=dict)
    build_s: float = 0.0
    pairs: dict[tuple[int, int, int], int] = field(default_factory=dict)  # modelled (r, h < h') -> points

    @property
    def ctx(self) -> ScoringContext:
        return self.ph.ctx

    @property
    def eligible_pairs(self) -> int:
        return sum(len(f.homes) for f in self.families)

    def add(self, f: int, pos: int) -> int:
        """Put position ``pos`` of family ``f`` into the model (idempotent); its column id."""
        fam = self.families[f]
        if fam.col[pos] >= 0:
            return int(fam.col[pos])
        self.columns.append(
            Column(f, fam.referral, int(fam.homes[pos]), fam.children, int(fam.cost[pos]), fam.split)
        )
        fam.col[pos] = len(self.columns) - 1
        return len(self.columns) - 1

    def add_all(self) -> None:
        for f, fam in enumerate(self.families):
            for pos in range(len(fam.homes)):
                self.add(f, pos)

    def pair_points(self, h1: int, h2: int) -> int:
        """SplitApart's pairwise points for homes h1 and h2 (indices into ``ph.homes``)."""
        return SPLIT_APART.pair_points(self.ph.homes[h1], self.ph.homes[h2], self.ctx)

    def used_pairs(self, chosen: dict[int, list[int]]) -> list[tuple[int, int, int]]:
        """(referral, home, home) for every two homes a split in ``chosen`` uses (home < home)."""
        out: list[tuple[int, int, int]] = []
        for r, cols in chosen.items():
            if len(cols) > 1 and self.columns[cols[0]].split:
                hs = sorted(self.columns[j].home for j in cols)
                out.extend((r, a, b) for i, a in enumerate(hs) for b in hs[i + 1 :])
        return out

    def add_pairs(self, chosen: dict[int, list[int]]) -> int:
        """Model the pairwise SplitApart terms ``chosen`` uses; how many were new."""
        new = [k for k in self.used_pairs(chosen) if k not in self.pairs]
        for r, a, b in new:
            self.pairs[(r, a, b)] = self.pair_points(a, b)
        return len(new)

    def has_split(self, r: int) -> bool:
        return self.splittable[r]

    def column_for(self, r: int, children: tuple[int, ...], home: int) -> int | None:
        """Column id of (referral r, children, home), adding it if eligible; None if not eligible."""
        f = self.family_of.get((r, children))
        if f is None:
            return None
        pos = self.families[f].position(home)
        return None if pos is None else self.add(f, pos)

    def linear_form(self) -> LinearForm:
        """The restricted model (the columns in it) in matrix form (:func:`matching.linear.linear_form`)."""
        return linear_form(self)


def _subgroups(n: int) -> list[tuple[int, ...]]:
    """Every proper, non-empty sub-group of n children, larger first."""
    out = [s for size in range(n - 1, 0, -1) for s in itertools.combinations(range(n), size)]
    return out


def build_model(
    referrals: Iterable[Referral],
    homes: Iterable[Home],
    policy: Policy,
    *,
    distance: DistanceSource | None = None,
    prepared: PreparedHomes | None = None,
) -> MatchModel:
    """Every eligible (group or sub-group, home) pair with its cost, as families; no column
    is in the model yet (see :meth:`MatchModel.add`). ``referrals`` and ``homes`` must be
    valid (:func:`matching.inputs.split_valid`)."""
    t0 = time.perf_counter()
    referrals = tuple(referrals)
    if prepared is None:
        homes = tuple(homes)
        prepared = PreparedHomes(homes, make_context(policy, homes, distance))
    ph = prepared
    m = MatchModel(referrals, ph, policy)
    idx = ph.open
    left = ph.free.copy()  # for the greedy baseline, run alongside in referral order
    batch: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    row0 = 0
    first = 0  # index of the first referral in the current batch
    for r, ref in enumerate(referrals):
        m.ref_families.append([])
        m.unmatched_cost.append(UNMATCHED.points(ref, policy))
        m.split_cost.append(SIBLINGS_TOGETHER.points(ref, policy))
        if batch is None or r >= first + BATCH:  # children x homes arrays, BATCH referrals at a time
            first = r
            kids = tuple(c for x in referrals[r : r + BATCH] for c in x.children)
            batch = batch_ok_cost(ph, kids, policy, idx)
            row0 = 0
        n = ref.size
        oks = list(batch[0][row0 : row0 + n])
        costs = list(batch[1][row0 : row0 + n])
        miles = list(batch[2][row0 : row0 + n])
        row0 += n
        whole = group_ok(ph, ref, n, policy, idx)
        for ok in oks:
            whole &= ok
        _add_family(m, r, tuple(range(n)), False, idx[whole], sum(cs[whole] for cs in costs))
        pick = _nearest_with_room(idx[whole], miles[0][whole], left, n, ())
        if pick is not None:
            m.greedy[r] = [(tuple(range(n)), pick)]
            left[pick] -= n
        can_split = n > 1 and n <= MAX_SPLIT_GROUP and policy.allow_split and ref.allow_split
        covered: set[int] = set()
        parts: list[tuple[tuple[int, ...], np.ndarray, np.ndarray]] = []
        singles: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        if can_split:
            near = group_ok(ph, ref, 1, policy, idx)  # quality, a place, within the split radius
            sub = idx[near]
            apart = SPLIT_APART.home_points(policy)  # the pairwise part is modelled lazily
            sub_ok = [ok[near] for ok in oks]
            sub_cost = [cs[near] for cs in costs]
            for s in _subgroups(n):
                mask = group_ok(ph, ref, len(s), policy, sub)
                for k in s:
                    mask &= sub_ok[k]
                if mask.any():
                    covered.update(s)
                    parts.append((s, sub[mask], apart + sum(sub_cost[k][mask] for k in s)))
                    if len(s) == 1:
                        singles[s[0]] = (sub[mask], miles[s[0]][near][mask])
        m.splittable.append(can_split and len(covered) == n)
        if m.splittable[r]:  # else no split can cover every child: its sub-groups are useless
            for s, hs, cost in parts:
                _add_family(m, r, s, True, hs, cost)
            if pick is None and len(singles) == n:  # greedy: each sibling to its nearest home with room
                chosen: list[int] = []
                for k in range(n):
                    h = _nearest_with_room(*singles[k], left, 1, chosen)
                    if h is None:
                        break
                    chosen.append(h)
                    left[h] -= 1
                if len(chosen) == n:
                    m.greedy[r] = [((k,), h) for k, h in enumerate(chosen)]
                else:
                    for h in chosen:
                        left[h] += 1
    m.build_s = time.perf_counter() - t0
    return m


def _nearest_with_room(
    homes: np.ndarray, miles: np.ndarray, left: np.ndarray, need: int, avoid: Iterable[int]
) -> int | None:
    """The nearest of ``homes`` with ``need`` places left (ties: lower index), not in ``avoid``."""
    room = left[homes] >= need
    avoid = list(avoid)
    if avoid:
        room &= ~np.isin(homes, avoid)
    if not room.any():
        return None
    hs, ms = homes[room], miles[room]
    return int(hs[np.lexsort((hs, ms))[0]])


def _add_family(
    m: MatchModel, r: int, children: tuple[int, ...], split: bool, homes: np.ndarray, cost: np.ndarray | int
) -> None:
    cost = np.asarray(cost, dtype=np.int64)
    if len(homes) == 0:
        return
    order = np.lexsort((homes, cost))
    m.family_of[(r, children)] = len(m.families)
    m.ref_families[r].append(len(m.families))
    m.families.append(Family(r, children, split, homes[order].astype(np.int64), cost[order]))


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
    for r, a, b in m.used_pairs(chosen):
        total += m.pairs[(r, a, b)] if (r, a, b) in m.pairs else m.pair_points(a, b)
    return total


def placed_children(m: MatchModel, chosen: dict[int, list[int]]) -> int:
    return sum(len(m.columns[j].children) for cols in chosen.values() for j in cols)
