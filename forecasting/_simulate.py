"""Monte Carlo simulation of every child in care and every entrant, with parameter uncertainty.

An item is one child (in care at the origin, added for late reporting, or entering) in one
draw. Its state is one int32 code, its row in the transition tables: ((parameter set x G +
group) x B + age band) x NS + state; an item that leaves care or ages out points at an extra row
that never moves (``dead``), so the item arrays are only appended to, never compressed. Each
month every item draws one uniform against its probability of being in the same state at the
month's end; only the movers, the items whose age band changes that month (scheduled from their
birthdays when they are added) and the entrants are touched further, and the counts are updated
from their changes alone.
"""

from __future__ import annotations

import numpy as np

from forecasting._arrays import EXIT, NS, K
from forecasting._dynamics import _Dynamics
from forecasting._params import B
from forecasting.scenario import Scenario


class _Items:
    """Item arrays (preallocated), the counts by cell and the months age bands change."""

    def __init__(self, cap: int, horizon: int, n_cells: int, band_tab: np.ndarray, dead: int) -> None:
        self.code = np.empty(cap, dtype=np.int32)
        self.base = np.empty(cap, dtype=np.int32)  # first count cell of (draw, group): x B x K
        self.tid = np.empty(cap, dtype=np.int32)  # row of band_tab (birthdays)
        self.n = 0
        self.n_cells = n_cells
        self.dead = dead
        self.counts = np.zeros(n_cells + 1, dtype=np.int64)  # last bin: not counted
        self.band_tab = band_tab
        self.changes: list[list[np.ndarray]] = [[] for _ in range(horizon + 1)]

    def cells(self, pos: np.ndarray) -> np.ndarray:
        """Count cell of items: base + band x K + state; n_cells when not counted."""
        c = self.code[pos]
        st = c % NS
        cell = self.base[pos] + (c // NS) % B * K + st
        return np.where((st < K) & (c != self.dead), cell, self.n_cells)

    def recount(self, pos: np.ndarray, old: np.ndarray) -> None:
        """Counts after the items at ``pos`` changed from cells ``old``."""
        if len(pos):
            self.counts += np.bincount(self.cells(pos), minlength=self.n_cells + 1)
            self.counts -= np.bincount(old, minlength=self.n_cells + 1)

    def add(self, code: np.ndarray, base: np.ndarray, tid: np.ndarray, j: int) -> None:
        """Append items alive at period j (their code holds their band at j)."""
        m = len(code)
        if m == 0:
            return
        pos = np.arange(self.n, self.n + m)
        self.code[pos], self.base[pos], self.tid[pos] = code, base, tid
        self.n += m
        self.counts += np.bincount(self.cells(pos), minlength=self.n_cells + 1)
        bt = self.band_tab[tid, j:]
        i, k = np.nonzero(bt[:, 1:] != bt[:, :-1])
        self.schedule(pos[i], j + 1 + k)

    def schedule(self, pos: np.ndarray, months: np.ndarray) -> None:
        """Band changes of the items at ``pos`` at the counts of ``months``."""
        if len(pos) == 0:
            return
        order = np.argsort(months, kind="stable")
        pos, months = pos[order], months[order]
        bounds = np.searchsorted(months, np.arange(len(self.changes) + 1))
        for j in range(len(self.changes)):
            if bounds[j + 1] > bounds[j]:
                self.changes[j].append(pos[bounds[j] : bounds[j + 1]])

    def move(self, rng: np.random.Generator, tab: tuple[np.ndarray, np.ndarray], lo: int) -> None:
        """One interval of the items from ``lo`` on (``tab``: stay and move tables), counts kept."""
        stay, cum = tab
        code = self.code[lo : self.n]
        mv = lo + np.flatnonzero(rng.random(len(code), dtype=np.float32) >= stay.take(code))
        if len(mv):
            c = self.code[mv]  # movers are alive; a move keeps the band
            st = c % NS
            u = rng.random(len(mv), dtype=np.float32)
            dest = np.minimum((u[:, None] >= cum[c]).sum(axis=1), EXIT)
            self.code[mv] = np.where(dest == EXIT, self.dead, c - st + dest)
            band_cell = self.base[mv] + c // NS % B * K
            self.counts += np.bincount(
                np.where(dest < K, band_cell + dest, self.n_cells), minlength=self.n_cells + 1
            )
            self.counts -= np.bincount(
                np.where(st < K, band_cell + st, self.n_cells), minlength=self.n_cells + 1
            )

    def rebands(self, j: int) -> None:
        """Apply the band changes due at the count of month j (ageing out at 18: dead)."""
        parts = self.changes[j]
        if not parts:
            return
        pos = np.concatenate(parts)
        pos = pos[self.code[pos] != self.dead]
        if len(pos):
            old = self.cells(pos)
            c = self.code[pos]
            nb = self.band_tab[self.tid[pos], j].astype(np.int32)
            self.code[pos] = np.where(nb < B, c + (nb - c // NS % B) * NS, self.dead)
            self.recount(pos, old)


class _Simulator(_Dynamics):
    """Draws of counts (``_simulate``)."""

    def _simulate(self, horizon: int, scenario: Scenario) -> np.ndarray:
        """Draws of counts, shape (S, L, 2 [uasc], B, K, horizon)."""
        key = (horizon, scenario.key())
        if key in self._cache:
            return self._cache[key]
        rng = np.random.default_rng(self.seed)
        S, L = self.n_sims, len(self.las_)
        G = 2 * L
        periods, pdays, deltas, halves = self._periods(horizon)
        rate_mult, w, wu, applies = self._scenario_arrays(scenario)
        n_param = min(S, self.max_parameter_draws) if self.parameter_uncertainty else 1
        pmats = self._transition_matrices(rng, n_param, rate_mult, deltas + halves)
        dead = n_param * G * B * NS  # the extra row of every stay table: never moves
        tabs = {d: _tables(pm) for d, pm in pmats.items()}

        # Birthday table: children at origin, then (pool item x month) entrants, then UASC ones.
        n_child = len(self.stock_)
        pool, upool = self.pool_, self.upool_
        npool, nup = len(pool), len(upool)
        thr_tab = np.concatenate(
            [
                self._stock_thr,
                self._entrant_thresholds(pool, pdays, halves),
                self._entrant_thresholds(upool, pdays, halves),
            ],
            axis=0,
        )
        band_tab = (thr_tab[:, None, :] <= pdays[None, :, None]).sum(axis=-1).astype(np.int8)  # 5 = gone
        stock_la = self.stock_["la"].to_numpy()
        stock_state = self.stock_["state"].to_numpy().astype(np.int64)
        stock_uasc = self.stock_["uasc"].to_numpy().astype(bool)
        g_stock = stock_la * 2 + stock_uasc.astype(np.int64)

        entrants = self._draw_entrants(rng, S, horizon, w, applies)
        urates = self._uasc_rates(rng, S, horizon, scenario)
        uprobs, uwmean = self._uasc_probs(wu, applies)
        ucdf = _cdf(uprobs)
        un = rng.poisson(urates * uwmean[None, :, None])  # (S, L, H)
        _, quota = self._uasc_overrides(scenario)
        # Late reporting: children added to the stock at the origin, per draw (sim, stock row).
        rho = np.zeros((S, L))
        add_sim, add_idx = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        if self.late_reporting != "none" and self.late_shape_.sum() > 0:
            if self.parameter_uncertainty:
                rho = rng.gamma(np.maximum(self.late_shape_, 1e-300), 1.0, size=(S, L)) / self.late_rate_
            else:
                rho = np.broadcast_to(self.late_rate_estimate_, (S, L)).copy()
            l_sims, l_idx = [], []
            for li in range(L):
                rows = np.nonzero(stock_la == li)[0]
                if len(rows) == 0:
                    continue
                k = rng.poisson(rho[:, li] * (stock_state[rows] < K).sum())
                l_sims.append(np.repeat(np.arange(S), k))
                l_idx.append(rng.choice(rows, size=int(k.sum())))
            if l_idx:
                add_sim, add_idx = np.concatenate(l_sims), np.concatenate(l_idx)

        n_cells = S * G * B * K
        n_new = sum(len(e[0]) for e in entrants) + int(un.sum())
        it = _Items(S * n_child + len(add_sim) + n_new, horizon, n_cells, band_tab, dead)
        # The stock: every child in every draw (draw-major), counted per child then per draw.
        b0 = band_tab[:n_child, 0].astype(np.int64)
        draws = np.arange(S, dtype=np.int64)
        pset = (draws % n_param) * (G * B * NS)
        it.code[: S * n_child] = (pset[:, None] + ((g_stock * B + b0) * NS + stock_state)[None]).ravel()
        it.base[: S * n_child] = (draws[:, None] * (G * B * K) + (g_stock * B * K)[None]).ravel()
        it.tid[: S * n_child] = np.tile(np.arange(n_child), S)
        it.n = S * n_child
        one = np.where(stock_state < K, (g_stock * B + b0) * K + stock_state, G * B * K)
        per_draw = np.bincount(one, minlength=G * B * K + 1)
        it.counts[:n_cells] = np.tile(per_draw[: G * B * K], S)
        it.counts[n_cells] = per_draw[G * B * K] * S
        bt = band_tab[:n_child]
        c_i, c_k = np.nonzero(bt[:, 1:] != bt[:, :-1])
        it.schedule((draws[:, None] * n_child + c_i[None]).ravel(), np.tile(c_k + 1, S))
        if len(add_sim):
            sg = add_sim * G + g_stock[add_idx]
            code = (self._pset(sg, G, n_param) * B + b0[add_idx]) * NS + stock_state[add_idx]
            it.add(code, sg * (B * K), add_idx, 0)

        counts = np.zeros((S, L, 2, B, K, horizon), dtype=np.int32)
        uasc_now = np.broadcast_to(
            np.bincount(stock_la[stock_uasc & (stock_state < K)], minlength=L)[None], (S, L)
        ).astype(float)
        pool_state = pool["state"].to_numpy().astype(np.int64)
        upool_state = upool["state"].to_numpy().astype(np.int64)
        for j in range(1, horizon + 1):
            it.move(rng, tabs[deltas[j - 1]], 0)
            it.rebands(j)
            # Entrants this month: non-UASC, then UASC arrivals capped by the quota (UASC in
            # care at the last count); half a month of hazards before the count.
            e_sim, e_la, e_pool = entrants[j - 1]
            parts = [(e_sim, e_la * 2, pool_state[e_pool], n_child + e_pool * horizon + (j - 1))]
            k = un[:, :, j - 1]
            if np.isfinite(quota).any():
                k = np.minimum(k, np.maximum(quota[None, :] - uasc_now, 0).astype(np.int64))
            tot = int(k.sum())
            if tot and nup:
                sims = np.repeat(np.repeat(np.arange(S), L), k.reshape(-1))
                las = np.repeat(np.tile(np.arange(L), S), k.reshape(-1))
                u_items = _sample(ucdf, las, rng.random(tot))
                ut = n_child + npool * horizon + u_items * horizon + (j - 1)
                parts.append((sims, las * 2 + 1, upool_state[u_items], ut))
            e_s, e_g, e_st, e_tid = (
                np.concatenate([np.asarray(p[i], dtype=np.int64) for p in parts]) for i in range(4)
            )
            if len(e_s):
                e_sg = e_s * G + e_g
                e_band = band_tab[e_tid, j].astype(np.int64)
                ok = e_band < B
                e_sg, e_band, e_st, e_tid = e_sg[ok], e_band[ok], e_st[ok], e_tid[ok]
                n0 = it.n
                it.add((self._pset(e_sg, G, n_param) * B + e_band) * NS + e_st, e_sg * (B * K), e_tid, j)
                it.move(rng, tabs[halves[j - 1]], n0)
            c = it.counts[:n_cells].reshape(S, L, 2, B, K)
            counts[..., j - 1] = c
            uasc_now = c[:, :, 1].sum(axis=(2, 3)).astype(float)
        if self.late_reporting == "eventual" and rho.any():
            counts = counts + rng.poisson(rho[:, :, None, None, None, None] * counts).astype(np.int32)
        self._cache[key] = counts
        return counts

    @staticmethod
    def _pset(sg: np.ndarray, G: int, n_param: int) -> np.ndarray:
        """Parameter-set row of each item: (draw mod n_param) * G + group."""
        if n_param == 1:
            return np.asarray(sg % G)
        return np.asarray((sg // G % n_param) * G + sg % G)

    def _draw_entrants(
        self, rng: np.random.Generator, S: int, horizon: int, w: np.ndarray, applies: np.ndarray
    ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Non-UASC entrants per month: (draw, la, pool item) arrays."""
        L = len(self.las_)
        npool = len(self.pool_)
        empty = np.zeros(0, dtype=np.int64)
        if npool == 0 or self.entry_.n_months == 0:
            return [(empty, empty, empty) for _ in range(horizon)]
        beta = np.broadcast_to(self.entry_.beta[None], (S, L, 4)).copy()
        if self.parameter_uncertainty:
            for la in range(L):
                beta[:, la] = rng.multivariate_normal(self.entry_.beta[la], self.entry_.cov[la], size=S)
        mu = self._entry_mu(horizon, beta)  # (S, L, H)
        probs, wmean = self._entry_probs(w, applies)
        n = rng.poisson(mu * wmean[None, :, None])
        # All entrants, month-major (month, LA, draw), each drawn from its LA's pool distribution.
        reps = n.transpose(2, 1, 0).ravel()
        month = np.repeat(np.arange(horizon), n.sum(axis=(0, 1)))
        las = np.repeat(np.tile(np.repeat(np.arange(L), S), horizon), reps)
        sims = np.repeat(np.tile(np.arange(S), L * horizon), reps)
        pidx = _sample(_cdf(probs), las, rng.random(len(las)))
        bounds = np.searchsorted(month, np.arange(horizon + 1))
        return [
            (sims[bounds[j] : bounds[j + 1]], las[bounds[j] : bounds[j + 1]], pidx[bounds[j] : bounds[j + 1]])
            for j in range(horizon)
        ]


def _tables(pm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """From transition rows ``pm`` (parameter set, group, band, state) x (NS + 1): the
    probability of the same state at the interval's end (plus 1 for the dead row), and each
    row's cumulative distribution of where a mover goes (its own state removed; a row that never
    moves gets 1s)."""
    own = np.arange(pm.shape[0]) * (NS + 1) + np.arange(pm.shape[0]) % NS
    stay = np.append(pm.ravel().take(own), 1.0).astype(np.float32)
    cum = pm.astype(np.float32)
    cum.ravel()[own] = 0.0
    np.cumsum(cum, axis=1, out=cum)
    total = cum[:, -1:].copy()
    np.divide(cum, total, out=cum, where=total > 0)
    cum[total[:, 0] <= 0] = 1.0
    return stay, cum


def _cdf(probs: np.ndarray) -> np.ndarray:
    """Row-wise cumulative distributions (as numpy's Generator.choice builds them)."""
    if probs.shape[-1] == 0:
        return probs
    cdf = np.cumsum(probs, axis=-1)
    return np.asarray(cdf / cdf[..., -1:])


def _sample(cdf: np.ndarray, row: np.ndarray, u: np.ndarray) -> np.ndarray:
    """For each u, the first i with cdf[row, i] > u (Generator.choice's rule, so the same draws
    for the same uniforms), found from a guide table (the first such i for u = k / n) and a short
    forward scan instead of a binary search per draw."""
    L, n = cdf.shape
    if n == 0 or len(u) == 0:
        return np.zeros(len(u), dtype=np.int64)
    guide = np.stack([np.searchsorted(c, np.arange(n) / n, side="right") for c in cdf]).ravel()
    flat = cdf.ravel()
    start = row.astype(np.int64) * n
    pos = start + np.minimum(guide[start + np.minimum((u * n).astype(np.int64), n - 1)], n - 1)
    last = start + n - 1
    act = np.flatnonzero((flat[pos] <= u) & (pos < last))
    while len(act):
        pos[act] += 1
        act = act[(flat[pos[act]] <= u[act]) & (pos[act] < last[act])]
    return pos - start
