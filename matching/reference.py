"""Exact reference: the FULL model - every eligible pair as a column, no pricing - solved by
scipy.optimize.milp (HiGHS).

Used by the benchmark and tests to measure the optimiser's gap. It takes the same
candidate families as :func:`matching.model.build_model` (every eligible pair, same
coefficients, the same "never fewer than greedy" floor) but puts all of them in one MILP,
so a gap measured against it is the gap to the optimum over every eligible pair.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from matching.model import Family, MatchModel, objective_of, placed_children


def full_model(m: MatchModel, floor: bool = True) -> MatchModel:
    """A copy of ``m`` with every eligible pair in it (``m`` itself is not changed)."""
    from matching.solver import greedy_seed

    full = MatchModel(
        m.referrals,
        m.ph,
        m.policy,
        ref_families=m.ref_families,
        family_of=m.family_of,
        unmatched_cost=m.unmatched_cost,
        split_cost=m.split_cost,
        splittable=m.splittable,
    )
    full.families = [Family(f.referral, f.children, f.split, f.homes, f.cost) for f in m.families]
    full.add_all()
    full.floor = placed_children(full, greedy_seed(full)) if floor else 0
    return full


def solve_reference(m: MatchModel, time_limit_s: float = 600.0, floor: bool = True) -> dict[str, Any]:
    """Solve the full model of ``m`` with scipy's HiGHS MILP. Returns a dict with status,
    message, objective, bound, chosen (referral -> column ids of the full model), columns,
    build_s and solve_s. Pairwise SplitApart terms are added for the home pairs each solution
    uses and the MILP solved again until none is missing (``pair_rounds``); the objective is
    the exact one of the plan returned, the bound that of the last (relaxed) MILP."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    t0 = time.perf_counter()
    full = full_model(m, floor)
    t1 = time.perf_counter()
    out: dict[str, Any] = {
        "status": None,
        "message": "",
        "build_s": t1 - t0,
        "solve_s": 0.0,
        "columns": len(full.columns),
        "objective": None,
        "bound": None,
        "chosen": None,
        "model": full,
        "pair_rounds": 0,
    }
    while True:
        lf = full.linear_form()
        cons = [LinearConstraint(lf.a_eq, lf.b_eq, lf.b_eq)]
        if lf.a_ub.shape[0]:
            cons.append(LinearConstraint(lf.a_ub, -np.inf, lf.b_ub))
        left = max(1.0, time_limit_s - (time.perf_counter() - t1))
        res = milp(
            lf.c,
            constraints=cons,
            integrality=np.ones(len(lf.c)),
            bounds=Bounds(0, 1),
            options={"time_limit": left, "mip_rel_gap": 1e-9},
        )
        out["pair_rounds"] += 1
        out.update(status=res.status, message=res.message, bound=getattr(res, "mip_dual_bound", None))
        if res.x is None:
            break
        chosen: dict[int, list[int]] = {}
        for j, col in enumerate(full.columns):
            if res.x[j] > 0.5:
                chosen.setdefault(col.referral, []).append(j)
        out["objective"] = objective_of(full, chosen)
        out["chosen"] = chosen
        if not full.add_pairs(chosen):
            break
        out["status"], out["message"] = 1, "pairwise split terms missing (time limit)"
        if time.perf_counter() - t1 >= time_limit_s:
            break
    out["solve_s"] = time.perf_counter() - t1
    return out
