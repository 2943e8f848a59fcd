"""National Placement Standard records: the standard's properties the register has no column for.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 12:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "nps_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("la_id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("placement_id", sa.Integer(), nullable=True),
        sa.Column("record_key", sa.String(length=200), nullable=True),
        sa.Column("standard", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["child_id"], ["children.id"]),
        sa.ForeignKeyConstraint(["la_id"], ["local_authorities.id"]),
        sa.ForeignKeyConstraint(["placement_id"], ["placements.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["referral_id"], ["referrals.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("referral_id", "child_id"),
        sa.UniqueConstraint("la_id", "record_key"),
    )
    with op.batch_alter_table("nps_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_nps_records_la_id"), ["la_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_nps_records_child_id"), ["child_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_nps_records_referral_id"), ["referral_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("nps_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_nps_records_referral_id"))
        batch_op.drop_index(batch_op.f("ix_nps_records_child_id"))
        batch_op.drop_index(batch_op.f("ix_nps_records_la_id"))
    op.drop_table("nps_records")
