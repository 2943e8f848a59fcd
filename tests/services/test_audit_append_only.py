"""The audit trail is append-only in the database itself: UPDATE, DELETE and (PostgreSQL) TRUNCATE
are refused whoever asks."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import DatabaseError

from rcc.db import make_engine
from rcc.db.models import AuditEvent


@pytest.mark.parametrize(
    "stmt", ["UPDATE audit_events SET detail = 'x'", "DELETE FROM audit_events", "TRUNCATE audit_events"]
)
def test_the_audit_table_refuses_changes(db_url, stmt):
    engine = make_engine(db_url)
    if stmt.startswith("TRUNCATE") and engine.dialect.name == "sqlite":
        pytest.skip("SQLite has no TRUNCATE")
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(AuditEvent), [{"role": "admin", "action": "read", "entity": "child", "entity_id": 1}]
            )
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(text(stmt))
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM audit_events")).scalar_one() == 1
    finally:
        engine.dispose()
