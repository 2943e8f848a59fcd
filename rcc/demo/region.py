"""One region: its LAs, their sampling geography, and the context every generation step shares."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from rcc.demo.params import SCHOOL_NEIGHBOUR_MSOAS
from rcc.demo.sampling import seeded_rng
from rcc.demo.seeds import LASeed
from rcc.demo.sources import SourceData


@dataclass
class Geo:
    """Per-LA sampling geography for one region: MSOA centroids and each one's nearest sector."""

    msoa_e: dict[str, np.ndarray]
    msoa_n: dict[str, np.ndarray]
    msoa_sector: dict[str, list[int]]  # index into the sector table
    neighbours: dict[str, np.ndarray]  # la -> (n_msoa, k) nearest MSOAs within the LA


def region_geo(data: SourceData, la_codes: Sequence[str]) -> Geo:
    msoa_e, msoa_n, msoa_sector, neighbours = {}, {}, {}, {}
    for la in la_codes:
        rows = data.msoa[data.msoa["la_gss_code"] == la]
        e = rows["easting"].to_numpy(float)
        n = rows["northing"].to_numpy(float)
        in_la = np.flatnonzero(data.sector_la == la)
        candidates = in_la if len(in_la) else np.arange(len(data.sector_codes))
        se, sn = data.sector_e[candidates], data.sector_n[candidates]
        d2 = (e[:, None] - se[None, :]) ** 2 + (n[:, None] - sn[None, :]) ** 2
        msoa_sector[la] = candidates[np.argmin(d2, axis=1)].tolist()
        k = min(SCHOOL_NEIGHBOUR_MSOAS, len(e))
        dm = (e[:, None] - e[None, :]) ** 2 + (n[:, None] - n[None, :]) ** 2
        neighbours[la] = np.argsort(dm, axis=1, kind="stable")[:, :k]
        msoa_e[la], msoa_n[la] = e, n
    return Geo(msoa_e, msoa_n, msoa_sector, neighbours)


def la_seeds(las_frame: pd.DataFrame) -> tuple[LASeed, ...]:
    """The region's LAs as output records, in the frame's order."""
    return tuple(
        LASeed(
            gss_code=r.gss_code,
            dfe_code=None if pd.isna(r.dfe_la_code) else str(r.dfe_la_code),
            name=r.name,
            region=r.region,
            population=int(r.population_2020),
            lat=float(r.lat),
            lon=float(r.lon),
            easting=float(r.easting),
            northing=float(r.northing),
        )
        for r in las_frame.itertuples()
    )


@dataclass(frozen=True)
class RegionContext:
    """What every step of generating one region reads (never mutated)."""

    data: SourceData
    name: str  # the region
    seed: int
    as_of: date
    la_codes: list[str]  # sorted by GSS code
    la_names: dict[str, str]
    geo: Geo
    costs: dict[str, tuple[float, float]]  # la -> weekly (residential, fostering) unit cost
    uasc_shares: dict[str, float]  # la -> share of its children in care who are UASC

    def rng(self, *parts: object) -> np.random.Generator:
        """The generator for one purpose, e.g. ``ctx.rng(ctx.name, "homes")`` or ``ctx.rng(la, "referrals")``."""
        return seeded_rng(self.seed, *parts)

    def n_msoa(self, la: str) -> int:
        return len(self.geo.msoa_e[la])

    def sector_point(self, la: str, msoa: int) -> tuple[str, float, float]:
        """(postcode sector, easting, northing) of the sector nearest the LA's ``msoa``-th MSOA centroid."""
        s = self.geo.msoa_sector[la][msoa]
        return self.data.sector_codes[s], float(self.data.sector_e[s]), float(self.data.sector_n[s])
