"""CPU time per request for the hot API requests and the slowest pages, in process (what a quiet
machine would spend), beside a ``GET /health`` baseline measured in the same process.

    python -m bench.cpu --database-url postgresql+psycopg://postgres@127.0.0.1:5432/NAME [--rounds 30]
        [--reuse] [--profile NAME] [--label current]

Prepares the North East demo as ``bench.pages`` does (the database is wiped first; ``--reuse`` keeps a
database this script prepared before), then requests each target through the app in process (ASGI,
no network, the worker off) and reports per target the median CPU ms of this process
(``time.process_time``: the app's Python work; the database server's own CPU is not in it), the
median wall ms and the CPU ratio to ``/health``. The wall clock under the shared machine's load is
noisy; the CPU figures and ratios are what to compare between commits. ``--profile NAME`` writes a
cProfile of that target to /tmp/rcc-cpu-NAME.prof.

Writes bench/results/cpu.json (one entry per ``--label``) and bench/results/cpu.md.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def _db_cpu_seconds(dbname: str) -> float:
    """CPU seconds (user + system) used so far by the PostgreSQL backends serving ``dbname`` (their
    process titles name the database), from /proc; 0 where /proc is not readable."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                title = f.read()
            if not title.startswith(b"postgres: ") or f" {dbname} ".encode() not in title:
                continue
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except OSError:
            continue
    return total / tick


def _facts_path(url: str) -> Path:
    return Path("/tmp") / f"rcc-cpu-facts-{url.rsplit('/', 1)[-1]}.json"


def _targets(facts: dict[str, Any]) -> list[tuple[str, str, str, str, dict[str, Any] | None]]:
    """(name, who, method, path, json body): ``who`` is "api" (admin key) or a signed-in user."""
    rcc, ref = facts["rcc_id"], facts["referral_id"]
    return [
        ("health", "api", "GET", "/health", None),
        ("homes", "api", "GET", f"/api/v1/homes?rcc={rcc}&limit=50", None),
        ("homes_filtered", "api", "GET", f"/api/v1/homes?rcc={rcc}&judgement=good&home_type=childrens_home&limit=20&offset=20", None),
        ("shortlist", "api", "POST", "/api/v1/referrals/{ref}/shortlist?top_n=10", None),
        ("report", "api", "GET", f"/api/v1/commissioning/report?rcc={rcc}", None),
        ("page_shortlist", "officer@bench", "GET", f"/officer/referrals/{ref}", None),
        ("page_market", "commissioner@bench", "GET", "/commissioner/market", None),
        ("vacancy_patch", "api", "PATCH", "/api/v1/vacancies/{vac}", {"confirmed_by": "bench.cpu"}),
    ]  # fmt: skip


def _prepare(url: str, data_dir: Path, reuse: bool) -> dict[str, Any]:
    from bench.load import admin_key
    from bench.pages import _prepare as prepare_pages

    path = _facts_path(url)
    if reuse and path.exists():
        env = {**os.environ, "RCC_DATABASE_URL": url}  # the schema of the code under test
        subprocess.run([sys.executable, "-m", "rcc.cli", "db", "upgrade"],
                       env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        return json.loads(path.read_text())
    facts = prepare_pages(url, data_dir, "North East", 1, dt.date.today())
    facts["admin_key"] = admin_key(url)
    from sqlalchemy import select

    from rcc.db import make_engine, make_sessionmaker
    from rcc.db.models import Referral, Vacancy

    factory = make_sessionmaker(make_engine(url))
    with factory() as s:
        facts["referrals"] = list(
            s.scalars(select(Referral.id).where(Referral.status == "open").order_by(Referral.id))
        )
        facts["vacancies"] = list(s.scalars(select(Vacancy.id).order_by(Vacancy.id).limit(3)))
    path.write_text(json.dumps(facts, default=str))
    return facts


def measure(url: str, facts: dict[str, Any], rounds: int, profile: str | None) -> dict[str, Any]:
    dbname = url.rsplit("/", 1)[-1].split("?")[0] if url.startswith("postgresql") else ""
    from fastapi.testclient import TestClient

    from bench.pages import _sign_in
    from rcc.app import create_app
    from rcc.config import load_settings

    out: dict[str, Any] = {}
    clients: dict[str, TestClient] = {}
    app = create_app(load_settings(), start_worker=False)
    with TestClient(app, base_url="http://127.0.0.1") as api:
        api.headers["Authorization"] = f"Bearer {facts['admin_key']}"
        clients["api"] = api
        refs, vacs = facts["referrals"], facts["vacancies"]
        for name, who, method, path, body in _targets(facts):
            if who not in clients:
                c = TestClient(app, base_url="http://127.0.0.1")
                c.__enter__()
                _sign_in(c, who)
                clients[who] = c
            c = clients[who]

            def call(i: int, c=c, method=method, path=path, body=body) -> int:
                p = path.format(ref=refs[i % len(refs)], vac=vacs[i % len(vacs)])
                return c.request(method, p, json=body).status_code

            for i in range(2):  # warm: templates, caches (what a steady service has)
                assert call(i) == 200, (name, call(i))
            prof = cProfile.Profile() if profile == name else None
            cpu, wall = [], []
            db0 = _db_cpu_seconds(dbname) if dbname else 0.0
            for i in range(rounds):
                c0, w0 = time.process_time(), time.perf_counter()
                if prof:
                    prof.enable()
                status = call(i)
                if prof:
                    prof.disable()
                cpu.append(time.process_time() - c0)
                wall.append(time.perf_counter() - w0)
                assert status == 200, (name, status)
            db_cpu = (_db_cpu_seconds(dbname) - db0) if dbname else 0.0
            if prof:
                prof.dump_stats(f"/tmp/rcc-cpu-{name}.prof")
            out[name] = {
                "path": path,
                "cpu_ms_median": round(1000 * statistics.median(cpu), 2),
                "wall_ms_median": round(1000 * statistics.median(wall), 2),
                "db_cpu_ms_mean": round(1000 * db_cpu / rounds, 2),  # clock ticks are 10 ms: a mean
            }
        for who, c in clients.items():
            if who != "api":
                c.__exit__(None, None, None)
    from rcc.commissioning.reports import _REPORTS
    from rcc.matching.shortlist import _REGISTERS
    from rcc.register.homes import _PAGES
    from rcc.web.cache import _KEPT

    out["_caches"] = {  # hits and misses over the whole run (warm-up included): are the caches used?
        name: {"hits": c.hits, "misses": c.misses}
        for name, c in (("prepared_register", _REGISTERS), ("homes_pages", _PAGES), ("reports", _REPORTS),
                        ("web_reports", _KEPT))
    }  # fmt: skip
    base = out["health"]["cpu_ms_median"] or 0.01
    for k, v in out.items():
        if k.startswith("_"):
            continue
        v["cpu_x_health"] = round(v["cpu_ms_median"] / base, 1)
    return out


def _commit() -> str:
    r = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return r.stdout.strip() or "unknown"


def render_md(results: dict[str, Any]) -> str:
    lines = [
        "# CPU per request (`python -m bench.cpu`)",
        "",
        "In process (ASGI, no network, one client) on the North East demo, PostgreSQL. Per request: the",
        "median CPU time of the app's process (`time.process_time`), the mean CPU time of the PostgreSQL",
        "backends serving it (from /proc), the median wall time, and the app CPU as a multiple of",
        "`GET /health` in the same process. Wall time is noisy under the shared machine's load; CPU is",
        "what a quiet machine would spend: compare it between labels. The database CPU comes in 10 ms",
        "clock ticks, so below about 1 ms it is coarse; on this loaded machine run-to-run noise in app",
        "CPU is about ±25 %, so only larger ratios say something.",
        "",
    ]
    for lb, r in results.items():
        lines += [
            f"**{lb}**: {r['commit']} ({r['when']}, {r['rounds']} rounds, load avg {r['load_avg']})",
            "",
            "| request | app CPU ms | db CPU ms | wall ms | app CPU ×health |",
            "|---|---:|---:|---:|---:|",
        ]
        for n, t in r["targets"].items():
            if n.startswith("_"):
                continue
            db = t.get("db_cpu_ms_mean", "")
            lines.append(
                f"| `{n}` | {t['cpu_ms_median']} | {db} | {t['wall_ms_median']} | {t['cpu_x_health']} |"
            )
        caches = r["targets"].get("_caches")
        if caches:
            lines += ["", "In-process caches over the run (hits / misses): " + ", ".join(
                f"{n} {c['hits']}/{c['misses']}" for n, c in caches.items()) + "."]  # fmt: skip
        lines.append("")
    if len(results) >= 2:
        (a, ra), (b, rb) = list(results.items())[0], list(results.items())[-1]
        lines += [
            f"**{b} / {a}** (app CPU, db CPU):",
            "",
            "| request | app CPU | db CPU |",
            "|---|---:|---:|",
        ]
        for n, t in rb["targets"].items():
            o = ra["targets"].get(n)
            if not o or n.startswith("_"):
                continue
            app = f"{t['cpu_ms_median'] / o['cpu_ms_median']:.2f}" if o["cpu_ms_median"] else ""
            od, nd = o.get("db_cpu_ms_mean"), t.get("db_cpu_ms_mean")
            db = f"{nd / od:.2f}" if od and nd is not None else ""
            lines.append(f"| `{n}` | {app} | {db} |")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--reuse", action="store_true", help="keep a database this script prepared before")
    ap.add_argument("--profile", default=None, help="cProfile this target to /tmp/rcc-cpu-NAME.prof")
    ap.add_argument("--label", default="current")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    os.environ["RCC_DATABASE_URL"] = args.database_url
    os.environ["RCC_DATA_DIR"] = args.data_dir
    os.environ["RCC_WEB_COOKIE_SECURE"] = "false"
    facts = _prepare(args.database_url, Path(args.data_dir), args.reuse)
    load_before = round(os.getloadavg()[0], 2)
    targets = measure(args.database_url, facts, args.rounds, args.profile)
    entry = {
        "commit": _commit(),
        "when": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_avg": f"{load_before} → {round(os.getloadavg()[0], 2)}",
        "rounds": args.rounds,
        "targets": targets,
    }
    print(json.dumps(entry, indent=1))
    if args.no_write:
        return
    path = RESULTS / "cpu.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    results[args.label] = entry
    path.write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "cpu.md").write_text(render_md(results))


if __name__ == "__main__":
    main()
