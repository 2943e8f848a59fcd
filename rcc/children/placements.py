"""Placements: a child in a home from a start date, with its weekly costs (LA scoped, audited)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from api_schemas.children import PlacementIn, PlacementPatch
from rcc import audit, occupancy, permissions
from rcc.auth import Principal, Role
from rcc.children.service import _readable_la, _scope, _writable_la
from rcc.db.models import Child, Home, Placement, RccMember
from rcc.errors import Conflict, Invalid
from rcc.pagination import (
    PageRequest,
    PageResult,
    apply_patch,
    get_or_404,
    paginate,
)


def _placement(session: Session, who: Principal, placement_id: int) -> Placement:
    p = get_or_404(session, Placement, placement_id, "placement")
    _readable_la(who, p.child.la_id, "placement", placement_id)
    return p


def _check_overlap(
    session: Session, child_id: int, start: dt.date, end: dt.date | None, skip: int | None
) -> None:
    stmt = select(Placement.id).where(
        Placement.child_id == child_id,
        or_(Placement.end_date.is_(None), Placement.end_date > start),
    )
    if end is not None:
        stmt = stmt.where(Placement.start_date < end)
    if skip is not None:
        stmt = stmt.where(Placement.id != skip)
    other = session.scalar(stmt.limit(1))
    if other is not None:
        raise Conflict(f"the child already has placement {other} over those dates")


def create_placement(session: Session, who: Principal, data: PlacementIn) -> Placement:
    child = session.get(Child, data.child_id)
    if child is None or not who.can_see_la(child.la_id) or who.role is Role.PROVIDER:
        raise Invalid(f"child {data.child_id} not found", "child_id")
    _writable_la(who, child.la_id)
    permissions.check_placement_referral(session, child.id, child.la_id, data.referral_id)
    if session.get(Home, data.home_id) is None:
        raise Invalid(f"home {data.home_id} not found", "home_id")
    occupancy.lock_homes(session, [data.home_id])
    occupancy.lock_children(session, [child.id])
    _check_overlap(session, child.id, data.start_date, data.end_date, None)
    occupancy.check_room(session, data.home_id, data.start_date, data.end_date)
    p = Placement(**data.model_dump(mode="json", exclude={"start_date", "end_date"}))
    p.start_date, p.end_date = data.start_date, data.end_date
    session.add(p)
    session.flush()
    occupancy.trim_vacancies(session, data.home_id)
    audit.record(session, who, "update", "child", [child.id], detail=f"placement {p.id} created")
    return p


def get_placement(session: Session, who: Principal, placement_id: int) -> Placement:
    p = _placement(session, who, placement_id)
    audit.record(session, who, "read", "child", [p.child_id], detail=f"placement {p.id}")
    return p


def list_placements(
    session: Session,
    who: Principal,
    page: PageRequest,
    *,
    child_id: int | None = None,
    home_id: int | None = None,
    current: bool | None = None,
    rcc_id: int | None = None,
) -> PageResult:
    stmt = _scope(select(Placement).join(Child).order_by(Placement.id), who, Child.la_id)
    if child_id is not None:
        stmt = stmt.where(Placement.child_id == child_id)
    if home_id is not None:
        stmt = stmt.where(Placement.home_id == home_id)
    if rcc_id is not None:
        stmt = stmt.where(Child.la_id.in_(select(RccMember.la_id).where(RccMember.rcc_id == rcc_id)))
    if current is not None:
        today = dt.date.today()
        now = or_(Placement.end_date.is_(None), Placement.end_date > today)
        stmt = stmt.where(now if current else ~now)
    result = paginate(session, stmt, page)
    audit.record(
        session, who, "read", "child", sorted({p.child_id for p in result.items}), detail="placements"
    )
    return result


def update_placement(session: Session, who: Principal, placement_id: int, patch: PlacementPatch) -> Placement:
    p = _placement(session, who, placement_id)
    _writable_la(who, p.child.la_id)
    if patch.end_date is not None and patch.end_date < p.start_date:
        raise Invalid("end_date must not be before start_date", "end_date")
    if patch.end_date is not None and patch.reason_ended is None and p.reason_ended is None:
        raise Invalid(
            "give reason_ended (SSDA903 REASON_PLACE_CHANGE) when ending a placement", "reason_ended"
        )
    if "end_date" in patch.model_fields_set:
        old, new = p.end_date, patch.end_date
        if old is not None and (new is None or new > old):  # a longer stay needs room over the extra days
            occupancy.lock_homes(session, [p.home_id])
            occupancy.lock_children(session, [p.child_id])
            _check_overlap(session, p.child_id, old, new, p.id)
            occupancy.check_room(session, p.home_id, old, new, exclude_placement=p.id)
    apply_patch(p, patch, skip={"end_date"})
    if "end_date" in patch.model_fields_set:
        p.end_date = patch.end_date
    session.flush()
    audit.record(session, who, "update", "child", [p.child_id], detail=f"placement {p.id}")
    return p


def delete_placement(session: Session, who: Principal, placement_id: int) -> None:
    who.require(Role.ADMIN)  # placement history is kept; only an admin may remove a mistaken record
    p = _placement(session, who, placement_id)
    session.delete(p)
    session.flush()
    audit.record(session, who, "delete", "child", [p.child_id], detail=f"placement {placement_id}")
