"""The register version: one counter in ``data_versions`` that every change to the register bumps.

Each API process caches what is expensive to rebuild from the database (the prepared matching
register of an RCC). A cache entry remembers the register version it was built at; a reader asks
the database for the current version (one primary-key read) and rebuilds only when it moved. The
bump happens in the same transaction as the change, so several processes on one database stay
consistent without a message broker: a reader either sees the change and the new version, or
neither.

``register`` tracks homes, vacancies, placements, children (resident ages) and matching policies;
``data`` tracks every table but the bookkeeping ones (audit trail, jobs, workers, keys), for caches
of reports. Changes count whether made through the ORM unit of work or by
``session.execute(insert/update/delete(...))``. The
counter row is written as the transaction's last statement (``before_commit``, after the final
flush), so the row lock is held only for the commit and is always taken last: writers never
deadlock on it, and writers that touch nothing tracked never wait for it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, text
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

REGISTER = "register"
DATA = "data"  # any change to the service's records (not its bookkeeping): reports cache on this one
TRACKED_TABLES = frozenset({"homes", "vacancies", "placements", "children", "matching_policies"})
BOOKKEEPING = frozenset(
    {"audit_events", "jobs", "job_workers", "data_versions", "api_keys", "alembic_version"}
)
_FLAG = "rcc_versions_changed"


def _names_for(table: str | None) -> set[str]:
    if table is None or table in BOOKKEEPING:
        return set()
    return {REGISTER, DATA} if table in TRACKED_TABLES else {DATA}


_BUMP = text(
    "INSERT INTO data_versions (name, version) VALUES (:n, 1) "
    "ON CONFLICT (name) DO UPDATE SET version = data_versions.version + 1"
)
_READ = text("SELECT version FROM data_versions WHERE name = :n")


def current(session: Session, name: str = REGISTER) -> int:
    """The counter's value now (0 before the first change)."""
    return int(session.execute(_READ, {"n": name}).scalar() or 0)


def bump(session: Session, name: str = REGISTER) -> None:
    """Move the counter on, inside the session's transaction."""
    session.execute(_BUMP, {"n": name})


def _table_of(obj: Any) -> str | None:
    table = getattr(type(obj), "__table__", None)
    return getattr(table, "name", None)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _ctx: UOWTransaction) -> None:
    flagged: set[str] = session.info.setdefault(_FLAG, set())
    if flagged >= {REGISTER, DATA}:
        return
    for obj in (*session.new, *session.deleted, *session.dirty):
        names = _names_for(_table_of(obj))
        if names - flagged and (obj not in session.dirty or session.is_modified(obj)):
            flagged |= names


@event.listens_for(Session, "do_orm_execute")
def _bulk(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    names = _names_for(getattr(table, "name", None))
    if names:
        state.session.info.setdefault(_FLAG, set()).update(names)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    session.flush()  # the final flush, so that every change has been seen
    for name in sorted(session.info.pop(_FLAG, ())):  # always in one order: writers never deadlock here
        bump(session, name)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_FLAG, None)
