"""Response models for SSDA903 sufficiency returns."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from api_schemas.common import Orm, Timestamp


class TableChanges(BaseModel):
    added: int = Field(0, description="rows the service did not have before")
    revised: int = Field(0, description="rows whose current values this return changed")
    unchanged: int = Field(0, description="rows listed exactly as the service already had them")
    withdrawn: int = Field(0, description="rows an earlier version of this year listed and this one does not")
    superseded: int = Field(0, description="rows a later collection year's return already says otherwise")


class ReturnChanges(BaseModel):
    children: TableChanges = TableChanges()
    episodes: TableChanges = TableChanges()
    uasc: TableChanges = TableChanges()


class ReturnRows(BaseModel):
    header: int
    episodes: int
    uasc: int


class ReturnOut(Orm):
    id: int
    la_code: str = Field(description="GSS code")
    collection_year: int = Field(description="start year: 2024 = 2024-25")
    version: int = Field(description="1, 2, ... per LA and collection year")
    status: str
    submitted_at: Timestamp
    content_sha256: str = Field(description="sha256 of the normalised content kept")
    file_names: dict[str, str]
    rows: ReturnRows
    changes: ReturnChanges


class SubmissionOut(BaseModel):
    outcome: Literal["accepted", "unchanged"] = Field(
        description="unchanged: identical to the latest version for this LA and year; nothing was stored"
    )
    collection_year_inferred: bool
    return_: ReturnOut = Field(alias="return", serialization_alias="return")

    model_config = {"populate_by_name": True}
