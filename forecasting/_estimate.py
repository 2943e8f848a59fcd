"""Estimation: hazards of moving and leaving care, the entrant models and the stock at the origin.

See :mod:`forecasting.model` for the method; this stage fills the fitted arrays the dynamics and
the simulation read.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting._arrays import BIG, EPOCH, EXIT, NS, K, Prepared, day
from forecasting._params import B, _Params
from forecasting.categories import FINE_CATEGORIES
from forecasting.uasc import UASCArrivals, fit_uasc_arrivals


@dataclass
class _EntryModel:
    beta: np.ndarray  # (L, 4): intercept, trend per year, sin, cos
    cov: np.ndarray  # (L, 4, 4)
    n_months: int


def design_matrix(t_years: np.ndarray, month: np.ndarray) -> np.ndarray:
    ang = 2 * np.pi * (month - 1) / 12.0
    return np.column_stack([np.ones_like(t_years), t_years, np.sin(ang), np.cos(ang)])


def _penalised_poisson(
    x: np.ndarray,
    y: np.ndarray,
    prior_mean: np.ndarray,
    prior_sd: np.ndarray,
    iters: int = 50,
    w: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """MAP of a Poisson log-linear model with independent normal priors; returns (beta, cov).
    ``w``: weights of the observations in the likelihood (recency weighting)."""
    w = np.ones(len(y)) if w is None else w
    prec = 1.0 / prior_sd**2
    beta = prior_mean.copy()
    for _ in range(iters):
        eta = np.clip(x @ beta, -30, 15)
        mu = np.exp(eta)
        grad = x.T @ (w * (y - mu)) - prec * (beta - prior_mean)
        hess = x.T @ (x * (w * mu)[:, None]) + np.diag(prec)
        step = np.linalg.solve(hess, grad)
        beta = beta + step
        if np.max(np.abs(step)) < 1e-8:
            break
    eta = np.clip(x @ beta, -30, 15)
    mu = np.exp(eta)
    hess = x.T @ (x * (w * mu)[:, None]) + np.diag(prec)
    cov = np.linalg.inv(hess)
    # Over-dispersion: inflate by the Pearson dispersion when > 1.
    if len(y) > x.shape[1]:
        phi = float(np.sum((y - mu) ** 2 / np.maximum(mu, 1e-9)) / (len(y) - x.shape[1]))
        cov = cov * max(1.0, min(phi, 5.0))
    return beta, cov


def _pool_frame(la: np.ndarray, age_days: np.ndarray, state: np.ndarray, band: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"la": la, "age_days": age_days, "state": state, "band": band})


def _monthly_counts(
    la: np.ndarray, start: np.ndarray, months: list[tuple[int, int, int]], L: int
) -> np.ndarray:
    """Starts per LA and month, shape (L, len(months)); ``months`` are consecutive (start_day,
    end_day] intervals, oldest first (as ``_entry_months`` gives them)."""
    nm = len(months)
    if nm == 0:
        return np.zeros((L, 0))
    ends = np.array([hi for _, hi, _ in months])
    sel = (start > months[0][0]) & (start <= ends[-1])
    m = np.searchsorted(ends, start[sel], side="left")  # the month whose (start, end] holds it
    return np.bincount(la[sel] * nm + m, minlength=L * nm).reshape(L, nm).astype(float)


class _Estimator(_Params):
    """Fits hazards, entrants and the stock (``_estimate``)."""

    def _estimate(self, P: Prepared) -> None:
        las = self.las_
        L = len(las)
        G = 2 * L
        origin_d = day(self.origin_)
        ws_d = max(day(self.origin_ - pd.Timedelta(days=self.lookback_days_)), day(self.observed_from_))
        self.window_start_ = pd.Timestamp(EPOCH + np.timedelta64(ws_d, "D"))
        keep = P.start <= origin_d
        la_i, state, start = P.la[keep], P.state[keep], P.start[keep]
        is_open = P.end[keep] > origin_d
        end = np.where(is_open, BIG, P.end[keep])
        thr, dob, uasc = P.thr[keep], P.dob[keep], P.uasc[keep]
        cont = P.cont[keep] & ~is_open
        next_state, new = P.next_state[keep], P.new[keep]
        g = la_i * 2 + uasc.astype(np.int64)

        # Leaving care at 18: an exit in the ``ageing_out_days`` before the 18th birthday is
        # ageing out, not a hazard (exposure stops where that window opens); the simulation
        # makes each child leave at the median offset of those exits (UASC and others apart).
        t18 = thr[:, 4]
        cutoff = t18 - self.ageing_out_days
        aged = (~is_open) & ~cont & (end >= cutoff) & (end <= t18)
        offs = np.zeros(2, dtype=np.int64)
        all_off = int(np.median(t18[aged] - end[aged])) if aged.any() else 0
        for u in (0, 1):
            sel = aged & (uasc == bool(u))
            offs[u] = int(np.median(t18[sel] - end[sel])) if sel.sum() >= 5 else all_off
        self.ageing_out_offset_ = all_off
        self.ageing_out_offsets_ = offs
        leave = t18 - offs[uasc.astype(np.int64)]

        # Exposure (child-days) by group x band x state inside [ws, origin), up to the cutoff;
        # only episodes still open at the window's start have any.
        w = end > ws_d
        e_end = np.minimum(np.where(is_open[w], origin_d, end[w]), origin_d)
        e_start = np.maximum(start[w], ws_d)
        bounds = np.column_stack([dob[w], thr[w, :4], cutoff[w]])
        flat_x = np.zeros(G * B * NS)
        base = g[w] * B * NS + state[w]
        for b in range(B):
            lo = np.maximum(e_start, bounds[:, b])
            hi = np.minimum(e_end, bounds[:, b + 1])
            d = np.clip(hi - lo, 0, None).astype(float)
            flat_x += np.bincount(base + b * NS, weights=d, minlength=G * B * NS)
        exposure = flat_x.reshape(G, B, NS)
        ev = np.flatnonzero(w)
        ev = ev[~is_open[ev] & (end[ev] <= origin_d)]
        dest = np.where(cont[ev], next_state[ev], EXIT)
        ok = (end[ev] < cutoff[ev]) & (dest != state[ev]) & (end[ev] >= dob[ev])
        ev, dest = ev[ok], dest[ok]
        band_at_end = (thr[ev, :4] <= end[ev, None]).sum(axis=1)
        ekey = ((g[ev] * B + band_at_end) * NS + state[ev]) * (NS + 1) + dest
        events = np.bincount(ekey, minlength=G * B * NS * (NS + 1)).astype(float).reshape(G, B, NS, NS + 1)
        self.events_, self.exposure_ = events, exposure

        # Shrinkage: all ages (all children) -> group (UASC or not) all ages -> region x group x
        # band -> LA x group x band.
        k = self.prior_days
        ev_u = events.reshape(L, 2, B, NS, NS + 1)
        ex_u = exposure.reshape(L, 2, B, NS)
        r00 = ev_u.sum(axis=(0, 1, 2)) / np.maximum(ex_u.sum(axis=(0, 1, 2)), 1.0)[:, None]
        e0 = ev_u.sum(axis=(0, 2))  # (2, NS, NS+1)
        x0 = ex_u.sum(axis=(0, 2))
        r0 = (e0 + k * r00[None]) / (x0 + k)[..., None]
        e1 = ev_u.sum(axis=0)  # (2, B, NS, NS+1)
        x1 = ex_u.sum(axis=0)
        r1 = (e1 + k * r0[:, None]) / (x1 + k)[..., None]
        shape = ev_u + k * r1[None]
        rate = (ex_u + k)[..., None] * np.ones((1, 1, 1, 1, NS + 1))
        self.shape_ = shape.reshape(G, B, NS, NS + 1)
        self.rate_ = rate.reshape(G, B, NS, NS + 1)
        for s in range(NS):
            self.shape_[:, :, s, s] = 0.0

        # Entrants: periods of care starting in (ws, origin].
        ent = new & (start > ws_d) & (start <= origin_d) & (start < cutoff) & (start >= dob)
        months = self._entry_months(ws_d)
        nu = ent & ~uasc
        self._entry_inputs = (la_i[nu], start[nu], months, L)
        self._fit_entrants(*self._entry_inputs)
        pool_band = (thr[:, :4] <= start[:, None]).sum(axis=1)
        self.pool_ = _pool_frame(la_i[nu], start[nu] - dob[nu], state[nu], pool_band[nu])
        self.pool_["uasc"] = False
        # UASC: a longer window (regimes), own pool (region-wide).
        u_lo = max(
            day(self.origin_ - pd.DateOffset(months=self.uasc_window_months)), day(self.observed_from_)
        )
        u_months = [(lo, hi, c) for lo, hi, c in self._entry_months(u_lo)]
        ue = new & uasc & (start <= origin_d) & (start >= dob) & (start < cutoff)
        uy = _monthly_counts(la_i[ue], start[ue], u_months, L)
        self.uasc_arrivals_: UASCArrivals = fit_uasc_arrivals(uy, hazard=self.uasc_regime_hazard)
        up = ue & (start > u_lo)
        if up.sum() == 0:  # no UASC seen: a default entrant (16, supported) for scenarios
            self.upool_ = _pool_frame(
                np.zeros(1, dtype=np.int64),
                np.array([int(16.5 * 365.25)]),
                np.array([FINE_CATEGORIES.index("supported")]),
                np.array([4]),
            )
        else:
            self.upool_ = _pool_frame(la_i[up], start[up] - dob[up], state[up], pool_band[up])
        self.upool_["uasc"] = True

        # Stock at origin: children in an episode open on the origin date, under the leaving age.
        on = (start <= origin_d) & (is_open | (end > origin_d)) & (leave > origin_d)
        self.stock_ = pd.DataFrame(
            {"la": la_i[on], "state": state[on], "uasc": uasc[on], "child": P.child[keep][on]}
        )
        self._stock_thr = np.column_stack([thr[on, :4], leave[on]])
        self.n_children_at_origin_ = int((state[on] < K).sum())
        self._estimate_late_reporting(P, keep, la_i, state, start, end, is_open, thr, L)

    def _estimate_late_reporting(
        self,
        P: Prepared,
        keep: np.ndarray,
        la_i: np.ndarray,
        state: np.ndarray,
        start: np.ndarray,
        end: np.ndarray,
        is_open: np.ndarray,
        thr: np.ndarray,
        L: int,
    ) -> None:
        """Children later returns add to a past year-end's stock, per child known then.

        For each earlier return's year end d (from ``first_seen``), A = children counted on d
        whose episode was first listed by a later return, N = those already listed by d.
        The LA's rate A/N is shrunk towards the region's with ``late_prior`` children.
        """
        a = np.zeros(L)
        n = np.zeros(L)
        if self.late_reporting != "none" and P.seen is not None:
            seen = P.seen[keep]
            ends = sorted({int(x) for x in seen[seen < BIG]})
            for d in ends:
                if d >= day(self.origin_) or d < day(self.observed_from_):
                    continue
                on = (start <= d) & (is_open | (end > d)) & (thr[:, 4] > d) & (state < K)
                a += np.bincount(la_i[on & (seen > d)], minlength=L)
                n += np.bincount(la_i[on & (seen <= d)], minlength=L)
        rho_reg = a.sum() / n.sum() if n.sum() > 0 else 0.0
        self.late_counts_ = (a, n)
        self.late_shape_ = a + self.late_prior * rho_reg
        self.late_rate_ = n + self.late_prior
        self.late_rate_estimate_ = self.late_shape_ / self.late_rate_

    def _entry_months(self, ws_d: int) -> list[tuple[int, int, int]]:
        """Whole months (start_day, end_day, calendar month) ending at the origin, inside the window."""
        key = ("months", self.origin_)
        if key not in self._months_cache:
            o = self.origin_
            if o.is_month_end:
                ms = np.asarray(np.datetime64(o.strftime("%Y-%m"), "M") - np.arange(0, 401))
                first = np.asarray((ms + 1).astype("datetime64[D]"))
                d = [int(x) - 1 for x in (first - EPOCH).astype(np.int64)]
                cal = [int(x) for x in ms.astype(np.int64) % 12 + 1]
            else:
                lo_d = day(self.observed_from_) - 62
                d, cal = [], []
                for j in range(401):
                    e = o - pd.DateOffset(months=j)
                    d.append(day(e))
                    cal.append(int(e.month))
                    if d[-1] < lo_d:
                        break
            self._months_cache[key] = [(int(d[j + 1]), int(d[j]), int(cal[j])) for j in range(len(d) - 1)]
        out = [m for m in self._months_cache[key] if m[0] >= ws_d - 1]
        return out[::-1]

    def _fit_entrants(
        self, la_i: np.ndarray, start: np.ndarray, months: list[tuple[int, int, int]], L: int
    ) -> None:
        nm = len(months)
        y = _monthly_counts(la_i, start, months, L)
        t = (np.arange(nm) - (nm - 1)) / 12.0
        cal = np.array([c for _, _, c in months])
        x = design_matrix(t, cal) if nm else np.zeros((0, 4))
        reg = y.sum(axis=0)
        big = 1.0
        mean0 = np.log((reg.sum() + 0.5) / max(nm, 1))
        seas_sd = self.season_sd if nm >= 12 else self.season_sd * nm / 12.0 + 1e-3
        trend_sd = self.trend_sd if nm >= 6 else 1e-3
        hl = self.entry_half_life_months_
        w = 0.5 ** ((nm - 1 - np.arange(nm)) / hl) if hl else None
        beta_r, _ = _penalised_poisson(
            x, reg, np.array([mean0, 0.0, 0.0, 0.0]), np.array([big, trend_sd, seas_sd, seas_sd]), w=w
        )
        betas = np.zeros((L, 4))
        covs = np.zeros((L, 4, 4))
        for la in range(L):
            m0 = np.log((y[la].sum() + 0.5) / max(nm, 1))
            pm = np.array([m0, beta_r[1], beta_r[2], beta_r[3]])
            ps = np.array([big, trend_sd / 2 + 1e-3, seas_sd / 2 + 1e-3, seas_sd / 2 + 1e-3])
            betas[la], covs[la] = _penalised_poisson(x, y[la], pm, ps, w=w)
        self.entry_ = _EntryModel(betas, covs, nm)
        self.entry_counts_ = y
