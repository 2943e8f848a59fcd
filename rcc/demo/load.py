"""Store a generated :class:`~rcc.demo.generate.DemoRegion` in the register (one transaction)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from rcc.db.models import Child, Home, LocalAuthority, Placement, Provider, Rcc, Referral, Vacancy


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


def _v(x):
    """Enum members to their stored string values (tuples become lists)."""
    if isinstance(x, tuple | list | frozenset | set):
        return [_v(i) for i in x]
    return getattr(x, "value", x)


def load_region(session: Session, demo) -> LoadSummary:
    """Insert the region as one RCC; refuses if an RCC of that name exists (nothing partial is stored)."""
    if session.scalar(select(Rcc.id).where(Rcc.name == demo.rcc_name)) is not None:
        raise AlreadyLoaded(f"{demo.rcc_name!r} is already loaded")
    las = {la.gss_code: la for la in session.scalars(select(LocalAuthority))}
    members = [las[seed.gss_code] for seed in demo.las]
    rcc = Rcc(name=demo.rcc_name, members=members)
    session.add(rcc)

    providers: dict[str, Provider] = {}
    for p in demo.providers:
        providers[p.key] = Provider(
            name=p.name,
            sector=_v(p.sector),
            owner_group=p.owner_group,
            companies_house_number=p.companies_house_number,
            difficult_to_replace=p.difficult_to_replace,
            risk_rating=p.risk_rating,
            contingency_plan_held=p.contingency_plan_held,
            contingency_plan_date=p.contingency_plan_date,
        )
    session.add_all(providers.values())
    session.flush()

    homes: dict[str, Home] = {}
    for h in demo.homes:
        homes[h.key] = Home(
            provider_id=providers[h.provider_key].id,
            urn=h.urn,
            name=h.name,
            home_type=_v(h.home_type),
            registration_status=_v(h.registration_status),
            ofsted_judgement=_v(h.judgement),
            ofsted_judgement_date=h.judgement_date,
            postcode=h.postcode_sector,
            easting=h.easting,
            northing=h.northing,
            la_id=las[h.la_gss_code].id,
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
    session.add_all(homes.values())

    children: dict[str, Child] = {}
    for c in demo.children:
        children[c.key] = Child(
            la_id=las[c.la_gss_code].id,
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
            suitability_foster=_v(c.suitability_foster),
            suitability_residential=_v(c.suitability_residential),
            suitability_supported=_v(c.suitability_supported),
            risks=_v(c.risks),
            living_companions=_v(c.living_companions),
            places_to_avoid=[],
            cultural_needs=c.cultural_needs,
            communication_needs=_v(c.communication_needs),
            wishes=c.wishes,
        )
    session.add_all(children.values())
    session.flush()

    session.add_all(
        Placement(
            child_id=children[p.child_key].id,
            home_id=homes[p.home_key].id,
            start_date=p.start_date,
            weekly_core=round(p.weekly_core),
            weekly_additional_support=round(p.weekly_additional_support),
            weekly_education=round(p.weekly_education),
            weekly_other=round(p.weekly_other),
            contract=getattr(p, "contract", "spot"),
        )
        for p in demo.placements
    )
    session.add_all(
        Vacancy(
            home_id=homes[v.home_key].id,
            places=v.places,
            available_from=v.available_from,
            confirmed_by=v.confirmed_by,
            confirmed_at=v.confirmed_at,
        )
        for v in demo.vacancies
    )
    for r in demo.referrals:
        kids = [children[k] for k in r.child_keys]
        referral = Referral(
            la_id=las[r.la_gss_code].id,
            status="open",
            needed_by=_v(r.needed_by),
            sibling_count=len(kids) - 1,
            preferred_location_local=r.preferred_location_local,
            out_of_la_reason=_v(r.out_of_la_reason),
            children=kids,
        )
        referral.created_at = r.created_at
        session.add(referral)
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


def existing_summary(session: Session, demo) -> LoadSummary:
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
