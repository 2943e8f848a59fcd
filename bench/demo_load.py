"""How long `rcc demo` takes: generate the region and store it in a fresh SQLite database, with every
member LA's simulated SSDA903 returns (``--return-years``, default 5) or none (0, the register only).

    python -m bench.demo_load --scale 1.0 --rounds 1
    python -m bench.demo_load --scale 0.1 --rounds 3

Reports per variant the median wall and CPU (``time.process_time``) seconds of ``load_demo`` and the
1-minute load average when measured (the machine is shared, so CPU time is the steadier figure), and
the ratio of each variant's CPU time to the register-only load measured in the same process. Writes
``bench/results/demo_load_<scale>.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _one(data_dir: Path, scale: float, return_years: int, as_of: dt.date) -> tuple[float, float, list[str]]:
    from rcc.admin import load_demo
    from rcc.db import make_engine, make_sessionmaker, transaction
    from rcc.db.migrate import upgrade
    from rcc.register.service import seed_local_authorities

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/rcc.db"
        upgrade(url)
        engine = make_engine(url)
        factory = make_sessionmaker(engine)
        with transaction(factory) as s:
            seed_local_authorities(s, data_dir)
        w, c = time.perf_counter(), time.process_time()
        lines = load_demo(
            factory, data_dir, "North East", 1, scale, False, as_of=as_of, return_years=return_years
        )
        w, c = time.perf_counter() - w, time.process_time() - c
        engine.dispose()
    return w, c, lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--as-of", default="2026-11-30")
    args = ap.parse_args()
    as_of = dt.date.fromisoformat(args.as_of)
    out: dict = {"scale": args.scale, "as_of": args.as_of, "region": "North East", "variants": {}}
    for years in (0, 5):
        walls, cpus, loads = [], [], []
        lines: list[str] = []
        for _ in range(args.rounds):
            w, c, lines = _one(Path(args.data_dir), args.scale, years, as_of)
            walls.append(round(w, 2))
            cpus.append(round(c, 2))
            loads.append(round(os.getloadavg()[0], 2))
        out["variants"][f"return_years={years}"] = {
            "wall_s_median": statistics.median(walls),
            "cpu_s_median": statistics.median(cpus),
            "wall_s": walls,
            "cpu_s": cpus,
            "load_1min": loads,
            "summary": lines,
        }
    base = out["variants"]["return_years=0"]["cpu_s_median"]
    for v in out["variants"].values():
        v["cpu_ratio_to_register_only"] = round(v["cpu_s_median"] / base, 2) if base else None
    path = ROOT / "bench" / "results" / f"demo_load_{args.scale:g}.json"
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
