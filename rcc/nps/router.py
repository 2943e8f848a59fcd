"""National Placement Standard records: import (creates or updates child, referral, placement) and export."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse

from api_schemas.common import Id
from rcc.api.deps import DB, Caller
from rcc.nps import exporter, importer

router = APIRouter(tags=["nps"])

RECORD = Body(description="an NPS Placement record (JSON-LD) with an optional `rcc:extension` block")


@router.post("/nps/placements", status_code=200)
def import_record(
    db: DB,
    who: Caller,
    body: dict[str, Any] = RECORD,
    strict: bool = Query(False, description="reject the record on SHACL warnings (cost sense-checks) too"),
):
    result = importer.import_record(db, who, body, strict=strict)
    content = {
        "child_id": result.child_id,
        "referral_id": result.referral_id,
        "placement_id": result.placement_id,
        "created": result.created,
        "warnings": [{"field": w.field, "message": w.message} for w in result.warnings],
    }
    return JSONResponse(content, status_code=201 if "referral" in result.created else 200)


@router.get("/nps/placements/{referral_id}")
def export_record(db: DB, who: Caller, referral_id: Id, child_id: Id | None = None) -> dict[str, Any]:
    """The referral's NPS record (for a sibling group, the given child's; by default the first)."""
    return exporter.export_record(db, who, referral_id, child_id)


@router.get("/nps/placements/by-placement/{placement_id}")
def export_placement_record(db: DB, who: Caller, placement_id: int) -> dict[str, Any]:
    """Any placement as an NPS record, whether or not it came in as one (through its referral if it has one)."""
    return exporter.export_placement(db, who, placement_id)
