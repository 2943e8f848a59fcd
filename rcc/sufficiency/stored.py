"""How stored SSDA903 rows are keyed (children, episodes, UASC) and which stored rows are in effect."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select

from forecasting.ssda903_columns import EPISODE_FIELDS
from rcc.db.models import Ssda903Child, Ssda903Episode, Ssda903ReturnRow, Ssda903Uasc, SufficiencyReturn


def _latest_returns(la_ids: Iterable[int], up_to_year: int | None = None, submitted_before=None):
    """Subquery (rid, year): the latest version of each LA's return for each collection year."""
    r = SufficiencyReturn
    conds: list[ColumnElement[bool]] = [r.la_id.in_(list(la_ids))]
    if up_to_year is not None:
        conds.append(r.collection_year <= up_to_year)
    if submitted_before is not None:
        conds.append(r.submitted_at < submitted_before)
    rank = func.row_number().over(partition_by=(r.la_id, r.collection_year), order_by=r.version.desc())
    ranked = (
        select(r.id.label("rid"), r.collection_year.label("year"), rank.label("rn")).where(*conds).subquery()
    )
    return select(ranked.c.rid, ranked.c.year).where(ranked.c.rn == 1).subquery()


def _effective(kind: _Kind, la_ids: Iterable[int], up_to_year: int | None = None, submitted_before=None):
    """``select(version, supplier return id, supplier year)``: per row identity, the version the
    latest collection year's (latest-version) return lists."""
    m = kind.model
    latest = _latest_returns(la_ids, up_to_year, submitted_before)
    rank = func.row_number().over(
        partition_by=[m.la_id, *(getattr(m, k) for k in kind.key)], order_by=latest.c.year.desc()
    )
    picked = (
        select(m.id.label("row_id"), latest.c.rid, latest.c.year, rank.label("rk"))
        .join(Ssda903ReturnRow, and_(Ssda903ReturnRow.row_id == m.id, Ssda903ReturnRow.kind == kind.name))
        .join(latest, latest.c.rid == Ssda903ReturnRow.return_id)
        .subquery()
    )
    return (
        select(m, picked.c.rid, picked.c.year)
        .join(picked, picked.c.row_id == m.id)
        .where(picked.c.rk == 1)
        .order_by(m.id)
    )


@dataclass(frozen=True)
class _Kind:
    name: str  # ssda903_return_rows.kind and the key in ``changes``
    table: str  # the return's file
    model: type[Any]
    key: tuple[str, ...]  # identity within an LA
    values: tuple[str, ...]
    dates: frozenset[str]
    postcodes: frozenset[str] = frozenset()

    def key_of(self, obj: Any) -> tuple:
        return (obj.la_id, *(getattr(obj, k) for k in self.key))

    def values_of(self, obj: Any) -> tuple:
        return tuple(getattr(obj, v) for v in self.values)


CHILDREN = _Kind("children", "header", Ssda903Child, ("child",), ("sex", "dob", "ethnic"), frozenset({"dob"}))


EPISODES = _Kind(
    "episodes",
    "episodes",
    Ssda903Episode,
    ("child", "decom"),
    tuple(c.lower() for c in EPISODE_FIELDS if c != "DECOM"),
    frozenset({"decom", "dec"}),
    frozenset({"home_post", "pl_post"}),
)  # fmt: skip


UASC = _Kind("uasc", "uasc", Ssda903Uasc, ("child",), ("duc",), frozenset({"duc"}))


KINDS = (CHILDREN, EPISODES, UASC)


EPISODE_COLUMNS: tuple[str, ...] = (
    "la",
    "CHILD",
    "DOB",
    "SEX",
    "ETHNIC",
    *EPISODE_FIELDS,
    "UASC",
    "first_seen",
    "collection_year",
    "return_id",
)
