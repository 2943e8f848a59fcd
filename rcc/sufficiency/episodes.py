"""The episodes that stored SSDA903 returns add up to: the current picture, or as of earlier returns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import pandas as pd
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from rcc.db.models import (
    LocalAuthority,
    Ssda903Episode,
    Ssda903ReturnRow,
    SufficiencyReturn,
)
from rcc.sufficiency.stored import CHILDREN, EPISODE_COLUMNS, EPISODES, UASC, _effective, _Kind

_DATE_COLUMNS = ("DOB", "DECOM", "DEC", "first_seen")


def current_episodes(session: Session, la_ids: Iterable[int]) -> pd.DataFrame:
    """The current version of every stored episode of ``la_ids``, with its child's header.

    One row per episode (la, CHILD, DECOM), columns :data:`EPISODE_COLUMNS`: ``la`` is the GSS
    code; CHILD and the codes are strings (``None`` when blank); DOB, DECOM, DEC and
    ``first_seen`` are ``datetime64[ns]`` (DEC NaT while open); UASC is bool (the child is in a
    current UASC row); ``first_seen`` is the 31 March ending the earliest collection year whose
    return listed the episode; ``collection_year``/``return_id`` say which return the values
    come from. This is the ``history`` input of :mod:`forecasting`. No scope check: callers
    pass the LAs the caller may see.
    """
    la_ids = list(la_ids)

    def rows(kind: _Kind) -> list[tuple[Any, int]]:
        m = kind.model
        stmt = (
            select(m, SufficiencyReturn.collection_year)
            .join(SufficiencyReturn, SufficiencyReturn.id == m.return_id)
            .where(m.la_id.in_(la_ids), m.valid_to_return_id.is_(None))
        )
        return [(row, year) for row, year in session.execute(stmt)]

    return _frame(session, la_ids, rows, None, None)


def episodes_as_of_returns(
    session: Session,
    la_ids: Iterable[int],
    up_to_collection_year: int,
    submitted_before: dt.datetime | None = None,
) -> pd.DataFrame:
    """Like :func:`current_episodes`, but as the service would have had it when only the returns
    for collection years up to ``up_to_collection_year`` (and, if given, only those submitted
    before ``submitted_before``) existed: a forecast origin's view, for backtests."""
    la_ids = list(la_ids)

    def rows(kind: _Kind) -> list[tuple[Any, int]]:
        stmt = _effective(kind, la_ids, up_to_collection_year, submitted_before)
        return [(row, year) for row, _rid, year in session.execute(stmt)]

    return _frame(session, la_ids, rows, up_to_collection_year, submitted_before)


def _frame(session, la_ids, rows, up_to_year, submitted_before) -> pd.DataFrame:
    if not la_ids:
        return _empty()
    las = select(LocalAuthority.id, LocalAuthority.gss_code).where(LocalAuthority.id.in_(la_ids))
    gss = {la_id: code for la_id, code in session.execute(las)}
    children = {CHILDREN.key_of(c): c for c, _ in rows(CHILDREN)}
    uasc = {UASC.key_of(u) for u, _ in rows(UASC)}
    first = _first_seen(session, la_ids, up_to_year, submitted_before)
    records = []
    for e, year in rows(EPISODES):
        c = children.get((e.la_id, e.child))
        fy = first.get((e.la_id, e.child, e.decom), year)
        records.append(
            (
                gss[e.la_id], e.child, c.dob if c else None, c.sex if c else None, c.ethnic if c else None,
                e.decom, e.rne, e.ls, e.cin, e.place, e.place_provider, e.dec, e.rec, e.reason_place_change,
                e.home_post, e.pl_post, e.urn, (e.la_id, e.child) in uasc, dt.date(fy + 1, 3, 31), year,
                e.return_id,
            )
        )  # fmt: skip
    if not records:
        return _empty()
    df = pd.DataFrame.from_records(records, columns=list(EPISODE_COLUMNS))
    for col in _DATE_COLUMNS:
        df[col] = pd.to_datetime(df[col]).astype("datetime64[ns]")
    df["UASC"] = df["UASC"].astype(bool)
    return df.sort_values(["la", "CHILD", "DECOM"], kind="stable").reset_index(drop=True)


def _empty() -> pd.DataFrame:
    df = pd.DataFrame({c: pd.Series([], dtype=object) for c in EPISODE_COLUMNS})
    for col in _DATE_COLUMNS:
        df[col] = df[col].astype("datetime64[ns]")
    df["UASC"] = df["UASC"].astype(bool)
    return df


def _first_seen(session, la_ids, up_to_year, submitted_before) -> dict[tuple, int]:
    """(la, child, decom) -> earliest collection year of any return listing the episode."""
    m, r = Ssda903Episode, SufficiencyReturn
    stmt = (
        select(m.la_id, m.child, m.decom, func.min(r.collection_year))
        .join(Ssda903ReturnRow, and_(Ssda903ReturnRow.row_id == m.id, Ssda903ReturnRow.kind == EPISODES.name))
        .join(r, r.id == Ssda903ReturnRow.return_id)
        .where(m.la_id.in_(la_ids))
        .group_by(m.la_id, m.child, m.decom)
    )
    if up_to_year is not None:
        stmt = stmt.where(r.collection_year <= up_to_year)
    if submitted_before is not None:
        stmt = stmt.where(r.submitted_at < submitted_before)
    return {(la, child, decom): year for la, child, decom, year in session.execute(stmt)}
