"""Downloads for commissioners: the register's homes in the RCC's area, and concentration, as CSV or Excel."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rcc.auth import Principal
from rcc.commissioning.cost import concentration
from rcc.commissioning.scope import resolve_scope
from rcc.db.models import Home, LocalAuthority, Provider, Vacancy
from rcc.exports import Table, from_csv, from_dicts
from rcc.owner_groups import resolver
from rcc.register.interface import occupied_subquery

HOME_COLUMNS = (
    "home_id", "urn", "name", "home_type", "registration_status", "la_code", "la_name", "postcode",
    "provider_id", "provider", "sector", "owner_group", "registered_places", "occupied_places", "free_places",
    "declared_vacancies", "age_min", "age_max", "ofsted_judgement", "ofsted_judgement_date", "fee_core",
    "fee_additional_support", "needs_met",
)  # fmt: skip


def homes_table(session: Session, who: Principal, rcc_id: int, la_code: str | None = None) -> Table:
    """Every home located in the RCC's member LAs (or one of them), with places taken and free today."""
    scope = resolve_scope(session, who, rcc_id, la_code)
    occ = occupied_subquery()
    vac = select(Vacancy.home_id, Vacancy.places).subquery()
    group = resolver(session)
    rows: list[dict[str, Any]] = []
    stmt = (
        select(Home, Provider, LocalAuthority, occ.c.occupied)
        .join(Provider, Provider.id == Home.provider_id)
        .join(LocalAuthority, LocalAuthority.id == Home.la_id)
        .outerjoin(occ, occ.c.home_id == Home.id)
        .where(Home.la_id.in_(scope.la_ids))
        .order_by(LocalAuthority.gss_code, Home.id)
    )
    declared: dict[int, int] = {}
    for home_id, places in session.execute(select(vac.c.home_id, vac.c.places)):
        declared[home_id] = declared.get(home_id, 0) + int(places)
    for home, provider, la, occupied in session.execute(stmt):
        taken = int(occupied or 0)
        rows.append(
            {
                "home_id": home.id, "urn": home.urn, "name": home.name, "home_type": home.home_type,
                "registration_status": home.registration_status, "la_code": la.gss_code, "la_name": la.name,
                "postcode": home.postcode, "provider_id": provider.id, "provider": provider.name,
                "sector": provider.sector, "owner_group": group(provider.owner_group) or provider.name,
                "registered_places": home.registered_places, "occupied_places": taken,
                "free_places": max(home.registered_places - taken, 0), "declared_vacancies": declared.get(home.id, 0),
                "age_min": home.age_min, "age_max": home.age_max, "ofsted_judgement": home.ofsted_judgement,
                "ofsted_judgement_date": home.ofsted_judgement_date, "fee_core": home.fee_core,
                "fee_additional_support": home.fee_additional_support, "needs_met": list(home.needs_met or []),
            }
        )  # fmt: skip
    notes = [f"homes located in {scope.label}; places taken are placements open today"]
    return from_dicts("homes", rows, notes, HOME_COLUMNS)


def concentration_table(session: Session, who: Principal, rcc_id: int) -> Table:
    """Owner-group shares of places per area and category (the CSV's rows), with the method as notes."""
    from rcc.commissioning import render

    result = concentration(session, who, rcc_id)
    return from_csv("concentration", render.concentration_csv(result), list(result.get("method", [])))


OVERSIGHT_COLUMNS = (
    "provider_id", "provider_name", "owner_group", "sector", "risk_rating", "contingency_plan_held",
    "contingency_plan_date", "contingency_plan_review_due", "homes_in_area", "places_in_area", "children_placed",
)  # fmt: skip


def oversight_table(session: Session, who: Principal, rcc_id: int) -> Table:
    """The oversight register, a provider a row; children as a count only (the listing is audited)."""
    from rcc.commissioning.cost import financial_oversight

    result = financial_oversight(session, who, rcc_id)
    rows = [{**p, "children_placed": len(p["children"])} for p in result["providers"]]
    notes = [f"as of {result['as_of']}", *result["caveats"][1:], *result["method"]]
    return from_dicts("oversight register", rows, notes, OVERSIGHT_COLUMNS)
