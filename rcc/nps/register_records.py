"""An NPS record for any referral or placement, built from the register when none was imported.

A record imported as NPS keeps what the register has no column for (``nps_records.standard``) and
exports as it came in. Everything else (referrals made through the API, placements recorded
directly, the demo) still exports as a valid National Placement Standard record: the register's
columns fill the standard's properties, and what the register does not know is said to be unknown
in the standard's own terms ("NotSpecified", "NotKnown", "not recorded") rather than invented.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from api_schemas.nps import COMMUNICATION_NEED, COST_COMPONENTS
from api_schemas.vocab import HOME_TYPE_CATEGORY, HomeType
from rcc.db.models import Child, Placement, Referral
from rcc.nps.vocab import TYPE_CATEGORY

NOT_RECORDED = "not recorded in the register"
_PLACEMENT_TYPE = {category: nps_type for nps_type, category in TYPE_CATEGORY.items()}


def placement_for(session: Session, ref: Referral, child: Child) -> Placement | None:
    """The child's placement made for this referral (the latest), if any."""
    if ref.id is None:
        return None
    return session.scalars(
        select(Placement)
        .where(Placement.child_id == child.id, or_(Placement.referral_id == ref.id))
        .order_by(Placement.start_date.desc(), Placement.id.desc())
        .limit(1)
    ).first()


def _day(value: dt.datetime | dt.date | None) -> str:
    if value is None:
        return dt.date.today().isoformat()
    return (value.date() if isinstance(value, dt.datetime) else value).isoformat()


def standard_from_register(
    session: Session, ref: Referral, child: Child, placement: Placement | None
) -> dict[str, Any]:
    """The ``standard`` part of a record (what :class:`NpsRecordRow` would hold) from the register."""
    comm = list(child.communication_needs or [])
    known = [c for c in comm if c in COMMUNICATION_NEED.concepts]
    other = [c for c in comm if c not in COMMUNICATION_NEED.concepts]
    requirements: dict[str, Any] = {
        "communicationNeeds": "Yes" if comm else "NotSpecified",
        "specificCommunicationRequirement": (known + (["Other"] if other else [])) or ["None"],
        "pets": "NotKnown",
    }
    if other:
        requirements["specificCommunicationRequirementOther"] = other
    if child.cultural_needs:
        requirements["culturalNeeds"] = "Other"
        requirements["culturalNeedsOther"] = [child.cultural_needs]
    else:
        requirements["culturalNeeds"] = "NotKnown"
    std: dict[str, Any] = {
        "placementAvailability": {"_siblingCount": True},
        "placementRequirements": requirements,
        "placementRecommendation": {},
        "riskAssessment": {},
        "qualityAssurance": {
            "referralDate": _day(ref.created_at),
            "placementDate": _day(placement.start_date if placement else ref.created_at),
            "placementOfficerName": NOT_RECORDED,
            "costDate": _day(placement.start_date if placement else ref.created_at),
        },
    }
    if placement is not None:
        home = placement.home
        category = HOME_TYPE_CATEGORY[HomeType(home.home_type)]
        together = sum(
            1
            for sib in ref.children
            if sib.id != child.id
            and session.scalar(
                select(Placement.id).where(
                    Placement.child_id == sib.id, Placement.home_id == home.id, Placement.end_date.is_(None)
                )
            )
            is not None
        )
        std["actualPlacement"] = {
            "placementType": _PLACEMENT_TYPE.get(category, "Residential"),
            "providerURN": home.urn or f"rcc:home/{home.id}",  # a fostering household has no Ofsted URN
            "placementLocation": home.postcode.split()[0],  # the outward code, as the standard asks
            "isLocationPreferred": bool(ref.preferred_location_local) == (home.la_id == child.la_id),
            "isEducationContinuous": bool(child.must_keep_school),
            "siblingsPlacedTogether": together,
            "totalWeeklyCost": str(placement.weekly_total),
            "_components": list(COST_COMPONENTS),
        }
    return std
