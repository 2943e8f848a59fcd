"""Persisted jobs for long work (region-wide matching runs, forecasts, stress tests).

This module is the queue itself (submit, read, cancel, claim); :mod:`rcc.jobs.worker` runs
claimed jobs with the handlers listed in :mod:`rcc.jobs.registry`.

A job is a row in ``jobs``; nothing lives in process memory. Any number of workers
(the in-process one that ``rcc serve`` starts on the embedded default, or ``rcc worker``
processes beside a PostgreSQL deployment) claim queued jobs with a conditional UPDATE,
so a job runs once. Handlers are plain functions, mapped by kind in one place (the registry); they receive a
:class:`JobContext` and return a JSON-able result. A cancel request is honoured
before start and, for handlers that poll ``ctx.cancelled()``, while running.
"""

from __future__ import annotations

import logging
import traceback
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from rcc.auth import Principal, Role
from rcc.db import rowcount, transaction
from rcc.db.models import Job, utcnow
from rcc.errors import Conflict, DomainError, Invalid, NotFound

log = logging.getLogger("rcc.jobs")

TERMINAL = ("succeeded", "failed", "cancelled")


@dataclass(frozen=True)
class JobContext:
    job_id: str
    kind: str
    params: dict[str, Any]
    sessions: sessionmaker[Session]
    principal: Principal

    def cancelled(self) -> bool:
        with self.sessions() as s:
            return bool(s.scalar(select(Job.cancel_requested).where(Job.id == self.job_id)))


Handler = Callable[[JobContext], dict[str, Any]]

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


def _principal_for(session: Session, job: Job) -> Principal:
    from rcc.db.models import ApiKey, RccMember

    key = session.get(ApiKey, job.api_key_id) if job.api_key_id else None
    if key is None:
        return Principal(key_id=None, role=Role.ADMIN)
    las = (
        frozenset(session.scalars(select(RccMember.la_id).where(RccMember.rcc_id == key.rcc_id)))
        if key.rcc_id
        else frozenset()
    )
    return Principal(key.id, Role(key.role), key.rcc_id, key.la_id, key.provider_id, las)


def claim(factory: sessionmaker[Session], job_id: str) -> JobContext | None:
    """Move this queued job to running; None when it is not queued (a worker may have taken it)."""
    with transaction(factory) as s:
        claimed = s.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == "queued")
            .values(status="running", started_at=utcnow())
        )
        if not rowcount(claimed):
            return None
        job = s.get_one(Job, job_id)
        return JobContext(job.id, job.kind, dict(job.params or {}), factory, _principal_for(s, job))


def claim_next(factory: sessionmaker[Session]) -> JobContext | None:
    """Atomically move the oldest queued job to running; None when the queue is empty."""
    with transaction(factory) as s:
        candidates = s.scalars(
            select(Job.id).where(Job.status == "queued").order_by(Job.created_at).limit(5)
        ).all()
        for job_id in candidates:
            claimed = rowcount(
                s.execute(
                    update(Job)
                    .where(Job.id == job_id, Job.status == "queued")
                    .values(status="running", started_at=utcnow())
                )
            )
            if claimed:
                job = s.get_one(Job, job_id)
                return JobContext(job.id, job.kind, dict(job.params or {}), factory, _principal_for(s, job))
    return None


def run_with(ctx: JobContext, handler: Handler) -> None:
    """Run a claimed job with ``handler`` and store its outcome: result, failure (never lost) or cancel."""
    result: dict[str, Any] | None
    try:
        result = handler(ctx)
        status, error = ("cancelled", None) if ctx.cancelled() else ("succeeded", None)
    except DomainError as exc:
        result, status, error = None, "failed", exc.message
    except Exception:  # a failed job is recorded, never lost
        log.exception("job %s failed", ctx.job_id)
        result, status, error = None, "failed", traceback.format_exc(limit=5)
    with transaction(ctx.sessions) as s:
        s.execute(
            update(Job)
            .where(Job.id == ctx.job_id)
            .values(
                status=status,
                result=result if status == "succeeded" else None,
                error=error,
                finished_at=utcnow(),
            )
        )
