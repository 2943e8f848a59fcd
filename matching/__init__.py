"""Placement matching for a Regional Care Cooperative: a pure library.

Frozen dataclasses in, results with explanations out; no I/O, no environment, no
printing. Public API:

* :func:`shortlist` - ranked top N homes for one referral, with exclusion summary;
* :func:`solve` - region-wide joint assignment of all open referrals;
* :func:`validate` - check and score any assignment with the same rules and objective;
* :func:`greedy_nearest` - today's first-come-first-served nearest-home baseline;
* :func:`check_referral` / :func:`check_home` / :func:`split_valid` - unusable records,
  reported per field instead of aborting a run.
"""

from matching.distance import METRES_PER_MILE, STRAIGHT_LINE, DistanceSource, StraightLine
from matching.domain import (
    Assignment,
    ChildProfile,
    Contribution,
    Exclusion,
    Home,
    HomeNotUsed,
    MatchResult,
    Placement,
    Policy,
    Referral,
    ReferralMatch,
    Shortlist,
    ShortlistEntry,
    Status,
    Unmatched,
    UnusedHome,
    ValidationReport,
    Violation,
)
from matching.greedy import greedy_nearest
from matching.inputs import InvalidInput, check_home, check_referral, split_valid
from matching.rules.hard import HARD_RULES
from matching.rules.soft import PAIR_TERMS
from matching.shortlist import prepare, shortlist
from matching.solver import solve
from matching.validator import validate

__all__ = [
    "Assignment",
    "ChildProfile",
    "Contribution",
    "DistanceSource",
    "Exclusion",
    "HARD_RULES",
    "Home",
    "HomeNotUsed",
    "InvalidInput",
    "METRES_PER_MILE",
    "MatchResult",
    "PAIR_TERMS",
    "Placement",
    "Policy",
    "Referral",
    "ReferralMatch",
    "STRAIGHT_LINE",
    "Shortlist",
    "ShortlistEntry",
    "Status",
    "StraightLine",
    "Unmatched",
    "UnusedHome",
    "ValidationReport",
    "Violation",
    "check_home",
    "check_referral",
    "greedy_nearest",
    "prepare",
    "shortlist",
    "solve",
    "split_valid",
    "validate",
]
