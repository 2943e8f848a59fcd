"""Demo and benchmark data generated deterministically from the open data in the shared data directory."""

from rcc.demo.generate import (
    ChildSeed,
    DemoRegion,
    HomeSeed,
    LASeed,
    PlacementSeed,
    ProviderSeed,
    ReferralSeed,
    VacancySeed,
    generate_region,
    generate_regions,
    region_names,
)

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
