"""Placement matching for a Regional Care Cooperative: a pure library.

Frozen dataclasses in, results with explanations out; no I/O, no environment, no
printing. Public API:

* :func:`shortlist` - ranked top N homes for one referral, with exclusion summary;
* :func:`solve` - region-wide joint assignment of all open referrals;
* :func:`validate` - check and score any assignment with the same rules and objective;
* :func:`greedy_nearest` - today's first-come-first-served nearest-home baseline.
"""

from matching.distance import METRES_PER_MILE, STRAIGHT_LINE, DistanceSource, StraightLine
from matching.domain import (
    Assignment,
    ChildProfile,
    Contribution,
    Home,
    MatchResult,
    Placement,
    Policy,
    Referral,
    ReferralMatch,
    Shortlist,
    ShortlistEntry,
    Status,
    Unmatched,
    ValidationReport,
    Violation,
)
from matching.greedy import greedy_nearest
from matching.rules.hard import HARD_RULES
from matching.rules.soft import PAIR_TERMS
from matching.shortlist import prepare, shortlist
from matching.solver import solve
from matching.validator import validate

__all__ = [
    "Assignment", "ChildProfile", "Contribution", "DistanceSource", "HARD_RULES", "Home", "METRES_PER_MILE",
    "MatchResult", "PAIR_TERMS", "Placement", "Policy", "Referral", "ReferralMatch", "STRAIGHT_LINE",
    "Shortlist", "ShortlistEntry", "Status", "StraightLine", "Unmatched", "ValidationReport", "Violation",
    "greedy_nearest", "prepare", "shortlist", "solve", "validate",
]
