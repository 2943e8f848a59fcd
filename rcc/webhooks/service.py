"""Webhook subscriptions, signing, and the fan-out of outbox events to deliveries.

The sending half is :mod:`rcc.webhooks.delivery`.

Delivery
--------
:func:`dispatch` (called by the job worker on every poll, or ``rcc webhooks dispatch``) does three
things, each in its own short transaction:

1. **Fan out**: every outbox event not yet dispatched gets one delivery row per active subscription
   that wants its kind and whose scope covers it (a provider's subscription sees events about
   offers to that provider and its vacancies; an LA officer's, events of its LA; a commissioner's,
   events of the RCC's member LAs; an admin's, everything).
2. **Claim** due deliveries with a conditional UPDATE that pushes ``next_attempt_at`` forward by a
   lease, so two dispatchers never send the same attempt.
3. **Send** each one (outside any transaction): ``POST`` the JSON body with headers

   - ``X-RCC-Event``: the kind, e.g. ``offer.accepted``
   - ``X-RCC-Delivery``: the delivery id (the same on every retry: receivers de-duplicate on it)
   - ``X-RCC-Timestamp``: Unix seconds when this attempt was signed
   - ``X-RCC-Signature``: ``sha256=`` + hex HMAC-SHA256 of ``"{timestamp}.{body}"`` keyed by the
     subscription's secret (:func:`signature`)

   and log the attempt. A 2xx is delivered; anything else (or no answer within the timeout) is
   retried after ``BACKOFF_BASE_SECONDS * 2**(attempt-1)`` (capped at ``BACKOFF_CAP_SECONDS``) until
   ``MAX_ATTEMPTS`` attempts have failed, when the delivery is marked ``failed``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from rcc import events
from rcc.auth import Principal, Role
from rcc.db.models import (
    OutboxEvent,
    RccMember,
    Vacancy,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
    utcnow,
)
from rcc.errors import Invalid, NotFound

log = logging.getLogger("rcc.webhooks")

MAX_ATTEMPTS = 6
BACKOFF_BASE_SECONDS = 30.0
BACKOFF_CAP_SECONDS = 3600.0
LEASE_SECONDS = 60.0
TIMEOUT_SECONDS = 5.0
SIGNATURE_HEADER = "X-RCC-Signature"
TIMESTAMP_HEADER = "X-RCC-Timestamp"


# ---------------------------------------------------------------- signing


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of ``b"{timestamp}." + body`` keyed by ``secret``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, header: str) -> bool:
    """What a receiver does: recompute the signature and compare in constant time."""
    return hmac.compare_digest(signature(secret, timestamp, body), header)


def backoff_seconds(attempts: int) -> float:
    """Delay before the next attempt after ``attempts`` failed ones: 30 s, 1 min, 2 min, ... at most 1 h."""
    return min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_CAP_SECONDS)


# ---------------------------------------------------------------- subscriptions


def _scope_of(who: Principal) -> dict[str, Any]:
    return {
        "role": who.role.value,
        "api_key_id": who.key_id,
        "rcc_id": who.rcc_id if who.role is Role.RCC_COMMISSIONER else None,
        "la_id": who.la_id if who.role is Role.LA_OFFICER else None,
        "provider_id": who.provider_id if who.role is Role.PROVIDER else None,
    }


def _check_url(url: str) -> str:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise Invalid("give an absolute http(s) URL", "url")
    return url


def _check_events(kinds: list[str]) -> list[str]:
    unknown = [k for k in kinds if k not in events.KINDS]
    if unknown:
        raise Invalid(
            f"unknown event kind(s) {', '.join(unknown)}; known: {', '.join(events.KINDS)}", "events"
        )
    if not kinds:
        raise Invalid("name at least one event kind", "events")
    return sorted(set(kinds))


def create_subscription(
    session: Session,
    who: Principal,
    url: str,
    kinds: list[str],
    description: str | None = None,
    secret: str | None = None,
) -> WebhookSubscription:
    """Subscribe ``url`` to ``kinds`` within the caller's scope. The secret is generated when not given."""
    sub = WebhookSubscription(
        url=_check_url(url),
        events=_check_events(kinds),
        description=description,
        secret=secret or secrets.token_urlsafe(32),
        active=True,
        **_scope_of(who),
    )
    session.add(sub)
    session.flush()
    return sub


def _visible(who: Principal, sub: WebhookSubscription) -> bool:
    return who.is_admin or (sub.api_key_id is not None and sub.api_key_id == who.key_id)


def get_subscription(session: Session, who: Principal, sub_id: int) -> WebhookSubscription:
    sub = session.get(WebhookSubscription, sub_id)
    if sub is None or not _visible(who, sub):
        raise NotFound("webhook subscription", sub_id)
    return sub


def list_subscriptions(session: Session, who: Principal) -> list[WebhookSubscription]:
    stmt = select(WebhookSubscription).order_by(WebhookSubscription.id)
    if not who.is_admin:
        stmt = stmt.where(WebhookSubscription.api_key_id == who.key_id)
    return list(session.scalars(stmt))


def delete_subscription(session: Session, who: Principal, sub_id: int) -> None:
    """Deactivate: nothing more is delivered; the delivery log is kept."""
    sub = get_subscription(session, who, sub_id)
    sub.active = False
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.subscription_id == sub.id, WebhookDelivery.status == "pending")
        .values(status="cancelled", next_attempt_at=None)
    )
    session.flush()


@dataclass(frozen=True)
class DeliveryView:
    delivery: WebhookDelivery
    kind: str
    subject: str
    attempt_log: list[WebhookAttempt]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.delivery, name)


def list_deliveries(
    session: Session, who: Principal, sub_id: int, limit: int = 50, offset: int = 0
) -> tuple[list[DeliveryView], int]:
    """The delivery log of one subscription, newest first, each with its attempts."""
    get_subscription(session, who, sub_id)
    base = select(WebhookDelivery).where(WebhookDelivery.subscription_id == sub_id)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = session.scalars(base.order_by(WebhookDelivery.id.desc()).limit(limit).offset(offset)).all()
    out = []
    for d in rows:
        log_rows = list(
            session.scalars(
                select(WebhookAttempt)
                .where(WebhookAttempt.delivery_id == d.id)
                .order_by(WebhookAttempt.attempt)
            )
        )
        out.append(DeliveryView(d, d.event.kind, d.event.subject, log_rows))
    return out, total


# ---------------------------------------------------------------- fan out


def _covers(sub: WebhookSubscription, event: OutboxEvent, rcc_las: dict[int, frozenset[int]]) -> bool:
    if event.kind not in (sub.events or []):
        return False
    if sub.role == Role.ADMIN.value:
        return True
    if sub.role == Role.PROVIDER.value:
        return event.provider_id is not None and event.provider_id == sub.provider_id
    if sub.role == Role.LA_OFFICER.value:
        return event.la_id is not None and event.la_id == sub.la_id
    if sub.role == Role.RCC_COMMISSIONER.value and sub.rcc_id is not None:
        return event.la_id is not None and event.la_id in rcc_las.get(sub.rcc_id, frozenset())
    return False


def fan_out(session: Session, now: dt.datetime | None = None, limit: int = 200) -> int:
    """Create deliveries for undispatched events; returns how many deliveries were created."""
    now = now or utcnow()
    pending = list(
        session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.dispatched_at.is_(None))
            .order_by(OutboxEvent.id)
            .limit(limit)
        )
    )
    if not pending:
        return 0
    subs = list(session.scalars(select(WebhookSubscription).where(WebhookSubscription.active.is_(True))))
    rcc_las: dict[int, frozenset[int]] = {}
    for rcc_id in {s.rcc_id for s in subs if s.rcc_id is not None}:
        rcc_las[rcc_id] = frozenset(
            session.scalars(select(RccMember.la_id).where(RccMember.rcc_id == rcc_id))
        )
    made = 0
    for event in pending:
        for sub in subs:
            if _covers(sub, event, rcc_las):
                session.add(
                    WebhookDelivery(
                        subscription_id=sub.id,
                        event_id=event.id,
                        status="pending",
                        attempts=0,
                        next_attempt_at=now,
                        created_at=now,
                    )
                )
                made += 1
        event.dispatched_at = now
    session.flush()
    return made


def sweep_stale_vacancies(session: Session, stale_days: int, now: dt.datetime | None = None) -> int:
    """Emit ``vacancy.stale`` once per vacancy confirmation older than ``stale_days``."""
    now = now or utcnow()
    cutoff = now - dt.timedelta(days=stale_days)
    made = 0
    for v in session.scalars(select(Vacancy).where(Vacancy.confirmed_at < cutoff).order_by(Vacancy.id)):
        confirmed = v.confirmed_at if v.confirmed_at.tzinfo else v.confirmed_at.replace(tzinfo=dt.UTC)
        subject = f"vacancy/{v.id}@{confirmed:%Y-%m-%dT%H:%M:%S}"
        if events.already_emitted(session, events.VACANCY_STALE, subject):
            continue
        events.emit(
            session,
            events.VACANCY_STALE,
            subject,
            {
                "vacancy_id": v.id,
                "home_id": v.home_id,
                "places": v.places,
                "confirmed_at": confirmed.isoformat(),
                "stale_after_days": stale_days,
            },
            la_id=v.home.la_id,
            provider_id=v.home.provider_id,
            at=now,
        )
        made += 1
    return made
