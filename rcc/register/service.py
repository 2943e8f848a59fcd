"""The supply side of the register: LAs, RCCs, providers, homes and vacancies."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from api_schemas.register import (
    ProviderIn,
    ProviderPatch,
    RccIn,
    RccPatch,
)
from rcc import geo, permissions
from rcc.auth import Principal, Role
from rcc.db.models import Home, LocalAuthority, Placement, Provider, Rcc, RccMember
from rcc.errors import Conflict, Invalid, NotFound
from rcc.pagination import (
    PageRequest,
    PageResult,
    apply_patch,
    get_or_404,
    paginate,
    resolve_la,
)

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


def create_provider(session: Session, who: Principal, data: ProviderIn) -> Provider:
    who.require(Role.ADMIN, Role.RCC_COMMISSIONER)
    permissions.check_fields(who, "provider", data.model_dump(exclude_defaults=True).keys())
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
    permissions.check_provider_write(session, who, provider_id)
    permissions.check_fields(who, "provider", patch.model_fields_set)
    apply_patch(provider, patch, skip={"contingency_plan_date"})
    if "contingency_plan_date" in patch.model_fields_set:
        provider.contingency_plan_date = patch.contingency_plan_date
    session.flush()
    return provider


def delete_provider(session: Session, who: Principal, provider_id: int) -> None:
    who.require(Role.ADMIN, Role.RCC_COMMISSIONER)
    provider = get_or_404(session, Provider, provider_id, "provider")
    permissions.check_provider_write(session, who, provider_id)
    if session.scalar(select(exists().where(Home.provider_id == provider_id))):
        raise Conflict("the provider still has homes; delete or move them first")
    session.delete(provider)
    session.flush()


def occupied_subquery(on: dt.date | None = None):
    """Places taken per home on a date: placements started and not yet ended."""
    on = on or dt.date.today()
    return (
        select(Placement.home_id, func.count().label("occupied"))
        .where(Placement.start_date <= on, or_(Placement.end_date.is_(None), Placement.end_date > on))
        .group_by(Placement.home_id)
        .subquery()
    )
