"""The rest of the offer journey: events for every decision, withdrawal, and the child's profile
that a provider reads before deciding.

- Every change of an offer's state (made, accepted, declined, withdrawn) goes to the event outbox in
  the same transaction, so subscribed webhooks hear of it (see :mod:`rcc.webhooks`).
- The LA (or the RCC's commissioner) may withdraw a pending offer, with a reason in words.
- The provider an offer is addressed to sees a non-identifying profile of each child: an age band
  (never the birth month), sex, needs, risks, the number of siblings referred together, and the
  child's wishes in their own words; never the LA's child id, postcodes or anything else that
  identifies the child. Each read is audited as a read of the child record.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from api_schemas.matching import WithdrawIn
from rcc import audit, events
from rcc.auth import Principal, Role
from rcc.children.interface import age_on
from rcc.db.models import utcnow
from rcc.errors import Conflict, Forbidden
from rcc.matching.offers import OfferView, _offer, offer_event, reopen_if_none_pending

AGE_BANDS: tuple[tuple[int, int, str], ...] = (
    (0, 4, "0-4"),
    (5, 9, "5-9"),
    (10, 12, "10-12"),
    (13, 15, "13-15"),
    (16, 17, "16-17"),
)


def age_band(age: int) -> str:
    """The band a provider sees instead of a birth month (DfE's bands, 10-15 split at 13)."""
    for lo, hi, label in AGE_BANDS:
        if lo <= age <= hi:
            return label
    return "18+" if age >= 18 else "0-4"


def withdraw_offer(session: Session, who: Principal, offer_id: int, data: WithdrawIn) -> OfferView:
    """The LA (or the RCC) withdraws a pending offer; the referral reopens when nothing else is pending."""
    if who.role not in (Role.ADMIN, Role.LA_OFFICER, Role.RCC_COMMISSIONER):
        raise Forbidden("only the child's LA or the RCC's commissioner withdraws an offer")
    offer = _offer(session, who, offer_id)
    if offer.status != "pending":
        raise Conflict(f"offer {offer_id} is already {offer.status}")
    offer.status, offer.decided_at = "withdrawn", utcnow()
    offer.decline_reason, offer.decline_text = None, data.reason
    reopen_if_none_pending(session, offer)
    offer_event(session, events.OFFER_WITHDRAWN, offer, reason=data.reason, by="la")
    return OfferView(offer, [])


def child_profile(
    session: Session, who: Principal, offer_id: int, on: dt.date | None = None
) -> dict[str, Any]:
    """What the provider may know about the children of an offer addressed to it (audited)."""
    offer = _offer(session, who, offer_id)  # 404 unless addressed to the caller (or in its scope)
    ref = offer.referral
    on = on or dt.date.today()
    siblings = max(ref.sibling_count or 0, len(ref.children) - 1)
    children = []
    for child in ref.children:
        children.append(
            {
                "age_band": age_band(age_on(child.birth_month, on)),
                "sex": child.sex,
                "needs": list(child.needs or []),
                "risks": list(child.risks or []),
                "siblings": siblings,
                "uasc": bool(child.uasc),
                "communication_needs": list(child.communication_needs or []),
                "cultural_needs": child.cultural_needs,
                "wishes": child.wishes,
                "home_type_suitability": {
                    cat: (child.suitability or {}).get(cat, "not_specified")
                    for cat in ("foster", "residential", "supported")
                },
            }
        )
    reader = f"provider {who.provider_id}" if who.role is Role.PROVIDER else who.role.value
    audit.record(
        session,
        who,
        "read",
        "child",
        [c.id for c in ref.children],
        detail=f"offer {offer.id} child profile ({reader})",
    )
    return {"offer_id": offer.id, "referral_id": ref.id, "needed_by": ref.needed_by, "children": children}
