"""Storage for National Placement Standard records (migration 0004).

The register's own columns hold what they can (the child's suitability, risks and living
companions; the referral's urgency, siblings and out-of-LA reason; the placement's home and weekly
costs). ``standard`` holds, normalised, every other property of the record as it was imported (needs
without a register column, the actual-placement facts, quality-assurance dates and names, node
``@id``\\s), so that export reproduces the record. One row per child per referral.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rcc.db.models import Base, TimestampMixin


class NpsRecordRow(TimestampMixin, Base):
    __tablename__ = "nps_records"
    __table_args__ = (
        UniqueConstraint("referral_id", "child_id"),
        UniqueConstraint("la_id", "record_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    la_id: Mapped[int] = mapped_column(ForeignKey("local_authorities.id"), index=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"), index=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"), index=True)
    placement_id: Mapped[int | None] = mapped_column(ForeignKey("placements.id", ondelete="SET NULL"))
    record_key: Mapped[str | None] = mapped_column(String(200))  # placementId, else the record's @id
    standard: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
