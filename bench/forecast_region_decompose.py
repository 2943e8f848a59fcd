"""Where the region error comes from: region WAPE decomposed by cell (age band x placement) and
origin, per region, for this library, flat and ratio (brief FC3).

    python -m bench.forecast_region_decompose [--regions ...] [--n-sims 250] [--seed 0]
        [--variant NAME] [--kw key=value ...] [--cache DIR] [--top 12]

Runs the region bench's protocol (bench/forecast_region_backtest.py: origins 31 March 2021-2025,
12 months ahead, each origin on the returns that existed then, coarse cells) with
``MultiStateForecaster(n_sims, seed, **kw)``; baselines are computed once and cached outside the
repository (``--cache``, default $TMPDIR/rcc_fc3). Prints per region the summary line used in
bench/results/forecast_experiments.md (region WAPE; origins where the region beats flat and ratio;
region 80/95% coverage; LA WAPE; LA 80/95% coverage; LA-origins beating flat), the share of the
absolute region error carried by each cell (model vs flat vs ratio), and per origin the cells where
the model loses most to the better of flat and ratio.

Per origin also (``--split``): the children in care 12 months on, split into survivors of the
stock at the origin (in care on both dates, short breaks included at the origin) and the others
(entrants), by age band at the target, model's expected counts minus the truth; and the process-
noise floor of the region and LA WAPE (E|X - mean| = 0.798 sd for the model's own process
variance at each cell 12 months on, summed over cells, over the actual total): the WAPE the
model would be expected to score even if its means were the true expectations.
"""

from __future__ import annotations

import argparse
import ast
import os
from pathlib import Path

import numpy as np
import pandas as pd

from bench.forecast_region import ALL_REGIONS, build_region
from bench.forecast_region_backtest import (
    BASES,
    HORIZON,
    KEYS,
    REGION,
    actuals,
    history_at,
    la_origin_wins,
    score,
)
from bench.forecast_region_report import ORIGIN_YEARS, origins_not_beating_baselines
from forecasting import MultiStateForecaster, baseline_forecast, month_ends
from forecasting.categories import (
    COARSE_CATEGORIES,
    FINE_CATEGORIES,
    FINE_TO_COARSE,
)
from forecasting.data import open_on, without_short_breaks
from forecasting.scenario import BASELINE
from forecasting.synthetic import history_from_returns

CACHE = Path(os.environ.get("TMPDIR", "/tmp")) / "rcc_fc3"


def in_care(ep: pd.DataFrame, d: pd.Timestamp, short_breaks: bool = False) -> dict[tuple[str, str], int]:
    """(la, CHILD) -> age band of the children in care on ``d`` (under 18)."""
    if not short_breaks:
        ep = without_short_breaks(ep)
    on, band = open_on(ep, d)
    sub, band = ep[on][band >= 0], band[band >= 0]
    return dict(zip(zip(sub["la"].astype(str), sub["CHILD"].astype(str), strict=True), band, strict=True))


def truth_split(truth: pd.DataFrame, o: pd.Timestamp, target: pd.Timestamp) -> tuple[np.ndarray, np.ndarray]:
    """Children in care at ``target`` by age band: survivors of the stock at ``o``, and the others."""
    a0, a1 = in_care(truth, o, short_breaks=True), in_care(truth, target)
    surv = np.bincount([b for k, b in a1.items() if k in a0], minlength=5)
    ent = np.bincount([b for k, b in a1.items() if k not in a0], minlength=5)
    return surv, ent


def base_rows(name: str, cache: Path) -> tuple[dict[str, pd.DataFrame], dict]:
    path = cache / f"{name}_base2.pkl"
    if path.exists():
        return pd.read_pickle(path)
    region = build_region(name)
    truth = history_from_returns(region)
    rows: dict[str, list[pd.DataFrame]] = {k: [] for k in ("flat", "ratio")}
    data_by = {}
    for y in ORIGIN_YEARS:
        o = pd.Timestamp(f"{y}-03-31")
        target = month_ends(o, HORIZON)[-1]
        data = history_at(region, o)
        act = actuals(truth, target)
        data_by[y] = (data, act, truth_split(truth, o, target))
        for label in ("flat", "ratio"):
            b = baseline_forecast(data, o, HORIZON, method=BASES[label], categories="coarse", region=REGION)
            rows[label].append(b[b["period"] == target].merge(act, on=KEYS).assign(origin=o))
    out = ({k: pd.concat(v, ignore_index=True) for k, v in rows.items()}, data_by)
    cache.mkdir(parents=True, exist_ok=True)
    pd.to_pickle(out, path)
    return out


def model_rows(data_by: dict, n_sims: int, seed: int, kw: dict) -> tuple[pd.DataFrame, list[dict]]:
    frames, info = [], []
    groups = [[i for i, f in enumerate(FINE_CATEGORIES) if FINE_TO_COARSE[f] == g] for g in COARSE_CATEGORIES]
    for y in ORIGIN_YEARS:
        o = pd.Timestamp(f"{y}-03-31")
        target = month_ends(o, HORIZON)[-1]
        data, act, (t_surv, t_ent) = data_by[y]
        m = MultiStateForecaster(n_sims=n_sims, seed=seed, **kw).fit(data, origin=o)
        fc = m.predict(HORIZON, level=(80, 95), categories="coarse")
        frames.append(fc[fc["period"] == target].merge(act, on=KEYS).assign(origin=o))
        # The model's expectation (no blend with flat): survivors of the stock, the rest, and
        # the process variance by cell at the target.
        mean, var = m._expected(HORIZON)
        L = len(m.las_)
        surv = m._cache[("expected_stock", HORIZON, False, BASELINE.key())][1][-1]
        surv = surv.reshape(L, 2, 5, -1).sum(axis=(0, 1, 3))
        ent = mean[..., -1].sum(axis=(0, 1, 3)) - surv
        v = var[..., -1].sum(axis=1)
        v = np.stack([v[..., g].sum(axis=-1) for g in groups], axis=-1)  # (L, B, C)
        a_tot = float(act.loc[act["la"] == REGION, "actual"].sum())
        info.append(
            {
                "origin": y,
                "damping": m.trend_damping_,
                "weights": np.round(m.blend_weights_, 1).tolist(),
                "survivors_err": np.round(surv - t_surv).astype(int).tolist(),
                "entrants_err": np.round(ent - t_ent).astype(int).tolist(),
                "floor_region": 0.7979 * float(np.sqrt(v.sum(axis=0)).sum()) / a_tot,
                "floor_la": 0.7979 * float(np.sqrt(v).sum()) / a_tot,
            }
        )
    return pd.concat(frames, ignore_index=True), info


def summary(name: str, rows: dict[str, pd.DataFrame]) -> str:
    s = {k: score(v) for k, v in rows.items()}
    m = s["model"]
    wins = len(m["region"]["per_origin"]) - len(origins_not_beating_baselines(s, "model"))
    lw = la_origin_wins(rows["model"], rows["flat"])
    per = " / ".join(f"{e['wape'] * 100:.1f}" for e in m["region"]["per_origin"].values())
    return (
        f"{name}: {m['region']['wape'] * 100:.2f}%; {wins}/5; "
        f"{m['region']['coverage_80'] * 100:.0f} / {m['region']['coverage_95'] * 100:.0f}; "
        f"{m['la']['wape'] * 100:.2f}%; {m['la']['coverage_80'] * 100:.1f} / {m['la']['coverage_95'] * 100:.1f}; "
        f"{lw['share'] * 100:.1f}%   per origin {per}"
    )


def decompose(name: str, rows: dict[str, pd.DataFrame], top: int) -> str:
    reg = {k: v[v["la"] == REGION].set_index(["origin", "age_band", "placement"]) for k, v in rows.items()}
    act = reg["model"]["actual"]
    err = pd.DataFrame({k: (v["mean"] - v["actual"]).reindex(act.index) for k, v in reg.items()})
    tot = act.groupby(level="origin").sum()
    lines = [
        f"### {name}: share of |region error| by cell (all origins; model / flat / ratio, points of WAPE)"
    ]
    by_cell = err.abs().groupby(level=["age_band", "placement"]).sum() / tot.sum() * 100
    by_cell = by_cell.sort_values("model", ascending=False)
    bias = err.groupby(level=["age_band", "placement"]).sum()
    for (b, c), r in by_cell.head(top).iterrows():
        lines.append(
            f"  {b:>6} {c:<12} {r['model']:.2f} / {r['flat']:.2f} / {r['ratio']:.2f}   "
            f"sum of signed errors model {bias.loc[(b, c), 'model']:+.0f} flat {bias.loc[(b, c), 'flat']:+.0f}"
        )
    lines.append("  per origin: WAPE model / flat / ratio, signed total error, worst cells vs best baseline")
    for o, g in err.groupby(level="origin"):
        a = tot.loc[o]
        w = g.abs().sum() / a * 100
        loss = (g["model"].abs() - np.minimum(g["flat"].abs(), g["ratio"].abs())).droplevel(0)
        worst = loss.sort_values(ascending=False).head(3)
        cells = ", ".join(
            f"{b} {c} {g.loc[(o, b, c), 'model']:+.0f} (flat {g.loc[(o, b, c), 'flat']:+.0f}, ratio {g.loc[(o, b, c), 'ratio']:+.0f})"
            for (b, c) in worst.index
        )
        lines.append(
            f"  {pd.Timestamp(o).year}: {w['model']:.1f} / {w['flat']:.1f} / {w['ratio']:.1f}; "
            f"sum {g['model'].sum():+.0f} (flat {g['flat'].sum():+.0f}); {cells}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--regions", nargs="*", default=list(ALL_REGIONS))
    ap.add_argument("--n-sims", type=int, default=250)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--variant", default="library")
    ap.add_argument("--kw", nargs="*", default=[], help="MultiStateForecaster keyword=python-literal")
    ap.add_argument("--cache", default=str(CACHE))
    ap.add_argument("--top", type=int, default=8)
    ap.add_argument("--no-decompose", action="store_true")
    ap.add_argument("--split", action="store_true", help="survivors / entrants and noise floors per origin")
    args = ap.parse_args(argv)
    kw = {k: ast.literal_eval(v) for k, v in (s.split("=", 1) for s in args.kw)}
    cache = Path(args.cache)
    out = []
    for name in args.regions:
        base, data_by = base_rows(name, cache)
        m, info = model_rows(data_by, args.n_sims, args.seed, kw)
        rows = {"model": m, **base}
        pd.to_pickle((rows, info), cache / f"{name}_{args.variant}_s{args.seed}.pkl")
        out.append(summary(name, rows))
        print(out[-1], flush=True)
        if not args.no_decompose:
            print(decompose(name, rows, args.top), flush=True)
            print(
                "  chosen:", [{k: d[k] for k in ("origin", "damping", "weights")} for d in info], flush=True
            )
        if args.split:
            for d in info:
                print(
                    f"  {d['origin']}: expected - truth 12 months on, by age band: survivors of the origin's "
                    f"stock {d['survivors_err']} (sum {sum(d['survivors_err']):+d}), others "
                    f"{d['entrants_err']} (sum {sum(d['entrants_err']):+d})",
                    flush=True,
                )
            fr = sum(d["floor_region"] for d in info) / len(info)
            fl = sum(d["floor_la"] for d in info) / len(info)
            out[-1] += f"   noise floor region {fr * 100:.2f}% LA {fl * 100:.1f}%"
            print(f"  process-noise WAPE floor: region {fr * 100:.2f}%, LA {fl * 100:.1f}%", flush=True)
    print(f"\n{args.variant} (seed {args.seed}):")
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
