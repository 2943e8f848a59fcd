"""Episodes as arrays (day numbers, state codes, birthdays), prepared once per fit.

Internal to :mod:`forecasting.model`: the main fit and its internal backtests (lookback choice,
interval calibration) all cut the same arrays at different origins instead of re-reading the
DataFrame.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecasting.categories import (
    AGE_BAND_START,
    AGE_LIMIT,
    FINE_CATEGORIES,
    SHORT_BREAK_LEGAL_STATUSES,
    place_categories,
)

K = len(FINE_CATEGORIES)  # counted states 0..K-1
SB = K  # short-break state (not counted)
NS = K + 1  # transient states
EXIT = NS  # absorbing
EPOCH = np.datetime64("1970-01-01", "D")
BIG = np.iinfo(np.int64).max // 4


def days(values: object) -> np.ndarray:
    """Datetimes as int64 day numbers (NaT -> a large sentinel)."""
    a = pd.to_datetime(pd.Series(values)).to_numpy(dtype="datetime64[D]")
    out = (a - EPOCH).astype(np.int64)
    out[np.isnat(a)] = BIG
    return out


def day(ts: object) -> int:
    return int((pd.Timestamp(ts).normalize() - pd.Timestamp("1970-01-01")).days)


def birthday_days(dob: pd.Series | pd.DatetimeIndex | np.ndarray) -> np.ndarray:
    """Day numbers of the 1st, 5th, 10th, 16th and 18th birthdays (29 Feb -> 1 Mar), shape (n, 5)."""
    d = pd.to_datetime(pd.Series(np.asarray(dob))).to_numpy(dtype="datetime64[D]")
    y = d.astype("datetime64[Y]").astype(np.int64) + 1970
    m = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dd = (d - d.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    cols = []
    for age in (*AGE_BAND_START[1:], AGE_LIMIT):
        yy = y + age
        leap = (yy % 4 == 0) & ((yy % 100 != 0) | (yy % 400 == 0))
        feb29 = (m == 2) & (dd == 29) & ~leap
        mm = np.where(feb29, 3, m)
        d2 = np.where(feb29, 1, dd)
        month_start = ((yy - 1970) * 12 + (mm - 1)).astype("datetime64[M]").astype("datetime64[D]")
        cols.append((month_start - EPOCH).astype(np.int64) + d2 - 1)
    return np.stack(cols, axis=1)


def expm_batch(a: np.ndarray) -> np.ndarray:
    """exp of a stack of generator matrices (scaling and squaring with a degree-7 Taylor
    polynomial, evaluated by Horner's rule)."""
    if a.size == 0:
        return a.copy()
    norm = np.abs(a).sum(axis=-1).max()
    s = max(0, int(np.ceil(np.log2(max(float(norm), 1e-12) / 0.25))))
    x = a / (2.0**s)
    diag = np.arange(a.shape[-1])
    out = x / 7.0
    out[..., diag, diag] += 1.0
    for k in range(6, 0, -1):  # I + x (I + x/2 (... (I + x/7)))
        out = x @ out
        out /= k
        out[..., diag, diag] += 1.0
    for _ in range(s):
        out = out @ out
    np.clip(out, 0.0, None, out=out)
    out /= out.sum(axis=-1, keepdims=True)
    return out


@dataclass(frozen=True)
class Prepared:
    """One row per episode (sorted by LA, child, start), all knowable at the fit's origin."""

    la: np.ndarray  # int LA index
    state: np.ndarray  # int64 fine category index, SB for short breaks
    start: np.ndarray  # day numbers
    end: np.ndarray  # day numbers, BIG while open
    thr: np.ndarray  # (n, 5) birthdays 1, 5, 10, 16, 18
    dob: np.ndarray
    uasc: np.ndarray  # bool
    cont: np.ndarray  # bool: the child's next episode starts the day this one ends
    next_state: np.ndarray
    new: np.ndarray  # bool: starts a period of care (no contiguous predecessor)
    child: np.ndarray  # CHILD ids
    seen: np.ndarray | None  # first_seen day numbers (BIG if unknown), or None
    _counts: dict[tuple[int, int], np.ndarray] = field(default_factory=dict, compare=False, repr=False)

    @staticmethod
    def from_history(hist: pd.DataFrame, las: list[str]) -> Prepared:
        la_index = {la: i for i, la in enumerate(las)}
        ep = hist[hist["DOB"].notna()].sort_values(["la", "CHILD", "DECOM"], kind="stable")
        ep = ep.reset_index(drop=True)
        la_i = ep["la"].astype(str).map(la_index).to_numpy().astype(np.int64)
        fine = place_categories(ep["PLACE"], ep["PLACE_PROVIDER"])
        cat_idx = {c: i for i, c in enumerate(FINE_CATEGORIES)}
        state = fine.map(cat_idx).to_numpy().astype(np.int64)
        ls = ep["LS"].astype("category")  # a handful of distinct codes: upper-case those only
        short = [c for c in ls.cat.categories if str(c).strip().upper() in SHORT_BREAK_LEGAL_STATUSES]
        state[ls.isin(short).to_numpy()] = SB
        start = days(ep["DECOM"])
        end = days(ep["DEC"])
        same_next = np.zeros(len(ep), dtype=bool)
        if len(ep) > 1:
            child = ep["CHILD"].astype(str).to_numpy()
            same_next[:-1] = (la_i[1:] == la_i[:-1]) & (child[1:] == child[:-1])
        next_start = np.roll(start, -1)
        same_prev = np.roll(same_next, 1)
        if len(ep):
            same_prev[0] = False
        prev_end = np.roll(end, 1)
        seen = None
        if "first_seen" in ep and ep["first_seen"].notna().any():
            seen = days(ep["first_seen"])
        return Prepared(
            la=la_i,
            state=state,
            start=start,
            end=end,
            thr=birthday_days(ep["DOB"]),
            dob=days(ep["DOB"]),
            uasc=ep["UASC"].fillna(False).astype(bool).to_numpy(),
            cont=same_next & (next_start == end),
            next_state=np.roll(state, -1),
            new=~(same_prev & (prev_end >= start)),
            child=ep["CHILD"].astype(str).to_numpy(),
            seen=seen,
        )

    def counts_on(self, d: int, n_las: int) -> np.ndarray:
        """Children in care on day ``d`` (as this data knows it), shape (L, 2 [uasc], B, K);
        computed once per day (the internal backtests ask for the same days many times), read-only."""
        if (d, n_las) in self._counts:
            return self._counts[(d, n_las)]
        on = (self.start <= d) & (self.end > d) & (self.state < K) & (self.thr[:, 4] > d) & (self.dob <= d)
        band = (self.thr[on, :4] <= d).sum(axis=1)
        key = ((self.la[on] * 2 + self.uasc[on]) * 5 + band) * K + self.state[on]
        out = np.bincount(key, minlength=n_las * 2 * 5 * K).reshape(n_las, 2, 5, K).astype(float)
        out.flags.writeable = False
        self._counts[(d, n_las)] = out
        return out
