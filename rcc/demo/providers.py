"""Providers: one per Ofsted owner organisation, plus each LA's in-house fostering service.

(Synthetic supported-accommodation providers are made with their units in :mod:`rcc.demo.households`.)
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from api_schemas.vocab import OfstedJudgement, ProviderSector
from rcc.demo.params import (
    CONTINGENCY_PLAN_MAX_AGE_DAYS,
    CONTINGENCY_PLAN_SHARE_LARGE,
    CONTINGENCY_PLAN_SHARE_OTHER,
    DIFFICULT_TO_REPLACE_MIN_HOMES,
    DIFFICULT_TO_REPLACE_MIN_REGION_PLACE_SHARE,
    HIGH_RISK_REQUIRES_IMPROVEMENT_SHARE,
)
from rcc.demo.region import RegionContext
from rcc.demo.sampling import slug
from rcc.demo.seeds import ProviderSeed
from rcc.demo.sources import OFSTED_HOME_TYPES, OFSTED_IFA, OFSTED_JUDGEMENTS, OFSTED_SECTORS


def ofsted_records(ctx: RegionContext) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The region's Ofsted-registered homes and independent fostering agencies, by URN."""
    ofsted = ctx.data.ofsted[ctx.data.ofsted["la_gss_code"].isin(ctx.la_codes)]
    reg_homes = ofsted[ofsted["provision_type"].isin(list(OFSTED_HOME_TYPES))].sort_values("urn")
    ifas = ofsted[ofsted["provision_type"] == OFSTED_IFA].sort_values("urn")
    return reg_homes, ifas


def owner_key(owner: object, urn: object) -> str:
    """Provider key of an Ofsted record's owner (the record's own key if the owner is not named)."""
    return f"own:{slug(owner)}" if isinstance(owner, str) and owner.strip() else f"urn:{urn}:owner"


def make_provider(
    rng: np.random.Generator,
    key: str,
    name: str,
    sector: ProviderSector,
    owner_group: str,
    difficult: bool,
    risk: str,
    as_of: date,
) -> ProviderSeed:
    """A provider, drawing whether it holds a contingency plan and how old the plan is."""
    held = bool(rng.random() < (CONTINGENCY_PLAN_SHARE_LARGE if difficult else CONTINGENCY_PLAN_SHARE_OTHER))
    plan_date = as_of - timedelta(days=int(rng.integers(0, CONTINGENCY_PLAN_MAX_AGE_DAYS))) if held else None
    return ProviderSeed(
        key=key,
        name=name,
        sector=sector,
        owner_group=owner_group,
        companies_house_number=None,
        difficult_to_replace=difficult,
        risk_rating=risk,
        contingency_plan_held=held,
        contingency_plan_date=plan_date,
    )


def _risk_rating(rows: list[Any], difficult: bool) -> str:
    """Risk rating "high", "medium" or "low" from the owner's inspection outcomes."""
    judgements = [OFSTED_JUDGEMENTS.get(r.overall_judgement) for r in rows]
    ri = sum(j is OfstedJudgement.REQUIRES_IMPROVEMENT for j in judgements)
    if (
        any(j is OfstedJudgement.INADEQUATE for j in judgements)
        or any(r.registration_status == "Suspended" for r in rows)
        or (rows and ri / len(rows) >= HIGH_RISK_REQUIRES_IMPROVEMENT_SHARE)
    ):
        return "high"
    if ri or difficult:
        return "medium"
    return "low"


def owner_providers(
    ctx: RegionContext, reg_homes: pd.DataFrame, ifas: pd.DataFrame, rng: np.random.Generator
) -> list[ProviderSeed]:
    """One provider per owner of the region's registered homes and agencies, sorted by key."""
    region_places = float(reg_homes["places"].sum()) or 1.0
    owners: dict[str, dict[str, Any]] = {}
    for r in pd.concat([reg_homes, ifas]).itertuples():
        key = owner_key(r.owner, r.urn)
        o = owners.setdefault(
            key,
            {"name": r.owner if isinstance(r.owner, str) else f"Owner of {r.urn}", "sectors": [], "rows": []},
        )
        o["sectors"].append(r.sector)
        o["rows"].append(r)

    providers: list[ProviderSeed] = []
    for key in sorted(owners):
        o = owners[key]
        rows = o["rows"]
        n_national = ctx.data.owner_homes_national.get(o["name"], 0)
        home_rows = [r for r in rows if r.provision_type in OFSTED_HOME_TYPES]
        place_share = sum(float(r.places) for r in home_rows if not pd.isna(r.places)) / region_places
        difficult = (
            n_national >= DIFFICULT_TO_REPLACE_MIN_HOMES
            or place_share >= DIFFICULT_TO_REPLACE_MIN_REGION_PLACE_SHARE
        )
        risk = _risk_rating(rows, difficult)
        sector = OFSTED_SECTORS.get(pd.Series(o["sectors"]).mode().iloc[0], ProviderSector.PRIVATE)
        providers.append(make_provider(rng, key, o["name"], sector, o["name"], difficult, risk, ctx.as_of))
    return providers


def la_providers(ctx: RegionContext, rng: np.random.Generator) -> list[ProviderSeed]:
    """Each LA's in-house service (its fostering, kinship and supported lodgings households)."""
    return [
        make_provider(
            rng,
            f"la:{la}",
            f"{ctx.la_names[la]} in-house fostering service",
            ProviderSector.LOCAL_AUTHORITY,
            ctx.la_names[la],
            False,
            "low",
            ctx.as_of,
        )
        for la in ctx.la_codes
    ]
