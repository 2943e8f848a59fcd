"""Forecasting children looked after for a Regional Care Cooperative (pure library).

No file I/O, no environment, no service imports: callers pass DataFrames in. The synthetic-region
simulator is ``forecasting.synthetic`` (imported on its own).
"""

from forecasting.backtest import rolling_backtest
from forecasting.baselines import BASELINES, baseline_forecast
from forecasting.categories import (
    AGE_BANDS,
    COARSE_CATEGORIES,
    FINE_CATEGORIES,
    FINE_TO_COARSE,
    PLACE_CODE_YEARS,
    SSDA903_PLACE_CATEGORY,
    collection_year,
    place_categories,
    place_category,
    place_code_valid,
    place_codes_out_of_year,
    to_coarse,
)
from forecasting.costs import WEEKS_PER_YEAR, project_costs
from forecasting.data import REGION, as_of, episodes_from_returns, month_ends, observed_counts
from forecasting.metrics import coverage, evaluate, total_error, wape
from forecasting.model import MultiStateForecaster
from forecasting.scenario import BASELINE, Scenario
from forecasting.uasc import UASCArrivals, fit_uasc_arrivals
from forecasting.whatif import compare_scenarios

__all__ = [
    "AGE_BANDS",
    "BASELINE",
    "BASELINES",
    "COARSE_CATEGORIES",
    "FINE_CATEGORIES",
    "FINE_TO_COARSE",
    "PLACE_CODE_YEARS",
    "REGION",
    "SSDA903_PLACE_CATEGORY",
    "WEEKS_PER_YEAR",
    "MultiStateForecaster",
    "Scenario",
    "UASCArrivals",
    "as_of",
    "collection_year",
    "compare_scenarios",
    "baseline_forecast",
    "coverage",
    "episodes_from_returns",
    "evaluate",
    "fit_uasc_arrivals",
    "month_ends",
    "observed_counts",
    "place_categories",
    "place_category",
    "place_code_valid",
    "place_codes_out_of_year",
    "project_costs",
    "rolling_backtest",
    "to_coarse",
    "total_error",
    "wape",
]
