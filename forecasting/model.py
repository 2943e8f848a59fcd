"""Multi-state stock-and-flow forecast of children looked after.

The state of a child in care is their fine placement category, or ``short_break``
(legal status V3/V4: tracked, never counted). Moves between states and exits from care
are continuous-time hazards: events / child-days in a lookback window, by local
authority x age band x state, with empirical-Bayes (gamma-Poisson) shrinkage of each LA's
rate towards the region's rate for that age band, and of the region's towards the all-age
rate. Each child ages by their own date of birth and leaves at 18. New entrants per LA and
month follow a Poisson log-linear model with a damped trend and annual seasonality, its
trend and seasonality shrunk towards the region's; their age, first state and UASC flag are
drawn from recent entrants (the LA's own, pooled with the region's when few). Forecast
intervals come from Monte Carlo simulation of every child (and simulated entrant) with
parameter uncertainty (rates drawn from their gamma posteriors, entrant-model coefficients
from their normal approximation).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasting.categories import (
    AGE_BAND_START,
    AGE_BANDS,
    AGE_LIMIT,
    COARSE_CATEGORIES,
    FINE_CATEGORIES,
    FINE_TO_COARSE,
    SHORT_BREAK_LEGAL_STATUSES,
    expand_category,
    place_categories,
)
from forecasting.data import REGION, as_of, infer_observed_from, month_ends, observed_counts
from forecasting.scenario import BASELINE, Scenario

K = len(FINE_CATEGORIES)  # counted states 0..K-1
SB = K  # short-break state (not counted)
NS = K + 1  # transient states
EXIT = NS  # absorbing
B = len(AGE_BANDS)
OUTPUT_COLUMNS = ["la", "age_band", "placement", "period", "mean"]
_EPOCH = np.datetime64("1970-01-01", "D")


def _days(values) -> np.ndarray:
    """Datetimes as int64 day numbers (NaT -> a large sentinel)."""
    a = pd.to_datetime(pd.Series(values)).to_numpy(dtype="datetime64[D]")
    out = (a - _EPOCH).astype(np.int64)
    out[np.isnat(a)] = np.iinfo(np.int64).max // 4
    return out


def _day(ts) -> int:
    return int((np.datetime64(pd.Timestamp(ts).date(), "D") - _EPOCH).astype(np.int64))


def birthday_days(dob: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """Day numbers of the 1st, 5th, 10th, 16th and 18th birthdays (29 Feb -> 1 Mar), shape (n, 5)."""
    d = pd.DatetimeIndex(pd.to_datetime(pd.Series(dob)))
    y, m, dd = d.year.to_numpy(), d.month.to_numpy(), d.day.to_numpy()
    cols = []
    for age in (*AGE_BAND_START[1:], AGE_LIMIT):
        yy = y + age
        leap = (yy % 4 == 0) & ((yy % 100 != 0) | (yy % 400 == 0))
        feb29 = (m == 2) & (dd == 29) & ~leap
        mm = np.where(feb29, 3, m)
        d2 = np.where(feb29, 1, dd)
        dt = pd.to_datetime(pd.DataFrame({"year": yy, "month": mm, "day": d2}))
        cols.append(_days(dt))
    return np.stack(cols, axis=1)


def _expm_batch(a: np.ndarray) -> np.ndarray:
    """exp of a stack of generator matrices (scaling and squaring with a Taylor series)."""
    norm = np.abs(a).sum(axis=-1).max()
    s = max(0, int(np.ceil(np.log2(max(norm, 1e-12) / 0.25))))
    x = a / (2.0**s)
    n = a.shape[-1]
    eye = np.broadcast_to(np.eye(n), a.shape)
    out = eye.copy()
    term = eye.copy()
    for k in range(1, 8):
        term = term @ x / k
        out = out + term
    for _ in range(s):
        out = out @ out
    out = np.clip(out, 0.0, None)
    return out / out.sum(axis=-1, keepdims=True)


@dataclass
class _EntryModel:
    beta: np.ndarray  # (L, 4): intercept, trend per year, sin, cos
    cov: np.ndarray  # (L, 4, 4)
    n_months: int


def _design(t_years: np.ndarray, month: np.ndarray) -> np.ndarray:
    ang = 2 * np.pi * (month - 1) / 12.0
    return np.column_stack([np.ones_like(t_years), t_years, np.sin(ang), np.cos(ang)])


def _penalised_poisson(
    x: np.ndarray, y: np.ndarray, prior_mean: np.ndarray, prior_sd: np.ndarray, iters: int = 50
) -> tuple[np.ndarray, np.ndarray]:
    """MAP of a Poisson log-linear model with independent normal priors; returns (beta, cov)."""
    prec = 1.0 / prior_sd**2
    beta = prior_mean.copy()
    for _ in range(iters):
        eta = np.clip(x @ beta, -30, 15)
        mu = np.exp(eta)
        grad = x.T @ (y - mu) - prec * (beta - prior_mean)
        hess = x.T @ (x * mu[:, None]) + np.diag(prec)
        step = np.linalg.solve(hess, grad)
        beta = beta + step
        if np.max(np.abs(step)) < 1e-8:
            break
    eta = np.clip(x @ beta, -30, 15)
    mu = np.exp(eta)
    hess = x.T @ (x * mu[:, None]) + np.diag(prec)
    cov = np.linalg.inv(hess)
    # Over-dispersion: inflate by the Pearson dispersion when > 1.
    if len(y) > x.shape[1]:
        phi = float(np.sum((y - mu) ** 2 / np.maximum(mu, 1e-9)) / (len(y) - x.shape[1]))
        cov = cov * max(1.0, min(phi, 5.0))
    return beta, cov


class MultiStateForecaster:
    """Forecast children looked after by LA x age band x placement (see module docstring).

    statsforecast-shaped: ``fit(history, origin)`` then ``predict(horizon, level)``;
    ``backtest(...)`` runs rolling origins. ``history`` is described in
    :mod:`forecasting.data`.

    Parameters:
        lookback_days: days of history before the origin used to estimate hazards and the
            entrant model; a sequence means "choose by internal backtest" (falls back to
            365 when there is too little history to backtest).
        prior_days: strength (child-days) of the shrinkage of small cells' hazards.
        entry_pool_prior: pseudo-entrants pooling an LA's entrant mix towards the region's.
        trend_damping: monthly damping of the entrant trend (1 = linear log-trend).
        trend_sd / season_sd: prior sd of the region's trend (log per year) and seasonal
            amplitude; the LA's are shrunk towards the region's with half those sds.
        n_sims: Monte Carlo draws. seed: random seed (results are reproducible).
        max_parameter_draws: hazard parameter sets drawn from their posteriors; simulation s
            uses set s mod this (nested Monte Carlo: process noise stays per simulation).
        region: label of the region-total rows.
        late_reporting: SSDA903 returns are revised: the next return adds children who were
            in care but not yet reported. "none" (default) ignores it; "origin" adds the
            expected unreported children at the origin, so forecasts target each period's
            count as first reported by the return that covers it; "eventual" also scales each
            period up by the rate later returns add (forecasts target the fully revised count).
            Rates are learned from the ``first_seen`` column (see forecasting.data).
    """

    def __init__(
        self,
        lookback_days: int | Sequence[int] = (365, 730, 1095),
        prior_days: float = 730.0,
        entry_pool_prior: float = 20.0,
        trend_damping: float = 0.95,
        trend_sd: float = 0.5,
        season_sd: float = 0.3,
        n_sims: int = 500,
        seed: int = 0,
        region: str = REGION,
        parameter_uncertainty: bool = True,
        late_reporting: str = "none",
        late_prior: float = 50.0,
        ageing_out_days: int = 31,
        max_parameter_draws: int = 100,
    ) -> None:
        self.lookback_days = lookback_days
        self.prior_days = float(prior_days)
        self.entry_pool_prior = float(entry_pool_prior)
        self.trend_damping = float(trend_damping)
        self.trend_sd = float(trend_sd)
        self.season_sd = float(season_sd)
        self.n_sims = int(n_sims)
        self.seed = int(seed)
        self.region = region
        self.parameter_uncertainty = parameter_uncertainty
        if late_reporting not in ("none", "origin", "eventual"):
            raise ValueError("late_reporting must be 'none', 'origin' or 'eventual'")
        self.late_reporting = late_reporting
        self.late_prior = float(late_prior)
        self.ageing_out_days = int(ageing_out_days)
        self.max_parameter_draws = int(max_parameter_draws)
        self._cache: dict[tuple, np.ndarray] = {}

    # ------------------------------------------------------------------ fit
    def get_params(self) -> dict:
        return {
            "lookback_days": self.lookback_days,
            "prior_days": self.prior_days,
            "entry_pool_prior": self.entry_pool_prior,
            "trend_damping": self.trend_damping,
            "trend_sd": self.trend_sd,
            "season_sd": self.season_sd,
            "n_sims": self.n_sims,
            "seed": self.seed,
            "region": self.region,
            "parameter_uncertainty": self.parameter_uncertainty,
            "late_reporting": self.late_reporting,
            "late_prior": self.late_prior,
            "ageing_out_days": self.ageing_out_days,
            "max_parameter_draws": self.max_parameter_draws,
        }

    def clone(self, **overrides) -> MultiStateForecaster:
        p = self.get_params()
        p.update(overrides)
        return MultiStateForecaster(**p)

    def fit(self, history: pd.DataFrame, origin=None, observed_from=None) -> MultiStateForecaster:
        """Estimate the model from ``history`` as known at ``origin`` (default: its latest date).

        ``observed_from`` is the first date the history fully covers (children who left
        care before it are missing); default: the earliest episode end in the history.
        Hazards and entrants are only measured after it.
        """
        if origin is None:
            origin = pd.concat([history["DECOM"], history["DEC"]]).max()
        origin = pd.Timestamp(origin)
        hist = as_of(history, origin)
        observed_from = (
            pd.Timestamp(observed_from) if observed_from is not None else infer_observed_from(hist)
        )
        self.origin_ = origin
        self.observed_from_ = observed_from
        self.las_ = sorted(history["la"].astype(str).unique())
        self._cache = {}
        if isinstance(self.lookback_days, int | np.integer):
            self.lookback_days_ = int(self.lookback_days)
            self.lookback_scores_ = {}
        else:
            self.lookback_days_, self.lookback_scores_ = self._select_lookback(hist, list(self.lookback_days))
        self._estimate(hist)
        return self

    def _select_lookback(self, hist: pd.DataFrame, candidates: list[int]) -> tuple[int, dict]:
        origins = []
        for k in (1, 2):
            o = self.origin_ - pd.DateOffset(months=12 * k)
            o = o + pd.offsets.MonthEnd(0) if self.origin_.is_month_end else o
            if o - pd.Timedelta(days=180) >= self.observed_from_:
                origins.append(o)
        if not origins:
            return 365, {}
        scores = {}
        done: dict[tuple, tuple[float, float]] = {}  # (origin, effective window start) -> (error, total)
        for lb in candidates:
            err = tot = 0.0
            for o in origins:
                ws = max(o - pd.Timedelta(days=int(lb)), self.observed_from_)
                if (o, ws) not in done:
                    m = self.clone(lookback_days=int(lb), n_sims=60, parameter_uncertainty=False)
                    m.fit(hist, origin=o, observed_from=self.observed_from_)
                    target = month_ends(o, 12)[-1]
                    fc = m.predict(12, level=(), region_only=True)
                    fc = fc[fc["period"] == target]
                    act = observed_counts(hist, [target], region=None)
                    act = act.groupby(["age_band", "placement"])["count"].sum()
                    f = fc.set_index(["age_band", "placement"])["mean"].reindex(act.index).fillna(0)
                    done[(o, ws)] = (float(np.abs(f - act).sum()), float(act.sum()))
                err += done[(o, ws)][0]
                tot += done[(o, ws)][1]
            scores[int(lb)] = err / max(tot, 1e-9)
        best = min(scores, key=lambda k: (round(scores[k], 4), k))
        return best, scores

    def _estimate(self, hist: pd.DataFrame) -> None:
        las = self.las_
        L = len(las)
        la_index = {la: i for i, la in enumerate(las)}
        origin_d = _day(self.origin_)
        ws_d = max(_day(self.origin_ - pd.Timedelta(days=self.lookback_days_)), _day(self.observed_from_))
        self.window_start_ = pd.Timestamp(_EPOCH + np.timedelta64(ws_d, "D"))

        ep = hist.sort_values(["la", "CHILD", "DECOM"], kind="stable").reset_index(drop=True)
        ep = ep[ep["DOB"].notna()].reset_index(drop=True)
        la_i = ep["la"].astype(str).map(la_index).to_numpy()
        fine = place_categories(ep["PLACE"], ep["PLACE_PROVIDER"])
        cat_idx = {c: i for i, c in enumerate(FINE_CATEGORIES)}
        state = fine.map(cat_idx).to_numpy().astype(np.int64)
        sb = ep["LS"].astype("string").str.upper().isin(SHORT_BREAK_LEGAL_STATUSES).fillna(False).to_numpy()
        state[sb] = SB
        start = _days(ep["DECOM"])
        end = _days(ep["DEC"])
        is_open = ep["DEC"].isna().to_numpy()
        thr = birthday_days(ep["DOB"])
        dob = _days(ep["DOB"])
        uasc = ep["UASC"].fillna(False).astype(bool).to_numpy()
        same_next = (ep["la"].shift(-1) == ep["la"]) & (ep["CHILD"].shift(-1) == ep["CHILD"])
        same_next = same_next.to_numpy()
        next_start = np.roll(start, -1)
        next_state = np.roll(state, -1)
        same_prev = np.roll(same_next, 1)
        same_prev[0] = False
        prev_end = np.roll(end, 1)
        cont = same_next & (next_start == end)

        # Leaving care at 18: an exit in the ``ageing_out_days`` before the 18th birthday is
        # ageing out, not a hazard (exposure stops where that window opens); the simulation
        # makes each child leave ``ageing_out_offset_`` days before their 18th birthday (the
        # median offset of those exits; 0 when children leave on the birthday itself).
        t18 = thr[:, 4]
        cutoff = t18 - self.ageing_out_days
        aged = (~is_open) & ~cont & (end >= cutoff) & (end <= t18)
        self.ageing_out_offset_ = int(np.median(t18[aged] - end[aged])) if aged.any() else 0
        leave = t18 - self.ageing_out_offset_

        # Exposure (child-days) by la x band x state inside [ws, origin), up to the 18th birthday.
        e_end = np.minimum(np.where(is_open, origin_d, end), origin_d)
        e_start = np.maximum(start, ws_d)
        bounds = np.column_stack([dob, thr[:, :4], cutoff])  # band b is [bounds[b], bounds[b+1])
        exposure = np.zeros((L, B, NS))
        for b in range(B):
            lo = np.maximum(e_start, bounds[:, b])
            hi = np.minimum(e_end, bounds[:, b + 1])
            days = np.clip(hi - lo, 0, None).astype(float)
            np.add.at(exposure, (la_i, b, state), days)

        # Events in (ws, origin]: move to the next contiguous episode's state, or exit.
        ev = (~is_open) & (end > ws_d) & (end <= origin_d)
        dest = np.where(cont, next_state, EXIT)
        band_at_end = (thr[:, :4] <= end[:, None]).sum(axis=1)
        ev &= (end < cutoff) & (dest != state) & (end >= dob)
        events = np.zeros((L, B, NS, NS + 1))
        np.add.at(events, (la_i[ev], band_at_end[ev], state[ev], dest[ev]), 1.0)
        self.events_, self.exposure_ = events, exposure

        # Shrinkage: all-ages -> region x band -> LA x band.
        k = self.prior_days
        e0 = events.sum(axis=(0, 1))
        x0 = exposure.sum(axis=(0, 1))
        r0 = e0 / np.maximum(x0, 1.0)[:, None]
        e1 = events.sum(axis=0)
        x1 = exposure.sum(axis=0)
        r1 = (e1 + k * r0[None]) / (x1 + k)[..., None]
        self.shape_ = events + k * r1[None]
        self.rate_ = (exposure + k)[..., None] * np.ones((1, 1, 1, NS + 1))
        for s in range(NS):
            self.shape_[:, :, s, s] = 0.0

        # Entrants: episodes starting in (ws, origin] with no contiguous predecessor.
        new = (start > ws_d) & (start <= origin_d) & ~(same_prev & (prev_end >= start))
        new &= (start < cutoff) & (start >= dob)
        months = self._entry_months(ws_d)
        self._fit_entrants(la_i[new], start[new], months, L)
        pool_band = (thr[new, :4] <= start[new, None]).sum(axis=1)
        self.pool_ = pd.DataFrame(
            {
                "la": la_i[new],
                "age_days": start[new] - dob[new],
                "state": state[new],
                "uasc": uasc[new],
                "band": pool_band,
            }
        )

        # Stock at origin: children in an episode open on the origin date, under 18.
        on = (start <= origin_d) & (is_open | (end > origin_d)) & (leave > origin_d)
        self.stock_ = pd.DataFrame(
            {"la": la_i[on], "state": state[on], "uasc": uasc[on], "child": ep.loc[on, "CHILD"].to_numpy()}
        )
        self._stock_thr = np.column_stack([thr[on, :4], leave[on]])
        self.n_children_at_origin_ = int((state[on] < K).sum())
        self._estimate_late_reporting(ep, la_i, state, start, end, is_open, thr, L)

    def _estimate_late_reporting(self, ep, la_i, state, start, end, is_open, thr, L) -> None:
        """Children later returns add to a past year-end's stock, per child known then.

        For each earlier return's year end d (from ``first_seen``), A = children counted on d
        whose episode was first listed by a later return, N = those already listed by d.
        The LA's rate A/N is shrunk towards the region's with ``late_prior`` children.
        """
        a = np.zeros(L)
        n = np.zeros(L)
        if self.late_reporting != "none" and "first_seen" in ep and ep["first_seen"].notna().any():
            seen = _days(ep["first_seen"])
            ends = sorted({int(x) for x in seen[ep["first_seen"].notna().to_numpy()]})
            for d in ends:
                if d >= _day(self.origin_) or d < _day(self.observed_from_):
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
        out = []
        j = 0
        while True:
            hi = self.origin_ - pd.DateOffset(months=j)
            lo = self.origin_ - pd.DateOffset(months=j + 1)
            if self.origin_.is_month_end:
                hi = hi + pd.offsets.MonthEnd(0)
                lo = lo + pd.offsets.MonthEnd(0)
            if _day(lo) < ws_d - 1 or j > 600:
                break
            out.append((_day(lo), _day(hi), int(hi.month)))
            j += 1
        return out[::-1]

    def _fit_entrants(self, la_i: np.ndarray, start: np.ndarray, months, L: int) -> None:
        nm = len(months)
        y = np.zeros((L, nm))
        for m, (lo, hi, _) in enumerate(months):
            sel = (start > lo) & (start <= hi)
            y[:, m] = np.bincount(la_i[sel], minlength=L)
        t = (np.arange(nm) - (nm - 1)) / 12.0
        cal = np.array([c for _, _, c in months])
        x = _design(t, cal) if nm else np.zeros((0, 4))
        reg = y.sum(axis=0)
        # Intercepts: weakly informative around the (smoothed) mean monthly count, so an LA with
        # no recent entrants gets a small, not an unbounded, entry rate.
        big = 1.0
        mean0 = np.log((reg.sum() + 0.5) / max(nm, 1))
        seas_sd = self.season_sd if nm >= 12 else self.season_sd * nm / 12.0 + 1e-3
        trend_sd = self.trend_sd if nm >= 6 else 1e-3
        beta_r, _ = _penalised_poisson(
            x, reg, np.array([mean0, 0.0, 0.0, 0.0]), np.array([big, trend_sd, seas_sd, seas_sd])
        )
        betas = np.zeros((L, 4))
        covs = np.zeros((L, 4, 4))
        for la in range(L):
            m0 = np.log((y[la].sum() + 0.5) / max(nm, 1))
            pm = np.array([m0, beta_r[1], beta_r[2], beta_r[3]])
            ps = np.array([big, trend_sd / 2 + 1e-3, seas_sd / 2 + 1e-3, seas_sd / 2 + 1e-3])
            betas[la], covs[la] = _penalised_poisson(x, y[la], pm, ps)
        self.entry_ = _EntryModel(betas, covs, nm)
        self.entry_counts_ = y

    # -------------------------------------------------------------- simulate
    def _scenario_arrays(self, scenario: Scenario):
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
        rate_mult = np.where(applies[:, None, None, None], mult[None], 1.0)
        pool = self.pool_
        w = np.full(len(pool), float(scenario.entry_multiplier))
        for band, v in scenario.entry_by_age.items():
            w[pool["band"].to_numpy() == AGE_BANDS.index(band)] *= v
        for cat, v in scenario.entry_by_placement.items():
            idx = [cat_idx[f] for f in expand_category(cat)]
            w[np.isin(pool["state"].to_numpy(), idx)] *= v
        return rate_mult, w, applies

    def _transition_matrices(self, rng, S: int, rate_mult: np.ndarray, deltas: list[int]) -> dict:
        L = len(self.las_)
        if self.parameter_uncertainty:
            draws = rng.gamma(np.maximum(self.shape_, 1e-300)[None], 1.0, size=(S, *self.shape_.shape))
            rates = draws / self.rate_[None]
            rates[:, self.shape_ == 0] = 0.0
        else:
            rates = np.broadcast_to(self.shape_ / self.rate_, (S, *self.shape_.shape)).copy()
        rates = rates * rate_mult[None]
        q = np.zeros((S, L, B, NS + 1, NS + 1))
        q[..., :NS, :] = rates
        for s in range(NS):
            q[..., s, s] = 0.0
        diag = q.sum(axis=-1)
        idx = np.arange(NS + 1)
        q[..., idx, idx] = -diag
        flat = q.reshape(-1, NS + 1, NS + 1)
        # exp(Q d) for every d needed, from exp(Q) and exp(Q h) (h = the smallest d) by products.
        wanted = sorted(set(deltas))
        h = wanted[0]
        mats = {1: _expm_batch(flat), h: _expm_batch(flat * h)}

        def power(d: int) -> np.ndarray:
            if d in mats:
                return mats[d]
            if d >= 2 * h:
                mats[d] = power(h) @ power(d - h)
            else:
                mats[d] = power(d - 1) @ mats[1]
            return mats[d]

        out = {}
        for d in wanted:
            p = power(d)
            p = np.clip(p, 0.0, None)
            p = p / p.sum(axis=-1, keepdims=True)
            out[d] = p.reshape(S, L, B, NS + 1, NS + 1)[..., :NS, :].reshape(-1, NS + 1)
        return out

    def _simulate(self, horizon: int, scenario: Scenario) -> np.ndarray:
        """Draws of counts, shape (S, L, 2 [uasc], B, K, horizon)."""
        key = (horizon, scenario.key())
        if key in self._cache:
            return self._cache[key]
        rng = np.random.default_rng(self.seed)
        S, L = self.n_sims, len(self.las_)
        periods = month_ends(self.origin_, horizon)
        pdays = np.array([_day(self.origin_)] + [_day(p) for p in periods])
        deltas = [int(x) for x in np.diff(pdays)]
        halves = [max(1, d // 2) for d in deltas]
        rate_mult, w, applies = self._scenario_arrays(scenario)
        # Parameter uncertainty: n_param parameter draws, draw s uses set s % n_param.
        n_param = min(S, self.max_parameter_draws) if self.parameter_uncertainty else 1
        pmats = self._transition_matrices(rng, n_param, rate_mult, deltas + halves)
        mod = n_param * L

        # Threshold table: children at origin, then (pool item x month) entrants.
        n_child = len(self.stock_)
        pool = self.pool_
        npool = len(pool)
        thr_tabs = [self._stock_thr]
        if npool:
            mid = pdays[:-1] + np.array(halves)  # entry day per month
            dob_days = mid[None, :] - pool["age_days"].to_numpy()[:, None]  # (npool, H)
            dob = pd.to_datetime(_EPOCH + dob_days.reshape(-1).astype("timedelta64[D]"))
            et = birthday_days(dob)
            et[:, 4] -= self.ageing_out_offset_
            thr_tabs.append(et)
        thr_tab = np.concatenate(thr_tabs, axis=0) if thr_tabs else np.zeros((0, 5), dtype=np.int64)
        band_tab = (thr_tab[:, None, :] <= pdays[None, :, None]).sum(axis=-1).astype(np.int8)  # 5 = 18+
        ua_tab = np.concatenate(
            [
                self.stock_["uasc"].to_numpy().astype(np.int64),
                np.repeat(pool["uasc"].to_numpy().astype(np.int64), horizon),
            ]
        )

        # Items (simulated children), flattened over draws: sl = draw * L + la, state, table row.
        stock_la = self.stock_["la"].to_numpy().astype(np.int32)
        sl = (np.repeat(np.arange(S, dtype=np.int32), n_child) * L + np.tile(stock_la, S)).astype(np.int32)
        st = np.tile(self.stock_["state"].to_numpy().astype(np.int8), S)
        tid = np.tile(np.arange(n_child, dtype=np.int32), S)

        entrants = self._draw_entrants(rng, S, horizon, periods, w, applies)
        # Late reporting: children in care at the origin that later returns will add (drawn
        # like the known stock), and the share later returns add to each period's count.
        rho = np.zeros((S, L))
        if self.late_reporting != "none" and self.late_shape_.sum() > 0:
            if self.parameter_uncertainty:
                rho = rng.gamma(np.maximum(self.late_shape_, 1e-300), 1.0, size=(S, L)) / self.late_rate_
            else:
                rho = np.broadcast_to(self.late_rate_estimate_, (S, L)).copy()
            add_idx = []
            add_sim = []
            for li in range(L):
                rows = np.nonzero(stock_la == li)[0]
                if len(rows) == 0:
                    continue
                k = rng.poisson(rho[:, li] * (self.stock_["state"].to_numpy()[rows] < K).sum())
                add_sim.append(np.repeat(np.arange(S, dtype=np.int32), k))
                add_idx.append(rng.choice(rows, size=int(k.sum())))
            if add_idx:
                ai = np.concatenate(add_idx)
                sl = np.concatenate([sl, (np.concatenate(add_sim) * L + stock_la[ai]).astype(np.int32)])
                st = np.concatenate([st, self.stock_["state"].to_numpy()[ai].astype(np.int8)])
                tid = np.concatenate([tid, ai.astype(np.int32)])
        counts = np.zeros((S, L, 2, B, K, horizon), dtype=np.int32)
        ncell = S * L * 2 * B * K
        band_by_period = np.ascontiguousarray(band_tab.T)  # (H + 1, T): 1-D gathers per period
        for j in range(1, horizon + 1):
            pm = pmats[deltas[j - 1]]
            st = self._step(rng, pm, sl % mod, band_by_period[j - 1].take(tid), st)
            keep = (st != EXIT) & (band_by_period[j].take(tid) < B)
            sl, st, tid = sl[keep], st[keep], tid[keep]
            # New entrants arriving during month j (half a month of hazards before the count).
            e_sim, e_la, e_pool = entrants[j - 1]
            if len(e_sim):
                e_st = pool["state"].to_numpy()[e_pool].astype(np.int8)
                e_tid = (n_child + e_pool * horizon + (j - 1)).astype(np.int32)
                e_sl = (e_sim * L + e_la).astype(np.int32)
                eband = np.minimum(band_tab[e_tid, j], B - 1)
                e_st = self._step(rng, pmats[halves[j - 1]], e_sl % mod, eband, e_st)
                ok = (e_st != EXIT) & (band_tab[e_tid, j] < B)
                sl = np.concatenate([sl, e_sl[ok]])
                st = np.concatenate([st, e_st[ok]])
                tid = np.concatenate([tid, e_tid[ok]])
            cnt = st < K
            t_c = tid[cnt]
            keyv = ((sl[cnt].astype(np.int64) * 2 + ua_tab.take(t_c)) * B + band_by_period[j].take(t_c)) * K
            keyv += st[cnt]
            counts[..., j - 1] = np.bincount(keyv, minlength=ncell).reshape(S, L, 2, B, K)
        if self.late_reporting == "eventual" and rho.any():
            counts = counts + rng.poisson(rho[:, :, None, None, None, None] * counts).astype(np.int32)
        self._cache[key] = counts
        return counts

    @staticmethod
    def _step(rng, pm, pl, band, st) -> np.ndarray:
        """One interval of every item: pl = parameter set * L + la, band, state -> new state."""
        if len(st) == 0:
            return st
        row = (pl.astype(np.int64) * B + band) * NS + st
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

    def _draw_entrants(self, rng, S, horizon, periods, w, applies) -> list:
        L = len(self.las_)
        pool = self.pool_
        npool = len(pool)
        out = []
        if npool == 0 or self.entry_.n_months == 0:
            empty = np.zeros(0, dtype=np.int32)
            return [(empty, empty, empty.astype(np.int64)) for _ in range(horizon)]
        # Entrant-model coefficients per draw.
        beta = np.broadcast_to(self.entry_.beta[None], (S, L, 4)).copy()
        if self.parameter_uncertainty:
            for la in range(L):
                beta[:, la] = rng.multivariate_normal(self.entry_.beta[la], self.entry_.cov[la], size=S)
        phi = self.trend_damping
        tau = np.cumsum(phi ** np.arange(1, horizon + 1)) / 12.0
        cal = np.array([p.month for p in periods])
        x = _design(tau, cal)  # (H, 4)
        mu = np.exp(np.clip(np.einsum("slk,hk->slh", beta, x), -30, 10))  # (S, L, H)
        # Entrant mix per LA: own pool shrunk to the region pool, reweighted by the scenario.
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
        n = rng.poisson(mu * wmean[None, :, None])  # (S, L, H)
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
                empty = np.zeros(0, dtype=np.int32)
                out.append((empty, empty, empty.astype(np.int64)))
        return out

    # --------------------------------------------------------------- predict
    def draws(
        self, horizon: int = 12, scenario: Scenario | None = None, categories: str = "fine", uasc=None
    ) -> tuple[np.ndarray, list[str], list[str]]:
        """Simulated counts, shape (n_sims, L+1 [LAs then region], B, C, horizon), with la and
        category labels."""
        counts = self._simulate(horizon, scenario or BASELINE)
        if uasc is None:
            c = counts.sum(axis=2)
        else:
            c = counts[:, :, 1 if uasc else 0]
        if categories == "coarse":
            groups = [
                [i for i, f in enumerate(FINE_CATEGORIES) if FINE_TO_COARSE[f] == g]
                for g in COARSE_CATEGORIES
            ]
            c = np.stack([c[:, :, :, g].sum(axis=3) for g in groups], axis=3)
            cats = list(COARSE_CATEGORIES)
        elif categories == "fine":
            cats = list(FINE_CATEGORIES)
        else:
            raise ValueError("categories must be 'fine' or 'coarse'")
        c = np.concatenate([c, c.sum(axis=1, keepdims=True)], axis=1)
        return c, [*self.las_, self.region], cats

    def predict(
        self,
        horizon: int = 12,
        level: Sequence[int] = (80, 95),
        scenario: Scenario | None = None,
        categories: str = "fine",
        uasc: bool | None = None,
        totals: bool = False,
        region_only: bool = False,
    ) -> pd.DataFrame:
        """Long-format forecast: la, age_band, placement, period, mean, lo_<l>, hi_<l> per level.

        Rows for each LA and the region (``self.region``: the sum of the LAs, draw by draw,
        so means add up exactly). ``uasc``: None = all children, True / False = UASC only /
        non-UASC only. ``totals`` adds age_band="all" and placement="all" rows. Intervals
        are central simulation quantiles (draws jittered by U(-0.5, 0.5) so that integer
        counts give calibrated rather than conservative intervals; a cell whose draws are all
        equal gets a zero-width interval), widened if needed so that
        lo_95 <= lo_80 <= mean <= hi_80 <= hi_95.
        """
        c, la_labels, cats = self.draws(horizon, scenario, categories, uasc)
        if region_only:
            c, la_labels = c[:, -1:], la_labels[-1:]
        bands = list(AGE_BANDS)
        if totals:
            c = np.concatenate([c, c.sum(axis=2, keepdims=True)], axis=2)
            c = np.concatenate([c, c.sum(axis=3, keepdims=True)], axis=3)
            bands, cats = [*bands, "all"], [*cats, "all"]
        S = c.shape[0]
        flat = c.reshape(S, -1).astype(float)
        mean = flat.mean(axis=0)
        periods = month_ends(self.origin_, horizon)
        idx = pd.MultiIndex.from_product(
            [la_labels, bands, cats, periods], names=["la", "age_band", "placement", "period"]
        )
        out = idx.to_frame(index=False)
        out["mean"] = mean
        if level:
            jit = np.random.default_rng(self.seed + 1).uniform(-0.5, 0.5, size=flat.shape)
            jittered = np.clip(flat + jit, 0.0, None)
            constant = flat.min(axis=0) == flat.max(axis=0)  # e.g. cells that are always empty
            lo_prev, hi_prev = mean, mean
            for lv in sorted(level):
                a = (100 - lv) / 200.0
                lo, hi = np.quantile(jittered, [a, 1 - a], axis=0)
                lo = np.where(constant, mean, lo)
                hi = np.where(constant, mean, hi)
                lo = np.minimum(lo, lo_prev)
                hi = np.maximum(hi, hi_prev)
                out[f"lo_{lv}"] = lo
                out[f"hi_{lv}"] = hi
                lo_prev, hi_prev = lo, hi
        return out

    # -------------------------------------------------------------- backtest
    def backtest(
        self,
        history: pd.DataFrame,
        horizon: int = 12,
        n_windows: int = 4,
        step_months: int = 12,
        origins: Sequence | None = None,
        history_at: Callable[[pd.Timestamp], pd.DataFrame] | None = None,
        level: Sequence[int] = (80, 95),
        categories: str = "coarse",
        last_period_only: bool = True,
        observed_from=None,
    ) -> pd.DataFrame:
        """Rolling-origin evaluation: refit at each origin on what was knowable then and
        compare the forecast with what ``history`` (the latest, fullest data) says happened.

        ``history_at(origin)`` gives the data available at an origin (default
        ``as_of(history, origin)``); pass it to use only the returns that existed then.
        Default origins: the last ``n_windows`` month-ends, ``step_months`` apart, that
        leave ``horizon`` months of outcome. Returns the forecast rows with columns
        ``origin``, ``actual`` and ``runtime_s`` added; score with
        :func:`forecasting.metrics.evaluate`.
        """
        if origins is None:
            from forecasting.backtest import default_origins

            origins = default_origins(history, horizon, n_windows, step_months)
        frames = []
        for o in origins:
            o = pd.Timestamp(o)
            t0 = time.perf_counter()
            data = history_at(o) if history_at is not None else as_of(history, o)
            m = self.clone().fit(data, origin=o, observed_from=observed_from)
            fc = m.predict(horizon, level=level, categories=categories)
            rt = time.perf_counter() - t0
            periods = sorted(fc["period"].unique())
            if last_period_only:
                periods = periods[-1:]
                fc = fc[fc["period"] == periods[0]]
            act = observed_counts(history, periods, categories=categories, region=self.region)
            act = act[act["la"].isin(fc["la"].unique())]
            fc = fc.merge(
                act.rename(columns={"count": "actual"}), on=["la", "age_band", "placement", "period"]
            )
            fc.insert(0, "origin", o)
            fc["runtime_s"] = rt
            fc["lookback_days"] = m.lookback_days_
            frames.append(fc)
        return pd.concat(frames, ignore_index=True)
