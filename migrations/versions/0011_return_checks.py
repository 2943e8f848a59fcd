"""Previous-year checks on stored returns, kept: which year-1 version each return was checked against.

A return for year Y is checked against the LA's stored Y-1 return when it arrives. When Y-1
arrives later (or a new version of it), Y is checked again and the run is recorded here, with
its findings, next to the run made on submission. Returns stored before this revision have no
row: their check was not recorded.

Revision ID: 0011_return_checks
Revises: 0010_unmet_once
Create Date: 2026-12-01 02:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_return_checks"
down_revision = "0010_unmet_once"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sufficiency_return_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("return_id", sa.Integer(), nullable=False),
        sa.Column("previous_return_id", sa.Integer(), nullable=True),
        sa.Column("previous_version", sa.Integer(), nullable=True),
        sa.Column("trigger", sa.String(length=12), nullable=False),
        sa.Column("triggered_by_return_id", sa.Integer(), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finding_count", sa.Integer(), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["return_id"], ["sufficiency_returns.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["previous_return_id"], ["sufficiency_returns.id"]),
        sa.ForeignKeyConstraint(["triggered_by_return_id"], ["sufficiency_returns.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_sufficiency_return_checks_return_id", "sufficiency_return_checks", ["return_id"], unique=False
    )
    op.create_index(
        "ix_sufficiency_return_checks_triggered_by_return_id",
        "sufficiency_return_checks",
        ["triggered_by_return_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        "ix_sufficiency_return_checks_triggered_by_return_id", table_name="sufficiency_return_checks"
    )
    op.drop_index("ix_sufficiency_return_checks_return_id", table_name="sufficiency_return_checks")
    op.drop_table("sufficiency_return_checks")
