"""Multi-state stock-and-flow forecast of children looked after.

The state of a child in care is their fine placement category, or ``short_break`` (legal
status V3/V4: tracked, never counted). Moves between states and exits from care are
continuous-time hazards: events / child-days in a lookback window, by local authority x UASC
or not x age band x state, with empirical-Bayes (gamma-Poisson) shrinkage of each LA's rate
towards the region's rate for that group and age band, and of that towards the group's all-age
rate. Each child ages by their own date of birth and leaves at 18 (at the offset from the 18th
birthday the data shows, separately for UASC and other children).

Entrants come from two processes:

- children who are not UASC: per LA and month, a Poisson log-linear model with a damped trend
  and annual seasonality, shrunk towards the region's; their age and first state are drawn from
  recent non-UASC entrants (the LA's own, pooled with the region's when few);
- UASC: per LA, a regime model with change-point detection (:mod:`forecasting.uasc`); their age
  and first state are drawn from the region's recent UASC entrants. A scenario can fix an LA's
  UASC arrivals (national transfer scheme transfers) or cap its UASC in care (NTS quota).

Intervals come from Monte Carlo simulation of every child and entrant with parameter
uncertainty, then are checked against internal backtests before the origin (the same model fitted
at earlier origins, scored on what happened by the origin): if the model's own spread was too
narrow there, intervals are widened by the empirical factor (split-conformal scaling; see
:meth:`MultiStateForecaster.fit`).

When an LA's returns stop before the origin (``first_seen``: the end of the latest collection
year returned for it) while other LAs have later returns, the LA is not forecast (its rows are
left out and the region total is the sum of the LAs that are) and ``coverage_`` says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from forecasting._arrays import BIG, EPOCH, EXIT, NS, K, Prepared, birthday_days, day, expm_batch
from forecasting.categories import (
    AGE_BANDS,
    COARSE_CATEGORIES,
    FINE_CATEGORIES,
    FINE_TO_COARSE,
    expand_category,
)
from forecasting.data import (
    REGION,
    as_of,
    default_origins,
    infer_observed_from,
    month_ends,
    observed_counts,
)
from forecasting.scenario import BASELINE, Scenario
from forecasting.uasc import UASCArrivals, fit_uasc_arrivals

__all__ = ["OUTPUT_COLUMNS", "MultiStateForecaster", "birthday_days"]

B = len(AGE_BANDS)
OUTPUT_COLUMNS = ["la", "age_band", "placement", "period", "mean"]
_Z = {80: 1.2815515655446004, 95: 1.959963984540054, 90: 1.6448536269514722, 50: 0.6744897501960817}


def _z(level: int) -> float:
    if level in _Z:
        return _Z[level]
    from statistics import NormalDist

    return NormalDist().inv_cdf(0.5 + level / 200.0)


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


def _pool_frame(la: np.ndarray, age_days: np.ndarray, state: np.ndarray, band: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"la": la, "age_days": age_days, "state": state, "band": band})


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
        uasc_window_months: months of UASC arrivals the regime model looks at.
        uasc_regime_hazard: prior probability per month that a UASC arrival regime changes.
        calibrate: widen intervals by the factor internal backtests before the origin show
            they need (see :meth:`fit`); False keeps the simulation's own intervals.
        calibration_origins: internal backtest origins, months before the origin minus 12
            (0 = the origin 12 months back, whose 12-month outcome is the origin itself).
        uncovered: "exclude" (default): an LA whose returns end before the origin while other
            LAs' do not is left out of the forecast and the region total (see ``coverage_``);
            "include" forecasts it from what its data says (its open episodes as still open).
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
        uasc_window_months: int = 36,
        uasc_regime_hazard: float = 1 / 24,
        calibrate: bool = True,
        calibration_origins: Sequence[int] = (0, 3, 6, 9, 12),
        uncovered: str = "exclude",
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
        self.uasc_window_months = int(uasc_window_months)
        self.uasc_regime_hazard = float(uasc_regime_hazard)
        self.calibrate = bool(calibrate)
        self.calibration_origins = tuple(int(x) for x in calibration_origins)
        if uncovered not in ("exclude", "include"):
            raise ValueError("uncovered must be 'exclude' or 'include'")
        self.uncovered = uncovered
        self._cache: dict[tuple[Any, ...], Any] = {}
        self._months_cache: dict[tuple[Any, ...], list[tuple[int, int, int]]] = {}

    # ------------------------------------------------------------------ fit
    def get_params(self) -> dict[str, Any]:
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
            "uasc_window_months": self.uasc_window_months,
            "uasc_regime_hazard": self.uasc_regime_hazard,
            "calibrate": self.calibrate,
            "calibration_origins": self.calibration_origins,
            "uncovered": self.uncovered,
        }

    def clone(self, **overrides: Any) -> MultiStateForecaster:
        p = self.get_params()
        p.update(overrides)
        return MultiStateForecaster(**p)

    def fit(
        self, history: pd.DataFrame, origin: Any = None, observed_from: Any = None
    ) -> MultiStateForecaster:
        """Estimate the model from ``history`` as known at ``origin`` (default: its latest date).

        ``observed_from`` is the first date the history fully covers (children who left
        care before it are missing); default: the earliest episode end in the history.
        Hazards and entrants are only measured after it.

        Also, with ``calibrate``: internal backtests at the origins
        ``calibration_origins`` (months before ``origin`` minus 12) fit the model on the
        data before each (same lookback) and compare its expected counts 12 months on with
        the counts the data shows, per cell (LA x age band x coarse category, and the
        region's). The score of a cell is |actual - expected| / sd, where sd is the model's
        process standard deviation (children moving and leaving one by one, entrants
        arriving at random) plus rounding; ``calibration_[level]`` is the empirical
        ``level`` quantile of the scores over the standard normal's, at least 1. Forecast
        intervals are then at least mean +- factor x z x sd (split-conformal scaling, on
        data available at the origin).
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
        self.coverage_ = self._coverage(history, origin)
        self._prep = Prepared.from_history(hist, self.las_)
        self._internal_fits: dict[tuple[pd.Timestamp, int], MultiStateForecaster] = {}
        if isinstance(self.lookback_days, int | np.integer):
            self.lookback_days_ = int(self.lookback_days)
            self.lookback_scores_: dict[int, float] = {}
        else:
            self.lookback_days_, self.lookback_scores_ = self._select_lookback(list(self.lookback_days))
        self._estimate(self._prep)
        self.calibration_: dict[int, dict[str, float]] = {}
        self.calibration_cells_ = 0
        if self.calibrate:
            self._calibrate()
        self._internal_fits = {}
        return self

    # ------------------------------------------------------------ coverage
    def _coverage(self, history: pd.DataFrame, origin: pd.Timestamp) -> pd.DataFrame:
        """Per LA: the end of its latest return (``first_seen``), its last recorded date, and
        whether the forecast covers it."""
        rows = []
        h = history[history["DECOM"] <= origin]
        has_seen = "first_seen" in history and history["first_seen"].notna().any()
        by_la = {la: g for la, g in h.groupby(h["la"].astype(str))}
        covered_to: dict[str, pd.Timestamp | None] = {}
        for la in self.las_:
            g = by_la.get(la)
            if has_seen and g is not None and g["first_seen"].notna().any():
                covered_to[la] = pd.Timestamp(g["first_seen"].max())
            elif has_seen and la in set(history["la"].astype(str)):
                seen = history.loc[history["la"].astype(str) == la, "first_seen"]
                covered_to[la] = pd.Timestamp(seen.min()) if seen.notna().any() else None
            else:
                covered_to[la] = None
        known = [c for c in covered_to.values() if c is not None]
        latest = max(known) if known else None
        for la in self.las_:
            g = by_la.get(la)
            last = None
            if g is not None and len(g):
                dec = g["DEC"][g["DEC"] <= origin]
                last = max(
                    pd.Timestamp(g["DECOM"].max()), pd.Timestamp(dec.max()) if dec.notna().any() else pd.NaT
                )
            c = covered_to[la]
            if c is None:
                status, note = "unknown", "no first_seen column: coverage of the origin unknown"
            elif c >= origin:
                status, note = "covered", f"returns cover the origin (to {c.date()})"
            elif latest is not None and c < latest:
                status = "missing"
                note = (
                    f"no return covering the origin {origin.date()}: latest return ends {c.date()} "
                    f"while other LAs' end {latest.date()}; "
                    + (
                        "not forecast and not in the region total"
                        if self.uncovered == "exclude"
                        else "forecast from its stale data (open episodes assumed still open)"
                    )
                )
            else:
                status = "behind"
                note = f"origin {origin.date()} is after every LA's latest return ({c.date()})"
            rows.append(
                {
                    "la": la,
                    "status": status,
                    "covered_to": c,
                    "last_recorded": last,
                    "in_forecast": not (status == "missing" and self.uncovered == "exclude"),
                    "note": note,
                }
            )
        return pd.DataFrame(
            rows, columns=["la", "status", "covered_to", "last_recorded", "in_forecast", "note"]
        )

    def coverage_notes(self) -> list[dict[str, Any]]:
        """``coverage_`` as plain dicts (dates as ISO strings), one per LA."""
        out = []
        for r in self.coverage_.to_dict(orient="records"):
            for k in ("covered_to", "last_recorded"):
                v = r[k]
                r[k] = None if v is None or pd.isna(v) else str(pd.Timestamp(v).date())
            out.append(r)
        return out

    def _included(self) -> np.ndarray:
        inc = self.coverage_.set_index("la")["in_forecast"].reindex(self.las_).fillna(True)
        return inc.to_numpy(dtype=bool)

    # ------------------------------------------------------ internal fits
    def _internal(self, origin: pd.Timestamp, lookback_days: int) -> MultiStateForecaster:
        """The model fitted at an earlier origin on the same data (shared by the lookback choice
        and the calibration: fits with the same origin and window are made once)."""
        ws = max(day(origin - pd.Timedelta(days=int(lookback_days))), day(self.observed_from_))
        key = (origin, ws)
        if key in self._internal_fits:
            return self._internal_fits[key]
        m = self.clone(lookback_days=int(lookback_days), calibrate=False)
        m.origin_ = origin
        m.observed_from_ = self.observed_from_
        m.las_ = self.las_
        m.lookback_days_ = int(lookback_days)
        m._estimate(self._prep)
        self._internal_fits[key] = m
        return m

    def _past_origins(self, months: Sequence[int]) -> list[pd.Timestamp]:
        out = []
        for k in months:
            o = self.origin_ - pd.DateOffset(months=int(k))
            o = o + pd.offsets.MonthEnd(0) if self.origin_.is_month_end else o
            if o - pd.Timedelta(days=180) >= self.observed_from_:
                out.append(pd.Timestamp(o))
        return out

    def _select_lookback(self, candidates: list[int]) -> tuple[int, dict[int, float]]:
        origins = self._past_origins([12, 24])
        if not origins:
            return 365, {}
        L = len(self.las_)
        scores = {}
        done: dict[tuple[pd.Timestamp, int], tuple[float, float]] = {}
        for lb in candidates:
            err = tot = 0.0
            for o in origins:
                ws = max(day(o - pd.Timedelta(days=int(lb))), day(self.observed_from_))
                if (o, ws) not in done:
                    m = self._internal(o, lb)
                    target = month_ends(o, 12)[-1]
                    mean, _ = m._expected(12, last_only=True)
                    f = mean[..., -1].sum(axis=(0, 1))  # (B, K) region
                    a = self._prep.counts_on(day(target), L).sum(axis=(0, 1))
                    done[(o, ws)] = (float(np.abs(f - a).sum()), float(a.sum()))
                err += done[(o, ws)][0]
                tot += done[(o, ws)][1]
            scores[int(lb)] = err / max(tot, 1e-9)
        best = min(scores, key=lambda k: (round(scores[k], 4), k))
        return best, scores

    def _calibrate(self) -> None:
        origins = self._past_origins([12 + k for k in self.calibration_origins])
        if not origins:
            return
        L = len(self.las_)
        groups = [
            [i for i, f in enumerate(FINE_CATEGORIES) if FINE_TO_COARSE[f] == g] for g in COARSE_CATEGORIES
        ]
        la_scores, reg_scores = [], []
        for o in origins:
            m = self._internal(o, self.lookback_days_)
            mean, var = m._expected(12, last_only=True)
            target = month_ends(o, 12)[-1]
            act = self._prep.counts_on(day(target), L)
            mu = np.stack([mean[..., -1][..., g].sum(axis=-1) for g in groups], axis=-1).sum(axis=1)
            vv = np.stack([var[..., -1][..., g].sum(axis=-1) for g in groups], axis=-1).sum(axis=1)
            aa = np.stack([act[..., g].sum(axis=-1) for g in groups], axis=-1).sum(axis=1)  # (L, B, C)
            inc = self._included()
            mu, vv, aa = mu[inc], vv[inc], aa[inc]
            la_scores.append((np.abs(aa - mu) / np.sqrt(vv + 0.25)).ravel())
            reg_scores.append((np.abs(aa.sum(0) - mu.sum(0)) / np.sqrt(vv.sum(0) + 0.25)).ravel())
        la_s = np.concatenate(la_scores)
        reg_s = np.concatenate(reg_scores)
        self.calibration_cells_ = int(len(la_s) + len(reg_s))
        for lv in (50, 80, 90, 95):
            q = lv / 100.0
            self.calibration_[lv] = {
                "la": max(1.0, float(np.quantile(la_s, q, method="higher")) / _z(lv)),
                "region": max(1.0, float(np.quantile(reg_s, q, method="higher")) / _z(lv)),
            }
        self.calibration_origins_ = [str(o.date()) for o in origins]

    def _factor(self, level: int, where: str) -> float:
        if not self.calibration_:
            return 1.0
        known = sorted(self.calibration_)
        lv = min(known, key=lambda x: abs(x - level))
        return float(self.calibration_[lv][where])

    # ------------------------------------------------------------ estimate
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

        # Exposure (child-days) by group x band x state inside [ws, origin), up to the cutoff.
        e_end = np.minimum(np.where(is_open, origin_d, end), origin_d)
        e_start = np.maximum(start, ws_d)
        bounds = np.column_stack([dob, thr[:, :4], cutoff])
        flat_x = np.zeros(G * B * NS)
        base = g * B * NS + state
        for b in range(B):
            lo = np.maximum(e_start, bounds[:, b])
            hi = np.minimum(e_end, bounds[:, b + 1])
            d = np.clip(hi - lo, 0, None).astype(float)
            flat_x += np.bincount(base + b * NS, weights=d, minlength=G * B * NS)
        exposure = flat_x.reshape(G, B, NS)
        ev = (~is_open) & (end > ws_d) & (end <= origin_d)
        dest = np.where(cont, next_state, EXIT)
        band_at_end = (thr[:, :4] <= end[:, None]).sum(axis=1)
        ev &= (end < cutoff) & (dest != state) & (end >= dob)
        ekey = ((g[ev] * B + band_at_end[ev]) * NS + state[ev]) * (NS + 1) + dest[ev]
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
        self._fit_entrants(la_i[nu], start[nu], months, L)
        pool_band = (thr[:, :4] <= start[:, None]).sum(axis=1)
        self.pool_ = _pool_frame(la_i[nu], start[nu] - dob[nu], state[nu], pool_band[nu])
        self.pool_["uasc"] = False
        # UASC: a longer window (regimes), own pool (region-wide).
        u_lo = max(
            day(self.origin_ - pd.DateOffset(months=self.uasc_window_months)), day(self.observed_from_)
        )
        u_months = [(lo, hi, c) for lo, hi, c in self._entry_months(u_lo)]
        uy = np.zeros((L, len(u_months)))
        ue = new & uasc & (start <= origin_d) & (start >= dob) & (start < cutoff)
        for j, (lo, hi, _) in enumerate(u_months):
            sel = ue & (start > lo) & (start <= hi)
            uy[:, j] = np.bincount(la_i[sel], minlength=L)
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
        y = np.zeros((L, nm))
        for m, (lo, hi, _) in enumerate(months):
            sel = (start > lo) & (start <= hi)
            y[:, m] = np.bincount(la_i[sel], minlength=L)
        t = (np.arange(nm) - (nm - 1)) / 12.0
        cal = np.array([c for _, _, c in months])
        x = _design(t, cal) if nm else np.zeros((0, 4))
        reg = y.sum(axis=0)
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

    # --------------------------------------------------------------- simulate
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
        h = wanted[0]
        mats = {1: expm_batch(flat), h: expm_batch(flat * h)}

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
            p = np.clip(power(d), 0.0, None)
            p = p / p.sum(axis=-1, keepdims=True)
            out[d] = p.reshape(S, G, B, NS + 1, NS + 1)[..., :NS, :].reshape(-1, NS + 1)
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
        phi = self.trend_damping
        tau = np.cumsum(phi ** np.arange(1, horizon + 1)) / 12.0
        x = _design(tau, np.array([p.month for p in periods]))
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
        ckey = ("expected", horizon, last_only, scenario.key())
        if ckey in self._cache:
            m0, v0 = self._cache[ckey]
            return m0, v0
        L = len(self.las_)
        G = 2 * L
        periods, pdays, deltas, halves = self._periods(horizon)
        rate_mult, w, wu, applies = self._scenario_arrays(scenario)
        mats = {
            d: m.reshape(G, B, NS, NS + 1)
            for d, m in self._transition_matrices(None, 1, rate_mult, deltas + halves).items()
        }
        mean = np.zeros((horizon, G * B, K))
        var = np.zeros((horizon, G * B, K))

        def add(j: int, key: np.ndarray, vals: np.ndarray, vv: np.ndarray) -> None:
            for kk in range(K):
                mean[j - 1, :, kk] += np.bincount(key, weights=vals[:, kk], minlength=G * B)
                var[j - 1, :, kk] += np.bincount(key, weights=vv[:, kk], minlength=G * B)

        st = self.stock_
        if len(st):
            n = len(st)
            p = np.zeros((n, NS + 1))
            p[np.arange(n), st["state"].to_numpy()] = 1.0
            g0 = st["la"].to_numpy() * 2 + st["uasc"].to_numpy().astype(np.int64)
            band_tab = (self._stock_thr[:, None, :] <= pdays[None, :, None]).sum(axis=-1)
            for j in range(1, horizon + 1):
                m = mats[deltas[j - 1]][g0, np.minimum(band_tab[:, j - 1], B - 1)]
                p = np.einsum("ni,nij->nj", p[:, :NS], m)
                b = band_tab[:, j]
                p[b >= B] = 0.0
                if not last_only or j == horizon:
                    ok = b < B
                    pk = p[ok, :K]
                    add(j, g0[ok] * B + b[ok], pk, pk * (1 - pk))

        # Entrants on an age grid (whole months at the count, 0 .. 18 years).
        A = 12 * 18
        edges = np.array([12, 60, 120, 192])
        band_of = np.searchsorted(edges, np.arange(A), side="right")  # (A,)
        mu = self._entry_mu(horizon, self.entry_.beta) if self.entry_.n_months else np.zeros((L, horizon))
        urate = self._uasc_rates(None, 1, horizon, scenario)[0]
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
        rates = np.stack([mu, urate], axis=1)  # (L, 2, H)
        gi = np.arange(L)[:, None] * 2 + np.arange(2)[None, :]  # (L, 2)
        coh = np.zeros((L, 2, A, NS + 1))
        for j in range(1, horizon + 1):
            if j > 1:  # a month older: move the cohort one age month on
                m = mats[deltas[j - 1]][gi[:, :, None], band_of[None, None, :]]  # (L, 2, A, NS, NS+1)
                nxt = np.einsum("luai,luaij->luaj", coh[..., :NS], m)
                coh = np.zeros_like(coh)
                coh[:, :, 1:] = nxt[:, :, :-1]
            # Arrivals during month j, half a month of hazards before the count.
            mh = mats[halves[j - 1]][gi[:, :, None], band_of[None, None, :]]
            arr = W[..., :NS] * rates[:, :, j - 1][:, :, None, None]
            coh += np.einsum("luai,luaij->luaj", arr, mh)
            if not last_only or j == horizon:
                pk = coh[..., :K].reshape(-1, K)
                key = np.repeat(gi.reshape(-1), A) * B + np.tile(band_of, G)
                add(j, key, pk, pk)
        mean_out = mean.reshape(horizon, L, 2, B, K).transpose(1, 2, 3, 4, 0)
        var_out = var.reshape(horizon, L, 2, B, K).transpose(1, 2, 3, 4, 0)
        res = (np.ascontiguousarray(mean_out), np.ascontiguousarray(var_out))
        self._cache[ckey] = res
        return res

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

    # --------------------------------------------------------------- predict
    def _collapse(
        self, c: np.ndarray, categories: str, uasc: bool | None
    ) -> tuple[np.ndarray, list[str], list[str]]:
        """(S, L, 2, B, K, H) -> (S, L_in + 1, B, C, H): UASC selection, categories, LAs in the
        forecast then the region (their sum)."""
        if uasc is None:
            c = c.sum(axis=2)
        else:
            c = c[:, :, 1 if uasc else 0]
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
        inc = self._included()
        c = c[:, inc]
        c = np.concatenate([c, c.sum(axis=1, keepdims=True)], axis=1)
        las = [la for la, i in zip(self.las_, inc, strict=True) if i]
        return c, [*las, self.region], cats

    def draws(
        self,
        horizon: int = 12,
        scenario: Scenario | None = None,
        categories: str = "fine",
        uasc: bool | None = None,
    ) -> tuple[np.ndarray, list[str], list[str]]:
        """Simulated counts, shape (n_sims, L+1 [LAs in the forecast, then the region], B, C,
        horizon), with la and category labels."""
        counts = self._simulate(horizon, scenario or BASELINE)
        return self._collapse(counts, categories, uasc)

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

        Rows for each LA in the forecast (see ``coverage_``) and the region (``self.region``:
        the sum of those LAs, draw by draw, so means add up exactly). ``uasc``: None = all
        children, True / False = UASC only / non-UASC only. ``totals`` adds age_band="all"
        and placement="all" rows. Intervals are central simulation quantiles (draws jittered
        by U(-0.5, 0.5) so that integer counts give calibrated rather than conservative
        intervals; a cell whose draws are all equal gets a zero-width interval), widened to
        at least mean +- factor x z x process sd when internal backtests showed the need
        (``calibration_``; see :meth:`fit`), and nested so that
        lo_95 <= lo_80 <= mean <= hi_80 <= hi_95.
        """
        sc = scenario or BASELINE
        c, la_labels, cats = self.draws(horizon, sc, categories, uasc)
        widen = (
            bool(level)
            and bool(self.calibration_)
            and any(self._factor(int(lv), w) > 1.0 for lv in level for w in ("la", "region"))
        )
        var = None
        if widen:
            _, v = self._expected(horizon, scenario=sc)
            var, _, _ = self._collapse(v[None], categories, uasc)
        if region_only:
            c, la_labels = c[:, -1:], la_labels[-1:]
            var = var[:, -1:] if var is not None else None
        bands = list(AGE_BANDS)
        if totals:
            c = np.concatenate([c, c.sum(axis=2, keepdims=True)], axis=2)
            c = np.concatenate([c, c.sum(axis=3, keepdims=True)], axis=3)
            if var is not None:
                var = np.concatenate([var, var.sum(axis=2, keepdims=True)], axis=2)
                var = np.concatenate([var, var.sum(axis=3, keepdims=True)], axis=3)
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
            is_region = np.repeat(
                np.asarray([la == self.region for la in la_labels]), flat.shape[1] // len(la_labels)
            )
            sd = np.sqrt(var.reshape(-1) + 0.25) if var is not None else None
            lo_prev, hi_prev = mean, mean
            for lv in sorted(level):
                a = (100 - lv) / 200.0
                lo, hi = np.quantile(jittered, [a, 1 - a], axis=0)
                if sd is not None:
                    f = np.where(is_region, self._factor(int(lv), "region"), self._factor(int(lv), "la"))
                    half = f * _z(int(lv)) * sd
                    lo = np.minimum(lo, np.clip(mean - half, 0.0, None))
                    hi = np.maximum(hi, mean + half)
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
        origins: Sequence[Any] | None = None,
        history_at: Callable[[pd.Timestamp], pd.DataFrame] | None = None,
        level: Sequence[int] = (80, 95),
        categories: str = "coarse",
        last_period_only: bool = True,
        observed_from: Any = None,
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
            if (~m.coverage_["in_forecast"]).any():  # region truth over the LAs forecast
                inc = set(m.coverage_.loc[m.coverage_["in_forecast"], "la"])
                part = act[act["la"].isin(inc)]
                reg = part.groupby(["age_band", "placement", "period"], as_index=False)["count"].sum()
                reg["la"] = self.region
                act = pd.concat([part, reg[part.columns]], ignore_index=True)
            fc = fc.merge(
                act.rename(columns={"count": "actual"}), on=["la", "age_band", "placement", "period"]
            )
            fc.insert(0, "origin", o)
            fc["runtime_s"] = rt
            fc["lookback_days"] = m.lookback_days_
            frames.append(fc)
        return pd.concat(frames, ignore_index=True)
