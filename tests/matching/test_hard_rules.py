"""One test per hard rule: excluded / not excluded on a tiny instance."""

from __future__ import annotations

import pytest

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
)
from matching import HARD_RULES, Policy
from matching.rules.hard import RULES_BY_NAME, all_failures, first_failure
from tests.matching.factories import MILE, child, home, referral

P = Policy()


def check(rule, kids, h, ref=None, policy=P):
    ref = ref or referral(*kids)
    return RULES_BY_NAME[rule].check(ref, tuple(kids), h, policy)


def test_every_rule_is_named_and_documented_hard():
    names = [r.name for r in HARD_RULES]
    assert len(names) == len(set(names))
    for r in HARD_RULES:
        assert type(r).__doc__.startswith("Hard"), r.name
        assert r.label


def test_capacity():
    a, b = child("a"), child("b")
    assert check("capacity", [a, b], home(free=1)) is not None
    assert check("capacity", [a, b], home(free=2)) is None
    assert check("capacity", [a], home(free=0)) is not None


def test_quality():
    c = child()
    assert check("quality", [c], home(judgement=OfstedJudgement.INADEQUATE)) is not None
    assert check("quality", [c], home(registration=RegistrationStatus.SUSPENDED)) is not None
    assert check("quality", [c], home(registration=RegistrationStatus.CLOSED)) is not None
    assert check("quality", [c], home(judgement=OfstedJudgement.REQUIRES_IMPROVEMENT)) is None


def test_age_range():
    assert check("age_range", [child(age=9)], home(age_min=10, age_max=17)) is not None
    assert check("age_range", [child(age=10)], home(age_min=10, age_max=17)) is None


def test_sex():
    assert check("sex", [child(sex=Sex.FEMALE)], home(sexes=frozenset({Sex.MALE}))) is not None
    assert check("sex", [child(sex=Sex.MALE)], home(sexes=frozenset({Sex.MALE}))) is None


@pytest.mark.parametrize(
    "home_type,age,excluded",
    [
        (HomeType.SUPPORTED_ACCOMMODATION, 15, True),
        (HomeType.SUPPORTED_ACCOMMODATION, 16, False),
        (HomeType.SUPPORTED_LODGINGS, 12, True),
        (HomeType.SECURE_CHILDRENS_HOME, 9, True),
        (HomeType.SECURE_CHILDRENS_HOME, 10, False),
        (HomeType.CHILDRENS_HOME, 8, False),
    ],
)
def test_home_type_for_age(home_type, age, excluded):
    assert (check("home_type_age", [child(age=age)], home(home_type=home_type)) is not None) is excluded


def test_care_plan_unsuitable():
    c = child(suitability={PlacementCategory.RESIDENTIAL: Suitability.UNSUITABLE})
    assert check("care_plan", [c], home(home_type=HomeType.CHILDRENS_HOME)) is not None
    assert check("care_plan", [c], home(home_type=HomeType.LA_FOSTER)) is None


def test_needs():
    c = child(needs={Need.DISABILITY})
    assert check("needs", [c], home()) is not None
    assert check("needs", [c], home(needs_met=frozenset({Need.DISABILITY}))) is None
    # SIBLING_GROUP is handled by the sibling rule, not here
    assert check("needs", [child(needs={Need.SIBLING_GROUP})], home()) is None


def test_sibling_group():
    a, b = child("a"), child("b")
    assert check("sibling_group", [a, b], home(home_type=HomeType.CHILDRENS_HOME, free=2)) is not None
    assert (
        check(
            "sibling_group",
            [a, b],
            home(home_type=HomeType.CHILDRENS_HOME, free=2, needs_met=frozenset({Need.SIBLING_GROUP})),
        )
        is None
    )
    # decision: a foster household with enough places may take siblings without the flag
    assert check("sibling_group", [a, b], home(home_type=HomeType.LA_FOSTER, free=2)) is None
    assert check("sibling_group", [a], home(home_type=HomeType.CHILDRENS_HOME)) is None


def test_living_companions():
    solo = child(living_companions=LivingCompanions.SOLO)
    assert check("living_companions", [solo], home(resident_ages=(12,))) is not None
    assert check("living_companions", [solo], home(resident_ages=None)) is not None  # unknown is not "none"
    assert check("living_companions", [solo], home(resident_ages=())) is None
    assert (
        check(
            "living_companions", [solo], home(resident_ages=(12,), needs_met=frozenset({Need.SOLO_PLACEMENT}))
        )
        is None
    )
    younger = child(age=12, living_companions=LivingCompanions.ONLY_YOUNGER)
    assert check("living_companions", [younger], home(resident_ages=(8, 13))) is not None
    assert check("living_companions", [younger], home(resident_ages=(8, 11))) is None
    older = child(age=12, living_companions=LivingCompanions.ONLY_OLDER)
    assert check("living_companions", [older], home(resident_ages=(11, 15))) is not None
    assert check("living_companions", [older], home(resident_ages=(13, 15))) is None
    assert check("living_companions", [older], home(resident_ages=None)) is None


def test_risks():
    sexual = child(age=14, risks={RiskFlag.TO_OTHERS_SEXUAL})
    assert check("risks", [sexual], home(resident_ages=(10,))) is not None
    assert check("risks", [sexual], home(resident_ages=(15, 16))) is None
    physical = child(age=14, risks={RiskFlag.TO_OTHERS_PHYSICAL})
    assert check("risks", [physical], home(resident_ages=(3,))) is not None
    assert check("risks", [physical], home(resident_ages=(8,))) is None
    exploited = child(age=14, risks={RiskFlag.CRIMINAL_EXPLOITATION})
    assert check("risks", [exploited], home()) is not None
    assert check("risks", [exploited], home(needs_met=frozenset({Need.EXPLOITATION_RISK}))) is None


def test_places_to_avoid():
    c = child(places_to_avoid=[(0.0, 0.0, 2.0)])
    assert check("places_to_avoid", [c], home(e=1.5 * MILE)) is not None
    assert check("places_to_avoid", [c], home(e=2.5 * MILE)) is None


def test_split_allowed():
    a, b = child("a"), child("b")
    no_split = referral(a, b, allow_split=False)
    ok_split = referral(a, b, allow_split=True)
    assert check("split", [a], home(), no_split) is not None
    assert check("split", [a], home(), ok_split) is None
    assert check("split", [a], home(e=11 * MILE), ok_split) is not None  # beyond split_max_miles
    assert check("split", [a], home(), ok_split, Policy(allow_split=False)) is not None
    assert check("split", [a, b], home(), no_split) is None  # together is not a split


def test_first_and_all_failures():
    c = child(age=9, sex=Sex.FEMALE)
    h = home(free=0, age_min=10, sexes=frozenset({Sex.MALE}))
    assert first_failure(referral(c), (c,), h, P)[0] == "capacity"
    assert [n for n, _ in all_failures(referral(c), (c,), h, P)] == ["capacity", "age_range", "sex"]
