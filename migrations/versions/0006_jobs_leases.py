"""Jobs that survive crashes, and a register version for caches in every process.

- ``jobs`` gains a lease (``claimed_by``, ``lease_expires_at``, ``heartbeat_at``), attempts with a
  limit and a backoff time (``attempts``, ``max_attempts``, ``run_after``): a job whose worker stops
  renewing its lease goes back to the queue, and after ``max_attempts`` it fails with the reason.
- ``job_workers``: one row per worker process (its kinds, state and last heartbeat), which
  ``/health/ready`` and ``rcc jobs list`` read.
- ``data_versions``: counters bumped in the same transaction as every change to a home, vacancy,
  placement or matching policy, so each API process knows when its cached register is stale.

Revision ID: 0005_jobs_leases
Revises: 0005_integrity_audit
Create Date: 2026-11-30 20:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_jobs_leases"
down_revision = "0005_integrity_audit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("max_attempts", sa.Integer(), nullable=False, server_default="3"))
        batch_op.add_column(sa.Column("run_after", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_jobs_status_created", ["status", "created_at"], unique=False)
        batch_op.create_index("ix_jobs_status_lease", ["status", "lease_expires_at"], unique=False)
    op.create_table(
        "job_workers",
        sa.Column("id", sa.String(length=120), nullable=False),
        sa.Column("hostname", sa.String(length=120), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("running", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "data_versions",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.execute("INSERT INTO data_versions (name, version) VALUES ('register', 0), ('data', 0)")


def downgrade() -> None:
    op.drop_table("data_versions")
    op.drop_table("job_workers")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_status_lease")
        batch_op.drop_index("ix_jobs_status_created")
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("lease_expires_at")
        batch_op.drop_column("claimed_by")
        batch_op.drop_column("run_after")
        batch_op.drop_column("max_attempts")
        batch_op.drop_column("attempts")
