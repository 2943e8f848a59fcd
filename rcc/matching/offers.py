"""Offers of a place: made by the LA, accepted (a placement, places taken) or declined by the provider."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

import matching as mlib
from api_schemas.matching import AcceptIn, DeclineIn, OfferIn
from api_schemas.vocab import (
    HOME_TYPE_CATEGORY,
    HomeType,
    PlacementCategory,
    RegistrationStatus,
    Suitability,
)
from rcc import audit, events
from rcc import occupancy as occ
from rcc.auth import Principal, Role
from rcc.db.models import (
    Child,
    Home,
    Job,
    Offer,
    OfferChild,
    Placement,
    Referral,
    Vacancy,
    utcnow,
)
from rcc.errors import Conflict, FieldProblem, Forbidden, Invalid, NotFound
from rcc.matching.adapters import la_codes, load_supply, rcc_of_la, to_referral
from rcc.matching.policy import _POLICY_DEFAULTS, policy_for_rcc
from rcc.matching.runs import RUN_KIND
from rcc.matching.shortlist import OPEN_STATUSES, _referral_for
from rcc.matching.unmet import upsert_unmet
from rcc.pagination import PageRequest, PageResult, get_or_404, paginate


@dataclass(frozen=True)
class OfferView:
    offer: Offer
    placement_ids: list[int]

    def __getattr__(self, name: str):
        return getattr(self.offer, name)


def _offer_view(session: Session, offer: Offer) -> OfferView:
    ids: list[int] = []
    if offer.status == "accepted":
        ids = list(
            session.scalars(
                select(Placement.id)
                .where(
                    Placement.referral_id == offer.referral_id,
                    Placement.child_id.in_([c.child_id for c in offer.children]),
                    Placement.home_id.in_([c.home_id for c in offer.children]),
                )
                .order_by(Placement.id)
            )
        )
    return OfferView(offer, ids)


def _visible_offer(who: Principal, offer: Offer) -> bool:
    if who.role is Role.PROVIDER:
        return offer.provider_id == who.provider_id
    return who.can_see_la(offer.referral.la_id)


def _offer(session: Session, who: Principal, offer_id: int) -> Offer:
    offer = get_or_404(session, Offer, offer_id, "offer")
    if not _visible_offer(who, offer):
        raise NotFound("offer", offer_id)
    return offer


def create_offer(session: Session, who: Principal, data: OfferIn) -> OfferView:
    """Send a proposal to the provider. It must meet every hard rule; places are checked again,
    under a lock, when the provider accepts."""
    if who.role not in (Role.ADMIN, Role.LA_OFFICER, Role.RCC_COMMISSIONER):
        raise Forbidden("only the child's LA or the RCC's commissioner makes offers")
    ref = _referral_for(session, who, data.referral_id)
    if ref.status not in OPEN_STATUSES:
        raise Conflict(f"referral {ref.id} is {ref.status}")
    child_ids = [c.id for c in ref.children]
    if data.home_ids is None:
        mapping = dict.fromkeys(child_ids, data.home_id)
    else:
        mapping = dict(data.home_ids)
        for cid in mapping:
            if cid not in child_ids:
                raise Invalid(f"child {cid} is not on referral {ref.id}", f"home_ids.{cid}")
        missing = [c for c in child_ids if c not in mapping]
        if missing:
            raise Invalid(f"give a home for every child of the referral (missing {missing})", "home_ids")
    field = "home_id" if data.home_ids is None else None
    homes: dict[int, Home] = {}
    for cid, hid in mapping.items():
        home = session.get(Home, hid) if hid is not None else None
        if home is None or hid is None:
            raise Invalid(f"home {hid} not found", field or f"home_ids.{cid}")
        homes[hid] = home
    providers = {h.provider_id for h in homes.values()}
    if len(providers) > 1:
        raise Invalid("an offer goes to one provider; make one offer per provider", "home_ids")
    if data.matching_run_id is not None:
        job = session.get(Job, data.matching_run_id)
        if job is None or job.kind != RUN_KIND or not who.can_see_la(ref.la_id):
            raise Invalid(f"matching run {data.matching_run_id} not found", "matching_run_id")
    dup = session.scalar(
        select(Offer.id)
        .join(OfferChild)
        .where(Offer.referral_id == ref.id, Offer.status == "pending", OfferChild.home_id.in_(list(homes)))
        .limit(1)
    )
    if dup is not None:
        raise Conflict(f"offer {dup} for this referral and home is already pending")
    # the offer must meet every hard rule (capacity is a conflict: places come and go)
    today = dt.date.today()
    codes = la_codes(session)
    lhomes = load_supply(session, [], today, extra_home_ids=list(homes), codes=codes).homes
    policy = policy_for_rcc(session, rcc_of_la(session, ref.la_id))
    chosen = {str(c): str(h) for c, h in mapping.items()}
    report = mlib.validate(chosen, [to_referral(ref, codes, today)], lhomes, policy)
    hard = [v for v in report.violations if v.rule != "capacity"]
    if hard:
        details = [
            FieldProblem(
                field or (f"home_ids.{v.child_id}" if v.child_id else "home_ids"), f"{v.rule}: {v.reason}"
            )
            for v in hard
        ]
        raise Invalid("the proposal breaks hard matching rules: " + ", ".join(sorted({v.rule for v in hard})),
                      details=details)  # fmt: skip
    if any(v.rule == "capacity" for v in report.violations):
        raise Conflict("the home has no free place for this referral now")
    offer = Offer(
        referral_id=ref.id,
        provider_id=providers.pop(),
        status="pending",
        matching_run_id=data.matching_run_id,
        created_by_key_id=who.key_id,
        children=[OfferChild(child_id=c, home_id=h) for c, h in mapping.items()],
    )
    session.add(offer)
    ref.status = "offered"
    session.flush()
    audit.record(session, who, "read", "child", child_ids, detail=f"offer {offer.id} made")
    offer_event(session, events.OFFER_MADE, offer, needed_by=ref.needed_by)
    return OfferView(offer, [])


def get_offer(session: Session, who: Principal, offer_id: int) -> OfferView:
    offer = _offer(session, who, offer_id)
    audit.record(
        session, who, "read", "child", [oc.child_id for oc in offer.children], detail=f"offer {offer.id}"
    )
    return _offer_view(session, offer)


def list_offers(
    session: Session,
    who: Principal,
    page: PageRequest,
    *,
    status: str | None = None,
    referral_id: int | None = None,
    home_id: int | None = None,
) -> PageResult:
    stmt = select(Offer).join(Referral, Referral.id == Offer.referral_id).order_by(Offer.id)
    if who.role is Role.PROVIDER:
        stmt = stmt.where(Offer.provider_id == who.provider_id)
    else:
        visible = who.visible_la_ids()
        if visible is not None:
            stmt = stmt.where(Referral.la_id.in_(visible))
    if status:
        stmt = stmt.where(Offer.status == status)
    if referral_id is not None:
        stmt = stmt.where(Offer.referral_id == referral_id)
    if home_id is not None:
        stmt = stmt.where(Offer.id.in_(select(OfferChild.offer_id).where(OfferChild.home_id == home_id)))
    result = paginate(session, stmt, page)
    ids = [oc.child_id for o in result.items for oc in o.children]
    audit.record(session, who, "read", "child", ids, detail="offers")
    return PageResult(
        [_offer_view(session, o) for o in result.items], result.total, result.limit, result.offset
    )


def _provider_offer(session: Session, who: Principal, offer_id: int) -> Offer:
    if who.role not in (Role.PROVIDER, Role.ADMIN):
        raise Forbidden("only the provider the offer was made to accepts or declines it")
    return _offer(session, who, offer_id)


def _use_vacancies(session: Session, home_id: int, n: int) -> None:
    """An accepted offer fills declared vacancies (earliest first); emptied ones are removed."""
    earliest_first = select(Vacancy).where(Vacancy.home_id == home_id).order_by(Vacancy.available_from)
    occ.take_places(session, session.scalars(earliest_first), n)


def _placement_unmet(session: Session, offer: Offer, ref: Referral, homes: dict[int, Home]) -> None:
    codes = la_codes(session)
    threshold = _POLICY_DEFAULTS.flag_distance_miles
    for oc in offer.children:
        child, home = session.get_one(Child, oc.child_id), homes[oc.home_id]
        miles = round(
            mlib.STRAIGHT_LINE.miles(child.home_easting, child.home_northing, home.easting, home.northing), 1
        )
        common: dict[str, Any] = {"referral_id": ref.id, "la_id": ref.la_id, "child_id": child.id}
        src: dict[str, Any] = {
            "offer_id": offer.id,
            "matching_run_id": offer.matching_run_id,
            "distance_miles": miles,
        }
        category = HOME_TYPE_CATEGORY[HomeType(home.home_type)]
        levels = child.suitability or {}
        preferred = [c.value for c in PlacementCategory if levels.get(c.value) == Suitability.PREFERRED.value]
        if preferred and category.value not in preferred:
            upsert_unmet(
                session,
                **common,
                kind="not_preferred_type",
                detail=f"placed in {category.value} ({home.home_type}); the care plan prefers "
                f"{', '.join(preferred)} (rates {category.value} '{levels.get(category.value, Suitability.NOT_SPECIFIED.value)}')",
                **src,
            )
        if miles > threshold:
            upsert_unmet(
                session,
                **common,
                kind="over_20_miles",
                detail=f"placed {miles:.1f} miles from home (more than {threshold:g})",
                **src,
            )
        if home.la_id != child.la_id:
            upsert_unmet(
                session,
                **common,
                kind="outside_home_la",
                detail=f"placed in {codes[home.la_id]}, outside the child's LA {codes[child.la_id]}",
                **src,
            )


def accept_offer(session: Session, who: Principal, offer_id: int, data: AcceptIn) -> OfferView:
    """The provider accepts: the placement(s) are made and the place(s) taken, or 409.

    Each home's row is locked (in id order, so two offers never deadlock) and its places are
    counted again inside the transaction, so two acceptances racing for a last place cannot
    both succeed.
    """
    _provider_offer(session, who, offer_id)
    offer_ids = sorted({oc.home_id for oc in session.get_one(Offer, offer_id).children})
    occ.lock_homes(session, offer_ids)
    occ.lock_children(session, [oc.child_id for oc in session.get_one(Offer, offer_id).children])
    if session.get_bind().dialect.name != "sqlite":
        session.execute(select(Offer.id).where(Offer.id == offer_id).with_for_update())
    offer = session.get_one(Offer, offer_id, populate_existing=True)
    session.refresh(offer, ["children"])
    if offer.status != "pending":
        raise Conflict(f"offer {offer_id} is already {offer.status}")
    ref = session.get_one(Referral, offer.referral_id, populate_existing=True)
    if ref.status not in OPEN_STATUSES:
        raise Conflict(f"referral {ref.id} is already {ref.status}")
    homes = {h: session.get_one(Home, h, populate_existing=True) for h in offer_ids}
    need: dict[int, int] = {}
    for oc in offer.children:
        need[oc.home_id] = need.get(oc.home_id, 0) + 1
    for hid, n in need.items():
        home = homes[hid]
        if home.registration_status != RegistrationStatus.ACTIVE.value:
            raise Conflict(f"home {hid} is {home.registration_status}")
        occ.check_room(session, hid, data.start_date, None, places=n)
    for oc in offer.children:
        other = session.scalar(
            select(Placement.id)
            .where(
                Placement.child_id == oc.child_id,
                or_(Placement.end_date.is_(None), Placement.end_date > data.start_date),
            )
            .limit(1)
        )
        if other is not None:
            raise Conflict(f"child {oc.child_id} already has placement {other} from that date; end it first")
    prices = data.model_dump(exclude={"start_date"})
    placements = []
    for oc in offer.children:
        p = Placement(
            child_id=oc.child_id,
            home_id=oc.home_id,
            referral_id=ref.id,
            start_date=data.start_date,
            contract="spot",
            **prices,
        )
        session.add(p)
        placements.append(p)
    for hid, n in need.items():
        _use_vacancies(session, hid, n)
    offer.status, offer.decided_at, offer.start_date = "accepted", utcnow(), data.start_date
    for k, v in prices.items():
        setattr(offer, k, v)
    ref.status = "placed"
    superseded = list(
        session.scalars(
            select(Offer).where(Offer.referral_id == ref.id, Offer.status == "pending", Offer.id != offer.id)
        )
    )
    for gone in superseded:
        gone.status, gone.decided_at = "withdrawn", utcnow()
        gone.decline_text = f"offer {offer.id} for the same referral was accepted"
    session.flush()
    offer_event(session, events.OFFER_ACCEPTED, offer, placement_ids=[p.id for p in placements],
                start_date=data.start_date.isoformat())  # fmt: skip
    for gone in superseded:
        offer_event(session, events.OFFER_WITHDRAWN, gone, reason=gone.decline_text, by="acceptance")
    _placement_unmet(session, offer, ref, homes)
    session.flush()
    audit.record(
        session,
        who,
        "update",
        "child",
        [oc.child_id for oc in offer.children],
        detail=f"offer {offer.id} accepted: placements {', '.join(str(p.id) for p in placements)}",
    )
    return OfferView(offer, [p.id for p in placements])


def reopen_if_none_pending(session: Session, offer: Offer) -> None:
    """After ``offer`` stopped being pending (declined or withdrawn): its referral goes back to
    ``open`` when it was ``offered`` and no other offer for it is still pending; then flush."""
    ref = offer.referral
    still = session.scalar(
        select(Offer.id).where(Offer.referral_id == ref.id, Offer.status == "pending", Offer.id != offer.id)
    )
    if ref.status == "offered" and still is None:
        ref.status = "open"
    session.flush()


def decline_offer(session: Session, who: Principal, offer_id: int, data: DeclineIn) -> OfferView:
    offer = _provider_offer(session, who, offer_id)
    if offer.status != "pending":
        raise Conflict(f"offer {offer_id} is already {offer.status}")
    offer.status, offer.decided_at = "declined", utcnow()
    offer.decline_reason, offer.decline_text = data.reason.value, data.text
    reopen_if_none_pending(session, offer)
    audit.record(
        session,
        who,
        "update",
        "child",
        [oc.child_id for oc in offer.children],
        detail=f"offer {offer.id} declined",
    )
    offer_event(session, events.OFFER_DECLINED, offer, reason=offer.decline_reason)
    return OfferView(offer, [])


def offer_event(session: Session, kind: str, offer: Offer, **extra: Any) -> None:
    """Put an event about ``offer`` in the outbox (ids and states only; nothing about the child)."""
    payload = {
        "offer_id": offer.id,
        "referral_id": offer.referral_id,
        "provider_id": offer.provider_id,
        "home_ids": sorted({c.home_id for c in offer.children}),
        "children": len(offer.children),
        "status": offer.status,
        **extra,
    }
    events.emit(
        session, kind, f"offer/{offer.id}", payload, la_id=offer.referral.la_id, provider_id=offer.provider_id
    )
