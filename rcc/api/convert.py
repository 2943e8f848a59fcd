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
