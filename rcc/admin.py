"""Operator tasks behind the CLI: API keys and the demo region."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from rcc.auth import SYSTEM, Role, create_api_key, parse_role
from rcc.db import transaction
from rcc.db.models import LocalAuthority, Provider, RccMember, Referral
from rcc.pagination import resolve_scope

if TYPE_CHECKING:
    from rcc.demo.seeds import DemoRegion


def create_key(
    factory: sessionmaker[Session],
    role: str,
    *,
    rcc: str | None = None,
    la: str | None = None,
    provider: int | None = None,
    label: str | None = None,
) -> str:
    r = parse_role(role)
    with transaction(factory) as s:
        rcc_id, la_id, provider_id = resolve_scope(s, rcc=rcc, la=la, provider=provider)
        _, plaintext = create_api_key(s, r, label=label, rcc_id=rcc_id, la_id=la_id, provider_id=provider_id)
    return plaintext


def load_demo(
    factory: sessionmaker[Session],
    data_dir: Path,
    region: str,
    seed: int,
    scale: float,
    keys: bool,
    as_of: dt.date | None = None,
    return_years: int | None = None,
) -> list[str]:
    """Generate and store a demo region with every member LA's SSDA903 returns (``return_years`` of
    them, default :data:`rcc.demo.population.RETURN_YEARS`); returns lines to print (counts, and keys
    if asked)."""
    from rcc.demo.generate import generate_region
    from rcc.demo.load import AlreadyLoaded, existing_summary, load_region
    from rcc.demo.population import RETURN_YEARS

    years = RETURN_YEARS if return_years is None else return_years
    demo = generate_region(region, seed=seed, data_dir=data_dir, scale=scale, as_of=as_of, return_years=years)
    try:
        with transaction(factory) as s:
            summary = load_region(s, demo)
        lines = [f"{k}: {v}" for k, v in summary.counts.items()]
        lines += submit_demo_returns(factory, demo)
    except AlreadyLoaded:
        with factory() as s:
            summary = existing_summary(s, demo)
        lines = [f"{demo.rcc_name!r} is already loaded; nothing changed"]
    if keys:
        lines += demo_keys(factory, summary.rcc_id, summary.first_la_id, summary.first_provider_id)
    return lines


def submit_demo_returns(factory: sessionmaker[Session], demo: DemoRegion) -> list[str]:
    """Every member LA's simulated SSDA903 returns, oldest year first, through the returns service
    (validated against DfE's rules as an upload is); one line saying what was stored."""
    from rcc.sufficiency.returns import submit_return

    for r in demo.returns:
        with transaction(factory) as s:
            submit_return(s, SYSTEM, r.la_gss_code, r.collection_year, r.files)
    if not demo.returns:
        return []
    years = sorted({r.collection_year for r in demo.returns})
    las = len({r.la_gss_code for r in demo.returns})
    return [
        f"SSDA903 returns: {len(demo.returns)} ({las} LAs, collection years {years[0]}-{(years[0] + 1) % 100:02d} "
        f"to {years[-1]}-{(years[-1] + 1) % 100:02d}, up to {years[-1] + 1}-03-31)"
    ]


@dataclass(frozen=True)
class OfferJourney:
    """An open referral of a member LA and a home with room for it (the top of its shortlist)."""

    referral_id: int
    la_id: int
    la_code: str
    home_id: int
    provider_id: int
    provider_name: str


def find_offer_journey(factory: sessionmaker[Session], rcc_id: int) -> OfferJourney | None:
    """The first open referral (single children first) whose shortlist has a home with a free place."""
    from rcc.matching.shortlist import shortlist

    with transaction(factory) as s:
        members = select(RccMember.la_id).where(RccMember.rcc_id == rcc_id)
        refs = s.execute(
            select(Referral.id, Referral.la_id)
            .where(Referral.status == "open", Referral.la_id.in_(members))
            .order_by(Referral.sibling_count, Referral.id)
            .limit(40)
        ).all()
        for ref_id, la_id in refs:
            top = shortlist(s, SYSTEM, ref_id, top_n=1)["entries"]
            if top:
                la = s.get(LocalAuthority, la_id)
                provider = s.get(Provider, top[0]["provider_id"])
                assert la is not None and provider is not None
                return OfferJourney(ref_id, la_id, la.gss_code, top[0]["home_id"], provider.id, provider.name)
    return None


def demo_keys(
    factory: sessionmaker[Session], rcc_id: int, first_la_id: int, first_provider_id: int
) -> list[str]:
    """Keys for every role, chosen so that every journey can be completed: the LA officer's LA has an
    open referral, and the provider owns a home with room for it (both printed for the README tour)."""
    journey = find_offer_journey(factory, rcc_id)
    la_id = journey.la_id if journey else first_la_id
    provider_id = journey.provider_id if journey else first_provider_id
    with transaction(factory) as s:
        la = s.get(LocalAuthority, la_id)
        provider = s.get(Provider, provider_id)
        assert la is not None and provider is not None
        made = {
            "admin": create_api_key(s, Role.ADMIN, label="demo admin")[1],
            "rcc_commissioner": create_api_key(
                s, Role.RCC_COMMISSIONER, label="demo commissioner", rcc_id=rcc_id
            )[1],
            "la_officer": create_api_key(s, Role.LA_OFFICER, label="demo LA officer", la_id=la_id)[1],
            "provider": create_api_key(s, Role.PROVIDER, label="demo provider", provider_id=provider_id)[1],
        }
        about = {
            "admin": "everything",
            "rcc_commissioner": f"RCC {rcc_id} and its member LAs",
            "la_officer": f"{la.gss_code} {la.name}",
            "provider": f"{provider.name} (provider {provider.id})",
        }
    lines = ["demo API keys (shown once):"]
    lines += [f"  {role} ({about[role]}): {key}" for role, key in made.items()]
    exports = {
        "KEY": made["rcc_commissioner"],
        "LA_KEY": made["la_officer"],
        "PROVIDER_KEY": made["provider"],
        "ADMIN_KEY": made["admin"],
        "RCC": str(rcc_id),
        "LA": la.gss_code,
    }
    if journey:
        lines.append(
            f"the offer journey: referral {journey.referral_id} ({journey.la_code}) can be offered "
            f"home {journey.home_id} of {journey.provider_name}, which has room for it"
        )
        exports |= {"REFERRAL": str(journey.referral_id), "HOME_ID": str(journey.home_id)}
    else:
        lines.append("no open referral has a home with room today: the offer journey cannot be shown")
    lines.append("for the README tour, paste:")
    lines.append("export " + " ".join(f"{k}={v}" for k, v in exports.items()))
    return lines
