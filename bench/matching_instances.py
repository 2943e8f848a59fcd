"""Matching benchmark instances from the demo-region generator (:mod:`rcc.demo`).

The generator builds, deterministically from a seed and the shared open data, each region's
real Ofsted-registered homes, generated foster and supported households, the children in care
and their current placements, the providers' declared vacancies and the open referrals
(including sibling groups). This module turns a :class:`~rcc.demo.seeds.DemoRegion` into the
matching library's dataclasses the way the service turns the register's rows into them once the
region is loaded (:mod:`rcc.demo.load`), reusing the service's own adapters
(:func:`rcc.matching.adapters.occupancy`, :func:`~rcc.matching.adapters.to_home`,
:func:`~rcc.matching.adapters.child_profile`):

* free places of a home = registered places - placements, capped by the declared vacancies
  available on the matching date (a home with no vacancy rows at all: registered capacity);
* resident ages from the current placements, child ages from the birth month, both on the
  matching date;
* fees rounded to whole pounds as the loader stores them; a referral's LA is the child's
  responsible LA; ``allow_split`` is False (the register's default: the generator's referrals
  carry no permission to split siblings).

The matching date is ``as_of + lead_days``. The generator dates each vacancy 0-14 days after
``as_of`` (``VACANCY_MAX_LEAD_DAYS``), and the service counts a vacancy only from its date, so
``lead_days=14`` makes every declared vacancy available (a fortnight's planning run) while
``lead_days=0`` keeps only those open on the snapshot day (places are scarce).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from types import SimpleNamespace

from api_schemas.vocab import HOME_TYPE_CATEGORY, PlacementCategory, Urgency
from matching import Home, Referral
from rcc.demo import ChildSeed, DemoRegion, HomeSeed, generate_region, generate_regions
from rcc.demo.params import VACANCY_MAX_LEAD_DAYS
from rcc.matching.adapters import child_profile, occupancy, to_home

SEED = 1


def _home_row(h: HomeSeed) -> SimpleNamespace:
    """A generated home as the register row :func:`rcc.demo.load.load_region` stores (fees in whole
    pounds), in the column names :func:`rcc.matching.adapters.to_home` reads."""
    return SimpleNamespace(
        id=h.key,
        home_type=h.home_type,
        registration_status=h.registration_status,
        ofsted_judgement=h.judgement,
        easting=h.easting,
        northing=h.northing,
        registered_places=h.registered_places,
        age_min=h.age_min,
        age_max=h.age_max,
        sexes_accepted=h.sexes,
        needs_met=h.needs_met,
        fee_core=round(h.fee_core),
        fee_additional_support=round(h.fee_additional_support),
        fee_education=round(h.fee_education),
        fee_other=round(h.fee_other),
    )


def to_instance(regions: Sequence[DemoRegion], on: dt.date) -> tuple[list[Referral], list[Home]]:
    """The open referrals and every home of ``regions`` as the service would give them to the
    library on ``on`` (the current placements: those the generator has not ended; they start on or
    before ``as_of``)."""
    children = {c.key: c for d in regions for c in d.children}
    ages, declared = occupancy(
        (
            (p.home_key, children[p.child_key].birth_month)
            for d in regions
            for p in d.placements
            if p.end_date is None or p.end_date > on
        ),
        ((v.home_key, v.places, v.available_from) for d in regions for v in d.vacancies),
        on,
    )
    homes = []
    for d in regions:
        for h in d.homes:
            resident = ages.get(h.key, ())
            homes.append(
                to_home(_home_row(h), h.la_gss_code, len(resident), declared.get(h.key), tuple(resident))
            )
    referrals = []
    for d in regions:
        for r in d.referrals:
            kids = tuple(
                child_profile(_child_row(children[k]), children[k].la_gss_code, on) for k in r.child_keys
            )
            referrals.append(
                Referral(id=r.key, children=kids, urgency=Urgency(r.needed_by), la=r.la_gss_code)
            )
    return referrals, homes


def _child_row(c: ChildSeed) -> SimpleNamespace:
    """A generated child as the register row the loader stores (no places to avoid), for
    :func:`rcc.matching.adapters.child_profile`."""
    row = {f.name: getattr(c, f.name) for f in fields(c)}
    # stored as one object keyed by the category vocabulary, "not_specified" left out (as Child does)
    row["suitability"] = {cat: str(level) for cat, level in c.suitability.items()}
    return SimpleNamespace(**row, id=c.key, places_to_avoid=[])


def build_instance(
    data_dir: Path,
    *,
    region: str | None,
    referral_scale: float,
    lead_days: int = VACANCY_MAX_LEAD_DAYS,
    seed: int = SEED,
) -> tuple[list[Referral], list[Home], dict]:
    """Referrals, homes and a description for ``region`` (``None``: all nine regions)."""
    if region is None:
        regions = generate_regions(None, seed, data_dir, referral_scale=referral_scale)
    else:
        regions = (generate_region(region, seed, data_dir, referral_scale=referral_scale),)
    as_of = regions[0].as_of
    on = as_of + dt.timedelta(days=lead_days)
    referrals, homes = to_instance(regions, on)
    meta = {
        "region": region or "England",
        "las": sum(len(d.las) for d in regions),
        "referrals": len(referrals),
        "children": sum(r.size for r in referrals),
        "sibling_groups": sum(r.size > 1 for r in referrals),
        "homes": len(homes),
        "homes_with_free_places": sum(h.free_places > 0 for h in homes),
        "free_places": sum(h.free_places for h in homes),
        "residential_free_places": sum(
            h.free_places for h in homes if HOME_TYPE_CATEGORY[h.home_type] is PlacementCategory.RESIDENTIAL
        ),
        "seed": seed,
        "referral_scale": referral_scale,
        "as_of": as_of.isoformat(),
        "matching_date": on.isoformat(),
    }
    return referrals, homes, meta
