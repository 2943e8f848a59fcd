"""Vocabularies of the forecast: age bands and SSDA903 placement categories.

The SSDA903 ``PLACE`` code says what kind of placement a child is in; ``PLACE_PROVIDER``
says who provides it (PR0 parent / person with parental responsibility, PR1 own LA,
PR2 other LA, PR3 other public provision, PR4 private, PR5 voluntary / third sector).

Fine categories (what the model simulates and forecasts)::

    fostering_kinship   U1, U2, U3              foster care with relative or friend
    fostering_inhouse   U4, U5, U6 with PR0-PR3  foster care with a public (LA) carer
    fostering_agency    U4, U5, U6 with PR4/PR5  foster care through an agency (IFA)
    residential         K2 children's home, R1 residential care home, R3 family centre /
                        mother and baby unit, S1 residential school
    secure              K1 secure children's home
    supported           H5 semi-independent living, P2 independent living,
                        P3 residential employment
    other               A3-A6 placed for adoption, P1 placed with parents, R2 NHS / health
                        care, R5 young offender institution or prison, T0-T4 temporary
                        moves, Z1 other, and any unknown code

Coarse categories (the backtest target): fostering (the three fostering categories),
residential (residential + secure), supported, other.

Children looked after under legal status V3 or V4 (a series of short breaks) are not
counted in the stock, as in DfE's published figures; the model tracks them in an
internal ``short_break`` state so that moves into and out of short-break care are
modelled rather than mistaken for new entrants.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

AGE_BANDS: tuple[str, ...] = ("under_1", "1_to_4", "5_to_9", "10_to_15", "16_to_17")
# Age (completed years) at which each band starts; a child leaves the counted population at 18.
AGE_BAND_START: tuple[int, ...] = (0, 1, 5, 10, 16)
AGE_LIMIT = 18

FINE_CATEGORIES: tuple[str, ...] = (
    "fostering_kinship",
    "fostering_inhouse",
    "fostering_agency",
    "residential",
    "secure",
    "supported",
    "other",
)
COARSE_CATEGORIES: tuple[str, ...] = ("fostering", "residential", "supported", "other")

FINE_TO_COARSE: dict[str, str] = {
    "fostering_kinship": "fostering",
    "fostering_inhouse": "fostering",
    "fostering_agency": "fostering",
    "residential": "residential",
    "secure": "residential",
    "supported": "supported",
    "other": "other",
}

SHORT_BREAK_LEGAL_STATUSES: frozenset[str] = frozenset({"V3", "V4"})

KINSHIP_FOSTER_PLACES: frozenset[str] = frozenset({"U1", "U2", "U3"})
OTHER_FOSTER_PLACES: frozenset[str] = frozenset({"U4", "U5", "U6"})
AGENCY_PROVIDERS: frozenset[str] = frozenset({"PR4", "PR5"})

# PLACE codes other than fostering (which also needs PLACE_PROVIDER).
SSDA903_PLACE_CATEGORY: dict[str, str] = {
    "K2": "residential",
    "R1": "residential",
    "R3": "residential",
    "S1": "residential",
    "K1": "secure",
    "H5": "supported",
    "P2": "supported",
    "P3": "supported",
    "A3": "other",
    "A4": "other",
    "A5": "other",
    "A6": "other",
    "P1": "other",
    "R2": "other",
    "R5": "other",
    "T0": "other",
    "T1": "other",
    "T2": "other",
    "T3": "other",
    "T4": "other",
    "Z1": "other",
}


def place_category(place: str | None, provider: str | None = None) -> str:
    """The fine placement category of one SSDA903 PLACE (and PLACE_PROVIDER) code."""
    place = (place or "").strip().upper()
    provider = (provider or "").strip().upper()
    if place in KINSHIP_FOSTER_PLACES:
        return "fostering_kinship"
    if place in OTHER_FOSTER_PLACES:
        return "fostering_agency" if provider in AGENCY_PROVIDERS else "fostering_inhouse"
    return SSDA903_PLACE_CATEGORY.get(place, "other")


def place_categories(place: pd.Series, provider: pd.Series | None = None) -> pd.Series:
    """Vectorised :func:`place_category` over columns PLACE and PLACE_PROVIDER."""
    if provider is None:
        provider = pd.Series(None, index=place.index, dtype=object)
    pairs = pd.DataFrame({"p": place.astype(object), "v": provider.astype(object)}, index=place.index)
    pairs = pairs.where(pairs.notna(), "")
    uniq = pairs.drop_duplicates()
    lookup = {(a, b): place_category(str(a), str(b)) for a, b in zip(uniq["p"], uniq["v"], strict=True)}
    return pd.Series(
        [lookup[k] for k in zip(pairs["p"], pairs["v"], strict=True)], index=place.index, dtype=object
    )


def to_coarse(category: str) -> str:
    """Coarse category of a fine category (a coarse name maps to itself)."""
    if category in FINE_TO_COARSE:
        return FINE_TO_COARSE[category]
    if category in COARSE_CATEGORIES:
        return category
    raise KeyError(f"unknown placement category {category!r}")


def expand_category(name: str) -> tuple[str, ...]:
    """Fine categories named by ``name``: a fine category, a coarse category, or ``"*"`` (all)."""
    if name == "*" or name == "all":
        return FINE_CATEGORIES
    if name in FINE_TO_COARSE:
        return (name,)
    fine = tuple(f for f, c in FINE_TO_COARSE.items() if c == name)
    if not fine:
        raise KeyError(f"unknown placement category {name!r}")
    return fine


def age_band_of_years(age_years: np.ndarray) -> np.ndarray:
    """Band index (0..4) of completed-years ages; -1 for 18 and over (or negative)."""
    age_years = np.asarray(age_years)
    idx = np.searchsorted(np.asarray(AGE_BAND_START), age_years, side="right") - 1
    return np.where((age_years < 0) | (age_years >= AGE_LIMIT), -1, idx)


def completed_years(dob: pd.Series | pd.DatetimeIndex, on: pd.Timestamp) -> np.ndarray:
    """Exact age in completed years on date ``on`` (birthday counts from the day itself)."""
    d = pd.DatetimeIndex(dob)
    on = pd.Timestamp(on)
    years = on.year - d.year
    before = (d.month > on.month) | ((d.month == on.month) & (d.day > on.day))
    return np.asarray(years - before.astype(int))


def age_band_on(dob: pd.Series | pd.DatetimeIndex, on: pd.Timestamp) -> np.ndarray:
    """Band index of each date of birth on date ``on`` (-1 if 18+ or not yet born)."""
    return age_band_of_years(completed_years(dob, on))
