"""The LA's stored return for the collection year before, rebuilt for the previous-year rules.

``validate_return(files, year, previous=...)`` runs DfE's previous-year rules (502, 503A-F, 562,
NoE, 202-204) when it is given the same LA's return for ``year - 1``. The service keeps every
return's statement: ``ssda903_return_rows`` lists the row version each return supplied, so the
latest version of the LA's ``year - 1`` return is rebuilt exactly as it was stored (the columns
the service keeps: CHILD, SEX, DOB, ETHNIC; every episode field, postcodes as sectors; UPN,
MOTHER and MC_DOB are never stored and no previous-year rule reads them).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from rcc.db.models import Ssda903ReturnRow, SufficiencyReturn
from rcc.sufficiency.stored import KINDS


@dataclass(frozen=True)
class PreviousReturn:
    """The stored return the previous-year rules were checked against."""

    return_id: int
    collection_year: int
    version: int
    tables: dict[str, pd.DataFrame]  # header / episodes / uasc, DfE column names, dates as datetime64


def _year_label(year: int) -> str:
    return f"{year}-{(year + 1) % 100:02d}"


def previous_year_note(year: int, previous: PreviousReturn | None) -> str:
    """What a submission's report says about the previous-year rules."""
    if previous is None:
        return (
            f"skipped: no stored return for {_year_label(year - 1)}, so DfE's previous-year rules "
            "(502, 503A-F, 562, NoE, 202-204) were not run"
        )
    return (
        f"run against the stored {_year_label(previous.collection_year)} return "
        f"(return {previous.return_id}, version {previous.version})"
    )


def stored_previous(session: Session, la_id: int, collection_year: int) -> PreviousReturn | None:
    """The latest version of the LA's return for ``collection_year - 1`` as DataFrames, or None."""
    r = SufficiencyReturn
    ret = session.scalars(
        select(r)
        .where(r.la_id == la_id, r.collection_year == collection_year - 1)
        .order_by(r.version.desc())
        .limit(1)
    ).first()
    if ret is None:
        return None
    tables: dict[str, pd.DataFrame] = {}
    for kind in KINDS:
        m = kind.model
        link = and_(
            Ssda903ReturnRow.row_id == m.id,
            Ssda903ReturnRow.kind == kind.name,
            Ssda903ReturnRow.return_id == ret.id,
        )
        rows = session.scalars(select(m).join(Ssda903ReturnRow, link).order_by(m.id)).all()
        if not rows:
            continue
        cols: dict[str, object] = {}
        for name in (*kind.key, *kind.values):
            values = [getattr(row, name) for row in rows]
            if name in kind.dates:
                cols[name.upper()] = pd.Series(
                    pd.to_datetime(pd.Series(values, dtype=object)), dtype="datetime64[ns]"
                )
            else:
                cols[name.upper()] = pd.Series(values, dtype=object)
        frame = pd.DataFrame(cols)
        frame.index = pd.RangeIndex(1, len(frame) + 1)
        tables[kind.table] = frame
    return PreviousReturn(ret.id, ret.collection_year, ret.version, tables)
