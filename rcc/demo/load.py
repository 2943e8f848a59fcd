"""Store a generated :class:`~rcc.demo.seeds.DemoRegion` in the register (one transaction)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rcc.db.models import Child, Home, LocalAuthority, Placement, Provider, Rcc, Referral, Vacancy
from rcc.demo.seeds import (
    ChildSeed,
    DemoRegion,
    HomeSeed,
    PlacementSeed,
    ProviderSeed,
    ReferralSeed,
    VacancySeed,
)


class AlreadyLoaded(ValueError):
    pass


@dataclass
class LoadSummary:
    rcc_id: int
    first_la_id: int
    first_la_code: str
    first_provider_id: int
    first_provider_name: str
    counts: dict[str, int] = field(default_factory=dict)


def _v(x: Any) -> Any:
    """Enum members to their stored string values (tuples become lists)."""
    if isinstance(x, tuple | list | frozenset | set):
        return [_v(i) for i in x]
    return getattr(x, "value", x)


def _provider_row(p: ProviderSeed) -> Provider:
    return Provider(
        name=p.name,
        sector=_v(p.sector),
        owner_group=p.owner_group,
        companies_house_number=p.companies_house_number,
        difficult_to_replace=p.difficult_to_replace,
        risk_rating=p.risk_rating,
        contingency_plan_held=p.contingency_plan_held,
        contingency_plan_date=p.contingency_plan_date,
    )


def _home_row(h: HomeSeed, provider_id: int, la_id: int) -> Home:
    """A home, fees rounded to whole pounds."""
    return Home(
        provider_id=provider_id,
        urn=h.urn,
        name=h.name,
        home_type=_v(h.home_type),
        registration_status=_v(h.registration_status),
        ofsted_judgement=_v(h.judgement),
        ofsted_judgement_date=h.judgement_date,
        postcode=h.postcode_sector,
        easting=h.easting,
        northing=h.northing,
        la_id=la_id,
        registered_places=h.registered_places,
        age_min=h.age_min,
        age_max=h.age_max,
        sexes_accepted=_v(h.sexes),
        needs_met=_v(h.needs_met),
        fee_core=round(h.fee_core),
        fee_additional_support=round(h.fee_additional_support),
        fee_education=round(h.fee_education),
        fee_other=round(h.fee_other),
    )


def _child_row(c: ChildSeed, la_id: int) -> Child:
    return Child(
        la_id=la_id,
        la_child_id=c.la_child_id,
        birth_month=c.birth_month,
        sex=_v(c.sex),
        ethnicity=c.ethnicity,
        uasc=c.uasc,
        needs=_v(c.needs),
        home_postcode_sector=c.home_postcode_sector,
        home_easting=c.home_easting,
        home_northing=c.home_northing,
        school_postcode_sector=c.school_postcode_sector,
        school_easting=c.school_easting,
        school_northing=c.school_northing,
        must_keep_school=c.must_keep_school,
        sibling_group=c.sibling_group_key,
        suitability={category: _v(level) for category, level in c.suitability.items()},
        risks=_v(c.risks),
        living_companions=_v(c.living_companions),
        places_to_avoid=[],
        cultural_needs=c.cultural_needs,
        communication_needs=_v(c.communication_needs),
        wishes=c.wishes,
    )


def _placement_row(p: PlacementSeed, child_id: int, home_id: int) -> Placement:
    """A placement, fees rounded to whole pounds."""
    return Placement(
        child_id=child_id,
        home_id=home_id,
        start_date=p.start_date,
        weekly_core=round(p.weekly_core),
        weekly_additional_support=round(p.weekly_additional_support),
        weekly_education=round(p.weekly_education),
        weekly_other=round(p.weekly_other),
        contract=getattr(p, "contract", "spot"),
        end_date=p.end_date,
        reason_ended=p.reason_ended,
    )


def _vacancy_row(v: VacancySeed, home_id: int) -> Vacancy:
    return Vacancy(
        home_id=home_id,
        places=v.places,
        available_from=v.available_from,
        confirmed_by=v.confirmed_by,
        confirmed_at=v.confirmed_at,
    )


def _referral_row(r: ReferralSeed, la_id: int, kids: list[Child]) -> Referral:
    """An open referral of ``kids``, dated when the generator says it was made."""
    referral = Referral(
        la_id=la_id,
        status="open",
        needed_by=_v(r.needed_by),
        sibling_count=len(kids) - 1,
        preferred_location_local=r.preferred_location_local,
        out_of_la_reason=_v(r.out_of_la_reason),
        children=kids,
    )
    referral.created_at = r.created_at
    return referral


def load_region(session: Session, demo: DemoRegion) -> LoadSummary:
    """Insert the region as one RCC; refuses if an RCC of that name exists (nothing partial is stored)."""
    if session.scalar(select(Rcc.id).where(Rcc.name == demo.rcc_name)) is not None:
        raise AlreadyLoaded(f"{demo.rcc_name!r} is already loaded")
    las = {la.gss_code: la for la in session.scalars(select(LocalAuthority))}
    members = [las[seed.gss_code] for seed in demo.las]
    rcc = Rcc(name=demo.rcc_name, members=members)
    session.add(rcc)

    providers = {p.key: _provider_row(p) for p in demo.providers}
    session.add_all(providers.values())
    session.flush()
    homes = {h.key: _home_row(h, providers[h.provider_key].id, las[h.la_gss_code].id) for h in demo.homes}
    session.add_all(homes.values())
    children = {c.key: _child_row(c, las[c.la_gss_code].id) for c in demo.children}
    session.add_all(children.values())
    session.flush()

    session.add_all(
        _placement_row(p, children[p.child_key].id, homes[p.home_key].id) for p in demo.placements
    )
    session.add_all(_vacancy_row(v, homes[v.home_key].id) for v in demo.vacancies)
    for r in demo.referrals:
        session.add(_referral_row(r, las[r.la_gss_code].id, [children[k] for k in r.child_keys]))
    session.flush()

    first_provider = (
        next(p for p in providers.values() if p.sector != "local_authority") if providers else None
    )
    return LoadSummary(
        rcc_id=rcc.id,
        first_la_id=members[0].id,
        first_la_code=members[0].gss_code,
        first_provider_id=first_provider.id if first_provider else 0,
        first_provider_name=first_provider.name if first_provider else "",
        counts={
            "rcc": 1,
            "local authorities": len(members),
            "providers": len(providers),
            "homes": len(homes),
            "children": len(children),
            "placements": len(demo.placements),
            "vacancies": len(demo.vacancies),
            "open referrals": len(demo.referrals),
        },
    )


def existing_summary(session: Session, demo: DemoRegion) -> LoadSummary:
    """The summary of a region loaded earlier (for printing keys again without reloading)."""
    rcc = session.scalars(select(Rcc).where(Rcc.name == demo.rcc_name)).one()
    first = rcc.members[0]
    provider = session.scalars(
        select(Provider)
        .where(Provider.sector != "local_authority")
        .where(Provider.id.in_(select(Home.provider_id).where(Home.la_id.in_([m.id for m in rcc.members]))))
        .order_by(Provider.id)
    ).first()
    return LoadSummary(
        rcc_id=rcc.id,
        first_la_id=first.id,
        first_la_code=first.gss_code,
        first_provider_id=provider.id if provider else 0,
        first_provider_name=provider.name if provider else "",
    )
