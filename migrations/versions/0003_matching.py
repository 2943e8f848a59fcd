"""Matching in the service: per-RCC matching policy, offers to providers, unmet-need evidence.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 12:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "matching_policies",
        sa.Column("rcc_id", sa.Integer(), nullable=False),
        sa.Column("overrides", sa.JSON(), nullable=False),
        sa.Column("updated_by_key_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["rcc_id"], ["rccs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("rcc_id"),
    )
    op.create_table(
        "offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("matching_run_id", sa.String(length=36), nullable=True),
        sa.Column("created_by_key_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decline_reason", sa.String(length=30), nullable=True),
        sa.Column("decline_text", sa.Text(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("weekly_core", sa.Integer(), nullable=True),
        sa.Column("weekly_additional_support", sa.Integer(), nullable=True),
        sa.Column("weekly_education", sa.Integer(), nullable=True),
        sa.Column("weekly_other", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["matching_run_id"], ["jobs.id"]),
        sa.ForeignKeyConstraint(["provider_id"], ["providers.id"]),
        sa.ForeignKeyConstraint(["referral_id"], ["referrals.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_offers_provider_id"), ["provider_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_offers_referral_id"), ["referral_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_offers_status"), ["status"], unique=False)

    op.create_table(
        "offer_children",
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("home_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["child_id"], ["children.id"]),
        sa.ForeignKeyConstraint(["home_id"], ["homes.id"]),
        sa.ForeignKeyConstraint(["offer_id"], ["offers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("offer_id", "child_id"),
    )
    with op.batch_alter_table("offer_children", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_offer_children_home_id"), ["home_id"], unique=False)

    op.create_table(
        "unmet_need_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("la_id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("distance_miles", sa.Float(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("matching_run_id", sa.String(length=36), nullable=True),
        sa.Column("offer_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["child_id"], ["children.id"]),
        sa.ForeignKeyConstraint(["la_id"], ["local_authorities.id"]),
        sa.ForeignKeyConstraint(["matching_run_id"], ["jobs.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["offer_id"], ["offers.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["referral_id"], ["referrals.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("unmet_need_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_unmet_need_records_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_unmet_need_records_la_id"), ["la_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_unmet_need_records_referral_id"), ["referral_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("unmet_need_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unmet_need_records_referral_id"))
        batch_op.drop_index(batch_op.f("ix_unmet_need_records_la_id"))
        batch_op.drop_index(batch_op.f("ix_unmet_need_records_kind"))
    op.drop_table("unmet_need_records")
    with op.batch_alter_table("offer_children", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_offer_children_home_id"))
    op.drop_table("offer_children")
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_offers_status"))
        batch_op.drop_index(batch_op.f("ix_offers_referral_id"))
        batch_op.drop_index(batch_op.f("ix_offers_provider_id"))
    op.drop_table("offers")
    op.drop_table("matching_policies")
