"""The layout for more than one machine, with real processes on PostgreSQL: two stateless API
processes and two ``rcc worker`` processes. Forty matching runs are submitted through both APIs; one
worker is killed (SIGKILL) in the middle of a job. Every run must end ``succeeded``, and each must
have recorded its effects exactly once: a matching run writes its audit events (one per child
considered, all stamped with one time) in the same transaction as its completion, so the number of
distinct stamps per run counts how many times the run's work was committed.

Runs only when ``RCC_TEST_DATABASE_URL`` names a PostgreSQL database (``./test.sh`` does); the
processes are started and stopped by the test itself.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from rcc.config import REPO_ROOT
from rcc.serving import PROTOCOL
from tests.conftest import DATA_DIR, PG_URL

pytestmark = pytest.mark.skipif(
    not (PG_URL or "").startswith("postgresql"), reason="needs PostgreSQL (RCC_TEST_DATABASE_URL)"
)

JOBS = 40
LEASE_S = 4.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Proc:
    def __init__(self, name: str, cmd: list[str], env: dict[str, str], logdir: Path):
        self.name = name
        self.log = logdir / f"{name}.log"
        self._fh = self.log.open("wb")
        self.p = subprocess.Popen(cmd, env=env, cwd=REPO_ROOT, stdout=self._fh, stderr=subprocess.STDOUT)

    @property
    def pid(self) -> int:
        return self.p.pid

    def stop(self) -> None:
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(20)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self._fh.close()

    def tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])


def _wait(predicate, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


@pytest.fixture
def layout(db_url, tmp_path):
    env = {
        **os.environ,
        "RCC_DATABASE_URL": db_url,
        "RCC_DATA_DIR": str(DATA_DIR),
        "RCC_WORKER": "off",
        "RCC_JOB_LEASE_SECONDS": str(LEASE_S),
        "RCC_JOB_BACKOFF_SECONDS": "0.5",
        "RCC_JOB_POLL_SECONDS": "0.1",
        "RCC_JOB_DRAIN_SECONDS": "10",
        "PYTHONUNBUFFERED": "1",
    }
    cli = [sys.executable, "-m", "rcc.cli"]
    subprocess.run([*cli, "demo", "--region", "North East", "--seed", "1", "--scale", "0.05", "--no-keys",
                    "--return-years", "0"],  # the register only: this test needs no returns
                   env=env, cwd=REPO_ROOT, check=True, capture_output=True)  # fmt: skip
    key = subprocess.run(
        [*cli, "apikey", "create", "--role", "admin"], env=env, cwd=REPO_ROOT, check=True, capture_output=True,
        text=True,
    ).stdout.strip().splitlines()[-1]  # fmt: skip
    procs: dict[str, Proc] = {}
    try:
        ports = []
        for i in (1, 2):
            port = _free_port()
            ports.append(port)
            uvicorn = [sys.executable, "-m", "uvicorn", "rcc.app:create_app", "--factory", "--http", PROTOCOL,
                       "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]  # fmt: skip
            procs[f"api{i}"] = Proc(f"api{i}", uvicorn, env, tmp_path)
        for i in (1, 2):
            procs[f"worker{i}"] = Proc(f"worker{i}", [*cli, "worker"], env, tmp_path)
        bases = [f"http://127.0.0.1:{p}" for p in ports]
        for base in bases:
            _wait(lambda b=base: _up(b), 60, f"{base}/health")
        yield {"bases": bases, "key": key, "procs": procs, "url": db_url}
    finally:
        for p in procs.values():
            p.stop()


def _up(base: str) -> bool:
    try:
        return httpx.get(base + "/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_forty_runs_through_two_apis_survive_a_killed_worker_and_run_exactly_once(layout):
    h = {"Authorization": f"Bearer {layout['key']}"}
    bases = layout["bases"]
    procs = layout["procs"]
    engine = create_engine(layout["url"])
    try:
        rcc_id = httpx.get(bases[0] + "/api/v1/rccs", headers=h).json()["items"][0]["id"]
        ids = []
        for i in range(JOBS):
            r = httpx.post(
                f"{bases[i % 2]}/api/v1/matching-runs", json={"rcc_id": rcc_id}, headers=h, timeout=30
            )
            assert r.status_code == 202, r.text
            ids.append(r.json()["id"])

        # freeze worker 1 while it holds a job (so the job is certainly mid-way), then kill -9 it
        victim = procs["worker1"]
        killed_job = None
        with engine.connect() as conn:
            deadline = time.monotonic() + 120
            while killed_job is None and time.monotonic() < deadline:
                row = conn.execute(
                    text("SELECT id FROM jobs WHERE status = 'running' AND claimed_by LIKE :w"),
                    {"w": f"%:{victim.pid}:%"},
                ).first()
                conn.commit()
                if row is None:
                    time.sleep(0.02)
                    continue
                os.kill(victim.pid, signal.SIGSTOP)
                still = conn.execute(
                    text("SELECT 1 FROM jobs WHERE id = :j AND status = 'running' AND claimed_by LIKE :w"),
                    {"j": row.id, "w": f"%:{victim.pid}:%"},
                ).first()
                conn.commit()
                if still:
                    killed_job = row.id
                    os.kill(victim.pid, signal.SIGKILL)
                    victim.p.wait(10)
                    killed_at = time.monotonic()
                else:  # it finished just before the freeze: let it go on and catch the next one
                    os.kill(victim.pid, signal.SIGCONT)
        assert killed_job is not None, "worker 1 never held a job:\n" + victim.tail()

        def status(job_id: str, i: int) -> dict:
            return httpx.get(f"{bases[i % 2]}/api/v1/matching-runs/{job_id}", headers=h, timeout=30).json()

        def released() -> bool:  # no longer held by the dead worker: re-queued, or taken by the other one
            with engine.connect() as conn:
                return not conn.execute(
                    text("SELECT 1 FROM jobs WHERE id = :j AND status = 'running' AND claimed_by LIKE :w"),
                    {"j": killed_job, "w": f"%:{victim.pid}:%"},
                ).first()

        def settled() -> bool:
            return status(killed_job, 0)["status"] in ("succeeded", "failed", "cancelled")

        _wait(released, LEASE_S * 4 + 60, f"the killed job {killed_job} to be released")
        release_s = time.monotonic() - killed_at
        _wait(settled, LEASE_S * 4 + 60, f"the killed job {killed_job}")
        settle_s = time.monotonic() - killed_at
        _wait(
            lambda: all(
                status(j, i)["status"] in ("succeeded", "failed", "cancelled") for i, j in enumerate(ids)
            ),
            240,
            "all jobs to finish:\n" + procs["worker2"].tail(),
        )
        final = [status(j, i) for i, j in enumerate(ids)]
        assert [f["status"] for f in final] == ["succeeded"] * JOBS, procs["worker2"].tail()

        with engine.connect() as conn:
            attempts = dict(conn.execute(text("SELECT id, attempts FROM jobs")).tuples().all())
            commits = dict(
                conn.execute(
                    text("SELECT detail, count(DISTINCT at) FROM audit_events WHERE detail LIKE 'matching run %' GROUP BY detail")
                ).tuples().all()
            )  # fmt: skip
            workers = dict(conn.execute(text("SELECT pid, state FROM job_workers")).tuples().all())
        assert attempts[killed_job] == 2  # the lease expired, the job went back and ran again
        assert {f"matching run {j}": 1 for j in ids} == commits  # each run's work committed once
        # the dead worker's last heartbeat was at most a lease before the kill, and the reaper runs every
        # quarter lease: the job is back in the queue within about a lease of the kill (2× for a busy box)
        assert release_s < 2 * LEASE_S, release_s
        print(
            f"\nkilled job {killed_job}: re-queued {release_s:.1f} s and succeeded {settle_s:.1f} s after the kill "
            f"(lease {LEASE_S} s)"
        )

        # SIGTERM drains the surviving worker: it exits cleanly and says it stopped
        survivor = procs["worker2"]
        survivor.p.send_signal(signal.SIGTERM)
        assert survivor.p.wait(30) == 0, survivor.tail()
        with engine.connect() as conn:
            assert (
                conn.execute(
                    text("SELECT state FROM job_workers WHERE pid = :p"), {"p": survivor.pid}
                ).scalar()
                == "stopped"
            )
        assert workers[victim.pid] == "running"  # the killed one never said goodbye; its row just ages
    finally:
        engine.dispose()
