"""Rolling-origin backtest of the forecast on simulated 6-LA regions (the accuracy target).

    python -m bench.forecast_region_backtest [--regions tuned unseen] [--n-sims 250] [--rerun-peer]

The peer's forecasts are read from bench/results/forecast_region_peer_<region>.json; with
--rerun-peer (or to make those files) the bench writes each region's returns to a temporary
folder and runs bash bench/peer/run_peer.sh --region-dir ... (builds the peer venv once; about
a minute per LA and origin on this machine).

Regions: bench/forecast_region.py (``tuned``: six North East LAs, the region the model was
developed on; ``unseen``: six South West LAs, another seed and other UASC regimes, looked at
only to report). Each has ten annual SSDA903 returns (2016-17 .. 2025-26) simulated by
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

from bench.forecast_region import REGIONS, build_region
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
ORIGIN_YEARS = (2021, 2022, 2023, 2024, 2025)
HORIZON = 12
REGION = "RCC"
MAIN = "this library"
BASES = {"flat": "flat", "ratio": "cell_share_total_growth", "linear trend": "linear_trend"}
PEER = "cs-demand-model 0.5.1"
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
    uasc_rows, runtimes, lookbacks, calib, chosen = [], [], {}, {}, {}
    for y in ORIGIN_YEARS:
        o = pd.Timestamp(f"{y}-03-31")
        target = month_ends(o, HORIZON)[-1]
        data = history_at(region, o)
        act = actuals(truth, target)
        t1 = time.perf_counter()
        m = MultiStateForecaster(n_sims=n_sims).fit(data, origin=o)
        fc = m.predict(HORIZON, level=(80, 95), categories="coarse")
        runtimes.append(time.perf_counter() - t1)
        lookbacks[str(o.date())] = m.lookback_days_
        chosen[str(o.date())] = {
            "trend_damping": m.trend_damping_,
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
        "seed": REGIONS[name]["seed"],
        "las": {la.la: la.__dict__ | {"uasc": [r.__dict__ for r in la.uasc]} for la in region.spec.las},
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


def pct(x: float | None) -> str:
    return "–" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{100 * x:.1f}%"


def markdown(res: dict[str, Any], tm: dict[str, Any] | None, demo: dict[str, Any] | None) -> str:
    lines = ["# Forecast backtest on simulated 6-LA regions", ""]
    lines += [
        f"Origins 31 March {ORIGIN_YEARS[0]}–{ORIGIN_YEARS[-1]}, 12 months ahead; each origin uses only the returns that "
        "existed then, the truth is every return combined. Cells: 5 age bands × fostering / residential / supported / "
        "other, for the region (20 per origin) and each LA (120 per origin). WAPE pooled over cells and origins; total "
        "error = mean |forecast total / actual total − 1| of the region per origin; coverage = share of cells whose "
        "truth lies in the interval. Regions: bench/forecast_region.py (DfE-calibrated, simulated by forecasting.synthetic).",
        "",
    ]
    for name, r in res.items():
        tag = (
            "tuned region (North East LAs; the model was developed on it)"
            if name == "tuned"
            else "unseen region (South West LAs, another seed and UASC regimes; not tuned on)"
        )
        lines += [f"## {name}: {tag}", ""]
        lines += [
            f"{len(r['las'])} LAs, {r['episodes_in_returns']:,} episode rows in ten returns ({r['episodes_unique']:,} distinct episodes); "
            "children looked after on 31 March: "
            + ", ".join(f"{k[:4]}: {v:,}" for k, v in r["children_looked_after_31_march"].items())
            + ".",
            "",
            "| method | region WAPE | region total error | region 80% / 95% coverage | LA WAPE | LA 80% / 95% coverage |",
            "|---|---|---|---|---|---|",
        ]
        for mth, s in r["scores"].items():
            rg, la = s["region"], s["la"]
            cov_r = (
                f"{pct(rg.get('coverage_80'))} / {pct(rg.get('coverage_95'))}" if "coverage_80" in rg else "–"
            )
            cov_l = (
                f"{pct(la.get('coverage_80'))} / {pct(la.get('coverage_95'))}" if "coverage_80" in la else "–"
            )
            lines.append(
                f"| {mth} | {pct(rg['wape'])} | {pct(rg['total_abs_error'])} | {cov_r} | {pct(la['wape'])} | {cov_l} |"
            )
        lines += [
            "",
            "Per origin (region WAPE: this library / flat / ratio / peer; total error and coverage: this library)",
            "",
        ]
        lines += [
            "| origin | WAPE | flat | ratio | peer | forecast total | actual total | 80% cov region | 95% cov region | 80% cov LA | 95% cov LA |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        sm = r["scores"][MAIN]
        for o, e in sm["region"]["per_origin"].items():
            fl = r["scores"]["flat"]["region"]["per_origin"][o]["wape"]
            ra = r["scores"]["ratio"]["region"]["per_origin"][o]["wape"]
            pe = r["scores"].get(PEER, {}).get("region", {}).get("per_origin", {}).get(o, {}).get("wape")
            la_e = sm["la"]["per_origin"][o]
            lines.append(
                f"| {o} | {pct(e['wape'])} | {pct(fl)} | {pct(ra)} | {pct(pe)} | {e['forecast_total']:.0f} | {e['actual_total']:.0f} | "
                f"{pct(e['coverage_80'])} | {pct(e['coverage_95'])} | {pct(la_e['coverage_80'])} | {pct(la_e['coverage_95'])} |"
            )
        w = r["la_origins_better_than_flat"]
        lines += [
            "",
            f"LA-origins where this library's WAPE beats flat: {w['wins']} of {w['n']} ({pct(w['share'])}).",
            "",
            "UASC in care, region (forecast at 12 months vs truth): "
            + "; ".join(
                f"{u['origin'][:4]}: at origin {u['uasc_at_origin']:.0f}, forecast {u['forecast']:.1f}, actual {u['actual']:.0f}"
                for u in r["uasc"]
            )
            + ".",
            "",
            "Interval widening factors from internal backtests before each origin (80% / 95%, LA / region): "
            + "; ".join(
                f"{o[:4]}: {c.get('80', {}).get('la', 1):.2f}/{c.get('80', {}).get('region', 1):.2f}, {c.get('95', {}).get('la', 1):.2f}/{c.get('95', {}).get('region', 1):.2f}"
                for o, c in r["calibration_factors"].items()
            )
            + ".",
            "",
            "Chosen by internal backtests before each origin: the entrant trend's monthly damping, and "
            "each LA's weight on the model against flat (1 = the model alone): "
            + "; ".join(
                f"{o[:4]}: damping {c['trend_damping']:.2f}, weights "
                + "/".join(f"{w:.1f}" for w in c["blend_weights"].values())
                for o, c in r.get("chosen_by_internal_backtest", {}).items()
            )
            + ".",
            "",
            "Placement codes in the returns (episode rows, all LAs): "
            + "; ".join(
                f"{y}: " + ", ".join(f"{k} {v}" for k, v in d.items() if v)
                for y, d in r["place_codes_by_return"].items()
            )
            + ".",
            "",
        ]
        v = r["validator"]
        if v.get("ran"):
            lines += [
                f"Service validator (rcc.sufficiency.validation) on all {v['returns']} returns: "
                + (", ".join(f"{k}: {n}" for k, n in v["errors_by_rule"].items()) or "no errors")
                + ".",
                "",
            ]
        else:
            lines += [f"Service validator not run: {v.get('why')}", ""]
    if tm:
        lines += [
            "## Speed",
            "",
            f"Fit (lookback, trend damping and blend with flat chosen by internal backtest, interval calibration) + 12-month forecast with 80/95% intervals "
            f"({tm['n_sims']} simulations, fine categories, {tm['output_rows']:,} rows), tuned region at {tm['origin']}: "
            f"{tm['las']} LAs, {tm['episodes']:,} episodes known, {tm['children_in_care_at_origin']:,} children in care. "
            f"Median of {len(tm['wall_s'])} runs: {tm['median_wall_s']:.2f} s wall, {tm['median_cpu_s']:.2f} s CPU "
            f"(runs: wall {tm['wall_s']}, CPU {tm['cpu_s']}; {tm['cpu_count']} CPUs shared, 1-min load average "
            f"{tm['load_average_1min']}).",
            "",
            "Profile (cProfile, cumulative, one run):",
            "",
            "```",
            *tm["profile_top_cumulative"],
            "```",
            "",
        ]
    if demo:
        lines += [
            "## An LA without a return covering the origin",
            "",
            f"Tuned region at 31 March 2025 with {demo['dropped']} missing:",
            "",
        ]
        lines += [f"- {c['la']}: {c['status']}, {c['note']}" for c in demo["coverage"]]
        lines += ["", f"LAs in the forecast: {', '.join(demo['las_in_forecast'])}.", ""]
    lines += targets_lines(res, tm)
    return "\n".join(lines) + "\n"


def targets_lines(res: dict[str, Any], tm: dict[str, Any] | None) -> list[str]:
    out = ["## Targets", "", "| target | " + " | ".join(res) + " |", "|---|" + "---|" * len(res)]

    def row(label: str, f: Any) -> None:
        out.append(f"| {label} | " + " | ".join(f(r) for r in res.values()) + " |")

    def met(ok: bool, txt: str) -> str:
        return f"{'met' if ok else 'missed'} ({txt})"

    def region_wape(r: dict) -> str:
        s = r["scores"][MAIN]["region"]
        return met(s["wape"] <= 0.05, pct(s["wape"]))

    def beats(r: dict) -> str:
        per = r["scores"][MAIN]["region"]["per_origin"]
        fails = [
            o[:4]
            for o, e in per.items()
            if not (
                e["wape"] < r["scores"]["flat"]["region"]["per_origin"][o]["wape"]
                and e["wape"] < r["scores"]["ratio"]["region"]["per_origin"][o]["wape"]
            )
        ]
        return met(not fails, "every origin" if not fails else "not at " + ", ".join(fails))

    def la_wape(r: dict) -> str:
        s = r["scores"][MAIN]["la"]
        return met(s["wape"] <= 0.12, pct(s["wape"]))

    def la_flat(r: dict) -> str:
        w = r["la_origins_better_than_flat"]
        return met(w["share"] >= 0.8, f"{w['wins']}/{w['n']} = {pct(w['share'])}")

    def cov(level: str, lv: int, lo: float, hi: float) -> Any:
        def f(r: dict) -> str:
            c = r["scores"][MAIN][level][f"coverage_{lv}"]
            return met(lo <= c <= hi, pct(c))

        return f

    row("region WAPE ≤ 5%", region_wape)
    row("region better than flat and ratio at every origin", beats)
    row("LA WAPE ≤ 12%", la_wape)
    row("LA better than flat in ≥ 80% of LA-origins", la_flat)
    row("80% coverage in 75–85%, region", cov("region", 80, 0.75, 0.85))
    row("95% coverage in 90–98%, region", cov("region", 95, 0.90, 0.98))
    row("80% coverage in 75–85%, LA", cov("la", 80, 0.75, 0.85))
    row("95% coverage in 90–98%, LA", cov("la", 95, 0.90, 0.98))
    if tm:
        t = tm["median_wall_s"]
        out.append(
            f"| fit + predict ≤ 2 s (6 LAs, {tm['episodes']:,} episodes) | "
            + met(t <= 2.0, f"median {t:.2f} s wall, {tm['median_cpu_s']:.2f} s CPU")
            + " | – |"
        )
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--regions", nargs="*", default=list(REGIONS))
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
