"""The adapters between database rows and the pure matching library: children, referrals, homes and
the supply of free places on a date. The only module that builds matching-library inputs from the database."""

from __future__ import annotations

import datetime as dt
import enum
import logging
import typing
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select, true
from sqlalchemy.orm import Session

import matching as mlib
from api_schemas.vocab import (
    HomeType,
    LivingCompanions,
    Need,
    OfstedJudgement,
    PlacementCategory,
    RegistrationStatus,
    RiskFlag,
    Sex,
    Suitability,
    Urgency,
)
from rcc import occupancy as occ
from rcc.children.interface import age_on
from rcc.db.models import (
    Child,
    Home,
    LocalAuthority,
    Placement,
    RccMember,
    Referral,
    Vacancy,
)

log = logging.getLogger("rcc.matching")


def _enum_set(kind: type[enum.Enum], values: Iterable[str] | None) -> frozenset:
    out = set()
    for v in values or ():
        try:
            out.add(kind(v))
        except ValueError:
            log.warning("ignoring unknown %s %r", kind.__name__, v)
    return frozenset(out)


def la_codes(session: Session) -> dict[int, str]:
    return dict(session.execute(select(LocalAuthority.id, LocalAuthority.gss_code)).all())


def child_profile(child: Child, la_code: str, on: dt.date) -> mlib.ChildProfile:
    """A child as the matching rules see them: age on ``on``, needs, care-plan suitability per
    placement category, risks, living companions, home and school (BNG), places to avoid."""
    levels = child.suitability or {}
    suitability = {
        cat: Suitability(levels.get(cat.value, Suitability.NOT_SPECIFIED)) for cat in PlacementCategory
    }
    avoid = [
        (float(p["easting"]), float(p["northing"]), float(p["radius_miles"]))
        for p in (child.places_to_avoid or [])
        if isinstance(p, dict) and {"easting", "northing", "radius_miles"} <= p.keys()
    ]
    return mlib.ChildProfile.make(
        suitability=suitability,
        id=str(child.id),
        age_years=age_on(child.birth_month, on),
        sex=Sex(child.sex),
        home_easting=child.home_easting,
        home_northing=child.home_northing,
        home_la=la_code,
        needs=_enum_set(Need, child.needs),
        risks=_enum_set(RiskFlag, child.risks),
        living_companions=LivingCompanions(child.living_companions),
        school_easting=child.school_easting,
        school_northing=child.school_northing,
        must_keep_school=child.must_keep_school,
        places_to_avoid=avoid,
    )


def to_referral(ref: Referral, codes: dict[int, str], on: dt.date) -> mlib.Referral:
    return mlib.Referral(
        id=str(ref.id),
        children=tuple(child_profile(c, codes[c.la_id], on) for c in ref.children),
        urgency=Urgency(ref.needed_by),
        la=codes[ref.la_id],
        allow_split=ref.allow_split,
    )


def free_places(registered: int, occupied: int, declared: int | None) -> int:
    """Registered minus occupied, capped by the declared vacancies where there are any."""
    free = max(registered - occupied, 0)
    return free if declared is None else min(free, max(declared, 0))


_K = typing.TypeVar("_K")


def occupancy(
    placements: Iterable[tuple[_K, dt.date]], vacancies: Iterable[tuple[_K, int, dt.date]], on: dt.date
) -> tuple[dict[_K, list[int]], dict[_K, int]]:
    """Resident ages and declared places per home on ``on``, for :func:`to_home`.

    ``placements`` are ``(home, child's birth month)`` of the placements holding a place on ``on``
    (current or booked); ``vacancies`` are ``(home, places, available_from)`` of every declared
    vacancy. A vacancy available after ``on`` declares 0 places, so its home is capped at 0.
    """
    ages: dict[_K, list[int]] = {}
    for home, born in placements:
        ages.setdefault(home, []).append(age_on(born, on))
    declared: dict[_K, int] = {}
    for home, places, available_from in vacancies:
        declared[home] = declared.get(home, 0) + (places if available_from <= on else 0)
    return ages, declared


def to_home(
    home: Any, la_code: str, occupied: int, declared: int | None, resident_ages: tuple[int, ...]
) -> mlib.Home:
    sexes = _enum_set(Sex, home.sexes_accepted) or frozenset(Sex)
    judgement = (
        OfstedJudgement(home.ofsted_judgement) if home.ofsted_judgement else OfstedJudgement.NOT_YET_INSPECTED
    )
    return mlib.Home(
        id=str(home.id),
        home_type=HomeType(home.home_type),
        la=la_code,
        easting=home.easting,
        northing=home.northing,
        free_places=free_places(home.registered_places, occupied, declared),
        age_min=home.age_min,
        age_max=home.age_max,
        sexes=sexes,
        needs_met=_enum_set(Need, home.needs_met),
        judgement=judgement,
        registration=RegistrationStatus(home.registration_status),
        weekly_fee=home.fee_core + home.fee_additional_support + home.fee_education + home.fee_other,
        resident_ages=tuple(sorted(resident_ages)),
    )


@dataclass(frozen=True)
class HomeInfo:
    """What the API shows beside a home id in a proposal."""

    id: int
    name: str
    home_type: str
    provider_id: int
    la_code: str
    free_places: int
    weekly_fee: int


@dataclass(frozen=True)
class Supply:
    homes: tuple[mlib.Home, ...]
    info: dict[int, HomeInfo]


def _current(on: dt.date):
    """Placements holding a place on ``on`` or later: started or booked, and not ended by then."""
    return (or_(Placement.end_date.is_(None), Placement.end_date > on),)


_HOME_COLUMNS = (
    Home.id, Home.name, Home.provider_id, Home.home_type, Home.registration_status, Home.ofsted_judgement,
    Home.easting, Home.northing, Home.la_id, Home.registered_places, Home.age_min, Home.age_max,
    Home.sexes_accepted, Home.needs_met, Home.fee_core, Home.fee_additional_support, Home.fee_education,
    Home.fee_other,
)  # fmt: skip


def load_supply(
    session: Session,
    la_ids: Collection[int] | None,
    on: dt.date,
    extra_home_ids: Collection[int] = (),
    codes: dict[int, str] | None = None,
) -> Supply:
    """Every home located in ``la_ids`` (all homes when None) plus ``extra_home_ids``, as library
    homes with free places, resident ages and fees (three queries, whatever the register's size;
    plain rows, not ORM objects, because a region holds thousands of homes)."""
    codes = codes or la_codes(session)
    where = (
        or_(Home.la_id.in_(list(la_ids)), Home.id.in_(list(extra_home_ids))) if la_ids is not None else true()
    )
    homes = session.execute(select(*_HOME_COLUMNS).where(where).order_by(Home.id)).all()
    holding = session.execute(
        select(Placement.home_id, Child.birth_month, Placement.start_date, Placement.end_date)
        .join(Child, Child.id == Placement.child_id)
        .join(Home, Home.id == Placement.home_id)
        .where(*_current(on), where)
    ).all()
    intervals: dict[int, list[occ.Interval]] = {}
    for home_id, _, start, end in holding:
        intervals.setdefault(home_id, []).append((start, end))
    ages, declared = occupancy(
        ((home_id, born) for home_id, born, _, _ in holding),
        session.execute(
            select(Vacancy.home_id, Vacancy.places, Vacancy.available_from)
            .join(Home, Home.id == Vacancy.home_id)
            .where(where)
        ),
        on,
    )
    lib, info = [], {}
    for h in homes:
        resident = ages.get(h.id, ())
        taken = occ.peak(intervals.get(h.id, ()), on)  # most places taken on any day from ``on``
        mh = to_home(h, codes[h.la_id], taken, declared.get(h.id), tuple(resident))
        lib.append(mh)
        info[h.id] = HomeInfo(
            h.id, h.name, h.home_type, h.provider_id, codes[h.la_id], mh.free_places, mh.weekly_fee
        )
    return Supply(tuple(lib), info)


def rcc_of_la(session: Session, la_id: int) -> int | None:
    return session.scalar(select(func.min(RccMember.rcc_id)).where(RccMember.la_id == la_id))


def _member_las(session: Session, rcc_id: int) -> list[int]:
    return list(session.scalars(select(RccMember.la_id).where(RccMember.rcc_id == rcc_id)))
