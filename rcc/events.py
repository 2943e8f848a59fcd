"""The event outbox: what happened, written in the same transaction as the change itself.

A service calls :func:`emit` beside the change it reports (an offer made, accepted, declined or
withdrawn; a vacancy gone stale; a return rejected). Nothing is sent from the request: the
webhook dispatcher (:mod:`rcc.webhooks`) reads the outbox afterwards and delivers each event to
the subscriptions whose scope covers it, so an event is never lost when a receiver is down and
never sent for a change that was rolled back.

Payloads carry identifiers and states only, never anything about a child beyond the register's
ids: a receiver fetches details through the API with its own key, in its own scope.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rcc.db.models import OutboxEvent, utcnow

OFFER_MADE = "offer.made"
OFFER_ACCEPTED = "offer.accepted"
OFFER_DECLINED = "offer.declined"
OFFER_WITHDRAWN = "offer.withdrawn"
VACANCY_STALE = "vacancy.stale"
RETURN_REJECTED = "return.rejected"

KINDS: dict[str, str] = {
    OFFER_MADE: "an LA or the RCC sent an offer to a provider",
    OFFER_ACCEPTED: "the provider accepted an offer; the placement(s) are recorded",
    OFFER_DECLINED: "the provider declined an offer, with a reason",
    OFFER_WITHDRAWN: "the LA withdrew an offer, or another offer for the referral was accepted",
    VACANCY_STALE: "a declared vacancy has not been confirmed within the stale period",
    RETURN_REJECTED: "an SSDA903 return was refused; the errors are in the rejected-returns log",
}


def emit(
    session: Session,
    kind: str,
    subject: str,
    payload: dict[str, Any],
    *,
    la_id: int | None = None,
    provider_id: int | None = None,
    at: dt.datetime | None = None,
) -> OutboxEvent:
    """Append one event to the outbox (flushed, not committed: it stands or falls with the change)."""
    if kind not in KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    event = OutboxEvent(
        kind=kind,
        subject=subject,
        payload=payload,
        la_id=la_id,
        provider_id=provider_id,
        at=at or utcnow(),
    )
    session.add(event)
    session.flush()
    return event


def already_emitted(session: Session, kind: str, subject: str) -> bool:
    """Whether an event of ``kind`` about ``subject`` is in the outbox (for sweeps that must not repeat)."""
    found = session.scalar(
        select(OutboxEvent.id).where(OutboxEvent.kind == kind, OutboxEvent.subject == subject).limit(1)
    )
    return found is not None
