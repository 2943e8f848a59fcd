"""Copy the benchmark tables from bench/results/*.md into README.md, between the BENCH markers.

    python -m bench.readme_tables

The README then shows exactly what the last benchmark runs printed: the first table under each
instance heading of matching.md, its targets table, forecast_region.md's tables per region, its
speed line and targets table (the forecast's accuracy targets), and forecast_backtest.md's first
table and sample-check line (the public sample, kept as a fixture).
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
START, END = "<!-- BENCH:START -->", "<!-- BENCH:END -->"


def _sections(text: str) -> list[tuple[str, list[str]]]:
    out: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("## "):
            out.append((line[3:], []))
        elif out:
            out[-1][1].append(line)
    return out


def _tables(lines: list[str]) -> list[str]:
    tables, current = [], []
    for line in lines + [""]:
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append("\n".join(current))
            current = []
    return tables


def matching_block() -> str:
    parts = []
    for title, lines in _sections((RESULTS / "matching.md").read_text()):
        tables = _tables(lines)
        if title.startswith(("regional", "national")) and tables:
            parts.append(f"**{title}**\n\n{tables[0]}")
        elif title == "Targets" and tables:
            parts.append(f"**Targets**\n\n{tables[0]}")
        elif title == "Shortlist latency":
            parts.append("**Shortlist latency**: " + " ".join(x for x in lines if x.strip()))
    return "\n\n".join(parts)


def forecast_block() -> str:
    text = (RESULTS / "forecast_backtest.md").read_text()
    tables = _tables(text.splitlines())
    checks = next((line for line in text.splitlines() if line.startswith("Sample checks")), "")
    return "\n\n".join([*tables[:1], checks])


def forecast_region_block() -> str:
    path = RESULTS / "forecast_region.md"
    if not path.exists():
        return ""
    parts = []
    for title, lines in _sections(path.read_text()):
        tables = _tables(lines)
        if title.startswith(("tuned", "unseen")) and tables:
            parts.append(f"**{title}**\n\n" + "\n\n".join(tables[:2]))
        elif title == "Speed":
            parts.append("**Speed**: " + next((x for x in lines if x.strip()), ""))
        elif title == "Targets" and tables:
            parts.append(f"**Targets**\n\n{tables[0]}")
    return "\n\n".join(parts)


def service_block() -> str:
    path = RESULTS / "service_demo.md"
    return "\n".join(_tables(path.read_text().splitlines())[:1]) if path.exists() else ""


def load_block() -> str:
    """The load test's tables for the newest run and the baseline (``bench/results/load.md``)."""
    path = RESULTS / "load.md"
    if not path.exists():
        return ""
    out, keep = [], False
    for line in path.read_text().splitlines():
        if line.startswith("## "):
            keep = True
            out.append("**" + line[3:] + "**")
            continue
        if keep and not line.startswith("**"):
            out.append(line)
        elif keep:
            out.append(line.replace("**", "*"))
    return "\n".join(out).strip()


def render() -> str:
    return "\n".join(
        [
            START,
            "### The service on the North East demo region (`python -m bench.service_demo`)",
            "",
            service_block(),
            "",
            "### Matching (`python -m bench.matching_bench`; full report in `bench/results/matching.md`)",
            "",
            matching_block(),
            "",
            "### Load (`python -m bench.load`; 2 uvicorn workers, httpx clients on the same 2-core machine;"
            " the load average shows how busy the shared machine was)",
            "",
            load_block(),
            "",
            "### Forecast backtest on simulated 6-LA regions (`python -m bench.forecast_region_backtest`;"
            " full report in `bench/results/forecast_region.md`)",
            "",
            forecast_region_block(),
            "",
            "### Forecast on the public SSDA903 sample, a fixture (`bash bench/peer/run_peer.sh &&"
            " python -m bench.forecast_backtest`; full report in `bench/results/forecast_backtest.md`)",
            "",
            forecast_block(),
            END,
        ]
    )


def main() -> None:
    readme = ROOT / "README.md"
    text = readme.read_text()
    block = render()
    if START in text:
        text = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n## Benchmarks\n\n" + block + "\n"
    readme.write_text(text)


if __name__ == "__main__":
    main()
