"""CPU of fit + 12-month predict with 80/95% intervals: another commit's forecasting package and
this working tree's, run alternately in one process (so machine load hits both alike).

    python -m bench.forecast_ab [--ref 9f655a4] [--runs 5] [--categories fine|coarse] [--n-sims 250]

The other commit's ``forecasting`` is exported with ``git archive`` into a temporary folder and
imported as ``forecasting_ref`` (its absolute imports rewritten). Data: the tuned simulated
region at 31 March 2025 (bench/forecast_region.py), as the region bench times it. Prints each
run's CPU seconds (``time.process_time``), the medians and their ratio.
"""

from __future__ import annotations

import argparse
import io
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

from bench.forecast_region import build_region
from bench.forecast_region_backtest import history_at
from forecasting import MultiStateForecaster

ROOT = Path(__file__).resolve().parents[1]


def import_ref(ref: str, into: Path) -> Any:
    """``forecasting`` at ``ref`` as the module ``forecasting_ref``; returns its forecaster class."""
    tar = subprocess.run(
        ["git", "archive", ref, "forecasting"], cwd=ROOT, check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(tar)) as t:
        t.extractall(into, filter="data")
    (into / "forecasting").rename(into / "forecasting_ref")
    for f in (into / "forecasting_ref").rglob("*.py"):
        f.write_text(re.sub(r"\bforecasting(\.|\s+import)", r"forecasting_ref\1", f.read_text()))
    sys.path.insert(0, str(into))
    import forecasting_ref

    return forecasting_ref.MultiStateForecaster


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ref", default="9f655a4")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--categories", default="fine", choices=["fine", "coarse"])
    ap.add_argument("--n-sims", type=int, default=250)
    args = ap.parse_args(argv)
    o = pd.Timestamp("2025-03-31")
    data = history_at(build_region("tuned"), o)
    with tempfile.TemporaryDirectory() as tmp:
        classes = {args.ref: import_ref(args.ref, Path(tmp)), "working tree": MultiStateForecaster}
        cpu: dict[str, list[float]] = {k: [] for k in classes}
        for cls in classes.values():  # warm-up (imports, caches)
            cls(n_sims=args.n_sims).fit(data, origin=o).predict(
                12, level=(80, 95), categories=args.categories
            )
        for _ in range(args.runs):
            for name, cls in classes.items():
                c0 = time.process_time()
                m = cls(n_sims=args.n_sims).fit(data, origin=o)
                m.predict(12, level=(80, 95), categories=args.categories)
                cpu[name].append(time.process_time() - c0)
    med = {k: statistics.median(v) for k, v in cpu.items()}
    for k, v in cpu.items():
        print(f"{k}: CPU s {[round(x, 3) for x in v]}, median {med[k]:.3f}")
    print(f"ratio working tree / {args.ref}: {med['working tree'] / med[args.ref]:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
