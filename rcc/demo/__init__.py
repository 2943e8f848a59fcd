"""Demo and benchmark data generated deterministically from the open data in the shared data directory.

Used by the CLI (``rcc demo``), the tests and bench/; the web service never imports it.
"""

from rcc.demo.generate import generate_region, generate_regions
from rcc.demo.seeds import (
    ChildSeed,
    DemoRegion,
    HomeSeed,
    LASeed,
    PlacementSeed,
    ProviderSeed,
    ReferralSeed,
    VacancySeed,
)
from rcc.demo.sources import region_names

__all__ = [
    "ChildSeed",
    "DemoRegion",
    "HomeSeed",
    "LASeed",
    "PlacementSeed",
    "ProviderSeed",
    "ReferralSeed",
    "VacancySeed",
    "generate_region",
    "generate_regions",
    "region_names",
]
