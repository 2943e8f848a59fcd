"""`rcc forecast backtest` reproduces the committed benchmark (and so the README table) exactly."""

from __future__ import annotations

import json

import pytest

from rcc.config import REPO_ROOT
from rcc.sufficiency.backtest import sample_backtest
from tests.conftest import DATA_DIR

RESULTS = REPO_ROOT / "bench" / "results" / "forecast_backtest.json"


@pytest.mark.slow
@pytest.mark.skipif(not (DATA_DIR / "ssda903-sample").is_dir(), reason="needs the shared SSDA903 sample")
def test_cli_backtest_equals_the_committed_bench_result():
    bench = json.loads(RESULTS.read_text())["results"]["multi-state model (this library)"]
    model = sample_backtest(DATA_DIR / "ssda903-sample")["table"][0]
    assert model["method"] == "model" and model["cells"] == bench["cells"] == 80
    for key in ("wape", "total_abs_error", "coverage_80", "coverage_95"):
        assert model[key] == pytest.approx(bench[key], abs=1e-9), key
