"""The supply side of the register: LAs, RCCs, providers, homes and vacancies."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Select, String, cast, delete, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from api_schemas.register import (
    HomeIn,
    HomePatch,
    ProviderIn,
    ProviderPatch,
    RccIn,
    RccPatch,
    VacancyIn,
    VacancyPatch,
)
from rcc import geo
from rcc.auth import Principal, Role
from rcc.cache import VersionedCache
from rcc.db import versions
from rcc.db.models import Home, LocalAuthority, Placement, Provider, Rcc, RccMember, Vacancy, utcnow
from rcc.errors import Conflict, Forbidden, Invalid, NotFound
from rcc.services.common import (
    PageRequest,
    PageResult,
    apply_patch,
    geocode_area,
    get_or_404,
    la_for_point,
    paginate,
    resolve_la,
)

# ---------------------------------------------------------------- local authorities

# The LA file places these two counties in a neighbouring region; DfE, Ofsted and ONS all place them in
# the East Midlands (the demo generator settles each LA's region by the majority of the three files).
REGION_CORRECTIONS = {"E10000007": "East Midlands", "E10000019": "East Midlands"}  # Derbyshire, Lincolnshire

# LAs created in 2019-2023 reorganisations whose DfE code the shared LA file leaves blank; the codes are
# those DfE publishes in its children-looked-after statistics (and LAs use in SSDA903 returns).
DFE_CODES_MISSING_FROM_FILE = {
    "E06000058": "839",  # Bournemouth, Christchurch and Poole
    "E06000059": "838",  # Dorset
    "E06000060": "825",  # Buckinghamshire
    "E06000061": "940",  # North Northamptonshire
    "E06000062": "941",  # West Northamptonshire
    "E06000063": "942",  # Cumberland
    "E06000064": "943",  # Westmorland and Furness
    "E06000065": "815",  # North Yorkshire
    "E06000066": "933",  # Somerset
}


SHIPPED_LAS = Path(__file__).resolve().parent.parent / "reference" / "england_childrens_services_las.csv"


def seed_local_authorities(session: Session, data_dir: Path | None = None) -> int:
    """Load the 153 children's-services LAs (idempotent); returns rows added.

    Reads ``data_dir``'s copy when there is one, else the copy shipped in ``rcc/reference``.
    """
    path = data_dir / "england_childrens_services_las.csv" if data_dir else SHIPPED_LAS
    if not path.exists():
        path = SHIPPED_LAS
    known = set(session.scalars(select(LocalAuthority.gss_code)))
    added = 0
    with path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            if row["gss_code"] in known:
                continue
            lat, lon = float(row["lat"]), float(row["lon"])
            easting, northing = geo.to_bng(lat, lon)
            session.add(
                LocalAuthority(
                    gss_code=row["gss_code"],
                    dfe_code=row["dfe_la_code"] or DFE_CODES_MISSING_FROM_FILE.get(row["gss_code"]),
                    name=row["name"],
                    region=REGION_CORRECTIONS.get(row["gss_code"], row["region"]),
                    population=int(row["population_2020"]) if row["population_2020"] else None,
                    lat=lat,
                    lon=lon,
                    easting=easting,
                    northing=northing,
                )
            )
            added += 1
    session.flush()
    return added


def list_las(
    session: Session, page: PageRequest, region: str | None = None, rcc_id: int | None = None
) -> PageResult:
    stmt = select(LocalAuthority).order_by(LocalAuthority.gss_code)
    if region:
        stmt = stmt.where(LocalAuthority.region == region)
    if rcc_id is not None:
        stmt = stmt.where(LocalAuthority.id.in_(select(RccMember.la_id).where(RccMember.rcc_id == rcc_id)))
    return paginate(session, stmt, page)


def get_la(session: Session, code: str) -> LocalAuthority:
    try:
        return resolve_la(session, code, "code")
    except Invalid as exc:
        raise NotFound("local authority", code) from exc


# ---------------------------------------------------------------- RCCs


def _members(session: Session, codes: list[str]) -> list[LocalAuthority]:
    las = [resolve_la(session, c, f"member_la_codes[{i}]") for i, c in enumerate(codes)]
    if len({la.id for la in las}) != len(las):
        raise Invalid("an LA is listed twice", "member_la_codes")
    return las


def create_rcc(session: Session, who: Principal, data: RccIn) -> Rcc:
    who.require(Role.ADMIN)
    if session.scalar(select(Rcc).where(Rcc.name == data.name)):
        raise Conflict(f"an RCC named {data.name!r} exists")
    rcc = Rcc(name=data.name, members=_members(session, data.member_la_codes))
    session.add(rcc)
    session.flush()
    return rcc


def get_rcc(session: Session, who: Principal, rcc_id: int) -> Rcc:
    rcc = get_or_404(session, Rcc, rcc_id, "rcc")
    if who.role is Role.RCC_COMMISSIONER and who.rcc_id != rcc_id:
        raise NotFound("rcc", rcc_id)
    return rcc


def list_rccs(session: Session, page: PageRequest) -> PageResult:
    return paginate(session, select(Rcc).order_by(Rcc.id), page)


def update_rcc(session: Session, who: Principal, rcc_id: int, patch: RccPatch) -> Rcc:
    who.require(Role.ADMIN)
    rcc = get_or_404(session, Rcc, rcc_id, "rcc")
    if patch.name is not None and patch.name != rcc.name:
        if session.scalar(select(Rcc).where(Rcc.name == patch.name)):
            raise Conflict(f"an RCC named {patch.name!r} exists")
        rcc.name = patch.name
    if patch.member_la_codes is not None:
        rcc.members = _members(session, patch.member_la_codes)
    session.flush()
    return rcc


def delete_rcc(session: Session, who: Principal, rcc_id: int) -> None:
    who.require(Role.ADMIN)
    session.delete(get_or_404(session, Rcc, rcc_id, "rcc"))
    session.flush()


def rcc_la_ids(session: Session, rcc_id: int) -> list[int]:
    get_or_404(session, Rcc, rcc_id, "rcc")
    return list(session.scalars(select(RccMember.la_id).where(RccMember.rcc_id == rcc_id)))


# ---------------------------------------------------------------- providers


def _check_provider_write(session: Session, who: Principal, provider_id: int | None) -> None:
    if who.role is Role.LA_OFFICER:
        raise Forbidden("LA officers may read supply but not change it")
    if who.role is Role.PROVIDER and provider_id != who.provider_id:
        if provider_id is None:
            raise Forbidden("providers may not create providers")
        raise NotFound("provider", provider_id)


def create_provider(session: Session, who: Principal, data: ProviderIn) -> Provider:
    who.require(Role.ADMIN, Role.RCC_COMMISSIONER)
    provider = Provider(**data.model_dump(mode="json"))
    provider.contingency_plan_date = data.contingency_plan_date
    session.add(provider)
    session.flush()
    return provider


def get_provider(session: Session, who: Principal, provider_id: int) -> Provider:
    provider = get_or_404(session, Provider, provider_id, "provider")
    if who.role is Role.PROVIDER and who.provider_id != provider_id:
        raise NotFound("provider", provider_id)
    return provider


def list_providers(
    session: Session,
    who: Principal,
    page: PageRequest,
    *,
    owner_group: str | None = None,
    sector: str | None = None,
    difficult_to_replace: bool | None = None,
    rcc_id: int | None = None,
) -> PageResult:
    stmt = select(Provider).order_by(Provider.id)
    if who.role is Role.PROVIDER:
        stmt = stmt.where(Provider.id == who.provider_id)
    if owner_group:
        stmt = stmt.where(Provider.owner_group == owner_group)
    if sector:
        stmt = stmt.where(Provider.sector == sector)
    if difficult_to_replace is not None:
        stmt = stmt.where(Provider.difficult_to_replace == difficult_to_replace)
    if rcc_id is not None:
        in_rcc = select(Home.provider_id).where(
            Home.la_id.in_(select(RccMember.la_id).where(RccMember.rcc_id == rcc_id))
        )
        stmt = stmt.where(Provider.id.in_(in_rcc))
    return paginate(session, stmt, page)


def update_provider(session: Session, who: Principal, provider_id: int, patch: ProviderPatch) -> Provider:
    provider = get_provider(session, who, provider_id)
    _check_provider_write(session, who, provider_id)
    oversight = {"difficult_to_replace", "risk_rating", "contingency_plan_held", "contingency_plan_date"}
    if who.role is Role.PROVIDER and oversight & patch.model_fields_set:
        raise Forbidden("financial-oversight fields are set by the RCC, not the provider")
    apply_patch(provider, patch, skip={"contingency_plan_date"})
    if "contingency_plan_date" in patch.model_fields_set:
        provider.contingency_plan_date = patch.contingency_plan_date
    session.flush()
    return provider


def delete_provider(session: Session, who: Principal, provider_id: int) -> None:
    who.require(Role.ADMIN, Role.RCC_COMMISSIONER)
    provider = get_or_404(session, Provider, provider_id, "provider")
    if session.scalar(select(exists().where(Home.provider_id == provider_id))):
        raise Conflict("the provider still has homes; delete or move them first")
    session.delete(provider)
    session.flush()


# ---------------------------------------------------------------- homes


def occupied_subquery(on: dt.date | None = None):
    """Places taken per home on a date: placements started and not yet ended."""
    on = on or dt.date.today()
    return (
        select(Placement.home_id, func.count().label("occupied"))
        .where(Placement.start_date <= on, or_(Placement.end_date.is_(None), Placement.end_date > on))
        .group_by(Placement.home_id)
        .subquery()
    )


@dataclass(frozen=True)
class HomeView:
    """A home with its occupancy, as the API shows it."""

    home: Home
    occupied_places: int

    def __getattr__(self, name: str):
        return getattr(self.home, name)

    @property
    def free_places(self) -> int:
        return max(self.home.registered_places - self.occupied_places, 0)

    @property
    def la_code(self) -> str:
        return self.home.la.gss_code


def home_view(session: Session, home: Home) -> HomeView:
    occ = occupied_subquery()
    n = session.scalar(select(occ.c.occupied).where(occ.c.home_id == home.id)) or 0
    return HomeView(home, n)


def _check_home_write(session: Session, who: Principal, provider_id: int, la_id: int) -> None:
    if who.role is Role.LA_OFFICER:
        raise Forbidden("LA officers may read supply but not change it")
    if who.role is Role.PROVIDER and provider_id != who.provider_id:
        raise NotFound("provider", provider_id)
    if who.role is Role.RCC_COMMISSIONER and la_id not in who.rcc_la_ids:
        raise Forbidden("the home is not located in this RCC's area")


def _locate(session: Session, postcode: str, la_code: str | None) -> tuple[str, float, float, int]:
    area, easting, northing, lower_tier = geocode_area(postcode, "postcode")
    la = (
        resolve_la(session, la_code, "la_code")
        if la_code
        else la_for_point(session, lower_tier, easting, northing)
    )
    return area, easting, northing, la.id


def _check_urn(session: Session, urn: str | None, home_id: int | None = None) -> None:
    if urn is None:
        return
    other = session.scalar(select(Home.id).where(Home.urn == urn))
    if other is not None and other != home_id:
        raise Conflict(f"URN {urn} is already registered to home {other}")


def create_home(session: Session, who: Principal, data: HomeIn) -> HomeView:
    get_or_404(session, Provider, data.provider_id, "provider")
    area, easting, northing, la_id = _locate(session, data.postcode, data.la_code)
    _check_home_write(session, who, data.provider_id, la_id)
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
    return HomeView(home, 0)


def get_home(session: Session, who: Principal, home_id: int) -> HomeView:
    home = get_or_404(session, Home, home_id, "home")
    if who.role is Role.PROVIDER and home.provider_id != who.provider_id:
        raise NotFound("home", home_id)
    return home_view(session, home)


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


_PAGES = VersionedCache(maxsize=256, version=versions.DATA)


def list_homes(session: Session, who: Principal, page: PageRequest, f: HomeFilters) -> PageResult:
    """One page of homes: counted and windowed in the database, occupancy for the page's homes only.
    The same page for the same caller scope is served from this process's cache until any record
    changes (the ``data`` version) or the day does (occupancy is counted for today)."""
    scope = (who.role, who.provider_id)  # what home_query reads of the caller
    key = ("homes", scope, page.limit, page.offset, f, dt.date.today())
    return _PAGES.get(session, key, lambda: _list_homes(session, who, page, f))


def _list_homes(session: Session, who: Principal, page: PageRequest, f: HomeFilters) -> PageResult:
    stmt = home_query(session, who, f)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    homes = list(session.scalars(stmt.options(selectinload(Home.la)).offset(page.offset).limit(page.limit)))
    occ: dict[int, int] = {}
    if homes:
        on = dt.date.today()
        occ = dict(
            session.execute(
                select(Placement.home_id, func.count())
                .where(
                    Placement.home_id.in_([h.id for h in homes]),
                    Placement.start_date <= on,
                    or_(Placement.end_date.is_(None), Placement.end_date > on),
                )
                .group_by(Placement.home_id)
            )
            .tuples()
            .all()
        )
    return PageResult([HomeView(h, occ.get(h.id, 0)) for h in homes], total, page.limit, page.offset)


def update_home(session: Session, who: Principal, home_id: int, patch: HomePatch) -> HomeView:
    view = get_home(session, who, home_id)
    home = view.home
    _check_home_write(session, who, home.provider_id, home.la_id)
    if "urn" in patch.model_fields_set:
        _check_urn(session, patch.urn, home.id)
    if patch.postcode is not None:
        home.postcode, home.easting, home.northing, home.la_id = _locate(session, patch.postcode, None)
    apply_patch(home, patch, skip={"postcode", "ofsted_judgement_date"})
    if "ofsted_judgement_date" in patch.model_fields_set:
        home.ofsted_judgement_date = patch.ofsted_judgement_date
    if home.age_min > home.age_max:
        raise Invalid("age_min must not exceed age_max", "age_min")
    if home.registered_places < view.occupied_places:
        raise Conflict(
            f"{view.occupied_places} children live there; registered_places cannot fall below that",
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


# ---------------------------------------------------------------- vacancies


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
    if data.places > view.free_places:
        raise Conflict(f"home {data.home_id} has {view.free_places} free places; cannot offer {data.places}")
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
    free = home_view(session, v.home).free_places
    if v.places > free:
        raise Conflict(f"home {v.home_id} has {free} free places; cannot offer {v.places}")
    session.flush()
    return vacancy_view(v, stale_days)


def delete_vacancy(session: Session, who: Principal, vacancy_id: int) -> None:
    v = _vacancy(session, who, vacancy_id)
    _check_home_write(session, who, v.home.provider_id, v.home.la_id)
    session.execute(delete(Vacancy).where(Vacancy.id == vacancy_id))
