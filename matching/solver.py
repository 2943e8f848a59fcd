"""Region-wide joint assignment: build the model, seed it with the greedy, solve, explain.

Backends, all inside OR-Tools, chosen by measurement (bench/results/matching.md, 2 noisy cores):

* ``"cpsat"`` - CP-SAT seeded with the greedy through ``AddHint``. The fastest CP-SAT
  setting for this model is ONE worker with ``linearization_level=2`` (full LP
  relaxation: the assignment LP is nearly integral, so the LP bound closes the gap).
  Regional model (~2,500 columns): proven optimal in ~0.2 s, the fastest backend.
  National stress (~27,000 columns): 10-14 s, of which ~3 s presolve; the default
  2-worker portfolio stalls at ~31% gap after 15 s.
* ``"scip"`` - SCIP branch-and-cut through ``pywraplp``, greedy as ``SetHint``. Regional
  ~0.3 s; national stress proven optimal in 6-8 s - about twice as fast as CP-SAT there.
* ``"auto"`` (default) - CP-SAT up to ``AUTO_CPSAT_MAX_COLUMNS`` columns, SCIP above.
* ``"highs"`` - HiGHS through ``pywraplp``: fast, but in OR-Tools 9.15 ``SetHint`` with
  HiGHS crashes the process (segfault, reproduced with pywraplp and ModelBuilder), so it
  runs unseeded, and it prints a banner to stdout that cannot be suppressed - not
  acceptable in a library that must not print. Kept only for measurement.

Whatever the backend, the model is the one :mod:`matching.model` builds, and the
objective is recomputed from the chosen columns' integer costs. Status: ``optimal``
(proven for the pruned model), ``feasible`` (time limit hit with a solution; see
``gap``), ``timed_out`` (no solver solution in time: the greedy seed is returned),
``infeasible`` (cannot happen with the unmatched option, kept for completeness).
"""

from __future__ import annotations

import time

from matching.candidates import PreparedHomes, exclusion_counts
from matching.domain import (
    Contribution,
    MatchResult,
    Placement,
    Policy,
    ReferralMatch,
    Status,
    Unmatched,
)
from matching.model import MatchModel, build_model, greedy_on_model, objective_of
from matching.rules.hard import HARD_RULES, RULES_BY_NAME
from matching.rules.soft import SIBLINGS_TOGETHER, UNMATCHED, pair_contributions

AUTO_CPSAT_MAX_COLUMNS = 15_000


def solve(referrals, homes, policy: Policy | None = None, time_limit_s: float = 10.0, *,
          backend: str = "auto", k_best: int | None = 8, k_split: int = 3, num_workers: int = 1,
          gap_limit: float = 0.0, distance=None, prepared: PreparedHomes | None = None,
          include: dict[str, str] | None = None) -> MatchResult:
    """Assign all open referrals to all free places jointly.

    ``k_best``/``k_split`` prune candidates (``None`` = no pruning); ``include`` adds
    given (child id -> home id) pairs to the candidates (e.g. today's practice) so the
    result is never worse than that choice. ``time_limit_s`` bounds the solver only
    (model building is reported separately in ``stats``).
    """
    policy = policy or Policy()
    m = build_model(referrals, homes, policy, k_best=k_best, k_split=k_split, distance=distance,
                    prepared=prepared, include=include)
    return solve_model(m, time_limit_s, backend=backend, num_workers=num_workers, gap_limit=gap_limit)


def solve_model(m: MatchModel, time_limit_s: float = 10.0, *, backend: str = "auto", num_workers: int = 1,
                gap_limit: float = 0.0, hint: bool = True, linearization_level: int = 2) -> MatchResult:
    """Solve a built model. ``linearization_level`` (CP-SAT only; 2 = full LP relaxation)
    and ``num_workers`` are exposed for benchmarking other settings."""
    t0 = time.perf_counter()
    seed = greedy_on_model(m) if hint else {}
    if backend == "auto":
        backend = "cpsat" if len(m.columns) <= AUTO_CPSAT_MAX_COLUMNS else "scip"
    if backend == "cpsat":
        status, chosen, obj, bound, info = _solve_cpsat(m, seed, time_limit_s, num_workers, gap_limit,
                                                        linearization_level)
    elif backend == "highs":
        status, chosen, obj, bound, info = _solve_mip(m, seed, time_limit_s, num_workers, gap_limit, "HIGHS")
    elif backend == "scip":
        status, chosen, obj, bound, info = _solve_mip(m, seed, time_limit_s, num_workers, gap_limit, "SCIP")
    else:
        raise ValueError(f"unknown backend {backend!r}")
    solve_s = time.perf_counter() - t0
    if chosen is None:  # nothing found in time: fall back to the greedy seed
        chosen = seed or greedy_on_model(m)
        obj = objective_of(m, chosen)
    stats = {"backend": backend, "build_s": m.build_s, "solve_s": solve_s, "columns": len(m.columns),
             "referrals": len(m.referrals), "homes": len(m.ph.homes),
             "greedy_seed_objective": objective_of(m, seed) if seed else -1, **info}
    return decode(m, chosen, status, obj, bound, stats)


def decode(m: MatchModel, chosen: dict[int, list[int]], status: Status, obj: int | None,
           bound: float | None, stats: dict) -> MatchResult:
    """Turn chosen columns into a :class:`MatchResult` with explanations from the objective."""
    ctx, policy = m.ctx, m.policy
    matches, unmatched = [], []
    for r, ref in enumerate(m.referrals):
        cols = chosen.get(r)
        if not cols:
            unmatched.append(Unmatched(ref.id, UNMATCHED.points(ref, policy), unmatched_reasons(m, r)))
            continue
        placements, contribs = [], []
        for j in cols:
            col = m.columns[j]
            home = m.ph.homes[col.home]
            for k in col.children:
                child = ref.children[k]
                placements.append(Placement(child.id, home.id))
                contribs.extend(pair_contributions(child, home, ctx))
        split = m.columns[cols[0]].split
        if split:
            n_homes = len({p.home_id for p in placements})
            contribs.append(Contribution(SIBLINGS_TOGETHER.name, SIBLINGS_TOGETHER.points(ref, policy),
                                         SIBLINGS_TOGETHER.explain(ref, policy, n_homes)))
        pts = sum(c.points for c in contribs)
        matches.append(ReferralMatch(ref.id, tuple(placements), split, pts, tuple(contribs)))
    if obj is None:
        obj = objective_of(m, chosen)
    gap = None
    if bound is not None:
        gap = max(0.0, (obj - bound) / max(1.0, abs(obj)))
    return MatchResult(status, obj, bound, gap, tuple(matches), tuple(unmatched), stats)


_RULE_ORDER = {r.name: i for i, r in enumerate(HARD_RULES)}


def summarise_exclusions(counts: dict[str, int]) -> str:
    total = sum(counts.values())
    if not total:
        return "no homes excluded"
    parts = ", ".join(f"{n} {RULES_BY_NAME[name].label}" for name, n in
                      sorted(counts.items(), key=lambda kv: (-kv[1], _RULE_ORDER.get(kv[0], 99))))
    return f"{total} homes excluded: {parts}"


def unmatched_reasons(m: MatchModel, r: int) -> tuple[str, ...]:
    ref = m.referrals[r]
    counts, eligible = exclusion_counts(m.ph, ref, ref.children, m.policy)
    who = "the child" if ref.size == 1 else f"the {ref.size} siblings together"
    reasons = [UNMATCHED.explain(ref, m.policy)]
    if len(m.ph.homes) == 0:
        reasons.append("No homes were given to the matching run")
    elif len(eligible) == 0:
        reasons.append(f"No home can take {who}: {summarise_exclusions(counts)}")
    else:
        reasons.append(f"{len(eligible)} eligible home(s) for {who}, but their free places are used by "
                       f"other referrals in the best assignment found ({summarise_exclusions(counts)})")
    if ref.size > 1:
        if not (m.policy.allow_split and ref.allow_split):
            reasons.append("Splitting the siblings is not allowed by the care plan or the policy")
        elif m.split_cols[r] is None:
            reasons.append("No split is possible: at least one sibling has no eligible home "
                           f"within {m.policy.split_max_miles:g} miles of the family home")
    return tuple(reasons)


# --------------------------------------------------------------------------- backends
def _chosen_from_values(m: MatchModel, val) -> dict[int, list[int]]:
    chosen: dict[int, list[int]] = {}
    for j, col in enumerate(m.columns):
        if val(j) > 0.5:
            chosen.setdefault(col.referral, []).append(j)
    return chosen


def _seed_values(m: MatchModel, seed: dict[int, list[int]], split_var, unm0) -> dict[int, int]:
    x = {}
    for r in range(len(m.referrals)):
        cols = seed.get(r, [])
        for j in cols:
            x[j] = 1
        if r in split_var:
            x[split_var[r]] = int(bool(cols) and m.columns[cols[0]].split)
        x[unm0 + r] = int(not cols)
    return x


def _solve_cpsat(m, seed, time_limit_s, num_workers, gap_limit, linearization_level=2):
    from ortools.sat.python import cp_model

    c, rows, senses, rhs, split_var, unm0 = m.linear_form()
    model = cp_model.CpModel()
    x = [model.new_bool_var("") for _ in range(len(c))]
    for row, sense, b in zip(rows, senses, rhs, strict=True):
        if sense == "==" and b == 1.0 and all(v == 1.0 for v in row.values()):
            model.add_exactly_one([x[j] for j in row])
        elif sense == "<=" and b == 1.0 and all(v == 1.0 for v in row.values()):
            model.add_at_most_one([x[j] for j in row])
        else:
            expr = cp_model.LinearExpr.weighted_sum([x[j] for j in row], [int(v) for v in row.values()])
            if sense == "==":
                model.add(expr == int(b))
            else:
                model.add(expr <= int(b))
    nz = [j for j in range(len(c)) if c[j]]
    model.minimize(cp_model.LinearExpr.weighted_sum([x[j] for j in nz], [int(c[j]) for j in nz]))
    for j, v in _seed_values(m, seed, split_var, unm0).items():
        model.add_hint(x[j], v)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit_s)
    solver.parameters.num_workers = int(num_workers)
    solver.parameters.linearization_level = int(linearization_level)
    if gap_limit:
        solver.parameters.relative_gap_limit = float(gap_limit)
    st = solver.solve(model)
    info = {"solver": "CP-SAT", "wall_solver_s": solver.wall_time}
    if st == cp_model.OPTIMAL:
        status = Status.OPTIMAL
    elif st == cp_model.FEASIBLE:
        status = Status.FEASIBLE
    elif st == cp_model.INFEASIBLE:
        return Status.INFEASIBLE, None, None, None, info
    else:
        return Status.TIMED_OUT, None, None, None, info
    chosen = _chosen_from_values(m, lambda j: solver.boolean_value(x[j]))
    return status, chosen, int(round(solver.objective_value)), float(solver.best_objective_bound), info


def _solve_mip(m, seed, time_limit_s, num_workers, gap_limit, name):
    from ortools.linear_solver import pywraplp

    c, rows, senses, rhs, split_var, unm0 = m.linear_form()
    s = pywraplp.Solver.CreateSolver(name)
    s.SuppressOutput()
    x = [s.BoolVar("") for _ in range(len(c))]
    for row, sense, b in zip(rows, senses, rhs, strict=True):
        ct = s.Constraint(b if sense == "==" else -s.infinity(), b)
        for j, v in row.items():
            ct.SetCoefficient(x[j], v)
    obj = s.Objective()
    for j in range(len(c)):
        if c[j]:
            obj.SetCoefficient(x[j], float(c[j]))
    obj.SetMinimization()
    sv = _seed_values(m, seed, split_var, unm0)
    if sv and name != "HIGHS":  # SetHint segfaults with HiGHS in OR-Tools 9.15
        s.SetHint([x[j] for j in range(len(c))], [float(sv.get(j, 0)) for j in range(len(c))])
    s.SetTimeLimit(int(time_limit_s * 1000))
    s.SetNumThreads(int(num_workers))
    params = pywraplp.MPSolverParameters()
    params.SetDoubleParam(params.RELATIVE_MIP_GAP, float(gap_limit) if gap_limit else 1e-9)
    st = s.Solve(params)
    info = {"solver": name, "wall_solver_s": s.wall_time() / 1000.0}
    if st == pywraplp.Solver.OPTIMAL:
        status = Status.OPTIMAL
    elif st == pywraplp.Solver.FEASIBLE:
        status = Status.FEASIBLE
    elif st == pywraplp.Solver.INFEASIBLE:
        return Status.INFEASIBLE, None, None, None, info
    else:
        return Status.TIMED_OUT, None, None, None, info
    chosen = _chosen_from_values(m, lambda j: x[j].solution_value())
    objv = objective_of(m, chosen)
    return status, chosen, objv, float(obj.BestBound()), info
