"""Hypothesis strategies that BUILD matching instances (homes, children, referrals, sibling
groups, needs), so a failing property shrinks to a small readable case - fewer homes,
fewer siblings, round coordinates, no needs - instead of a random seed.

Coordinates are whole tenths of a mile on a 12-mile square (so the split radius and the
20-mile flag both come into play at the edges); ids are assigned in order, so they are
unique unless a test asks otherwise.
"""

from __future__ import annotations

from hypothesis import strategies as st

from api_schemas.vocab import (
    HomeType,
    LivingCompanions,
    Need,
    OfstedJudgement,
    PlacementCategory,
    RiskFlag,
    Sex,
    Suitability,
    Urgency,
)
from matching import ChildProfile, Home, Policy, Referral
from tests.matching.factories import LA, MILE, OTHER_LA

TYPES = [
    HomeType.LA_FOSTER,
    HomeType.IFA_FOSTER,
    HomeType.CHILDRENS_HOME,
    HomeType.SUPPORTED_ACCOMMODATION,
    HomeType.SECURE_CHILDRENS_HOME,
]
RARE = [Need.DISABILITY, Need.COMPLEX_TRAUMA, Need.UASC]

coords = st.integers(0, 120).map(lambda tenths: tenths * MILE / 10)
needs = st.frozensets(st.sampled_from(RARE), max_size=2)
home_needs = st.frozensets(
    st.sampled_from([*RARE, Need.SIBLING_GROUP, Need.SOLO_PLACEMENT, Need.EXPLOITATION_RISK]), max_size=4
)
suitability = st.dictionaries(
    st.sampled_from(list(PlacementCategory)), st.sampled_from(list(Suitability)), max_size=3
)


@st.composite
def homes(draw: st.DrawFn, hid: str = "h0") -> Home:
    home_type = draw(st.sampled_from(TYPES))
    supported = home_type is HomeType.SUPPORTED_ACCOMMODATION
    age_min = 16 if supported else draw(st.sampled_from([0, 0, 5, 10]))
    return Home(
        id=hid,
        home_type=home_type,
        la=draw(st.sampled_from([LA, OTHER_LA])),
        easting=draw(coords),
        northing=draw(coords),
        free_places=draw(st.integers(0, 3)),
        age_min=age_min,
        age_max=17,
        sexes=draw(
            st.sampled_from(
                [frozenset({Sex.MALE, Sex.FEMALE}), frozenset({Sex.MALE}), frozenset({Sex.FEMALE})]
            )
        ),
        needs_met=draw(home_needs),
        judgement=draw(
            st.sampled_from(
                [
                    OfstedJudgement.GOOD,
                    OfstedJudgement.OUTSTANDING,
                    OfstedJudgement.REQUIRES_IMPROVEMENT,
                    OfstedJudgement.INADEQUATE,
                ]
            )
        ),
        weekly_fee=draw(st.sampled_from([800, 1000, 2500, 5000])),
        resident_ages=draw(st.one_of(st.none(), st.just(()), st.tuples(st.integers(2, 17)))),
    )


@st.composite
def children(draw: st.DrawFn, cid: str = "c0", e: float = 0.0, n: float = 0.0) -> ChildProfile:
    """One child living at (e, n): siblings share their family home."""
    school = draw(st.sampled_from(["none", "keep", "known"]))  # known: a location, not must-keep
    return ChildProfile.make(
        id=cid,
        age_years=draw(st.integers(3, 17)),
        sex=draw(st.sampled_from(list(Sex))),
        home_easting=e,
        home_northing=n,
        home_la=draw(st.sampled_from([LA, OTHER_LA])),
        needs=draw(needs),
        suitability=draw(suitability),
        risks=draw(
            st.frozensets(
                st.sampled_from([RiskFlag.TO_OTHERS_PHYSICAL, RiskFlag.SEXUAL_EXPLOITATION]), max_size=1
            )
        ),
        living_companions=draw(
            st.sampled_from(
                [
                    LivingCompanions.NO_PREFERENCE,
                    LivingCompanions.NO_PREFERENCE,
                    LivingCompanions.SOLO,
                    LivingCompanions.ONLY_YOUNGER,
                ]
            )
        ),
        school_easting=e + MILE if school != "none" else None,
        school_northing=n if school != "none" else None,
        must_keep_school=school == "keep",
        places_to_avoid=draw(st.lists(st.tuples(coords, coords, st.sampled_from([0.5, 2.0])), max_size=1)),
    )


@st.composite
def referrals(draw: st.DrawFn, rid: str = "r0", max_siblings: int = 3) -> Referral:
    """A referral: one child or a sibling group (sharing a family home), maybe splittable."""
    e, n = draw(coords), draw(coords)
    size = draw(st.integers(1, max_siblings))
    kids = tuple(draw(children(f"{rid}c{k}", e, n)) for k in range(size))
    return Referral(
        id=rid,
        children=kids,
        urgency=draw(st.sampled_from(list(Urgency))),
        la=LA,
        allow_split=draw(st.booleans()),
    )


sibling_groups = st.integers(2, 4).flatmap(
    lambda k: referrals("g0", max_siblings=k).filter(lambda r: r.size >= 2)
)


@st.composite
def instances(
    draw: st.DrawFn, max_referrals: int = 4, max_homes: int = 4, max_siblings: int = 3
) -> tuple[list[Referral], list[Home]]:
    """A small region: referrals (some sibling groups) competing for a few homes."""
    n_refs = draw(st.integers(1, max_referrals))
    n_homes = draw(st.integers(1, max_homes))
    refs = [draw(referrals(f"r{i}", max_siblings)) for i in range(n_refs)]
    hs = [draw(homes(f"h{i}")) for i in range(n_homes)]
    return refs, hs


policies = st.builds(
    Policy,
    allow_split=st.booleans(),
    split_max_miles=st.sampled_from([3.0, 10.0]),
    split_siblings_per_child=st.sampled_from([0, 3000]),
    unmatched_per_child=st.sampled_from([50000, 800]),
)
"""Policies including ones where a placement can cost more than leaving a child unplaced."""
