"""Tiny deterministic builders for matching tests (no database, no files)."""

from __future__ import annotations

import random

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
from matching import ChildProfile, Home, Referral

MILE = 1609.344
LA = "E06000001"
OTHER_LA = "E06000002"


def child(cid="c1", age=12, sex=Sex.MALE, e=0.0, n=0.0, la=LA, **kw) -> ChildProfile:
    return ChildProfile.make(
        id=cid, age_years=age, sex=sex, home_easting=e, home_northing=n, home_la=la, **kw
    )


def home(hid="h1", home_type=HomeType.LA_FOSTER, e=0.0, n=0.0, free=1, la=LA, **kw) -> Home:
    kw.setdefault("weekly_fee", 1000)
    return Home(id=hid, home_type=home_type, la=la, easting=e, northing=n, free_places=free, **kw)


def referral(*children, rid="r1", urgency=Urgency.AFTER_5_DAYS, allow_split=False) -> Referral:
    return Referral(
        id=rid, children=tuple(children), urgency=urgency, la=children[0].home_la, allow_split=allow_split
    )


TYPES = [
    HomeType.LA_FOSTER,
    HomeType.IFA_FOSTER,
    HomeType.CHILDRENS_HOME,
    HomeType.SUPPORTED_ACCOMMODATION,
    HomeType.SECURE_CHILDRENS_HOME,
]


def random_instance(seed: int, n_ref: int = 8, n_homes: int = 10, span_miles: float = 40.0):
    """A small random region: referrals (some sibling groups) and homes, all rules in play."""
    rng = random.Random(seed)
    span = span_miles * MILE
    las = [LA, OTHER_LA]
    homes = []
    for i in range(n_homes):
        t = rng.choice(TYPES)
        lo = rng.choice([0, 5, 10, 12]) if t is not HomeType.SUPPORTED_ACCOMMODATION else 16
        homes.append(
            Home(
                id=f"h{i}",
                home_type=t,
                la=rng.choice(las),
                easting=rng.uniform(0, span),
                northing=rng.uniform(0, span),
                free_places=rng.choice([0, 1, 1, 2, 3]),
                age_min=lo,
                age_max=17,
                sexes=frozenset(
                    rng.choice([[Sex.MALE], [Sex.FEMALE], [Sex.MALE, Sex.FEMALE], [Sex.MALE, Sex.FEMALE]])
                ),
                needs_met=frozenset(rng.sample(list(Need), rng.randint(0, 5))),
                judgement=rng.choice(list(OfstedJudgement)),
                weekly_fee=rng.randint(500, 6000),
                resident_ages=rng.choice(
                    [None, (), (rng.randint(3, 17),), (rng.randint(3, 17), rng.randint(3, 17))]
                ),
            )
        )
    refs = []
    for r in range(n_ref):
        size = rng.choice([1, 1, 1, 2, 3])
        e, n = rng.uniform(0, span), rng.uniform(0, span)
        kids = []
        for k in range(size):
            suit = {
                cat: rng.choice(
                    [
                        Suitability.PREFERRED,
                        Suitability.SUITABLE,
                        Suitability.NOT_SPECIFIED,
                        Suitability.UNSUITABLE,
                    ]
                )
                for cat in PlacementCategory
            }
            kids.append(
                child(
                    f"r{r}c{k}",
                    age=rng.randint(4, 17),
                    sex=rng.choice(list(Sex)),
                    e=e,
                    n=n,
                    la=rng.choice(las),
                    needs=rng.sample(
                        [Need.DISABILITY, Need.COMPLEX_TRAUMA, Need.UASC], rng.choice([0, 0, 1])
                    ),
                    suitability=suit,
                    risks=rng.sample(list(RiskFlag), rng.choice([0, 0, 0, 1])),
                    living_companions=rng.choice(list(LivingCompanions)),
                    school_easting=e + 1000,
                    school_northing=n,
                    must_keep_school=rng.random() < 0.3,
                    places_to_avoid=[(e + rng.uniform(-5, 5) * MILE, n, 2.0)] if rng.random() < 0.2 else [],
                )
            )
        refs.append(
            Referral(
                id=f"r{r}",
                children=tuple(kids),
                urgency=rng.choice(list(Urgency)),
                la=LA,
                allow_split=rng.random() < 0.5,
            )
        )
    return refs, homes
