"""The restricted model in matrix form: ``min c.x`` s.t. ``a_eq x = b_eq``, ``a_ub x <= b_ub``,
``0 <= x <= 1`` (binary in the integer solve), with maps from rows and variables back to the
model (see :mod:`matching.model` for the constraints)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from scipy.sparse import csr_matrix

from matching.domain import Referral


class ModelLike(Protocol):
    """What :func:`linear_form` reads of a :class:`matching.model.MatchModel` (no import of it:
    the model module imports this one)."""

    referrals: tuple[Referral, ...]
    columns: list[Any]  # matching.model.Column: referral, home, children, cost, split
    ph: Any  # matching.candidates.PreparedHomes: homes, free
    unmatched_cost: list[int]
    split_cost: list[int]
    splittable: list[bool]
    floor: int
    pairs: dict[tuple[int, int, int], int]


@dataclass
class LinearForm:
    """min c.x s.t. a_eq x = b_eq, a_ub x <= b_ub, x >= 0 (binary in the MIP); row maps."""

    c: np.ndarray
    a_eq: csr_matrix
    b_eq: np.ndarray
    a_ub: csr_matrix
    b_ub: np.ndarray
    split_var: dict[int, int]
    unm0: int
    conv_row: np.ndarray  # referral -> eq row
    cover_row: dict[tuple[int, int], int]  # (referral, child) -> eq row
    cap_row: dict[int, int]  # home -> ub row
    pair_row: dict[tuple[int, int], int]  # (referral, home) -> ub row
    floor_row: int | None  # ub row: sum of size * unmatched <= children - floor
    pair_var: dict[tuple[int, int, int], int] = field(default_factory=dict)  # (r, h, h') -> w variable


def linear_form(m: ModelLike) -> LinearForm:
    """The restricted model (the columns in it) in matrix form."""
    R, nc = len(m.referrals), len(m.columns)
    split_var: dict[int, int] = {}
    for r in range(R):
        if m.splittable[r]:
            split_var[r] = nc + len(split_var)
    unm0 = nc + len(split_var)
    n = unm0 + R
    pair_var = {k: n + i for i, k in enumerate(m.pairs)}
    c = np.zeros(n + len(pair_var))
    col_ref = np.fromiter((col.referral for col in m.columns), dtype=np.int64, count=nc)
    col_home = np.fromiter((col.home for col in m.columns), dtype=np.int64, count=nc)
    col_size = np.fromiter((len(col.children) for col in m.columns), dtype=np.int64, count=nc)
    c[:nc] = np.fromiter((col.cost for col in m.columns), dtype=float, count=nc)
    for r, v in split_var.items():
        c[v] = m.split_cost[r]
    c[unm0:n] = m.unmatched_cost
    for pk, var in pair_var.items():
        c[var] = m.pairs[pk]
    # equality rows: conv (one per referral) then cover (one per child of splittable referrals)
    er: list[int] = []
    ec: list[int] = []
    ev: list[float] = []
    conv_row = np.arange(R)
    cover_row: dict[tuple[int, int], int] = {}
    for r in split_var:
        for k in range(m.referrals[r].size):
            cover_row[(r, k)] = R + len(cover_row)
    for j, col in enumerate(m.columns):
        if col.split:
            for k in col.children:
                er.append(cover_row[(col.referral, k)])
                ec.append(j)
                ev.append(1.0)
        else:
            er.append(col.referral)
            ec.append(j)
            ev.append(1.0)
    for r, v in split_var.items():
        er.append(r)
        ec.append(v)
        ev.append(1.0)
        for k in range(m.referrals[r].size):
            er.append(cover_row[(r, k)])
            ec.append(v)
            ev.append(-1.0)
    er.extend(range(R))
    ec.extend(range(unm0, n))
    ev.extend([1.0] * R)
    n_eq = R + len(cover_row)
    b_eq = np.zeros(n_eq)
    b_eq[:R] = 1.0
    # inequality rows: capacity (only homes that could be over-filled), split pairs, floor
    ur: list[int] = []
    uc: list[int] = []
    uv: list[float] = []
    b_ub: list[float] = []
    load = np.bincount(col_home, weights=col_size, minlength=len(m.ph.homes)) if nc else np.zeros(0)
    cap_row: dict[int, int] = {}
    for h in np.flatnonzero(load > m.ph.free[: len(load)]):
        cap_row[int(h)] = len(b_ub)
        b_ub.append(float(m.ph.free[h]))
    pairs: dict[tuple[int, int], list[int]] = {}
    for j, col in enumerate(m.columns):
        if col.home in cap_row:
            ur.append(cap_row[col.home])
            uc.append(j)
            uv.append(float(col_size[j]))
        if col.split:
            pairs.setdefault((col.referral, col.home), []).append(j)
    pair_row: dict[tuple[int, int], int] = {}
    for key, js in pairs.items():
        if len(js) > 1:
            pair_row[key] = len(b_ub)
            for j in js:
                ur.append(len(b_ub))
                uc.append(j)
                uv.append(1.0)
            b_ub.append(1.0)
    for (pr, a, b), var in pair_var.items():  # (sub-groups at a) + (sub-groups at b) - w <= 1
        js = pairs.get((pr, a), []) + pairs.get((pr, b), [])
        ur.extend([len(b_ub)] * (len(js) + 1))
        uc.extend([*js, var])
        uv.extend([1.0] * len(js) + [-1.0])
        b_ub.append(1.0)
    floor_row = None
    if m.floor > 0:  # children placed >= floor, on the unmatched variables
        floor_row = len(b_ub)
        ur.extend([floor_row] * R)
        uc.extend(range(unm0, n))
        uv.extend(float(ref.size) for ref in m.referrals)
        b_ub.append(float(sum(ref.size for ref in m.referrals) - m.floor))
    a_eq = csr_matrix((ev, (er, ec)), shape=(n_eq, len(c)))
    a_ub = csr_matrix((uv, (ur, uc)), shape=(len(b_ub), len(c)))
    del col_ref
    return LinearForm(
        c,
        a_eq,
        b_eq,
        a_ub,
        np.array(b_ub, dtype=float),
        split_var,
        unm0,
        conv_row,
        cover_row,
        cap_row,
        pair_row,
        floor_row,
        pair_var,
    )
