"""Deterministic demo-region generator built only from the open data in the shared data directory.

``generate_region("North East", seed=1, data_dir=...)`` returns a :class:`DemoRegion`: plain frozen
dataclasses (no database) describing one Regional Care Cooperative made of every children's-services
local authority in an English region, with

* the region's real Ofsted-registered children's homes, secure children's homes and residential special
  schools registered as children's homes (real URN, places, sector, owner, judgement and date);
* one provider per owner organisation, plus each LA's in-house fostering service, the region's
  independent fostering agencies, and synthetic supported-accommodation providers;
* generated fostering, kinship, parent-and-child and supported households sized to each LA's children
  looked after (DfE), with weekly fees shaped by each LA's spending (MHCLG RO3);
* children in care per LA equal to the DfE count on 31 March (latest year, times ``scale``), their current
  placements (respecting capacity, with out-of-area and 20+ mile shares from the DfE distance file), the
  resulting vacancies, and open referrals for additional children not yet placed.

The work is split by what is generated, one module each: :mod:`~rcc.demo.sources` (reading the open
data), :mod:`~rcc.demo.params` (every modelling assumption, as a documented constant) and
:mod:`~rcc.demo.assumptions` (the same in plain sentences, which ``DemoRegion.assumptions`` carries so the
README and ``rcc demo --help`` can print them), :mod:`~rcc.demo.region` (LAs and geography),
:mod:`~rcc.demo.providers`, :mod:`~rcc.demo.homes` (registered homes), :mod:`~rcc.demo.households`
(generated households), :mod:`~rcc.demo.children`, :mod:`~rcc.demo.placements`,
:mod:`~rcc.demo.vacancies`, :mod:`~rcc.demo.referrals` and :mod:`~rcc.demo.records` (child records);
the output dataclasses are in :mod:`~rcc.demo.seeds`. This module only runs the steps in order.

Determinism: every random draw comes from a NumPy generator seeded with ``(seed, region or LA, purpose)``
(:func:`rcc.demo.sampling.seeded_rng`), so the same (region, seed, parameters) always gives identical
output, and one LA's children do not change when another LA's data does. Steps that share a generator
(providers; placements and kinship households) must keep their order. No wall clock is read: dates are
relative to ``as_of`` (default 31 March of the latest DfE year).

The generator is for the CLI, tests and benchmarks; the web service never imports it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

from rcc.demo.assumptions import assumptions
from rcc.demo.children import children_in_care, uasc_shares
from rcc.demo.fees import unit_costs
from rcc.demo.homes import home_seeds, registered_homes
from rcc.demo.households import generated_households
from rcc.demo.params import DEFAULT_SCALE, VACANCY_MAX_LEAD_DAYS
from rcc.demo.placements import place_children, place_history
from rcc.demo.population import RETURN_YEARS, population_children, return_seeds, simulate_population
from rcc.demo.providers import la_providers, ofsted_records, owner_providers
from rcc.demo.records import child_seeds
from rcc.demo.referrals import open_referrals
from rcc.demo.region import RegionContext, la_seeds, region_geo
from rcc.demo.seeds import (
    ChildSeed,
    DemoRegion,
    HomeSeed,
    LASeed,
    PlacementSeed,
    ProviderSeed,
    ReferralSeed,
    VacancySeed,
)
from rcc.demo.sources import OFSTED_FILE, SourceData, load_data, region_names
from rcc.demo.vacancies import vacancies

__all__ = [  # the generator's public names (older imports use this module for all of them)
    "OFSTED_FILE",
    "VACANCY_MAX_LEAD_DAYS",
    "ChildSeed",
    "DemoRegion",
    "HomeSeed",
    "LASeed",
    "PlacementSeed",
    "ProviderSeed",
    "ReferralSeed",
    "VacancySeed",
    "assumptions",
    "generate_region",
    "generate_regions",
    "region_names",
]


def _context(data: SourceData, region_name: str, seed: int, as_of: date) -> RegionContext:
    las_frame = data.las[data.las["region"] == region_name].sort_values("gss_code")
    la_codes = las_frame["gss_code"].tolist()
    return RegionContext(
        data=data,
        name=region_name,
        seed=seed,
        as_of=as_of,
        la_codes=la_codes,
        la_names=dict(zip(las_frame["gss_code"], las_frame["name"], strict=True)),
        geo=region_geo(data, la_codes),
        costs=unit_costs(data, la_codes),
        uasc_shares=uasc_shares(data),
    )


def generate_region(
    region_name: str,
    seed: int,
    data_dir: Path,
    *,
    scale: float = DEFAULT_SCALE,
    referral_scale: float = 1.0,
    as_of: date | None = None,
    return_years: int = RETURN_YEARS,
) -> DemoRegion:
    """Generate one region's RCC deterministically from the open data in ``data_dir``.

    ``scale`` multiplies the number of children in care (and with it the generated fostering, kinship,
    parent-and-child and supported capacity; Ofsted-registered homes are real and never scaled);
    ``referral_scale`` multiplies the number of open referrals; ``as_of`` is the day the snapshot
    describes (default 31 March of the latest DfE year, so output never depends on the clock);
    ``return_years``: how many collection years of SSDA903 returns each member LA gets, ending with the
    last complete one on ``as_of`` (0: none; the register's children are the same either way).
    """
    data = load_data(str(Path(data_dir).resolve()))
    valid = sorted(data.las["region"].unique().tolist())
    if region_name not in valid:
        raise ValueError(f"unknown region {region_name!r}; valid regions: {', '.join(valid)}")
    if scale < 0 or referral_scale < 0 or return_years < 0:
        raise ValueError("scale, referral_scale and return_years must be non-negative")
    ctx = _context(data, region_name, seed, as_of or date(data.latest_year, 3, 31))

    reg_homes, ifas = ofsted_records(ctx)
    provider_rng = ctx.rng(region_name, "providers")  # shared, in this order, by the three provider steps
    providers = owner_providers(ctx, reg_homes, ifas, provider_rng)
    homes = registered_homes(ctx, reg_homes)
    providers += la_providers(ctx, provider_rng)
    population = simulate_population(ctx, scale, return_years)
    children = children_in_care(ctx, population_children(ctx, population))
    homes += generated_households(ctx, children, ifas, providers, provider_rng)
    placed = place_children(ctx, children, homes)  # appends kinship households to homes
    history_left_out = place_history(ctx, children, homes, placed)
    open_vacancies = vacancies(ctx, homes, placed.occupied)
    referrals, referred = open_referrals(ctx, referral_scale)

    notes: list[str] = []
    if history_left_out:
        notes.append(
            f"{history_left_out} earlier (ended) placements of the children in care are not in the register: "
            "kinship placements, or no home of their kind had a place free at the time."
        )
    if placed.unplaced_residential:
        notes.append(
            f"{placed.unplaced_residential} children needing residential care could not be placed in the region's own "
            "registered homes (no suitable free place) and are treated as placed outside the region."
        )
    return DemoRegion(
        rcc_name=f"{region_name} RCC",
        region=region_name,
        seed=seed,
        las=la_seeds(data.las.loc[ctx.la_codes]),
        providers=tuple(providers),
        homes=home_seeds(homes),
        children=child_seeds(ctx, children, referred),
        placements=tuple(placed.placements),
        vacancies=tuple(open_vacancies),
        referrals=tuple(referrals),
        assumptions=assumptions(data.latest_year, ctx.as_of) + tuple(notes),
        as_of=ctx.as_of,
        returns=return_seeds(population),
    )


def generate_regions(
    region_names_: Iterable[str] | None,
    seed: int,
    data_dir: Path,
    *,
    scale: float = DEFAULT_SCALE,
    referral_scale: float = 1.0,
    as_of: date | None = None,
) -> tuple[DemoRegion, ...]:
    """Several regions (``None``: all nine, i.e. a national instance), each generated independently.

    Keys are prefixed by LA codes or URNs, so they do not collide across regions, except provider keys
    of owner groups present in several regions, which deliberately coincide (same owner, same key).
    """
    names = region_names(data_dir) if region_names_ is None else tuple(region_names_)
    return tuple(
        generate_region(n, seed, data_dir, scale=scale, referral_scale=referral_scale, as_of=as_of)
        for n in names
    )
