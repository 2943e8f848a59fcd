"""Homes (with their location and occupancy) and the vacancies providers declare."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import Select, String, cast, delete, exists, func, select
from sqlalchemy.orm import Session, selectinload

from api_schemas.register import (
    HomeIn,
    HomePatch,
    VacancyIn,
    VacancyPatch,
)
from rcc import occupancy, permissions
from rcc.auth import Principal, Role
from rcc.cache import VersionedCache
from rcc.db import versions
from rcc.db.models import Home, Placement, Provider, RccMember, Vacancy, utcnow
from rcc.errors import Conflict, Invalid, NotFound
from rcc.pagination import (
    PageRequest,
    PageResult,
    apply_patch,
    geocode_area,
    get_or_404,
    la_for_point,
    paginate,
    resolve_la,
)


@dataclass(frozen=True)
class HomeView:
    """A home with its occupancy on a date, as the API shows it: ``occupied_places`` are taken that
    day; ``free_places`` are free for an open-ended placement starting that day (registered places
    less the most taken on any day from then on, so a booking next month counts). Never clamped."""

    home: Home
    load: occupancy.HomeLoad

    def __getattr__(self, name: str):
        return getattr(self.home, name)

    @property
    def occupied_places(self) -> int:
        return self.load.occupied_on

    @property
    def free_places(self) -> int:
        return self.load.free_places

    @property
    def la_code(self) -> str:
        return self.home.la.gss_code


def home_view(session: Session, home: Home, on: dt.date | None = None) -> HomeView:
    on = on or dt.date.today()
    return HomeView(home, occupancy.load(session, [(home.id, home.registered_places)], on)[home.id])


def _check_home_write(session: Session, who: Principal, provider_id: int, *la_ids: int) -> None:
    permissions.check_home_write(who, provider_id, *la_ids)


def _locate(
    session: Session, who: Principal, postcode: str, la_code: str | None
) -> tuple[str, float, float, int]:
    """Geocode the postcode; the home's LA is the one it lies in (:func:`permissions.check_home_la`)."""
    area, easting, northing, lower_tier = geocode_area(postcode, "postcode")
    derived = la_for_point(session, lower_tier, easting, northing).id
    given = resolve_la(session, la_code, "la_code").id if la_code else None
    return area, easting, northing, permissions.check_home_la(who, derived, given, la_code)


def _check_urn(session: Session, urn: str | None, home_id: int | None = None) -> None:
    if urn is None:
        return
    other = session.scalar(select(Home.id).where(Home.urn == urn))
    if other is not None and other != home_id:
        raise Conflict(f"URN {urn} is already registered to home {other}")


def create_home(session: Session, who: Principal, data: HomeIn) -> HomeView:
    get_or_404(session, Provider, data.provider_id, "provider")
    area, easting, northing, la_id = _locate(session, who, data.postcode, data.la_code)
    _check_home_write(session, who, data.provider_id, la_id)
    permissions.check_fields(who, "home", data.model_dump(exclude_defaults=True).keys() - {"la_code"})
    _check_urn(session, data.urn)
    fields = data.model_dump(mode="json", exclude={"postcode", "la_code", "ofsted_judgement_date"})
    home = Home(
        **fields,
        ofsted_judgement_date=data.ofsted_judgement_date,
        postcode=area,
        easting=easting,
        northing=northing,
        la_id=la_id,
    )
    session.add(home)
    session.flush()
    return home_view(session, home)


def get_home(session: Session, who: Principal, home_id: int, on: dt.date | None = None) -> HomeView:
    home = get_or_404(session, Home, home_id, "home")
    if who.role is Role.PROVIDER and home.provider_id != who.provider_id:
        raise NotFound("home", home_id)
    return home_view(session, home, on)


@dataclass(frozen=True)
class HomeFilters:
    rcc_id: int | None = None
    la_code: str | None = None
    home_type: str | None = None
    need: str | None = None
    has_vacancy: bool | None = None
    judgement: str | None = None
    provider_id: int | None = None
    owner_group: str | None = None


def home_query(session: Session, who: Principal, f: HomeFilters) -> Select:
    """The homes that match the filters, in id order (homes only: occupancy is added per page)."""
    stmt = select(Home).order_by(Home.id)
    if who.role is Role.PROVIDER:
        stmt = stmt.where(Home.provider_id == who.provider_id)
    if f.rcc_id is not None:
        stmt = stmt.where(Home.la_id.in_(select(RccMember.la_id).where(RccMember.rcc_id == f.rcc_id)))
    if f.la_code:
        stmt = stmt.where(Home.la_id == resolve_la(session, f.la_code, "la").id)
    if f.home_type:
        stmt = stmt.where(Home.home_type == f.home_type)
    if f.judgement:
        stmt = stmt.where(Home.ofsted_judgement == f.judgement)
    if f.provider_id is not None:
        stmt = stmt.where(Home.provider_id == f.provider_id)
    if f.owner_group:
        stmt = stmt.where(
            Home.provider_id.in_(select(Provider.id).where(Provider.owner_group == f.owner_group))
        )
    if f.has_vacancy is not None:
        has = exists().where(Vacancy.home_id == Home.id, Vacancy.places > 0)
        stmt = stmt.where(has if f.has_vacancy else ~has)
    if f.need:
        # JSON list membership, portable across SQLite and PostgreSQL: needs are identifiers, so the
        # quoted value appears in the stored JSON text exactly when it is an element of the list
        stmt = stmt.where(cast(Home.needs_met, String).contains(f'"{f.need}"', autoescape=True))
    return stmt


T = TypeVar("T")
_PAGES = VersionedCache(maxsize=256, version=versions.DATA)


def list_homes(
    session: Session, who: Principal, page: PageRequest, f: HomeFilters, on: dt.date | None = None
) -> PageResult:
    """One page of homes with their occupancy on ``on`` (today by default): counted and windowed in
    the database, occupancy for the page's homes only. The same page for the same caller scope and
    date is served from this process's cache until any record changes (the ``data`` version)."""
    day = on or dt.date.today()
    scope = (who.role, who.provider_id)  # what home_query reads of the caller
    key = ("homes", scope, page.limit, page.offset, f, day, dt.date.today())
    return _PAGES.get(session, key, lambda: _list_homes(session, who, page, f, day))


def list_homes_rendered(
    session: Session,
    who: Principal,
    page: PageRequest,
    f: HomeFilters,
    on: dt.date | None,
    render: Callable[[PageResult], T],
) -> T:
    """``render(list_homes(...))``, kept beside the page under the same key and ``data`` version: a
    page asked for again is not serialised again (the API keeps its JSON bytes)."""
    day = on or dt.date.today()
    key = ("homes_rendered", (who.role, who.provider_id), page.limit, page.offset, f, day, dt.date.today())
    return _PAGES.get(session, key, lambda: render(list_homes(session, who, page, f, on)))


def _list_homes(
    session: Session, who: Principal, page: PageRequest, f: HomeFilters, on: dt.date
) -> PageResult:
    stmt = home_query(session, who, f)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    homes = list(session.scalars(stmt.options(selectinload(Home.la)).offset(page.offset).limit(page.limit)))
    loads = occupancy.load(session, [(h.id, h.registered_places) for h in homes], on)
    return PageResult([HomeView(h, loads[h.id]) for h in homes], total, page.limit, page.offset)


def update_home(session: Session, who: Principal, home_id: int, patch: HomePatch) -> HomeView:
    view = get_home(session, who, home_id)
    home = view.home
    _check_home_write(session, who, home.provider_id, home.la_id)
    permissions.check_fields(who, "home", patch.model_fields_set)
    if "urn" in patch.model_fields_set:
        _check_urn(session, patch.urn, home.id)
    if patch.postcode is not None:
        home.postcode, home.easting, home.northing, home.la_id = _locate(session, who, patch.postcode, None)
        _check_home_write(session, who, home.provider_id, home.la_id)  # and where it moves to
    if "registered_places" in patch.model_fields_set:
        occupancy.lock_homes(session, [home.id])
        view = home_view(session, home)
    apply_patch(home, patch, skip={"postcode", "ofsted_judgement_date"})
    if "ofsted_judgement_date" in patch.model_fields_set:
        home.ofsted_judgement_date = patch.ofsted_judgement_date
    if home.age_min > home.age_max:
        raise Invalid("age_min must not exceed age_max", "age_min")
    if home.registered_places < view.load.peak_from:
        raise Conflict(
            f"{view.load.peak_from} places are taken on some day from today (current and booked "
            "placements); registered_places cannot fall below that",
            [],
        )
    session.flush()
    return home_view(session, home)


def delete_home(session: Session, who: Principal, home_id: int) -> None:
    home = get_home(session, who, home_id).home
    _check_home_write(session, who, home.provider_id, home.la_id)
    if session.scalar(select(exists().where(Placement.home_id == home_id))):
        raise Conflict("the home has placement history; mark it closed instead of deleting it")
    session.delete(home)
    session.flush()


@dataclass(frozen=True)
class VacancyView:
    vacancy: Vacancy
    stale: bool

    def __getattr__(self, name: str):
        return getattr(self.vacancy, name)


def _aware(ts: dt.datetime) -> dt.datetime:
    return ts if ts.tzinfo else ts.replace(tzinfo=dt.UTC)


def vacancy_view(v: Vacancy, stale_days: int) -> VacancyView:
    return VacancyView(v, utcnow() - _aware(v.confirmed_at) > dt.timedelta(days=stale_days))


def create_vacancy(session: Session, who: Principal, data: VacancyIn, stale_days: int) -> VacancyView:
    view = get_home(session, who, data.home_id)
    _check_home_write(session, who, view.home.provider_id, view.home.la_id)
    occupancy.lock_homes(session, [data.home_id])
    others = list(session.scalars(select(Vacancy).where(Vacancy.home_id == data.home_id)))
    occupancy.check_declared(
        session,
        data.home_id,
        data.places + sum(v.places for v in others),
        min([data.available_from, *(v.available_from for v in others)]),
    )
    v = Vacancy(
        home_id=data.home_id,
        places=data.places,
        available_from=data.available_from,
        confirmed_by=data.confirmed_by,
        confirmed_at=utcnow(),
    )
    session.add(v)
    session.flush()
    return vacancy_view(v, stale_days)


def _vacancy(session: Session, who: Principal, vacancy_id: int) -> Vacancy:
    v = get_or_404(session, Vacancy, vacancy_id, "vacancy")
    if who.role is Role.PROVIDER and v.home.provider_id != who.provider_id:
        raise NotFound("vacancy", vacancy_id)
    return v


def get_vacancy(session: Session, who: Principal, vacancy_id: int, stale_days: int) -> VacancyView:
    return vacancy_view(_vacancy(session, who, vacancy_id), stale_days)


def list_vacancies(
    session: Session,
    who: Principal,
    page: PageRequest,
    stale_days: int,
    *,
    rcc_id: int | None = None,
    home_id: int | None = None,
    stale: bool | None = None,
) -> PageResult:
    stmt = select(Vacancy).join(Home).order_by(Vacancy.id)
    if who.role is Role.PROVIDER:
        stmt = stmt.where(Home.provider_id == who.provider_id)
    if rcc_id is not None:
        stmt = stmt.where(Home.la_id.in_(select(RccMember.la_id).where(RccMember.rcc_id == rcc_id)))
    if home_id is not None:
        stmt = stmt.where(Vacancy.home_id == home_id)
    if stale is not None:
        cutoff = utcnow() - dt.timedelta(days=stale_days)
        stmt = stmt.where(Vacancy.confirmed_at < cutoff if stale else Vacancy.confirmed_at >= cutoff)
    result = paginate(session, stmt, page)
    return PageResult(
        [vacancy_view(v, stale_days) for v in result.items], result.total, result.limit, result.offset
    )


def update_vacancy(
    session: Session, who: Principal, vacancy_id: int, patch: VacancyPatch, stale_days: int
) -> VacancyView:
    v = _vacancy(session, who, vacancy_id)
    _check_home_write(session, who, v.home.provider_id, v.home.la_id)
    apply_patch(v, patch, skip={"available_from"})
    if patch.available_from is not None:
        v.available_from = patch.available_from
    if patch.confirmed_by is not None:
        v.confirmed_at = utcnow()
    occupancy.lock_homes(session, [v.home_id])
    others = list(session.scalars(select(Vacancy).where(Vacancy.home_id == v.home_id, Vacancy.id != v.id)))
    occupancy.check_declared(
        session,
        v.home_id,
        v.places + sum(o.places for o in others),
        min([v.available_from, *(o.available_from for o in others)]),
    )
    session.flush()
    return vacancy_view(v, stale_days)


def delete_vacancy(session: Session, who: Principal, vacancy_id: int) -> None:
    v = _vacancy(session, who, vacancy_id)
    _check_home_write(session, who, v.home.provider_id, v.home.la_id)
    session.execute(delete(Vacancy).where(Vacancy.id == vacancy_id))
