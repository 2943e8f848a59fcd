"""Job leases: an expired lease re-queues the job with a backoff, then fails it with the reason; a
w that lost its lease cannot record anything; draining returns unfinished work; each job kind
has its own slots; cancel stops a running job; a worker logs a database outage once."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time

import pytest
from sqlalchemy import select, update

from rcc import audit
from rcc.auth import SYSTEM
from rcc.db import make_engine, make_sessionmaker, transaction
from rcc.db.models import AuditEvent, Job, JobWorker, utcnow
from rcc.jobs import queue as jobqueue
from rcc.jobs import worker as workers
from rcc.jobs.queue import JobContext

RELEASE = threading.Event()
STARTED: dict[str, threading.Event] = {}


def _wait(ctx: JobContext) -> dict:
    """Runs until RELEASE is set or the job is cancelled."""
    STARTED.setdefault(ctx.job_id, threading.Event()).set()
    while not RELEASE.is_set():
        if ctx.cancelled():
            return {"stopped": True}
        time.sleep(0.02)
    return {"done": True}


def _effect(ctx: JobContext) -> dict:
    """Writes its side effect and its completion in one fenced transaction."""
    with ctx.transaction() as s:
        audit.record(s, ctx.principal, "effect", "job", [1], detail=f"{ctx.job_id} by {ctx.worker_id}")
        ctx.complete(s, {"by": ctx.worker_id})
    return {"by": ctx.worker_id}


def _quick(ctx: JobContext) -> dict:
    return {"ok": ctx.params.get("n")}


HANDLERS = {"test-wait": _wait, "test-effect": _effect, "test-quick": _quick}  # passed in, never registered


@pytest.fixture(autouse=True)
def _reset():
    RELEASE.clear()
    STARTED.clear()
    yield
    RELEASE.set()


def _submit(factory, kind: str, **params) -> str:
    with transaction(factory) as s:
        return jobqueue.submit(s, SYSTEM, kind, params, kinds=HANDLERS).id


def _job(factory, job_id: str) -> Job:
    with factory() as s:
        return s.get(Job, job_id)


def _expire(factory, job_id: str) -> None:
    with transaction(factory) as s:
        s.execute(
            update(Job).where(Job.id == job_id).values(lease_expires_at=utcnow() - dt.timedelta(seconds=1))
        )


def _aware(t: dt.datetime) -> dt.datetime:
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)  # SQLite gives naive UTC back


def _wait_for(predicate, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_expired_lease_requeues_with_backoff_then_fails_with_the_reason(factory):
    job_id = _submit(factory, "test-quick", n=1)
    for attempt in (1, 2, 3):
        with transaction(factory) as s:  # make it claimable now (skip the backoff)
            s.execute(update(Job).where(Job.id == job_id).values(run_after=None))
        ctx = jobqueue.claim(factory, f"dead-{attempt}", ["test-quick"], 60)
        assert ctx is not None and ctx.attempt == attempt
        assert jobqueue.reap(factory) == []  # the lease has not expired yet: nothing to do
        _expire(factory, job_id)
        outcome = jobqueue.reap(factory)
        job = _job(factory, job_id)
        if attempt < 3:
            assert outcome == [(job_id, "queued")]
            assert job.status == "queued" and job.claimed_by is None
            assert _aware(job.run_after) > utcnow()  # backoff: not claimable at once
            assert jobqueue.claim(factory, "eager", ["test-quick"], 60) is None
            assert "lease expired" in job.error and f"dead-{attempt}" in job.error
        else:
            assert outcome == [(job_id, "failed")]
            assert job.status == "failed" and "no attempts left (3)" in job.error
            assert job.finished_at is not None


def test_backoff_doubles_and_is_capped():
    assert [jobqueue.backoff_seconds(n) for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert jobqueue.backoff_seconds(30) == jobqueue.BACKOFF_MAX_SECONDS


def test_a_worker_that_lost_its_lease_cannot_record_its_outcome_or_effects(factory):
    job_id = _submit(factory, "test-effect")
    old = jobqueue.claim(factory, "old", ["test-effect"], 60)
    _expire(factory, job_id)
    jobqueue.reap(factory, backoff_base=0)
    new = jobqueue.claim(factory, "new", ["test-effect"], 60)
    assert new is not None and new.attempt == 2
    # the old w wakes up and finishes: its transaction is refused, nothing is written
    assert jobqueue.run_claimed(old, HANDLERS) == "lost"
    assert _job(factory, job_id).status == "running" and _effects(factory, job_id) == []
    assert jobqueue.finish(factory, old, "succeeded", {"x": 1}, None) is False
    # the new holder's effect and completion commit together, once
    assert jobqueue.run_claimed(new, HANDLERS) == "succeeded"
    job = _job(factory, job_id)
    assert job.status == "succeeded" and job.result == {"by": "new"} and job.error is None
    assert _effects(factory, job_id) == [f"{job_id} by new"]


def _effects(factory, job_id: str) -> list[str]:
    with factory() as s:
        return list(
            s.scalars(
                select(AuditEvent.detail).where(
                    AuditEvent.action == "effect", AuditEvent.detail.startswith(job_id)
                )
            )
        )


def test_cancel_stops_a_running_job(factory):
    w = workers.Worker(
        factory, handlers=HANDLERS, settings=jobqueue.QueueSettings(lease_seconds=2, poll_seconds=0.05)
    )
    w.start()
    try:
        job_id = _submit(factory, "test-wait")
        assert _wait_for(lambda: job_id in STARTED)
        with transaction(factory) as s:
            assert jobqueue.cancel(s, SYSTEM, job_id).status == "running"  # asked, not yet taken effect
        assert _wait_for(lambda: _job(factory, job_id).status == "cancelled")
        assert _job(factory, job_id).result is None
    finally:
        w.stop(timeout=5)


def test_each_kind_has_its_own_slots(factory):
    settings = jobqueue.QueueSettings(
        lease_seconds=5, poll_seconds=0.05, concurrency={"test-wait": 1, "*": 1}
    )
    w = workers.Worker(factory, handlers=HANDLERS, settings=settings)
    w.start()
    try:
        slow = _submit(factory, "test-wait")
        assert _wait_for(lambda: slow in STARTED)
        second_slow = _submit(factory, "test-wait")
        quick = _submit(factory, "test-quick", n=3)
        # the quick job runs while the slow kind's only slot is busy ...
        assert _wait_for(lambda: _job(factory, quick).status == "succeeded")
        # ... and the second job of the slow kind waits for its slot
        assert _job(factory, second_slow).status == "queued"
        RELEASE.set()
        assert _wait_for(lambda: _job(factory, second_slow).status == "succeeded")
    finally:
        RELEASE.set()
        w.stop(timeout=5)


def test_stopping_a_worker_returns_unfinished_jobs_without_using_an_attempt(factory):
    w = workers.Worker(
        factory, handlers=HANDLERS, settings=jobqueue.QueueSettings(lease_seconds=5, poll_seconds=0.05)
    )
    w.start()
    job_id = _submit(factory, "test-wait")
    assert _wait_for(lambda: job_id in STARTED)
    w.stop(timeout=0.2)  # drain time too short for the job: it goes back to the queue
    job = _job(factory, job_id)
    assert job.status == "queued" and job.attempts == 0 and job.claimed_by is None
    with factory() as s:
        assert s.get(JobWorker, w.id).state == "stopped"
    RELEASE.set()
    assert workers.drain(factory, HANDLERS) == 1
    assert _job(factory, job_id).status == "succeeded"


def test_a_worker_registers_and_heartbeats(factory):
    w = workers.Worker(
        factory, handlers=HANDLERS, settings=jobqueue.QueueSettings(lease_seconds=0.8, poll_seconds=0.05)
    )
    w.start()
    try:
        with factory() as s:
            first = s.get(JobWorker, w.id).heartbeat_at
            assert [w.id for w in jobqueue.alive_workers(s)] == [w.id]
        assert _wait_for(lambda: _aware(_beat(factory, w.id)) > _aware(first))
    finally:
        w.stop(timeout=1)
    with factory() as s:
        assert jobqueue.alive_workers(s) == []


def _beat(factory, worker_id):
    with factory() as s:
        return s.get(JobWorker, worker_id).heartbeat_at


def test_an_unreachable_database_is_logged_once_not_every_poll(caplog):
    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    w = workers.Worker(
        make_sessionmaker(engine),
        handlers=HANDLERS,
        settings=jobqueue.QueueSettings(lease_seconds=0.4, poll_seconds=0.01),
    )
    caplog.set_level(logging.INFO, logger="rcc.jobs")
    w._loop_thread.start()  # no registration: the database is down from the start
    w._beat_thread.start()
    time.sleep(1.5)
    w._state = "stopped"
    w._stop.set()
    w._wake.set()
    w._loop_thread.join(5)
    lines = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(lines) == 1 and not any(r.exc_info for r in caplog.records)
    engine.dispose()


def _flaky(ctx: JobContext) -> dict:
    if ctx.attempt == 1:
        from sqlalchemy.exc import OperationalError

        raise OperationalError("SELECT 1", {}, Exception("could not obtain lock"))
    return {"attempt": ctx.attempt}


HANDLERS["test-flaky"] = _flaky


def test_a_database_error_is_retried_with_backoff_a_domain_error_is_not(factory):
    job_id = _submit(factory, "test-flaky")
    ctx = jobqueue.claim(factory, "w", ["test-flaky"], 60)
    assert jobqueue.run_claimed(ctx, HANDLERS) == "queued"
    job = _job(factory, job_id)
    assert job.status == "queued" and "could not obtain lock" in job.error and job.attempts == 1
    with transaction(factory) as s:
        s.execute(update(Job).where(Job.id == job_id).values(run_after=None))
    assert workers.drain(factory, HANDLERS) == 1
    assert _job(factory, job_id).result == {"attempt": 2}
