"""Pure arithmetic for commissioning intelligence: medians with suppression, shares, HHI, groupings.

No database and no I/O: every function here takes plain numbers or codes, so each figure the
published report shows can be checked by hand.

Conventions (also printed in the report's method notes):

* **Small numbers.** A figure based on fewer than :data:`SUPPRESS_BELOW` (5) placements or children
  is suppressed: its value is ``None`` (shown as ``c`` in CSV and HTML, as DfE does) and it carries a
  caveat. Counts of 1 to 4 are suppressed too; 0 is shown.
* **Quartiles.** Linear interpolation between closest ranks on the sorted values ("inclusive" method:
  R type 7, Excel ``QUARTILE.INC``, numpy's default); the median is the 50% point.
* **HHI.** The sum of squared percentage shares (0 to 10,000).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass

SUPPRESS_BELOW = 5
SMALL_BASE_BELOW = 10
SUPPRESSED = "c"  # the symbol official statistics use for a suppressed figure

SUPPRESSED_CAVEAT = f"suppressed: based on fewer than {SUPPRESS_BELOW}"
SMALL_BASE_CAVEAT = f"small base: fewer than {SMALL_BASE_BELOW}, interpret with care"

METRES_PER_MILE = 1609.344
FAR_MILES = 20.0

# HHI bands (percentage shares squared, 0-10,000). 1,500 and 2,500 are the bands of the US DOJ/FTC 2010
# Horizontal Merger Guidelines, the ones most often quoted; the UK OFT/CC 2010 Merger Assessment
# Guidelines used 1,000 ("concentrated") and 2,000 ("highly concentrated"). Both are given in caveats.
HHI_MODERATE = 1500
HHI_HIGH = 2500


# ---------------------------------------------------------------- quantiles and summaries


def quantile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values`` by linear interpolation between closest ranks."""
    if not values:
        raise ValueError("quantile of no values")
    if not 0.0 <= q <= 1.0:
        raise ValueError("q must lie in [0, 1]")
    xs = sorted(values)
    pos = (len(xs) - 1) * q
    lo = math.floor(pos)
    hi = math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


@dataclass(frozen=True)
class Summary:
    """Median and interquartile range of some values, or a suppressed figure."""

    n: int | None
    median: float | None
    q1: float | None
    q3: float | None
    mean: float | None
    suppressed: bool
    caveat: str | None

    def as_dict(self) -> dict:
        return asdict(self)


def _round(x: float, places: int) -> float:
    return round(x + 0.0, places)


def summarise(values: Iterable[float], unit: str = "placements", places: int = 2) -> Summary:
    """n, median, quartiles and mean; suppressed (all ``None``) when fewer than 5 values."""
    xs = sorted(float(v) for v in values)
    n = len(xs)
    if n < SUPPRESS_BELOW:
        caveat: str | None = f"{SUPPRESSED_CAVEAT} {unit}" if n else f"no {unit}"
        return Summary(None if n else 0, None, None, None, None, bool(n), caveat)
    caveat = f"{SMALL_BASE_CAVEAT} ({n} {unit})" if n < SMALL_BASE_BELOW else None
    return Summary(
        n,
        _round(quantile(xs, 0.5), places),
        _round(quantile(xs, 0.25), places),
        _round(quantile(xs, 0.75), places),
        _round(sum(xs) / n, places),
        False,
        caveat,
    )


@dataclass(frozen=True)
class Count:
    """A count of placements or children; 1-4 suppressed."""

    value: int | None
    suppressed: bool
    caveat: str | None

    def as_dict(self) -> dict:
        return asdict(self)


def count(n: int, unit: str = "placements") -> Count:
    if 0 < n < SUPPRESS_BELOW:
        return Count(None, True, f"{SUPPRESSED_CAVEAT} {unit}")
    return Count(n, False, None)


@dataclass(frozen=True)
class Share:
    """``numerator`` of ``denominator`` as a percentage; suppressed when either is 1-4 or the base is 0-4."""

    numerator: int | None
    denominator: int | None
    percent: float | None
    suppressed: bool
    caveat: str | None

    def as_dict(self) -> dict:
        return asdict(self)


def share(numerator: int, denominator: int, unit: str = "placements", places: int = 1) -> Share:
    """A percentage share with small-number suppression.

    Suppressed when the base is under 5 (the percentage would rest on fewer than 5 cases) or when the
    numerator is 1-4 (publishing it would disclose a count of 1-4 children); a numerator of 0 is shown.
    """
    if numerator < 0 or denominator < 0 or numerator > denominator:
        raise ValueError("need 0 <= numerator <= denominator")
    if denominator < SUPPRESS_BELOW:
        caveat: str | None = f"{SUPPRESSED_CAVEAT} {unit}" if denominator else f"no {unit}"
        return Share(None, None if denominator else 0, None, bool(denominator), caveat)
    if 0 < numerator < SUPPRESS_BELOW:
        return Share(
            None, denominator, None, True, f"suppressed: a count of fewer than {SUPPRESS_BELOW} {unit}"
        )
    caveat = f"{SMALL_BASE_CAVEAT} ({denominator} {unit})" if denominator < SMALL_BASE_BELOW else None
    return Share(numerator, denominator, _round(100.0 * numerator / denominator, places), False, caveat)


def difference(a: Summary, b: Summary) -> tuple[float | None, float | None]:
    """``a.median - b.median`` and ``a.median / b.median`` (None if either is suppressed or b is 0)."""
    if a.median is None or b.median is None:
        return None, None
    diff = _round(a.median - b.median, 2)
    ratio = _round(a.median / b.median, 3) if b.median else None
    return diff, ratio


# ---------------------------------------------------------------- market concentration


def percentage_shares(places: Mapping[str, int]) -> dict[str, float]:
    """Each key's share of the total, in percent (0-100); empty when the total is 0."""
    total = sum(places.values())
    if total <= 0:
        return {}
    return {k: 100.0 * v / total for k, v in places.items()}


def hhi(places: Mapping[str, int]) -> float:
    """Herfindahl-Hirschman index on percentage shares: 10,000 for a monopoly, towards 0 when fragmented."""
    return _round(sum(s * s for s in percentage_shares(places).values()), 1)


def concentration_level(index: float, moderate: float = HHI_MODERATE, high: float = HHI_HIGH) -> str:
    """``unconcentrated`` below ``moderate``, ``moderately concentrated`` up to ``high``, else ``highly``."""
    if index > high:
        return "highly concentrated"
    if index >= moderate:
        return "moderately concentrated"
    return "unconcentrated"


def owner_group_key(owner_group: str | None, provider_name: str, provider_id: int) -> str:
    """The owner group a provider's places count towards: a provider without a group is its own."""
    group = (owner_group or "").strip()
    return group or f"{provider_name} (provider {provider_id})"


# ---------------------------------------------------------------- groupings


# SSDA903 ETHNIC codes to the five major groups of DfE's children-looked-after statistics
# (2001/2011 census classification): Chinese is in "Other ethnic groups" there, as in the 903 guide.
ETHNIC_GROUP: dict[str, str] = {
    **{c: "White" for c in ("WBRI", "WIRI", "WIRT", "WOTH", "WROM")},
    **{c: "Mixed" for c in ("MWBC", "MWBA", "MWAS", "MOTH")},
    **{c: "Asian" for c in ("AIND", "APKN", "ABAN", "AOTH")},
    **{c: "Black" for c in ("BCRB", "BAFR", "BOTH")},
    **{c: "Other" for c in ("CHNE", "OOTH")},
}
ETHNIC_GROUPS = ("White", "Mixed", "Asian", "Black", "Other", "Not known")


def ethnic_group(code: str | None) -> str:
    """Major ethnic group of an SSDA903 ETHNIC code; refused/not obtained/missing are "Not known"."""
    return ETHNIC_GROUP.get((code or "").strip().upper(), "Not known")


AGE_BANDS = ("under 1", "1-4", "5-9", "10-15", "16-17", "18 and over")


def age_band(age_years: int) -> str:
    """DfE children-looked-after age bands."""
    if age_years < 1:
        return "under 1"
    if age_years <= 4:
        return "1-4"
    if age_years <= 9:
        return "5-9"
    if age_years <= 15:
        return "10-15"
    if age_years <= 17:
        return "16-17"
    return "18 and over"


def miles(e1: float, n1: float, e2: float, n2: float) -> float:
    """Straight-line distance on the British National Grid, in miles (1 mile = 1,609.344 m)."""
    return math.hypot(e1 - e2, n1 - n2) / METRES_PER_MILE


# ---------------------------------------------------------------- dates


def quarter_of(d: dt.date) -> str:
    """Calendar quarter label, e.g. ``2024-Q3``."""
    return f"{d.year}-Q{(d.month - 1) // 3 + 1}"


def quarter_end(d: dt.date) -> dt.date:
    """The last day of ``d``'s calendar quarter."""
    month = ((d.month - 1) // 3 + 1) * 3
    nxt = dt.date(d.year + (month == 12), month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def quarter_ends(start: dt.date, end: dt.date) -> list[dt.date]:
    """Calendar quarter ends falling within ``[start, end]``."""
    out, q = [], quarter_end(start)
    while q <= end:
        out.append(q)
        q = quarter_end(q + dt.timedelta(days=1))
    return out


def year_before(end: dt.date) -> dt.date:
    """First day of the 12 months ending on ``end`` (inclusive), e.g. 31 March 2025 -> 1 April 2024."""
    try:
        start = end.replace(year=end.year - 1)
    except ValueError:  # 29 February
        start = end.replace(year=end.year - 1, day=28)
    return start + dt.timedelta(days=1)


def active_between(start: dt.date, end: dt.date | None, period_start: dt.date, period_end: dt.date) -> bool:
    """A placement [start, end) overlaps the period [period_start, period_end] (end date exclusive)."""
    return start <= period_end and (end is None or end > period_start)


def active_on(start: dt.date, end: dt.date | None, on: dt.date) -> bool:
    """Placed on ``on``: started and not yet ended (a placement ending on ``on`` no longer counts)."""
    return start <= on and (end is None or end > on)
