"""The append-only audit trail of every read or change of a child record."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import insert
from sqlalchemy.orm import Session

from rcc.auth import Principal
from rcc.db.models import AuditEvent, utcnow


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
        for i in ids
    ]
    if rows:
        session.execute(insert(AuditEvent), rows)
