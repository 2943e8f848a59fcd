"""One child's periods of care: placement spells, moves, leaving care, legal status and code changes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np

from forecasting.synthetic.spec import (
    _STATE_NAMES,
    ADOPTION,
    AGENCY,
    INHOUSE,
    KINSHIP,
    NO_PROVIDER_PLACES,
    PARENTS,
    RESIDENTIAL,
    SECURE,
    SUPPORTED,
    URN_PLACES,
    CodePeriod,
)

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
    # Anything after ``stop`` is unknown: the simulation ends there (a move on ``stop`` itself, whose
    # next placement is not simulated, leaves the episode open, so a return never ends one with X1 alone).
    last = child.eps[-1]
    if last[6] is not None and (last[6] > stop or (last[6] == stop and last[7] == "X1")):
        last[6] = None
        last[7] = None
        last[8] = None
