"""Region-wide joint assignment, optimal over EVERY eligible pair, with a proof.

The model (:mod:`matching.model`) has every eligible (group or sub-group, home) pair; a
national register has millions. The solver keeps a small *restricted* model and proves
that the pairs it left out cannot help:

1. **Start**: each family's ``k_best`` cheapest homes (``k_split`` for sub-groups) and the
   greedy baseline's pairs (so the model can always do what today's practice does).
2. **Pricing** (column generation): solve the LP relaxation of the restricted model
   (GLOP, :mod:`matching.pricing`), and compute every left-out pair's reduced cost from the duals;
   a family's homes are sorted by cost and the duals of homes and sub-groups only raise a
   reduced cost, so each family is scanned only up to its referral's dual. Add the pairs
   with negative reduced cost; repeat until none is left. The LP value is then a lower
   bound for the FULL model (any solution costs at least the LP value plus the reduced
   costs of the pairs it uses - Lagrangian bound, valid at every round). A second,
   stronger full-set bound (:mod:`matching.lagrange`) prices capacity with the same duals
   but solves each referral's own choice - in particular its split plan - as an integer
   problem over every eligible pair (the LP can "half split" a sibling group).
3. **Integer solve** of the restricted model (HiGHS; or CP-SAT/SCIP hinted with the rounded
   LP solution or the greedy), giving an incumbent UB - skipped when the LP optimum is integral.
4. **Proof**: every pair that could still be in a better solution - LP bound + its reduced
   cost below UB, and the Lagrangian bound with its referral's cheapest option replaced by
   the cheapest option using the pair below UB (:func:`matching.lagrange.column_floor`) -
   is added, and the model solved again. What is left out can only give solutions
   costing at least UB, so the restricted optimum is the optimum over every eligible pair.
   If more than ``max_proof_columns`` qualify, only the cheapest are added and the bound
   reported is the weaker one that this proves.

``best_bound`` and ``gap`` are therefore valid for the full set of eligible pairs: status
``optimal`` means proven optimal over all of them; ``feasible`` means the time limit hit
with a solution (``gap`` against the full-set bound); ``timed_out`` means no solver
solution in time (the greedy seed is returned). Backends (:mod:`matching.backends`): ``"highs"``
(default, highspy, started from the rounded LP or the greedy: on the split-heavy open-data
instances it proved the restricted optimum in ~14 s where CP-SAT with one worker was still 4% off
after 26 s), ``"cpsat"`` (hinted likewise), ``"scip"`` (pywraplp). When the LP optimum is integral
no integer solve is needed. SplitApart's pairwise terms enter the integer model lazily (only
for home pairs a solution uses; :func:`matching.backends.mip_pairs`): leaving them out relaxes the
model, so every bound above stays valid. A *stop hook* (``stop``) ends the solve early: asked
between pricing rounds and inside every backend; a stopped solve reports only the LP bound.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping

import numpy as np

from matching.backends import Chosen, MipSettings, Stop, chosen_of, mip_pairs
from matching.candidates import PreparedHomes
from matching.distance import DistanceSource
from matching.domain import (
    Contribution,
    Home,
    MatchResult,
    Placement,
    Policy,
    Referral,
    ReferralMatch,
    Status,
    Unmatched,
)
from matching.inputs import split_valid
from matching.lagrange import Bound, lagrangian_bound
from matching.master import dantzig_wolfe
from matching.model import MatchModel, build_model, objective_of, placed_children
from matching.pricing import RC_EPS, RestrictedLP, add_below, price
from matching.reasons import plan_load, unmatched_reasons
from matching.rules.group import SIBLINGS_TOGETHER, SPLIT_APART, UNMATCHED
from matching.rules.soft import make_context, pair_contributions

AUTO_CPSAT_MAX_COLUMNS = 1_000_000  # kept for compatibility: "auto" is CP-SAT at every size now
MAX_PER_FAMILY = 6  # pairs added per family per pricing round (the most negative first)
DW_SHARE = 0.25  # at most this share of the time limit goes to the referral-option bound


def solve(
    referrals: Iterable[Referral],
    homes: Iterable[Home],
    policy: Policy | None = None,
    time_limit_s: float = 10.0,
    *,
    backend: str = "auto",
    k_best: int | None = 8,
    k_split: int = 2,
    num_workers: int = 1,
    gap_limit: float = 0.0,
    distance: DistanceSource | None = None,
    prepared: PreparedHomes | None = None,
    include: Mapping[str, str] | None = None,
    max_proof_columns: int = 30_000,
    stop: Stop | None = None,
) -> MatchResult:
    """Assign all open referrals to all free places jointly, optimal over every eligible pair.

    Unusable records are left out and listed in ``result.excluded`` (see :mod:`matching.inputs`).
    ``k_best``/``k_split`` only size the starting model (``None``: start with every pair);
    the result is the same. ``include`` (child id -> home id) adds those pairs to the start.
    ``time_limit_s`` bounds pricing and solving (model building is reported in ``stats``).
    ``prepared`` must come from :func:`matching.prepare` on the same homes and policy.
    ``stop`` (a callable returning True to end the solve now, e.g. a cancelled job) is asked
    between pricing rounds and inside the integer solver (:mod:`matching.backends`); a
    stopped solve returns the best plan found so far, ``feasible``, ``stats["stopped"] = 1``.
    """
    policy = policy or Policy()
    refs, good_homes, excluded = split_valid(referrals, homes)
    if prepared is not None and len(good_homes) != len(prepared.homes):
        prepared = None  # the caller prepared homes that included unusable records
    ph = prepared or PreparedHomes(good_homes, make_context(policy, good_homes, distance))
    m = build_model(refs, ph.homes, policy, prepared=ph)
    res = solve_model(
        m,
        time_limit_s,
        backend=backend,
        num_workers=num_workers,
        gap_limit=gap_limit,
        k_best=k_best,
        k_split=k_split,
        include=include,
        max_proof_columns=max_proof_columns,
        stop=stop,
    )
    if excluded:
        return MatchResult(
            res.status,
            res.objective,
            res.best_bound,
            res.gap,
            res.matches,
            res.unmatched,
            res.stats,
            excluded,
        )
    return res


def greedy_seed(m: MatchModel) -> Chosen:
    """The greedy baseline (first come, first served, nearest eligible home with room; else
    each sibling alone, nearest first), found while building the model, as columns of ``m``.
    The same choices as :func:`matching.greedy.greedy_pairs` (tested)."""
    chosen: Chosen = {}
    for r, picks in m.greedy.items():
        cols = [m.column_for(r, ks, h) for ks, h in picks]
        if all(j is not None for j in cols):
            chosen[r] = [j for j in cols if j is not None]
    return chosen


def solve_model(
    m: MatchModel,
    time_limit_s: float = 10.0,
    *,
    backend: str = "auto",
    num_workers: int = 1,
    gap_limit: float = 0.0,
    hint: bool = True,
    linearization_level: int = 2,
    k_best: int | None = 8,
    k_split: int = 2,
    include: Mapping[str, str] | None = None,
    max_proof_columns: int = 30_000,
    floor: bool = True,
    stop: Stop | None = None,
) -> MatchResult:
    """Solve a built model over all its eligible pairs (see the module docstring).
    ``floor=False`` drops the "never fewer children placed than the greedy" constraint;
    ``stop`` is the stop hook of :func:`solve`."""
    t0 = time.perf_counter()
    deadline = t0 + float(time_limit_s)
    if backend == "auto":
        backend = "highs"
    if backend not in ("cpsat", "highs", "scip"):
        raise ValueError(f"unknown backend {backend!r}")
    settings = MipSettings(deadline, backend, num_workers, gap_limit, linearization_level, stop)
    # 1. starting columns
    for f, fam in enumerate(m.families):
        k = k_best if not fam.split else (k_split if k_best is not None else None)
        for pos in range(len(fam.homes) if k is None else min(k, len(fam.homes))):
            m.add(f, pos)
    seed = greedy_seed(m)
    m.floor = placed_children(m, seed) if floor else 0
    if include:
        _include(m, include)
    # 2. pricing
    t_lp = time.perf_counter()
    lp = RestrictedLP(m)
    rounds, duals, lagr = 0, None, -math.inf
    lp_chosen: Chosen | None = None
    stopped = False
    while True:
        if stop is not None and stop():
            stopped = True
            break
        d = lp.solve()
        if d is None:
            break
        duals = d
        rounds += 1
        added, lagr = price(m, d, MAX_PER_FAMILY)
        if not added:
            if np.all(np.minimum(np.abs(d.x), np.abs(1.0 - d.x)) < 1e-7):  # the LP optimum is integral
                lp_chosen = chosen_of(m, d.x.__getitem__)
            break
        if time.perf_counter() > t0 + 0.6 * float(time_limit_s):  # leave time for the integer solve
            break
    lp_s = time.perf_counter() - t_lp
    # the stronger full-set bound: each referral's choice integer (matching.lagrange)
    t_dw = time.perf_counter()
    lag: Bound | None = None
    if duals is not None and not stopped:
        lag = lagrangian_bound(m, duals.mu, duals.floor)
        # only when a referral's own choice is fractional in the LP (integer options raise the
        # bound at the LP's duals) can re-pricing its options raise it further
        if lp_chosen is None and lag.value > lagr + RC_EPS * max(1.0, abs(lagr)):
            budget = min(deadline, time.perf_counter() + DW_SHARE * float(time_limit_s))
            dw = dantzig_wolfe(m, (seed,), budget, stop)
            if dw is not None and dw.value > lag.value:
                lag = dw
    dw_s = time.perf_counter() - t_dw
    # 3. integer solve, 4. proof
    t_mip = time.perf_counter()
    info: dict[str, float | int | str]
    chosen: Chosen | None
    if stopped:
        chosen, status, obj, bound = None, Status.FEASIBLE, 0, -math.inf
        info = {"stopped": 1}
    elif lp_chosen is not None and objective_of(m, lp_chosen) <= math.ceil(lagr - 1e-6):
        chosen, status, obj, bound = lp_chosen, Status.OPTIMAL, objective_of(m, lp_chosen), lagr
        info = {"solver": "LP (integral optimum: no branching needed)"}
    else:
        start = seed
        if hint and duals is not None:
            rounded = round_lp(m, duals.x)
            if placed_children(m, rounded) >= m.floor and objective_of(m, rounded) < objective_of(m, seed):
                start = rounded
        chosen, status, obj, bound, info = mip_pairs(m, start if hint else {}, settings)
        if chosen is None and hint:  # no solver answer in time: keep the better start
            chosen, status, obj, bound = start, Status.FEASIBLE, objective_of(m, start), -math.inf
    proof_added = 0
    lag_value = lag.value if lag is not None else -math.inf
    if chosen is not None and duals is not None:
        # the last LP's duals hold for the rows that existed then; rows added since have dual 0
        base = max(lagr, lag_value)
        full = base
        if obj - base > RC_EPS and not info.get("stopped"):  # stopped: only the bound is proven
            proof_added, proven = add_below(m, duals, lagr, obj, max_proof_columns, lag)
            if proof_added:
                chosen2, status2, obj2, bound2, info2 = mip_pairs(m, chosen, settings)
                if chosen2 is None:  # no answer on the larger model: only the bound is known
                    bound = -math.inf
                else:
                    chosen, status, obj, bound, info = chosen2, status2, obj2, bound2, info2
                if info2.get("stopped"):
                    info["stopped"] = 1
            full = max(base, min(bound, proven))
        bound = float(math.ceil(full - 1e-6))
        status = Status.OPTIMAL if obj <= bound else Status.FEASIBLE
    mip_s = time.perf_counter() - t_mip
    final_bound: float | None = bound if chosen is not None and duals is not None else None
    if chosen is not None and duals is None:  # no LP duals: nothing is proven for the full set
        status = Status.FEASIBLE
    if chosen is None:
        chosen = seed
        obj = objective_of(m, chosen)
        final_bound = float(math.ceil(lagr - 1e-6)) if lagr > -math.inf else None
    solve_s = time.perf_counter() - t0
    stats: dict[str, float | int | str] = {
        "backend": backend,
        "build_s": m.build_s,
        "solve_s": solve_s,
        "lp_s": lp_s,
        "mip_s": mip_s,
        "columns": len(m.columns),
        "columns_eligible": m.eligible_pairs,
        "pricing_rounds": rounds,
        "proof_columns_added": proof_added,
        "lp_bound": float(lagr),
        "lagrangian_bound": float(lag_value),
        "lagrangian_s": dw_s,
        "referrals": len(m.referrals),
        "homes": len(m.ph.homes),
        "greedy_seed_objective": objective_of(m, seed),
        "greedy_children_placed": m.floor if floor else placed_children(m, seed),
        "bound_scope": "every eligible pair",
        **info,
    }
    return decode(m, chosen, status, obj, final_bound, stats)


def round_lp(m: MatchModel, x: np.ndarray) -> Chosen:
    """A plan read off the LP solution: columns by decreasing LP value while they fit (whole
    groups, then complete splits), then each referral still unplaced takes its cheapest
    column in the model with room. Used as the integer solver's starting hint."""
    x = np.concatenate([x, np.zeros(max(0, len(m.columns) - len(x)))])  # columns priced in after the LP
    left = m.ph.free.copy()
    chosen: Chosen = {}
    by_ref: dict[int, list[int]] = {}
    for j, col in enumerate(m.columns):
        by_ref.setdefault(col.referral, []).append(j)
    for j in np.argsort(-x, kind="stable").tolist():
        if x[j] < 1e-6:
            break
        col = m.columns[j]
        if col.split or col.referral in chosen or left[col.home] < len(col.children):
            continue
        chosen[col.referral] = [j]
        left[col.home] -= len(col.children)
    for r, js in by_ref.items():
        if r in chosen:
            continue
        picks: list[int] = []
        covered: set[int] = set()
        homes: set[int] = set()
        for j in sorted((j for j in js if m.columns[j].split), key=lambda j: (-x[j], m.columns[j].cost)):
            col = m.columns[j]
            if covered & set(col.children) or col.home in homes or left[col.home] < len(col.children):
                continue
            picks.append(j)
            covered |= set(col.children)
            homes.add(col.home)
        if len(covered) == m.referrals[r].size and len(picks) > 1:
            chosen[r] = picks
            for j in picks:
                left[m.columns[j].home] -= len(m.columns[j].children)
    for r, js in by_ref.items():
        if r in chosen:
            continue
        for j in sorted((j for j in js if not m.columns[j].split), key=lambda j: m.columns[j].cost):
            col = m.columns[j]
            if left[col.home] >= len(col.children):
                chosen[r] = [j]
                left[col.home] -= len(col.children)
                break
    return chosen


def _include(m: MatchModel, include: Mapping[str, str]) -> None:
    for r, ref in enumerate(m.referrals):
        groups: dict[int, list[int]] = {}
        for k, c in enumerate(ref.children):
            hi = m.ph.index.get(include.get(c.id, ""))
            if hi is not None:
                groups.setdefault(hi, []).append(k)
        for h, ks in groups.items():
            m.column_for(r, tuple(ks), h)


# --------------------------------------------------------------------------- results
def decode(
    m: MatchModel,
    chosen: Chosen,
    status: Status,
    obj: int | None,
    bound: float | None,
    stats: Mapping[str, float | int | str],
) -> MatchResult:
    """Turn chosen columns into a :class:`MatchResult` with explanations from the objective;
    unplaced referrals get reasons computed from this plan."""
    ctx, policy = m.ctx, m.policy
    matches: list[ReferralMatch] = []
    unmatched: list[Unmatched] = []
    if obj is None:
        obj = objective_of(m, chosen)
    proven = status is Status.OPTIMAL
    load = plan_load(m, chosen)
    for r, ref in enumerate(m.referrals):
        cols = chosen.get(r)
        if not cols:
            reasons, homes = unmatched_reasons(m, r, chosen, proven, load)
            unmatched.append(Unmatched(ref.id, UNMATCHED.points(ref, policy), reasons, homes))
            continue
        placements: list[Placement] = []
        contribs: list[Contribution] = []
        for j in cols:
            col = m.columns[j]
            home = m.ph.homes[col.home]
            for k in col.children:
                child = ref.children[k]
                placements.append(Placement(child.id, home.id))
                contribs.extend(pair_contributions(child, home, ctx))
        split = m.columns[cols[0]].split
        if split:
            contribs.append(
                Contribution(
                    SIBLINGS_TOGETHER.name,
                    SIBLINGS_TOGETHER.points(ref, policy),
                    SIBLINGS_TOGETHER.explain(ref, policy, len(cols)),
                )
            )
            used = [(m.ph.homes[m.columns[j].home], len(m.columns[j].children)) for j in cols]
            contribs.extend(SPLIT_APART.contributions(used, ctx))
        pts = sum(c.points for c in contribs)
        matches.append(ReferralMatch(ref.id, tuple(placements), split, pts, tuple(contribs)))
    gap = None
    if bound is not None:
        gap = max(0.0, (obj - bound) / max(1.0, abs(obj)))
    return MatchResult(status, obj, bound, gap, tuple(matches), tuple(unmatched), dict(stats))
