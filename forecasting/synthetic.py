"""Synthetic SSDA903 returns for a region of local authorities (pure: no file I/O).

:func:`simulate_region` takes plain dataclasses (per-LA entry rates and stock scale, trend,
seasonality, short breaks, UASC arrival regimes, the placement-code calendar and a seed) and
returns, for every LA and collection year, the tables an LA submits to DfE: ``header``
(CHILD, SEX, DOB, ETHNIC, and UPN / MOTHER / MC_DOB with no real values: UPN is one of DfE's
"unknown" codes), ``episodes`` (CHILD, DECOM, RNE, LS, CIN, PLACE, PLACE_PROVIDER,
DEC, REC, REASON_PLACE_CHANGE, HOME_POST, PL_POST, URN) and ``uasc`` (CHILD, SEX, DOB, DUC),
as strings with dd/mm/yyyy dates, as read from the CSVs. The same seed gives the same returns.

The returns follow DfE's main rules: a child's episodes never overlap; an episode that ends
with REC X1 is followed by the child's next episode starting the same day (RNE P, L, T or U,
with REASON_PLACE_CHANGE on the ending episode when the placement changes); any other REC
ends the period of care; DEC and REC are both blank while an episode is open at the year end;
codes are those valid in the collection year (SEX 1/2 to 2023-24 and M/F from 2024-25; the
PLACE calendar of :data:`DEFAULT_CODE_CALENDAR`: P2 withdrawn in October 2023, K3 from April
2024, Z1 replaced by Z11-Z14 and H5 withdrawn from April 2025; an episode open when its code
is withdrawn during a year is ended and continued with RNE U under the new code, and one open
when a year starts in which its code is no longer valid is listed under the new code by that
year's return, see :data:`RECODE_IN_LATER_RETURNS`); PLACE_PROVIDER is blank
for T0-T4, Z1 and Z11-Z14; URN is "XXXXXXX" unless the placement is an Ofsted-registered
setting.

The truth process is deliberately not the forecaster's model: placement spells have
log-normal lengths, leaving care depends on age and placement at the end of a spell, young
children follow an adoption route, legal status changes split episodes, and unaccompanied
asylum-seeking children (UASC) arrive in regimes with their own ages, placements and leaving
at 18.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecasting.categories import place_code_valid
from forecasting.data import episodes_from_returns

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
class LASpec:
    """One local authority.

    ``annual_entrants``: non-UASC children starting care per year at ``reference_date``;
    ``trend``: log growth of that rate per year (``trend_change_year`` / ``trend_after``: a
    new trend from that calendar year); ``stay_scale``: multiplies placement spell lengths
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


@dataclass(frozen=True)
class SyntheticRegion:
    """Output of :func:`simulate_region`: ``returns[la][year]`` = {"header", "episodes",
    "uasc"} DataFrames (strings, as read from CSV), and ``truth``: every episode of every child
    over the whole simulation (history schema of :mod:`forecasting.data`, with dates)."""

    returns: Mapping[str, Mapping[int, Mapping[str, pd.DataFrame]]]
    truth: pd.DataFrame
    spec: RegionSpec = field(repr=False)


_DAY0 = dt.date(1970, 1, 1)


def _d(x: dt.date) -> int:
    return (x - _DAY0).days


def _date(n: int) -> dt.date:
    return _DAY0 + dt.timedelta(days=int(n))


def _add_years(dob: int, years: int) -> int:
    b = _date(dob)
    try:
        return _d(b.replace(year=b.year + years))
    except ValueError:  # 29 February
        return _d(dt.date(b.year + years, 3, 1))


# Age at entry (years) for non-UASC entrants: DfE national shape (about 20% under 1, 15% 1-4,
# 17% 5-9, 36% 10-15, 12% 16-17).
_AGE_BANDS = ((0, 1, 0.20), (1, 5, 0.15), (5, 10, 0.17), (10, 16, 0.36), (16, 18, 0.12))
# First placement by age band: kinship, inhouse, agency, residential, secure, supported,
# parents, adoption, other_misc.
_FIRST = {
    0: (0.22, 0.45, 0.18, 0.0, 0.0, 0.0, 0.10, 0.0, 0.05),
    1: (0.22, 0.40, 0.22, 0.01, 0.0, 0.0, 0.10, 0.0, 0.05),
    2: (0.18, 0.38, 0.28, 0.06, 0.0, 0.0, 0.05, 0.0, 0.05),
    3: (0.10, 0.28, 0.32, 0.17, 0.02, 0.0, 0.03, 0.0, 0.08),
    4: (0.05, 0.14, 0.20, 0.15, 0.02, 0.34, 0.02, 0.0, 0.08),
}
# Next placement after a move, by band (same order).
_MOVE = {
    0: (0.15, 0.35, 0.15, 0.0, 0.0, 0.0, 0.10, 0.25, 0.0),
    1: (0.15, 0.35, 0.20, 0.02, 0.0, 0.0, 0.08, 0.18, 0.02),
    2: (0.12, 0.35, 0.33, 0.10, 0.0, 0.0, 0.05, 0.03, 0.02),
    3: (0.06, 0.25, 0.33, 0.25, 0.02, 0.02, 0.02, 0.0, 0.05),
    4: (0.03, 0.10, 0.15, 0.14, 0.01, 0.52, 0.0, 0.0, 0.05),
}
# Median spell (days) by truth state.
_SPELL = (420, 330, 330, 260, 90, 300, 240, 200, 120)
# Probability that a spell ends care (rather than a move), by band.
_P_EXIT = (0.30, 0.32, 0.26, 0.22, 0.30)
_EXIT_REASONS = {
    "home": ("E13", "E4A", "E4B", "E41"),
    "sgo": ("E45", "E46"),
    "adopted": ("E11", "E12"),
    "other": ("E8", "E14", "E16", "E15"),
    "at18": ("E5", "E6", "E17", "E8"),
}
_ETHNIC = ("WBRI", "WOTH", "MWBC", "MOTH", "AOTH", "BAFR", "BCRB", "OOTH", "WIRT")
_ETHNIC_P = (0.68, 0.05, 0.05, 0.05, 0.04, 0.04, 0.03, 0.04, 0.02)
_UASC_ETHNIC = ("OOTH", "AOTH", "BAFR", "BOTH")
_MOVE_REASONS = ("CARPL", "CHILD", "LAREQ", "PLACE", "OTHER", "CREQB", "STAND")
_CIN = ("N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8")
_CIN_P = (0.62, 0.03, 0.04, 0.14, 0.06, 0.02, 0.01, 0.08)


def _pick(rng: np.random.Generator, p: Sequence[float]) -> int:
    """Index drawn with probabilities ``p`` (faster than Generator.choice for one draw)."""
    u = rng.random() * float(sum(p))
    acc = 0.0
    for i, x in enumerate(p):
        acc += x
        if u < acc:
            return i
    return len(p) - 1


def _one(rng: np.random.Generator, items: Sequence[str], p: Sequence[float] | None = None) -> str:
    if p is None:
        return items[int(rng.random() * len(items))]
    return items[_pick(rng, p)]


class _Coder:
    """Code calendar lookups: the PLACE code of a new episode, and withdrawal dates."""

    def __init__(self, calendar: Sequence[CodePeriod]) -> None:
        self.periods: dict[str, list[tuple[int, list[str], list[float]]]] = {}
        self.withdrawn: dict[str, int] = {}
        for p in sorted(calendar, key=lambda p: p.start):
            codes = [c for c, _ in p.codes]
            w = [float(x) for _, x in p.codes]
            self.periods.setdefault(p.state, []).append((_d(p.start), codes, w))
            for c in p.withdraw:
                self.withdrawn[c] = _d(p.start)

    def code(self, rng: np.random.Generator, state: int, day: int) -> str:
        cands = self.periods[_STATE_NAMES[state]]
        codes, w = cands[0][1], cands[0][2]
        for start, c, ww in cands:
            if start <= day:
                codes, w = c, ww
        return codes[_pick(rng, w)]


def _band(age_days: int) -> int:
    y = age_days / 365.25
    return 0 if y < 1 else 1 if y < 5 else 2 if y < 10 else 3 if y < 16 else 4


def _provider(rng: np.random.Generator, state: int, code: str) -> str:
    if code in NO_PROVIDER_PLACES:
        return ""
    if state == AGENCY:
        return "PR4" if rng.random() < 0.8 else "PR5"
    if state in (KINSHIP, INHOUSE):
        return "PR1"
    if state == PARENTS:
        return "PR0"
    if state in (RESIDENTIAL, SUPPORTED):
        return _one(rng, ("PR1", "PR4", "PR5"), (0.15, 0.75, 0.10))
    if state == SECURE:
        return "PR1" if rng.random() < 0.7 else "PR3"
    return _one(rng, ("PR1", "PR3", "PR4"), (0.3, 0.3, 0.4))


class _Child:
    __slots__ = ("dob", "eps", "ethnic", "id", "sex", "uasc")

    def __init__(self, cid: str, dob: int, sex: int, ethnic: str, uasc: bool) -> None:
        self.id, self.dob, self.sex, self.ethnic, self.uasc = cid, dob, sex, ethnic, uasc
        self.eps: list[list] = []


def _simulate_child(
    rng: np.random.Generator,
    coder: _Coder,
    child: _Child,
    entry: int,
    state: int,
    ls: str,
    cin: str,
    stay_scale: float,
    stop: int,
    home_post: str,
    sector: list[str],
    short_break: bool = False,
) -> None:
    """Episodes of one period of care from ``entry`` (stopping at day ``stop``)."""
    t = entry
    t18 = _add_years(child.dob, 18)
    rne = "S"
    start_in_care = entry
    while True:
        code = coder.code(rng, state, t)
        prov = _provider(rng, state, code)
        urn = ("SC" + str(int(rng.integers(100000, 999999)))) if code in URN_PLACES else "XXXXXXX"
        pl_post = home_post if state in (KINSHIP, PARENTS) else _one(rng, sector)
        if short_break:
            spell = int(rng.integers(20, 200)) if ls == "V4" else int(rng.integers(2, 8))
            spell = max(1, min(spell, t18 - 1 - t))
        else:
            med = _SPELL[state] * stay_scale
            if child.uasc:
                med *= 1.6
            spell = max(1, int(rng.lognormal(np.log(med), 0.8)))
        end = t + spell
        # Legal status change partway through (interim -> full care order): split the episode.
        ls_change = None
        if ls == "C1" and not short_break:
            tl = t + int(rng.integers(120, 300))
            if tl < end:
                ls_change = tl
        # Withdrawn code: end the episode when the code is withdrawn, continue under a new one.
        wd = coder.withdrawn.get(code)
        recode = wd is not None and t < wd < end and wd < t18 and (ls_change is None or wd < ls_change)
        if recode and wd is not None:
            ep = [t, rne, ls, cin, code, prov, wd, "X1", None, home_post, pl_post, urn]
            child.eps.append(ep)
            t, rne = wd, "U"
            if t >= stop:
                ep[6] = None
                ep[7] = None
                return
            continue
        if ls_change is not None and ls_change < t18:
            child.eps.append([t, rne, ls, cin, code, prov, ls_change, "X1", None, home_post, pl_post, urn])
            t, rne, ls = ls_change, "L", "C2"
            if t >= stop:
                child.eps[-1][6] = None
                child.eps[-1][7] = None
                return
            continue
        if end >= t18 and not short_break:
            # Leaves care at 18 (the 18th birthday).
            reason = _one(rng, _EXIT_REASONS["at18"])
            child.eps.append([t, rne, ls, cin, code, prov, t18, reason, None, home_post, pl_post, urn])
            break
        age_band = _band(end - child.dob)
        if short_break:
            child.eps.append([t, rne, ls, cin, code, prov, end, "E8", None, home_post, pl_post, urn])
            break
        if state == ADOPTION:
            p_exit = 0.85
        elif child.uasc:
            p_exit = 0.04
        else:
            p_exit = _P_EXIT[age_band] * (1.0 if end - start_in_care > 180 else 0.6)
        if rng.random() < p_exit:
            if state == ADOPTION:
                reason = _one(rng, _EXIT_REASONS["adopted"])
            elif age_band <= 1 and rng.random() < 0.3:
                reason = _one(rng, _EXIT_REASONS["sgo"])
            elif rng.random() < 0.85:
                reason = _one(rng, _EXIT_REASONS["home"])
            else:
                reason = _one(rng, _EXIT_REASONS["other"])
            child.eps.append([t, rne, ls, cin, code, prov, end, reason, None, home_post, pl_post, urn])
            break
        probs = list(_MOVE[age_band])
        if child.uasc:
            probs = [0, 0.05, 0.45, 0.05, 0, 0.45 if age_band == 4 else 0.1, 0, 0, 0.0]
        probs[state] *= 0.3
        if state == ADOPTION:
            probs = [0.0] * 9
            probs[INHOUSE] = 1.0
        nxt = _pick(rng, probs)
        reason_change = _one(rng, _MOVE_REASONS)
        child.eps.append([t, rne, ls, cin, code, prov, end, "X1", reason_change, home_post, pl_post, urn])
        new_ls = ls
        if nxt == ADOPTION:
            new_ls = "E1"
        rne = "T" if new_ls != ls else "P"
        t, state, ls = end, nxt, new_ls
        if t >= stop:
            break
    # Anything after ``stop`` is unknown: the simulation ends there.
    last = child.eps[-1]
    if last[6] is not None and last[6] > stop:
        last[6] = None
        last[7] = None
        last[8] = None


def _sectors(rng: np.random.Generator, area: str, n: int = 30) -> list[str]:
    return [f"{area}{int(rng.integers(1, 40))} {int(rng.integers(0, 10))}" for _ in range(n)]


def _entry_rate(la: LASpec, spec: RegionSpec, month_mid: int) -> float:
    ref = _d(spec.reference_date)
    years = (month_mid - ref) / 365.25
    if la.trend_change_year is not None:
        change = _d(dt.date(la.trend_change_year, 1, 1))
        at_change = (change - ref) / 365.25
        if month_mid > change:
            log_level = la.trend * at_change + la.trend_after * (years - at_change)
        else:
            log_level = la.trend * years
    else:
        log_level = la.trend * years
    month = _date(month_mid).month
    season = 1.0 + spec.seasonal_amplitude * np.cos(2 * np.pi * (month - spec.seasonal_peak_month) / 12.0)
    return la.annual_entrants / 12.0 * float(np.exp(log_level)) * season


def simulate_region(spec: RegionSpec) -> SyntheticRegion:
    """Simulate every LA's children and cut the SSDA903 returns (see the module docstring)."""
    coder = _Coder(spec.code_calendar)
    stop = _d(dt.date(spec.last_year + 1, 3, 31))
    begin = _d(dt.date(spec.first_year - spec.warmup_years, 4, 1))
    returns: dict[str, dict[int, dict[str, pd.DataFrame]]] = {}
    truth_frames = []
    for li, la in enumerate(spec.las):
        lrng = np.random.default_rng([spec.seed, li])
        sector = _sectors(lrng, la.postcode_area)
        children: list[_Child] = []
        n = 0

        def new_child(
            dob: int,
            uasc: bool,
            lrng: np.random.Generator = lrng,
            li: int = li,
            children: list[_Child] = children,
        ) -> _Child:
            nonlocal n
            n += 1
            if uasc:
                sex = 1 if lrng.random() < 0.92 else 2
                ethnic = _one(lrng, _UASC_ETHNIC)
            else:
                sex = 1 if lrng.random() < 0.56 else 2
                ethnic = _one(lrng, _ETHNIC, _ETHNIC_P)
            c = _Child(f"{li + 1}{n:06d}", dob, sex, ethnic, uasc)
            children.append(c)
            return c

        # Non-UASC entrants, month by month.
        m0 = _date(begin)
        month = dt.date(m0.year, m0.month, 1)
        while _d(month) <= stop:
            nxt_month = dt.date(month.year + (month.month == 12), month.month % 12 + 1, 1)
            lo, hi = _d(month), min(_d(nxt_month), stop + 1)
            k = int(lrng.poisson(_entry_rate(la, spec, (lo + hi) // 2) * (hi - lo) / 30.44))
            for _ in range(k):
                entry = int(lrng.integers(lo, hi))
                lo_b, hi_b, _p = _AGE_BANDS[_pick(lrng, [b[2] for b in _AGE_BANDS])]
                age = int(lrng.uniform(lo_b, min(hi_b, 17.9)) * 365.25)
                c = new_child(entry - age, False)
                b = _band(age)
                state = _pick(lrng, _FIRST[b])
                ls = _one(lrng, ("C1", "C2", "V2", "J2"), (0.5, 0.08, 0.38, 0.04))
                cin = _one(lrng, _CIN, _CIN_P)
                _simulate_child(lrng, coder, c, entry, state, ls, cin, la.stay_scale, stop, sector[0], sector)
            # UASC arrivals.
            for reg in la.uasc:
                a, z = max(lo, _d(reg.start)), min(hi, _d(reg.end) + 1)
                if z <= a:
                    continue
                k = int(lrng.poisson(reg.monthly_rate * (z - a) / 30.44))
                for _ in range(k):
                    entry = int(lrng.integers(a, z))
                    age = int((14 + _pick(lrng, (0.08, 0.22, 0.4, 0.3))) * 365.25)
                    age += int(lrng.integers(0, 365))
                    c = new_child(entry - age, True)
                    state = SUPPORTED if age >= 16 * 365.25 and lrng.random() < 0.55 else AGENCY
                    _simulate_child(
                        lrng, coder, c, entry, state, "V2", "N8", la.stay_scale, stop, sector[0], sector
                    )
            month = nxt_month
        # Short breaks: children with agreements (V4) or recorded breaks (V3), some of whom later
        # come into full care.
        for _ in range(la.short_break_children):
            first = int(lrng.integers(begin, stop))
            age = int(lrng.uniform(5, 15) * 365.25)
            c = new_child(first - age, False)
            t = first
            ls = "V4" if lrng.random() < 0.7 else "V3"
            while t < stop and t < _add_years(c.dob, 18) - 30:
                _simulate_child(
                    lrng,
                    coder,
                    c,
                    t,
                    INHOUSE if lrng.random() < 0.5 else RESIDENTIAL,
                    ls,
                    "N2",
                    1.0,
                    stop,
                    sector[0],
                    sector,
                    short_break=True,
                )
                if c.eps[-1][6] is None:
                    break
                t = int(c.eps[-1][6]) + int(lrng.integers(20, 120))
                if lrng.random() < 0.03 and t < min(stop, _add_years(c.dob, 18) - 60):  # into full care
                    _simulate_child(
                        lrng, coder, c, t, RESIDENTIAL, "C2", "N2", la.stay_scale, stop, sector[0], sector
                    )
                    break
        returns[la.la], truth = _cut_returns(children, la.la, spec)
        truth_frames.append(truth)
    truth_all = pd.concat(truth_frames, ignore_index=True)
    return SyntheticRegion(returns=returns, truth=truth_all, spec=spec)


_EP_COLS = (
    "DECOM",
    "RNE",
    "LS",
    "CIN",
    "PLACE",
    "PLACE_PROVIDER",
    "DEC",
    "REC",
    "REASON_PLACE_CHANGE",
    "HOME_POST",
    "PL_POST",
    "URN",
)
EPISODE_COLUMNS: tuple[str, ...] = ("CHILD", *_EP_COLS)
HEADER_COLUMNS: tuple[str, ...] = ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB")
UASC_COLUMNS: tuple[str, ...] = ("CHILD", "SEX", "DOB", "DUC")


def _fmt(days: np.ndarray) -> np.ndarray:
    d = (np.datetime64("1970-01-01") + days.astype("timedelta64[D]")).astype("datetime64[D]")
    s = pd.to_datetime(d).strftime("%d/%m/%Y")
    return np.asarray(s, dtype=object)


def _cut_returns(
    children: list[_Child], la: str, spec: RegionSpec
) -> tuple[dict[int, dict[str, pd.DataFrame]], pd.DataFrame]:
    rows = []
    for c in children:
        for e in c.eps:
            rows.append((c.id, c.dob, c.sex, c.ethnic, c.uasc, *e))
    cols = ["CHILD", "dob", "sex", "ETHNIC", "uasc", *_EP_COLS]
    df = pd.DataFrame(rows, columns=cols)
    big = np.iinfo(np.int64).max // 4
    dec = df["DEC"].to_numpy(dtype=float)
    dec_i = np.full(len(dec), big, dtype=np.int64)
    dec_i[~np.isnan(dec)] = dec[~np.isnan(dec)].astype(np.int64)
    decom = df["DECOM"].to_numpy(dtype=np.int64)
    dob = df["dob"].to_numpy(dtype=np.int64)
    out: dict[int, dict[str, pd.DataFrame]] = {}
    for y in range(spec.first_year, spec.last_year + 1):
        ys, ye = _d(dt.date(y, 4, 1)), _d(dt.date(y + 1, 3, 31))
        sel = (decom <= ye) & (dec_i >= ys)
        sub = df[sel]
        ep = pd.DataFrame({"CHILD": sub["CHILD"].to_numpy()})
        ep["DECOM"] = _fmt(decom[sel])
        open_ = dec_i[sel] > ye
        dec_s = _fmt(np.where(open_, 0, dec_i[sel]))
        dec_s[open_] = ""
        for col in ("RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER"):
            ep[col] = sub[col].to_numpy()
        stale = ~ep["PLACE"].map(lambda c, y=y: place_code_valid(c, y)).to_numpy(dtype=bool)
        if stale.any():
            ep.loc[stale, "PLACE"] = ep.loc[stale, "PLACE"].map(RECODE_IN_LATER_RETURNS)
        ep["DEC"] = dec_s
        rec = sub["REC"].to_numpy(dtype=object).copy()
        rec[open_] = ""
        rpc = sub["REASON_PLACE_CHANGE"].to_numpy(dtype=object).copy()
        rpc[open_] = ""
        ep["REC"] = rec
        ep["REASON_PLACE_CHANGE"] = rpc
        for col in ("HOME_POST", "PL_POST", "URN"):
            ep[col] = sub[col].to_numpy()
        ep = ep.fillna("").astype(str)
        kids = sub.drop_duplicates("CHILD")
        sex = kids["sex"].to_numpy()
        sex_s = np.where(sex == 1, "M", "F") if y >= 2024 else sex.astype(str)
        kid_dob = kids["dob"].to_numpy(dtype=np.int64)
        # No real pupil numbers: DfE's "UPN unknown" codes (UN1 under school age, UN4 newly
        # arrived from overseas, UN2 otherwise). MOTHER and MC_DOB are left blank.
        upn = np.where(
            (ye - kid_dob) < 6 * 365.25, "UN1", np.where(kids["uasc"].to_numpy(dtype=bool), "UN4", "UN2")
        )
        header = pd.DataFrame(
            {
                "CHILD": kids["CHILD"].to_numpy(),
                "SEX": sex_s,
                "DOB": _fmt(kid_dob),
                "ETHNIC": kids["ETHNIC"].to_numpy(),
                "UPN": upn,
                "MOTHER": "",
                "MC_DOB": "",
            }
        )
        u = kids[kids["uasc"].to_numpy(dtype=bool)]
        duc = np.array([_add_years(int(b), 18) for b in u["dob"]], dtype=np.int64)
        uasc = pd.DataFrame(
            {
                "CHILD": u["CHILD"].to_numpy(),
                "SEX": sex_s[kids["uasc"].to_numpy(dtype=bool)],
                "DOB": _fmt(u["dob"].to_numpy(dtype=np.int64)),
                "DUC": _fmt(duc),
            }
        )
        out[y] = {"header": header, "episodes": ep[list(EPISODE_COLUMNS)], "uasc": uasc}
    # Truth (history schema): every episode, real end dates.
    epoch = np.datetime64("1970-01-01")
    truth = pd.DataFrame(
        {
            "la": la,
            "CHILD": df["CHILD"].to_numpy(),
            "DOB": pd.to_datetime(epoch + dob.astype("timedelta64[D]")),
            "SEX": df["sex"].to_numpy(),
            "DECOM": pd.to_datetime(epoch + decom.astype("timedelta64[D]")),
            "DEC": pd.to_datetime(
                np.where(
                    dec_i == big,
                    np.datetime64("NaT"),
                    epoch + np.minimum(dec_i, 10**6).astype("timedelta64[D]"),
                )
            ),
            "LS": df["LS"].to_numpy(),
            "PLACE": df["PLACE"].to_numpy(),
            "PLACE_PROVIDER": df["PLACE_PROVIDER"].replace("", None).to_numpy(),
            "REC": df["REC"].to_numpy(),
            "REASON_PLACE_CHANGE": df["REASON_PLACE_CHANGE"].to_numpy(),
            "RNE": df["RNE"].to_numpy(),
            "UASC": df["uasc"].to_numpy(dtype=bool),
        }
    )
    return out, truth


def history_from_returns(
    region: SyntheticRegion, years: Sequence[int] | None = None, las: Sequence[str] | None = None
) -> pd.DataFrame:
    """The forecast's ``history`` from the region's returns for ``years`` (default all), one LA
    at a time through :func:`forecasting.data.episodes_from_returns`, concatenated."""
    frames = []
    for la, by_year in region.returns.items():
        if las is not None and la not in las:
            continue
        ys = sorted(y for y in by_year if years is None or y in years)
        if not ys:
            continue
        frames.append(
            episodes_from_returns(
                [by_year[y]["header"] for y in ys],
                [by_year[y]["episodes"] for y in ys],
                [by_year[y]["uasc"] for y in ys],
                la=la,
            )
        )
    return pd.concat(frames, ignore_index=True)
