"""Shapes shared by every resource: pages, the error envelope."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar, Generic, TypeVar

from annotated_types import Ge, Le
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

T = TypeVar("T")

DB_INT_MAX = 2**31 - 1
"""The largest value a database ``INTEGER`` (and so every id) holds, on PostgreSQL and SQLite alike."""

Id = Annotated[int, Ge(1), Le(DB_INT_MAX)]
"""A record id, in a path, a query or a body: 1 … 2³¹−1."""


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


Timestamp = Annotated[dt.datetime, AfterValidator(_utc)]
"""A moment, always with its offset: the register stores UTC, and SQLite hands it back without one."""


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(description="rows matching the filters, before paging")
    limit: int
    offset: int


class ErrorDetail(BaseModel):
    field: str | None = None
    message: str


class ErrorBody(BaseModel):
    code: str
    message: str
    details: list[ErrorDetail] = []


class ErrorEnvelope(BaseModel):
    error: ErrorBody


class Orm(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Patch(BaseModel):
    """Base for partial updates: only fields the caller sent are applied.

    An explicit ``null`` clears a field only where the field may be empty; for a required field
    (one whose column is NOT NULL, marked ``json_schema_extra={"nullable": False}`` or listed in
    ``NOT_NULL``) a ``null`` is a 422 naming the field, not a database error.
    """

    model_config = ConfigDict(extra="forbid")
    NOT_NULL: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _no_null_for_required(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name in cls.NOT_NULL:
            raise ValueError("may not be null: this field is required (omit it to leave it unchanged)")
        return value
