"""Audit trail: refuse TRUNCATE too (PostgreSQL), and index events by time and key for GET /audit.

UPDATE and DELETE are already refused by 0001's triggers. PostgreSQL's row triggers do not fire on
TRUNCATE, so a statement-level BEFORE TRUNCATE trigger refuses it; SQLite has no TRUNCATE.

Revision ID: 0005_integrity_audit
Revises: 0004
Create Date: 2026-11-30 20:30:00.000000
"""

from alembic import op

revision = "0005_integrity_audit"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()"
        )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_events_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_events_api_key_id"), ["api_key_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_api_key_id"))
        batch_op.drop_index(batch_op.f("ix_audit_events_at"))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
