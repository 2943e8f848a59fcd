"""The open data the generator reads: source files, how they spell things, and loading (cached).

Nothing here is an assumption: these constants say which files are read and how their vocabularies map
onto the register's; the figures themselves come from the files in the shared data directory.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from api_schemas.vocab import HomeType, OfstedJudgement, ProviderSector, RegistrationStatus
from rcc import geo

LA_FILE = "england_childrens_services_las.csv"
MSOA_FILE = "england_msoa_centroids.csv"
OFSTED_FILE = "ofsted_providers_2023.csv"
CLA_FILE = "dfe_children_looked_after_by_la_2021_2025.csv"
DISTANCE_FILE = "dfe_new_placements_by_distance_2021_2025.csv"
SPEND_FILE = "mhclg_cla_expenditure_by_la_2024_25.csv"

CLA_MEASURE = "Children looked after on 31 March each year"
STARTS_MEASURE = "Children starting to be looked after each year"

# Ofsted provision types that the register holds as homes, and the HomeType each becomes.
# (Children's homes registered for short breaks only become SHORT_BREAK_HOME.)
OFSTED_HOME_TYPES: dict[str, HomeType] = {
    "Children's home": HomeType.CHILDRENS_HOME,
    "Secure children's home": HomeType.SECURE_CHILDRENS_HOME,
    "Residential special school (registered as a children's home)": HomeType.RESIDENTIAL_SPECIAL_SCHOOL,
}
OFSTED_IFA = "Independent Fostering Agency"

OFSTED_SECTORS: dict[str, ProviderSector] = {
    "Private": ProviderSector.PRIVATE,
    "Local Authority": ProviderSector.LOCAL_AUTHORITY,
    "Voluntary": ProviderSector.VOLUNTARY,
    "Health Authority": ProviderSector.HEALTH,
    # Academy trusts are charitable companies: the vocabulary's nearest sector is voluntary.
    "Academy": ProviderSector.VOLUNTARY,
}
OFSTED_JUDGEMENTS: dict[str, OfstedJudgement] = {
    "Outstanding": OfstedJudgement.OUTSTANDING,
    "Good": OfstedJudgement.GOOD,
    "Requires improvement to be good": OfstedJudgement.REQUIRES_IMPROVEMENT,
    "Inadequate": OfstedJudgement.INADEQUATE,
}
OFSTED_STATUSES: dict[str, RegistrationStatus] = {
    "Active": RegistrationStatus.ACTIVE,
    "Suspended": RegistrationStatus.SUSPENDED,
}

# DfE distance-file locations, in the order used for the four distance classes below.
DISTANCE_CLASSES: tuple[str, ...] = (
    "Placed inside LA boundary less than 20 miles from home",
    "Placed inside LA boundary more than 20 miles from home",
    "Placed outside LA boundary less than 20 miles from home",
    "Placed outside LA boundary more than 20 miles from home",
)
METRES_PER_MILE = 1609.344
FAR_MILES = 20.0  # the DfE file's threshold


@dataclass(frozen=True)
class SourceData:
    """The open data of one data directory, prepared for sampling."""

    las: pd.DataFrame  # indexed by gss_code, with easting/northing
    msoa: pd.DataFrame  # with easting/northing
    ofsted: pd.DataFrame
    cla: dict[str, int]  # children looked after on 31 March, latest year with a value
    starts: dict[str, int]
    latest_year: int
    distance: dict[str, np.ndarray]  # la -> shares of the four DISTANCE_CLASSES
    region_distance: dict[str, np.ndarray]
    national_distance: np.ndarray
    spend: pd.DataFrame  # indexed by la_gss_code
    owner_homes_national: dict[str, int]
    sector_codes: tuple[str, ...]
    sector_e: np.ndarray
    sector_n: np.ndarray
    sector_la: np.ndarray  # children's-services LA code per sector ("" if outside England)
    cla_counts: pd.DataFrame | None = None  # DfE's CLA file as read: every year, LA and measure


def _latest_by_la(frame: pd.DataFrame, measure: str) -> tuple[dict[str, int], int]:
    """Latest non-missing count per LA (DfE suppresses small numbers; fall back to earlier years)."""
    rows = frame[(frame["measure"] == measure) & frame["children"].notna()].sort_values("year")
    latest = rows.groupby("la_gss_code").tail(1)
    return {r.la_gss_code: int(r.children) for r in latest.itertuples()}, int(frame["year"].max())


def _distance_shares(frame: pd.DataFrame) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray]:
    """Shares of the four known-distance classes per LA / region / England, latest year with data."""

    def shares(rows: pd.DataFrame) -> np.ndarray | None:
        counts = rows.set_index("location")["children"].reindex(list(DISTANCE_CLASSES))
        if counts.isna().any() or counts.sum() <= 0:
            return None
        return (counts / counts.sum()).to_numpy(dtype=float)

    by_la: dict[str, np.ndarray] = {}
    by_region: dict[str, np.ndarray] = {}
    national = None
    for year in sorted(frame["year"].unique(), reverse=True):
        yr = frame[frame["year"] == year]
        for la, rows in yr[yr["level"] == "Local authority"].groupby("la_gss_code"):
            if la not in by_la and (s := shares(rows)) is not None:
                by_la[la] = s
        for region, rows in yr[yr["level"] == "Regional"].groupby("region"):
            if region not in by_region and (s := shares(rows)) is not None:
                by_region[region] = s
        if national is None:
            national = shares(yr[yr["level"] == "National"])
    if national is None:
        raise ValueError(f"{DISTANCE_FILE}: no national distance figures")
    return by_la, by_region, national


def _vote_regions(las: pd.DataFrame, ofsted: pd.DataFrame, distance: pd.DataFrame) -> list[str]:
    """Each LA's region by majority of three sources: the LA register, the DfE file and Ofsted.

    The LA register places Derbyshire in the West Midlands and Lincolnshire in Yorkshire and The
    Humber, while DfE and Ofsted (and ONS) place both in the East Midlands; the majority wins, and the
    register breaks ties.
    """
    dfe = (
        distance[distance["level"] == "Local authority"]
        .groupby("la_gss_code")["region"]
        .agg(lambda x: x.mode().iloc[0])
    )
    ofs = ofsted.groupby("la_gss_code")["region"].agg(lambda x: x.mode().iloc[0])
    out = []
    for la, own in zip(las["gss_code"], las["region"], strict=True):
        votes = [v for v in (own, dfe.get(la), ofs.get(la)) if isinstance(v, str)]
        best = max(set(votes), key=lambda r: (votes.count(r), r == own))
        out.append(best)
    return out


@lru_cache(maxsize=4)
def load_data(data_dir_text: str) -> SourceData:
    """Every source file of ``data_dir_text`` read and prepared once (cached per data directory)."""
    data_dir = Path(data_dir_text)
    las = pd.read_csv(data_dir / LA_FILE, dtype={"dfe_la_code": "string"})
    bng = [geo.to_bng(lat, lon) for lat, lon in zip(las["lat"], las["lon"], strict=True)]
    las["easting"] = [p[0] for p in bng]
    las["northing"] = [p[1] for p in bng]
    las = las.set_index("gss_code", drop=False)
    las.index.name = None

    msoa = pd.read_csv(data_dir / MSOA_FILE)
    bng = [geo.to_bng(lat, lon) for lat, lon in zip(msoa["lat"], msoa["lon"], strict=True)]
    msoa["easting"] = [p[0] for p in bng]
    msoa["northing"] = [p[1] for p in bng]
    msoa = msoa.sort_values("msoa_code").reset_index(drop=True)

    ofsted = pd.read_csv(data_dir / OFSTED_FILE, dtype={"urn": "string"})
    distance_frame = pd.read_csv(data_dir / DISTANCE_FILE)
    las["region"] = _vote_regions(las, ofsted, distance_frame)
    cla_frame = pd.read_csv(data_dir / CLA_FILE)
    cla, latest_year = _latest_by_la(cla_frame, CLA_MEASURE)
    starts, _ = _latest_by_la(cla_frame, STARTS_MEASURE)
    by_la, by_region, national = _distance_shares(distance_frame)
    spend = pd.read_csv(data_dir / SPEND_FILE).set_index("la_gss_code")

    homes = ofsted[ofsted["provision_type"].isin(list(OFSTED_HOME_TYPES))]
    owner_homes = homes["owner"].dropna().value_counts().to_dict()

    # Sectors -> children's-services LA: unitary codes map to themselves, county districts by the
    # nearest MSOA centroid's LA (majority vote over each district's sectors).
    table = geo.sector_table()
    mapping = geo.district_to_upper_tier(
        frozenset(las["gss_code"]),
        list(
            zip(
                msoa["easting"].tolist(), msoa["northing"].tolist(), msoa["la_gss_code"].tolist(), strict=True
            )
        ),
    )
    sector_la = np.array([mapping.get(la or "", "") for la in table.laua], dtype=object)
    return SourceData(
        las=las,
        msoa=msoa,
        ofsted=ofsted,
        cla=cla,
        starts=starts,
        latest_year=latest_year,
        distance=by_la,
        region_distance=by_region,
        national_distance=national,
        spend=spend,
        owner_homes_national={str(k): int(v) for k, v in owner_homes.items()},
        sector_codes=table.codes,
        sector_e=table.easting,
        sector_n=table.northing,
        sector_la=sector_la,
        cla_counts=cla_frame,
    )


def region_names(data_dir: Path) -> tuple[str, ...]:
    """Every English region in the LA register, sorted."""
    return tuple(sorted(load_data(str(Path(data_dir).resolve())).las["region"].unique().tolist()))
