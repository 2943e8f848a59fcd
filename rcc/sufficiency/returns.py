"""Sufficiency returns: an LA's SSDA903 return, validated, then stored as versioned rows.

Versioning
----------
* A return is version ``n`` of an LA's return for a collection year (start year: 2024 = 2024-25).
  Content identical to the latest version for the same LA and year, after normalisation (cell
  whitespace and case, dd/mm/yyyy vs ISO dates, row and column order, line ends, the columns
  the service does not keep), is *unchanged*: nothing is stored and the latest version is
  returned.
* Row identity: a child is (la, CHILD); an episode is (la, CHILD, DECOM); a UASC row is
  (la, CHILD). Each distinct set of values is a *row version*; ``ssda903_return_rows`` records
  which versions each return supplied, so every return's statement is kept.
* What the service believes (the *effective* state) is defined from the returns alone: take the
  latest version of each collection year's return; for each row identity, the value is the one
  supplied by the latest *collection year* among those returns that lists it. So a later year's
  return revises episodes an earlier one carried open (adding DEC, correcting a code); a
  resubmission of year Y replaces what year Y said (an episode it no longer lists is withdrawn,
  unless another year lists it) but does not undo what a later year has said; and the order in
  which returns arrive does not matter.
* The current state is materialised: a version is current while ``valid_to_return_id`` is null.
  When a return changes the effective value, the old version gets ``valid_to_return_id`` set
  (history kept) and the new one becomes current. :func:`episodes_as_of_returns` recomputes the
  effective state from only the returns that existed at an origin (collection years up to Y,
  optionally submitted before a time), which is what a backtest needs.

Previous year: each submission is validated against the latest version of the same LA's
return for the collection year before (rebuilt from ``ssda903_return_rows``,
:mod:`rcc.sufficiency.previous`), so DfE's previous-year rules run whenever one is stored; the
run is kept with the return (``sufficiency_return_checks``: which version it was checked against,
or that none was stored). Returns can arrive out of order: when a new version of year Y-1 is
stored and the LA already has year Y, Y is re-checked against it in the same transaction and the
run (with its findings) is kept with Y. Y stays accepted and in effect; the findings say what to
correct, and the upload answer for Y-1 says "year Y re-checked: N findings".
Storage mechanics (row projection, content hash, versions) are in :mod:`rcc.sufficiency.versioning`.

Privacy: the header keeps CHILD (the LA's own pseudonymous id), SEX, DOB and ETHNIC, which the
forecast needs (age bands; leaving care at 18); UPN, MOTHER and MC_DOB are never stored.
HOME_POST and PL_POST are cut to the postcode sector (``NE1 4``); a value that is not a
postcode is not kept.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePath

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from rcc import audit
from rcc.auth import Principal, Role
from rcc.db.models import (
    LocalAuthority,
    SufficiencyReturn,
    utcnow,
)
from rcc.errors import FieldProblem, Forbidden, Invalid, NotFound
from rcc.pagination import PageRequest, PageResult, WithLa, get_or_404, paginate, resolve_la, with_la_codes
from rcc.sufficiency import rejections, ssda903, upload
from rcc.sufficiency.previous import (
    PreviousReturn,
    Recheck,
    previous_year_note,
    recheck_later_year,
    record_check,
    stored_previous,
)
from rcc.sufficiency.ssda903 import infer_collection_year
from rcc.sufficiency.stored import KINDS
from rcc.sufficiency.validation import RowError, validate_return
from rcc.sufficiency.validation.reading import Source, as_file, decodes
from rcc.sufficiency.versioning import apply_rows, content_hash, project

log = logging.getLogger(__name__)


MAX_FILE_BYTES = 20 * 1024 * 1024  # a large LA's episodes file is well under 1 MB


MAX_REPORTED_PROBLEMS = 1000


TABLES = ("header", "episodes", "uasc")


ReturnView = WithLa[SufficiencyReturn]  # a stored return with its LA's GSS code


@dataclass(frozen=True)
class SubmissionResult:
    ret: ReturnView
    unchanged: bool  # True: identical to the latest version; nothing was stored
    collection_year_inferred: bool
    quarantined: tuple[FieldProblem, ...] = ()  # rows dropped with quarantine=True
    previous_return_id: int | None = None  # the stored year-1 return the previous-year rules ran against
    previous_year_rules: str = ""  # what happened to them, in words (run against ... / skipped: ...)
    later_year: Recheck | None = None  # the stored year+1 return re-checked against this one

    @property
    def outcome(self) -> str:
        return "unchanged" if self.unchanged else "accepted"


class ReturnRejected(Invalid):
    """A return that failed validation: one detail per problem, nothing stored."""

    def __init__(self, errors: list[RowError], previous_year_rules: str = ""):
        n_rows = len({(e.table, e.row) for e in errors if e.row is not None})
        shown = errors[:MAX_REPORTED_PROBLEMS]
        more = f"; the first {len(shown)} are listed" if len(shown) < len(errors) else ""
        note = f"; previous-year rules {previous_year_rules}" if previous_year_rules else ""
        super().__init__(
            f"SSDA903 return rejected: {len(errors)} problem(s) in {n_rows} row(s){more}; nothing was stored{note}",
            details=[problem(e) for e in shown],
        )
        self.errors = errors
        self.previous_year_rules = previous_year_rules


def problem_field(e: RowError) -> str:
    """``episodes[row 12].DEC``, ``episodes.DEC`` (whole column) or ``episodes`` (whole file).
    Rows are spreadsheet rows: the column names are row 1, the first record row 2."""
    out = e.table if e.row is None else f"{e.table}[row {upload.spreadsheet_row(e.row)}]"
    return f"{out}.{e.field}" if e.field else out


def problem(e: RowError) -> FieldProblem:
    """One validator error as the API reports it (spreadsheet row numbers, in the message too)."""
    return FieldProblem(problem_field(e), upload.spreadsheet_rows_in(f"{e.code}: {e.message}"))


def _may_submit(who: Principal, la: LocalAuthority) -> None:
    if who.role is Role.PROVIDER:
        raise Forbidden("providers do not submit SSDA903 returns")
    if who.role is Role.LA_OFFICER and who.la_id != la.id:
        raise Forbidden("an LA officer submits returns only for their own LA")
    if who.role is Role.RCC_COMMISSIONER and la.id not in who.rcc_la_ids:
        raise Forbidden("a commissioner submits returns only for the RCC's member LAs")


def _readable_scope(stmt: Select, who: Principal) -> Select:
    if who.role is Role.PROVIDER:
        raise Forbidden("providers do not see SSDA903 returns")
    visible = who.visible_la_ids()
    return stmt if visible is None else stmt.where(SufficiencyReturn.la_id.in_(visible))


def file_size(source: Source) -> int:
    """Bytes in an uploaded file, without reading it."""
    if isinstance(source, bytes | bytearray | memoryview):
        return len(source)
    source.seek(0, 2)
    size = source.tell()
    source.seek(0)
    return size


def _check_files(files: Mapping[str, Source]) -> dict[str, Source]:
    named = {str(k).strip().lower(): v for k, v in files.items() if v is not None}
    problems = []
    for table, raw in named.items():
        if file_size(raw) > MAX_FILE_BYTES:
            problems.append(
                FieldProblem(table, f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
            )
            continue
        f = as_file(raw)
        encodings: tuple[str, ...]
        if f.read(2).startswith((b"\xff\xfe", b"\xfe\xff")):
            encodings = ("utf-16",)
        else:
            encodings = ("utf-8-sig", "cp1252")
        f.seek(0)
        if not any(decodes(f, enc) for enc in encodings):
            problems.append(
                FieldProblem(table, "RCC-FILE: not a CSV text file (UTF-8, UTF-16 or Windows-1252)")
            )
    if problems:
        raise Invalid("the upload is not a readable SSDA903 return; nothing was stored", details=problems)
    return named


def _year(files: Mapping[str, Source], collection_year: int | None) -> tuple[int, bool]:
    if collection_year is not None:
        if isinstance(collection_year, bool) or not 1990 <= int(collection_year) <= 2100:
            raise Invalid("collection_year is the start year, e.g. 2024 for 2024-25", "collection_year")
        return int(collection_year), False
    if "episodes" not in files:
        raise Invalid("The episodes file is missing.", "episodes")
    try:
        year = infer_collection_year(files["episodes"])
    except Exception as exc:  # a broken file: the validator would only repeat it
        raise Invalid(
            f"give collection_year: it cannot be inferred from the episodes file ({exc})", "collection_year"
        ) from exc
    return year, True


def _validated_rows(
    files: Mapping[str, Source], year: int, previous: PreviousReturn | None
) -> dict[str, dict[tuple, tuple]]:
    try:
        report = validate_return(files, year, previous=previous.tables if previous else None)
    except Exception as exc:  # never a 500 for a bad upload; log it, it is a validator gap
        log.exception("validate_return failed on an upload")
        raise Invalid("the files could not be read as SSDA903 CSVs; nothing was stored") from exc
    if not report.ok:
        raise ReturnRejected(report.errors, previous_year_note(year, previous))
    assert report.tables is not None
    return {k.name: project(k, report.tables.get(k.table)) for k in KINDS}


def submit_return(
    session: Session,
    who: Principal,
    la_code: str,
    collection_year: int | None,
    files: Mapping[str, Source],
    file_names: Mapping[str, str] | None = None,
    *,
    quarantine: bool = False,
) -> SubmissionResult:
    """Validate and store one SSDA903 return (``files``: header, episodes, optional uasc CSV, as bytes or
    as binary file objects such as uploads spooled to disk, which are read row by row and never whole).

    Validation comes first: any problem raises :class:`ReturnRejected` (422, one detail per
    problem, e.g. field ``episodes[row 12].DEC`` (spreadsheet row), message ``147: ...``), nothing
    of the return is written, and the refusal is recorded (who, when, hash, errors; no rows).
    When the LA has a stored return for the year before, DfE's previous-year rules (502, 503A-F,
    562, NoE, 202-204) are checked against its latest version (:mod:`rcc.sufficiency.previous`);
    without one they are skipped and the result (``previous_year_rules``) says so.
    With ``quarantine`` the rows DfE's rules reject, the previous-year rules included, are dropped
    first and listed in the result. Identical content to the LA's latest version for the year is ``unchanged`` and stores nothing.
    """
    la = resolve_la(session, la_code)
    _may_submit(who, la)
    names = {t: PurePath(str(n)).name[:200] for t, n in (file_names or {}).items() if n}
    year: int | None = collection_year
    try:
        named = upload.prepare(_check_files(files))
        year, inferred = _year(named, collection_year)
        previous = stored_previous(session, la.id, year)
        dropped: list[RowError] = []
        if quarantine:
            named, dropped = ssda903.quarantine(named, year, previous=previous.tables if previous else None)
        rows = _validated_rows(named, year, previous)
    except Invalid as exc:
        count = len(exc.errors) if isinstance(exc, ReturnRejected) else None
        rejections.record_rejection(session, who, la, year, files, names, exc, count)
        raise
    digest = content_hash(rows)

    def result(ret: SufficiencyReturn, unchanged: bool, later: Recheck | None = None) -> SubmissionResult:
        return SubmissionResult(
            ReturnView(ret, la.gss_code),
            unchanged,
            inferred,
            quarantined=tuple(problem(e) for e in dropped),
            previous_return_id=previous.return_id if previous else None,
            previous_year_rules=previous_year_note(ret.collection_year, previous),
            later_year=later,
        )

    # one submitter per LA at a time (PostgreSQL row lock; SQLite serialises writers anyway)
    session.execute(select(LocalAuthority.id).where(LocalAuthority.id == la.id).with_for_update())
    latest = session.scalars(
        select(SufficiencyReturn)
        .where(SufficiencyReturn.la_id == la.id, SufficiencyReturn.collection_year == year)
        .order_by(SufficiencyReturn.version.desc())
        .limit(1)
    ).first()
    if latest is not None and latest.content_sha256 == digest:
        return result(latest, True)

    names = {t: n for t, n in names.items() if t in named}
    ret = SufficiencyReturn(
        la_id=la.id,
        collection_year=year,
        version=(latest.version + 1) if latest else 1,
        status="accepted",
        submitted_at=utcnow(),
        api_key_id=who.key_id,
        content_sha256=digest,
        file_names=names,
        header_rows=len(rows["children"]),
        episode_rows=len(rows["episodes"]),
        uasc_rows=len(rows["uasc"]),
        changes={},
    )
    session.add(ret)
    session.flush()
    ret.changes = {k.name: apply_rows(session, k, la.id, ret, rows[k.name]) for k in KINDS}
    session.flush()
    record_check(session, ret, previous)
    later = recheck_later_year(session, ret)
    audit.record(session, who, "create", "sufficiency_return", [ret.id], detail=f"{la.gss_code} {year}")
    return result(ret, False, later)


def get_return(session: Session, who: Principal, return_id: int) -> ReturnView:
    if who.role is Role.PROVIDER:
        raise Forbidden("providers do not see SSDA903 returns")
    ret = get_or_404(session, SufficiencyReturn, return_id, "sufficiency return")
    if not who.can_see_la(ret.la_id):
        raise NotFound("sufficiency return", return_id)
    return ReturnView(ret, ret.la.gss_code)


def list_returns(
    session: Session,
    who: Principal,
    page: PageRequest,
    *,
    la_code: str | None = None,
    collection_year: int | None = None,
) -> PageResult:
    r = SufficiencyReturn
    stmt = _readable_scope(select(r).order_by(r.la_id, r.collection_year, r.version), who)
    if la_code:
        stmt = stmt.where(r.la_id == resolve_la(session, la_code, "la").id)
    if collection_year is not None:
        stmt = stmt.where(r.collection_year == collection_year)
    return with_la_codes(session, paginate(session, stmt, page))
