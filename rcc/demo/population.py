"""One simulated population per member LA: SSDA903 returns and the register's children from the same children.

:func:`simulate_population` runs :func:`forecasting.synthetic.simulate_region` for every member LA, calibrated
on DfE's published children-looked-after counts (``dfe_children_looked_after_by_la_*.csv``): each LA's
non-UASC entrants a year = its mean "starting to be looked after" count (less its simulated UASC arrivals),
its trend = the log-linear slope of those starts (clipped to +-6% a year), its spell-length scale = its
31 March stock per start relative to the simulator's own (3.3 years, measured), its UASC arrivals = its UASC share of
the stock (MHCLG RO3, :func:`rcc.demo.children.uasc_shares`) spread over about two years' stay, and 8% of
its stock as short-break children. Everything is multiplied by ``scale``. The simulation runs to the demo's
``as_of``; the returns are the complete collection years before it (:data:`RETURN_YEARS` of them by default).

:func:`population_children` turns the children looked after on ``as_of`` (short breaks excepted, as in DfE's
count) into register children: their SSDA903 id, date of birth, sex, ethnicity, UASC status, their current
placement's setting and start, and their earlier placements (ended, with the end date) for the moves and
stability figures.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from api_schemas.vocab import Sex
from forecasting.synthetic import LASpec, RegionSpec, SyntheticRegion, UASCRegime, simulate_region
from rcc.demo.children import Child
from rcc.demo.region import RegionContext
from rcc.demo.seeds import ReturnSeed
from rcc.demo.sources import CLA_FILE

RETURN_YEARS = 5  # collection years of SSDA903 returns stored per LA, ending with the last before as_of
WARMUP_YEARS = 14  # years simulated before the first return, so its stock has every age
HISTORY_YEARS = 3  # ended placements kept in the register: those ending in this many years before as_of
GENERATOR_STOCK_PER_ENTRANT = (
    3.3  # the simulator's 31 March stock per yearly entrant at stay_scale 1 (measured)
)
UASC_STAY_YEARS = 2.2  # UASC arrive at 14-17 and mostly stay until 18
SHORT_BREAK_SHARE = 0.08  # short-break children per child in the 31 March stock
DFE_CLA_FILE = CLA_FILE

# SSDA903 PLACE code -> the register's setting (None: not a register placement, e.g. placed with parents).
_SETTING_OF_PLACE: dict[str, str] = {
    **dict.fromkeys(("U1", "U2", "U3"), "kinship"),
    **dict.fromkeys(("K1", "K2", "R1", "S1"), "residential"),
    **dict.fromkeys(("H5", "P2", "P3", "K3"), "supported"),
    "R3": "parent_and_child",
}
_SAME_PLACEMENT_RNE = ("L", "U")  # a new episode without a new placement: legal status or code change


def setting_of(place: str, provider: str | None) -> str:
    """The register's setting for an SSDA903 placement: foster care by who provides it, else by code."""
    if place in ("U4", "U5", "U6"):
        return "la_foster" if provider == "PR1" else "ifa_foster"
    return _SETTING_OF_PLACE.get(place, "other")


def _la_spec(ctx: RegionContext, dfe: pd.DataFrame, la: str, scale: float) -> LASpec:
    rows = dfe[dfe["la_gss_code"] == la]
    starts = rows[rows["measure"].str.startswith("Children starting")].dropna(subset=["children"])
    stock = rows[rows["measure"].str.contains("31 March")].dropna(subset=["children"])
    s = starts.sort_values("year")["children"].to_numpy(dtype=float)
    mean_stock = float(stock["children"].mean()) if len(stock) else float(ctx.data.cla.get(la, 0))
    if len(s) >= 2:
        years = starts.sort_values("year")["year"].to_numpy(dtype=float)
        slope = float(np.polyfit(years - years.mean(), np.log(np.maximum(s, 1.0)), 1)[0])
    else:
        slope = 0.0
    mean_starts = float(s.mean()) if len(s) else mean_stock / GENERATOR_STOCK_PER_ENTRANT
    uasc_stock = ctx.uasc_shares.get(la, 0.0) * mean_stock
    uasc_per_year = uasc_stock / UASC_STAY_YEARS
    regimes: tuple[UASCRegime, ...] = ()
    if uasc_per_year * scale > 0:
        regimes = (UASCRegime(dt.date(1990, 1, 1), dt.date(2100, 1, 1), uasc_per_year * scale / 12.0),)
    ratio = (mean_stock - uasc_stock) / max(1.0, mean_starts - uasc_per_year)
    return LASpec(
        la=la,
        annual_entrants=max(1.0, (mean_starts - uasc_per_year) * scale),
        trend=float(np.clip(slope, -0.06, 0.06)),
        stay_scale=float(np.clip(ratio / GENERATOR_STOCK_PER_ENTRANT, 0.6, 1.6)),
        short_break_children=int(round(SHORT_BREAK_SHARE * mean_stock * scale)),
        uasc=regimes,
        postcode_area="".join(ch for ch in ctx.la_names.get(la, "ZZ").upper() if ch.isalpha())[:2] or "ZZ",
    )


def last_return_year(as_of: dt.date) -> int:
    """Start year of the last complete collection year on ``as_of`` (2025 = 2025-26, ending 31 March 2026)."""
    return as_of.year - 2 if (as_of.month, as_of.day) < (3, 31) else as_of.year - 1


def population_spec(ctx: RegionContext, scale: float, return_years: int = RETURN_YEARS) -> RegionSpec:
    dfe = ctx.data.cla_counts
    if dfe is None:
        raise ValueError(f"{DFE_CLA_FILE} is needed to calibrate the population")
    last = last_return_year(ctx.as_of)
    return RegionSpec(
        las=tuple(_la_spec(ctx, dfe, la, scale) for la in ctx.la_codes),
        first_year=last - return_years + 1,
        last_year=last,
        reference_date=dt.date(2023, 3, 31),  # the middle of DfE's years 2021-2025
        warmup_years=WARMUP_YEARS,
        seed=ctx.seed,
        end=ctx.as_of,
    )


def simulate_population(
    ctx: RegionContext, scale: float, return_years: int = RETURN_YEARS
) -> SyntheticRegion:
    """Every member LA's children over the years, with their last ``return_years`` SSDA903 returns
    (pure, deterministic by seed; the children do not depend on ``return_years``)."""
    return simulate_region(population_spec(ctx, scale, return_years))


@dataclass(frozen=True)
class PastPlacement:
    start: dt.date
    end: dt.date
    setting: str
    reason: str  # SSDA903 REASON_PLACE_CHANGE of the placement's last episode (REC if care ended)


def _placements(eps: list[tuple]) -> list[tuple[dt.date, dt.date | None, str, str]]:
    """A child's placements (start, end or None, setting, reason ended) from its episodes in order
    (DECOM, DEC or None, RNE, PLACE, PLACE_PROVIDER, REASON_PLACE_CHANGE, REC)."""
    out: list[tuple[dt.date, dt.date | None, str, str]] = []
    for start, end, rne, place, provider, rpc, rec in eps:
        setting = setting_of(place, provider)
        reason = next((x for x in (rpc, rec) if isinstance(x, str) and x), "")[:6]
        if out and rne in _SAME_PLACEMENT_RNE and out[-1][1] == start and out[-1][2] == setting:
            out[-1] = (out[-1][0], end, setting, reason)
        else:
            out.append((start, end, setting, reason))
    return out


def _dates(col: pd.Series) -> list[dt.date | None]:
    return [None if pd.isna(x) else x.date() for x in col]


def population_children(ctx: RegionContext, region: SyntheticRegion) -> list[Child]:
    """The children looked after on ``as_of`` (not on a short break), as register children of their LA.

    Each keeps its SSDA903 id; its setting and placement start are those of its open episode, and its
    earlier placements ending in the :data:`HISTORY_YEARS` before ``as_of`` are ``past`` placements.
    """
    truth = region.truth
    as_of = pd.Timestamp(ctx.as_of)
    since = ctx.as_of - dt.timedelta(days=round(365.25 * HISTORY_YEARS))
    open_now = truth[(truth["DECOM"] <= as_of) & truth["DEC"].isna() & ~truth["LS"].isin(("V3", "V4"))]
    t = truth[truth["CHILD"].isin(set(open_now["CHILD"]))].sort_values(
        ["la", "CHILD", "DECOM"], kind="stable"
    )
    rows = zip(
        t["la"].tolist(),
        t["CHILD"].tolist(),
        _dates(t["DECOM"]),
        _dates(t["DEC"]),
        t["RNE"].tolist(),
        t["PLACE"].tolist(),
        t["PLACE_PROVIDER"].tolist(),
        t["REASON_PLACE_CHANGE"].tolist(),
        t["REC"].tolist(),
        _dates(t["DOB"]),
        t["SEX"].tolist(),
        t["ETHNIC"].tolist(),
        t["UASC"].tolist(),
        strict=True,
    )
    by_child: dict[str, tuple[tuple, list[tuple]]] = {}
    for la, cid, decom, dec, rne, place, provider, rpc, rec, dob, sex, ethnic, uasc in rows:
        if cid not in by_child:
            by_child[cid] = ((la, dob, sex, ethnic, uasc), [])
        by_child[cid][1].append((decom, dec, rne, place, provider, rpc, rec))
    children: list[Child] = []
    for la in ctx.la_codes:
        rng = ctx.rng(la, "population")
        n_msoa = ctx.n_msoa(la)
        for cid, ((c_la, dob, sex, ethnic, uasc), eps) in by_child.items():
            if c_la != la:
                continue
            placements = _placements(eps)
            start, _, setting, _ = placements[-1]
            past = tuple(
                PastPlacement(s, e, st, why)
                for s, e, st, why in placements[:-1]
                if e is not None and e > since and st != "other"
            )
            children.append(
                Child(
                    key=f"child:{la}:{cid}",
                    la=la,
                    age=int((ctx.as_of - dob).days // 365.25),
                    birth_month=dt.date(dob.year, dob.month, 1),
                    sex=Sex.MALE if int(sex) == 1 else Sex.FEMALE,
                    ethnicity=str(ethnic),
                    uasc=bool(uasc),
                    setting=setting,
                    msoa=int(rng.integers(n_msoa)),
                    ssda903_id=str(cid),
                    placed_since=start,
                    past=past,
                )
            )
    return children


def return_seeds(region: SyntheticRegion) -> tuple[ReturnSeed, ...]:
    """Every LA's returns as the CSV files it would upload (the UASC file only when it has rows)."""
    out = []
    for la, by_year in region.returns.items():
        for year in sorted(by_year):
            tables = by_year[year]
            files = {
                name: frame.to_csv(index=False, lineterminator="\n").encode()
                for name, frame in tables.items()
                if name != "uasc" or len(frame)
            }
            out.append(ReturnSeed(la, year, files))
    return tuple(sorted(out, key=lambda r: (r.collection_year, r.la_gss_code)))
