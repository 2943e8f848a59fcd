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
:func:`matching.master.dantzig_wolfe` then improves the multipliers with a master LP over whole referral
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
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from matching.model import MatchModel

Chosen = dict[int, list[int]]

EXACT_MAX = 7  # split plans of groups up to this size are searched exactly (distinct homes)
PAIR_HOMES = 24  # homes per sub-group, beyond n + 1, searched for plans with pairwise terms
# search nodes per referral for plans with pairwise terms (4,000 left 2,660 points of the SW bound)
NODE_LIMIT = 20000


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
    costs: list[float]  # per referral: that option's objective (no multipliers; its pairwise terms in)
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
    zh: list[ZeroHalf] | None = None,
) -> Bound:
    """L for the multipliers ``mu`` (capacity duals, <= 0) and ``floor_dual`` (<= 0).
    ``pairwise``: count SplitApart's pairwise terms in split plans (slower, stronger);
    ``pair_cache`` keeps their points between calls. ``ext[k, h]`` (>= 0) is the price of
    capacity cuts (:func:`cg_cuts`) an option pays for putting ``k`` children in home ``h``,
    ``ext_const`` (>= 0) their multipliers times right-hand sides. ``zh``: zero-half cuts at
    their multipliers; ``ext`` holds their additive part (``nu * floor(a_h[k] / 2)``), this
    the rest, ``nu * floor((e_r + #homes with a_h[k] odd) / 2)`` (:class:`ZeroHalf`)."""
    cache = {} if pair_cache is None else pair_cache
    odd_at: dict[int, list[tuple[int, frozenset[int]]]] = {}
    by_ref: dict[int, list[int]] = {}
    for c, cut in enumerate(zh or ()):
        for h, ks in cut.odd.items():
            odd_at.setdefault(h, []).append((c, ks))
        for r in cut.refs:
            by_ref.setdefault(r, []).append(c)

    def corr(r: int, use: list[tuple[int, int]]) -> float:
        """The non-additive part of the zero-half cuts' price of an option."""
        cnt: dict[int, int] = {}
        for h, k in use:
            for c, ks in odd_at.get(h, ()):
                if k in ks:
                    cnt[c] = cnt.get(c, 0) + 1
        out = 0.0
        for c, n_odd in cnt.items():
            assert zh is not None
            out += zh[c].nu * ((int(r in zh[c].refs) + n_odd) // 2)
        return out

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
        apart = 0.0
        best = m.unmatched_cost[r] + (psi * n if m.floor > 0 else 0.0)
        use: list[tuple[int, int]] | None = None  # (home, places) of the cheapest option; None: unplaced
        subs: dict[int, tuple[list[float], list[int], float]] = {}
        for f in m.ref_families[r]:
            fam = m.families[f]
            v = fam.cost + lam[fam.homes] * len(fam.children)
            if ext is not None:
                v = v + ext[len(fam.children), fam.homes]
            if not fam.split:
                for c in by_ref.get(r, ()):
                    assert zh is not None
                    for h, ks in zh[c].odd.items():
                        if n in ks:
                            v = np.where(fam.homes == h, v + zh[c].nu, v)
                i = int(np.argmin(v))
                if v[i] < best:
                    best, use = float(v[i]), [(int(fam.homes[i]), n)]
            else:
                order = np.argsort(v, kind="stable")
                keep = n + 1 + PAIR_HOMES
                nxt = float(v[order[keep]]) if len(order) > keep else math.inf  # the cheapest home left out
                order = order[:keep]
                subs[_mask(fam.children)] = (v[order].tolist(), fam.homes[order].tolist(), nxt)
        if subs and m.splittable[r]:
            cheapest = {k: float(v[0]) for k, (v, _, _) in subs.items()}
            relaxed = _relaxed(n, cheapest)
            rest[r] = relaxed
            best_sub[r] = cheapest
            full = (1 << n) - 1
            step = None
            if odd_at and any(h in odd_at for _, hs_, _ in subs.values() for h in hs_):
                step = _Parity(odd_at, zh or [], r)
            plan, homes, own = (
                _exact(n, subs, relaxed, pair if pairwise else None, step)
                if n <= EXACT_MAX
                else (float(relaxed[full]), [], math.nan)
            )
            if m.split_cost[r] + plan < best:
                best, use = m.split_cost[r] + plan, homes
                if math.isnan(own):  # the option's objective has its pairwise terms
                    apart = pairwise_points(pair, homes)
                else:
                    apart = own - plan
                    if not pairwise:
                        apart += pairwise_points(pair, homes)
        g[r] = best
        options.append(use)
        if use is None:
            unplaced += n
            costs.append(float(m.unmatched_cost[r]))
        else:
            for h, k in use:
                load[h] += k
            costs.append(
                best
                + apart
                - sum(lam[h] * k + (ext[k, h] if ext is not None else 0.0) for h, k in use)
                - corr(r, use)
            )
    return Bound(float(g.sum() + const), g, lam, best_sub, rest, load, unplaced, options, costs, ext)


@dataclass(frozen=True)
class ZeroHalf:
    """A {0, 1/2} Chvatal-Gomory cut over the master's rows (:mod:`matching.master`): half the
    sum of the convexity rows of ``refs`` and, per home h, one valid row of h's capacity
    (``sum a_h[k] <= b_h`` over the groups k in h, e.g. the capacity row itself or a
    :func:`cg_cuts` row), rounded down. An option of referral r putting k_h children in home h
    has coefficient ``floor((e_r + sum_h a_h[k_h]) / 2)`` (``e_r`` = r in ``refs``), which is
    ``sum_h floor(a_h[k_h] / 2)`` (additive: priced through ``ext``) plus
    ``floor((e_r + #{h: a_h[k_h] odd}) / 2)`` (priced here, at ``nu`` each)."""

    nu: float  # its multiplier (> 0)
    refs: frozenset[int]
    odd: dict[int, frozenset[int]]  # home -> the sizes k with a_h[k] odd


class _Parity:
    """The zero-half cuts' non-additive price as a split plan grows home by home: adding a
    home never lowers it, so a partial plan's price is a lower bound for its completions."""

    def __init__(self, odd_at: dict[int, list[tuple[int, frozenset[int]]]], zh: list[ZeroHalf], r: int):
        self.odd_at, self.zh = odd_at, zh
        self.cnt = [int(r in c.refs) for c in zh]

    def push(self, h: int, k: int) -> float:
        out = 0.0
        for c, ks in self.odd_at.get(h, ()):
            if k in ks:
                n = self.cnt[c]
                out += self.zh[c].nu * ((n + 1) // 2 - n // 2)
                self.cnt[c] = n + 1
        return out

    def pop(self, h: int, k: int) -> None:
        for c, ks in self.odd_at.get(h, ()):
            if k in ks:
                self.cnt[c] -= 1


def pairwise_points(pair: Callable[[int, int], int], use: Iterable[tuple[int, int]]) -> int:
    """SplitApart's pairwise points of a split plan: ``pair`` summed over every two of its homes
    (``use``: (home, places) per sub-group)."""
    hs = [h for h, _ in use]
    return sum(pair(a, b) for i, a in enumerate(hs) for b in hs[i + 1 :])


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
    subs: dict[int, tuple[list[float], list[int], float]],
    relaxed: np.ndarray,
    pair: Callable[[int, int], int] | None = None,
    step: _Parity | None = None,
) -> tuple[float, list[tuple[int, int]], float]:
    """The cheapest split plan: sub-groups partition the children, each in a different home;
    a lower bound on its value, its (home, sub-group size) list, and that plan's own value
    with its pairwise terms (nan without ``pair``: the caller adds them). ``subs``: per sub-group (child mask) its
    values and homes, cheapest first (the first ``n + 1`` at least), and the value of the
    cheapest home left out of the list (inf if none). With ``pair`` (SplitApart's pairwise
    points of two homes) the pairwise terms are counted too; a home past a cut list stands in
    as a virtual home at that left-out value with no pairwise terms (a lower bound for every
    home past the list). Past ``NODE_LIMIT`` nodes the value without pairwise terms is returned.
    ``step``: the zero-half cuts' non-additive price, counted (like the pairwise terms) in the
    second pass only; with it the third value has it in, and has the pairwise terms only with
    ``pair``."""
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
            vs, hs, nxt = subs[k]
            rest_lb = relaxed[left ^ k]
            for i in range(min(limit, len(vs))):
                v, h = vs[i], hs[i]
                if cost + v + rest_lb >= best[0]:
                    break
                if h in used:
                    continue
                extra = sum(pair(h, u) for u in used) if with_pairs[0] and pair is not None else 0.0
                if with_pairs[0] and step is not None:
                    extra += step.push(h, k.bit_count())
                used.append(h)
                path.append((h, k.bit_count()))
                dfs(left ^ k, cost + v + extra, limit)
                path.pop()
                used.pop()
                if with_pairs[0] and step is not None:
                    step.pop(h, k.bit_count())
            else:  # every listed home tried: a home past the list could still be in a cheaper plan
                if with_pairs[0] and cost + nxt + rest_lb < best[0]:
                    path.append((-1 - k, k.bit_count()))  # virtual: distinct from every home, no pairs
                    dfs(left ^ k, cost + nxt, limit)
                    path.pop()

    full = (1 << n) - 1
    dfs(full, 0.0, n + 1)  # without pairwise terms: n + 1 homes per sub-group suffice
    if (pair is None and step is None) or not plan:
        return best[0], plan, math.nan
    base = best[0]
    ub = base  # that plan, scored
    if pair is not None:
        ub += pairwise_points(pair, plan)
    if step is not None:
        ub += sum(step.push(h, k) for h, k in plan)
        for h, k in plan:
            step.pop(h, k)
    base_plan = list(plan)
    best[0] = ub + 1e-9
    with_pairs[0] = True
    dfs(full, 0.0, 1 << 30)  # plan keeps the first pass's plan unless a cheaper one is found
    if not exact[0]:
        return base, base_plan, ub
    if best[0] >= ub:
        return ub, base_plan, ub
    if any(h < 0 for h, _ in plan):  # a lower bound through a virtual home: keep the real plan
        return best[0], base_plan, ub
    return best[0], plan, best[0]


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
