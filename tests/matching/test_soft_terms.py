"""One test per soft term: penalised / not penalised, with the explanation text."""

from __future__ import annotations

from api_schemas.vocab import HomeType, Need, OfstedJudgement, PlacementCategory, Suitability, Urgency
from matching import PAIR_TERMS, Policy
from matching.rules.group import SIBLINGS_TOGETHER, UNMATCHED
from matching.rules.soft import make_context
from tests.matching.factories import MILE, OTHER_LA, child, home, referral

P = Policy()
TERMS = {t.name: t for t in PAIR_TERMS}


def score(term, c, h, homes=None):
    ctx = make_context(P, homes or [h])
    facts = ctx.facts(c, h)
    t = TERMS[term]
    return t.points(c, h, facts, ctx), t.explain(c, h, facts, ctx)


def test_terms_documented_soft():
    for t in (*PAIR_TERMS, SIBLINGS_TOGETHER, UNMATCHED):
        assert type(t).__doc__.startswith("Soft"), t.name


def test_distance_from_home():
    assert score("distance_home", child(), home(e=12.3 * MILE)) == (123, "12.3 miles from home: +123")
    assert score("distance_home", child(), home())[0] == 0


def test_distance_from_school():
    c = child(school_easting=5 * MILE, school_northing=0.0, must_keep_school=True)
    assert score("distance_school", c, home())[0] == 50
    c2 = child(school_easting=5 * MILE, school_northing=0.0, must_keep_school=False)
    assert score("distance_school", c2, home())[0] == 0


def test_school_nearby_counts_a_known_school_that_need_not_be_kept():
    """A school location without "must keep school" is a soft pull at 3 points a mile."""
    known = child(school_easting=5 * MILE, school_northing=0.0, must_keep_school=False)
    assert score("school_nearby", known, home()) == (
        15,
        "5.0 miles from the child's school (not required to keep it): +15",
    )
    assert score("school_nearby", known, home(e=5 * MILE))[0] == 0  # the home is at the school
    keep = child(school_easting=5 * MILE, school_northing=0.0, must_keep_school=True)
    assert score("school_nearby", keep, home())[0] == 0  # counted once, by distance_school
    assert score("school_nearby", child(), home()) == (0, "School location: none given: +0")
    ctx = make_context(Policy(school_location_points_per_mile=7), [home()])
    h = home()
    assert TERMS["school_nearby"].points(known, h, ctx.facts(known, h), ctx) == 35


def test_care_plan_preference():
    c = child(
        suitability={
            PlacementCategory.FOSTER: Suitability.PREFERRED,
            PlacementCategory.RESIDENTIAL: Suitability.SUITABLE,
        }
    )
    pts, text = score("care_plan", c, home(home_type=HomeType.CHILDRENS_HOME))
    assert pts == 400 and text == "Care plan: residential is 'suitable but not preferred': +400"
    assert score("care_plan", c, home(home_type=HomeType.LA_FOSTER))[0] == 0
    assert score("care_plan", child(), home())[0] == P.not_specified


def test_family_based_first():
    c = child()
    assert score("family_based", c, home(home_type=HomeType.CHILDRENS_HOME))[0] == 150
    assert score("family_based", c, home(home_type=HomeType.IFA_FOSTER))[0] == 0
    pref_res = child(suitability={PlacementCategory.RESIDENTIAL: Suitability.PREFERRED})
    assert score("family_based", pref_res, home(home_type=HomeType.CHILDRENS_HOME))[0] == 0


def test_needs_fit():
    h = home(needs_met=frozenset({Need.DISABILITY, Need.COMPLEX_TRAUMA, Need.UASC}))
    assert score("needs_fit", child(), h)[0] == 60  # two scarce specialisms unused (UASC is not scarce)
    assert score("needs_fit", child(needs={Need.DISABILITY, Need.COMPLEX_TRAUMA}), h)[0] == 0


def test_ofsted():
    assert score("ofsted", child(), home(judgement=OfstedJudgement.OUTSTANDING))[0] == 0
    assert score("ofsted", child(), home(judgement=OfstedJudgement.GOOD))[0] == 40
    assert score("ofsted", child(), home(judgement=OfstedJudgement.REQUIRES_IMPROVEMENT))[0] == 150


def test_cost_against_median():
    homes = [
        home("a", HomeType.CHILDRENS_HOME, weekly_fee=4000),
        home("b", HomeType.CHILDRENS_HOME, weekly_fee=4500),
        home("c", HomeType.CHILDRENS_HOME, weekly_fee=4950),
    ]
    pts, text = score("cost", child(), homes[2], homes)
    assert pts == 45
    assert text == "Weekly fee £4,950 vs regional median £4,500 for childrens home: +45"
    assert score("cost", child(), homes[0], homes)[0] == 0  # below the median is not rewarded


def test_cost_is_the_lowest_weight():
    # £1,000 a week above the median weighs less than a care-plan step or 20 miles
    assert 1000 // P.fee_pounds_per_point < P.suitable_not_preferred
    assert 1000 // P.fee_pounds_per_point < 20 * P.points_per_mile


def test_over_20_miles():
    assert score("over_20_miles", child(), home(e=20.5 * MILE))[0] == 300
    assert score("over_20_miles", child(), home(e=19.5 * MILE))[0] == 0


def test_outside_home_la():
    assert score("outside_la", child(), home(la=OTHER_LA))[0] == 150
    assert score("outside_la", child(), home())[0] == 0


def test_siblings_together_and_unmatched():
    r = referral(child("a"), child("b"), urgency=Urgency.TODAY)
    assert SIBLINGS_TOGETHER.points(r, P) == 2 * P.split_siblings_per_child
    assert UNMATCHED.points(r, P) == 2 * (P.unmatched_per_child + 10000)
    r2 = referral(child("a"), urgency=Urgency.AFTER_5_DAYS)
    assert UNMATCHED.points(r2, P) == P.unmatched_per_child
    assert UNMATCHED.points(referral(child("a"), urgency=Urgency.TODAY), P) > UNMATCHED.points(r2, P)
