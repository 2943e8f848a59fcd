"""Response models for SSDA903 sufficiency returns."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

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


class PreviousYearFinding(BaseModel):
    table: str = Field(description="header or episodes")
    child: str | None = Field(description="the LA's CHILD id")
    decom: str | None = Field(
        default=None, description="the episode's start (ISO date), for episode findings"
    )
    field: str | None
    code: str = Field(description="DfE rule: 502, 503A-F, 562, NoE, 202, 203 or 204")
    message: str


class PreviousYearCheckOut(Orm):
    """The latest run of DfE's previous-year rules on a stored return."""

    trigger: Literal["submission", "recheck"] = Field(
        description="submission: run when the return was accepted; recheck: run again because a new "
        "version of the year before arrived later (triggered_by_return_id)"
    )
    previous_return_id: int | None = Field(
        description="the year-before return checked against; null: none was stored, the rules were skipped"
    )
    previous_version: int | None
    triggered_by_return_id: int | None
    checked_at: Timestamp
    finding_count: int = Field(
        description="0 on submission (a return with findings is refused); after a recheck, what the LA "
        "should correct by resubmitting (the return stays accepted meanwhile)"
    )
    findings: list[PreviousYearFinding]


class LaterYearRecheckOut(BaseModel):
    return_id: int = Field(description="the stored return for the year after, re-checked")
    collection_year: int
    version: int
    finding_count: int
    note: str = Field(description="e.g. 'year 2021-22 re-checked: 2 findings (...)'")


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
    previous_year_check: PreviousYearCheckOut | None = Field(
        default=None, description="the latest run of the previous-year rules on it; null: not recorded"
    )


class QuarantinedRow(BaseModel):
    field: str = Field(description="e.g. episodes[row 12].DEC (row 1 holds the column names)")
    message: str


class RejectedReturnOut(BaseModel):
    """A refused submission: who, when, the files' hash and the errors; never the rows."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 4,
                    "la_code": "E06000001",
                    "collection_year": 2021,
                    "submitted_at": "2026-11-30T21:00:00Z",
                    "api_key_id": 3,
                    "role": "la_officer",
                    "content_sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                    "file_names": {"header": "header.csv", "episodes": "episodes.csv"},
                    "error_count": 1,
                    "errors": [{"field": "episodes[row 2].DEC", "message": "356: ..."}],
                }
            ]
        }
    )

    id: int
    la_code: str
    collection_year: int | None
    submitted_at: Timestamp
    api_key_id: int | None
    role: str
    content_sha256: str = Field(
        description="SHA-256 of the uploaded files' bytes, concatenated in table-name order"
    )
    file_names: dict[str, str]
    error_count: int
    errors: list[QuarantinedRow]


class SubmissionOut(BaseModel):
    outcome: Literal["accepted", "unchanged"] = Field(
        description="unchanged: identical to the latest version for this LA and year; nothing was stored"
    )
    collection_year_inferred: bool
    return_: ReturnOut = Field(alias="return", serialization_alias="return")
    quarantined_count: int = Field(default=0, description="rows dropped because DfE's rules reject them")
    quarantined: list[QuarantinedRow] = Field(
        default_factory=list, description="with quarantine=true: each dropped row and why (spreadsheet rows)"
    )
    previous_return_id: int | None = Field(
        default=None,
        description="the stored return for the year before that DfE's previous-year rules ran against; "
        "null when the LA has none",
    )
    previous_year_rules: str = Field(
        default="",
        description="whether DfE's previous-year rules (502, 503A-F, 562, NoE, 202-204) ran, in words: "
        "'run against the stored 2020-21 return (...)' or 'skipped: no stored return for 2020-21 ...'",
    )

    later_year_recheck: LaterYearRecheckOut | None = Field(
        default=None,
        description="when the LA already had the year after this one stored: that return re-checked "
        "against this one (it stays accepted; the findings are kept with it)",
    )

    model_config = {"populate_by_name": True}
