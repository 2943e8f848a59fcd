"""Rolling-origin backtest of the forecast on simulated 6-LA regions (the accuracy target).

    python -m bench.forecast_region_backtest [--regions tuned unseen london west_midlands yorkshire] [--n-sims 250] [--rerun-peer]

The peer's forecasts are read from bench/results/forecast_region_peer_<region>.json; with
--rerun-peer (or to make those files) the bench writes each region's returns to a temporary
folder and runs bash bench/peer/run_peer.sh --region-dir ... (builds the peer venv once; about
a minute per LA and origin on this machine).

Regions: bench/forecast_region.py (``tuned``: six North East LAs, the region the model was
developed on; ``unseen``: six South West LAs, another seed and other UASC regimes; ``london``,
``west_midlands``, ``yorkshire``: LAs chosen by a rule from the open data, with UASC surges
straddling origins, declining LAs, entrant shocks and another code mix, added to check
robustness and not tuned on). Each has ten annual SSDA903 returns (2016-17 .. 2025-26) simulated by
forecasting.synthetic, calibrated on DfE's published counts.

Origins 31 March 2021 .. 2025, 12 months ahead. Each origin uses only the returns that existed
then (collection years ending on or before it); the truth is every return combined. Cells: 5 age
bands (age on the target date) x 4 coarse categories, for the region and for each LA. Methods:
this library; naive baselines flat, linear trend and ratio (cell share of the LA total x the
total's linear trend); Social Finance's cs-demand-model 0.5.1 run per LA (bench/peer; region =
sum of its LAs). Also times fit + 12-month predict with 80/95% intervals on the tuned region
(wall and CPU seconds, medians of several runs, and a cProfile of one run) and records the
coverage note when an LA's latest return is missing.

Writes bench/results/forecast_region.json and forecast_region.md.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench.forecast_region import ALL_REGIONS, build_region, region_config
from bench.forecast_region_report import MAIN, ORIGIN_YEARS, PEER, markdown
from forecasting import (
    AGE_BANDS,
    COARSE_CATEGORIES,
    MultiStateForecaster,
    as_of,
    baseline_forecast,
    month_ends,
    observed_counts,
    wape,
)
from forecasting.synthetic import SyntheticRegion, history_from_returns

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
HORIZON = 12
REGION = "RCC"
BASES = {"flat": "flat", "ratio": "cell_share_total_growth", "linear trend": "linear_trend"}
KEYS = ["la", "age_band", "placement", "period"]


def history_at(region: SyntheticRegion, o: pd.Timestamp) -> pd.DataFrame:
    return as_of(history_from_returns(region, years=[y for y in range(2000, o.year)]), o)


def actuals(truth: pd.DataFrame, target: pd.Timestamp) -> pd.DataFrame:
    return observed_counts(truth, [target], categories="coarse", region=REGION).rename(
        columns={"count": "actual"}
    )


def write_returns(region: SyntheticRegion, out: Path) -> None:
    for la, by_year in region.returns.items():
        for y, tables in by_year.items():
            d = out / la / str(y)
            d.mkdir(parents=True, exist_ok=True)
            for name, df in tables.items():
                df.to_csv(d / f"{name}.csv", index=False)


def peer_rows(
    name: str, region: SyntheticRegion, truth: pd.DataFrame, rerun: bool
) -> tuple[pd.DataFrame | None, dict]:
    path = RESULTS / f"forecast_region_peer_{name}.json"
    if rerun:
        tmp = Path(os.environ.get("TMPDIR", "/tmp")) / f"rcc_region_{name}"
        write_returns(region, tmp)
        cmd = [
            "bash",
            str(ROOT / "bench" / "peer" / "run_peer.sh"),
            "--region-dir",
            str(tmp),
            "--out",
            str(path),
        ]
        cmd += ["--origin-years", *[str(y) for y in ORIGIN_YEARS]]
        subprocess.run(cmd, check=False)
    if not path.exists():
        return None, {"error": f"no {path.name}: run with --rerun-peer (builds bench/peer/.venv once)"}
    peer = json.loads(path.read_text())
    frames = []
    for o in peer.get("origins", []):
        target = pd.Timestamp(o["target"])
        frames.append(
            pd.DataFrame(
                [
                    {
                        "origin": pd.Timestamp(o["origin"]),
                        "la": o["la"],
                        "age_band": b,
                        "placement": c,
                        "period": target,
                        "mean": float(o["cells"].get(f"{b}|{c}", 0.0)),
                    }
                    for b in AGE_BANDS
                    for c in COARSE_CATEGORIES
                ]
            )
        )
    if not frames:
        return None, {k: v for k, v in peer.items() if k != "origins"}
    rows = pd.concat(frames, ignore_index=True)
    reg = rows.groupby(["origin", "age_band", "placement", "period"], as_index=False)["mean"].sum()
    reg["la"] = REGION
    rows = pd.concat([rows, reg[rows.columns]], ignore_index=True)
    acts = pd.concat([actuals(truth, t).assign(period=t) for t in sorted(rows["period"].unique())])
    rows = rows.merge(acts, on=KEYS, how="left")
    for col in ("lo_80", "hi_80", "lo_95", "hi_95"):
        rows[col] = np.nan
    return rows, {k: v for k, v in peer.items() if k != "origins"}


CACHE = Path(os.environ.get("TMPDIR", "/tmp")) / "rcc_forecast_region_cache"


def run_region(
    name: str, n_sims: int, peer: bool, rerun_peer: bool, from_cache: bool = False
) -> dict[str, Any]:
    """Backtest one region; with ``from_cache`` reuse the model and baseline rows of the last run
    (kept outside the repository) and only (re)score them with the peer's."""
    cache = CACHE / f"{name}_{n_sims}.pkl"
    if from_cache and cache.exists():
        res, rows = pd.read_pickle(cache)
        region = build_region(name)
        truth = history_from_returns(region)
        return finish(name, res, rows, region, truth, peer, rerun_peer)
    t0 = time.perf_counter()
    region = build_region(name)
    sim_s = time.perf_counter() - t0
    truth = history_from_returns(region)
    methods: dict[str, list[pd.DataFrame]] = {MAIN: [], **{k: [] for k in BASES}}
    uasc_rows, runtimes, cputimes, episodes_known = [], [], [], []
    lookbacks, calib, chosen = {}, {}, {}
    for y in ORIGIN_YEARS:
        o = pd.Timestamp(f"{y}-03-31")
        target = month_ends(o, HORIZON)[-1]
        data = history_at(region, o)
        act = actuals(truth, target)
        t1, c1 = time.perf_counter(), time.process_time()
        m = MultiStateForecaster(n_sims=n_sims).fit(data, origin=o)
        fc = m.predict(HORIZON, level=(80, 95), categories="coarse")
        runtimes.append(time.perf_counter() - t1)
        cputimes.append(time.process_time() - c1)
        episodes_known.append(int(len(data)))
        lookbacks[str(o.date())] = m.lookback_days_
        chosen[str(o.date())] = {
            "trend_damping": m.trend_damping_,
            "entry_half_life_months": m.entry_half_life_months_,
            "blend_weights": {la: float(w) for la, w in zip(m.las_, m.blend_weights_, strict=True)},
        }
        calib[str(o.date())] = {str(k): v for k, v in m.calibration_.items() if k in (80, 95)}
        fc = fc[fc["period"] == target].merge(act, on=KEYS)
        methods[MAIN].append(fc.assign(origin=o))
        # UASC: forecast vs truth, region.
        u = m.predict(HORIZON, level=(80,), categories="coarse", uasc=True)
        u = u[(u["period"] == target) & (u["la"] == REGION)]
        ut = observed_counts(truth, [target], categories="coarse", uasc=True, region=REGION)
        ut0 = observed_counts(truth, [o], categories="coarse", uasc=True, region=REGION)
        uasc_rows.append(
            {
                "origin": str(o.date()),
                "uasc_at_origin": float(ut0.loc[ut0["la"] == REGION, "count"].sum()),
                "forecast": float(u["mean"].sum()),
                "actual": float(ut.loc[ut["la"] == REGION, "count"].sum()),
                "latest_regime_months": {
                    la: int(v) for la, v in zip(m.las_, m.uasc_arrivals_.last_change_month, strict=True)
                },
            }
        )
        for label, method in BASES.items():
            b = baseline_forecast(data, o, HORIZON, method=method, categories="coarse", region=REGION)
            b = b[b["period"] == target].merge(act, on=KEYS)
            methods[label].append(b.assign(origin=o))
    rows = {k: pd.concat(v, ignore_index=True) for k, v in methods.items()}
    counts = {str(y): int(len(t["episodes"])) for y, t in next(iter(region.returns.values())).items()}
    episodes = int(sum(len(t["episodes"]) for by in region.returns.values() for t in by.values()))
    codes = code_table(region)
    stock = observed_counts(
        truth, [pd.Timestamp(f"{y}-03-31") for y in range(2017, 2027)], categories="coarse", region=None
    )
    stock = stock.groupby(["la", "period"])["count"].sum().unstack()
    res = {
        "region": name,
        "seed": region_config(name)["seed"],
        "las": {
            la.la: la.__dict__
            | {"uasc": [r.__dict__ for r in la.uasc], "shocks": [sh.__dict__ for sh in la.shocks]}
            for la in region.spec.las
        },
        "la_names": list(region_config(name)["las"]),
        "simulate_s": round(sim_s, 1),
        "episodes_in_returns": episodes,
        "episodes_unique": int(len(truth)),
        "children_looked_after_31_march": {
            str(pd.Timestamp(c).date()): int(stock[c].sum()) for c in stock.columns
        },
        "stock_by_la_31_march": {
            la: {str(pd.Timestamp(c).date()): int(v) for c, v in r.items()} for la, r in stock.iterrows()
        },
        "episodes_per_return_first_la": counts,
        "place_codes_by_return": codes,
        "uasc": uasc_rows,
        "runtime_s_per_origin": [round(r, 2) for r in runtimes],
        "cpu_s_per_origin": [round(r, 2) for r in cputimes],
        "episodes_known_per_origin": episodes_known,
        "lookback_days": lookbacks,
        "calibration_factors": calib,
        "chosen_by_internal_backtest": chosen,
        "validator": validate(region),
    }
    CACHE.mkdir(parents=True, exist_ok=True)
    pd.to_pickle((res, rows), cache)
    return finish(name, res, rows, region, truth, peer, rerun_peer)


def finish(
    name: str,
    res: dict[str, Any],
    rows: dict[str, pd.DataFrame],
    region: SyntheticRegion,
    truth: pd.DataFrame,
    peer: bool,
    rerun_peer: bool,
) -> dict[str, Any]:
    rows = dict(rows)
    peer_meta: dict = {}
    if peer:
        pr, peer_meta = peer_rows(name, region, truth, rerun_peer)
        if pr is not None:
            rows[PEER] = pr
    out = dict(res)
    out["scores"] = {k: score(v) for k, v in rows.items()}
    out["la_origins_better_than_flat"] = la_origin_wins(rows[MAIN], rows["flat"])
    out["peer"] = peer_meta
    return out


def score(rows: pd.DataFrame) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for level, sel in (("region", rows["la"] == REGION), ("la", rows["la"] != REGION)):
        r = rows[sel]
        d: dict[str, Any] = {"wape": wape(r["actual"], r["mean"]), "cells": int(len(r))}
        per = {}
        for o, g in r.groupby("origin"):
            e: dict[str, Any] = {"wape": wape(g["actual"], g["mean"])}
            if level == "region":
                e["forecast_total"] = float(g["mean"].sum())
                e["actual_total"] = float(g["actual"].sum())
                e["total_error"] = e["forecast_total"] / e["actual_total"] - 1
            for lv in (80, 95):
                if g[f"lo_{lv}"].notna().all():
                    e[f"coverage_{lv}"] = float(
                        ((g["actual"] >= g[f"lo_{lv}"]) & (g["actual"] <= g[f"hi_{lv}"])).mean()
                    )
            per[str(pd.Timestamp(o).date())] = e
        d["per_origin"] = per
        for lv in (80, 95):
            if r[f"lo_{lv}"].notna().all():
                d[f"coverage_{lv}"] = float(
                    ((r["actual"] >= r[f"lo_{lv}"]) & (r["actual"] <= r[f"hi_{lv}"])).mean()
                )
        if level == "region":
            d["total_abs_error"] = float(np.mean([abs(v["total_error"]) for v in per.values()]))
        out[level] = d
    return out


def la_origin_wins(model: pd.DataFrame, flat: pd.DataFrame) -> dict[str, Any]:
    a = (
        model[model["la"] != REGION]
        .groupby(["la", "origin"])
        .apply(lambda g: wape(g["actual"], g["mean"]), include_groups=False)
    )
    b = (
        flat[flat["la"] != REGION]
        .groupby(["la", "origin"])
        .apply(lambda g: wape(g["actual"], g["mean"]), include_groups=False)
    )
    both = pd.concat([a.rename("model"), b.rename("flat")], axis=1).dropna()
    return {
        "share": float((both["model"] < both["flat"]).mean()),
        "n": int(len(both)),
        "wins": int((both["model"] < both["flat"]).sum()),
    }


def code_table(region: SyntheticRegion) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for by_year in region.returns.values():
        for y, t in by_year.items():
            vc = t["episodes"]["PLACE"].value_counts()
            d = out.setdefault(f"{y}-{(y + 1) % 100:02d}", {})
            for code in ("H5", "P2", "K3", "Z1", "Z11", "Z12", "Z13", "Z14", "S1"):
                d[code] = d.get(code, 0) + int(vc.get(code, 0))
    return out


def validate(region: SyntheticRegion) -> dict[str, Any]:
    """Run the service's SSDA903 validator on every return, when it can be imported."""
    try:
        from rcc.sufficiency.validation import validate_return  # type: ignore[import-not-found]
    except Exception as exc:  # the service is being restructured; the bench does not depend on it
        return {"ran": False, "why": repr(exc)}
    errors: dict[str, int] = {}
    n = 0
    for by_year in region.returns.values():
        for y, tables in by_year.items():
            files = {k: v.to_csv(index=False).encode() for k, v in tables.items()}
            rep = validate_return(files, y)
            n += 1
            for e in rep.errors:
                errors[e.code] = errors.get(e.code, 0) + 1
    return {"ran": True, "returns": n, "errors_by_rule": errors}


def timing(n_runs: int, n_sims: int) -> dict[str, Any]:
    region = build_region("tuned")
    o = pd.Timestamp("2025-03-31")
    data = history_at(region, o)
    wall, cpu = [], []
    for _ in range(n_runs):
        t0, c0 = time.perf_counter(), time.process_time()
        m = MultiStateForecaster(n_sims=n_sims).fit(data, origin=o)
        fc = m.predict(HORIZON, level=(80, 95))
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    prof = cProfile.Profile()
    prof.enable()
    MultiStateForecaster(n_sims=n_sims).fit(data, origin=o).predict(HORIZON, level=(80, 95))
    prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(14)
    lines = [ln for ln in buf.getvalue().splitlines() if ln.strip()]
    top = [ln for ln in lines if "/" in ln and "{" not in ln][:14]
    return {
        "las": int(data["la"].nunique()),
        "episodes": int(len(data)),
        "children_in_care_at_origin": int(m.n_children_at_origin_),
        "origin": str(o.date()),
        "n_sims": n_sims,
        "output_rows": int(len(fc)),
        "wall_s": [round(x, 3) for x in wall],
        "cpu_s": [round(x, 3) for x in cpu],
        "median_wall_s": round(statistics.median(wall), 3),
        "median_cpu_s": round(statistics.median(cpu), 3),
        "cpu_count": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "profile_top_cumulative": top,
    }


def missing_return_demo() -> dict[str, Any]:
    """The tuned region at 31 March 2025 with one LA's 2024-25 return missing."""
    region = build_region("tuned")
    o = pd.Timestamp("2025-03-31")
    drop = sorted(region.returns)[-1]
    frames = []
    for la in sorted(region.returns):
        years = [y for y in range(2016, 2025) if not (la == drop and y == 2024)]
        frames.append(history_from_returns(region, years=years, las=[la]))
    data = as_of(pd.concat(frames, ignore_index=True), o)
    m = MultiStateForecaster(n_sims=100).fit(data, origin=o)
    fc = m.predict(HORIZON, level=(80,), categories="coarse")
    return {
        "dropped": f"{drop} 2024-25",
        "coverage": m.coverage_notes(),
        "las_in_forecast": sorted(set(fc["la"]) - {REGION}),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--regions", nargs="*", default=list(ALL_REGIONS))
    ap.add_argument("--n-sims", type=int, default=250)
    ap.add_argument("--timing-runs", type=int, default=5)
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument(
        "--rerun-peer", action="store_true", help="run the peer (slow) instead of reading its results"
    )
    ap.add_argument("--out-dir", default=str(RESULTS))
    ap.add_argument(
        "--from-cache", action="store_true", help="rescore the last run's rows (e.g. after the peer ran)"
    )
    ap.add_argument("--timing-from", default=None, help="reuse the timing section of this JSON")
    args = ap.parse_args(argv)
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    res = {
        name: run_region(name, args.n_sims, not args.no_peer, args.rerun_peer, args.from_cache)
        for name in args.regions
    }
    if args.timing_from:
        prev = json.loads(Path(args.timing_from).read_text())
        tm, demo = prev["timing"], prev["missing_return"]
    else:
        tm = timing(args.timing_runs, args.n_sims) if args.timing_runs else None
        demo = missing_return_demo()
    payload = {
        "origins": [f"{y}-03-31" for y in ORIGIN_YEARS],
        "horizon_months": HORIZON,
        "n_sims": args.n_sims,
        "regions": res,
        "timing": tm,
        "missing_return": demo,
    }
    (out / "forecast_region.json").write_text(json.dumps(payload, indent=2, default=str))
    md = markdown(res, tm, demo)
    (out / "forecast_region.md").write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
