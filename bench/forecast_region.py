"""Simulated multi-LA regions for the forecast benchmark, calibrated on DfE's published counts.

The two regions (``tuned``: six North East LAs; ``unseen``: six South West LAs, another seed and
other UASC regimes) take their sizes from ``dfe_children_looked_after_by_la_2021_2025.csv``:
each LA's non-UASC entrants per year = its mean "starting to be looked after" count 2021-2025
(less the UASC arrivals simulated for it), its trend = the log-linear slope of those starts
(clipped to +-6% a year), its spell-length scale = its children-looked-after / starts ratio
relative to the generator's own (3.1 years), and its short-break children = 8% of its
31 March stock. Everything else (code calendar, seasonality, UASC regimes) is in the region
spec below, so the regions are deterministic given the data file and the seed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from forecasting.synthetic import LASpec, RegionSpec, SyntheticRegion, UASCRegime, simulate_region

ROOT = Path(__file__).resolve().parents[1]
DFE = "dfe_children_looked_after_by_la_2021_2025.csv"
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


def la_specs(data_dir: Path, names: dict[str, tuple[UASCRegime, ...]]) -> tuple[LASpec, ...]:
    d = pd.read_csv(data_dir / DFE)
    out = []
    for name, regimes in names.items():
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
            )
        )
    return tuple(out)


def build_region(name: str, data_dir: Path | None = None) -> SyntheticRegion:
    cfg = REGIONS[name]
    data_dir = data_dir or ROOT.parent / "shared" / "data"
    spec = RegionSpec(
        las=la_specs(Path(data_dir), cfg["las"]),
        first_year=cfg["first_year"],
        last_year=cfg["last_year"],
        seed=cfg["seed"],
    )
    return simulate_region(spec)
