"""Sending webhook deliveries: claim what is due, POST it signed, log the attempt, retry with backoff.

:func:`dispatch` is one pass of the three steps described in :mod:`rcc.webhooks.service`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from rcc.db import rowcount, transaction
from rcc.db.models import (
    OutboxEvent,
    WebhookAttempt,
    WebhookDelivery,
    utcnow,
)
from rcc.webhooks.service import (
    LEASE_SECONDS,
    MAX_ATTEMPTS,
    SIGNATURE_HEADER,
    TIMEOUT_SECONDS,
    TIMESTAMP_HEADER,
    backoff_seconds,
    fan_out,
    signature,
    sweep_stale_vacancies,
)

log = logging.getLogger("rcc.webhooks")


Poster = Callable[[str, bytes, dict[str, str]], int]


def http_post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST and return the status code (redirects are not followed: a receiver answers directly)."""
    response = httpx.post(url, content=body, headers=headers, timeout=TIMEOUT_SECONDS, follow_redirects=False)
    return response.status_code


def event_body(event: OutboxEvent) -> bytes:
    at = event.at if event.at.tzinfo else event.at.replace(tzinfo=dt.UTC)
    doc = {
        "id": event.id,
        "kind": event.kind,
        "at": at.isoformat(),
        "subject": event.subject,
        "data": event.payload,
    }
    return json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()


@dataclass(frozen=True)
class _Claimed:
    delivery_id: int
    attempt: int
    url: str
    secret: str
    kind: str
    body: bytes


def _claim(factory: sessionmaker[Session], now: dt.datetime, limit: int) -> list[_Claimed]:
    claimed: list[_Claimed] = []
    with transaction(factory) as s:
        due = s.scalars(
            select(WebhookDelivery.id)
            .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(limit)
        ).all()
        lease = now + dt.timedelta(seconds=LEASE_SECONDS)
        for delivery_id in due:
            got = rowcount(
                s.execute(
                    update(WebhookDelivery)
                    .where(
                        WebhookDelivery.id == delivery_id,
                        WebhookDelivery.status == "pending",
                        WebhookDelivery.next_attempt_at <= now,
                    )
                    .values(next_attempt_at=lease)
                )
            )
            if not got:
                continue
            d = s.get(WebhookDelivery, delivery_id)
            assert d is not None
            claimed.append(
                _Claimed(
                    d.id,
                    d.attempts + 1,
                    d.subscription.url,
                    d.subscription.secret,
                    d.event.kind,
                    event_body(d.event),
                )
            )
    return claimed


def _send(c: _Claimed, post: Poster, clock: Callable[[], float]) -> tuple[int | None, str | None, int]:
    timestamp = str(int(clock()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "rcc-webhooks/1",
        "X-RCC-Event": c.kind,
        "X-RCC-Delivery": str(c.delivery_id),
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: signature(c.secret, timestamp, c.body),
    }
    started = time.perf_counter()
    try:
        code: int | None = post(c.url, c.body, headers)
        error = None if code is not None and 200 <= code < 300 else f"HTTP {code}"
    except Exception as exc:  # any failure to deliver is logged and retried, never raised
        code, error = None, f"{type(exc).__name__}: {exc}"[:500]
    return code, error, int((time.perf_counter() - started) * 1000)


def _record(factory: sessionmaker[Session], c: _Claimed, code: int | None, error: str | None, ms: int,
            now: dt.datetime) -> str:  # fmt: skip
    with transaction(factory) as s:
        d = s.get(WebhookDelivery, c.delivery_id)
        assert d is not None
        s.add(
            WebhookAttempt(
                delivery_id=d.id, attempt=c.attempt, at=now, status_code=code, error=error, duration_ms=ms
            )
        )
        d.attempts, d.last_status_code, d.last_error = c.attempt, code, error
        if error is None:
            d.status, d.delivered_at, d.next_attempt_at = "delivered", now, None
        elif c.attempt >= MAX_ATTEMPTS:
            d.status, d.next_attempt_at = "failed", None
        else:
            d.next_attempt_at = now + dt.timedelta(seconds=backoff_seconds(c.attempt))
        return d.status


@dataclass(frozen=True)
class DispatchReport:
    fanned_out: int
    delivered: int
    retrying: int
    failed: int


def dispatch(
    factory: sessionmaker[Session],
    *,
    now: dt.datetime | None = None,
    post: Poster = http_post,
    clock: Callable[[], float] = time.time,
    stale_days: int | None = None,
    limit: int = 50,
) -> DispatchReport:
    """One pass: sweep stale vacancies (if ``stale_days``), fan out, then send what is due."""
    now = now or utcnow()
    with transaction(factory) as s:
        if stale_days is not None:
            sweep_stale_vacancies(s, stale_days, now)
        made = fan_out(s, now)
    counts = {"delivered": 0, "pending": 0, "failed": 0}
    for c in _claim(factory, now, limit):
        code, error, ms = _send(c, post, clock)
        status = _record(factory, c, code, error, ms, now)
        counts[status] = counts.get(status, 0) + 1
        if error:
            log.info("webhook delivery %s attempt %s failed: %s", c.delivery_id, c.attempt, error)
    return DispatchReport(made, counts["delivered"], counts["pending"], counts["failed"])
