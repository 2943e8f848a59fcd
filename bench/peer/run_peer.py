"""Run the peer model, Social Finance's cs-demand-model 0.5.1, on the same origins as
bench/forecast_backtest.py. Runs inside bench/peer/.venv (pandas 1.x); run_peer.sh sets it up.

For each origin 31 March Y (2018..2021) it copies only the returns that existed then
(collection-year folders < Y, header + episodes) to a temporary folder, fits the peer with
its CLI defaults (reference period = the last 6 months of the data; see
cs_demand_model.__main__.CliSetup) and predicts the population 12 months after the end of
its data. Writes bench/results/forecast_peer.json with the raw predicted cells mapped to the
bench's age bands and coarse categories (the peer's own category mapping is kept: it puts
only K2 and R1 in Residential and H5, P2 in Supported; everything else is Other).
Scoring is done by bench/forecast_backtest.py against the same truth as every other row.

Region mode (``--region-dir DIR --origin-years 2021 2022 ...``): DIR holds one folder per LA,
each with collection-year folders as above (written by bench/forecast_region_backtest.py); the
peer is run per LA and origin (it has no notion of a region) and the output lists
``{"la", "origin", "target", "cells"}`` rows; the region forecast is the sum of the LAs'.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
import traceback
from datetime import timedelta
from pathlib import Path

import pandas as pd
from dateutil.relativedelta import relativedelta

ROOT = Path(__file__).resolve().parents[2]
BANDS = {
    "BIRTH_TO_ONE": "under_1",
    "ONE_TO_FIVE": "1_to_4",
    "FIVE_TO_TEN": "5_to_9",
    "TEN_TO_SIXTEEN": "10_to_15",
    "SIXTEEN_TO_EIGHTEEN": "16_to_17",
}
CATS = {"FOSTERING": "fostering", "RESIDENTIAL": "residential", "SUPPORTED": "supported", "OTHER": "other"}


def run_origin(data_dir: Path, year: int, reference_months: int) -> dict:
    from cs_demand_model import DemandModellingDataContainer, ModelPredictor, PopulationStats
    from cs_demand_model.config import Config
    from cs_demand_model.datastore import fs_datastore

    origin = pd.Timestamp(f"{year}-03-31")
    with tempfile.TemporaryDirectory() as tmp:
        for folder in sorted(p for p in data_dir.iterdir() if p.is_dir() and p.name.isdigit()):
            if int(folder.name) < year:
                (Path(tmp) / folder.name).mkdir()
                for name in ("header.csv", "episodes.csv"):
                    shutil.copy(folder / name, Path(tmp) / folder.name / name)
        t0 = time.perf_counter()
        config = Config()
        dc = DemandModellingDataContainer(fs_datastore(tmp), config)
        stats = PopulationStats(dc.enriched_view, config)
        end = dc.end_date
        start = end - relativedelta(months=reference_months)
        predictor = ModelPredictor.from_model(stats, start, end)
        target = origin + pd.DateOffset(months=12)
        days = (target - pd.Timestamp(end)).days
        pred = predictor.predict(days)
        runtime = time.perf_counter() - t0
    row = pred.iloc[-1]
    cells = {}
    for col, value in row.items():
        band, cat = col
        band = BANDS.get(getattr(band, "name", str(band)))
        cat = CATS.get(getattr(cat, "name", str(cat)))
        if band is None or cat is None:
            continue
        cells[f"{band}|{cat}"] = cells.get(f"{band}|{cat}", 0.0) + float(value)
    return {
        "origin": str(origin.date()),
        "target": str(target.date()),
        "data_end": str(pd.Timestamp(end).date()),
        "reference_start": str(pd.Timestamp(start).date()),
        "predicted_to": str((pd.Timestamp(end) + timedelta(days=days)).date()),
        "runtime_s": runtime,
        "cells": cells,
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data" / "ssda903-sample"))
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "forecast_peer.json"))
    ap.add_argument("--reference-months", type=int, default=6)
    ap.add_argument("--region-dir", default=None)
    ap.add_argument("--origin-years", type=int, nargs="*", default=[2018, 2019, 2020, 2021])
    args = ap.parse_args()
    import cs_demand_model

    out = {
        "peer": "cs-demand-model",
        "version": getattr(cs_demand_model, "__version__", "0.5.1"),
        "python": sys.version.split()[0],
        "pandas": pd.__version__,
        "reference_months": args.reference_months,
        "origins": [],
        "errors": [],
    }
    if args.region_dir:
        las = sorted(p for p in Path(args.region_dir).iterdir() if p.is_dir())
        jobs = [(la, year) for year in args.origin_years for la in las]
    else:
        jobs = [(Path(args.data_dir), year) for year in args.origin_years]
    for data_dir, year in jobs:
        try:
            res = run_origin(data_dir, year, args.reference_months)
            if args.region_dir:
                res["la"] = data_dir.name
            out["origins"].append(res)
        except Exception as exc:  # report, don't hide
            out["errors"].append(
                {
                    "la": data_dir.name,
                    "origin": f"{year}-03-31",
                    "error": repr(exc),
                    "trace": traceback.format_exc(),
                }
            )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2))
    print(json.dumps({k: v for k, v in out.items() if k != "origins"}, indent=2))
    for o in out["origins"]:
        print(
            o.get("la", ""),
            o["origin"],
            "->",
            o["target"],
            "total",
            round(sum(o["cells"].values()), 1),
            f"{o['runtime_s']:.1f}s",
        )
    return 0 if not out["errors"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
