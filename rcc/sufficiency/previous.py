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
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from rcc.db.models import Ssda903ReturnRow, SufficiencyReturn, SufficiencyReturnCheck, utcnow
from rcc.sufficiency.stored import KINDS
from rcc.sufficiency.validation import RowError
from rcc.sufficiency.validation.against_previous import check_against_previous


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


def latest_return(session: Session, la_id: int, collection_year: int) -> SufficiencyReturn | None:
    """The latest version of the LA's return for ``collection_year``, or None."""
    r = SufficiencyReturn
    return session.scalars(
        select(r)
        .where(r.la_id == la_id, r.collection_year == collection_year)
        .order_by(r.version.desc())
        .limit(1)
    ).first()


def stored_tables(session: Session, return_id: int) -> dict[str, pd.DataFrame]:
    """One stored return as it was stated (the rows it supplied), as DataFrames indexed 1..n."""
    tables: dict[str, pd.DataFrame] = {}
    for kind in KINDS:
        m = kind.model
        link = and_(
            Ssda903ReturnRow.row_id == m.id,
            Ssda903ReturnRow.kind == kind.name,
            Ssda903ReturnRow.return_id == return_id,
        )
        names = (*kind.key, *kind.values)
        stmt = select(*(getattr(m, n) for n in names)).join(Ssda903ReturnRow, link).order_by(m.id)
        rows = session.execute(stmt).all()  # plain values: no ORM object per row
        if not rows:
            continue
        cols: dict[str, object] = {}
        for i, name in enumerate(names):
            values = [row[i] for row in rows]
            if name in kind.dates:
                cols[name.upper()] = pd.Series(
                    pd.to_datetime(pd.Series(values, dtype=object)), dtype="datetime64[ns]"
                )
            else:
                cols[name.upper()] = pd.Series(values, dtype=object)
        frame = pd.DataFrame(cols)
        frame.index = pd.RangeIndex(1, len(frame) + 1)
        tables[kind.table] = frame
    return tables


def stored_previous(session: Session, la_id: int, collection_year: int) -> PreviousReturn | None:
    """The latest version of the LA's return for ``collection_year - 1`` as DataFrames, or None."""
    ret = latest_return(session, la_id, collection_year - 1)
    if ret is None:
        return None
    return PreviousReturn(ret.id, ret.collection_year, ret.version, stored_tables(session, ret.id))


def record_check(
    session: Session,
    ret: SufficiencyReturn,
    previous: PreviousReturn | None,
    findings: list[dict] | None = None,
    triggered_by: SufficiencyReturn | None = None,
    trigger: str | None = None,
) -> SufficiencyReturnCheck:
    """Keep one run of the previous-year rules on ``ret`` (see :class:`SufficiencyReturnCheck`);
    ``trigger`` defaults to ``recheck`` when ``triggered_by`` is given, else ``submission``."""
    check = SufficiencyReturnCheck(
        return_id=ret.id,
        previous_return_id=previous.return_id if previous else None,
        previous_version=previous.version if previous else None,
        trigger=trigger or ("recheck" if triggered_by is not None else "submission"),
        triggered_by_return_id=triggered_by.id if triggered_by is not None else None,
        checked_at=utcnow(),
        finding_count=len(findings or []),
        findings=findings or [],
    )
    session.add(check)
    session.flush()
    session.refresh(ret, ["checks"])
    return check


def _stored_findings(session: Session, ret: SufficiencyReturn, previous: PreviousReturn) -> list[dict]:
    """DfE's previous-year rules run on the stored return ``ret`` against ``previous``, as findings."""
    tables = stored_tables(session, ret.id)
    return [_finding(e, tables) for e in check_against_previous(tables, ret.collection_year, previous.tables)]


def _finding(e: RowError, tables: dict[str, pd.DataFrame]) -> dict:
    """A finding on a stored return: the row is named by its child (and episode start)."""
    frame = tables.get(e.table)
    row = frame.loc[e.row] if frame is not None and e.row in frame.index else None
    decom = row.get("DECOM") if row is not None and e.table == "episodes" else None
    return {
        "table": e.table,
        "child": None if row is None else row["CHILD"],
        "decom": None if decom is None or pd.isna(decom) else decom.date().isoformat(),
        "field": e.field,
        "code": e.code,
        "message": e.message,
    }


@dataclass(frozen=True)
class Recheck:
    """What re-checking the year after a newly stored return found (the upload's answer says it)."""

    return_id: int
    collection_year: int
    version: int
    finding_count: int

    @property
    def note(self) -> str:
        s = "" if self.finding_count == 1 else "s"
        return (
            f"year {_year_label(self.collection_year)} re-checked: {self.finding_count} finding{s} "
            f"(return {self.return_id}, version {self.version}; it stays accepted)"
        )


def recheck_later_year(session: Session, stored: SufficiencyReturn) -> Recheck | None:
    """After a new version of year Y-1 is stored, run the previous-year rules again on the latest
    stored year Y against it and keep the run with Y. None when no year Y is stored.

    Y is not rejected after the fact: it stays accepted and in effect (the forecast keeps using
    it); the findings tell the LA what to correct, and a new version of Y is validated as usual."""
    later = latest_return(session, stored.la_id, stored.collection_year + 1)
    if later is None:
        return None
    previous = PreviousReturn(
        stored.id, stored.collection_year, stored.version, stored_tables(session, stored.id)
    )
    findings = _stored_findings(session, later, previous)
    record_check(session, later, previous, findings, triggered_by=stored)
    return Recheck(later.id, later.collection_year, later.version, len(findings))


@dataclass(frozen=True)
class Backfilled:
    """A check run afterwards on a stored return that had none recorded."""

    return_id: int
    la_id: int
    collection_year: int
    version: int
    previous_return_id: int | None
    finding_count: int


def check_unrecorded(session: Session) -> list[Backfilled]:
    """Run the previous-year rules on the latest version of every stored (LA, year) return that has no
    check recorded (accepted before checks were kept, migration 0011), against the latest stored
    year-1 version, and keep each run with ``trigger="backfill"`` (no year-1 return: a skipped run).
    Returns that have a check are left alone, so running it twice records nothing more."""
    latest = (
        select(SufficiencyReturn.la_id, SufficiencyReturn.collection_year, func.max(SufficiencyReturn.version))
        .group_by(SufficiencyReturn.la_id, SufficiencyReturn.collection_year)
    )
    keys = set(session.execute(latest).tuples())
    checked = select(SufficiencyReturnCheck.return_id)
    unrecorded = session.scalars(
        select(SufficiencyReturn)
        .where(SufficiencyReturn.id.not_in(checked))
        .order_by(SufficiencyReturn.la_id, SufficiencyReturn.collection_year)
    ).all()
    done: list[Backfilled] = []
    for ret in unrecorded:
        if (ret.la_id, ret.collection_year, ret.version) not in keys:
            continue  # an older version, no longer in effect
        previous = stored_previous(session, ret.la_id, ret.collection_year)
        findings = _stored_findings(session, ret, previous) if previous is not None else []
        record_check(session, ret, previous, findings, trigger="backfill")
        done.append(
            Backfilled(ret.id, ret.la_id, ret.collection_year, ret.version,
                       previous.return_id if previous else None, len(findings))
        )  # fmt: skip
    return done
