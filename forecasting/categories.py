"""Vocabularies of the forecast: age bands and SSDA903 placement categories.

The SSDA903 ``PLACE`` code says what kind of placement a child is in; ``PLACE_PROVIDER``
says who provides it (PR0 parent / person with parental responsibility, PR1 own LA,
PR2 other LA, PR3 other public provision, PR4 private, PR5 voluntary / third sector).

Fine categories (what the model simulates and forecasts)::

    fostering_kinship   U1, U2, U3              foster care with relative or friend
    fostering_inhouse   U4, U5, U6 with PR0-PR3  foster care with a public (LA) carer
    fostering_agency    U4, U5, U6 with PR4/PR5  foster care through an agency (IFA)
    residential         K2 children's home, R1 residential care home, R3 family centre /
                        mother and baby unit
    secure              K1 secure children's home
    supported           K3 supported accommodation (2024-25 on), H5 semi-independent living
                        (to 2024-25), P2 independent living (to 2024-25), P3 residential
                        employment
    other               A3-A6 placed for adoption, P1 placed with parents, R2 NHS / health
                        care, R5 young offender institution or prison, S1 residential school,
                        T0-T4 temporary moves, Z1 other placements (to 2024-25), Z11-Z14
                        other placements (2025-26 on), and any unknown code

Codes by collection year (DfE "Children looked after" SSDA903 guides; the lists the validator
checks, rule 146): the 2022-23 list is valid to 2023-24; 2024-25 adds K3 (supported
accommodation registered with Ofsted under the Supported Accommodation (England) Regulations
2023, which from 28 October 2023 every provider of accommodation for looked-after 16- and
17-year-olds must be); 2025-26 withdraws H5, P2 and Z1 and adds Z11-Z14, which split the old Z1
"other placements". A code keeps its category in every year it is valid, so a series that
crosses a code change (H5/P2 -> K3; Z1 -> Z11-Z14) stays in the same category.
:data:`PLACE_CODE_YEARS` records each code's first and last collection year and
:func:`place_codes_out_of_year` finds codes used in a year they are not valid for.

Decisions (against DfE's published placement groupings in "Children looked after in England
including adoptions", national table "placement"):

- K3 is supported, with H5 and P2: DfE's "Other placements in the community" / "Semi-independent
  and supported accommodation" line holds them together, and K3 is what the 2023 regulations
  turned H5 and P2 placements of 16-17s into.
- Z11-Z14 are other, as Z1 was: DfE publishes them under "Other placements", and they are
  recorded with no placement provider (rule 178), like Z1. Counting them elsewhere would break
  the series at 1 April 2025 for children whose placement did not change.
- S1 (residential school) is other, not residential. DfE publishes "Residential schools" as its
  own line, separate from "Secure homes and children's homes"; a school that is also registered
  as a children's home is recorded as K2, so an S1 placement does not use a children's home
  place, which is the capacity the RCC's residential category plans and commissions. (Before
  issue 12 S1 counted as residential; the change moves these children, typically a few per LA,
  from residential to other.)

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
    "K1": "secure",
    "K3": "supported",
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
    "S1": "other",
    "Z1": "other",
    "Z11": "other",
    "Z12": "other",
    "Z13": "other",
    "Z14": "other",
}

# First and last collection year (named by the year it starts: 2024 = 2024-25) in which each
# PLACE code is valid; None = open-ended. Codes not listed are valid in every year.
PLACE_CODE_YEARS: dict[str, tuple[int | None, int | None]] = {
    "K3": (2024, None),
    "H5": (None, 2024),
    "P2": (None, 2024),
    "Z1": (None, 2024),
    "Z11": (2025, None),
    "Z12": (2025, None),
    "Z13": (2025, None),
    "Z14": (2025, None),
}


def collection_year(on: pd.Timestamp | str) -> int:
    """The collection year (1 April - 31 March, named by its first year) holding date ``on``."""
    t = pd.Timestamp(on)
    return t.year if t.month >= 4 else t.year - 1


def place_code_valid(place: str, year: int) -> bool:
    """Whether PLACE code ``place`` is in the collection year ``year`` code list (see
    :data:`PLACE_CODE_YEARS`; unknown codes are never valid)."""
    code = (place or "").strip().upper()
    if code not in SSDA903_PLACE_CATEGORY and code not in KINSHIP_FOSTER_PLACES | OTHER_FOSTER_PLACES:
        return False
    first, last = PLACE_CODE_YEARS.get(code, (None, None))
    return (first is None or year >= first) and (last is None or year <= last)


def place_codes_out_of_year(episodes: pd.DataFrame) -> pd.DataFrame:
    """Episodes whose PLACE is not valid in the collection year the episode started in:
    columns la (if present), CHILD, DECOM, PLACE, collection_year. A data-quality note, not an
    error: the forecast still counts them by :func:`place_category`."""
    years = episodes["DECOM"].map(lambda d: collection_year(d) if pd.notna(d) else -1)
    codes = episodes["PLACE"].astype(object).where(episodes["PLACE"].notna(), "")
    ok = [place_code_valid(str(c), int(y)) for c, y in zip(codes, years, strict=True)]
    bad = episodes.loc[~np.asarray(ok, dtype=bool)]
    cols = [c for c in ("la", "CHILD", "DECOM", "PLACE") if c in bad]
    return bad[cols].assign(collection_year=years[bad.index]).reset_index(drop=True)


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
