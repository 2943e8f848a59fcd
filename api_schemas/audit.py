"""The audit trail as the API shows it."""

from __future__ import annotations

from pydantic import Field

from api_schemas.common import Orm, Timestamp


class AuditEventOut(Orm):
    id: int
    at: Timestamp
    api_key_id: int | None = Field(description="the key that acted (null: the system)")
    role: str
    action: str = Field(description="read | create | update | delete | refused")
    entity: str = Field(description="what the event is about: child, or the refused record's kind")
    entity_id: int
    detail: str | None
