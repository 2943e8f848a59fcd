"""The append-only audit trail of every read or change of a record that names a child, and of
every refused attempt.

Events are written in the same transaction as the access itself (:func:`record`), so an access
that rolls back leaves no event and an event never exists without its access. A refused attempt
(403 or 404 for an authenticated key) rolls its request back, so :func:`refused` writes it in a
transaction of its own once the request's has ended. The database refuses UPDATE, DELETE and
(PostgreSQL) TRUNCATE of ``audit_events``.

Who may read the trail (:func:`list_events`): admins everything; a commissioner the events about
children of their RCC's member LAs and the events of keys scoped to their RCC or its LAs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, insert, or_, select
from sqlalchemy.orm import Session

from rcc.auth import Principal, Role
from rcc.db.models import ApiKey, AuditEvent, Child, utcnow
from rcc.errors import Forbidden

_TABLE = AuditEvent.metadata.tables[AuditEvent.__tablename__]


def record(
    session: Session,
    who: Principal,
    action: str,
    entity: str,
    ids: Iterable[int],
    detail: str | None = None,
) -> None:
    """Append one event per record; written in the same transaction as the access itself."""
    now = utcnow()
    rows = [
        {
            "at": now,
            "api_key_id": who.key_id,
            "role": who.role.value,
            "action": action,
            "entity": entity,
            "entity_id": i,
            "detail": detail,
        }
        for i in dict.fromkeys(ids)
    ]
    if rows:
        # a Core insert into the table: the ORM's bulk-insert path costs several times the CPU for
        # the same single INSERT, on every read of a child's record
        session.execute(insert(_TABLE), rows)


def refused(engine: Engine, who: Principal, entity: str, ident: int, detail: str) -> None:
    """Record a refused attempt in its own transaction (the request's has rolled back)."""
    with engine.begin() as conn:
        conn.execute(
            insert(AuditEvent),
            [
                {
                    "at": utcnow(),
                    "api_key_id": who.key_id,
                    "role": who.role.value,
                    "action": "refused",
                    "entity": entity[:20],
                    "entity_id": ident,
                    "detail": detail[:1000],
                }
            ],
        )


@dataclass(frozen=True)
class AuditFilter:
    child_id: int | None = None
    api_key_id: int | None = None
    action: str | None = None
    entity: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def events_query(who: Principal, f: AuditFilter):
    """Audit events ``who`` may read, newest first, filtered."""
    if who.role not in (Role.ADMIN, Role.RCC_COMMISSIONER):
        raise Forbidden("only admins and commissioners read the audit trail")
    stmt = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if who.role is Role.RCC_COMMISSIONER:
        las = list(who.rcc_la_ids)
        about_children = (AuditEvent.entity == "child") & AuditEvent.entity_id.in_(
            select(Child.id).where(Child.la_id.in_(las))
        )
        by_keys = AuditEvent.api_key_id.in_(
            select(ApiKey.id).where(or_(ApiKey.rcc_id == who.rcc_id, ApiKey.la_id.in_(las)))
        )
        stmt = stmt.where(or_(about_children, by_keys))
    if f.child_id is not None:
        stmt = stmt.where(AuditEvent.entity == "child", AuditEvent.entity_id == f.child_id)
    if f.entity is not None:
        stmt = stmt.where(AuditEvent.entity == f.entity)
    if f.api_key_id is not None:
        stmt = stmt.where(AuditEvent.api_key_id == f.api_key_id)
    if f.action is not None:
        stmt = stmt.where(AuditEvent.action == f.action)
    if f.since is not None:
        stmt = stmt.where(AuditEvent.at >= f.since)
    if f.until is not None:
        stmt = stmt.where(AuditEvent.at < f.until)
    return stmt
