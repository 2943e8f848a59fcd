"""What other domains may use from the children domain (import-linter keeps them to this module)."""

from __future__ import annotations

from rcc.children.placements import create_placement
from rcc.children.service import age_on, create_child, update_child

__all__ = ["age_on", "create_child", "create_placement", "update_child"]
