"""Children (pseudonymised), referrals and placements: the LA side of the register.

Every read or change of a child record appends an audit event in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from api_schemas.children import ChildIn, ChildPatch, ReferralIn, ReferralPatch
from api_schemas.vocab import Suitability
from rcc import audit, permissions
from rcc.auth import Principal, Role
from rcc.db.models import Child, Placement, RccMember, Referral
from rcc.errors import Conflict, Forbidden, Invalid, NotFound
from rcc.pagination import (
    PageRequest,
    PageResult,
    apply_patch,
    geocode_area,
    get_or_404,
    paginate,
    resolve_la,
)


def age_on(birth_month: dt.date, on: dt.date) -> int:
    """Whole years on ``on`` for a child born in ``birth_month`` (taken as the 1st)."""
    years = on.year - birth_month.year
    if (on.month, on.day) < (birth_month.month, birth_month.day):
        years -= 1
    return years


@dataclass(frozen=True)
class ChildView:
    child: Child

    def __getattr__(self, name: str):
        return getattr(self.child, name)

    @property
    def la_code(self) -> str:
        return self.child.la.gss_code

    @property
    def age_years(self) -> int:
        return age_on(self.child.birth_month, dt.date.today())


def _readable_la(who: Principal, la_id: int, entity: str, ident: int) -> None:
    if who.role is Role.PROVIDER:
        raise Forbidden("providers do not see children's records")
    if not who.can_see_la(la_id):
        raise NotFound(entity, ident)


def _writable_la(who: Principal, la_id: int) -> None:
    permissions.check_child_write(who, la_id)


def _scope(stmt, who: Principal, la_col):
    if who.role is Role.PROVIDER:
        raise Forbidden("providers do not see children's records")
    visible = who.visible_la_ids()
    return stmt if visible is None else stmt.where(la_col.in_(visible))


def _locations(child: Child, home_sector: str | None, school_sector: str | None, school_set: bool) -> None:
    if home_sector is not None:
        child.home_postcode_sector, child.home_easting, child.home_northing, _ = geocode_area(
            home_sector, "home_postcode_sector", sector_at_most=True
        )
    if school_set:
        if school_sector is None:
            child.school_postcode_sector = child.school_easting = child.school_northing = None
        else:
            child.school_postcode_sector, child.school_easting, child.school_northing, _ = geocode_area(
                school_sector, "school_postcode_sector", sector_at_most=True
            )


def _places_to_avoid(places: list) -> list[dict]:
    out = []
    for i, p in enumerate(places):
        area, e, n, _ = geocode_area(p.postcode, f"places_to_avoid[{i}].postcode")
        out.append({"postcode": area, "easting": e, "northing": n, "radius_miles": p.radius_miles})
    return out


def merged_suitability(stored: dict[str, str] | None, sent: dict[str, Suitability]) -> dict[str, str]:
    """The stored map with the sent categories changed (not_specified is stored as no entry)."""
    levels = dict(stored or {})  # a new dict, so the JSON column sees the change
    for category, level in sent.items():
        if level is Suitability.NOT_SPECIFIED:
            levels.pop(category, None)
        else:
            levels[category] = level.value
    return levels


def create_child(session: Session, who: Principal, data: ChildIn) -> ChildView:
    la = resolve_la(session, data.la_code)
    _writable_la(who, la.id)
    if session.scalar(select(Child.id).where(Child.la_id == la.id, Child.la_child_id == data.la_child_id)):
        raise Conflict(f"{la.name} already has a child with la_child_id {data.la_child_id!r}")
    fields = data.model_dump(
        mode="json",
        exclude={
            "la_code",
            "birth_month",
            "home_postcode_sector",
            "school_postcode_sector",
            "places_to_avoid",
            "suitability",
        },
    )
    child = Child(**fields, la_id=la.id, birth_month=data.birth_month.replace(day=1))
    child.suitability = merged_suitability({}, data.suitability)
    _locations(child, data.home_postcode_sector, data.school_postcode_sector, True)
    child.places_to_avoid = _places_to_avoid(data.places_to_avoid)
    session.add(child)
    session.flush()
    audit.record(session, who, "create", "child", [child.id])
    return ChildView(child)


def _child(session: Session, who: Principal, child_id: int) -> Child:
    child = get_or_404(session, Child, child_id, "child")
    _readable_la(who, child.la_id, "child", child_id)
    return child


def get_child(session: Session, who: Principal, child_id: int) -> ChildView:
    child = _child(session, who, child_id)
    audit.record(session, who, "read", "child", [child.id])
    return ChildView(child)


def list_children(
    session: Session,
    who: Principal,
    page: PageRequest,
    *,
    la_code: str | None = None,
    rcc_id: int | None = None,
    sibling_group: str | None = None,
    uasc: bool | None = None,
) -> PageResult:
    stmt = _scope(select(Child).order_by(Child.id), who, Child.la_id)
    if la_code:
        stmt = stmt.where(Child.la_id == resolve_la(session, la_code, "la").id)
    if rcc_id is not None:
        stmt = stmt.where(Child.la_id.in_(select(RccMember.la_id).where(RccMember.rcc_id == rcc_id)))
    if sibling_group:
        stmt = stmt.where(Child.sibling_group == sibling_group)
    if uasc is not None:
        stmt = stmt.where(Child.uasc == uasc)
    result = paginate(session, stmt, page)
    audit.record(session, who, "read", "child", [c.id for c in result.items], detail="list")
    return PageResult([ChildView(c) for c in result.items], result.total, result.limit, result.offset)


def update_child(session: Session, who: Principal, child_id: int, patch: ChildPatch) -> ChildView:
    child = _child(session, who, child_id)
    _writable_la(who, child.la_id)
    sent = patch.model_fields_set
    _locations(
        child, patch.home_postcode_sector, patch.school_postcode_sector, "school_postcode_sector" in sent
    )
    if patch.places_to_avoid is not None:
        child.places_to_avoid = _places_to_avoid(patch.places_to_avoid)
    if patch.suitability is not None:
        child.suitability = merged_suitability(child.suitability, patch.suitability)
    apply_patch(
        child,
        patch,
        skip={"home_postcode_sector", "school_postcode_sector", "places_to_avoid", "suitability"},
    )
    session.flush()
    audit.record(session, who, "update", "child", [child.id], detail=",".join(sorted(sent)))
    return ChildView(child)


def delete_child(session: Session, who: Principal, child_id: int) -> None:
    child = _child(session, who, child_id)
    _writable_la(who, child.la_id)
    if session.scalar(select(Placement.id).where(Placement.child_id == child_id).limit(1)):
        raise Conflict("the child has placement history, which must be kept")
    if session.scalar(select(Referral.id).join(Referral.children).where(Child.id == child_id).limit(1)):
        raise Conflict("the child is named on a referral; close or delete it first")
    session.delete(child)
    session.flush()
    audit.record(session, who, "delete", "child", [child_id])


# ---------------------------------------------------------------- referrals


@dataclass(frozen=True)
class ReferralView:
    referral: Referral

    def __getattr__(self, name: str):
        return getattr(self.referral, name)

    @property
    def la_code(self) -> str:
        return self.referral.la.gss_code

    @property
    def child_ids(self) -> list[int]:
        return [c.id for c in self.referral.children]


def create_referral(session: Session, who: Principal, data: ReferralIn) -> ReferralView:
    la = resolve_la(session, data.la_code)
    _writable_la(who, la.id)
    if len(set(data.child_ids)) != len(data.child_ids):
        raise Invalid("a child is listed twice", "child_ids")
    children = []
    for i, cid in enumerate(data.child_ids):
        child = session.get(Child, cid)
        if child is None or child.la_id != la.id:
            raise Invalid(f"child {cid} is not a child of {la.name}", f"child_ids[{i}]")
        children.append(child)
    open_ = session.scalar(
        select(Referral.id)
        .join(Referral.children)
        .where(Child.id.in_(data.child_ids), Referral.status.in_(("open", "offered")))
        .limit(1)
    )
    if open_ is not None:
        raise Conflict(f"a child on this referral already has open referral {open_}")
    ref = Referral(
        la_id=la.id,
        needed_by=data.needed_by.value,
        sibling_count=len(children) - 1,
        preferred_location_local=data.preferred_location_local,
        out_of_la_reason=data.out_of_la_reason.value if data.out_of_la_reason else None,
        out_of_la_reason_other=data.out_of_la_reason_other,
        allow_split=data.allow_split,
        children=children,
    )
    session.add(ref)
    session.flush()
    audit.record(session, who, "read", "child", data.child_ids, detail=f"referral {ref.id} created")
    return ReferralView(ref)


def _referral(session: Session, who: Principal, referral_id: int) -> Referral:
    ref = get_or_404(session, Referral, referral_id, "referral")
    _readable_la(who, ref.la_id, "referral", referral_id)
    return ref


def get_referral(session: Session, who: Principal, referral_id: int) -> ReferralView:
    ref = _referral(session, who, referral_id)
    audit.record(session, who, "read", "child", [c.id for c in ref.children], detail=f"referral {ref.id}")
    return ReferralView(ref)


def list_referrals(
    session: Session,
    who: Principal,
    page: PageRequest,
    *,
    la_code: str | None = None,
    rcc_id: int | None = None,
    status: str | None = None,
) -> PageResult:
    stmt = _scope(select(Referral).order_by(Referral.id), who, Referral.la_id)
    if la_code:
        stmt = stmt.where(Referral.la_id == resolve_la(session, la_code, "la").id)
    if rcc_id is not None:
        stmt = stmt.where(Referral.la_id.in_(select(RccMember.la_id).where(RccMember.rcc_id == rcc_id)))
    if status:
        stmt = stmt.where(Referral.status == status)
    result = paginate(session, stmt, page)
    ids = [c.id for r in result.items for c in r.children]
    audit.record(session, who, "read", "child", ids, detail="referrals")
    return PageResult([ReferralView(r) for r in result.items], result.total, result.limit, result.offset)


def update_referral(session: Session, who: Principal, referral_id: int, patch: ReferralPatch) -> ReferralView:
    ref = _referral(session, who, referral_id)
    _writable_la(who, ref.la_id)
    if ref.status in ("placed",):
        raise Conflict("a placed referral cannot be changed")
    apply_patch(ref, patch)
    if not ref.preferred_location_local and not ref.out_of_la_reason:
        raise Invalid(
            "out_of_la_reason is required when preferred_location_local is false", "out_of_la_reason"
        )
    session.flush()
    audit.record(
        session, who, "update", "child", [c.id for c in ref.children],
        detail=f"referral {ref.id}: {','.join(sorted(patch.model_fields_set))}",
    )  # fmt: skip
    return ReferralView(ref)


def delete_referral(session: Session, who: Principal, referral_id: int) -> None:
    ref = _referral(session, who, referral_id)
    _writable_la(who, ref.la_id)
    if session.scalar(select(Placement.id).where(Placement.referral_id == referral_id).limit(1)):
        raise Conflict("the referral led to a placement; close it instead")
    child_ids = [c.id for c in ref.children]
    session.delete(ref)
    session.flush()
    audit.record(session, who, "delete", "child", child_ids, detail=f"referral {referral_id}")
