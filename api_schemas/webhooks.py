"""Webhook subscriptions and their delivery log."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from api_schemas.common import Orm, Timestamp


class WebhookIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": "https://case-system.example.gov.uk/rcc/events",
                    "events": ["offer.accepted", "offer.declined"],
                    "description": "LA case system",
                }
            ]
        },
    )

    url: str = Field(max_length=500, description="absolute http(s) URL that receives a POST per event")
    events: list[str] = Field(
        min_length=1,
        description="event kinds: offer.made, offer.accepted, offer.declined, offer.withdrawn, "
        "vacancy.stale, return.rejected",
    )
    description: str | None = Field(default=None, max_length=200)
    secret: str | None = Field(
        default=None,
        min_length=16,
        max_length=100,
        description="shared secret for the HMAC-SHA256 signature; generated when omitted",
    )


class WebhookOut(Orm):
    model_config = ConfigDict(from_attributes=True)

    id: int
    url: str
    events: list[str]
    description: str | None
    active: bool
    role: str = Field(description="the scope of the key that made it: which events it can receive")
    created_at: Timestamp


class WebhookCreated(WebhookOut):
    secret: str = Field(description="shown once: verify each delivery's X-RCC-Signature with it")


class AttemptOut(Orm):
    attempt: int
    at: Timestamp
    status_code: int | None
    error: str | None
    duration_ms: int


class DeliveryOut(Orm):
    model_config = ConfigDict(from_attributes=True)

    id: int
    event_id: int
    kind: str
    subject: str
    status: str = Field(description="pending | delivered | failed (every retry failed) | cancelled")
    attempts: int
    next_attempt_at: Timestamp | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: Timestamp | None
    attempt_log: list[AttemptOut]


class EventKindOut(BaseModel):
    kind: str
    description: str
