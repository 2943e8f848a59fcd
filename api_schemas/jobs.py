"""Persisted jobs as the API shows them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from api_schemas.common import Orm


class JobOut(Orm):
    id: str
    kind: str
    status: str
    params: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None
    cancel_requested: bool
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
