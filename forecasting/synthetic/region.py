"""The region's entrants month by month (trend, seasonality, UASC regimes, short breaks)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from forecasting.synthetic.children import (
    _AGE_BANDS,
    _CIN,
    _CIN_P,
    _ETHNIC,
    _ETHNIC_P,
    _FIRST,
    _UASC_ETHNIC,
    _add_years,
    _band,
    _Child,
    _Coder,
    _d,
    _date,
    _one,
    _pick,
    _simulate_child,
)
from forecasting.synthetic.returns import _cut_returns
from forecasting.synthetic.spec import (
    AGENCY,
    INHOUSE,
    RESIDENTIAL,
    SUPPORTED,
    LASpec,
    RegionSpec,
    SyntheticRegion,
)


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
    for shock in la.shocks:
        if _d(shock.start) <= month_mid <= _d(shock.end):
            log_level += float(np.log(shock.factor))
    month = _date(month_mid).month
    season = 1.0 + spec.seasonal_amplitude * np.cos(2 * np.pi * (month - spec.seasonal_peak_month) / 12.0)
    return la.annual_entrants / 12.0 * float(np.exp(log_level)) * season


def simulate_region(spec: RegionSpec) -> SyntheticRegion:
    """Simulate every LA's children and cut the SSDA903 returns (see the module docstring)."""
    coder = _Coder(spec.code_calendar)
    stop = _d(dt.date(spec.last_year + 1, 3, 31))
    if spec.end is not None:
        if not stop <= _d(spec.end) < _d(dt.date(spec.last_year + 2, 3, 31)):
            raise ValueError("end must fall in the collection year after last_year")
        stop = _d(spec.end)
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
