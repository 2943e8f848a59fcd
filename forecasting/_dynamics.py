"""Dynamics of a fitted model: scenario multipliers, transition matrices over an interval,
entrant rates and mixes, and expected counts with their process variance (no simulation).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting._arrays import EPOCH, EXIT, NS, K, birthday_days, day, expm_batch
from forecasting._estimate import _Estimator, design_matrix
from forecasting._params import B
from forecasting.categories import AGE_BANDS, FINE_CATEGORIES, expand_category
from forecasting.data import month_ends
from forecasting.scenario import BASELINE, Scenario


class _Dynamics(_Estimator):
    """Transition matrices, entrant rates and expected counts of a fitted model."""

    def _scenario_arrays(self, scenario: Scenario) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Hazard multipliers (G, B, NS, NS+1), entrant weights of the non-UASC pool and the UASC
        pool, and which LAs the scenario applies to."""
        L = len(self.las_)
        applies = np.ones(L, dtype=bool)
        if scenario.las is not None:
            applies = np.array([la in scenario.las for la in self.las_])
        cat_idx = {c: i for i, c in enumerate(FINE_CATEGORIES)}
        mult = np.ones((B, NS, NS + 1))
        mult[:, :, EXIT] *= scenario.exit_multiplier
        for band, v in scenario.exit_by_age.items():
            mult[AGE_BANDS.index(band), :, EXIT] *= v
        for cat, v in scenario.exit_by_placement.items():
            for f in expand_category(cat):
                mult[:, cat_idx[f], EXIT] *= v
        for (a, b), v in scenario.transition_multipliers.items():
            for fa in expand_category(a):
                for fb in expand_category(b):
                    mult[:, cat_idx[fa], cat_idx[fb]] *= v
        applies_g = np.repeat(applies, 2)
        rate_mult = np.where(applies_g[:, None, None, None], mult[None], 1.0)

        def weights(pool: pd.DataFrame) -> np.ndarray:
            w = np.full(len(pool), float(scenario.entry_multiplier))
            for band, v in scenario.entry_by_age.items():
                w[pool["band"].to_numpy() == AGE_BANDS.index(band)] *= v
            for cat, v in scenario.entry_by_placement.items():
                idx = [cat_idx[f] for f in expand_category(cat)]
                w[np.isin(pool["state"].to_numpy(), idx)] *= v
            return w

        return rate_mult, weights(self.pool_), weights(self.upool_), applies

    def _uasc_overrides(self, scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
        """Per LA: fixed monthly UASC arrivals (NaN = the fitted process) and UASC quota (inf = none)."""
        fixed = np.full(len(self.las_), np.nan)
        quota = np.full(len(self.las_), np.inf)
        for i, la in enumerate(self.las_):
            for src, arr in ((scenario.uasc_monthly_arrivals, fixed), (scenario.uasc_quota, quota)):
                if la in src:
                    arr[i] = float(src[la])
                elif "*" in src:
                    arr[i] = float(src["*"])
        return fixed, quota

    def _transition_matrices(
        self, rng: np.random.Generator | None, S: int, rate_mult: np.ndarray, deltas: list[int]
    ) -> dict[int, np.ndarray]:
        """exp(Q d) for each d in ``deltas``: {d: rows (S*G*B*NS, NS+1)} (transient rows)."""
        G = 2 * len(self.las_)
        if rng is not None and self.parameter_uncertainty:
            draws = rng.gamma(np.maximum(self.shape_, 1e-300)[None], 1.0, size=(S, *self.shape_.shape))
            rates = draws / self.rate_[None]
            rates[:, self.shape_ == 0] = 0.0
        else:
            rates = np.broadcast_to(self.shape_ / self.rate_, (S, *self.shape_.shape)).copy()
        rates = rates * rate_mult[None]
        q = np.zeros((S, G, B, NS + 1, NS + 1))
        q[..., :NS, :] = rates
        for s in range(NS):
            q[..., s, s] = 0.0
        diag = q.sum(axis=-1)
        idx = np.arange(NS + 1)
        q[..., idx, idx] = -diag
        flat = q.reshape(-1, NS + 1, NS + 1)
        wanted = sorted(set(deltas))
        mats = {1: expm_batch(flat)}

        def power(d: int) -> np.ndarray:  # exp(Q d) = exp(Q)^d, by squaring
            if d not in mats:
                half = power(d // 2)
                sq = half @ half
                mats[d] = sq @ mats[1] if d % 2 else sq
            return mats[d]

        out = {}
        for d in wanted:  # the transient rows, clipped at 0 and summing to 1
            p = power(d).reshape(S, G, B, NS + 1, NS + 1)[..., :NS, :].reshape(-1, NS + 1)
            np.clip(p, 0.0, None, out=p)
            p /= p.sum(axis=-1, keepdims=True)
            out[d] = p
        return out

    def _entry_probs(self, w: np.ndarray, applies: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per LA: probabilities over the non-UASC pool (own entrants shrunk to the region's,
        reweighted by the scenario) and the mean scenario weight."""
        L = len(self.las_)
        pool = self.pool_
        npool = len(pool)
        pla = pool["la"].to_numpy()
        probs = np.zeros((L, npool))
        wmean = np.ones(L)
        for la in range(L):
            own = pla == la
            n_own = own.sum()
            lam = n_own / (n_own + self.entry_pool_prior)
            q0 = (1 - lam) / npool + (lam * own / max(n_own, 1))
            wl = w if applies[la] else np.ones(npool)
            wmean[la] = float((q0 * wl).sum())
            q = q0 * wl
            probs[la] = q / q.sum() if q.sum() > 0 else q0
        return probs, wmean

    def _uasc_probs(self, wu: np.ndarray, applies: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        L = len(self.las_)
        n = len(self.upool_)
        probs = np.zeros((L, n))
        wmean = np.ones(L)
        for la in range(L):
            wl = wu if applies[la] else np.ones(n)
            wmean[la] = float(wl.mean()) if n else 1.0
            probs[la] = wl / wl.sum() if wl.sum() > 0 else np.full(n, 1.0 / n)
        return probs, wmean

    def _entry_mu(self, horizon: int, beta: np.ndarray) -> np.ndarray:
        """Expected non-UASC entrants (..., L, H) for entrant-model coefficients ``beta`` (..., L, 4)."""
        periods = month_ends(self.origin_, horizon)
        phi = self.trend_damping_
        tau = np.cumsum(phi ** np.arange(1, horizon + 1)) / 12.0
        x = design_matrix(tau, np.array([p.month for p in periods]))
        return np.asarray(np.exp(np.clip(np.einsum("...lk,hk->...lh", beta, x), -30, 10)))

    def _uasc_rates(
        self, rng: np.random.Generator | None, S: int, horizon: int, scenario: Scenario
    ) -> np.ndarray:
        """UASC arrivals per month (S, L, H): the regime model (drawn, or its expectation when
        ``rng`` is None), overridden by the scenario's fixed arrivals."""
        ua = self.uasc_arrivals_
        if rng is None:
            r = np.broadcast_to(ua.expected(horizon)[None], (S, len(self.las_), horizon)).copy()
        elif self.parameter_uncertainty:
            r = ua.draw_rates(rng, S, horizon)
        else:
            r = np.broadcast_to(ua.expected(horizon)[None], (S, len(self.las_), horizon)).copy()
        fixed, _ = self._uasc_overrides(scenario)
        has = ~np.isnan(fixed)
        r[:, has, :] = fixed[has][None, :, None]
        return np.asarray(r)

    def _periods(self, horizon: int) -> tuple[pd.DatetimeIndex, np.ndarray, list[int], list[int]]:
        periods = month_ends(self.origin_, horizon)
        pdays = np.array([day(self.origin_)] + [day(p) for p in periods])
        deltas = [int(x) for x in np.diff(pdays)]
        halves = [max(1, d // 2) for d in deltas]
        return periods, pdays, deltas, halves

    def _entrant_thresholds(self, pool: pd.DataFrame, pdays: np.ndarray, halves: list[int]) -> np.ndarray:
        """Birthday thresholds of pool item x entry month (npool * H, 5), leaving age applied."""
        H = len(halves)
        if len(pool) == 0:
            return np.zeros((0, 5), dtype=np.int64)
        mid = pdays[:-1] + np.array(halves)
        dob_days = mid[None, :] - pool["age_days"].to_numpy()[:, None]
        et = birthday_days(EPOCH + dob_days.reshape(-1).astype("timedelta64[D]"))
        u = np.repeat(pool["uasc"].to_numpy().astype(np.int64), H)
        et[:, 4] -= self.ageing_out_offsets_[u]
        return et

    def _expected(
        self, horizon: int, scenario: Scenario = BASELINE, last_only: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """Expected counts and their process variance, each (L, 2, B, K, H), without simulation.

        Children at the origin: each child's state distribution propagated month by month
        through the fitted (mean) transition matrices for their group and age band (variance
        sum of p(1 - p)). Entrants: expected arrivals by age in months at the count x state,
        propagated the same way on a grid of ages in whole months (Poisson: variance = mean).
        ``last_only`` fills only the last period (the rest stay 0)."""
        ckey = (
            "expected",
            horizon,
            last_only,
            scenario.key(),
            self.trend_damping_,
            self.entry_half_life_months_,
        )
        if ckey in self._cache:
            m0, v0 = self._cache[ckey]
            return m0, v0
        L = len(self.las_)
        G = 2 * L
        periods, pdays, deltas, halves = self._periods(horizon)
        rate_mult, w, wu, applies = self._scenario_arrays(scenario)

        def add(j: int, key: np.ndarray, vals: np.ndarray, vv: np.ndarray) -> None:
            for kk in range(K):
                mean[j - 1, :, kk] += np.bincount(key, weights=vals[:, kk], minlength=G * B)
                var[j - 1, :, kk] += np.bincount(key, weights=vv[:, kk], minlength=G * B)

        # The children at the origin do not depend on the entrant trend: cached apart (the
        # trend's damping is chosen by re-running the entrant part only).
        skey = ("expected_stock", horizon, last_only, scenario.key())
        if skey in self._cache:
            mats, m_s, v_s = self._cache[skey]
            mean, var = m_s.copy(), v_s.copy()
        else:
            mats = {
                d: m.reshape(G, B, NS, NS + 1)
                for d, m in self._transition_matrices(None, 1, rate_mult, deltas + halves).items()
            }
            mean = np.zeros((horizon, G * B, K))
            var = np.zeros((horizon, G * B, K))

            st = self.stock_
            if len(st):
                # Children alike in group, state and age band at every count have the same
                # state distributions: propagated once, weighted by how many there are.
                # Key: group, state and, per birthday threshold, how many counts it precedes
                # (which fixes the band at every count).
                g_all = st["la"].to_numpy() * 2 + st["uasc"].to_numpy().astype(np.int64)
                crossed = (self._stock_thr[:, :, None] <= pdays[None, None, :]).sum(axis=-1)  # (n, 5)
                key = g_all * NS + st["state"].to_numpy()
                for b in range(crossed.shape[1]):
                    key = key * (len(pdays) + 1) + crossed[:, b]
                _, first, n_alike = np.unique(key, return_index=True, return_counts=True)
                g0 = g_all[first]
                band_tab = (self._stock_thr[first, None, :] <= pdays[None, :, None]).sum(axis=-1)
                n = len(first)
                p = np.zeros((n, NS + 1))
                p[np.arange(n), st["state"].to_numpy()[first]] = 1.0
                wt = n_alike.astype(float)[:, None]
                for j in range(1, horizon + 1):
                    m = mats[deltas[j - 1]][g0, np.minimum(band_tab[:, j - 1], B - 1)]
                    p = np.einsum("ni,nij->nj", p[:, :NS], m)
                    b = band_tab[:, j]
                    p[b >= B] = 0.0
                    if not last_only or j == horizon:
                        ok = b < B
                        pk = p[ok, :K]
                        add(j, g0[ok] * B + b[ok], pk * wt[ok], pk * (1 - pk) * wt[ok])
            self._cache[skey] = (mats, mean.copy(), var.copy())

        # Entrants on an age grid (whole months at the count, 0 .. 18 years).
        A = 12 * 18
        edges = np.array([12, 60, 120, 192])
        band_of = np.searchsorted(edges, np.arange(A), side="right")  # (A,)
        band_start = [0, *edges.tolist(), A]
        mu = self._entry_mu(horizon, self.entry_.beta) if self.entry_.n_months else np.zeros((L, horizon))
        urate = self._uasc_rates(None, 1, horizon, scenario)[0]
        gi = np.arange(L)[:, None] * 2 + np.arange(2)[None, :]  # (L, 2)
        # Per scenario (not per trend): the transition matrices gathered on the age grid for each
        # interval length, and the state a unit arrival rate puts on the grid by the count.
        ekey = ("expected_entrant_ops", horizon, scenario.key())
        if ekey in self._cache:
            grid, unit = self._cache[ekey]
        else:
            # Entrant mix W[l, u, age month, state] per unit rate.
            W = np.zeros((L, 2, A, NS + 1))
            for pool, u, (pr, wm) in (
                (self.pool_, 0, self._entry_probs(w, applies) if len(self.pool_) else (None, None)),
                (self.upool_, 1, self._uasc_probs(wu, applies)),
            ):
                if pr is None or wm is None or len(pool) == 0:
                    continue
                am = np.minimum(((pool["age_days"].to_numpy() + 15) / 30.4375).astype(np.int64), A - 1)
                s = pool["state"].to_numpy()
                for la in range(L):
                    np.add.at(W[la, u], (am, s), pr[la] * wm[la])
            # Per interval length, each band's matrices (L, 2, NS, NS + 1): the grid's ages in a
            # band share them.
            grid = {d: [mats[d][gi, b] for b in range(B)] for d in sorted(set(deltas) | set(halves))}
            unit = {d: _banded(W, grid[d], band_start) for d in sorted(set(halves))}
            self._cache[ekey] = (grid, unit)
        rates = np.stack([mu, urate], axis=1)  # (L, 2, H)
        coh = np.zeros((L, 2, A, NS + 1))
        for j in range(1, horizon + 1):
            if j > 1:  # a month older: move the cohort one age month on
                nxt = _banded(coh, grid[deltas[j - 1]], band_start)
                coh = np.zeros_like(coh)
                coh[:, :, 1:] = nxt[:, :, :-1]
            # Arrivals during month j, half a month of hazards before the count.
            coh += unit[halves[j - 1]] * rates[:, :, j - 1][:, :, None, None]
            if not last_only or j == horizon:
                pk = coh[..., :K].reshape(-1, K)
                key = np.repeat(gi.reshape(-1), A) * B + np.tile(band_of, G)
                add(j, key, pk, pk)
        mean_out = mean.reshape(horizon, L, 2, B, K).transpose(1, 2, 3, 4, 0)
        var_out = var.reshape(horizon, L, 2, B, K).transpose(1, 2, 3, 4, 0)
        res = (np.ascontiguousarray(mean_out), np.ascontiguousarray(var_out))
        self._cache[ckey] = res
        return res


def _banded(coh: np.ndarray, mats: list[np.ndarray], band_start: list[int]) -> np.ndarray:
    """coh (L, 2, A, NS + 1) on the age grid times its band's matrix (L, 2, NS, NS + 1), age by
    age (the leaving state's mass, last, is not carried)."""
    out = np.empty(coh.shape)
    for b, m in enumerate(mats):
        lo, hi = band_start[b], band_start[b + 1]
        out[:, :, lo:hi] = coh[:, :, lo:hi, :NS] @ m
    return out
