"""Load test: the service as deployed (uvicorn, N worker processes) under concurrent clients.

    python -m bench.load [--db postgresql|sqlite|both] [--pg-url URL] [--workers 2] [--label current]

For each database it loads the demo region (``python -m rcc.cli demo --region "North East" --seed 1``,
skipped when the database already holds that region), starts ``uvicorn rcc.app:create_app --factory
--http rcc.serving:NoDelayH11Protocol --workers N`` on 127.0.0.1 (job worker off), and runs each scenario with httpx async clients, bounded
in requests and in seconds:

- ``homes``: ``GET /api/v1/homes`` with the filters an officer uses, at 1, 20 and 50 clients;
- ``shortlist``: ``POST /api/v1/referrals/{id}/shortlist?top_n=10`` over the open referrals, at 1, 20, 50;
- ``vacancy_patch``: 50 clients re-confirming 3 vacancies at once (write contention on a few rows);
- ``report``: the commissioning HTML report at 5 clients;
- ``upload_20mb``: a 20 MB SSDA903 upload sent over and over while 5 clients list homes (how fast it is
  refused, and the others' p50 with and without it).

``homes`` and ``shortlist`` start after an unmeasured warm-up (2 requests per client), so that every API
process has built its caches; ``--repeats N`` runs each scenario N times and keeps the median-p95 run.
The server speaks ``rcc.serving``'s HTTP protocol (``TCP_NODELAY``), as ``rcc serve --workers`` does.
Every scenario reports requests, throughput, p50/p95/p99/max latency and the count of each status
code. The machine's load average before and after each run is recorded beside the numbers, because
this 2-core box is shared. Loopback only: the script never talks to anything but the server it
started. Results go to ``bench/results/load.json`` (keyed by label, so a baseline taken on older code
stays beside the current numbers) and ``bench/results/load.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from rcc.serving import PROTOCOL

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test_g_bench"


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[max(0, min(len(values) - 1, round(q * (len(values) - 1))))]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _load_avg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _proc_cpu_s(pid: int) -> float:
    """User + system CPU seconds of one process (Linux ``/proc``; 0 elsewhere or when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICK
    except (OSError, IndexError, ValueError):
        return 0.0


def _pids(match: Callable[[int, str, int], bool]) -> list[int]:
    """Processes whose (pid, command name, process group) ``match`` accepts."""
    out = []
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                head, rest = fh.read().split(" (", 1)
            comm, tail = rest.rsplit(")", 1)
            pgrp = int(tail.split()[2])
        except (OSError, ValueError, IndexError):
            continue
        if match(int(head), comm, pgrp):
            out.append(int(head))
    return out


class CpuMeter:
    """CPU seconds used by the server's processes (its process group) and by PostgreSQL's (every process
    named ``postgres``: on a shared machine other databases' work counts too, so read it as an upper bound)."""

    def __init__(self, server_pgid: int | None):
        self.server_pgid = server_pgid

    def read(self) -> dict[str, float]:
        server = sum(_proc_cpu_s(p) for p in _pids(lambda _p, _c, g: g == self.server_pgid))
        db = sum(_proc_cpu_s(p) for p in _pids(lambda _p, c, _g: c.startswith("postgres")))
        return {"server": server, "db": db, "client": time.process_time()}


METER: CpuMeter | None = None


# ---------------------------------------------------------------- the database and the server


def prepare_database(url: str, region: str, seed: int, data_dir: str) -> None:
    """Load the demo region unless the database already holds it (loading takes minutes on PostgreSQL)."""
    from sqlalchemy import create_engine, text

    env = {**os.environ, "RCC_DATABASE_URL": url, "RCC_DATA_DIR": data_dir}
    if not url.startswith("sqlite"):
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                have = conn.execute(
                    text("SELECT count(*) FROM rccs WHERE name = :n"), {"n": f"{region} RCC"}
                ).scalar()
        except Exception:  # no schema yet
            have = 0
        finally:
            engine.dispose()
        if have:
            print(f"  {region} already loaded in {url.rsplit('/', 1)[-1]}", flush=True)
            upgrade = [sys.executable, "-m", "rcc.cli", "db", "upgrade"]  # the schema of the code under test
            subprocess.run(upgrade, env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
            return
    t0 = time.perf_counter()
    cmd = [sys.executable, "-m", "rcc.cli", "demo", "--region", region, "--seed", str(seed), "--no-keys"]
    subprocess.run(cmd, env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    print(f"  loaded {region} in {time.perf_counter() - t0:.0f} s", flush=True)


def admin_key(url: str) -> str:
    from rcc.auth import Role, create_api_key
    from rcc.db import make_engine, make_sessionmaker, transaction

    engine = make_engine(url)
    try:
        with transaction(make_sessionmaker(engine)) as s:
            return create_api_key(s, Role.ADMIN, label="bench.load")[1]
    finally:
        engine.dispose()


class Server:
    """``uvicorn rcc.app:create_app --factory --workers N`` on a free loopback port."""

    def __init__(self, url: str, workers: int, data_dir: str, extra_env: dict[str, str] | None = None):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "RCC_DATABASE_URL": url, "RCC_DATA_DIR": data_dir, "RCC_WORKER": "off"}
        env.update(extra_env or {})
        cmd = [
            sys.executable, "-m", "uvicorn", "rcc.app:create_app", "--factory", "--http", PROTOCOL, "--host", "127.0.0.1",
            "--port", str(self.port), "--workers", str(workers), "--log-level", "warning", "--no-access-log",
        ]  # fmt: skip
        self.proc = subprocess.Popen(cmd, env=env, cwd=ROOT, start_new_session=True)

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}")
            try:
                if httpx.get(self.base + "/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError("server did not become ready")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


# ---------------------------------------------------------------- scenarios


@dataclass
class Outcome:
    latencies: list[float]
    statuses: Counter
    wall_s: float
    load_before: list[float]
    load_after: list[float]
    cpu: dict[str, float] | None = None  # CPU seconds used during the run: server, db, client

    def cpu_per_request(self) -> dict[str, float]:
        n = len(self.latencies)
        if not self.cpu or not n:
            return {}
        return {f"{k}_cpu_ms_per_req": round(1000 * v / n, 2) for k, v in self.cpu.items()}

    def summary(self, clients: int) -> dict[str, Any]:
        lat = self.latencies
        n = len(lat)
        return {
            "clients": clients,
            "requests": n,
            "seconds": round(self.wall_s, 2),
            "req_per_s": round(n / self.wall_s, 1) if self.wall_s else None,
            "p50_ms": round(1000 * _pct(lat, 0.50)) if n else None,
            "p95_ms": round(1000 * _pct(lat, 0.95)) if n else None,
            "p99_ms": round(1000 * _pct(lat, 0.99)) if n else None,
            "max_ms": round(1000 * max(lat)) if n else None,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items(), key=lambda kv: str(kv[0]))},
            "load_avg_before": self.load_before,
            "load_avg_after": self.load_after,
            **self.cpu_per_request(),
        }


Request = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


async def run_clients(
    base: str, headers: dict[str, str], clients: int, request: Request, max_requests: int, max_seconds: float,
    per_client: int | None = None,
) -> Outcome:  # fmt: skip
    """``clients`` concurrent loops; stop after ``max_requests`` in all, or ``max_seconds``, or
    ``per_client`` requests each. A request that errors at the transport level counts as status "error"."""
    latencies: list[float] = []
    statuses: Counter = Counter()
    issued = 0
    load_before = _load_avg()
    cpu0 = METER.read() if METER else None
    t0 = time.perf_counter()
    deadline = t0 + max_seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    timeout = httpx.Timeout(60.0)

    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=timeout) as http:

        async def loop(i: int) -> None:
            nonlocal issued
            done = 0
            while time.perf_counter() < deadline and issued < max_requests:
                if per_client is not None and done >= per_client:
                    return
                seq = issued
                issued += 1
                done += 1
                t = time.perf_counter()
                try:
                    r = await request(http, seq if per_client is None else i)
                    statuses[r.status_code] += 1
                except httpx.HTTPError as exc:
                    statuses[f"error:{type(exc).__name__}"] += 1
                latencies.append(time.perf_counter() - t)

        await asyncio.gather(*(loop(i) for i in range(clients)))
    wall = time.perf_counter() - t0
    cpu = None
    if METER and cpu0:
        cpu1 = METER.read()
        cpu = {k: cpu1[k] - cpu0[k] for k in cpu0}
    return Outcome(latencies, statuses, wall, load_before, _load_avg(), cpu)


async def discover(base: str, headers: dict[str, str]) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as http:
        rccs = (await http.get("/api/v1/rccs")).json()["items"]
        rcc_id = rccs[0]["id"]
        refs, offset = [], 0
        while True:
            page = (
                await http.get(f"/api/v1/referrals?status=open&rcc={rcc_id}&limit=500&offset={offset}")
            ).json()
            refs += [r["id"] for r in page["items"]]
            offset += 500
            if offset >= page["total"]:
                break
        vac = (await http.get(f"/api/v1/vacancies?rcc={rcc_id}&limit=3")).json()["items"]
        return {"rcc_id": rcc_id, "referrals": refs, "vacancies": [v["id"] for v in vac]}


HOME_QUERIES = (
    "rcc={rcc}&limit=50",
    "rcc={rcc}&home_type=childrens_home&limit=50",
    "rcc={rcc}&has_vacancy=true&limit=50",
    "rcc={rcc}&need=sibling_group&limit=50",
    "rcc={rcc}&judgement=good&home_type=childrens_home&limit=20&offset=20",
)


def scenarios(info: dict[str, Any], quick: bool) -> list[tuple[str, int, Request, dict[str, Any]]]:
    rcc, refs, vacs = info["rcc_id"], info["referrals"], info["vacancies"]
    scale = 0.25 if quick else 1.0

    def homes(http: httpx.AsyncClient, i: int) -> Awaitable[httpx.Response]:
        return http.get("/api/v1/homes?" + HOME_QUERIES[i % len(HOME_QUERIES)].format(rcc=rcc))

    def shortlist(http: httpx.AsyncClient, i: int) -> Awaitable[httpx.Response]:
        return http.post(f"/api/v1/referrals/{refs[i % len(refs)]}/shortlist?top_n=10")

    def patch(http: httpx.AsyncClient, i: int) -> Awaitable[httpx.Response]:
        return http.patch(
            f"/api/v1/vacancies/{vacs[i % len(vacs)]}", json={"confirmed_by": f"load client {i}"}
        )

    def report(http: httpx.AsyncClient, i: int) -> Awaitable[httpx.Response]:
        return http.get(f"/api/v1/commissioning/report?rcc={rcc}")

    def bound(requests: int, seconds: float, **kw: Any) -> dict[str, Any]:
        return {"max_requests": max(1, int(requests * scale)), "max_seconds": seconds * scale, **kw}

    return [
        ("homes", 1, homes, bound(100, 20)),
        ("homes", 20, homes, bound(1500, 25)),
        ("homes", 50, homes, bound(1500, 25)),
        ("shortlist", 1, shortlist, bound(60, 30)),
        ("shortlist", 20, shortlist, bound(600, 40)),
        ("shortlist", 50, shortlist, bound(600, 40)),
        ("vacancy_patch", 50, patch, bound(1000, 60, per_client=2)),
        ("report", 5, report, bound(30, 40)),
    ]


def _ready() -> bool:
    return True


def _upload_loop(base: str, headers: dict[str, str], seconds: float) -> tuple[list[float], Counter]:
    """Send a 20 MB return again and again for ``seconds``, as an LA's upload script would: a plain
    client in a process of its own, so that building the multipart body does not take the measuring
    clients' interpreter lock."""
    big = b"CHILD,SEX,DOB\n" + b"123456,1,01/01/2010\n" * (20 * 1024 * 1024 // 20)
    times: list[float] = []
    statuses: Counter = Counter()
    deadline = time.perf_counter() + seconds
    with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
        while time.perf_counter() < deadline:
            t = time.perf_counter()
            try:
                r = http.post(
                    "/api/v1/sufficiency/returns", data={"la_code": "E06000001"},
                    files={"header": ("header.csv", big), "episodes": ("episodes.csv", big[:1000])},
                )  # fmt: skip
                statuses[r.status_code] += 1
            except httpx.HTTPError as exc:
                statuses[f"error:{type(exc).__name__}"] += 1
            times.append(time.perf_counter() - t)
    return times, statuses


async def upload_scenario(
    base: str, headers: dict[str, str], info: dict[str, Any], seconds: float
) -> dict[str, Any]:
    """A 20 MB SSDA903 upload, sent again and again by one client (its own process), while 5 others list
    homes: how fast the upload is refused, and the others' p50 with and without it."""
    rcc = info["rcc_id"]

    def homes(http: httpx.AsyncClient, i: int) -> Awaitable[httpx.Response]:
        return http.get("/api/v1/homes?" + HOME_QUERIES[i % len(HOME_QUERIES)].format(rcc=rcc))

    alone = await run_clients(base, headers, 5, homes, 100_000, seconds)
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        started = pool.submit(_ready)  # the process is up before the measured window opens
        await loop.run_in_executor(None, started.result)
        upload = loop.run_in_executor(pool, _upload_loop, base, headers, seconds)
        during = await run_clients(base, headers, 5, homes, 100_000, seconds)
        times, statuses = await upload
    a, d = alone.summary(5), during.summary(5)
    return {
        "scenario": "upload_20mb",
        "clients": 1,
        "requests": len(times),
        "seconds": round(during.wall_s, 2),
        "req_per_s": round(len(times) / during.wall_s, 1),
        "p50_ms": round(1000 * _pct(times, 0.5)),
        "p95_ms": round(1000 * _pct(times, 0.95)),
        "p99_ms": round(1000 * _pct(times, 0.99)),
        "max_ms": round(1000 * max(times)),
        "statuses": {str(k): v for k, v in statuses.items()},
        "load_avg_before": alone.load_before,
        "load_avg_after": during.load_after,
        "others_p50_alone_ms": a["p50_ms"],
        "others_p50_during_ms": d["p50_ms"],
    }


# Scenarios that start after an unmeasured warm-up of 2 requests per client. One client's keep-alive
# connection reaches one API process, so without it the first requests to each other process would
# wait for that process to build its prepared register (about 0.5 s on the North East demo, once per
# process and register version), which is a cold start, not the steady state the targets are about.
# The report's first computation stays in its measurement.
WARMED = ("homes", "shortlist")


def _median_run(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Of repeated runs of one scenario, the run with the median p95 (the lower middle one for an even
    count), with every run's p95 and req/s beside it; a single run as it is."""
    if len(rows) == 1:
        return rows[0]
    ranked = sorted(rows, key=lambda r: (r["p95_ms"] is None, r["p95_ms"] or 0))
    return {
        **ranked[(len(ranked) - 1) // 2],
        "p95_runs_ms": [r["p95_ms"] for r in rows],
        "req_per_s_runs": [r["req_per_s"] for r in rows],
        "max_runs_ms": [r["max_ms"] for r in rows],
        "statuses_runs": [r["statuses"] for r in rows],
    }


def run_database(kind: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    print(f"== {kind}: {url.split('@')[-1]}", flush=True)
    prepare_database(url, args.region, args.seed, args.data_dir)
    headers = {"Authorization": f"Bearer {admin_key(url)}"}
    server = Server(url, args.workers, args.data_dir)
    out: dict[str, Any] = {"database": kind, "workers": args.workers, "scenarios": []}
    global METER
    METER = CpuMeter(server.proc.pid)  # the server is its own session, so its process group id is its pid
    try:
        server.wait_ready()
        info = asyncio.run(discover(server.base, headers))
        out["open_referrals"] = len(info["referrals"])
        asyncio.run(
            run_clients(server.base, headers, 4, lambda h, i: h.get("/api/v1/rccs"), 20, 10)
        )  # warm-up
        for name, clients, request, bounds in [*scenarios(info, args.quick), ("upload_20mb", 1, None, {})]:
            if args.only and name not in args.only and f"{name}:{clients}" not in args.only:
                continue
            if request is None:
                row = asyncio.run(upload_scenario(server.base, headers, info, 6 if args.quick else 15))
            else:
                if name in WARMED:  # unmeasured: every API process builds its caches first
                    asyncio.run(run_clients(server.base, headers, clients, request, 2 * clients, 30))
                rows = [
                    {"scenario": name, **asyncio.run(run_clients(server.base, headers, clients, request, **bounds)).summary(clients)}
                    for _ in range(max(1, args.repeats))
                ]  # fmt: skip
                row = _median_run(rows)
            out["scenarios"].append(row)
            print(
                f"  {name:<14} {clients:>3} clients: {row['requests']:>5} req {row['req_per_s']:>7} req/s  "
                f"p50 {row['p50_ms']} p95 {row['p95_ms']} p99 {row['p99_ms']} max {row['max_ms']} ms  "
                f"{row['statuses']}  load {row['load_avg_before'][0]}->{row['load_avg_after'][0]}"
                + (
                    f"  others' p50 {row['others_p50_alone_ms']} ms alone, {row['others_p50_during_ms']} ms during"
                    if "others_p50_alone_ms" in row
                    else ""
                )
                + (
                    f"  CPU ms/req: server {row['server_cpu_ms_per_req']} db {row['db_cpu_ms_per_req']} "
                    f"client {row['client_cpu_ms_per_req']}"
                    if "server_cpu_ms_per_req" in row
                    else ""
                ),
                flush=True,
            )
    finally:
        server.stop()
    return out


# ---------------------------------------------------------------- report


def _fmt_statuses(st: dict[str, int]) -> str:
    return ", ".join(f"{v}×{k}" for k, v in st.items())


def _fmt_cpu(r: dict[str, Any]) -> str:
    if "server_cpu_ms_per_req" not in r:
        return ""
    return f"{r['server_cpu_ms_per_req']}, {r['db_cpu_ms_per_req']}"


def render_md(results: dict[str, Any]) -> str:
    lines = [
        "# Load test (`python -m bench.load`)",
        "",
        "uvicorn with the given worker processes on 127.0.0.1, httpx async clients on the same machine",
        "(2 cores shared with other work: the 1-minute load average before and after each scenario is shown).",
        "",
    ]
    for label, run in results.items():
        lines += [
            f"## {label}: {run['commit']} ({run['when']}, {run['region']}, {run['workers']} API workers)",
            "",
        ]
        for db in run["databases"]:
            cpu = any("server_cpu_ms_per_req" in r for r in db["scenarios"])
            lines += [
                f"**{db['database']}**",
                "",
                "| scenario | clients | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | statuses | load avg"
                + (" | CPU ms/req: server, PostgreSQL |" if cpu else " |"),
                "|---|---|---|---|---|---|---|---|---|---|" + ("---|" if cpu else ""),
            ]
            for r in db["scenarios"]:
                lines.append(
                    f"| {r['scenario']} | {r['clients']} | {r['requests']} | {r['req_per_s']} | {r['p50_ms']} | "
                    f"{r['p95_ms']} | {r['p99_ms']} | {r['max_ms']} | {_fmt_statuses(r['statuses'])} | "
                    f"{r['load_avg_before'][0]} → {r['load_avg_after'][0]} |"
                    + (f" {_fmt_cpu(r)} |" if cpu else "")
                )
            lines.append("")
            runs = [r for r in db["scenarios"] if "p95_runs_ms" in r]
            if runs:
                lines += [
                    f"Each scenario ran {len(runs[0]['p95_runs_ms'])} times; the row is the run with the median p95. "
                    "p95 / max ms (req/s) of every run: "
                    + "; ".join(
                        f"{r['scenario']} × {r['clients']}: "
                        + ", ".join(
                            f"{p} / {m} ({q})"
                            for p, m, q in zip(r["p95_runs_ms"], r["max_runs_ms"], r["req_per_s_runs"], strict=True)
                        )
                        for r in runs
                    )
                    + ".",
                    "",
                ]
            for r in db["scenarios"]:
                if r["scenario"] == "upload_20mb":
                    lines += [
                        f"upload_20mb: one client sends a 20 MB return again and again; 5 others list homes: "
                        f"their p50 {r['others_p50_alone_ms']} ms alone, {r['others_p50_during_ms']} ms during the uploads.",
                        "",
                    ]
    return "\n".join(lines)


def _commit() -> str:
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "rcc"], cwd=ROOT, capture_output=True, text=True
        )
        return sha + ("+changes" if dirty.stdout.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", choices=("postgresql", "sqlite", "both"), default="both")
    ap.add_argument("--pg-url", default=os.environ.get("RCC_BENCH_PG_URL", DEFAULT_PG))
    ap.add_argument("--sqlite-path", default=None, help="default: a fresh file in a temporary folder")
    ap.add_argument("--region", default="North East")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    ap.add_argument(
        "--data-dir", default=os.environ.get("RCC_DATA_DIR", str(ROOT.parent / "shared" / "data"))
    )
    ap.add_argument("--label", default="current", help="key in load.json; 'baseline' for the numbers before")
    ap.add_argument("--only", nargs="*", help="run only these scenarios (name, or name:clients)")
    ap.add_argument("--quick", action="store_true", help="a quarter of the requests and seconds")
    ap.add_argument("--no-write", action="store_true", help="print only")
    ap.add_argument("--repeats", type=int, default=1, help="run each scenario N times; report the median-p95 run")
    args = ap.parse_args()

    run: dict[str, Any] = {
        "commit": _commit(),
        "when": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "region": args.region,
        "workers": args.workers,
        "cpus": os.cpu_count(),
        "databases": [],
    }
    if args.db in ("postgresql", "both"):
        run["databases"].append(run_database("postgresql", args.pg_url, args))
    if args.db in ("sqlite", "both"):
        path = args.sqlite_path or str(Path(tempfile.mkdtemp(prefix="rcc-load-")) / "load.db")
        run["databases"].append(run_database("sqlite", f"sqlite:///{path}", args))
    if args.no_write:
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "load.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    results[args.label] = run
    path.write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "load.md").write_text(render_md(results) + "\n")
    print(f"wrote {path.relative_to(ROOT)} and load.md ({args.label})")


if __name__ == "__main__":
    main()
