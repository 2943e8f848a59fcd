"""Reuse the commissioner's aggregate reports while nothing they are computed from has changed.

Cost of care, the sufficiency gap and concentration take seconds on a region (thousands of
placements, homes and forecast rows) and are the same for every view until the register changes.
A report is kept keyed by the caller's scope, its parameters, today's date and a *fingerprint* of
the register: the latest change and the row count of every table the reports read, fetched in one
query. Any insert, update or delete there changes the fingerprint, so a kept report is never stale.

Only aggregate, non-child-level reports are kept: anything that reads a child's record (the
shortlist, the oversight register's children, stress-test results) is audited on every view, so it
always goes to the service.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import text
from sqlalchemy.orm import Session

from rcc.auth import Principal

T = TypeVar("T")

# tables with updated_at (TimestampMixin) and those with only a count that matters
_STAMPED = ("homes", "vacancies", "placements", "providers", "children", "referrals", "offers", "rccs")
_COUNTED = (*_STAMPED, "rcc_members", "sufficiency_returns", "unmet_need_records", "matching_policies")
_FINGERPRINT = text(
    "SELECT "
    + ", ".join(f"(SELECT max(updated_at) FROM {t})" for t in _STAMPED)
    + ", "
    + ", ".join(f"(SELECT count(*) FROM {t})" for t in _COUNTED)
    + ", (SELECT max(finished_at) FROM jobs)"
)
MAX_ENTRIES = 64

_lock = threading.Lock()
_entries: OrderedDict[tuple, Any] = OrderedDict()


def fingerprint(session: Session) -> tuple:
    return tuple(session.execute(_FINGERPRINT).one())


def _scope(who: Principal) -> tuple:
    return (who.role.value, who.rcc_id, who.la_id, who.provider_id, who.key_id if who.is_admin else None)


def kept(session: Session, who: Principal, name: str, params: tuple, compute: Callable[[], T]) -> T:
    """``compute()``'s result, or the one kept for the same caller scope, parameters, day and register."""
    key = (name, _scope(who), params, dt.date.today(), fingerprint(session))
    with _lock:
        if key in _entries:
            _entries.move_to_end(key)
            return _entries[key]
    value = compute()
    with _lock:
        _entries[key] = value
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)
    return value


def clear() -> None:
    with _lock:
        _entries.clear()
