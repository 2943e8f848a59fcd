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
from typing import Any

import numpy as np
import pandas as pd

from forecasting._arrays import Prepared, birthday_days, day
from forecasting._calibration import _Calibrated
from forecasting._params import z_value
from forecasting.categories import AGE_BANDS, COARSE_CATEGORIES, FINE_CATEGORIES, FINE_TO_COARSE
from forecasting.data import as_of, default_origins, infer_observed_from, month_ends, observed_counts
from forecasting.scenario import BASELINE, Scenario

__all__ = ["OUTPUT_COLUMNS", "MultiStateForecaster", "birthday_days"]

OUTPUT_COLUMNS = ["la", "age_band", "placement", "period", "mean"]


class MultiStateForecaster(_Calibrated):
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
        trend_damping: monthly damping of the entrant trend (1 = linear log-trend); a sequence
            means "choose by internal backtest" (``trend_damping_``; first candidate on ties).
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
        entry_half_life_months: the entrant model's Poisson fit weights each month of the
            lookback by 0.5 ** (age in months / this), so a step in entries that has ended is
            not read as a trend (default 12, one return year; None = every month alike; a
            sequence means "choose with the damping by internal backtest"). Fixed at 12
            before it was run, not chosen on the benchmark; the five regions it was checked
            on are in bench/results/forecast_experiments.md.
        uasc_window_months: months of UASC arrivals the regime model looks at.
        uasc_regime_hazard: prior probability per month that a UASC arrival regime changes.
        calibrate: widen intervals by the factor internal backtests before the origin show
            they need (see :meth:`fit`); False keeps the simulation's own intervals.
        calibration_origins: internal backtest origins, months before the origin minus 12
            (0 = the origin 12 months back, whose 12-month outcome is the origin itself).
        uncovered: "exclude" (default): an LA whose returns end before the origin while other
            LAs' do not is left out of the forecast and the region total (see ``coverage_``);
            "include" forecasts it from what its data says (its open episodes as still open).
        blend_flat: "la" (default): each LA's forecast is blended with flat by the weight its
            internal backtests favour; "pooled": one weight for all LAs; "none": the model alone
            (see :meth:`fit`).
    """

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

        The same internal backtests first choose the entrant trend's damping (when
        ``trend_damping`` is a sequence: ``trend_damping_``, ``damping_scores_``) and, with
        ``blend_flat``, each LA's weight w on the model against flat (its counts at the origin;
        ``blend_weights_``): forecasts are then scaled so each LA's mean is w x model +
        (1 - w) x flat, and the calibration scores that blended forecast.
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
        self._internal_fits = {}
        if isinstance(self.lookback_days, int | np.integer):
            self.lookback_days_ = int(self.lookback_days)
            self.lookback_scores_: dict[int, float] = {}
        else:
            self.lookback_days_, self.lookback_scores_ = self._select_lookback(list(self.lookback_days))
        self.damping_scores_: dict[float, float] = {}
        self.entry_choice_scores_: dict[tuple[float | None, float], float] = {}
        dampings = (self.trend_damping,) if isinstance(self.trend_damping, float) else self.trend_damping
        half_lives = (
            self.entry_half_life_months
            if isinstance(self.entry_half_life_months, tuple)
            else (self.entry_half_life_months,)
        )
        if len(dampings) > 1 or len(half_lives) > 1:
            self.trend_damping_, self.entry_half_life_months_, self.entry_choice_scores_ = (
                self._select_damping(dampings, half_lives)
            )
            self.damping_scores_ = {
                phi: v
                for (hl, phi), v in self.entry_choice_scores_.items()
                if hl == self.entry_half_life_months_
            }
        self._estimate(self._prep)
        self.calibration_: dict[int, dict[str, float]] = {}
        self.calibration_cells_ = 0
        self.blend_weights_ = np.ones(len(self.las_))
        if self.calibrate:
            self._calibrate()
        self._internal_fits = {}
        return self

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
        w = self.blend_weights_
        if (w < 1).any():  # each LA's mean moved to w x model + (1 - w) x flat (see fit)
            base = self._simulate(horizon, BASELINE).mean(axis=0)  # (L, 2, B, K, H)
            flat = self._prep.counts_on(day(self.origin_), len(self.las_))[..., None]
            wl = w[:, None, None, None, None]
            target = wl * base + (1 - wl) * flat
            # Scaled draw by draw (means exact, no negative counts); a cell the model leaves
            # empty in every draw gets the flat share added.
            ratio = np.divide(target, base, out=np.ones_like(target), where=base > 0)
            counts = counts * ratio[None] + np.where(base > 0, 0.0, target)[None]
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
                    half = f * z_value(int(lv)) * sd
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
