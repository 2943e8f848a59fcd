"""Where a request's time goes, in one process: the app called through ``httpx.ASGITransport``.

    python -m bench.request_profile --db-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_load \
        [--scenario shortlist] [--clients 20] [--requests 400] [--profile out.txt]

The database must already hold a demo region (``python -m bench.load`` loads one). No server and no
sockets: the same ASGI app ``uvicorn`` runs, called in this process, so the CPU time per request
(``time.process_time``, all threads of this process, the database server excluded) is the app's own
cost: routing, dependencies, authentication, the service, the audit row, the commit and the JSON
response. ``--profile`` writes a cProfile table (cumulative and own time) of the measured requests.
Warm-up requests run first (caches filled), then ``--requests`` measured ones at ``--clients`` at once.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import statistics
import sys
import threading
import time
from typing import Any

import httpx


async def _discover(http: httpx.AsyncClient) -> dict[str, Any]:
    rcc = (await http.get("/api/v1/rccs")).json()["items"][0]["id"]
    refs = (await http.get(f"/api/v1/referrals?status=open&rcc={rcc}&limit=500")).json()["items"]
    return {"rcc": rcc, "referrals": [r["id"] for r in refs]}


def _request(scenario: str, info: dict[str, Any]):
    if scenario == "shortlist":
        refs = info["referrals"]
        return lambda http, i: http.post(f"/api/v1/referrals/{refs[i % len(refs)]}/shortlist?top_n=10")
    if scenario == "homes":
        return lambda http, i: http.get(f"/api/v1/homes?rcc={info['rcc']}&limit=50")
    if scenario == "rccs":
        return lambda http, i: http.get("/api/v1/rccs")
    if scenario == "live":  # no database, no key: the framework's and the client's own cost
        return lambda http, i: http.get("/health/live")
    raise SystemExit(f"unknown scenario {scenario}")


async def _run(http: httpx.AsyncClient, request, clients: int, total: int) -> tuple[list[float], list[int]]:
    latencies: list[float] = []
    statuses: list[int] = []
    issued = 0

    async def loop() -> None:
        nonlocal issued
        while issued < total:
            i = issued
            issued += 1
            t = time.perf_counter()
            r = await request(http, i)
            latencies.append(time.perf_counter() - t)
            statuses.append(r.status_code)

    await asyncio.gather(*(loop() for _ in range(clients)))
    return latencies, statuses


class ThreadProfiles:
    """cProfile (CPU time of each thread, not wall time) of the event loop's thread and of every function the app sends to a worker thread
    (``anyio.to_thread.run_sync``), merged: cProfile alone sees only the thread that enabled it."""

    def __init__(self) -> None:
        self.main = cProfile.Profile(time.thread_time)
        self.local = threading.local()
        self.all: list[cProfile.Profile] = [self.main]
        self.lock = threading.Lock()
        self.on = False

    def install(self) -> None:
        import anyio.to_thread

        original = anyio.to_thread.run_sync

        def wrapped(func, *args, **kwargs):
            def profiled(*a):
                if not self.on:
                    return func(*a)
                prof = getattr(self.local, "prof", None)
                if prof is None:
                    prof = self.local.prof = cProfile.Profile(time.thread_time)
                    with self.lock:
                        self.all.append(prof)
                prof.enable()
                try:
                    return func(*a)
                finally:
                    prof.disable()

            return original(profiled, *args, **kwargs)

        anyio.to_thread.run_sync = wrapped

    def start(self) -> None:
        self.on = True
        self.main.enable()

    def stop(self) -> None:
        self.main.disable()
        self.on = False

    def write(self, path: str) -> None:
        out = io.StringIO()
        st = pstats.Stats(self.all[0], stream=out)
        for p in self.all[1:]:
            st.add(p)
        st.sort_stats("cumulative").print_stats(90)
        st.sort_stats("tottime").print_stats(50)
        with open(path, "w") as fh:
            fh.write(out.getvalue())


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    from bench.load import admin_key
    from rcc.app import create_app
    from rcc.config import Settings

    settings = Settings(database_url=args.db_url, worker="off")
    app = create_app(settings, start_worker=False)
    headers = {"Authorization": f"Bearer {admin_key(args.db_url)}"}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=headers) as http:
            info = await _discover(http)
            request = _request(args.scenario, info)
            await _run(http, request, args.clients, args.warmup)
            prof = ThreadProfiles() if args.profile else None
            if prof:
                prof.install()
            cpu0, wall0 = time.process_time(), time.perf_counter()
            if prof:
                prof.start()
            latencies, statuses = await _run(http, request, args.clients, args.requests)
            if prof:
                prof.stop()
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    if prof:
        prof.write(args.profile)
    n = len(latencies)
    lat = sorted(latencies)
    return {
        "scenario": args.scenario,
        "clients": args.clients,
        "requests": n,
        "statuses": {s: statuses.count(s) for s in set(statuses)},
        "cpu_ms_per_request": round(1000 * cpu / n, 2),
        "wall_ms_per_request": round(1000 * wall / n, 2),
        "p50_ms": round(1000 * statistics.median(lat), 1),
        "p95_ms": round(1000 * lat[round(0.95 * (n - 1))], 1),
        "load_avg": [round(x, 2) for x in os.getloadavg()],
        "profiled": bool(prof),
    }


def main() -> None:
    # httpx's ASGITransport tries ``import sniffio`` on every request; not installed, that is a file-system
    # search each time (client CPU, not the app's): make it fail at once
    sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db-url", default=os.environ.get("RCC_BENCH_PG_URL"), required=True)
    ap.add_argument("--scenario", default="shortlist", choices=("shortlist", "homes", "rccs", "live"))
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--requests", type=int, default=400)
    ap.add_argument("--warmup", type=int, default=60)
    ap.add_argument("--profile", help="write a cProfile table here")
    args = ap.parse_args()
    print(asyncio.run(main_async(args)))


if __name__ == "__main__":
    main()
