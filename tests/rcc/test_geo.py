"""Offline geocoding: projection accuracy, postcode/sector/district resolution, normalisation, errors."""

from __future__ import annotations

import csv
import math
import os
import time
from pathlib import Path

import pytest

from rcc import geo

DATA_DIR = Path(os.environ.get("RCC_DATA_DIR", "/work/shared/data"))


def _dist(a: tuple[float, float], b: tuple[float, float]) -> float:
    return math.hypot(a[0] - b[0], a[1] - b[1])


def test_projection_matches_os_worked_example_to_the_millimetre():
    # OS "A guide to coordinate systems in Great Britain", annex C.1 (Caister Water Tower):
    # OSGB36 52°39'27.2531"N 1°43'04.5177"E -> E 651409.903 N 313177.270.
    e, n = geo.osgb36_latlon_to_bng(52 + 39 / 60 + 27.2531 / 3600, 1 + 43 / 60 + 4.5177 / 3600)
    assert _dist((e, n), (651409.903, 313177.270)) < 0.01


def test_to_bng_on_published_control_point_within_5_m():
    # OS "Transformations and OSGM15 user guide", annex A: Caister Water Tower, ETRS89 (= WGS84 to well
    # under a metre) 52.658007833 N, 1.716073973 E; the definitive OSTN15 answer is E 651409.804
    # N 313177.450. The Helmert shift is quoted by OS as good to a few metres.
    assert _dist(geo.to_bng(52.658007833, 1.716073973), (651409.804, 313177.450)) < 5.0


def test_from_bng_inverts_to_bng():
    for lat, lon in [(51.4778, -0.0015), (54.97, -1.61), (50.1, -5.5), (55.8, -2.0)]:
        e, n = geo.to_bng(lat, lon)
        lat2, lon2 = geo.from_bng(e, n)
        assert abs(lat2 - lat) < 1e-7 and abs(lon2 - lon) < 1e-7


def test_real_postcode_coordinates_and_la():
    # SW1A 1AA (Buckingham Palace). ONS grid reference E 529090 N 179645; its published WGS84
    # position 51.501009 N, -0.141588 E must land on the same spot through to_bng.
    p = geo.geocode("SW1A 1AA")
    assert p.kind == "postcode"
    assert _dist((p.easting, p.northing), (529090, 179645)) < 100
    assert _dist((p.easting, p.northing), geo.to_bng(51.501009, -0.141588)) < 100
    # Cross-check the ONS LA code against the LA register in the shared data: Westminster.
    with open(DATA_DIR / "england_childrens_services_las.csv", newline="") as f:
        las = {row["gss_code"]: row for row in csv.DictReader(f)}
    assert p.la_gss_code == "E09000033"
    assert las[p.la_gss_code]["name"] == "Westminster"
    centroid = geo.to_bng(float(las[p.la_gss_code]["lat"]), float(las[p.la_gss_code]["lon"]))
    assert _dist((p.easting, p.northing), centroid) < 5_000


def test_sector_and_district_resolve_to_means_near_their_postcodes():
    unit = geo.geocode("NE1 4ST")
    sector = geo.geocode("NE1 4")
    district = geo.geocode("NE1")
    assert (sector.kind, district.kind) == ("sector", "district")
    assert unit.la_gss_code == sector.la_gss_code == district.la_gss_code == "E08000021"  # Newcastle
    assert _dist((unit.easting, unit.northing), (sector.easting, sector.northing)) < 2_000
    assert _dist((unit.easting, unit.northing), (district.easting, district.northing)) < 3_000
    assert (sector.easting, sector.northing) != (district.easting, district.northing)


@pytest.mark.parametrize(
    ("text", "kind", "canonical"),
    [
        ("ne14st", "postcode", "NE1 4ST"),
        ("  NE1   4ST ", "postcode", "NE1 4ST"),
        ("ne1 4", "sector", "NE1 4"),
        ("NE1  4", "sector", "NE1 4"),
        ("ne1", "district", "NE1"),
        ("NE11", "district", "NE11"),  # without a space a 4-character outward code is a district
        ("ne11  9", "sector", "NE11 9"),
        ("sw1a1aa", "postcode", "SW1A 1AA"),
        ("n1 0aa", "postcode", "N1 0AA"),
    ],
)
def test_normalisation(text, kind, canonical):
    assert geo.normalise_postcode(text) == (kind, canonical)
    assert geo.geocode(text) == geo.geocode(canonical)


def test_postcode_sector_helper():
    assert geo.postcode_sector("ne1 4st") == "NE1 4"
    assert geo.postcode_sector("SW1A1AA") == "SW1A 1"
    assert geo.postcode_sector("NE1 4") == "NE1 4"
    with pytest.raises(geo.UnknownPostcode):
        geo.postcode_sector("NE1")


@pytest.mark.parametrize(
    "text", ["", "not a postcode", "12345", "NE1 4SS9", "ZZ99 9ZZ", "QQ1 1AA", "BT1 1AA", None]
)
def test_unknown_or_invalid_raises(text):
    with pytest.raises(geo.UnknownPostcode) as err:
        geo.geocode(text)
    assert isinstance(err.value, ValueError)
    assert err.value.value == text


def test_sector_lookup_is_fast_after_warm_up():
    geo.geocode("NE1 4")
    n = 2_000
    start = time.perf_counter()
    for _ in range(n):
        geo.geocode("NE1 4")
    assert (time.perf_counter() - start) / n < 1e-3
