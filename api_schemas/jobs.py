"""Persisted jobs as the API shows them."""

from __future__ import annotations

from typing import Any

from api_schemas.common import Orm, Timestamp


class JobOut(Orm):
    id: str
    kind: str
    status: str
    params: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None
    cancel_requested: bool
    created_at: Timestamp
    started_at: Timestamp | None
    finished_at: Timestamp | None
