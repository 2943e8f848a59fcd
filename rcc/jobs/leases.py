"""Persisted jobs: claims with a lease (``FOR UPDATE SKIP LOCKED``), heartbeats, the reaper, giving
jobs back, recording outcomes, and the workers' own heartbeat rows. See :mod:`rcc.jobs.queue`."""

from __future__ import annotations

import datetime as dt
import os
import socket
import traceback
import uuid
from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from rcc.db import rowcount, transaction
from rcc.db.models import Job, JobWorker, utcnow
from rcc.errors import DomainError
from rcc.jobs.context import (
    BACKOFF_BASE_SECONDS,
    DEFAULT_LEASE_SECONDS,
    WORKER_STALE_SECONDS,
    Handler,
    JobContext,
    LeaseLost,
    backoff_seconds,
    log,
    principal_for,
)

# ---------------------------------------------------------------- claims, heartbeats, the reaper


def claim(
    factory: sessionmaker[Session], worker_id: str, kinds: Collection[str] | None, lease_seconds: float
) -> JobContext | None:
    """Take the oldest claimable job of one of ``kinds`` (None: any kind) for a lease; None if there is none."""
    now = utcnow()
    with transaction(factory) as s:
        stmt = (
            select(Job)
            .where(Job.status == "queued", or_(Job.run_after.is_(None), Job.run_after <= now))
            .order_by(Job.created_at, Job.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if kinds is not None:
            if not kinds:
                return None
            stmt = stmt.where(Job.kind.in_(list(kinds)))
        job = s.scalars(stmt).first()
        if job is None:
            return None
        took = rowcount(
            s.execute(
                update(Job)
                .where(Job.id == job.id, Job.status == "queued")
                .values(
                    status="running",
                    claimed_by=worker_id,
                    attempts=Job.attempts + 1,
                    lease_expires_at=now + dt.timedelta(seconds=lease_seconds),
                    heartbeat_at=now,
                    started_at=now,
                )
                .execution_options(synchronize_session=False)
            )
        )
        if not took:  # SQLite: another worker got there between our read and our write
            return None
        s.refresh(job)
        return JobContext(
            job.id, job.kind, dict(job.params or {}), factory, principal_for(s, job), worker_id, job.attempts
        )


def renew(
    factory: sessionmaker[Session], worker_id: str, job_ids: Collection[str], lease_seconds: float
) -> tuple[set[str], set[str]]:
    """Extend the leases this worker holds; returns (jobs still held, jobs asked to cancel)."""
    if not job_ids:
        return set(), set()
    now = utcnow()
    with transaction(factory) as s:
        s.execute(
            update(Job)
            .where(Job.id.in_(list(job_ids)), Job.claimed_by == worker_id, Job.status == "running")
            .values(lease_expires_at=now + dt.timedelta(seconds=lease_seconds), heartbeat_at=now)
            .execution_options(synchronize_session=False)
        )
        rows = s.execute(
            select(Job.id, Job.cancel_requested).where(
                Job.id.in_(list(job_ids)), Job.claimed_by == worker_id, Job.status == "running"
            )
        ).all()
    return {r.id for r in rows}, {r.id for r in rows if r.cancel_requested}


def reap(factory: sessionmaker[Session], backoff_base: float = BACKOFF_BASE_SECONDS) -> list[tuple[str, str]]:
    """Settle every running job whose lease has expired: back to the queue with a backoff while it has
    attempts left, else failed with the reason (cancelled if cancel was asked). Returns (job, outcome)."""
    now = utcnow()
    out: list[tuple[str, str]] = []
    with transaction(factory) as s:
        expired = s.scalars(
            select(Job)
            .where(Job.status == "running", Job.lease_expires_at < now)
            .with_for_update(skip_locked=True)
            .limit(50)
        ).all()
        for job in expired:
            why = f"attempt {job.attempts}: lease expired at {job.lease_expires_at:%H:%M:%S} (worker {job.claimed_by} stopped renewing it)"
            values: dict[str, Any]
            if job.cancel_requested:
                values = {"status": "cancelled", "finished_at": now, "error": why}
            elif job.attempts >= job.max_attempts:
                values = {
                    "status": "failed",
                    "finished_at": now,
                    "error": f"{why}; no attempts left ({job.max_attempts})",
                }
            else:
                values = {"status": "queued", "run_after": now + dt.timedelta(seconds=backoff_seconds(job.attempts, backoff_base)), "error": why}  # fmt: skip
            values.update(claimed_by=None, lease_expires_at=None)
            took = rowcount(
                s.execute(
                    update(Job)
                    .where(Job.id == job.id, Job.status == "running", Job.lease_expires_at < now)
                    .values(**values)
                    .execution_options(synchronize_session=False)
                )
            )
            if took:
                out.append((job.id, values["status"]))
    for job_id, outcome in out:
        log.warning("job %s: lease expired -> %s", job_id, outcome)
    return out


def give_back(factory: sessionmaker[Session], worker_id: str, job_ids: Collection[str]) -> int:
    """Return jobs this worker holds to the queue at once (a draining worker's unfinished jobs); the
    attempt is not counted against the job."""
    if not job_ids:
        return 0
    with transaction(factory) as s:
        return rowcount(s.execute(
            update(Job)
            .where(Job.id.in_(list(job_ids)), Job.claimed_by == worker_id, Job.status == "running")
            .values(status="queued", claimed_by=None, lease_expires_at=None, attempts=Job.attempts - 1,
                    error="returned to the queue by a worker shutting down")
            .execution_options(synchronize_session=False)
        ))  # fmt: skip


def finish(
    factory: sessionmaker[Session],
    ctx: JobContext,
    status: str,
    result: dict[str, Any] | None,
    error: str | None,
) -> bool:
    """Record the outcome if this worker still holds the job; False when the lease was lost."""
    with transaction(factory) as s:
        cond = [Job.id == ctx.job_id, Job.status == "running"]
        if ctx.worker_id is not None:
            cond.append(Job.claimed_by == ctx.worker_id)
        return bool(
            rowcount(s.execute(
                update(Job)
                .where(*cond)
                .values(status=status, result=result if status == "succeeded" else None, error=error,
                        finished_at=utcnow(), lease_expires_at=None)
                .execution_options(synchronize_session=False)
            ))
        )  # fmt: skip


def retry_later(ctx: JobContext, reason: str, backoff_base: float = BACKOFF_BASE_SECONDS) -> str:
    """Back to the queue with a backoff while attempts are left, else failed with ``reason``."""
    now = utcnow()
    with transaction(ctx.sessions) as s:
        job = s.get(Job, ctx.job_id)
        if job is None or job.status != "running" or (ctx.worker_id and job.claimed_by != ctx.worker_id):
            return "lost"
        if job.attempts >= job.max_attempts:
            job.status, job.finished_at = "failed", now
            job.error = f"{reason}; no attempts left ({job.max_attempts})"
        else:
            job.status, job.error = "queued", reason
            job.run_after = now + dt.timedelta(seconds=backoff_seconds(job.attempts, backoff_base))
        job.claimed_by, job.lease_expires_at = None, None
        return job.status


def run_claimed(ctx: JobContext, handlers: Mapping[str, Handler]) -> str:
    """Run a claimed job's handler and record its outcome; returns the status recorded (or 'lost')."""
    try:
        result = handlers[ctx.kind](ctx)
        if ctx._completed:
            return "succeeded"
        status, error = (
            ("cancelled", None) if ctx.cancelled() and not ctx._lost.is_set() else ("succeeded", None)
        )
        if ctx._lost.is_set():
            return "lost"
    except LeaseLost:
        log.warning("job %s: lease lost; its work is discarded", ctx.job_id)
        return "lost"
    except DomainError as exc:
        result, status, error = None, "failed", exc.message
    except OperationalError as exc:  # the database went away, a deadlock, a lock timeout: try again later
        reason = f"attempt {ctx.attempt}: {type(exc.orig).__name__ if exc.orig else 'database'}: {str(exc.orig or exc).splitlines()[0][:200]}"
        log.warning("job %s: %s", ctx.job_id, reason)
        try:
            return retry_later(ctx, reason)
        except SQLAlchemyError:
            return "lost"  # the lease will expire and the reaper re-queues it
    except Exception:  # a failed job is recorded, never lost
        log.exception("job %s failed", ctx.job_id)
        result, status, error = None, "failed", traceback.format_exc(limit=5)
    if not finish(ctx.sessions, ctx, status, result, error):
        log.warning("job %s: lease lost before it finished; outcome %s discarded", ctx.job_id, status)
        return "lost"
    return status


def claim_next(
    factory: sessionmaker[Session],
    worker_id: str | None = None,
    kinds: Collection[str] | None = None,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
) -> JobContext | None:
    """Take the oldest claimable job (of ``kinds``; None: any) for a lease; None when the queue is empty."""
    return claim(factory, worker_id or new_worker_id(), kinds, lease_seconds)


def claim_one(
    factory: sessionmaker[Session], job_id: str, lease_seconds: float = DEFAULT_LEASE_SECONDS
) -> JobContext | None:
    """Take this queued job for a lease (the CLI runs one job in its own process); None when it is not queued."""
    now = utcnow()
    wid = new_worker_id()
    with transaction(factory) as s:
        took = s.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == "queued")
            .values(status="running", claimed_by=wid, attempts=Job.attempts + 1, heartbeat_at=now,
                    lease_expires_at=now + dt.timedelta(seconds=lease_seconds), started_at=now)
            .execution_options(synchronize_session=False)
        )  # fmt: skip
        if not rowcount(took):
            return None
        job = s.get_one(Job, job_id)
        return JobContext(
            job.id, job.kind, dict(job.params or {}), factory, principal_for(s, job), wid, job.attempts
        )


def run_with(ctx: JobContext, handler: Handler) -> str:
    """Run a claimed job with ``handler`` and store its outcome (fenced by the lease); returns the status."""
    return run_claimed(ctx, {ctx.kind: handler})


# ---------------------------------------------------------------- the worker


def new_worker_id() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def _register(
    factory: sessionmaker[Session], worker_id: str, kinds: Mapping[str, int], state: str, running: int
) -> None:
    now = utcnow()
    with transaction(factory) as s:
        row = s.get(JobWorker, worker_id)
        if row is None:
            s.add(JobWorker(id=worker_id, hostname=socket.gethostname()[:120], pid=os.getpid(), kinds=dict(kinds),
                            state=state, running=running, started_at=now, heartbeat_at=now))  # fmt: skip
        else:
            row.state, row.running, row.heartbeat_at = state, running, now
        # rows of workers gone for a day are history nobody needs
        s.execute(delete(JobWorker).where(JobWorker.heartbeat_at < now - dt.timedelta(days=1)))


def alive_workers(session: Session, within_seconds: float = WORKER_STALE_SECONDS) -> list[JobWorker]:
    since = utcnow() - dt.timedelta(seconds=within_seconds)
    return list(
        session.scalars(
            select(JobWorker)
            .where(JobWorker.heartbeat_at >= since, JobWorker.state != "stopped")
            .order_by(JobWorker.id)
        )
    )
