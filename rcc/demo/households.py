"""Generated households sized to each LA's demand: fostering, parent-and-child and supported settings.

For each LA, enough households are made that the children placed in each setting fill the assumed
share of places (params: ``*_PLACE_UTILISATION``); agency households belong to the region's real
independent fostering agencies. Supported accommodation units are grouped into synthetic providers.
(Kinship households are made per child in :mod:`rcc.demo.placements`: they are approved for that child.)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from api_schemas.vocab import HomeType, ProviderSector
from rcc.demo.children import Child
from rcc.demo.homes import DraftHome, household
from rcc.demo.params import (
    FOSTER_PLACE_UTILISATION,
    FOSTER_PLACES_SHARES,
    PARENT_AND_CHILD_IFA_SHARE,
    PARENT_AND_CHILD_PLACE_UTILISATION,
    SUPPORTED_ACCOMMODATION_PLACES_SHARES,
    SUPPORTED_LODGINGS_PLACES_SHARES,
    SUPPORTED_LODGINGS_SHARE,
    SUPPORTED_PLACE_UTILISATION,
    SUPPORTED_UNITS_PER_PROVIDER,
)
from rcc.demo.providers import make_provider, owner_key
from rcc.demo.region import RegionContext
from rcc.demo.sampling import choice, parse_date
from rcc.demo.seeds import ProviderSeed
from rcc.demo.sources import OFSTED_JUDGEMENTS

# (setting, home type, places per household, share of places in use, key tag)
_FAMILY_SPECS: tuple[tuple[str, HomeType, Mapping[int, float], float, str], ...] = (
    ("la_foster", HomeType.LA_FOSTER, FOSTER_PLACES_SHARES, FOSTER_PLACE_UTILISATION, "fh"),
    ("ifa_foster", HomeType.IFA_FOSTER, FOSTER_PLACES_SHARES, FOSTER_PLACE_UTILISATION, "ifh"),
    ("parent_and_child", HomeType.PARENT_AND_CHILD, {1: 1.0}, PARENT_AND_CHILD_PLACE_UTILISATION, "pc"),
)


def _family_households(
    ctx: RegionContext,
    la: str,
    demand: Mapping[tuple[str, str], int],
    ifa_keys: list[str],
    ifas: Mapping[str, Any],
    rng: np.random.Generator,
) -> list[DraftHome]:
    """Foster and parent-and-child households of one LA (agency ones run by the region's IFAs).

    ``ifa_keys`` has one entry per agency record, so an owner of several agencies is drawn more often.
    """
    homes: list[DraftHome] = []
    for setting, home_type, place_shares, utilisation, tag in _FAMILY_SPECS:
        target = math.ceil(demand.get((la, setting), 0) / utilisation)
        made = 0
        i = 0
        while made < target:
            places = int(choice(rng, place_shares))
            i += 1
            provider_key, judgement, jdate = f"la:{la}", None, None
            if home_type is HomeType.IFA_FOSTER or (
                home_type is HomeType.PARENT_AND_CHILD
                and rng.random() < PARENT_AND_CHILD_IFA_SHARE
                and ifa_keys
            ):
                if ifa_keys:
                    provider_key = ifa_keys[int(rng.integers(len(ifa_keys)))]
                    info = ifas[provider_key]
                    judgement = OFSTED_JUDGEMENTS.get(info.overall_judgement)
                    jdate = parse_date(info.latest_inspection_date)
            homes.append(
                household(ctx, la, f"{tag}:{la}:{i}", provider_key, home_type, places, rng, judgement, jdate)
            )
            made += places
    return homes


def _supported_households(
    ctx: RegionContext,
    la: str,
    demand: Mapping[tuple[str, str], int],
    rng: np.random.Generator,
    providers: list[ProviderSeed],
    provider_rng: np.random.Generator,
) -> list[DraftHome]:
    """Supported lodgings (the LA's scheme) and supported accommodation units (synthetic providers,
    appended to ``providers``) of one LA."""
    homes: list[DraftHome] = []
    n_supported = demand.get((la, "supported"), 0)
    n_lodgings = int(rng.binomial(n_supported, SUPPORTED_LODGINGS_SHARE)) if n_supported else 0
    for home_type, count, shares, tag in (
        (HomeType.SUPPORTED_LODGINGS, n_lodgings, SUPPORTED_LODGINGS_PLACES_SHARES, "sl"),
        (
            HomeType.SUPPORTED_ACCOMMODATION,
            n_supported - n_lodgings,
            SUPPORTED_ACCOMMODATION_PLACES_SHARES,
            "sa",
        ),
    ):
        target = math.ceil(count / SUPPORTED_PLACE_UTILISATION)
        made, i = 0, 0
        while made < target:
            places = int(choice(rng, shares))
            i += 1
            if home_type is HomeType.SUPPORTED_LODGINGS:
                provider_key = f"la:{la}"
            else:
                k = (i - 1) // SUPPORTED_UNITS_PER_PROVIDER + 1
                provider_key = f"sa:{la}:{k}"
                if (i - 1) % SUPPORTED_UNITS_PER_PROVIDER == 0:
                    name = f"Supported accommodation provider {k} ({ctx.la_names[la]})"
                    providers.append(
                        make_provider(
                            provider_rng,
                            provider_key,
                            name,
                            ProviderSector.PRIVATE,
                            name,
                            False,
                            "low",
                            ctx.as_of,
                        )
                    )
            homes.append(household(ctx, la, f"{tag}:{la}:{i}", provider_key, home_type, places, rng))
            made += places
    return homes


def generated_households(
    ctx: RegionContext,
    children: list[Child],
    ifas: pd.DataFrame,
    providers: list[ProviderSeed],
    provider_rng: np.random.Generator,
) -> list[DraftHome]:
    """Every LA's generated households, sized to its children in each setting.

    Synthetic supported-accommodation providers are appended to ``providers``, drawing from
    ``provider_rng`` (the generator the region's other providers use, so its order matters).
    """
    demand: dict[tuple[str, str], int] = {}
    for c in children:
        demand[(c.la, c.setting)] = demand.get((c.la, c.setting), 0) + 1
    ifa_keys = [owner_key(r.owner, r.urn) for r in ifas.itertuples()]
    ifa_info = {owner_key(r.owner, r.urn): r for r in ifas.itertuples()}
    homes: list[DraftHome] = []
    for la in ctx.la_codes:
        rng = ctx.rng(la, "households")
        homes += _family_households(ctx, la, demand, ifa_keys, ifa_info, rng)
        homes += _supported_households(ctx, la, demand, rng, providers, provider_rng)
    return homes
