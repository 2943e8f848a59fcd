"""What other domains may use from the register (import-linter keeps them to this module)."""

from __future__ import annotations

from rcc.register.homes import HomeView, home_view
from rcc.register.service import occupied_subquery, rcc_la_ids, seed_local_authorities

__all__ = ["HomeView", "home_view", "occupied_subquery", "rcc_la_ids", "seed_local_authorities"]
