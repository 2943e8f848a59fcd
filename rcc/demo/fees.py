"""Weekly fees: each LA's implied unit costs from its spending (MHCLG RO3), and a fee per home."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from api_schemas.vocab import HomeType
from rcc.demo.params import (
    FEE_NOISE_SIGMA,
    FEE_SPLITS,
    FOSTER_SHARE_FOR_COSTS,
    IFA_SHARE_OF_MAINSTREAM_FOSTER,
    IFA_TO_LA_FOSTER_COST_RATIO,
    KINSHIP_SHARE_OF_FOSTER,
    KINSHIP_TO_LA_FOSTER_COST_RATIO,
    PARENT_AND_CHILD_TO_IFA_COST_RATIO,
    RESIDENTIAL_SHARE_FOR_COSTS,
    RSS_TO_RESIDENTIAL_COST_RATIO,
    SECURE_TO_RESIDENTIAL_COST_RATIO,
    SHORT_BREAK_TO_RESIDENTIAL_COST_RATIO,
    SUPPORTED_ACCOMMODATION_TO_RESIDENTIAL_COST_RATIO,
    SUPPORTED_LODGINGS_TO_LA_FOSTER_COST_RATIO,
    UNIT_COST_CLIP_HIGH,
    UNIT_COST_CLIP_LOW,
)
from rcc.demo.sources import SourceData

Fees = tuple[float, float, float, float]  # weekly core, additional support, education, other


def unit_costs(data: SourceData, la_codes: Sequence[str]) -> dict[str, tuple[float, float]]:
    """Implied weekly (residential, fostering) unit cost per LA, with regional/national fallbacks."""
    spend = data.spend
    raw: dict[str, tuple[float, float]] = {}
    for la in data.las.index:
        cla = data.cla.get(la, 0)
        res = spend["residential_care_gbp_000"].get(la, np.nan) if la in spend.index else np.nan
        fos = spend["fostering_services_gbp_000"].get(la, np.nan) if la in spend.index else np.nan
        r = res * 1000 / (cla * RESIDENTIAL_SHARE_FOR_COSTS * 52) if cla > 0 else np.nan
        f = fos * 1000 / (cla * FOSTER_SHARE_FOR_COSTS * 52) if cla > 0 else np.nan
        raw[la] = (float(r), float(f))
    out: dict[str, list[float]] = {}
    for j in (0, 1):
        values = np.array([v[j] for v in raw.values()])
        med = float(np.nanmedian(values[values > 0]))
        lo, hi = UNIT_COST_CLIP_LOW * med, UNIT_COST_CLIP_HIGH * med
        valid = {la: v[j] for la, v in raw.items() if np.isfinite(v[j]) and lo <= v[j] <= hi}
        for la in la_codes:
            if la in valid:
                value = valid[la]
            else:
                region = data.las.at[la, "region"]
                peers = [valid[x] for x in data.las.index[data.las["region"] == region] if x in valid]
                value = float(np.median(peers)) if peers else med
            out.setdefault(la, [0.0, 0.0])[j] = value
    return {la: (v[0], v[1]) for la, v in out.items()}


def _fees(rng: np.random.Generator, weekly: float, split: str) -> Fees:
    total = weekly * float(np.exp(rng.normal(0.0, FEE_NOISE_SIGMA)))
    return tuple(round(total * f, 2) for f in FEE_SPLITS[split])  # type: ignore[return-value]


def home_fee(home_type: HomeType, res_unit: float, foster_unit: float, rng: np.random.Generator) -> Fees:
    """A home's weekly fee split four ways: the LA's unit cost for its type, with lognormal noise."""
    ifa_share = (1 - KINSHIP_SHARE_OF_FOSTER) * IFA_SHARE_OF_MAINSTREAM_FOSTER
    la_foster = foster_unit / (1 - ifa_share + ifa_share * IFA_TO_LA_FOSTER_COST_RATIO)
    ifa = la_foster * IFA_TO_LA_FOSTER_COST_RATIO
    table = {
        HomeType.CHILDRENS_HOME: (res_unit, "residential"),
        HomeType.SECURE_CHILDRENS_HOME: (res_unit * SECURE_TO_RESIDENTIAL_COST_RATIO, "residential"),
        HomeType.SHORT_BREAK_HOME: (res_unit * SHORT_BREAK_TO_RESIDENTIAL_COST_RATIO, "residential"),
        HomeType.RESIDENTIAL_SPECIAL_SCHOOL: (res_unit * RSS_TO_RESIDENTIAL_COST_RATIO, "school"),
        HomeType.LA_FOSTER: (la_foster, "foster"),
        HomeType.IFA_FOSTER: (ifa, "foster"),
        HomeType.KINSHIP_FOSTER: (la_foster * KINSHIP_TO_LA_FOSTER_COST_RATIO, "foster"),
        HomeType.PARENT_AND_CHILD: (ifa * PARENT_AND_CHILD_TO_IFA_COST_RATIO, "foster"),
        HomeType.SUPPORTED_ACCOMMODATION: (
            res_unit * SUPPORTED_ACCOMMODATION_TO_RESIDENTIAL_COST_RATIO,
            "supported",
        ),
        HomeType.SUPPORTED_LODGINGS: (la_foster * SUPPORTED_LODGINGS_TO_LA_FOSTER_COST_RATIO, "supported"),
    }
    weekly, split = table[home_type]
    return _fees(rng, weekly, split)
