"""SSDA903 sufficiency returns: upload (multipart CSVs), list, get."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Response, UploadFile

from api_schemas.common import Page
from api_schemas.sufficiency import QuarantinedRow, RejectedReturnOut, ReturnOut, SubmissionOut
from rcc.api.convert import to_page
from rcc.api.deps import DB, Caller, Paging
from rcc.errors import Invalid
from rcc.services import returns as svc
from rcc.sufficiency import rejections

router = APIRouter(prefix="/sufficiency", tags=["sufficiency"])


def _read(upload: UploadFile | None, field: str) -> bytes | None:
    """The upload's bytes, refusing (422) anything over the size limit without reading it all."""
    if upload is None:
        return None
    raw = upload.file.read(svc.MAX_FILE_BYTES + 1)
    if len(raw) > svc.MAX_FILE_BYTES:
        raise Invalid(f"the file is larger than {svc.MAX_FILE_BYTES // (1024 * 1024)} MB", field)
    return raw


@router.post(
    "/returns",
    response_model=SubmissionOut,
    response_model_by_alias=True,
    status_code=201,
    responses={
        200: {"model": SubmissionOut, "description": "identical to the latest version: nothing stored"}
    },
)
def submit_return(
    response: Response,
    db: DB,
    who: Caller,
    la_code: Annotated[str, Form(description="GSS or DfE code of the LA the return is for")],
    header: Annotated[UploadFile, File(description="SSDA903 header CSV")],
    episodes: Annotated[UploadFile, File(description="SSDA903 episodes CSV")],
    uasc: Annotated[UploadFile | None, File(description="SSDA903 UASC CSV (optional)")] = None,
    collection_year: Annotated[int | None, Form(description="start year (2024 = 2024-25); inferred if absent")] = None,
    quarantine: Annotated[bool, Form(description="drop (and list) the rows DfE's rules reject instead of refusing the return")] = False,
):  # fmt: skip
    uploads = {"header": header, "episodes": episodes, "uasc": uasc}
    files = {name: raw for name, up in uploads.items() if (raw := _read(up, name)) is not None}
    names = {name: up.filename for name, up in uploads.items() if up is not None and up.filename}
    result = svc.submit_return(db, who, la_code, collection_year, files, names, quarantine=quarantine)
    if result.unchanged:
        response.status_code = 200
    return SubmissionOut(
        outcome=result.outcome,
        collection_year_inferred=result.collection_year_inferred,
        return_=ReturnOut.model_validate(result.ret),
        quarantined_count=len(result.quarantined),
        quarantined=[QuarantinedRow(field=p.field, message=p.message) for p in result.quarantined],
    )


@router.get("/returns/rejected", response_model=Page[RejectedReturnOut])
def list_rejected_returns(db: DB, who: Caller, page: Paging, la: str | None = None):
    result = rejections.list_rejections(db, who, page, la_code=la)
    items = [
        RejectedReturnOut(
            id=r.id,
            la_code=r.la_code,
            collection_year=r.collection_year,
            submitted_at=r.submitted_at,
            api_key_id=r.api_key_id,
            role=r.role,
            content_sha256=r.content_sha256,
            file_names=r.file_names,
            error_count=r.error_count,
            errors=[QuarantinedRow(**e) for e in r.errors],
        )  # fmt: skip
        for r in result.items
    ]
    return Page[RejectedReturnOut](items=items, total=result.total, limit=result.limit, offset=result.offset)


@router.get("/returns", response_model=Page[ReturnOut])
def list_returns(
    db: DB, who: Caller, page: Paging, la: str | None = None, collection_year: int | None = None
):
    return to_page(svc.list_returns(db, who, page, la_code=la, collection_year=collection_year), ReturnOut)


@router.get("/returns/{return_id}", response_model=ReturnOut)
def get_return(return_id: int, db: DB, who: Caller):
    return ReturnOut.model_validate(svc.get_return(db, who, return_id))
