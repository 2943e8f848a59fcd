"""Referral terms of the objective: what happens to a whole referral (siblings kept together, a
split's homes far apart, a referral left unplaced). Pair terms are in :mod:`matching.rules.soft`."""

from __future__ import annotations

from collections.abc import Sequence

from matching.domain import Contribution, Home, Policy, Referral
from matching.rules.soft import ScoringContext


class SiblingsTogether:
    """Soft: siblings live together. When a group is split (only where allowed), a penalty
    of ``policy.split_siblings_per_child`` (3000) per child in the group - heavier than any
    ordinary placement factor, so a split is a last resort before leaving them unplaced."""

    name = "siblings_together"

    def points(self, referral: Referral, policy: Policy) -> int:
        return policy.split_siblings_per_child * referral.size

    def explain(self, referral: Referral, policy: Policy, n_homes: int) -> str:
        return (
            f"Sibling group of {referral.size} split across {n_homes} homes: +{self.points(referral, policy)}"
        )


class Unmatched:
    """Soft: leaving a referral without a placement costs, per child,
    ``policy.unmatched_per_child`` (50000) plus the urgency extra (Today +10000, < 5 days
    +5000) - more than any placement, so the most children (most urgent first) are placed.
    Linear in the number of children in the referral."""

    name = "unmatched"

    def points(self, referral: Referral, policy: Policy) -> int:
        return (policy.unmatched_per_child + policy.urgency_extra(referral.urgency)) * referral.size

    def explain(self, referral: Referral, policy: Policy) -> str:
        return (
            f"Not placed ({referral.size} child(ren), urgency {referral.urgency.value}): "
            f"+{self.points(referral, policy)}"
        )


class SplitApart:
    """Soft: when a sibling group is split, ``policy.split_per_home`` (500) for each home
    used, plus ``policy.split_points_per_mile`` (10) per mile between EVERY TWO homes used
    (pairwise, by the distance source): two homes 8 miles apart cost 2 x 500 + 80; three
    homes pay for all three pairs, so fewer homes and homes near each other come first.
    Linear in the number of homes and in each pairwise distance; charged on top of
    :class:`SiblingsTogether`. (The split radius, ``policy.split_max_miles``, is a hard
    rule measured from the family home.)"""

    name = "split_apart"

    def home_points(self, policy: Policy) -> int:
        return policy.split_per_home

    def miles_between(self, a: Home, b: Home, ctx: ScoringContext) -> float:
        return ctx.distance.miles(a.easting, a.northing, b.easting, b.northing)

    def pair_points(self, a: Home, b: Home, ctx: ScoringContext) -> int:
        return int(round(self.miles_between(a, b, ctx) * ctx.policy.split_points_per_mile))

    def points(self, homes: Sequence[Home], ctx: ScoringContext) -> int:
        """The whole term for a split across ``homes`` (distinct homes)."""
        total = len(homes) * self.home_points(ctx.policy)
        for i, a in enumerate(homes):
            for b in homes[i + 1 :]:
                total += self.pair_points(a, b, ctx)
        return total

    def contributions(self, homes: Sequence[tuple[Home, int]], ctx: ScoringContext) -> list[Contribution]:
        """One contribution per home (with how many siblings it takes) and one per pair of homes."""
        out = [
            Contribution(
                self.name,
                self.home_points(ctx.policy),
                f"{n} of the siblings in home {h.id}: +{self.home_points(ctx.policy)}",
            )
            for h, n in homes
        ]
        for i, (a, _) in enumerate(homes):
            for b, _ in homes[i + 1 :]:
                pts = self.pair_points(a, b, ctx)
                out.append(
                    Contribution(
                        self.name,
                        pts,
                        f"Homes {a.id} and {b.id} are {self.miles_between(a, b, ctx):.1f} miles apart: +{pts}",
                    )
                )
        return out


SIBLINGS_TOGETHER = SiblingsTogether()
SPLIT_APART = SplitApart()
UNMATCHED = Unmatched()
