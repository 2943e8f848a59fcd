"""The markdown report of the region backtest (bench/results/forecast_region.md)."""

from __future__ import annotations

import statistics
from typing import Any

import numpy as np

from bench.forecast_region import describe

ORIGIN_YEARS = (2021, 2022, 2023, 2024, 2025)
MAIN = "this library"
PEER = "cs-demand-model 0.5.1"


def origins_not_beating_baselines(scores: dict, main: str = MAIN) -> list[str]:
    """The origins where ``main``'s region WAPE is not below both flat's and ratio's (the issue's
    "better than flat and ratio at every origin"); ``scores``: method -> score (bench score dict)."""
    per = scores[main]["region"]["per_origin"]
    return [
        o
        for o, e in per.items()
        if not (
            e["wape"] < scores["flat"]["region"]["per_origin"][o]["wape"]
            and e["wape"] < scores["ratio"]["region"]["per_origin"][o]["wape"]
        )
    ]


def pct(x: float | None) -> str:
    return "–" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{100 * x:.1f}%"


def la_line(la: str, spec: dict[str, Any]) -> str:
    parts = [f"{la} {spec['annual_entrants']:.0f}, {100 * spec['trend']:+.1f}%"]
    if spec.get("trend_change_year"):
        parts.append(f"trend {100 * spec['trend_after']:+.0f}% a year from {spec['trend_change_year']}")
    for sh in spec.get("shocks", ()):
        sh = sh if isinstance(sh, dict) else vars(sh)
        parts.append(f"entries ×{sh['factor']} {sh['start']}–{sh['end']}")
    for u in spec.get("uasc", ()):
        parts.append(f"UASC {u['monthly_rate']}/month {u['start']}–{u['end']}")
    return ", ".join(parts)


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
        lines += [f"## {name}: {describe(name)}", ""]
        lines += [
            f"{len(r['las'])} LAs, {r['episodes_in_returns']:,} episode rows in ten returns ({r['episodes_unique']:,} distinct episodes); "
            "children looked after on 31 March: "
            + ", ".join(f"{k[:4]}: {v:,}" for k, v in r["children_looked_after_31_march"].items())
            + ".",
            "",
            "LAs (simulated non-UASC entrants a year at 2021, trend a year, regimes): "
            + "; ".join(
                la_line(f"{nm} ({la})", spec)
                for (la, spec), nm in zip(
                    r["las"].items(), r.get("la_names", [""] * len(r["las"])), strict=True
                )
            )
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
        if PEER not in r["scores"]:
            lines += [
                "",
                f"{PEER} not run on this region ({r.get('peer', {}).get('error', 'no stored run')}; "
                "about a minute per LA and origin).",
            ]
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
            "Fit + 12-month predict with 80/95% intervals (coarse categories) per origin: wall "
            f"{r['runtime_s_per_origin']} s, CPU {r.get('cpu_s_per_origin', '–')} s"
            + (
                f", {r['episodes_known_per_origin']} episodes known"
                if "episodes_known_per_origin" in r
                else ""
            )
            + ".",
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
                f"{o[:4]}: damping {c['trend_damping']:.2f}, "
                + (
                    f"entrant half-life {c['entry_half_life_months']:.0f} months, "
                    if c.get("entry_half_life_months")
                    else ""
                )
                + "weights "
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
        fails = [o[:4] for o in origins_not_beating_baselines(r["scores"])]
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

    def per_origin_time(r: dict) -> str:
        wall, cpu = r["runtime_s_per_origin"], r.get("cpu_s_per_origin")
        txt = f"median {statistics.median(wall):.2f} s wall"
        if cpu:
            txt += f", {statistics.median(cpu):.2f} s CPU"
        return met(max(wall) <= 2.0, txt + f", max {max(wall):.2f} s")

    row("fit + predict ≤ 2 s per origin (coarse, in the backtest)", per_origin_time)
    if tm:
        t = tm["median_wall_s"]
        out.append(
            f"| fit + predict ≤ 2 s (6 LAs, {tm['episodes']:,} episodes) | "
            + met(t <= 2.0, f"median {t:.2f} s wall, {tm['median_cpu_s']:.2f} s CPU")
            + " |"
            + " – |" * (len(res) - 1)
        )
    return out
