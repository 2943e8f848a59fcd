"""What other domains may use from the matching service (import-linter keeps them to this module).

Commissioning's stress test re-runs the matching library on the register's supply, so it needs the
same adapters from database rows to library inputs, and the RCC's policy.
"""

from __future__ import annotations

from rcc.matching.adapters import HomeInfo, Supply, child_profile, la_codes, load_supply, to_home
from rcc.matching.policy import policy_for_rcc

__all__ = ["HomeInfo", "Supply", "child_profile", "la_codes", "load_supply", "policy_for_rcc", "to_home"]
