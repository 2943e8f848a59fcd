"""Hard rules: a (referral or part of it, home) pair that fails any of them is never proposed.

Each rule is a small class with a ``name`` (used in violations and exclusion
summaries), a ``label`` (plain words for "N homes excluded: ..."), and a
``check(referral, children, home, policy)`` method returning ``None`` when the pair
is allowed or a plain-words reason when it is excluded. ``children`` are the
children that would live in ``home``: the whole sibling group, or a sub-group when
the group is split. Rules are ordered cheapest and most selective first; exclusion
summaries count each home once, under the first rule it fails.
"""

from __future__ import annotations

from typing import Protocol

from api_schemas.vocab import (
    FAMILY_BASED,
    HOME_TYPE_CATEGORY,
    HomeType,
    LivingCompanions,
    Need,
    OfstedJudgement,
    RegistrationStatus,
    RiskFlag,
    Suitability,
)
from matching.distance import straight_line_miles
from matching.domain import ChildProfile, Home, Policy, Referral


class HardRule(Protocol):
    name: str
    label: str

    def check(
        self, referral: Referral, children: tuple[ChildProfile, ...], home: Home, policy: Policy
    ) -> str | None: ...


class Capacity:
    """Hard: the home must have at least as many free places as children placed there.

    A sibling group placed together needs free places >= group size; when a split is
    allowed each part needs places for its own children.
    """

    name = "capacity"
    label = "no free place"

    def check(
        self, referral: Referral, children: tuple[ChildProfile, ...], home: Home, policy: Policy
    ) -> str | None:
        if home.free_places < len(children):
            return f"{home.free_places} free place(s), {len(children)} needed"
        return None


class Quality:
    """Hard: no placement in a home judged Inadequate by Ofsted or whose registration is
    suspended or closed."""

    name = "quality"
    label = "Inadequate or not registered"

    def check(
        self, referral: Referral, children: tuple[ChildProfile, ...], home: Home, policy: Policy
    ) -> str | None:
        if home.registration is not RegistrationStatus.ACTIVE:
            return f"registration {home.registration.value}"
        if home.judgement is OfstedJudgement.INADEQUATE:
            return "Ofsted judgement Inadequate"
        return None


class AgeRange:
    """Hard: every child's age must lie within the home's registered age range."""

    name = "age_range"
    label = "age range"

    def check(
        self, referral: Referral, children: tuple[ChildProfile, ...], home: Home, policy: Policy
    ) -> str | None:
        for c in children:
            if not home.age_min <= c.age_years <= home.age_max:
                return f"age {c.age_years} outside {home.age_min}-{home.age_max}"
        return None


class SexAccepted:
    """Hard: the home must accept every child's sex."""

    name = "sex"
    label = "sex not accepted"

    def check(
        self, referral: Referral, children: tuple[ChildProfile, ...], home: Home, policy: Policy
    ) -> str | None:
        for c in children:
            if c.sex not in home.sexes:
                return f"does not accept {c.sex.value} children"
        return None


SUPPORTED_TYPES = frozenset({HomeType.SUPPORTED_ACCOMMODATION, HomeType.SUPPORTED_LODGINGS})


class HomeTypeForAge:
    """Hard: the home type must be lawful for the child's age.

    Supported accommodation and supported lodgings only at 16-17 (unregulated
    placements of under-16s are banned since 2021); secure children's homes 10-17.
    """

    name = "home_type_age"
    label = "home type not allowed at this age"

    def check(
        self, referral: Referral, children: tuple[ChildProfile, ...], home: Home, policy: Policy
    ) -> str | None:
        t = home.home_type
        if t in SUPPORTED_TYPES:
            for c in children:
                if not 16 <= c.age_years <= 17:
                    return f"{t.value} only for 16-17 year olds (child is {c.age_years})"
        elif t is HomeType.SECURE_CHILDRENS_HOME:
            for c in children:
                if not 10 <= c.age_years <= 17:
                    return f"secure home only for 10-17 year olds (child is {c.age_years})"
        return None


class CarePlanSuitability:
    """Hard: never place a child in a placement category their care plan marks Unsuitable."""

    name = "care_plan"
    label = "care plan unsuitable"

    def check(
        self, referral: Referral, children: tuple[ChildProfile, ...], home: Home, policy: Policy
    ) -> str | None:
        cat = HOME_TYPE_CATEGORY[home.home_type]
        for c in children:
            if c.suitability_of(cat) is Suitability.UNSUITABLE:
                return f"care plan marks {cat.value} Unsuitable"
        return None


_SIBLING = frozenset({Need.SIBLING_GROUP})


class NeedsMet:
    """Hard: each of the child's needs must be among the needs the home can meet.

    ``SIBLING_GROUP`` is not checked here but by :class:`SiblingGroup`, because whether
    it is needed depends on how many siblings actually live in the home.
    """

    name = "needs"
    label = "needs"

    def check(
        self, referral: Referral, children: tuple[ChildProfile, ...], home: Home, policy: Policy
    ) -> str | None:
        met = home.needs_met
        for c in children:
            missing = c.needs - met - _SIBLING
            if missing:
                return "cannot meet " + ", ".join(sorted(n.value for n in missing))
        return None


class SiblingGroup:
    """Hard: two or more siblings together need a home that meets SIBLING_GROUP.

    Decision: a family-based home (foster household) with enough free places is taken
    to be able to care for the siblings together without the SIBLING_GROUP flag - a
    fostering household is approved for its number of places, and keeping brothers
    and sisters together in a family is the statutory preference. Residential and
    supported settings need the flag.
    """

    name = "sibling_group"
    label = "cannot take siblings together"

    def check(
        self, referral: Referral, children: tuple[ChildProfile, ...], home: Home, policy: Policy
    ) -> str | None:
        if len(children) < 2 or Need.SIBLING_GROUP in home.needs_met:
            return None
        if home.home_type in FAMILY_BASED and home.free_places >= len(children):
            return None
        return f"cannot take a sibling group of {len(children)}"


class Companions:
    """Hard: the NPS living-companions recommendation against the current residents.

    * SOLO: no other child lives there (``resident_ages == ()``) or the home meets
      SOLO_PLACEMENT. Unknown residents do not count as "none".
    * ONLY_YOUNGER / ONLY_OLDER: every current resident must be younger / older than
      the child (checked only when resident ages are given).
    Siblings placed together do not count against each other.
    """

    name = "living_companions"
    label = "living companions"

    def check(
        self, referral: Referral, children: tuple[ChildProfile, ...], home: Home, policy: Policy
    ) -> str | None:
        ages = home.resident_ages
        for c in children:
            lc = c.living_companions
            if lc is LivingCompanions.SOLO:
                if Need.SOLO_PLACEMENT not in home.needs_met and ages != ():
                    return "solo placement recommended but other children live there"
            elif ages:
                if lc is LivingCompanions.ONLY_YOUNGER and max(ages) >= c.age_years:
                    return f"only with younger children; a resident is {max(ages)}"
                if lc is LivingCompanions.ONLY_OLDER and min(ages) <= c.age_years:
                    return f"only with older children; a resident is {min(ages)}"
        return None


_EXPLOITATION = frozenset({RiskFlag.SEXUAL_EXPLOITATION, RiskFlag.CRIMINAL_EXPLOITATION})
_HARM_TO_YOUNG = frozenset(
    {RiskFlag.TO_OTHERS_PHYSICAL, RiskFlag.TO_OTHERS_FIRE, RiskFlag.TO_OTHERS_CRIMINAL}
)


class Risks:
    """Hard: NPS risks, a small documented set.

    * riskToOthersSexual: not where any resident is younger than the child.
    * riskToOthersPhysical / Fire / Criminal: not where a resident is under
      ``policy.risk_min_resident_age`` (default 5).
    * riskSexualExploitation / riskCriminalExploitation (risks to the child): the home
      must meet EXPLOITATION_RISK.
    Resident checks apply only when resident ages are given. riskToOthersAnimals is not
    modelled (the register holds no data on pets); other risks to the child are scored
    through needs.
    """

    name = "risks"
    label = "risk to or from others"

    def check(
        self, referral: Referral, children: tuple[ChildProfile, ...], home: Home, policy: Policy
    ) -> str | None:
        ages = home.resident_ages
        for c in children:
            r = c.risks
            if not r:
                continue
            if r & _EXPLOITATION and Need.EXPLOITATION_RISK not in home.needs_met:
                return "exploitation risk but home does not meet exploitation_risk"
            if ages:
                if RiskFlag.TO_OTHERS_SEXUAL in r and min(ages) < c.age_years:
                    return f"sexual risk to others and a younger resident ({min(ages)}) lives there"
                if r & _HARM_TO_YOUNG and min(ages) < policy.risk_min_resident_age:
                    return f"risk to others and a resident under {policy.risk_min_resident_age} lives there"
        return None


class PlacesToAvoid:
    """Hard: the home must not lie within any of the child's places to avoid
    (easting, northing, radius in miles), measured straight-line."""

    name = "places_to_avoid"
    label = "place to avoid"

    def check(
        self, referral: Referral, children: tuple[ChildProfile, ...], home: Home, policy: Policy
    ) -> str | None:
        for c in children:
            for e, n, radius in c.places_to_avoid:
                if straight_line_miles(e, n, home.easting, home.northing) <= radius:
                    return f"within {radius:g} miles of a place to avoid"
        return None


class SplitAllowed:
    """Hard: a sibling group may be split only if both the care plan (referral) and the
    RCC policy allow it, and then each home must be within ``policy.split_max_miles``
    (straight line) of the first child's home address, so the siblings live near each
    other (at most twice that apart) and can keep in touch."""

    name = "split"
    label = "split not allowed"

    def check(
        self, referral: Referral, children: tuple[ChildProfile, ...], home: Home, policy: Policy
    ) -> str | None:
        if len(children) >= len(referral.children):
            return None
        if not (policy.allow_split and referral.allow_split):
            return "siblings may not be split"
        c = referral.children[0]
        if (
            straight_line_miles(c.home_easting, c.home_northing, home.easting, home.northing)
            > policy.split_max_miles
        ):
            return f"split home more than {policy.split_max_miles:g} miles from the family home"
        return None


HARD_RULES: tuple[HardRule, ...] = (
    Capacity(),
    Quality(),
    AgeRange(),
    SexAccepted(),
    HomeTypeForAge(),
    CarePlanSuitability(),
    NeedsMet(),
    SiblingGroup(),
    Companions(),
    Risks(),
    PlacesToAvoid(),
    SplitAllowed(),
)
RULES_BY_NAME: dict[str, HardRule] = {r.name: r for r in HARD_RULES}


def first_failure(
    referral: Referral,
    children: tuple[ChildProfile, ...],
    home: Home,
    policy: Policy,
    rules: tuple[HardRule, ...] = HARD_RULES,
) -> tuple[str, str] | None:
    """(rule name, reason) of the first rule the pair fails, or ``None`` if eligible."""
    for rule in rules:
        why = rule.check(referral, children, home, policy)
        if why is not None:
            return rule.name, why
    return None


def all_failures(
    referral: Referral,
    children: tuple[ChildProfile, ...],
    home: Home,
    policy: Policy,
    rules: tuple[HardRule, ...] = HARD_RULES,
) -> list[tuple[str, str]]:
    """Every (rule name, reason) the pair fails (empty when eligible)."""
    out: list[tuple[str, str]] = []
    for rule in rules:
        why = rule.check(referral, children, home, policy)
        if why is not None:
            out.append((rule.name, why))
    return out
