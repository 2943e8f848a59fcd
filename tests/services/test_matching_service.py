"""Matching in the service: adapters from register rows, policy overrides, shortlist and choices."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from api_schemas.matching import ChoiceIn, MatchingPolicyIn
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
from rcc import geo
from rcc.auth import SYSTEM
from rcc.db.models import Child, Home, LocalAuthority, Placement, Provider, Referral, Vacancy, utcnow
from rcc.errors import Forbidden, Invalid
from rcc.matching import adapters as adapters_svc
from rcc.matching import policy as policy_svc
from rcc.matching import shortlist as shortlist_svc

TODAY = dt.date.today()


def _la(s, code: str) -> LocalAuthority:
    return s.scalar(select(LocalAuthority).where(LocalAuthority.gss_code == code))


def _home(s, provider: Provider, postcode: str, la: LocalAuthority, **kw) -> Home:
    p = geo.geocode(postcode)
    fields = dict(
        provider_id=provider.id,
        name=f"Home {postcode}",
        home_type="childrens_home",
        ofsted_judgement="good",
        postcode=postcode,
        easting=p.easting,
        northing=p.northing,
        la_id=la.id,
        registered_places=3,
        age_min=8,
        age_max=17,
        sexes_accepted=["male", "female"],
        needs_met=["complex_trauma"],
        fee_core=4000,
    )
    fields.update(kw)
    h = Home(**fields)
    s.add(h)
    s.flush()
    return h


def _child(s, la: LocalAuthority, ref_id: str, born: dt.date, postcode: str = "NE1 4", **kw) -> Child:
    p = geo.geocode(postcode)
    fields = dict(
        la_id=la.id,
        la_child_id=ref_id,
        birth_month=born,
        sex="female",
        needs=["complex_trauma"],
        home_postcode_sector=postcode,
        home_easting=p.easting,
        home_northing=p.northing,
        suitability={"foster": "suitable", "residential": "preferred", "supported": "unsuitable"},
    )
    fields.update(kw)
    c = Child(**fields)
    s.add(c)
    s.flush()
    return c


def _years_ago(n: int) -> dt.date:
    return dt.date(TODAY.year - n, 1, 1)


@pytest.fixture
def register(session):
    newcastle, middlesbrough = _la(session, "E08000021"), _la(session, "E06000002")
    provider = Provider(name="Acme", sector="private")
    session.add(provider)
    session.flush()
    return session, newcastle, middlesbrough, provider


def test_child_adapter_builds_the_profile(register):
    s, ncl, _, _ = register
    school = geo.geocode("NE6 1")
    avoid = geo.geocode("SR1 1")
    c = _child(
        s, ncl, "C1", _years_ago(13).replace(month=1),
        needs=["complex_trauma", "exploitation_risk"], risks=["riskMissing", "riskToOthersSexual"],
        living_companions="only_younger", school_postcode_sector="NE6 1", school_easting=school.easting,
        school_northing=school.northing, must_keep_school=True,
        places_to_avoid=[{"postcode": "SR1 1", "easting": avoid.easting, "northing": avoid.northing, "radius_miles": 3}],
    )  # fmt: skip
    p = adapters_svc.child_profile(c, "E08000021", TODAY)
    assert p.id == str(c.id) and p.age_years == 13 and p.sex is Sex.FEMALE and p.home_la == "E08000021"
    assert p.needs == {Need.COMPLEX_TRAUMA, Need.EXPLOITATION_RISK}
    assert p.risks == {RiskFlag.MISSING, RiskFlag.TO_OTHERS_SEXUAL}
    assert p.suitability_of(PlacementCategory.RESIDENTIAL) is Suitability.PREFERRED
    assert p.suitability_of(PlacementCategory.FOSTER) is Suitability.SUITABLE
    assert p.suitability_of(PlacementCategory.SUPPORTED) is Suitability.UNSUITABLE
    assert p.living_companions is LivingCompanions.ONLY_YOUNGER
    assert (p.school_easting, p.must_keep_school) == (school.easting, True)
    assert p.places_to_avoid == ((avoid.easting, avoid.northing, 3.0),)
    ref = Referral(la_id=ncl.id, needed_by="Today", children=[c], allow_split=False)
    s.add(ref)
    s.flush()
    lref = adapters_svc.to_referral(ref, adapters_svc.la_codes(s), TODAY)
    assert lref.id == str(ref.id) and lref.urgency is Urgency.TODAY and lref.la == "E08000021"
    assert lref.children == (p,)


def test_home_adapter_counts_free_places_residents_and_vacancies(register):
    s, ncl, _, provider = register
    h = _home(s, provider, "NE1 4", ncl, registered_places=3, ofsted_judgement=None, fee_other=250)
    resident = _child(s, ncl, "R1", _years_ago(15))
    gone = _child(s, ncl, "R2", _years_ago(9))
    s.add_all([
        Placement(child_id=resident.id, home_id=h.id, start_date=TODAY - dt.timedelta(days=90)),
        Placement(child_id=gone.id, home_id=h.id, start_date=TODAY - dt.timedelta(days=400),
                  end_date=TODAY - dt.timedelta(days=10), reason_ended="CARPL"),
    ])  # fmt: skip
    s.flush()
    supply = adapters_svc.load_supply(s, [ncl.id], TODAY)
    (mh,) = supply.homes
    assert mh.id == str(h.id) and mh.home_type is HomeType.CHILDRENS_HOME and mh.la == "E08000021"
    assert mh.free_places == 2  # 3 registered - 1 current placement (the ended one does not count)
    assert mh.resident_ages == (15,)
    assert mh.judgement is OfstedJudgement.NOT_YET_INSPECTED and mh.weekly_fee == 4250
    assert mh.sexes == {Sex.MALE, Sex.FEMALE} and mh.needs_met == {Need.COMPLEX_TRAUMA}
    # declared vacancies cap the free places; one dated in the future is not a place yet
    s.add(Vacancy(home_id=h.id, places=1, available_from=TODAY, confirmed_by="x", confirmed_at=utcnow()))
    s.add(Vacancy(home_id=h.id, places=1, available_from=TODAY + dt.timedelta(days=30), confirmed_by="x",
                  confirmed_at=utcnow()))  # fmt: skip
    s.flush()
    assert adapters_svc.load_supply(s, [ncl.id], TODAY).homes[0].free_places == 1
    assert adapters_svc.load_supply(s, [ncl.id], TODAY + dt.timedelta(days=31)).homes[0].free_places == 2
    assert (
        adapters_svc.free_places(3, 5, None) == 0
        and adapters_svc.free_places(4, 1, 0) == 0
        and adapters_svc.free_places(4, 1, 9) == 3
    )


def test_shortlist_ranks_the_nearer_home_first_and_explains_exclusions(register):
    s, ncl, mbro, provider = register
    near = _home(s, provider, "NE6 1", ncl, name="Near")
    far = _home(s, provider, "TS1 1", mbro, name="Far")
    _home(s, provider, "NE4 5", ncl, name="Too young only", age_min=0, age_max=7)
    _home(s, provider, "NE3 1", ncl, name="Full", registered_places=1, needs_met=[])
    _home(s, provider, "NE1 4", ncl, name="No trauma care", needs_met=[])
    occupant = _child(s, ncl, "OCC", _years_ago(16), needs=[])
    s.flush()
    s.add(Placement(child_id=occupant.id, home_id=s.scalar(select(Home.id).where(Home.name == "Full")),
                    start_date=TODAY - dt.timedelta(days=5)))  # fmt: skip
    c = _child(s, ncl, "C1", _years_ago(12))
    ref = Referral(la_id=ncl.id, needed_by="< 5 days", children=[c])
    s.add(ref)
    s.flush()
    out = shortlist_svc.shortlist(s, SYSTEM, ref.id, top_n=5)
    assert [e["home_id"] for e in out["entries"]] == [near.id, far.id]
    first, second = out["entries"]
    assert first["miles"] < 2 < 30 < second["miles"]
    assert first["points"] < second["points"]
    text = " | ".join(second["explanation"])
    assert "miles from home" in text and "More than 20 miles from home: +300" in text
    assert "Outside the child's home local authority: +150" in text
    assert any(c["term"] == "distance_home" for c in first["contributions"])
    assert out["excluded"] == {"age_range": 1, "capacity": 1, "needs": 1}
    assert out["excluded_total"] == 3 and out["eligible_total"] == 2 and out["homes_considered"] == 5
    assert "3 homes excluded:" in out["summary"]
    assert all(part in out["summary"] for part in ("1 age range", "1 needs", "1 no free place"))
    # an officer's own choice: the far home is lawful but worse; the young-only home breaks a rule
    choice = shortlist_svc.validate_choice(s, SYSTEM, ref.id, ChoiceIn(home_ids={c.id: far.id}))
    assert choice["choice"]["ok"] and choice["best"]["home_ids"] == {c.id: near.id}
    assert choice["difference"] == second["points"] - first["points"] > 0
    young = s.scalar(select(Home.id).where(Home.name == "Too young only"))
    bad = shortlist_svc.validate_choice(s, SYSTEM, ref.id, ChoiceIn(home_ids={c.id: young}))
    assert not bad["choice"]["ok"] and "age_range" in bad["choice"]["violations_by_rule"]
    with pytest.raises(Invalid) as e:
        shortlist_svc.validate_choice(s, SYSTEM, ref.id, ChoiceIn(home_ids={c.id: 999999}))
    assert e.value.details[0].field == f"home_ids.{c.id}"


def test_a_school_location_without_must_keep_is_a_soft_factor_in_words(register):
    """issue 13: a school sector given on a referral counts, even when the child need not keep the school."""
    s, ncl, mbro, provider = register
    by_school = _home(s, provider, "NE6 1", ncl, name="By the school")
    by_family = _home(s, provider, "NE1 4", ncl, name="By the family home")
    school = geo.geocode("NE6 1")
    c = _child(s, ncl, "SCH", _years_ago(12), school_postcode_sector="NE6 1", school_easting=school.easting,
               school_northing=school.northing, must_keep_school=False)  # fmt: skip
    ref = Referral(la_id=ncl.id, needed_by="< 5 days", children=[c])
    s.add(ref)
    s.flush()
    out = shortlist_svc.shortlist(s, SYSTEM, ref.id, top_n=5)
    entries = {e["home_id"]: e for e in out["entries"]}
    far_from_school = {x["term"]: x for x in entries[by_family.id]["contributions"]}["school_nearby"]
    at_school = {x["term"]: x for x in entries[by_school.id]["contributions"]}["school_nearby"]
    assert far_from_school["points"] > at_school["points"] == 0
    assert "miles from the child's school (not required to keep it)" in far_from_school["text"]
    assert "school_nearby" in out["factor_order"]
    assert all("not a factor" not in line for e in out["entries"] for line in e["explanation"])


def test_rcc_policy_overrides_are_checked_and_used(world, factory):
    from rcc.auth import Principal, Role
    from rcc.db import transaction

    commissioner = Principal(None, Role.RCC_COMMISSIONER, rcc_id=world.rcc_id)
    with transaction(factory) as s:
        view = policy_svc.put_policy(s, commissioner, world.rcc_id, MatchingPolicyIn(
            overrides={"points_per_mile": 25, "urgency_extra_per_child": {"Today": 7}}))  # fmt: skip
        assert view.effective["points_per_mile"] == 25 and view.defaults["points_per_mile"] == 10
        assert view.effective["urgency_extra_per_child"]["Today"] == 7
        assert view.effective["urgency_extra_per_child"]["< 5 days"] == 5000  # others keep their default
    with factory() as s:
        policy = policy_svc.policy_for_rcc(s, world.rcc_id)
        assert policy.points_per_mile == 25 and policy.urgency_extra(Urgency.TODAY) == 7
        for bad, field in [
            ({"points_per_mile": -1}, "overrides.points_per_mile"),
            ({"points_per_mile": "ten"}, "overrides.points_per_mile"),
            ({"no_such_weight": 1}, "overrides.no_such_weight"),
            ({"urgency_extra_per_child": {"Tomorrow": 1}}, "overrides.urgency_extra_per_child.Tomorrow"),
            ({"allow_split": 1}, "overrides.allow_split"),
            ({"fee_pounds_per_point": 0}, "overrides.fee_pounds_per_point"),
        ]:
            with pytest.raises(Invalid) as e:
                policy_svc.put_policy(s, commissioner, world.rcc_id, MatchingPolicyIn(overrides=bad))
            assert e.value.details[0].field == field
        with pytest.raises(Forbidden):
            policy_svc.get_policy(s, Principal(None, Role.LA_OFFICER, la_id=1), world.rcc_id)
    # a stored setting the library has since dropped is ignored, not fatal
    assert policy_svc.policy_from_overrides({"retired_weight": 3, "over_20_miles": 1}).over_20_miles == 1
