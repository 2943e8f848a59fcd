"""Soft terms: the integer-weighted objective ("penalty points", lower is better).

Pair terms score one child in one home: ``points(child, home, facts, ctx)`` returns a
non-negative integer and ``explain(...)`` the same contribution in plain words, so
every explanation the service shows comes from the objective itself. Referral terms
(:mod:`matching.rules.group`) score what happens to a whole referral.
The objective of an assignment is the sum of the pair terms over every placed child,
plus the referral terms; :mod:`matching.validator` and the solvers all use this one
definition.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from api_schemas.vocab import (
    FAMILY_BASED,
    HOME_TYPE_CATEGORY,
    HomeType,
    Need,
    OfstedJudgement,
    PlacementCategory,
    Suitability,
)
from matching.distance import STRAIGHT_LINE, DistanceSource
from matching.domain import ChildProfile, Contribution, Home, Policy


@dataclass(frozen=True, slots=True)
class PairFacts:
    """Distances for one (child, home) pair, computed once by the distance source."""

    miles_home: float
    miles_school: float | None = None


@dataclass(frozen=True)
class ScoringContext:
    policy: Policy
    median_fee: dict[HomeType, int]
    distance: DistanceSource = STRAIGHT_LINE

    def facts(self, child: ChildProfile, home: Home) -> PairFacts:
        d = self.distance
        mh = d.miles(child.home_easting, child.home_northing, home.easting, home.northing)
        ms = None
        if child.school_easting is not None and child.school_northing is not None:
            ms = d.miles(child.school_easting, child.school_northing, home.easting, home.northing)
        return PairFacts(mh, ms)


def regional_medians(homes: Iterable[Home]) -> dict[HomeType, int]:
    """Median weekly fee per home type over the homes given (homes with a fee > 0)."""
    fees: dict[HomeType, list[int]] = {}
    for h in homes:
        if h.weekly_fee > 0:
            fees.setdefault(h.home_type, []).append(h.weekly_fee)
    return {t: int(round(statistics.median(v))) for t, v in fees.items()}


def make_context(
    policy: Policy, homes: Iterable[Home], distance: DistanceSource | None = None
) -> ScoringContext:
    medians = regional_medians(homes)
    medians.update(dict(policy.median_weekly_fee))
    return ScoringContext(policy, medians, distance or STRAIGHT_LINE)


class SoftTerm(Protocol):
    name: str

    def points(self, child: ChildProfile, home: Home, facts: PairFacts, ctx: ScoringContext) -> int: ...

    def explain(self, child: ChildProfile, home: Home, facts: PairFacts, ctx: ScoringContext) -> str: ...


class DistanceFromHome:
    """Soft: closer to the child's home is better (family, friends, identity).

    ``policy.points_per_mile`` points per mile (default 10), linear, rounded to a whole point.
    """

    name = "distance_home"
    uses_distance = True

    def points(self, child: ChildProfile, home: Home, facts: PairFacts, ctx: ScoringContext) -> int:
        return int(round(facts.miles_home * ctx.policy.points_per_mile))

    def explain(self, child: ChildProfile, home: Home, facts: PairFacts, ctx: ScoringContext) -> str:
        return f"{facts.miles_home:.1f} miles from home: +{self.points(child, home, facts, ctx)}"


class DistanceFromSchool:
    """Soft: when the care plan says the child must keep their school, closer to the school
    is better. ``policy.school_points_per_mile`` per mile (default 10), linear; 0 when the
    child need not keep the school (then :class:`SchoolNearby` scores it) or no school
    location is known."""

    name = "distance_school"
    uses_distance = True

    def points(self, child: ChildProfile, home: Home, facts: PairFacts, ctx: ScoringContext) -> int:
        if facts.miles_school is None or not child.must_keep_school:
            return 0
        return int(round(facts.miles_school * ctx.policy.school_points_per_mile))

    def explain(self, child: ChildProfile, home: Home, facts: PairFacts, ctx: ScoringContext) -> str:
        if facts.miles_school is None:
            return "School: no school location given: +0"
        if not child.must_keep_school:
            return "School: the care plan does not say the child must keep their school: +0"
        return f"{facts.miles_school:.1f} miles from school (must keep school): +{self.points(child, home, facts, ctx)}"


class SchoolNearby:
    """Soft: when a school location is given but the care plan does not say the child must
    keep the school, a home nearer the school is still better (the child may stay there).
    ``policy.school_location_points_per_mile`` (3) per mile from the home to the school,
    linear, rounded to a whole point - a weaker pull than a must-keep school (10 a mile,
    :class:`DistanceFromSchool`). 0 when no school location is known or the school must be
    kept (so a school is never counted twice)."""

    name = "school_nearby"
    uses_distance = True

    def points(self, child: ChildProfile, home: Home, facts: PairFacts, ctx: ScoringContext) -> int:
        if facts.miles_school is None or child.must_keep_school:
            return 0
        return int(round(facts.miles_school * ctx.policy.school_location_points_per_mile))

    def explain(self, child: ChildProfile, home: Home, facts: PairFacts, ctx: ScoringContext) -> str:
        if facts.miles_school is None:
            return "School location: none given: +0"
        if child.must_keep_school:
            return "School location: scored as a school the child must keep: +0"
        return (
            f"{facts.miles_school:.1f} miles from the child's school (not required to keep it): "
            f"+{self.points(child, home, facts, ctx)}"
        )


class CarePlanPreference:
    """Soft: the care plan's Preferred placement category is best.

    0 for Preferred, ``policy.suitable_not_preferred`` (400) for "Suitable but not
    preferred", ``policy.not_specified`` (200) when the plan does not rate the category.
    A fixed step, not scaled.
    """

    name = "care_plan"

    def points(self, child: ChildProfile, home: Home, facts: PairFacts, ctx: ScoringContext) -> int:
        s = child.suitability_of(HOME_TYPE_CATEGORY[home.home_type])
        if s is Suitability.PREFERRED:
            return 0
        if s is Suitability.SUITABLE:
            return ctx.policy.suitable_not_preferred
        if s is Suitability.NOT_SPECIFIED:
            return ctx.policy.not_specified
        return 0  # Unsuitable never reaches scoring: it is a hard rule

    def explain(self, child: ChildProfile, home: Home, facts: PairFacts, ctx: ScoringContext) -> str:
        cat = HOME_TYPE_CATEGORY[home.home_type]
        s = child.suitability_of(cat)
        words = {
            Suitability.PREFERRED: "preferred",
            Suitability.SUITABLE: "suitable but not preferred",
            Suitability.NOT_SPECIFIED: "not specified",
            Suitability.UNSUITABLE: "unsuitable",
        }[s]
        return f"Care plan: {cat.value} is '{words}': +{self.points(child, home, facts, ctx)}"


class FamilyBasedFirst:
    """Soft: family-based care before residential.

    ``policy.residential_when_family_possible`` (150) when the home is residential, the
    care plan does not rate residential Preferred and does not rule fostering out.
    A fixed step.
    """

    name = "family_based"

    def _applies(self, child: ChildProfile, home: Home) -> bool:
        if home.home_type in FAMILY_BASED:
            return False
        if HOME_TYPE_CATEGORY[home.home_type] is not PlacementCategory.RESIDENTIAL:
            return False
        return (
            child.suitability_of(PlacementCategory.RESIDENTIAL) is not Suitability.PREFERRED
            and child.suitability_of(PlacementCategory.FOSTER) is not Suitability.UNSUITABLE
        )

    def points(self, child: ChildProfile, home: Home, facts: PairFacts, ctx: ScoringContext) -> int:
        return ctx.policy.residential_when_family_possible if self._applies(child, home) else 0

    def explain(self, child: ChildProfile, home: Home, facts: PairFacts, ctx: ScoringContext) -> str:
        if self._applies(child, home):
            return f"Residential while family-based care is possible: +{self.points(child, home, facts, ctx)}"
        return "Family-based or residential preferred: +0"


SCARCE_SPECIALISMS = frozenset(
    {Need.DISABILITY, Need.COMPLEX_TRAUMA, Need.MENTAL_HEALTH, Need.SOLO_PLACEMENT, Need.PARENT_AND_CHILD}
)


class NeedsFit:
    """Soft: a close fit between what the child needs and what the home specialises in.

    ``policy.unused_specialism`` (30) per scarce specialism (disability, complex trauma,
    mental health, solo, parent and child) the home offers that the child does not need;
    linear in the number of unused specialisms. Keeps specialist places free for the
    children who need them. (Unmet needs are a hard rule, never a penalty.)
    """

    name = "needs_fit"

    def _unused(self, child: ChildProfile, home: Home) -> frozenset[Need]:
        return (home.needs_met & SCARCE_SPECIALISMS) - child.needs

    def points(self, child: ChildProfile, home: Home, facts: PairFacts, ctx: ScoringContext) -> int:
        return len(self._unused(child, home)) * ctx.policy.unused_specialism

    def explain(self, child: ChildProfile, home: Home, facts: PairFacts, ctx: ScoringContext) -> str:
        unused = self._unused(child, home)
        if not unused:
            return "Needs fit: no unused specialist capacity: +0"
        names = ", ".join(sorted(n.value for n in unused))
        return (
            f"Needs fit: uses a place specialised in {names} the child does not need: "
            f"+{self.points(child, home, facts, ctx)}"
        )


class OfstedQuality:
    """Soft: better Ofsted judgements are better; Outstanding is best.

    Outstanding 0, Good 40, not yet inspected 80, Requires improvement 150 (policy
    ``ofsted_*``); Inadequate is a hard exclusion. A fixed step per grade.
    """

    name = "ofsted"

    def points(self, child: ChildProfile, home: Home, facts: PairFacts, ctx: ScoringContext) -> int:
        p = ctx.policy
        return {
            OfstedJudgement.OUTSTANDING: p.ofsted_outstanding,
            OfstedJudgement.GOOD: p.ofsted_good,
            OfstedJudgement.NOT_YET_INSPECTED: p.ofsted_not_yet_inspected,
            OfstedJudgement.REQUIRES_IMPROVEMENT: p.ofsted_requires_improvement,
        }.get(home.judgement, 0)

    def explain(self, child: ChildProfile, home: Home, facts: PairFacts, ctx: ScoringContext) -> str:
        j = home.judgement.value.replace("_", " ")
        return f"Ofsted: {j}: +{self.points(child, home, facts, ctx)}"


class CostAgainstMedian:
    """Soft: weekly fee against the regional median for that home type.

    One point per ``policy.fee_pounds_per_point`` (£10) a week above the median, linear;
    0 at or below the median. Deliberately the lowest weight: the child's needs are
    paramount and cost only separates otherwise similar homes.
    """

    name = "cost"

    def points(self, child: ChildProfile, home: Home, facts: PairFacts, ctx: ScoringContext) -> int:
        med = ctx.median_fee.get(home.home_type)
        if med is None or home.weekly_fee <= med:
            return 0
        return int(round((home.weekly_fee - med) / ctx.policy.fee_pounds_per_point))

    def explain(self, child: ChildProfile, home: Home, facts: PairFacts, ctx: ScoringContext) -> str:
        med = ctx.median_fee.get(home.home_type)
        t = home.home_type.value.replace("_", " ")
        if med is None:
            return f"Weekly fee £{home.weekly_fee:,}: no regional median for {t}: +0"
        return (
            f"Weekly fee £{home.weekly_fee:,} vs regional median £{med:,} for {t}: "
            f"+{self.points(child, home, facts, ctx)}"
        )


class Over20Miles:
    """Soft: flag penalty ``policy.over_20_miles`` (300) when the home is more than
    ``policy.flag_distance_miles`` (20, the DfE threshold) from the child's home. A step."""

    name = "over_20_miles"
    uses_distance = True

    def points(self, child: ChildProfile, home: Home, facts: PairFacts, ctx: ScoringContext) -> int:
        return ctx.policy.over_20_miles if facts.miles_home > ctx.policy.flag_distance_miles else 0

    def explain(self, child: ChildProfile, home: Home, facts: PairFacts, ctx: ScoringContext) -> str:
        lim = ctx.policy.flag_distance_miles
        if facts.miles_home > lim:
            return f"More than {lim:g} miles from home: +{ctx.policy.over_20_miles}"
        return f"Within {lim:g} miles of home: +0"


class OutsideHomeLA:
    """Soft: flag penalty ``policy.outside_home_la`` (150) when the home is outside the
    child's home local authority (s.22G sufficiency duty). A step."""

    name = "outside_la"

    def points(self, child: ChildProfile, home: Home, facts: PairFacts, ctx: ScoringContext) -> int:
        return ctx.policy.outside_home_la if home.la != child.home_la else 0

    def explain(self, child: ChildProfile, home: Home, facts: PairFacts, ctx: ScoringContext) -> str:
        if home.la != child.home_la:
            return f"Outside the child's home local authority: +{ctx.policy.outside_home_la}"
        return "Inside the child's home local authority: +0"


PAIR_TERMS: tuple[SoftTerm, ...] = (
    DistanceFromHome(),
    DistanceFromSchool(),
    SchoolNearby(),
    CarePlanPreference(),
    FamilyBasedFirst(),
    NeedsFit(),
    OfstedQuality(),
    CostAgainstMedian(),
    Over20Miles(),
    OutsideHomeLA(),
)


def child_static_points(child: ChildProfile, home: Home, ctx: ScoringContext) -> int:
    """Sum of the pair terms that do not depend on distance (used for fast pruning)."""
    facts = PairFacts(0.0, None)
    return sum(
        t.points(child, home, facts, ctx) for t in PAIR_TERMS if not getattr(t, "uses_distance", False)
    )


def pair_points(child: ChildProfile, home: Home, facts: PairFacts, ctx: ScoringContext) -> int:
    return sum(t.points(child, home, facts, ctx) for t in PAIR_TERMS)


def pair_contributions(
    child: ChildProfile, home: Home, ctx: ScoringContext, facts: PairFacts | None = None
) -> tuple[Contribution, ...]:
    facts = facts or ctx.facts(child, home)
    return tuple(
        Contribution(t.name, t.points(child, home, facts, ctx), t.explain(child, home, facts, ctx), child.id)
        for t in PAIR_TERMS
    )
