"""Unmet need is recorded once: a unique index on (referral, coalesce(child, 0), kind).

Two matching runs finishing together could each find no record and insert one, counting the same
unmet need twice. Existing duplicates are folded into the newest row of each key first; writers use
``INSERT ... ON CONFLICT DO UPDATE`` against this index (:mod:`rcc.matching.unmet`).

Revision ID: 0010_unmet_once
Revises: 0005_journeys
Create Date: 2026-11-30 23:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_unmet_once"
down_revision = "0005_journeys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "DELETE FROM unmet_need_records WHERE id NOT IN ("
        " SELECT MAX(id) FROM unmet_need_records"
        " GROUP BY referral_id, COALESCE(child_id, 0), kind)"
    )
    op.create_index(
        "uq_unmet_need_once",
        "unmet_need_records",
        ["referral_id", sa.text("COALESCE(child_id, 0)"), "kind"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_unmet_need_once", table_name="unmet_need_records")
