"""The simulated region's inputs and output: the code calendar, UASC regimes, LA and region specs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

# Truth states (finer than the forecast's categories: the code calendar maps them to codes).
KINSHIP, INHOUSE, AGENCY, RESIDENTIAL, SECURE, SUPPORTED, PARENTS, ADOPTION, OTHER_MISC = range(9)
_STATE_NAMES = (
    "kinship",
    "inhouse",
    "agency",
    "residential",
    "secure",
    "supported",
    "parents",
    "adoption",
    "other_misc",
)


@dataclass(frozen=True)
class CodePeriod:
    """From ``start`` on, new episodes in truth state ``state`` get one of ``codes`` (with
    weights); open episodes whose code is in ``withdraw`` are ended on ``start`` and continued
    under a new code (RNE U)."""

    start: dt.date
    state: str
    codes: tuple[tuple[str, float], ...]
    withdraw: tuple[str, ...] = ()


DEFAULT_CODE_CALENDAR: tuple[CodePeriod, ...] = (
    CodePeriod(dt.date(1990, 1, 1), "kinship", (("U1", 0.3), ("U2", 0.2), ("U3", 0.5))),
    CodePeriod(dt.date(1990, 1, 1), "inhouse", (("U4", 0.35), ("U5", 0.15), ("U6", 0.5))),
    CodePeriod(dt.date(1990, 1, 1), "agency", (("U4", 0.35), ("U5", 0.15), ("U6", 0.5))),
    CodePeriod(dt.date(1990, 1, 1), "residential", (("K2", 0.93), ("R1", 0.03), ("R3", 0.04))),
    CodePeriod(dt.date(1990, 1, 1), "secure", (("K1", 1.0),)),
    CodePeriod(dt.date(1990, 1, 1), "supported", (("H5", 0.6), ("P2", 0.32), ("P3", 0.08))),
    CodePeriod(dt.date(1990, 1, 1), "parents", (("P1", 1.0),)),
    CodePeriod(dt.date(1990, 1, 1), "adoption", (("A4", 0.4), ("A5", 0.3), ("A6", 0.3))),
    CodePeriod(
        dt.date(1990, 1, 1),
        "other_misc",
        (("Z1", 0.35), ("S1", 0.2), ("R2", 0.1), ("R5", 0.1), ("T0", 0.1), ("T4", 0.15)),
    ),
    # Supported Accommodation (England) Regulations 2023: unregistered independent living (P2)
    # for 16-17s ends on 28 October 2023.
    CodePeriod(dt.date(2023, 10, 28), "supported", (("H5", 0.9), ("P3", 0.1)), withdraw=("P2",)),
    # 2024-25: K3 supported accommodation (registered).
    CodePeriod(dt.date(2024, 4, 1), "supported", (("K3", 0.92), ("P3", 0.08)), withdraw=("H5",)),
    # 2025-26: Z1 split into Z11-Z14.
    CodePeriod(
        dt.date(2025, 4, 1),
        "other_misc",
        (
            ("Z11", 0.1),
            ("Z12", 0.1),
            ("Z13", 0.1),
            ("Z14", 0.05),
            ("S1", 0.2),
            ("R2", 0.1),
            ("R5", 0.1),
            ("T0", 0.1),
            ("T4", 0.15),
        ),
    ),
)
# A code withdrawn at the start of a collection year (Z1 from 2025-26) cannot appear in that
# year's return, not even on an episode that ended on its first day: the later return lists the
# still-open episode under its new code (a revision of the episode, as LAs do), so the history
# built from the returns carries the new code.
RECODE_IN_LATER_RETURNS: dict[str, str] = {"Z1": "Z14", "H5": "K3", "P2": "K3"}
NO_PROVIDER_PLACES = frozenset({"T0", "T1", "T2", "T3", "T4", "Z1", "Z11", "Z12", "Z13", "Z14"})
URN_PLACES = frozenset({"K1", "K2", "K3", "S1", "R1"})


@dataclass(frozen=True)
class UASCRegime:
    """Unaccompanied asylum-seeking children arriving at ``monthly_rate`` (Poisson) from
    ``start`` until ``end``."""

    start: dt.date
    end: dt.date
    monthly_rate: float


@dataclass(frozen=True)
class EntrantShock:
    """Non-UASC entries multiplied by ``factor`` from ``start`` until ``end`` (a step in demand,
    such as a serious case review or a court backlog clearing), on top of the trend."""

    start: dt.date
    end: dt.date
    factor: float


@dataclass(frozen=True)
class LASpec:
    """One local authority.

    ``annual_entrants``: non-UASC children starting care per year at ``reference_date``;
    ``trend``: log growth of that rate per year (``trend_change_year`` / ``trend_after``: a
    new trend from that calendar year); ``shocks``: steps in that rate over given periods;
    ``stay_scale``: multiplies placement spell lengths
    (longer stays, a bigger stock per entrant); ``short_break_children``: children with a
    series of short breaks (V3/V4) at any time; ``postcode_area``: letters of the LA's
    synthetic postcode sectors.
    """

    la: str
    annual_entrants: float
    trend: float = 0.0
    trend_change_year: int | None = None
    trend_after: float = 0.0
    stay_scale: float = 1.0
    short_break_children: int = 0
    uasc: tuple[UASCRegime, ...] = ()
    postcode_area: str = "ZZ"
    shocks: tuple[EntrantShock, ...] = ()


@dataclass(frozen=True)
class RegionSpec:
    """The region: LAs, the first and last collection years returned (start years: 2015 =
    2015-16), seasonality of entries (relative amplitude, peak month), the code calendar, the
    years simulated before the first return (so the first return has a realistic stock), and
    the seed."""

    las: tuple[LASpec, ...]
    first_year: int = 2015
    last_year: int = 2024
    reference_date: dt.date = dt.date(2021, 3, 31)
    seasonal_amplitude: float = 0.12
    seasonal_peak_month: int = 10
    code_calendar: tuple[CodePeriod, ...] = DEFAULT_CODE_CALENDAR
    warmup_years: int = 14
    seed: int = 0
    end: dt.date | None = None
    """The day the simulation stops (default 31 March ending ``last_year``); a later day (within the
    next collection year) leaves each child's state on that day in ``truth``, beyond the last return."""


@dataclass(frozen=True)
class SyntheticRegion:
    """Output of :func:`simulate_region`: ``returns[la][year]`` = {"header", "episodes",
    "uasc"} DataFrames (strings, as read from CSV), and ``truth``: every episode of every child
    over the whole simulation (history schema of :mod:`forecasting.data`, with dates)."""

    returns: Mapping[str, Mapping[int, Mapping[str, pd.DataFrame]]]
    truth: pd.DataFrame
    spec: RegionSpec = field(repr=False)
