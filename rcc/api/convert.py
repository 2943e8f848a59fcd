"""Turning service results into response models while the session is still open."""

from __future__ import annotations

from typing import TypeVar

from fastapi import Response
from pydantic import BaseModel

from api_schemas.common import Page
from rcc.exports import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, Table, to_csv, to_xlsx
from rcc.pagination import PageResult

S = TypeVar("S", bound=BaseModel)


def to_page(result: PageResult, schema: type[S]) -> Page[S]:
    return Page[schema](  # type: ignore[valid-type]  # parametrised at run time by the caller's schema
        items=[schema.model_validate(x) for x in result.items],
        total=result.total,
        limit=result.limit,
        offset=result.offset,
    )


def validated_json(schema: type[BaseModel], data: object) -> Response:
    """``data`` validated as ``schema`` and written as JSON, in the endpoint's own worker thread.

    What FastAPI does with a sync endpoint's ``response_model`` (the same checks, the same body), minus
    a second hop to a worker thread for the validation: for the hottest endpoints. The route keeps
    ``response_model=schema`` for its documentation."""
    body = schema.model_validate(data).model_dump_json(by_alias=True)
    return Response(body, media_type="application/json")


def csv_download(text: str | bytes, name: str) -> Response:
    """A CSV body (already written safely by rcc.csv_export) as the download ``{name}.csv``."""
    return Response(
        text, media_type=CSV_MEDIA_TYPE, headers={"Content-Disposition": f'attachment; filename="{name}.csv"'}
    )


def table_download(table: Table, name: str, fmt: str) -> Response:
    """The table as the download ``{name}.xlsx`` (an Excel workbook) when ``fmt`` is ``"xlsx"``, else
    as ``{name}.csv``: the exports' rows, then their notes."""
    if fmt == "xlsx":
        return Response(to_xlsx(table), media_type=XLSX_MEDIA_TYPE,
                        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})  # fmt: skip
    return csv_download(to_csv(table), name)
