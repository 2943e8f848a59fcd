"""Hard rules (eligibility) and soft terms (the objective) as small named units."""

from matching.rules.hard import HARD_RULES, HardRule, all_failures, first_failure
from matching.rules.soft import PAIR_TERMS, SoftTerm

__all__ = ["HARD_RULES", "HardRule", "PAIR_TERMS", "SoftTerm", "all_failures", "first_failure"]
