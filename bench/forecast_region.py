"""Simulated multi-LA regions for the forecast benchmark, calibrated on DfE's published counts.

The two regions (``tuned``: six North East LAs; ``unseen``: six South West LAs, another seed and
other UASC regimes) take their sizes from ``dfe_children_looked_after_by_la_2021_2025.csv``:
each LA's non-UASC entrants per year = its mean "starting to be looked after" count 2021-2025
(less the UASC arrivals simulated for it), its trend = the log-linear slope of those starts
(clipped to +-6% a year), its spell-length scale = its children-looked-after / starts ratio
relative to the generator's own (3.1 years), and its short-break children = 8% of its
31 March stock. Everything else (code calendar, seasonality, UASC regimes) is in the region
spec below, so the regions are deterministic given the data file and the seed.

Three more regions (``london``, ``west_midlands``, ``yorkshire``) were added afterwards to check
robustness; their LAs are not named by hand but chosen by a rule from the LA register and DfE's
counts (see :data:`SELECTIONS`), and their regimes (written down before the forecaster was first
run on them, and not changed after) are given per position in that selection: UASC surges
straddling an origin, a declining LA, sharp entrant shocks up and down, a change of trend, and
(``yorkshire``) another mix of placement codes, so that the P2 withdrawal of October 2023 and the
Z1 split of April 2025 move more episodes.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from forecasting.synthetic import (
    DEFAULT_CODE_CALENDAR,
    CodePeriod,
    EntrantShock,
    LASpec,
    RegionSpec,
    SyntheticRegion,
    UASCRegime,
    simulate_region,
)

ROOT = Path(__file__).resolve().parents[1]
DFE = "dfe_children_looked_after_by_la_2021_2025.csv"
REGISTER = "england_childrens_services_las.csv"
GENERATOR_STOCK_PER_ENTRANT = 3.1

REGIONS: dict[str, dict] = {
    "tuned": {
        "seed": 12,
        "first_year": 2016,
        "last_year": 2025,
        "las": {
            "County Durham": (UASCRegime(dt.date(2017, 1, 1), dt.date(2026, 3, 31), 0.4),),
            "Sunderland": (UASCRegime(dt.date(2021, 7, 1), dt.date(2022, 10, 31), 3.0),),
            "Gateshead": (UASCRegime(dt.date(2022, 9, 1), dt.date(2026, 3, 31), 1.5),),
            "Middlesbrough": (UASCRegime(dt.date(2019, 4, 1), dt.date(2020, 3, 31), 1.0),),
            "Redcar and Cleveland": (),
            "Hartlepool": (UASCRegime(dt.date(2023, 6, 1), dt.date(2024, 5, 31), 1.2),),
        },
    },
    "unseen": {
        "seed": 2077,
        "first_year": 2016,
        "last_year": 2025,
        "las": {
            "Devon": (
                UASCRegime(dt.date(2018, 1, 1), dt.date(2019, 6, 30), 1.5),
                UASCRegime(dt.date(2023, 3, 1), dt.date(2026, 3, 31), 2.5),
            ),
            "Cornwall": (UASCRegime(dt.date(2016, 1, 1), dt.date(2026, 3, 31), 0.3),),
            "Somerset": (UASCRegime(dt.date(2024, 1, 1), dt.date(2025, 2, 28), 2.0),),
            "Plymouth": (UASCRegime(dt.date(2020, 10, 1), dt.date(2021, 12, 31), 1.5),),
            "Torbay": (),
            "Isle of Wight": (UASCRegime(dt.date(2022, 1, 1), dt.date(2022, 12, 31), 0.8),),
        },
    },
}


def _u(start: tuple[int, int, int], end: tuple[int, int, int], rate: float) -> UASCRegime:
    return UASCRegime(dt.date(*start), dt.date(*end), rate)


def _shock(start: tuple[int, int, int], end: tuple[int, int, int], factor: float) -> EntrantShock:
    return EntrantShock(dt.date(*start), dt.date(*end), factor)


# A placement-code mix other than the default: supported accommodation mostly P2 (unregistered
# independent living) until it is withdrawn in October 2023, and "other" mostly Z1 until the
# 2025-26 split, so the code changes move more episodes than in the other regions.
P2_HEAVY_CALENDAR: tuple[CodePeriod, ...] = tuple(
    CodePeriod(p.start, p.state, (("H5", 0.3), ("P2", 0.62), ("P3", 0.08)))
    if p.start.year == 1990 and p.state == "supported"
    else CodePeriod(
        p.start, p.state, (("Z1", 0.6), ("S1", 0.15), ("R2", 0.05), ("R5", 0.05), ("T0", 0.05), ("T4", 0.1))
    )
    if p.start.year == 1990 and p.state == "other_misc"
    else p
    for p in DEFAULT_CODE_CALENDAR
)

# Robustness regions: LAs chosen by a rule (``select``), regimes by position in that choice.
SELECTIONS: dict[str, dict] = {
    "london": {
        "label": "London boroughs spread over the size range, largest first",
        "select": ("spread", "London", ("London borough",)),
        "seed": 310,
        "roles": (
            # the largest: a standing UASC intake plus a surge straddling the 2023 origin
            {"uasc": (_u((2016, 1, 1), (2026, 3, 31), 3.0), _u((2022, 7, 1), (2023, 9, 30), 5.0))},
            # declining from 2022
            {"trend_change_year": 2022, "trend_after": -0.10},
            # UASC arrivals that stop three months after the 2021 origin
            {"uasc": (_u((2019, 6, 1), (2021, 6, 30), 1.0),)},
            # a sharp entrant shock straddling the 2022 origin
            {"shocks": (_shock((2021, 10, 1), (2022, 9, 30), 1.5),)},
            {},
            # UASC arrivals starting two months before the 2024 origin
            {"uasc": (_u((2024, 2, 1), (2026, 3, 31), 0.5),)},
        ),
    },
    "west_midlands": {
        "label": "the largest West Midlands county and the five smallest other West Midlands LAs",
        "select": ("county_and_small", "West Midlands", ()),
        "seed": 5150,
        "roles": (
            # the county: a shock straddling the 2024 origin, transfer-scheme UASC from late 2021
            {
                "shocks": (_shock((2023, 11, 1), (2024, 10, 31), 1.6),),
                "uasc": (_u((2021, 11, 1), (2026, 3, 31), 0.8),),
            },
            {"trend_change_year": 2021, "trend_after": -0.12},
            {"uasc": (_u((2021, 9, 1), (2022, 8, 31), 2.0),)},
            {},
            {"trend_change_year": 2023, "trend_after": 0.10},
            {"uasc": (_u((2016, 1, 1), (2020, 12, 31), 0.6),)},
        ),
    },
    "yorkshire": {
        "label": "the six Yorkshire and The Humber LAs whose starts changed fastest 2021-2025, largest first",
        "select": ("steepest", "Yorkshire and The Humber", ()),
        "seed": 777,
        "code_calendar": P2_HEAVY_CALENDAR,
        "roles": (
            # a UASC surge straddling the 2025 origin
            {"uasc": (_u((2024, 10, 1), (2025, 9, 30), 3.0),)},
            # entries drop by 40% for a year (an edge-of-care service), straddling the 2022 origin
            {"shocks": (_shock((2021, 10, 1), (2022, 9, 30), 0.6),)},
            {"trend_change_year": 2023, "trend_after": -0.10},
            {"uasc": (_u((2020, 1, 1), (2022, 6, 30), 1.0),)},
            {},
            {},
        ),
    },
}


def select_las(data_dir: Path, rule: str, region: str, types: tuple[str, ...], k: int = 6) -> list[str]:
    """LA names chosen by ``rule`` among the region's LAs with all five years of DfE counts.

    ``spread``: sorted by mean 31 March stock, the LAs at k evenly spaced ranks (largest and
    smallest included); ``county_and_small``: the county with the largest stock, then the k - 1
    smallest other LAs; ``steepest``: the k LAs with the largest |log-linear slope| of starts.
    Each list is ordered largest stock first."""
    reg = pd.read_csv(data_dir / REGISTER)
    reg = reg[(reg["region"] == region) & (reg["type"].isin(types) if types else True)]
    d = pd.read_csv(data_dir / DFE)
    d = d[d["la_gss_code"].isin(reg["gss_code"])]
    stock = d[d["measure"].str.contains("31 March")].pivot_table("children", "la_name", "year")
    starts = d[d["measure"].str.startswith("Children starting")].pivot_table("children", "la_name", "year")
    full = stock.dropna().index.intersection(starts.dropna().index)
    size = stock.loc[full].mean(axis=1).sort_values(ascending=False)
    if rule == "spread":
        picked = [size.index[int(i)] for i in np.round(np.linspace(0, len(size) - 1, k))]
    elif rule == "county_and_small":
        gss = d.drop_duplicates("la_name").set_index("la_name")["la_gss_code"]
        types_by_name = gss.map(reg.set_index("gss_code")["type"])
        county = [n for n in size.index if types_by_name.get(n) == "County"][:1]
        small = [n for n in size.index if types_by_name.get(n) != "County"][-(k - 1) :]
        picked = county + small
    elif rule == "steepest":
        yrs = starts.columns.to_numpy(dtype=float)
        logs = np.log(np.maximum(starts.loc[full].to_numpy(dtype=float), 1.0))
        slope = pd.Series(np.polyfit(yrs - yrs.mean(), logs.T, 1)[0], index=full)
        picked = list(slope.abs().sort_values(ascending=False).index[:k])
    else:
        raise ValueError(rule)
    return sorted(picked, key=lambda n: -size[n])


def la_specs(data_dir: Path, names: dict[str, tuple[UASCRegime, ...] | dict]) -> tuple[LASpec, ...]:
    d = pd.read_csv(data_dir / DFE)
    out = []
    for name, extra in names.items():
        extra = extra if isinstance(extra, dict) else {"uasc": extra}
        regimes = tuple(extra.get("uasc", ()))
        rows = d[d["la_name"] == name]
        if rows.empty:
            raise KeyError(f"{name} not in {DFE}")
        starts = rows[rows["measure"].str.startswith("Children starting")].sort_values("year")
        stock = rows[rows["measure"].str.contains("31 March")].sort_values("year")
        s = starts["children"].to_numpy(dtype=float)
        years = starts["year"].to_numpy(dtype=float)
        slope = float(np.polyfit(years - years.mean(), np.log(np.maximum(s, 1.0)), 1)[0])
        uasc_per_year = sum(
            r.monthly_rate * 12 * max(0.0, min(1.0, ((r.end - r.start).days / 365.25) / 10)) for r in regimes
        )
        entrants = max(20.0, float(s.mean()) - uasc_per_year)
        ratio = float(stock["children"].mean()) / float(s.mean())
        gss = str(rows["la_gss_code"].iloc[0])
        out.append(
            LASpec(
                la=gss,
                annual_entrants=entrants,
                trend=float(np.clip(slope, -0.06, 0.06)),
                stay_scale=float(np.clip(ratio / GENERATOR_STOCK_PER_ENTRANT, 0.6, 1.6)),
                short_break_children=int(round(0.08 * float(stock["children"].mean()))),
                uasc=regimes,
                postcode_area="".join(ch for ch in name.upper() if ch.isalpha())[:2],
                trend_change_year=extra.get("trend_change_year"),
                trend_after=float(extra.get("trend_after", 0.0)),
                shocks=tuple(extra.get("shocks", ())),
            )
        )
    return tuple(out)


def region_config(name: str, data_dir: Path | None = None) -> dict:
    """The region's seed, years, code calendar and LA names with their regimes."""
    data_dir = Path(data_dir or ROOT.parent / "shared" / "data")
    if name in REGIONS:
        return REGIONS[name]
    cfg = SELECTIONS[name]
    rule, region, types = cfg["select"]
    names = select_las(data_dir, rule, region, types, k=len(cfg["roles"]))
    return {
        "seed": cfg["seed"],
        "first_year": 2016,
        "last_year": 2025,
        "code_calendar": cfg.get("code_calendar", DEFAULT_CODE_CALENDAR),
        "las": dict(zip(names, cfg["roles"], strict=True)),
    }


ALL_REGIONS = (*REGIONS, *SELECTIONS)


def build_region(name: str, data_dir: Path | None = None) -> SyntheticRegion:
    data_dir = Path(data_dir or ROOT.parent / "shared" / "data")
    cfg = region_config(name, data_dir)
    spec = RegionSpec(
        las=la_specs(data_dir, cfg["las"]),
        first_year=cfg["first_year"],
        last_year=cfg["last_year"],
        seed=cfg["seed"],
        code_calendar=cfg.get("code_calendar", DEFAULT_CODE_CALENDAR),
    )
    return simulate_region(spec)


def describe(name: str) -> str:
    """One line for the report: where the region's LAs come from and whether it was tuned on."""
    if name == "tuned":
        return "tuned region (North East LAs; the model was developed on it)"
    if name == "unseen":
        return "unseen region (South West LAs, another seed and UASC regimes; not tuned on)"
    return f"robustness region ({SELECTIONS[name]['label']}; chosen by rule, not tuned on)"
