"""Unmet-need records, one per (referral, child, kind), written idempotently.

Two matching runs (or a run and an offer) that find the same unmet need at the same time must not
count it twice. The table has a unique index on ``(referral_id, coalesce(child_id, 0), kind)``
(migration ``0010_unmet_once``; ``child_id`` is NULL for a referral-level record, and NULLs are
distinct in a plain unique index, hence the ``coalesce``), and every write is one
``INSERT ... ON CONFLICT DO UPDATE`` against that index, on PostgreSQL and SQLite alike: the later
writer refreshes the row (detail, run, offer, time) instead of adding a second one or failing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, literal_column
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from rcc.db.models import UnmetNeedRecord, utcnow

UPDATABLE = ("detail", "distance_miles", "matching_run_id", "offer_id")


def once_key() -> list[Any]:
    """The unique index's elements, as the ``ON CONFLICT`` target must name them."""
    t = UnmetNeedRecord.__table__.c
    return [t.referral_id, func.coalesce(t.child_id, literal_column("0")), t.kind]  # 0 inline, as indexed


def upsert_unmet(
    session: Session, *, referral_id: int, la_id: int, child_id: int | None, kind: str, **kw: Any
) -> None:
    """One record per (referral, child, kind): a later run or offer refreshes it rather than
    counting the same unmet need twice, even when both write at the same moment."""
    unknown = set(kw) - set(UPDATABLE)
    if unknown:
        raise TypeError(f"unmet-need fields not known: {sorted(unknown)}")
    values: dict[str, Any] = {
        "referral_id": referral_id, "la_id": la_id, "child_id": child_id, "kind": kind,
        "detail": kw.get("detail", ""), "recorded_at": utcnow(),
        **{k: kw[k] for k in UPDATABLE if k in kw and k != "detail"},
    }  # fmt: skip
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(UnmetNeedRecord).values(**values)
    refresh = {k: stmt.excluded[k] for k in ("la_id", "recorded_at", *UPDATABLE) if k in values}
    session.execute(stmt.on_conflict_do_update(index_elements=once_key(), set_=refresh))
