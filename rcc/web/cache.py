"""Reuse the commissioner's aggregate reports while nothing they are computed from has changed.

Cost of care, the sufficiency gap and concentration take seconds on a region (thousands of
placements, homes and forecast rows) and are the same for every view until the records change.
A report is kept keyed by the caller's scope, its parameters, today's date, the ``data`` version
counter (:mod:`rcc.db.versions`: bumped in the same transaction as any insert, update or delete of
the service's records, in any process) and when the latest job finished (a forecast the gap reads).
Checking costs two primary-key-sized reads, not a count of every table, so a kept report is never
stale and a view of one costs little.

Only aggregate, non-child-level reports are kept: anything that reads a child's record (the
shortlist, the oversight register's children, stress-test results) is audited on every view, so it
always goes to the service.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rcc.auth import Principal
from rcc.cache import VersionedCache
from rcc.db import versions
from rcc.db.models import Job

T = TypeVar("T")
MAX_ENTRIES = 64

_KEPT = VersionedCache(maxsize=MAX_ENTRIES, version=versions.DATA)


def fingerprint(session: Session) -> tuple:
    """What a kept report depends on beyond the data version: the latest job to finish."""
    return (session.scalar(select(func.max(Job.finished_at))),)


def _scope(who: Principal) -> tuple:
    return (who.role.value, who.rcc_id, who.la_id, who.provider_id, who.key_id if who.is_admin else None)


def kept(session: Session, who: Principal, name: str, params: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``'s result, or the one kept for the same caller scope, parameters, day and data."""
    key: Any = (name, _scope(who), params, dt.date.today(), fingerprint(session))
    return _KEPT.get(session, key, compute)


def clear() -> None:
    _KEPT.clear()
