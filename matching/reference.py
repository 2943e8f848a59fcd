"""Exact reference: the same (pruned) model solved by scipy.optimize.milp (HiGHS).

Used by the benchmark and tests to measure the optimiser's gap. It solves exactly the
model :func:`matching.model.build_model` built - same columns, same coefficients - so a
gap measured against it is the optimiser's gap, not a pruning difference.
"""

from __future__ import annotations

import time

import numpy as np

from matching.model import MatchModel


def solve_reference(m: MatchModel, time_limit_s: float = 600.0) -> dict:
    """Solve ``m`` to proven optimality with scipy's HiGHS MILP. Returns a dict with
    status, objective, chosen (referral -> column ids) and solve_s."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import csr_matrix

    t0 = time.perf_counter()
    c, rows, senses, rhs, _, _ = m.linear_form()
    data, ri, ci = [], [], []
    for i, row in enumerate(rows):
        for j, v in row.items():
            ri.append(i)
            ci.append(j)
            data.append(v)
    a = csr_matrix((data, (ri, ci)), shape=(len(rows), len(c)))
    ub = np.array(rhs)
    lb = np.array([b if s == "==" else -np.inf for s, b in zip(senses, rhs, strict=True)])
    res = milp(c, constraints=LinearConstraint(a, lb, ub), integrality=np.ones(len(c)),
               bounds=Bounds(0, 1), options={"time_limit": time_limit_s, "mip_rel_gap": 1e-9})
    out = {"status": res.status, "message": res.message, "solve_s": time.perf_counter() - t0,
           "objective": None, "chosen": None}
    if res.x is not None:
        chosen: dict[int, list[int]] = {}
        for j, col in enumerate(m.columns):
            if res.x[j] > 0.5:
                chosen.setdefault(col.referral, []).append(j)
        out["objective"] = int(round(res.fun))
        out["chosen"] = chosen
    return out
