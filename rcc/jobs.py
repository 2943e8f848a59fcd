"""Persisted jobs for long work (region-wide matching runs, forecasts, stress tests).

A job is a row in ``jobs``; nothing lives in process memory. Any number of workers
(the in-process one that ``rcc serve`` starts on the embedded default, or ``rcc worker``
processes beside a PostgreSQL deployment) claim queued jobs for a lease that they renew
with a heartbeat (:mod:`rcc.jobqueue`), so a job runs once and a job whose worker died
goes back to the queue. Handlers are plain functions registered by kind; they receive a
:class:`JobContext` and return a JSON-able result. A cancel request is honoured before
start and, while running, at the handler's next ``ctx.cancelled()`` check.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from rcc import jobqueue
from rcc.auth import Principal, Role
from rcc.db.models import Job, utcnow
from rcc.errors import Conflict, Invalid, NotFound

log = logging.getLogger("rcc.jobs")

TERMINAL = jobqueue.TERMINAL


JobContext = jobqueue.JobContext
LeaseLost = jobqueue.LeaseLost

Handler = Callable[[JobContext], dict[str, Any]]
_HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that runs jobs of ``kind``."""

    def deco(fn: Handler) -> Handler:
        _HANDLERS[kind] = fn
        return fn

    return deco


def _load_handlers() -> None:
    # Importing the domain modules registers their handlers.
    import rcc.services.commissioning  # noqa: F401
    import rcc.services.matching  # noqa: F401
    import rcc.services.sufficiency  # noqa: F401


def submit(
    session: Session, who: Principal, kind: str, params: dict[str, Any], rcc_id: int | None = None
) -> Job:
    _load_handlers()
    if kind not in _HANDLERS:
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


_principal_for = jobqueue.principal_for


def handlers() -> dict[str, Handler]:
    """Every registered job kind and its handler."""
    _load_handlers()
    return dict(_HANDLERS)


def claim_next(factory: sessionmaker[Session], worker_id: str | None = None) -> JobContext | None:
    """Claim the oldest queued job of any registered kind for a lease; None when the queue is empty."""
    return jobqueue.claim(
        factory,
        worker_id or jobqueue.new_worker_id(),
        list(handlers()),
        jobqueue.QueueSettings.from_env().lease_seconds,
    )


def run_one(ctx: JobContext) -> str:
    """Run a claimed job here and record its outcome (fenced by its lease)."""
    return jobqueue.run_claimed(ctx, handlers())


def drain(factory: sessionmaker[Session]) -> int:
    """Run queued jobs until none is left (used by tests and ``rcc worker --once``)."""
    return jobqueue.drain(factory, handlers())


def Worker(  # noqa: N802 - kept as the class-like constructor callers already use
    factory: sessionmaker[Session],
    poll_seconds: float | None = None,
    settings: jobqueue.QueueSettings | None = None,
) -> jobqueue.Worker:
    """A background worker (claims, heartbeats, reaper) over every registered job kind."""
    base = settings or jobqueue.QueueSettings.from_env()
    if poll_seconds is not None:
        base = replace(base, poll_seconds=poll_seconds)
    return jobqueue.Worker(factory, handlers, base)
