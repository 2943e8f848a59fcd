"""Sufficiency returns: versioned SSDA903 returns and the row versions they supplied.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

VERSIONED = ("ssda903_children", "ssda903_episodes", "ssda903_uasc")


def _version_columns(*middle: sa.Column) -> list:
    """id, la_id, child, the table's own columns, then the version bookkeeping."""
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("la_id", sa.Integer(), nullable=False),
        sa.Column("child", sa.String(length=40), nullable=False),
        *middle,
        sa.Column("valid_from_return_id", sa.Integer(), nullable=False),
        sa.Column("valid_to_return_id", sa.Integer(), nullable=True),
        sa.Column("return_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["la_id"], ["local_authorities.id"]),
        sa.ForeignKeyConstraint(["valid_from_return_id"], ["sufficiency_returns.id"]),
        sa.ForeignKeyConstraint(["valid_to_return_id"], ["sufficiency_returns.id"]),
        sa.ForeignKeyConstraint(["return_id"], ["sufficiency_returns.id"]),
        sa.PrimaryKeyConstraint("id"),
    ]


def upgrade() -> None:
    op.create_table(
        "sufficiency_returns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("la_id", sa.Integer(), nullable=False),
        sa.Column("collection_year", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("api_key_id", sa.Integer(), nullable=True),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("file_names", sa.JSON(), nullable=False),
        sa.Column("header_rows", sa.Integer(), nullable=False),
        sa.Column("episode_rows", sa.Integer(), nullable=False),
        sa.Column("uasc_rows", sa.Integer(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["la_id"], ["local_authorities.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("la_id", "collection_year", "version"),
    )
    with op.batch_alter_table("sufficiency_returns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sufficiency_returns_la_id"), ["la_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_sufficiency_returns_content_sha256"), ["content_sha256"], unique=False
        )

    op.create_table(
        "ssda903_children",
        *_version_columns(
            sa.Column("sex", sa.String(length=2), nullable=False),
            sa.Column("dob", sa.Date(), nullable=False),
            sa.Column("ethnic", sa.String(length=4), nullable=False),
        ),
    )
    op.create_table(
        "ssda903_episodes",
        *_version_columns(
            sa.Column("decom", sa.Date(), nullable=False),
            sa.Column("rne", sa.String(length=2), nullable=False),
            sa.Column("ls", sa.String(length=3), nullable=False),
            sa.Column("cin", sa.String(length=3), nullable=False),
            sa.Column("place", sa.String(length=4), nullable=False),
            sa.Column("place_provider", sa.String(length=4), nullable=True),
            sa.Column("dec", sa.Date(), nullable=True),
            sa.Column("rec", sa.String(length=4), nullable=True),
            sa.Column("reason_place_change", sa.String(length=6), nullable=True),
            sa.Column("home_post", sa.String(length=6), nullable=True),
            sa.Column("pl_post", sa.String(length=6), nullable=True),
            sa.Column("urn", sa.String(length=16), nullable=True),
        ),
    )
    op.create_table(
        "ssda903_uasc",
        *_version_columns(sa.Column("duc", sa.Date(), nullable=True)),
    )
    for table in VERSIONED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f"ix_{table}_la_id"), ["la_id"], unique=False)
            batch_op.create_index(
                batch_op.f(f"ix_{table}_valid_to_return_id"), ["valid_to_return_id"], unique=False
            )

    op.create_table(
        "ssda903_return_rows",
        sa.Column("return_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["return_id"], ["sufficiency_returns.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("return_id", "kind", "row_id"),
    )


def downgrade() -> None:
    op.drop_table("ssda903_return_rows")
    for table in reversed(VERSIONED):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_valid_to_return_id"))
            batch_op.drop_index(batch_op.f(f"ix_{table}_la_id"))
        op.drop_table(table)
    with op.batch_alter_table("sufficiency_returns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sufficiency_returns_content_sha256"))
        batch_op.drop_index(batch_op.f("ix_sufficiency_returns_la_id"))
    op.drop_table("sufficiency_returns")
