"""Shapes shared by every resource: pages, the error envelope."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


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
    """Base for partial updates: only fields the caller sent are applied."""

    model_config = ConfigDict(extra="forbid")
