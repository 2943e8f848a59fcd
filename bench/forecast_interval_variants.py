"""Interval variants on all five simulated regions, model only (no baselines, no peer): one fit
per region and origin, then predict under each variant, scored as bench/forecast_region_backtest.

    python -m bench.forecast_interval_variants [--regions ...] [--seeds 0]

Variants (class switches on MultiStateForecaster, experiment only): ``blend``: how draws are moved
to the blended mean ("ratio": scaled draw by draw, the default; "mixture": w x draw + (1 - w) x
flat, the distribution of the blended point forecast); ``region``: region intervals from the
simulation widened one-sided ("sim", default) or two-sided split-conformal mean +- f z sd with f
shrunk towards 1 by ``shrink`` pseudo-cells ("conformal").
"""

from __future__ import annotations

import argparse
import json
import time

import pandas as pd

from bench.forecast_region import ALL_REGIONS, build_region
from bench.forecast_region_backtest import HORIZON, KEYS, actuals, history_at, score
from bench.forecast_region_report import ORIGIN_YEARS
from forecasting import MultiStateForecaster, month_ends
from forecasting.synthetic import history_from_returns

VARIANTS: dict[str, dict[str, object]] = {
    "library": {},
    "mixture": {"_blend_spread": "mixture"},
    "conformal-100": {"_region_interval": "conformal", "_shrink_cells": 100.0},
    "conformal-sim-100": {"_region_interval": "conformal-sim", "_shrink_cells": 100.0},
    "conformal-0": {"_region_interval": "conformal", "_shrink_cells": 0.0},
    "mixture+conformal-100": {
        "_blend_spread": "mixture",
        "_region_interval": "conformal",
        "_shrink_cells": 100.0,
    },
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--regions", nargs="*", default=list(ALL_REGIONS))
    ap.add_argument("--variants", nargs="*", default=list(VARIANTS))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sample", action="store_true", help="the public sample's synthetic region instead")
    args = ap.parse_args()
    if args.sample:
        sample_region(args.variants)
        return
    out: dict[str, dict[str, dict]] = {v: {} for v in args.variants}
    t0 = time.process_time()
    for name in args.regions:
        region = build_region(name)
        truth = history_from_returns(region)
        rows: dict[str, list[pd.DataFrame]] = {v: [] for v in args.variants}
        for y in ORIGIN_YEARS:
            o = pd.Timestamp(f"{y}-03-31")
            target = month_ends(o, HORIZON)[-1]
            m = MultiStateForecaster(n_sims=250, seed=args.seed).fit(history_at(region, o), origin=o)
            act = actuals(truth, target)
            for v in args.variants:
                for k in ("_blend_spread", "_region_interval", "_shrink_cells"):
                    setattr(m, k, VARIANTS[v].get(k, getattr(MultiStateForecaster, k)))
                fc = m.predict(HORIZON, level=(80, 95), categories="coarse")
                rows[v].append(fc[fc["period"] == target].merge(act, on=KEYS).assign(origin=o))
        for v in args.variants:
            s = score(pd.concat(rows[v], ignore_index=True))
            out[v][name] = {
                "region_wape": s["region"]["wape"],
                "region_cov": (s["region"]["coverage_80"], s["region"]["coverage_95"]),
                "la_wape": s["la"]["wape"],
                "la_cov": (s["la"]["coverage_80"], s["la"]["coverage_95"]),
            }
        print(name, f"{time.process_time() - t0:.0f} s CPU", flush=True)
    print(json.dumps(out))
    print("| variant | " + " | ".join(args.regions) + " |")
    print("|---" * (len(args.regions) + 1) + "|")
    for v in args.variants:
        cells = []
        for name in args.regions:
            r = out[v][name]
            cells.append(
                f"{100 * r['region_wape']:.2f}%; {100 * r['region_cov'][0]:.0f} / {100 * r['region_cov'][1]:.0f}; "
                f"{100 * r['la_wape']:.2f}%; {100 * r['la_cov'][0]:.1f} / {100 * r['la_cov'][1]:.1f}"
            )
        print(f"| {v} | " + " | ".join(cells) + " |")


def sample_region(variants: list[str], n_sims: int = 1000) -> None:
    """The public sample bench's synthetic 12-LA region (bench.forecast_backtest's calibration
    check): region cells' 80% / 95% coverage per origin under each variant (one fit per origin)."""
    from bench.forecast_backtest import HORIZON as H
    from bench.forecast_backtest import ORIGIN_YEARS as YEARS
    from bench.forecast_backtest import ROOT, combine, synthetic_region
    from forecasting import as_of, observed_counts
    from rcc.sufficiency.ssda903 import read_return_tables

    returns = read_return_tables(ROOT.parent / "shared" / "data" / "ssda903-sample")
    region = synthetic_region(combine(returns, list(returns)), target_episodes=24_000)
    hits: dict[str, dict[int, list[float]]] = {v: {80: [], 95: []} for v in variants}
    for y in YEARS:
        o = pd.Timestamp(f"{y}-03-31")
        target = month_ends(o, H)[-1]
        m = MultiStateForecaster(n_sims=n_sims).fit(as_of(region, o), origin=o)
        act = observed_counts(region, [target], categories="coarse", region="RCC")
        act = act[act["la"] == "RCC"].rename(columns={"count": "actual"})
        line = [str(o.date())]
        for v in variants:
            for k in ("_blend_spread", "_region_interval", "_shrink_cells"):
                setattr(m, k, VARIANTS[v].get(k, getattr(MultiStateForecaster, k)))
            fc = m.predict(H, level=(80, 95), categories="coarse", region_only=True)
            g = fc[fc["period"] == target].merge(act, on=KEYS)
            for lv in (80, 95):
                c = float(((g["actual"] >= g[f"lo_{lv}"]) & (g["actual"] <= g[f"hi_{lv}"])).mean())
                hits[v][lv].append(c)
            line.append(f"{v}: {100 * hits[v][80][-1]:.0f} / {100 * hits[v][95][-1]:.0f}")
        print(" | ".join(line), flush=True)
    for v in variants:
        print(
            v,
            "all origins:",
            f"{100 * sum(hits[v][80]) / len(YEARS):.2f} / {100 * sum(hits[v][95]) / len(YEARS):.2f}",
        )


if __name__ == "__main__":
    main()
