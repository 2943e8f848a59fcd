"""The audit trail: admins read all of it, commissioners what concerns their RCC."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query

from api_schemas.audit import AuditEventOut
from api_schemas.common import Page
from rcc import audit
from rcc.api.convert import to_page
from rcc.api.deps import DB, Caller, Paging
from rcc.pagination import paginate

router = APIRouter()


@router.get("/audit", response_model=Page[AuditEventOut], tags=["audit"])
def list_audit_events(
    db: DB,
    who: Caller,
    page: Paging,
    child_id: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="events about this child")] = None,
    api_key_id: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="events of this key")] = None,
    action: Annotated[str | None, Query(pattern="^(read|create|update|delete|refused)$")] = None,
    entity: Annotated[str | None, Query(max_length=20)] = None,
    since: Annotated[dt.datetime | None, Query(description="events at or after (ISO 8601)")] = None,
    until: Annotated[dt.datetime | None, Query(description="events before (ISO 8601)")] = None,
):
    f = audit.AuditFilter(child_id, api_key_id, action, entity, since, until)
    return to_page(paginate(db, audit.events_query(who, f), page), AuditEventOut)
