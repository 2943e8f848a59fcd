"""Parameters of :class:`forecasting.model.MultiStateForecaster` and the state a fit leaves.

The forecaster is built as a chain of classes, one module each, so no module is large and no
two import each other: ``_params`` (parameters) -> ``_estimate`` (hazards, entrants, stock) ->
``_dynamics`` (transition matrices, entrant rates, expected counts) -> ``_simulate`` (Monte
Carlo) -> ``_calibration`` (coverage of the origin, lookback choice, interval calibration) ->
``model`` (the public ``fit`` / ``predict`` / ``backtest``). Parameters are documented on
:class:`forecasting.model.MultiStateForecaster`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

import numpy as np
import pandas as pd

from forecasting._arrays import Prepared
from forecasting.categories import AGE_BANDS
from forecasting.data import REGION

B = len(AGE_BANDS)
_Z = {80: 1.2815515655446004, 95: 1.959963984540054, 90: 1.6448536269514722, 50: 0.6744897501960817}


def z_value(level: int) -> float:
    """Standard normal quantile of a central ``level`` % interval's upper end."""
    if level in _Z:
        return _Z[level]
    from statistics import NormalDist

    return NormalDist().inv_cdf(0.5 + level / 200.0)


class _Params:
    """Parameters (see MultiStateForecaster) and the fitted state every stage reads."""

    origin_: pd.Timestamp
    observed_from_: pd.Timestamp
    las_: list[str]
    lookback_days_: int
    coverage_: pd.DataFrame
    calibration_: dict[int, dict[str, float]]
    blend_weights_: np.ndarray
    _prep: Prepared

    def __init__(
        self,
        lookback_days: int | Sequence[int] = (365, 730, 1095),
        prior_days: float = 730.0,
        entry_pool_prior: float = 20.0,
        trend_damping: float | Sequence[float] = (0.95, 0.9, 0.85, 0.8),
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
        entry_half_life_months: float | None | Sequence[float | None] = 12.0,
        calibrate: bool = True,
        calibration_origins: Sequence[int] = (0, 3, 6, 9, 12),
        uncovered: str = "exclude",
        blend_flat: str = "la",
    ) -> None:
        self.lookback_days = lookback_days
        self.prior_days = float(prior_days)
        self.entry_pool_prior = float(entry_pool_prior)
        self.trend_damping: float | tuple[float, ...] = (
            float(trend_damping)
            if isinstance(trend_damping, int | float)
            else tuple(float(x) for x in trend_damping)
        )
        # The damping in use: the parameter, or (a sequence) the first candidate until fit chooses.
        self.trend_damping_ = (
            self.trend_damping if isinstance(self.trend_damping, float) else self.trend_damping[0]
        )
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
        self.entry_half_life_months: float | None | tuple[float | None, ...] = (
            None
            if entry_half_life_months is None
            else float(entry_half_life_months)
            if isinstance(entry_half_life_months, int | float)
            else tuple(None if x is None else float(x) for x in entry_half_life_months)
        )
        # The half-life in use: the parameter, or (a sequence) the first candidate until fit chooses.
        self.entry_half_life_months_: float | None = (
            self.entry_half_life_months[0]
            if isinstance(self.entry_half_life_months, tuple)
            else self.entry_half_life_months
        )
        self.calibrate = bool(calibrate)
        self.calibration_origins = tuple(int(x) for x in calibration_origins)
        if uncovered not in ("exclude", "include"):
            raise ValueError("uncovered must be 'exclude' or 'include'")
        self.uncovered = uncovered
        if blend_flat not in ("la", "pooled", "none"):
            raise ValueError("blend_flat must be 'la', 'pooled' or 'none'")
        self.blend_flat = blend_flat
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
            "entry_half_life_months": self.entry_half_life_months,
            "calibrate": self.calibrate,
            "calibration_origins": self.calibration_origins,
            "uncovered": self.uncovered,
            "blend_flat": self.blend_flat,
        }

    def clone(self, **overrides: Any) -> Self:
        p = self.get_params()
        p.update(overrides)
        return type(self)(**p)
