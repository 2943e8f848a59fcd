"""Which LAs the returns cover at the origin, internal backtests before the origin (choice of
lookback) and the calibration of interval widths (split-conformal scaling)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from forecasting._arrays import day
from forecasting._params import z_value
from forecasting._simulate import _Simulator
from forecasting.categories import COARSE_CATEGORIES, FINE_CATEGORIES, FINE_TO_COARSE
from forecasting.data import month_ends


class _Calibrated(_Simulator):
    """Coverage of the origin, lookback choice and interval calibration."""

    _internal_fits: dict[tuple[pd.Timestamp, int], _Calibrated]

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
    def _internal(self, origin: pd.Timestamp, lookback_days: int) -> _Calibrated:
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
        m.trend_damping_ = self.trend_damping_
        m.entry_half_life_months_ = self.entry_half_life_months_
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

    def _select_damping(
        self, candidates: Sequence[float], half_lives: Sequence[float | None] = (None,)
    ) -> tuple[float, float | None, dict[tuple[float | None, float], float]]:
        """The entrant trend's damping and the entrant fit's recency half-life (months; None =
        months weighted equally) with the least region error (sum over cells of |expected -
        actual| / actual total) 12 months on, over the calibration's internal backtests (same
        fits: only the entrant model is refitted per half-life, and the damping only changes the
        projection). Ties and no internal origins: the first candidates."""
        origins = self._past_origins([12 + k for k in self.calibration_origins])
        if not origins:
            return float(candidates[0]), half_lives[0], {}
        L = len(self.las_)
        scores: dict[tuple[float | None, float], float] = {}
        order: list[tuple[float | None, float]] = []
        for hl in half_lives:
            for phi in candidates:
                err = tot = 0.0
                for o in origins:
                    m = self._internal(o, self.lookback_days_)
                    if m.entry_half_life_months_ != hl:
                        m.entry_half_life_months_ = hl
                        m._fit_entrants(*m._entry_inputs)
                    m.trend_damping_ = float(phi)
                    mean, _ = m._expected(12, last_only=True)
                    a = self._prep.counts_on(day(month_ends(o, 12)[-1]), L).sum(axis=(0, 1))
                    err += float(np.abs(mean[..., -1].sum(axis=(0, 1)) - a).sum())
                    tot += float(a.sum())
                scores[(hl, float(phi))] = err / max(tot, 1e-9)
                order.append((hl, float(phi)))
        best = min(order, key=lambda k: (round(scores[k], 4), order.index(k)))
        for m in self._internal_fits.values():
            if m.entry_half_life_months_ != best[0]:
                m.entry_half_life_months_ = best[0]
                m._fit_entrants(*m._entry_inputs)
            m.trend_damping_ = best[1]
        return best[1], best[0], scores

    def _calibrate(self) -> None:
        origins = self._past_origins([12 + k for k in self.calibration_origins])
        if not origins:
            return
        L = len(self.las_)
        groups = [
            [i for i, f in enumerate(FINE_CATEGORIES) if FINE_TO_COARSE[f] == g] for g in COARSE_CATEGORIES
        ]
        inc = self._included()
        parts = []
        for o in origins:
            m = self._internal(o, self.lookback_days_)
            mean, var = m._expected(12, last_only=True)
            target = month_ends(o, 12)[-1]

            def coarse(x: np.ndarray) -> np.ndarray:  # (L, 2, B, K) -> (L in forecast, B, C)
                return np.stack([x[..., g].sum(axis=-1) for g in groups], axis=-1).sum(axis=1)[inc]

            parts.append(
                (
                    coarse(mean[..., -1]),
                    coarse(var[..., -1]),
                    coarse(self._prep.counts_on(day(target), L)),
                    coarse(self._prep.counts_on(day(o), L)),
                )
            )
        mus, vvs, aas, ffs = (np.stack(x) for x in zip(*parts, strict=True))  # (O, L in, B, C)
        w = self._choose_blend(mus, ffs, aas)
        self.blend_weights_[inc] = w
        mus = w[None, :, None, None] * mus + (1 - w)[None, :, None, None] * ffs
        la_scores = [
            (np.abs(aa - mu) / np.sqrt(vv + 0.25)).ravel() for mu, vv, aa in zip(mus, vvs, aas, strict=True)
        ]
        reg_scores = [
            (np.abs(aa.sum(0) - mu.sum(0)) / np.sqrt(vv.sum(0) + 0.25)).ravel()
            for mu, vv, aa in zip(mus, vvs, aas, strict=True)
        ]
        la_s = np.concatenate(la_scores)
        reg_s = np.concatenate(reg_scores)
        self.calibration_cells_ = int(len(la_s) + len(reg_s))
        for lv in (50, 80, 90, 95):
            q = lv / 100.0
            self.calibration_[lv] = {
                "la": max(1.0, float(np.quantile(la_s, q, method="higher")) / z_value(lv)),
                "region": max(1.0, float(np.quantile(reg_s, q, method="higher")) / z_value(lv)),
            }
        self.calibration_origins_ = [str(o.date()) for o in origins]

    def _choose_blend(self, mus: np.ndarray, ffs: np.ndarray, aas: np.ndarray) -> np.ndarray:
        """Weight of the model against flat (the count at the origin) per LA in the forecast, on a
        0, 0.1 .. 1 grid: the one with the least absolute error over the internal backtests' cells
        (ties go to the model). ``blend_flat``: "la" (each LA its own), "pooled" (one for all),
        "none" (1: the model alone)."""
        n = mus.shape[1]
        if self.blend_flat == "none":
            return np.ones(n)
        grid = np.linspace(0.0, 1.0, 11)
        g = grid[:, None, None, None, None]
        err = np.abs(g * mus[None] + (1 - g) * ffs[None] - aas[None]).sum(axis=(1, 3, 4))  # (grid, L)
        if self.blend_flat == "pooled":
            err = np.broadcast_to(err.sum(axis=1, keepdims=True), err.shape)
        best = len(grid) - 1 - np.argmin(err[::-1], axis=0)
        return np.asarray(grid[best])

    def _factor(self, level: int, where: str) -> float:
        if not self.calibration_:
            return 1.0
        known = sorted(self.calibration_)
        lv = min(known, key=lambda x: abs(x - level))
        return float(self.calibration_[lv][where])
