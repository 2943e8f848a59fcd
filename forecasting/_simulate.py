"""Monte Carlo simulation of every child in care and every entrant, with parameter uncertainty."""

from __future__ import annotations

import numpy as np

from forecasting._arrays import EXIT, NS, K
from forecasting._dynamics import _Dynamics
from forecasting._params import B
from forecasting.scenario import Scenario


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

        # Threshold table: children at origin, then (pool item x month) entrants, then UASC ones.
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
        # Items flattened over draws: sg = draw * G + group (group = la * 2 + uasc), state, row.
        g_stock = (self.stock_["la"].to_numpy() * 2 + self.stock_["uasc"].to_numpy().astype(np.int64)).astype(
            np.int32
        )
        sg = (np.repeat(np.arange(S, dtype=np.int32), n_child) * G + np.tile(g_stock, S)).astype(np.int32)
        st = np.tile(self.stock_["state"].to_numpy().astype(np.int8), S)
        tid = np.tile(np.arange(n_child, dtype=np.int32), S)

        entrants = self._draw_entrants(rng, S, horizon, w, applies)
        urates = self._uasc_rates(rng, S, horizon, scenario)
        uprobs, uwmean = self._uasc_probs(wu, applies)
        un = rng.poisson(urates * uwmean[None, :, None])  # (S, L, H)
        _, quota = self._uasc_overrides(scenario)
        rho = np.zeros((S, L))
        if self.late_reporting != "none" and self.late_shape_.sum() > 0:
            if self.parameter_uncertainty:
                rho = rng.gamma(np.maximum(self.late_shape_, 1e-300), 1.0, size=(S, L)) / self.late_rate_
            else:
                rho = np.broadcast_to(self.late_rate_estimate_, (S, L)).copy()
            stock_la = self.stock_["la"].to_numpy()
            add_idx, add_sim = [], []
            for li in range(L):
                rows = np.nonzero(stock_la == li)[0]
                if len(rows) == 0:
                    continue
                k = rng.poisson(rho[:, li] * (self.stock_["state"].to_numpy()[rows] < K).sum())
                add_sim.append(np.repeat(np.arange(S, dtype=np.int32), k))
                add_idx.append(rng.choice(rows, size=int(k.sum())))
            if add_idx:
                ai = np.concatenate(add_idx)
                sg = np.concatenate([sg, (np.concatenate(add_sim) * G + g_stock[ai]).astype(np.int32)])
                st = np.concatenate([st, self.stock_["state"].to_numpy()[ai].astype(np.int8)])
                tid = np.concatenate([tid, ai.astype(np.int32)])
        counts = np.zeros((S, L, 2, B, K, horizon), dtype=np.int32)
        ncell = S * G * B * K
        band_by_period = np.ascontiguousarray(band_tab.T)
        uasc_now = np.broadcast_to(
            np.bincount(
                g_stock[(self.stock_["uasc"].to_numpy()) & (self.stock_["state"].to_numpy() < K)] // 2,
                minlength=L,
            )[None],
            (S, L),
        ).astype(float)
        pg = self._pset(sg, G, n_param).astype(np.int32)
        band = band_by_period[0].take(tid)
        for j in range(1, horizon + 1):
            st = self._step(rng, pmats[deltas[j - 1]], pg, band, st)
            band = band_by_period[j].take(tid)
            keep = (st != EXIT) & (band < B)
            sg, st, tid, pg, band = sg[keep], st[keep], tid[keep], pg[keep], band[keep]
            e_sim, e_la, e_pool = entrants[j - 1]
            new_parts = []
            if len(e_sim):
                new_parts.append(
                    (e_sim, e_la * 2, pool["state"].to_numpy()[e_pool], n_child + e_pool * horizon + (j - 1))
                )
            # UASC arrivals this month, capped by the quota (UASC in care at the last count).
            k = un[:, :, j - 1]
            if np.isfinite(quota).any():
                k = np.minimum(k, np.maximum(quota[None, :] - uasc_now, 0).astype(np.int64))
            tot = int(k.sum())
            if tot and nup:
                sims = np.repeat(np.repeat(np.arange(S, dtype=np.int32), L), k.reshape(-1))
                las = np.repeat(np.tile(np.arange(L, dtype=np.int32), S), k.reshape(-1))
                u_items = np.empty(tot, dtype=np.int64)
                for la in range(L):
                    sel = las == la
                    if sel.any():
                        u_items[sel] = rng.choice(nup, size=int(sel.sum()), p=uprobs[la])
                new_parts.append(
                    (
                        sims,
                        las * 2 + 1,
                        upool["state"].to_numpy()[u_items],
                        n_child + npool * horizon + u_items * horizon + (j - 1),
                    )
                )
            for e_s, e_g, e_state, e_tid in new_parts:
                e_tid = e_tid.astype(np.int32)
                e_sg = (e_s.astype(np.int64) * G + e_g).astype(np.int32)
                e_pg = self._pset(e_sg, G, n_param).astype(np.int32)
                eband = np.minimum(band_tab[e_tid, j], B - 1)
                e_st = self._step(rng, pmats[halves[j - 1]], e_pg, eband, e_state.astype(np.int8))
                e_band = band_tab[e_tid, j]
                ok = (e_st != EXIT) & (e_band < B)
                sg = np.concatenate([sg, e_sg[ok]])
                st = np.concatenate([st, e_st[ok]])
                tid = np.concatenate([tid, e_tid[ok]])
                pg = np.concatenate([pg, e_pg[ok]])
                band = np.concatenate([band, e_band[ok]])
            cnt = st < K
            keyv = (sg[cnt] * B + band[cnt]) * K + st[cnt]
            c = np.bincount(keyv, minlength=ncell).reshape(S, L, 2, B, K)
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

    @staticmethod
    def _step(
        rng: np.random.Generator, pm: np.ndarray, pg: np.ndarray, band: np.ndarray, st: np.ndarray
    ) -> np.ndarray:
        """One interval of every item: pg = parameter set * G + group, band, state -> new state."""
        if len(st) == 0:
            return st
        row = (pg * B + band) * NS + st
        p_stay = pm.ravel().take(row * (NS + 1) + st)
        u = rng.random(len(st), dtype=np.float32)
        move = np.nonzero(u >= p_stay)[0]
        if len(move):
            rows = pm[row[move]].copy()
            rows[np.arange(len(move)), st[move].astype(np.int64)] = 0.0
            cum = np.cumsum(rows, axis=1)
            u2 = rng.random(len(move)) * cum[:, -1]
            dest = (u2[:, None] > cum).sum(axis=1)
            st = st.copy()
            st[move] = np.minimum(dest, EXIT).astype(np.int8)
        return st

    def _draw_entrants(
        self, rng: np.random.Generator, S: int, horizon: int, w: np.ndarray, applies: np.ndarray
    ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Non-UASC entrants per month: (draw, la, pool item) arrays."""
        L = len(self.las_)
        npool = len(self.pool_)
        empty = np.zeros(0, dtype=np.int32)
        if npool == 0 or self.entry_.n_months == 0:
            return [(empty, empty, empty.astype(np.int64)) for _ in range(horizon)]
        beta = np.broadcast_to(self.entry_.beta[None], (S, L, 4)).copy()
        if self.parameter_uncertainty:
            for la in range(L):
                beta[:, la] = rng.multivariate_normal(self.entry_.beta[la], self.entry_.cov[la], size=S)
        mu = self._entry_mu(horizon, beta)  # (S, L, H)
        probs, wmean = self._entry_probs(w, applies)
        n = rng.poisson(mu * wmean[None, :, None])
        out = []
        for j in range(horizon):
            sims, las, pidx = [], [], []
            for la in range(L):
                c = n[:, la, j]
                tot = int(c.sum())
                if tot == 0:
                    continue
                sims.append(np.repeat(np.arange(S, dtype=np.int32), c))
                las.append(np.full(tot, la, dtype=np.int32))
                pidx.append(rng.choice(npool, size=tot, p=probs[la]))
            if sims:
                out.append((np.concatenate(sims), np.concatenate(las), np.concatenate(pidx).astype(np.int64)))
            else:
                out.append((empty, empty, empty.astype(np.int64)))
        return out
