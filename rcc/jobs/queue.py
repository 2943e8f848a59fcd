"""Persisted jobs for long work (region-wide matching runs, forecasts, stress tests): the queue.

This module is the queue itself (submit, read, cancel, claim with a lease, heartbeats, the reaper,
operators' list and retry); :mod:`rcc.jobs.worker` runs claimed jobs with the handlers listed in
:mod:`rcc.jobs.registry`.


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

import datetime as dt
import logging
import os
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from rcc.auth import Principal, Role
from rcc.config import Settings
from rcc.db import rowcount, transaction
from rcc.db.models import ApiKey, Job, JobWorker, RccMember, utcnow
from rcc.errors import Conflict, DomainError, Invalid, NotFound

log = logging.getLogger("rcc.jobs")

TERMINAL = ("succeeded", "failed", "cancelled")
DEFAULT_LEASE_SECONDS = 60.0
DEFAULT_MAX_ATTEMPTS = 3
BACKOFF_BASE_SECONDS = 5.0
BACKOFF_MAX_SECONDS = 300.0
WORKER_STALE_SECONDS = 90.0  # a worker row older than this is not counted as alive


class LeaseLost(Exception):
    """This worker no longer holds the job (its lease expired and the job was re-queued or failed)."""


def backoff_seconds(attempts: int, base: float = BACKOFF_BASE_SECONDS) -> float:
    """Delay before attempt ``attempts + 1``: base, 2×base, 4×base, ... capped at 5 minutes."""
    return min(BACKOFF_MAX_SECONDS, base * 2 ** max(0, attempts - 1))


def parse_concurrency(text: str | None) -> dict[str, int]:
    """``"matching_run=2,forecast=1,*=1"`` -> ``{"matching_run": 2, "forecast": 1, "*": 1}``."""
    out: dict[str, int] = {"*": 1}
    for part in (text or "").split(","):
        if part.strip():
            kind, _, n = part.partition("=")
            out[kind.strip()] = max(0, int(n or 1))
    return out


@dataclass(frozen=True)
class QueueSettings:
    lease_seconds: float = DEFAULT_LEASE_SECONDS
    drain_seconds: float = 30.0
    poll_seconds: float = 0.5
    concurrency: Mapping[str, int] = field(default_factory=lambda: {"*": 1})
    backoff_base: float = BACKOFF_BASE_SECONDS

    @property
    def heartbeat_seconds(self) -> float:
        return max(0.2, self.lease_seconds / 4)

    @classmethod
    def from_settings(cls, settings: Settings) -> QueueSettings:
        return cls(
            lease_seconds=settings.job_lease_seconds,
            drain_seconds=settings.job_drain_seconds,
            poll_seconds=settings.job_poll_seconds,
            concurrency=parse_concurrency(settings.job_concurrency),
            backoff_base=settings.job_backoff_seconds,
        )


# ---------------------------------------------------------------- the context a handler gets


@dataclass
class JobContext:
    """What a handler receives. ``cancelled()`` is cheap to poll (the heartbeat brings the flag; the
    database is asked at most every 2 s otherwise); :meth:`transaction` is fenced by the lease."""

    job_id: str
    kind: str
    params: dict[str, Any]
    sessions: sessionmaker[Session]
    principal: Principal
    worker_id: str | None = None
    attempt: int = 1
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)
    _lost: threading.Event = field(default_factory=threading.Event, repr=False)
    _completed: bool = field(default=False, repr=False)
    _checked_at: float = field(default=0.0, repr=False)

    def cancelled(self) -> bool:
        """True once cancel was requested, or the lease was lost (stop: the work is no longer ours)."""
        if self._cancel.is_set() or self._lost.is_set():
            return True
        now = time.monotonic()
        if now - self._checked_at >= 2.0:
            self._checked_at = now
            with self.sessions() as s:
                row = s.execute(
                    select(Job.cancel_requested, Job.status, Job.claimed_by).where(Job.id == self.job_id)
                ).first()
            if row is None or row.cancel_requested:
                self._cancel.set()
            elif self.worker_id is not None and (row.status != "running" or row.claimed_by != self.worker_id):
                self._lost.set()
        return self._cancel.is_set() or self._lost.is_set()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A transaction that commits only while this worker still holds the job."""
        with transaction(self.sessions) as s:
            _fence(s, self.job_id, self.worker_id)
            yield s

    def complete(self, session: Session, result: dict[str, Any]) -> None:
        """Mark the job succeeded inside ``session`` (one from :meth:`transaction`), so the job's side
        effects and its completion commit together."""
        status = "cancelled" if self._cancel.is_set() else "succeeded"
        session.execute(
            update(Job)
            .where(Job.id == self.job_id)
            .values(status=status, result=result if status == "succeeded" else None, error=None,
                    finished_at=utcnow(), lease_expires_at=None)
        )  # fmt: skip
        self._completed = True


def _fence(s: Session, job_id: str, worker_id: str | None) -> None:
    """Take the job's row for this transaction, or raise LeaseLost when it is no longer ours."""
    cond = [Job.id == job_id, Job.status == "running"]
    if worker_id is not None:
        cond.append(Job.claimed_by == worker_id)
    if not rowcount(s.execute(update(Job).where(*cond).values(heartbeat_at=utcnow()))):
        raise LeaseLost(job_id)


def principal_for(session: Session, job: Job) -> Principal:
    key = session.get(ApiKey, job.api_key_id) if job.api_key_id else None
    if key is None:
        return Principal(key_id=None, role=Role.ADMIN)
    las = (
        frozenset(session.scalars(select(RccMember.la_id).where(RccMember.rcc_id == key.rcc_id)))
        if key.rcc_id
        else frozenset()
    )
    return Principal(key.id, Role(key.role), key.rcc_id, key.la_id, key.provider_id, las)


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


Handler = Callable[[JobContext], dict[str, Any]]


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
