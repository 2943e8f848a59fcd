"""WGS84 latitude/longitude <-> OSGB36 British National Grid (see the package docstring): the OS
7-parameter Helmert transformation and the transverse Mercator projection. No pyproj."""

from __future__ import annotations

import math

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
