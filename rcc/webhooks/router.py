"""Webhook subscriptions: subscribe a URL to events, see the delivery log, unsubscribe."""

from __future__ import annotations

from fastapi import APIRouter, status

from api_schemas.common import Page
from api_schemas.webhooks import DeliveryOut, EventKindOut, WebhookCreated, WebhookIn, WebhookOut
from rcc import events
from rcc.api.deps import DB, Caller, Paging
from rcc.webhooks import service as svc

router = APIRouter(tags=["webhooks"])


@router.get(
    "/webhooks/events",
    response_model=list[EventKindOut],
    summary="List the event kinds",
    description="Every event kind a subscription can ask for, and what it means.",
)
def list_event_kinds(who: Caller):
    return [EventKindOut(kind=k, description=d) for k, d in events.KINDS.items()]


@router.post(
    "/webhooks",
    response_model=WebhookCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Subscribe a URL to events",
    description=(
        "Each event of the listed kinds within the caller's scope is POSTed to the URL as JSON "
        "(`{id, kind, at, subject, data}`), signed: `X-RCC-Signature: sha256=<hex HMAC-SHA256 of "
        '"{X-RCC-Timestamp}.{body}" keyed by the secret>`. Non-2xx answers are retried with '
        "exponential backoff (30 s doubling, at most 1 h, 6 attempts). The secret is shown once."
    ),
)
def create_webhook(body: WebhookIn, db: DB, who: Caller):
    sub = svc.create_subscription(db, who, body.url, body.events, body.description, body.secret)
    return WebhookCreated.model_validate(sub)


@router.get(
    "/webhooks",
    response_model=list[WebhookOut],
    summary="List your subscriptions",
    description="The subscriptions made with the caller's key (an admin sees all).",
)
def list_webhooks(db: DB, who: Caller):
    return [WebhookOut.model_validate(s) for s in svc.list_subscriptions(db, who)]


@router.get(
    "/webhooks/{webhook_id}",
    response_model=WebhookOut,
    summary="Get a subscription",
    description="One subscription made with the caller's key; 404 otherwise.",
)
def get_webhook(webhook_id: int, db: DB, who: Caller):
    return WebhookOut.model_validate(svc.get_subscription(db, who, webhook_id))


@router.delete(
    "/webhooks/{webhook_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Unsubscribe",
    description="Deactivates the subscription: pending deliveries are cancelled; the log is kept.",
)
def delete_webhook(webhook_id: int, db: DB, who: Caller) -> None:
    svc.delete_subscription(db, who, webhook_id)


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    response_model=Page[DeliveryOut],
    summary="The delivery log",
    description="Every delivery to this subscription, newest first, with each attempt's status code or error.",
)
def list_webhook_deliveries(webhook_id: int, db: DB, who: Caller, page: Paging):
    rows, total = svc.list_deliveries(db, who, webhook_id, page.limit, page.offset)
    items = [
        DeliveryOut.model_validate(
            {
                **{
                    k: getattr(r.delivery, k)
                    for k in (
                        "id",
                        "event_id",
                        "status",
                        "attempts",
                        "next_attempt_at",
                        "last_status_code",
                        "last_error",
                        "delivered_at",
                    )
                },
                "kind": r.kind,
                "subject": r.subject,
                "attempt_log": r.attempt_log,
            }
        )
        for r in rows
    ]
    return Page[DeliveryOut](items=items, total=total, limit=page.limit, offset=page.offset)
