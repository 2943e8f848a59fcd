"""Seeded random draws and small date and text helpers shared by the generator's modules.

Every random draw comes from :func:`seeded_rng`, a NumPy generator seeded with ``(seed, *parts)`` (for
example region or LA, and purpose), so the same parameters always give identical output and one LA's
draws do not change when another LA's data does.
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Mapping
from datetime import date
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from rcc.demo.params import AGE_BANDS

K = TypeVar("K")


def seeded_rng(seed: int, *parts: object) -> np.random.Generator:
    """A generator seeded with the seed and the CRC32 of each part (stable across processes)."""
    words = [int(seed) & 0xFFFFFFFF] + [zlib.crc32(str(p).encode()) for p in parts]
    return np.random.Generator(np.random.PCG64(words))


_CUMULATIVE: dict[int, tuple[list[Any], list[float], Mapping[Any, float]]] = {}


def choice(rng: np.random.Generator, shares: Mapping[K, float]) -> K:
    """One key of ``shares`` drawn with probability proportional to its value (one uniform draw)."""
    cached = _CUMULATIVE.get(id(shares))
    if cached is None or cached[2] is not shares:
        keys = list(shares)
        total = float(sum(shares.values()))
        acc, cum = 0.0, []
        for k in keys:
            acc += shares[k] / total
            cum.append(acc)
        cached = (keys, cum, shares)
        if len(_CUMULATIVE) < 4096:
            _CUMULATIVE[id(shares)] = cached
    keys, cum, _ = cached
    u = rng.random()
    for k, c in zip(keys, cum, strict=True):
        if u < c:
            return k
    return keys[-1]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def months_before(day: date, months: int) -> date:
    """The first of the month ``months`` months before ``day``'s month."""
    total = day.year * 12 + (day.month - 1) - months
    return date(total // 12, total % 12 + 1, 1)


def band_of(age: int) -> int:
    """Index of the age band (params.AGE_BANDS) holding ``age``; the oldest band beyond it."""
    for i, (lo, hi) in enumerate(AGE_BANDS):
        if lo <= age <= hi:
            return i
    return len(AGE_BANDS) - 1


def parse_date(value: object) -> date | None:
    """A date from an ISO date or timestamp cell; None for a missing cell."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return None
    return date.fromisoformat(str(value)[:10])
