"""Every job kind and the function that runs it, in one place.

Handlers are plain functions in their domain packages; importing this module has no side
effects beyond importing them. Add a kind here and in :data:`rcc.jobs.queue.KINDS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from rcc.commissioning.stress import run_stress_test_job
from rcc.jobs.queue import FORECAST, FORECAST_BACKTEST, KINDS, MATCHING_RUN, STRESS_TEST, Handler
from rcc.matching.runs import run_matching_job
from rcc.sufficiency.backtest import run_backtest_job
from rcc.sufficiency.forecasts import run_forecast_job

HANDLERS: Mapping[str, Handler] = MappingProxyType(
    {
        FORECAST: run_forecast_job,
        FORECAST_BACKTEST: run_backtest_job,
        MATCHING_RUN: run_matching_job,
        STRESS_TEST: run_stress_test_job,
    }
)
assert set(HANDLERS) == KINDS, "every job kind needs exactly one handler"
