"""Export of a child's referral and placement as an NPS record."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api_schemas.nps import (
    NODES,
    OUT_OF_LA_REASON,
    RISKS,
    URGENCY,
    to_jsonld,
)
from api_schemas.vocab import nps_suitability_properties
from rcc import audit
from rcc.auth import Principal, Role
from rcc.db.models import Child, NpsRecordRow, Placement, Referral
from rcc.errors import Forbidden, NotFound
from rcc.nps import register_records
from rcc.nps.vocab import COST_COLUMNS, LIVING_MAP, SUITABILITY_MAP
from rcc.pagination import get_or_404


def _decimals(node: dict[str, Any]) -> dict[str, Any]:
    props = {p.name: p for p in NODES["actualPlacement"][1]}
    return {k: Decimal(v) if k in props and props[k].kind == "decimal" else v for k, v in node.items()}


def export_record(
    session: Session, who: Principal, referral_id: int, child_id: int | None = None
) -> dict[str, Any]:
    if who.role is Role.PROVIDER:
        raise Forbidden("providers do not see children's records")
    ref = get_or_404(session, Referral, referral_id, "referral")
    if not who.can_see_la(ref.la_id):
        raise NotFound("referral", referral_id)
    stmt = select(NpsRecordRow).where(NpsRecordRow.referral_id == ref.id).order_by(NpsRecordRow.child_id)
    if child_id is not None:
        stmt = stmt.where(NpsRecordRow.child_id == child_id)
    row = session.scalars(stmt).first()
    if row is not None:
        child = session.get_one(Child, row.child_id)
        placement = session.get(Placement, row.placement_id) if row.placement_id else None
        stored = row.standard
    else:  # not imported as NPS: the record is built from the register
        found = next((c for c in ref.children if child_id is None or c.id == child_id), None)
        if found is None:
            raise NotFound("child of referral", child_id)
        child = found
        placement = register_records.placement_for(session, ref, child)
        stored = register_records.standard_from_register(session, ref, child, placement)
    return _export(session, who, ref, child, placement, stored)


def export_placement(session: Session, who: Principal, placement_id: int) -> dict[str, Any]:
    """Any placement as an NPS record: through its referral when it has one, else from the register alone."""
    if who.role is Role.PROVIDER:
        raise Forbidden("providers do not see children's records")
    placement = get_or_404(session, Placement, placement_id, "placement")
    child = placement.child
    if not who.can_see_la(child.la_id):
        raise NotFound("placement", placement_id)
    if placement.referral_id is not None:
        return export_record(session, who, placement.referral_id, child.id)
    # a placement recorded without a referral: a transient referral (never added to the session)
    ref = Referral(la_id=child.la_id, needed_by="> 5 days", sibling_count=0, preferred_location_local=True,
                   allow_split=False, created_at=placement.created_at)  # fmt: skip
    ref.children = [child]
    ref.la = child.la
    stored = register_records.standard_from_register(session, ref, child, placement)
    return _export(session, who, ref, child, placement, stored)


def _export(
    session: Session, who: Principal, ref: Referral, child: Child, placement: Placement | None,
    stored: dict[str, Any],
) -> dict[str, Any]:  # fmt: skip
    std = copy.deepcopy(stored)
    data: dict[str, Any] = {k: std[k] for k in ("@id", "placementId") if k in std}
    data["childId"] = child.la_child_id

    avail = std["placementAvailability"]
    if avail.pop("_siblingCount", False):
        avail["siblingCount"] = ref.sibling_count
    avail["neededBy"] = URGENCY.resolve(ref.needed_by)[0]
    avail["isPreferredLocationLocal"] = ref.preferred_location_local
    avail.pop("outOfLAReasonOther", None)
    if ref.out_of_la_reason:
        avail["outOfLAReason"] = OUT_OF_LA_REASON.resolve(ref.out_of_la_reason)[0]
    stored_other = stored["placementAvailability"].get("outOfLAReasonOther", [])
    if ref.out_of_la_reason_other:
        same = ref.out_of_la_reason_other == "; ".join(stored_other)
        avail["outOfLAReasonOther"] = stored_other if same else [ref.out_of_la_reason_other]
    data["placementAvailability"] = avail

    req = std["placementRequirements"]
    req["livingCompanions"] = {v: k for k, v in LIVING_MAP.items()}[child.living_companions]
    data["placementRequirements"] = req
    rec = std["placementRecommendation"]
    suit = {v: k for k, v in SUITABILITY_MAP.items()}
    levels = child.suitability or {}
    for prop, category in nps_suitability_properties().items():
        rec[prop] = suit[levels.get(category, "not_specified")]
    data["placementRecommendation"] = rec
    risk = std["riskAssessment"]
    for r in RISKS:
        risk[r] = "RiskPresent" if r in child.risks else "NoKnownRisk"
    data["riskAssessment"] = risk
    if "actualPlacement" in std:
        actual = _decimals(std["actualPlacement"])
        components = actual.pop("_components", None)
        if placement is not None:
            actual["providerURN"] = placement.home.urn or actual.get("providerURN")
            for c in components or []:
                actual[c] = Decimal(getattr(placement, COST_COLUMNS[c]))
        data["actualPlacement"] = actual
    data["qualityAssurance"] = _quality_assurance(std["qualityAssurance"], who, ref.la_id)
    what = f"referral {ref.id}" if ref.id is not None else f"placement {placement.id if placement else '?'}"
    audit.record(session, who, "read", "child", [child.id], detail=f"NPS record of {what}")
    return to_jsonld(data, _extension(child, ref, placement))


QA_NAMES = ("referralOfficerName", "placementOfficerName", "costOfficerName")


WITHHELD = "withheld outside the recording LA"


def _quality_assurance(qa: dict[str, Any], who: Principal, la_id: int) -> dict[str, Any]:
    """The standard keeps quality-assurance metadata within the recording LA: officers' names are
    exported to that LA's own officers (and admins) only; others see the dates and a placeholder."""
    if who.role is Role.ADMIN or (who.role is Role.LA_OFFICER and who.la_id == la_id):
        return qa
    return {k: (WITHHELD if k in QA_NAMES else v) for k, v in qa.items()}


def _extension(child: Child, ref: Referral, placement: Placement | None) -> dict[str, Any]:
    return {
        "la_code": child.la.gss_code,
        "sex": child.sex,
        "birth_month": child.birth_month.isoformat(),
        "ethnicity": child.ethnicity,
        "uasc": child.uasc,
        "needs": list(child.needs),
        "home_postcode_sector": child.home_postcode_sector,
        "school_postcode_sector": child.school_postcode_sector,
        "must_keep_school": child.must_keep_school,
        "places_to_avoid": [
            {"postcode": p["postcode"], "radius_miles": p["radius_miles"]} for p in child.places_to_avoid
        ],
        "sibling_group": child.sibling_group,
        "wishes": child.wishes,
        "cultural_needs": child.cultural_needs,
        "communication_needs": list(child.communication_needs),
        "sibling_child_ids": [c.la_child_id for c in ref.children if c.id != child.id],
        "allow_split": ref.allow_split,
        "placement_start_date": placement.start_date.isoformat() if placement else None,
        "contract": placement.contract if placement else None,
        "referral_id": ref.id,
        "child_id": child.id,
        "placement_id": placement.id if placement else None,
    }
