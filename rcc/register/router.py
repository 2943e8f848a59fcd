"""Local authorities, RCCs, providers, homes and vacancies."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from api_schemas.common import Id, Page
from api_schemas.register import (
    HomeIn,
    HomeOut,
    HomePatch,
    LocalAuthorityOut,
    ProviderIn,
    ProviderOut,
    ProviderPatch,
    RccIn,
    RccOut,
    RccPatch,
    VacancyIn,
    VacancyOut,
    VacancyPatch,
)
from api_schemas.vocab import HomeType, Need, OfstedJudgement
from rcc.api.convert import to_page
from rcc.api.crud import Record, Service, record_routes
from rcc.api.deps import DB, Caller, Config, Paging
from rcc.register import homes as homes_svc
from rcc.register import service

router = APIRouter()
record_routes(
    router,
    Record("rcc", "/rccs", "register", RccIn, RccOut, RccPatch),
    Service(service.create_rcc, service.get_rcc, service.update_rcc, service.delete_rcc),
)
record_routes(
    router,
    Record("provider", "/providers", "register", ProviderIn, ProviderOut, ProviderPatch),
    Service(service.create_provider, service.get_provider, service.update_provider, service.delete_provider),
)
ON_HELP = (
    "occupancy on this date (default today): occupied_places are taken that day; free_places are free "
    "for an open-ended placement from that day, counting placements booked to start later"
)


@router.get("/local-authorities", response_model=Page[LocalAuthorityOut], tags=["register"])
def list_las(db: DB, _: Caller, page: Paging, region: str | None = None, rcc: Id | None = None):
    return to_page(service.list_las(db, page, region, rcc), LocalAuthorityOut)


@router.get("/local-authorities/{code}", response_model=LocalAuthorityOut, tags=["register"])
def get_la(code: str, db: DB, _: Caller):
    return LocalAuthorityOut.model_validate(service.get_la(db, code))


@router.get("/rccs", response_model=Page[RccOut], tags=["register"])
def list_rccs(db: DB, _: Caller, page: Paging):
    return to_page(service.list_rccs(db, page), RccOut)


@router.get("/providers", response_model=Page[ProviderOut], tags=["register"])
def list_providers(
    db: DB,
    who: Caller,
    page: Paging,
    owner_group: str | None = None,
    sector: str | None = None,
    difficult_to_replace: bool | None = None,
    rcc: Id | None = None,
):
    result = service.list_providers(
        db,
        who,
        page,
        owner_group=owner_group,
        sector=sector,
        difficult_to_replace=difficult_to_replace,
        rcc_id=rcc,
    )
    return to_page(result, ProviderOut)


@router.post("/homes", response_model=HomeOut, status_code=201, tags=["register"])
def create_home(body: HomeIn, db: DB, who: Caller):
    return HomeOut.model_validate(homes_svc.create_home(db, who, body))


@router.get("/homes", response_model=Page[HomeOut], tags=["register"])
def list_homes(
    db: DB,
    who: Caller,
    page: Paging,
    rcc: Id | None = None,
    la: Annotated[str | None, Query(description="GSS or DfE code of the LA where homes are located")] = None,
    home_type: HomeType | None = None,
    need: Annotated[Need | None, Query(description="homes that can meet this need")] = None,
    has_vacancy: bool | None = None,
    judgement: OfstedJudgement | None = None,
    provider_id: Id | None = None,
    owner_group: str | None = None,
    on: Annotated[dt.date | None, Query(description=ON_HELP)] = None,
):
    filters = homes_svc.HomeFilters(
        rcc_id=rcc,
        la_code=la,
        home_type=home_type.value if home_type else None,
        need=need.value if need else None,
        has_vacancy=has_vacancy,
        judgement=judgement.value if judgement else None,
        provider_id=provider_id,
        owner_group=owner_group,
    )
    body = homes_svc.list_homes_rendered(
        db, who, page, filters, on, lambda r: to_page(r, HomeOut).model_dump_json(by_alias=True).encode()
    )
    return Response(body, media_type="application/json")  # kept JSON: not validated and serialised again


@router.get("/homes/{home_id}", response_model=HomeOut, tags=["register"])
def get_home(
    home_id: Id, db: DB, who: Caller, on: Annotated[dt.date | None, Query(description=ON_HELP)] = None
):
    return HomeOut.model_validate(homes_svc.get_home(db, who, home_id, on))


@router.patch("/homes/{home_id}", response_model=HomeOut, tags=["register"])
def update_home(home_id: Id, body: HomePatch, db: DB, who: Caller):
    return HomeOut.model_validate(homes_svc.update_home(db, who, home_id, body))


@router.delete("/homes/{home_id}", tags=["register"], status_code=status.HTTP_204_NO_CONTENT)
def delete_home(home_id: Id, db: DB, who: Caller):
    homes_svc.delete_home(db, who, home_id)


@router.post("/vacancies", response_model=VacancyOut, status_code=201, tags=["register"])
def create_vacancy(body: VacancyIn, db: DB, who: Caller, cfg: Config):
    return VacancyOut.model_validate(homes_svc.create_vacancy(db, who, body, cfg.stale_vacancy_days))


@router.get("/vacancies", response_model=Page[VacancyOut], tags=["register"])
def list_vacancies(
    db: DB, who: Caller, cfg: Config, page: Paging, rcc: Id | None = None, home_id: Id | None = None,
    stale: bool | None = None,
):  # fmt: skip
    result = homes_svc.list_vacancies(
        db, who, page, cfg.stale_vacancy_days, rcc_id=rcc, home_id=home_id, stale=stale
    )
    return to_page(result, VacancyOut)


@router.get("/vacancies/{vacancy_id}", response_model=VacancyOut, tags=["register"])
def get_vacancy(vacancy_id: Id, db: DB, who: Caller, cfg: Config):
    return VacancyOut.model_validate(homes_svc.get_vacancy(db, who, vacancy_id, cfg.stale_vacancy_days))


@router.patch("/vacancies/{vacancy_id}", response_model=VacancyOut, tags=["register"])
def update_vacancy(vacancy_id: Id, body: VacancyPatch, db: DB, who: Caller, cfg: Config):
    return VacancyOut.model_validate(
        homes_svc.update_vacancy(db, who, vacancy_id, body, cfg.stale_vacancy_days)
    )


@router.delete("/vacancies/{vacancy_id}", tags=["register"], status_code=status.HTTP_204_NO_CONTENT)
def delete_vacancy(vacancy_id: Id, db: DB, who: Caller):
    homes_svc.delete_vacancy(db, who, vacancy_id)
