"""Domain objects of the matching library: frozen, hashable dataclasses in, results out.

Nothing here does I/O. Coordinates are British National Grid (OSGB36 easting and
northing, metres). Money is whole pounds per week. Penalties are integer
"penalty points": lower is better, 0 is a perfect match on that factor.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any

from api_schemas.vocab import (
    HomeType,
    LivingCompanions,
    Need,
    OfstedJudgement,
    PlacementCategory,
    RegistrationStatus,
    RiskFlag,
    Sex,
    Suitability,
    Urgency,
)

AvoidArea = tuple[float, float, float]
"""(easting, northing, radius_miles): an area the child must not be placed in."""


@dataclass(frozen=True, slots=True)
class ChildProfile:
    """One child as the matching rules see them (no names, no identifiers beyond ``id``).

    ``suitability`` is the care plan's NPS rating per placement category, stored as a
    tuple of pairs so the profile stays hashable; build it with :meth:`make` from a dict.
    A category that is absent counts as ``NOT_SPECIFIED``.
    """

    id: str
    age_years: int
    sex: Sex
    home_easting: float
    home_northing: float
    home_la: str  # GSS code of the child's home local authority
    needs: frozenset[Need] = frozenset()
    suitability: tuple[tuple[PlacementCategory, Suitability], ...] = ()
    risks: frozenset[RiskFlag] = frozenset()
    living_companions: LivingCompanions = LivingCompanions.NO_PREFERENCE
    school_easting: float | None = None
    school_northing: float | None = None
    must_keep_school: bool = False
    places_to_avoid: tuple[AvoidArea, ...] = ()

    @staticmethod
    def make(suitability: Mapping[PlacementCategory, Suitability] | None = None, **kw: Any) -> ChildProfile:
        """Convenience constructor accepting ``suitability`` as a mapping and sets as any iterable."""
        for key in ("needs", "risks"):
            if key in kw:
                kw[key] = frozenset(kw[key])
        if "places_to_avoid" in kw:
            kw["places_to_avoid"] = tuple(tuple(a) for a in kw["places_to_avoid"])
        pairs = tuple(sorted((suitability or {}).items()))
        return ChildProfile(suitability=pairs, **kw)

    def suitability_of(self, category: PlacementCategory) -> Suitability:
        for cat, level in self.suitability:
            if cat is category or cat == category:
                return level
        return Suitability.NOT_SPECIFIED

    @property
    def has_school(self) -> bool:
        return self.school_easting is not None and self.school_northing is not None


@dataclass(frozen=True, slots=True)
class Referral:
    """A request for a placement: one child, or a sibling group to be placed together.

    ``allow_split`` is the care plan's permission to place the siblings in different
    homes if no home can take them together (the RCC's :class:`Policy` must allow it too).
    """

    id: str
    children: tuple[ChildProfile, ...]
    urgency: Urgency = Urgency.AFTER_5_DAYS
    la: str = ""  # GSS code of the placing local authority
    allow_split: bool = False

    @property
    def size(self) -> int:
        return len(self.children)


@dataclass(frozen=True, slots=True)
class Home:
    """A home (foster household, children's home, supported accommodation...) with free places.

    ``weekly_fee`` is the weekly price in whole pounds of one child's place.
    ``resident_ages`` lists the ages of the children already living there; ``None``
    means "not known" (rules that depend on it then pass and the provider checks on
    referral), ``()`` means "nobody else lives there".
    """

    id: str
    home_type: HomeType
    la: str
    easting: float
    northing: float
    free_places: int
    age_min: int = 0
    age_max: int = 17
    sexes: frozenset[Sex] = frozenset({Sex.MALE, Sex.FEMALE})
    needs_met: frozenset[Need] = frozenset()
    judgement: OfstedJudgement = OfstedJudgement.GOOD
    registration: RegistrationStatus = RegistrationStatus.ACTIVE
    weekly_fee: int = 0
    resident_ages: tuple[int, ...] | None = None


@dataclass(frozen=True, slots=True)
class Policy:
    """The RCC's matching policy: integer weights (penalty points) and thresholds.

    Defaults and their rationale (an RCC may change any of them):

    * ``points_per_mile = 10``: distance from the child's home is the most visible outcome
      (DfE reports it); 10 points a mile makes 12.3 miles = +123 and gives the other
      factors a readable scale ("a Preferred care-plan type is worth 40 miles").
    * ``school_points_per_mile = 10``: when the care plan says the child must keep their
      school, distance from school counts as much as distance from home.
    * ``school_location_points_per_mile = 3``: a school location given without "must keep
      school" still pulls towards homes near the school, at under a third of the weight.
    * ``suitable_not_preferred = 400``: placing in a category the care plan rates
      "Suitable but not preferred" costs as much as 40 extra miles; ``not_specified = 200``.
    * ``residential_when_family_possible = 150``: family-based care comes before
      residential when the care plan does not rule fostering out (Children Act 1989 s.22C).
    * ``unused_specialism = 30``: per scarce specialism (disability, therapeutic, mental
      health, solo, parent-and-child) a home offers that the child does not need; keeps
      specialist places for the children who need them.
    * ``ofsted_*``: Outstanding 0, Good 40, not yet inspected 80, Requires improvement 150
      (Inadequate is a hard exclusion).
    * ``fee_pounds_per_point = 10``: 1 point per £10 a week above the regional median fee
      for that home type (£450 above = +45). The lowest weight on purpose: the child's
      needs are paramount; cost only breaks ties between otherwise similar homes.
    * ``over_20_miles = 300`` and ``outside_home_la = 150``: flag penalties mirroring the
      DfE "more than 20 miles" and "outside LA boundary" measures (Sufficiency Duty s.22G).
    * ``split_siblings_per_child = 3000``: siblings should live together; a split (only
      where care plan and policy allow it) costs more than any ordinary placement factor.
    * ``split_per_home = 500`` and ``split_points_per_mile = 10``: when a group is split
      into sub-groups (2+1, 2+2, ...), each home used costs 500, and every two homes used
      cost 10 points per mile between them (pairwise), so fewer homes and homes close to
      each other come first.
    * ``unmatched_per_child = 50000`` plus ``urgency_extra_per_child`` (Today +10000,
      < 5 days +5000, > 5 days 0): leaving a child without a placement costs more than any
      placement, so the optimiser places as many children as it can, and among equal
      numbers the most urgent first. (Additive rather than a multiplier so that the count
      dominates: only trading 5 or more Today children against one more child placed
      could reverse it.)
    * ``allow_split = True``: the RCC allows splitting where the care plan permits it;
      split homes must lie within ``split_max_miles = 10`` of the family home (so within
      20 miles of each other).
    * ``risk_min_resident_age = 5``: a child with a physical/fire/criminal risk to others
      is not placed where a child under this age lives.
    * ``median_weekly_fee``: regional median per home type; when empty it is computed
      from the homes given to the call (all homes, full or not).
    """

    points_per_mile: int = 10
    school_points_per_mile: int = 10
    school_location_points_per_mile: int = 3
    suitable_not_preferred: int = 400
    not_specified: int = 200
    residential_when_family_possible: int = 150
    unused_specialism: int = 30
    ofsted_outstanding: int = 0
    ofsted_good: int = 40
    ofsted_not_yet_inspected: int = 80
    ofsted_requires_improvement: int = 150
    fee_pounds_per_point: int = 10
    over_20_miles: int = 300
    outside_home_la: int = 150
    flag_distance_miles: float = 20.0
    split_siblings_per_child: int = 3000
    split_per_home: int = 500
    split_points_per_mile: int = 10
    unmatched_per_child: int = 50000
    urgency_extra_per_child: tuple[tuple[Urgency, int], ...] = (
        (Urgency.TODAY, 10000),
        (Urgency.WITHIN_5_DAYS, 5000),
        (Urgency.AFTER_5_DAYS, 0),
    )
    allow_split: bool = True
    split_max_miles: float = 10.0
    risk_min_resident_age: int = 5
    median_weekly_fee: tuple[tuple[HomeType, int], ...] = ()

    def __post_init__(self) -> None:
        # Every penalty must be >= 0: candidate pruning uses distance points as a lower
        # bound of a pair's cost, which holds only when no term can be negative.
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, int | float) and not isinstance(v, bool) and v < 0:
                raise ValueError(f"Policy.{f.name} must be >= 0, got {v}")
            if isinstance(v, tuple):
                for _, w in v:
                    if w < 0:
                        raise ValueError(f"Policy.{f.name} values must be >= 0")
        if self.fee_pounds_per_point < 1:
            raise ValueError("Policy.fee_pounds_per_point must be >= 1")

    def urgency_extra(self, urgency: Urgency) -> int:
        for u, m in self.urgency_extra_per_child:
            if u == urgency:
                return m
        return 0


class Status(StrEnum):
    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    TIMED_OUT = "timed_out"


@dataclass(frozen=True, slots=True)
class Contribution:
    """One objective term's contribution to a placement, in points and plain words."""

    term: str
    points: int
    text: str
    child_id: str | None = None


@dataclass(frozen=True, slots=True)
class Placement:
    child_id: str
    home_id: str


@dataclass(frozen=True, slots=True)
class Assignment:
    """Which child goes to which home; children not listed are unplaced.

    Solver-independent: it can be the optimiser's proposal or a placement officer's choice.
    """

    placements: tuple[Placement, ...] = ()

    @staticmethod
    def of(pairs: Mapping[str, str] | tuple[tuple[str, str], ...]) -> Assignment:
        items = pairs.items() if isinstance(pairs, Mapping) else pairs
        return Assignment(tuple(Placement(c, h) for c, h in items))

    def as_dict(self) -> dict[str, str]:
        return {p.child_id: p.home_id for p in self.placements}


@dataclass(frozen=True, slots=True)
class ReferralMatch:
    """The outcome for one placed referral, with each objective term's contribution."""

    referral_id: str
    placements: tuple[Placement, ...]
    split: bool
    points: int
    contributions: tuple[Contribution, ...]


class HomeNotUsed(StrEnum):
    """Why an eligible home was not used for an unplaced referral, judged on the final plan."""

    TAKEN = "taken"  # no place left: the plan gives its places to the referrals in ``taken_by``
    TOO_FEW_PLACES = "too_few_places"  # places left, but fewer than the group needs
    SPLIT_NOT_ALLOWED = "split_not_allowed"  # would take part of the group; no split allowed
    SPLIT_INCOMPLETE = "split_incomplete"  # would take a sub-group, but no home for the rest
    WORSE_THAN_UNPLACED = "worse_than_unplaced"  # room left, but costs more than leaving unplaced
    NOT_PROVEN = "not_proven"  # room left; the solver stopped (time limit) before using it


@dataclass(frozen=True, slots=True)
class UnusedHome:
    """One eligible home an unplaced referral did not get, and why (true of the returned plan).

    ``free_after`` is the home's free places left after the plan; ``children`` how many of
    the group the home could take by the hard rules; ``taken_by`` the referral ids the
    plan placed there.
    """

    home_id: str
    reason: HomeNotUsed
    free_after: int
    children: int
    taken_by: tuple[str, ...]
    points: int | None
    text: str


@dataclass(frozen=True, slots=True)
class Unmatched:
    """An unplaced referral. ``reasons`` are plain-words lines (the first is the unmatched
    penalty); ``homes`` the eligible homes that were not used and why, nearest-cost first
    (at most 20), all computed from the returned plan."""

    referral_id: str
    points: int
    reasons: tuple[str, ...]
    homes: tuple[UnusedHome, ...] = ()


@dataclass(frozen=True, slots=True)
class Exclusion:
    """A record left out of a run because it is not usable, with the field and the reason.

    ``kind`` is "referral" or "home"; ``record_id`` its id; ``field`` the offending field as
    a path (e.g. ``children[1].home_easting``), ready for a 422 error.
    """

    kind: str
    record_id: str
    field: str
    reason: str


@dataclass(frozen=True, slots=True)
class MatchResult:
    """Result of :func:`matching.solve` (or of a greedy baseline).

    ``gap`` is ``(objective - best_bound) / max(1, objective)`` where ``best_bound`` is a
    lower bound valid for EVERY eligible (referral or sub-group, home) pair, not only the
    candidates the solver looked at; ``optimal`` means optimal over all of them. ``stats``
    holds timing and model-size numbers (build_s, solve_s, columns, columns_eligible,
    pricing_rounds, solver name). ``excluded`` lists input records left out as unusable.
    """

    status: Status
    objective: int | None
    best_bound: float | None
    gap: float | None
    matches: tuple[ReferralMatch, ...]
    unmatched: tuple[Unmatched, ...]
    stats: Mapping[str, float | int | str] = field(default_factory=dict, compare=False, hash=False)
    excluded: tuple[Exclusion, ...] = ()

    @property
    def assignment(self) -> Assignment:
        return Assignment(tuple(p for m in self.matches for p in m.placements))


@dataclass(frozen=True, slots=True)
class Violation:
    rule: str
    referral_id: str
    home_id: str | None
    child_id: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """What :func:`matching.validate` says about any assignment."""

    violations: tuple[Violation, ...]
    objective: int
    matches: tuple[ReferralMatch, ...]
    unmatched: tuple[Unmatched, ...]

    @property
    def ok(self) -> bool:
        return not self.violations

    def by_rule(self) -> dict[str, list[Violation]]:
        out: dict[str, list[Violation]] = {}
        for v in self.violations:
            out.setdefault(v.rule, []).append(v)
        return out


@dataclass(frozen=True, slots=True)
class ShortlistEntry:
    rank: int
    home_id: str
    points: int
    miles: float
    contributions: tuple[Contribution, ...]


@dataclass(frozen=True, slots=True)
class Shortlist:
    referral_id: str
    entries: tuple[ShortlistEntry, ...]
    excluded: Mapping[str, int]  # rule name -> homes excluded (first failing rule)
    excluded_total: int
    summary: str
    eligible_total: int = 0
