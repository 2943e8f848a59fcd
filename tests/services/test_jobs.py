"""Persisted jobs: claimed once, results stored, failures recorded, cancel honoured."""

from __future__ import annotations

import threading

from rcc.auth import SYSTEM
from rcc.db import transaction
from rcc.db.models import Job
from rcc.jobs import queue, registry, worker
from rcc.jobs.queue import JobContext


def _echo(ctx: JobContext) -> dict:
    return {"echo": ctx.params["x"], "role": ctx.principal.role.value}


def _boom(ctx: JobContext) -> dict:
    raise RuntimeError("kaboom")


HANDLERS = {"test-echo": _echo, "test-boom": _boom}  # handlers are passed in, never registered globally


def _submit(factory, kind, **params) -> str:
    with transaction(factory) as s:
        return queue.submit(s, SYSTEM, kind, params, kinds=HANDLERS).id


def test_every_kind_has_exactly_one_registered_handler():
    assert set(registry.HANDLERS) == queue.KINDS
    assert all(callable(fn) for fn in registry.HANDLERS.values())


def test_job_runs_and_stores_its_result(factory):
    job_id = _submit(factory, "test-echo", x=41)
    with factory() as s:
        assert s.get(Job, job_id).status == "queued"
    assert worker.drain(factory, HANDLERS) == 1
    with factory() as s:
        job = s.get(Job, job_id)
        assert job.status == "succeeded" and job.result == {"echo": 41, "role": "admin"}
        assert job.started_at is not None and job.finished_at is not None


def test_failed_job_is_recorded_not_lost(factory):
    job_id = _submit(factory, "test-boom")
    worker.drain(factory, HANDLERS)
    with factory() as s:
        job = s.get(Job, job_id)
        assert job.status == "failed" and "kaboom" in job.error and job.result is None


def test_cancelled_before_start_never_runs(factory):
    job_id = _submit(factory, "test-echo", x=1)
    with transaction(factory) as s:
        queue.cancel(s, SYSTEM, job_id)
    assert worker.drain(factory, HANDLERS) == 0
    with factory() as s:
        assert s.get(Job, job_id).status == "cancelled"


def test_unknown_kind_is_refused(factory):
    import pytest

    from rcc.errors import Invalid

    with pytest.raises(Invalid) as err, transaction(factory) as s:
        queue.submit(s, SYSTEM, "no-such-kind", {})
    assert err.value.details[0].field == "kind"


def test_two_workers_never_claim_the_same_job(factory):
    ids = {_submit(factory, "test-echo", x=i) for i in range(12)}
    claimed: list[str] = []
    lock = threading.Lock()

    def work():
        while (ctx := queue.claim_next(factory)) is not None:
            with lock:
                claimed.append(ctx.job_id)
            worker.run_one(ctx, HANDLERS)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == sorted(ids)  # each exactly once


def test_background_worker_picks_up_jobs(factory):
    import time

    background = worker.Worker(factory, poll_seconds=0.05, handlers=HANDLERS)
    background.start()
    try:
        job_id = _submit(factory, "test-echo", x=7)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with factory() as s:
                if s.get(Job, job_id).status == "succeeded":
                    break
            time.sleep(0.05)
    finally:
        background.stop()
    with factory() as s:
        assert s.get(Job, job_id).result == {"echo": 7, "role": "admin"}
