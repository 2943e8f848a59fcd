"""Rejected SSDA903 submissions, recorded: who, when, the files' hash and the errors, never the rows.

A refused return is an answer to the LA (422) and a fact for the RCC: a data officer can see later
what was refused and why, and a commissioner can see which LAs are struggling to submit. The record
is written in its own transaction, because the request's transaction is rolled back with the error.
A ``return.rejected`` event goes to the outbox in the same transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from rcc import events
from rcc.auth import Principal, Role
from rcc.db.models import LocalAuthority, RejectedReturn, utcnow
from rcc.errors import DomainError, Forbidden
from rcc.pagination import PageRequest, PageResult, paginate, resolve_la, with_la_codes
from rcc.sufficiency.validation.reading import CHUNK, Source, as_file

MAX_KEPT_ERRORS = 1000


def files_sha256(files: Mapping[str, Source]) -> str:
    """SHA-256 of the uploaded bytes, concatenated in table-name order (episodes, header, uasc); a file
    object is read in chunks."""
    digest = hashlib.sha256()
    for table in sorted(files):
        f = as_file(files[table])
        while chunk := f.read(CHUNK):
            digest.update(chunk)
        f.seek(0)
    return digest.hexdigest()


def record_rejection(
    session: Session,
    who: Principal,
    la: LocalAuthority,
    collection_year: int | None,
    files: Mapping[str, Source],
    file_names: Mapping[str, str],
    error: DomainError,
    error_count: int | None = None,
) -> int:
    """Store the refusal in a separate transaction (it outlives the request's rollback); returns its id."""
    errors = [{"field": d.field, "message": d.message} for d in error.details[:MAX_KEPT_ERRORS]]
    if not errors:
        errors = [{"field": "", "message": error.message}]
    with Session(bind=session.get_bind(), expire_on_commit=False) as own, own.begin():
        row = RejectedReturn(
            la_id=la.id,
            collection_year=collection_year,
            submitted_at=utcnow(),
            api_key_id=who.key_id,
            role=who.role.value,
            content_sha256=files_sha256(files),
            file_names=dict(file_names),
            error_count=error_count if error_count is not None else len(errors),
            errors=errors,
        )
        own.add(row)
        own.flush()
        events.emit(
            own,
            events.RETURN_REJECTED,
            f"rejected_return/{row.id}",
            {
                "rejected_return_id": row.id,
                "la_code": la.gss_code,
                "collection_year": collection_year,
                "error_count": row.error_count,
                "message": error.message,
            },
            la_id=la.id,
        )
        return row.id


def list_rejections(
    session: Session, who: Principal, page: PageRequest, *, la_code: str | None = None
) -> PageResult:
    """Refused submissions the caller may see (its LA, its RCC's LAs, or all), newest first."""
    if who.role is Role.PROVIDER:
        raise Forbidden("providers do not see SSDA903 returns")
    stmt = select(RejectedReturn).order_by(RejectedReturn.id.desc())
    visible = who.visible_la_ids()
    if visible is not None:
        stmt = stmt.where(RejectedReturn.la_id.in_(visible))
    if la_code:
        stmt = stmt.where(RejectedReturn.la_id == resolve_la(session, la_code, "la").id)
    return with_la_codes(session, paginate(session, stmt, page))
