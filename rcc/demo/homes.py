"""Homes: the region's real Ofsted-registered homes, and generated households (one at a time).

Registered homes keep their Ofsted URN, places, owner, judgement and status; their exact addresses are
withheld, so each is placed at an MSOA centroid in its LA. What Ofsted does not publish (ages taken,
sexes, needs met) is drawn with the rates in :mod:`rcc.demo.params`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from api_schemas.vocab import HomeType, Need, OfstedJudgement, RegistrationStatus, Sex
from rcc.demo.fees import Fees, home_fee
from rcc.demo.params import (
    CHILDRENS_HOME_AGE_RANGES,
    HOME_NEEDS_MET,
    SHORT_BREAK_OCCUPANCY,
    SINGLE_SEX_HOME_SHARE,
)
from rcc.demo.providers import owner_key
from rcc.demo.region import RegionContext
from rcc.demo.sampling import choice, parse_date
from rcc.demo.seeds import HomeSeed
from rcc.demo.sources import OFSTED_HOME_TYPES, OFSTED_JUDGEMENTS, OFSTED_STATUSES


@dataclass
class DraftHome:
    """A home being generated (becomes a HomeSeed)."""

    key: str
    provider_key: str
    urn: str | None
    name: str
    home_type: HomeType
    status: RegistrationStatus
    judgement: OfstedJudgement
    judgement_date: date | None
    la: str
    sector: str
    e: float
    n: float
    places: int
    age_min: int
    age_max: int
    sexes: tuple[Sex, ...]
    needs_met: tuple[Need, ...]
    fees: Fees
    capacity: int  # places that can be occupied on the day (short-break homes: fewer)


def home_profile(
    rng: np.random.Generator, home_type: HomeType, places: int
) -> tuple[int, int, tuple[Sex, ...], tuple[Need, ...]]:
    """(age_min, age_max, sexes, needs_met) for a home."""
    both = (Sex.MALE, Sex.FEMALE)
    if home_type in (HomeType.CHILDRENS_HOME, HomeType.SHORT_BREAK_HOME):
        age_min, age_max = choice(rng, CHILDRENS_HOME_AGE_RANGES)
        sexes = (
            ((Sex.MALE,) if rng.random() < 0.5 else (Sex.FEMALE,))
            if rng.random() < SINGLE_SEX_HOME_SHARE
            else both
        )
    elif home_type is HomeType.SECURE_CHILDRENS_HOME:
        age_min, age_max, sexes = 10, 17, both
    elif home_type is HomeType.RESIDENTIAL_SPECIAL_SCHOOL:
        age_min, age_max, sexes = 8, 17, both
    elif home_type in (HomeType.SUPPORTED_ACCOMMODATION, HomeType.SUPPORTED_LODGINGS):
        age_min, age_max, sexes = 16, 17, both
    elif home_type is HomeType.PARENT_AND_CHILD:
        age_min, age_max, sexes = 14, 17, (Sex.FEMALE,)
    else:
        age_min, age_max, sexes = 0, 17, both
    needs = {need for need, p in HOME_NEEDS_MET.get(home_type, {}).items() if rng.random() < p}
    if places >= 2 and home_type in (HomeType.LA_FOSTER, HomeType.IFA_FOSTER, HomeType.KINSHIP_FOSTER):
        needs.add(Need.SIBLING_GROUP)
    if places == 1 and home_type in (HomeType.LA_FOSTER, HomeType.IFA_FOSTER, HomeType.CHILDRENS_HOME):
        needs.add(Need.SOLO_PLACEMENT)
    return age_min, age_max, sexes, tuple(n for n in Need if n in needs)


def registered_homes(ctx: RegionContext, reg_homes: pd.DataFrame) -> list[DraftHome]:
    """The region's Ofsted-registered homes, by URN (short-break-only children's homes become
    short-break homes; suspended homes can hold nobody)."""
    homes: list[DraftHome] = []
    rng = ctx.rng(ctx.name, "homes")
    for r in reg_homes.itertuples():
        home_type = OFSTED_HOME_TYPES[r.provision_type]
        if home_type is HomeType.CHILDRENS_HOME and bool(r.short_break_only):
            home_type = HomeType.SHORT_BREAK_HOME
        la = r.la_gss_code
        msoa = int(rng.integers(ctx.n_msoa(la)))
        sector, _, _ = ctx.sector_point(la, msoa)
        places = int(r.places)
        age_min, age_max, sexes, needs = home_profile(rng, home_type, places)
        status = OFSTED_STATUSES.get(r.registration_status, RegistrationStatus.ACTIVE)
        capacity = places
        if home_type is HomeType.SHORT_BREAK_HOME:
            capacity = int(round(places * SHORT_BREAK_OCCUPANCY))
        homes.append(
            DraftHome(
                key=f"urn:{r.urn}",
                provider_key=owner_key(r.owner, r.urn),
                urn=str(r.urn),
                name=f"{r.provision_type.split(' (')[0]} {r.urn}",
                home_type=home_type,
                status=status,
                judgement=OFSTED_JUDGEMENTS.get(r.overall_judgement, OfstedJudgement.NOT_YET_INSPECTED),
                judgement_date=parse_date(r.latest_inspection_date),
                la=la,
                sector=sector,
                e=float(ctx.geo.msoa_e[la][msoa]),
                n=float(ctx.geo.msoa_n[la][msoa]),
                places=places,
                age_min=age_min,
                age_max=age_max,
                sexes=sexes,
                needs_met=needs,
                fees=home_fee(home_type, ctx.costs[la][0], ctx.costs[la][1], rng),
                capacity=0 if status is not RegistrationStatus.ACTIVE else capacity,
            )
        )
    return homes


def household(
    ctx: RegionContext,
    la: str,
    key: str,
    provider_key: str,
    home_type: HomeType,
    places: int,
    rng: np.random.Generator,
    judgement: OfstedJudgement | None = None,
    jdate: date | None = None,
) -> DraftHome:
    """A generated (unregistered) household of ``home_type`` at a random MSOA of ``la``."""
    msoa = int(rng.integers(ctx.n_msoa(la)))
    sector, se, sn = ctx.sector_point(la, msoa)
    age_min, age_max, sexes, needs = home_profile(rng, home_type, places)
    return DraftHome(
        key=key,
        provider_key=provider_key,
        urn=None,
        name=f"{home_type.value.replace('_', ' ').capitalize()} household {key.split(':')[-1]} ({ctx.la_names[la]})",
        home_type=home_type,
        status=RegistrationStatus.ACTIVE,
        judgement=judgement or OfstedJudgement.NOT_YET_INSPECTED,
        judgement_date=jdate,
        la=la,
        sector=sector,
        e=se,
        n=sn,
        places=places,
        age_min=age_min,
        age_max=age_max,
        sexes=sexes,
        needs_met=needs,
        fees=home_fee(home_type, ctx.costs[la][0], ctx.costs[la][1], rng),
        capacity=places,
    )


def home_seeds(homes: list[DraftHome]) -> tuple[HomeSeed, ...]:
    return tuple(
        HomeSeed(
            key=h.key,
            provider_key=h.provider_key,
            urn=h.urn,
            name=h.name,
            home_type=h.home_type,
            registration_status=h.status,
            judgement=h.judgement,
            judgement_date=h.judgement_date,
            la_gss_code=h.la,
            postcode_sector=h.sector,
            easting=h.e,
            northing=h.n,
            registered_places=h.places,
            age_min=h.age_min,
            age_max=h.age_max,
            sexes=h.sexes,
            needs_met=h.needs_met,
            fee_core=h.fees[0],
            fee_additional_support=h.fees[1],
            fee_education=h.fees[2],
            fee_other=h.fees[3],
        )
        for h in homes
    )
