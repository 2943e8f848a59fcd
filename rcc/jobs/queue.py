"""Persisted jobs for long work (region-wide matching runs, forecasts, stress tests): the queue.

This module is the queue's face (submit, read, cancel, operators' list and retry, and every name
below, re-exported): :mod:`rcc.jobs.context` holds what a handler gets and the settings,
:mod:`rcc.jobs.leases` the claims, heartbeats and the reaper; :mod:`rcc.jobs.worker` runs claimed
jobs with the handlers listed in :mod:`rcc.jobs.registry`.


A queued job is claimed by one worker process (``claimed_by``) for a lease (``RCC_JOB_LEASE_SECONDS``,
60 s by default) that the worker renews with a heartbeat every quarter of the lease. When a worker
dies (kill -9, a lost machine) its heartbeats stop; once the lease has expired any worker's reaper
puts the job back in the queue with a backoff (``attempts`` < ``max_attempts``), or fails it with the
reason. So no job stays ``running`` after its worker has gone, and each is settled within its lease.

Claims are ``SELECT ... FOR UPDATE SKIP LOCKED`` then a conditional ``UPDATE ... WHERE status =
'queued'``: on PostgreSQL workers never block each other or take the same job; on SQLite, which has no
row locks and one writer at a time, SQLAlchemy leaves the ``FOR UPDATE`` out and the conditional
update alone decides (one code path for both).

Every write a job makes to its results is *fenced*: :meth:`JobContext.transaction` first re-takes the
job's row (``UPDATE jobs ... WHERE id = ? AND claimed_by = me AND status = 'running'``) and refuses
with :class:`LeaseLost` when another worker has since taken the job over. A handler that writes
side effects calls :meth:`JobContext.complete` inside that transaction, so its effects and the
job's ``succeeded`` commit together: a job re-run after a crash never doubles them.

A worker runs each job kind on its own slots (``RCC_JOB_CONCURRENCY``, e.g.
``matching_run=2,forecast=1,*=1``), so a matching run never waits behind a backtest. On SIGTERM a
worker stops claiming, lets running jobs finish for ``RCC_JOB_DRAIN_SECONDS`` and returns the rest
to the queue (without using up an attempt), then exits. While the database is unreachable it backs
off (up to 30 s) and logs one line when that state begins and one when it ends.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rcc.auth import Principal, Role
from rcc.db.models import Job, utcnow
from rcc.errors import Conflict, Invalid, NotFound
from rcc.jobs.context import (
    BACKOFF_BASE_SECONDS,
    BACKOFF_MAX_SECONDS,
    DEFAULT_LEASE_SECONDS,
    DEFAULT_MAX_ATTEMPTS,
    TERMINAL,
    WORKER_STALE_SECONDS,
    Handler,
    JobContext,
    LeaseLost,
    QueueSettings,
    backoff_seconds,
    parse_concurrency,
    principal_for,
)
from rcc.jobs.leases import (
    _register,
    alive_workers,
    claim,
    claim_next,
    claim_one,
    finish,
    give_back,
    new_worker_id,
    reap,
    renew,
    retry_later,
    run_claimed,
    run_with,
)

__all__ = [
    "BACKOFF_BASE_SECONDS", "BACKOFF_MAX_SECONDS", "DEFAULT_LEASE_SECONDS", "DEFAULT_MAX_ATTEMPTS",
    "FORECAST", "FORECAST_BACKTEST", "KINDS", "MATCHING_RUN", "STRESS_TEST", "TERMINAL",
    "WORKER_STALE_SECONDS", "Handler", "JobContext", "LeaseLost", "QueueSettings", "_register",
    "alive_workers", "backoff_seconds", "cancel", "claim", "claim_next", "claim_one", "finish", "get",
    "give_back", "list_jobs", "new_worker_id", "parse_concurrency", "principal_for", "reap", "renew",
    "retry", "retry_later", "run_claimed", "run_with", "submit",
]  # fmt: skip

# The job kinds this service runs; rcc.jobs.registry maps each to its handler.
FORECAST = "forecast"
FORECAST_BACKTEST = "forecast_backtest"
MATCHING_RUN = "matching_run"
STRESS_TEST = "commissioning_stress_test"
KINDS: frozenset[str] = frozenset({FORECAST, FORECAST_BACKTEST, MATCHING_RUN, STRESS_TEST})


def submit(
    session: Session,
    who: Principal,
    kind: str,
    params: dict[str, Any],
    rcc_id: int | None = None,
    *,
    kinds: Collection[str] = KINDS,
) -> Job:
    if kind not in kinds:
        raise Invalid(f"unknown job kind {kind!r}", "kind")
    job = Job(
        id=str(uuid.uuid4()),
        kind=kind,
        status="queued",
        params=params,
        api_key_id=who.key_id,
        rcc_id=rcc_id,
        la_id=who.la_id,
    )
    session.add(job)
    session.flush()
    return job


def get(session: Session, who: Principal, job_id: str, kind: str | None = None) -> Job:
    job = session.get(Job, job_id)
    if job is None or (kind and job.kind != kind) or not _visible(who, job):
        raise NotFound("job", job_id)
    return job


def _visible(who: Principal, job: Job) -> bool:
    if who.is_admin or job.api_key_id == who.key_id:
        return True
    return who.role is Role.RCC_COMMISSIONER and job.rcc_id is not None and job.rcc_id == who.rcc_id


def cancel(session: Session, who: Principal, job_id: str, kind: str | None = None) -> Job:
    job = get(session, who, job_id, kind)
    if job.status in TERMINAL:
        raise Conflict(f"job {job_id} has already {job.status}")
    if job.status == "queued":
        job.status, job.finished_at = "cancelled", utcnow()
    job.cancel_requested = True
    session.flush()
    return job


# ---------------------------------------------------------------- operators (``rcc jobs ...``)


def list_jobs(
    session: Session, status: str | None = None, kind: str | None = None, limit: int = 50
) -> list[Job]:
    stmt = select(Job).order_by(Job.created_at.desc()).limit(limit)
    if status:
        stmt = stmt.where(Job.status == status)
    if kind:
        stmt = stmt.where(Job.kind == kind)
    return list(session.scalars(stmt))


def retry(session: Session, job_id: str) -> Job:
    """Queue a failed or cancelled job again, with its attempts reset."""
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound("job", job_id)
    if job.status not in ("failed", "cancelled"):
        raise Conflict(f"job {job_id} is {job.status}; only failed or cancelled jobs are retried")
    job.error = f"retried by an operator (was {job.status}): {job.error or ''}"[:2000]
    job.status, job.attempts, job.run_after, job.cancel_requested = "queued", 0, None, False
    job.result = job.finished_at = job.claimed_by = job.lease_expires_at = None
    session.flush()
    return job
