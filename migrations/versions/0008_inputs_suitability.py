"""Suitability keyed by the placement-category vocabulary: one JSON column ``children.suitability``
({"foster": "suitable", ...}) instead of a column per category (issue 8, item 6).

Adding a placement category is then a change to the vocabulary (``api_schemas.vocab``) and data, not
to the schema. The upgrade copies every child's three ratings into the JSON; the downgrade copies
them back (a category without a column is dropped on the way down), so data survives both ways.

Revision ID: 0005_inputs_suitability
Revises: 0005_web_users
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0005_inputs_suitability"
down_revision = "0005_web_users"
branch_labels = None
depends_on = None

CATEGORIES = ("foster", "residential", "supported")  # the columns of revision 0001, frozen here
DEFAULT = "not_specified"


def upgrade() -> None:
    with op.batch_alter_table("children") as batch:
        batch.add_column(sa.Column("suitability", sa.JSON(), nullable=True))
    conn = op.get_bind()
    cols = ", ".join(f"suitability_{c}" for c in CATEGORIES)
    rows = conn.execute(sa.text(f"SELECT id, {cols} FROM children")).all()
    update = sa.text("UPDATE children SET suitability = :s WHERE id = :id").bindparams(
        sa.bindparam("s", type_=sa.JSON())
    )
    for row in rows:
        levels = {c: v for c, v in zip(CATEGORIES, row[1:], strict=True) if v and v != DEFAULT}
        conn.execute(update, {"s": levels, "id": row[0]})
    with op.batch_alter_table("children") as batch:
        batch.alter_column("suitability", existing_type=sa.JSON(), nullable=False)
        for c in CATEGORIES:
            batch.drop_column(f"suitability_{c}")


def downgrade() -> None:
    with op.batch_alter_table("children") as batch:
        for c in CATEGORIES:
            batch.add_column(sa.Column(f"suitability_{c}", sa.String(length=20), nullable=False,
                                       server_default=DEFAULT))  # fmt: skip
    conn = op.get_bind()
    for child_id, raw in conn.execute(sa.text("SELECT id, suitability FROM children")).all():
        levels = json.loads(raw) if isinstance(raw, str) else (raw or {})
        sets = {f"suitability_{c}": levels.get(c, DEFAULT) for c in CATEGORIES}
        assign = ", ".join(f"{k} = :{k}" for k in sets)
        conn.execute(sa.text(f"UPDATE children SET {assign} WHERE id = :id"), {**sets, "id": child_id})
    with op.batch_alter_table("children") as batch:
        for c in CATEGORIES:
            batch.alter_column(f"suitability_{c}", existing_type=sa.String(length=20), server_default=None)
        batch.drop_column("suitability")
