"""Persisted jobs: what a handler gets (:class:`JobContext`, fenced by the lease), the queue's
settings and constants, and who a job runs as. The queue's overview is in :mod:`rcc.jobs.queue`."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from rcc.auth import Principal, Role
from rcc.config import Settings
from rcc.db import rowcount, transaction
from rcc.db.models import ApiKey, Job, RccMember, utcnow

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


Handler = Callable[[JobContext], dict[str, Any]]
