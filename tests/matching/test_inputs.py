"""Bad records are excluded and reported per field; they never abort a run."""

from __future__ import annotations

import dataclasses
import math

import pytest
from hypothesis import given, settings

from matching import (
    InvalidInput,
    Referral,
    Status,
    check_referral,
    greedy_nearest,
    shortlist,
    solve,
    split_valid,
    validate,
)
from tests.matching.factories import MILE, child, home, referral
from tests.matching.strategies import referrals


def fields(excl, record_id):
    return {x.field for x in excl if x.record_id == record_id}


def test_bad_records_are_excluded_with_their_field_and_the_rest_is_solved():
    good = referral(child("ok"), rid="good")
    refs = [
        good,
        referral(child("nan", e=math.nan), rid="nan_child"),
        referral(
            child("sch", school_easting=math.inf, school_northing=0.0, must_keep_school=True), rid="school"
        ),
        Referral(id="empty", children=()),
        referral(child("old", age=40), rid="age"),
        referral(child("dup1"), rid="twice"),
        referral(child("dup2"), rid="twice"),
        referral(child("same"), rid="c1"),
        referral(child("same"), rid="c2"),
    ]
    homes = [home("h1", e=MILE, free=3), home("bad", e=math.nan), home("h2", free=1), home("h2", free=1)]
    res = solve(refs, homes)
    assert res.status is Status.OPTIMAL
    assert [m.referral_id for m in res.matches] == ["good"] and res.assignment.as_dict() == {"ok": "h1"}
    ex = res.excluded
    assert fields(ex, "nan_child") == {"children[0].home_easting"}
    assert fields(ex, "school") == {"children[0].school_easting"}
    assert fields(ex, "empty") == {"children"}
    assert fields(ex, "age") == {"children[0].age_years"}
    assert fields(ex, "twice") == {"id"} and sum(x.record_id == "twice" for x in ex) == 2
    assert fields(ex, "c1") == {"children[0].id"} and fields(ex, "c2") == {"children[0].id"}
    assert fields(ex, "bad") == {"easting"}
    assert fields(ex, "h2") == {"id"}
    assert {x.kind for x in ex if x.record_id in ("bad", "h2")} == {"home"}
    assert greedy_nearest(refs, homes).excluded == ex
    assert "invalid" in validate({}, refs, homes).by_rule()


def test_single_referral_validation_names_the_field_for_a_422():
    bad = referral(child("a", n=math.nan), child("b", age=-1), rid="r")
    problems = check_referral(bad)
    assert [(p.field, p.kind) for p in problems] == [
        ("children[0].home_northing", "referral"),
        ("children[1].age_years", "referral"),
    ]
    with pytest.raises(InvalidInput) as err:
        shortlist(bad, [home()])
    assert err.value.exclusions == problems and "children[0].home_northing" in str(err.value)
    assert check_referral(referral(child("ok"))) == ()


@settings(max_examples=30, deadline=None)
@given(ref=referrals("r0"))
def test_a_generated_referral_is_valid_and_a_broken_copy_is_not(ref):
    assert check_referral(ref) == ()
    broken = dataclasses.replace(
        ref, children=(dataclasses.replace(ref.children[0], home_easting=math.nan), *ref.children[1:])
    )
    refs, _, excl = split_valid([broken], [])
    assert refs == () and [x.field for x in excl] == ["children[0].home_easting"]
