"""A submission is checked against the LA's stored return for the year before (DfE's 502, 503A-F,
562, NoE, 202-204), on a real database; without a stored previous return the rules are skipped
and the result says so."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from rcc.auth import SYSTEM
from rcc.db import transaction
from rcc.db.models import Ssda903Episode, SufficiencyReturn
from rcc.sufficiency import returns as returns_svc
from rcc.sufficiency.previous import stored_previous
from tests.ssda903_builders import child, episode, files

NEWCASTLE = "E08000021"


@pytest.fixture(autouse=True)
def _las_loaded(factory):
    from rcc.register.service import seed_local_authorities

    with transaction(factory) as s:
        seed_local_authorities(s)


def submit(factory, files_, year, quarantine=False):
    with transaction(factory) as s:
        return returns_svc.submit_return(s, SYSTEM, NEWCASTLE, year, files_, quarantine=quarantine)


def n_returns(factory) -> int:
    with factory() as s:
        return s.scalar(select(func.count()).select_from(SufficiencyReturn))


def first_year(place: str = "U1", dob: str = "15/06/2010"):
    """2020-21: child B came into care on 1 January 2021 and is still there on 31 March."""
    return files([child("B", DOB=dob)], [episode("B", "01/01/2021", PLACE=place)])


def second_year(place: str = "U1", dob: str = "15/06/2010", decom: str = "01/01/2021"):
    """2021-22: B's episode carried on from last year, then a move in June."""
    return files(
        [child("B", DOB=dob)],
        [
            episode("B", decom, "01/06/2021", PLACE=place, REC="X1", REASON_PLACE_CHANGE="CARPL"),
            episode("B", "01/06/2021", RNE="P", PLACE="U4"),
        ],
    )


def codes(exc: returns_svc.ReturnRejected) -> set[tuple[str, str]]:
    return {(d.field, d.message.split(":")[0]) for d in exc.details}


def test_a_second_year_that_contradicts_the_stored_first_year_is_rejected_with_the_dfe_rule(factory):
    first = submit(factory, first_year(), 2020).ret
    before = n_returns(factory)
    with pytest.raises(returns_svc.ReturnRejected) as exc:  # last year's open episode was U1, not U3
        submit(factory, second_year(place="U3"), 2021)
    assert codes(exc.value) == {("episodes[row 2].PLACE", "503D")}
    assert f"run against the stored 2020-21 return (return {first.id}, version 1)" in exc.value.message
    with pytest.raises(returns_svc.ReturnRejected) as exc:  # a different date of birth
        submit(factory, second_year(dob="16/06/2010"), 2021)
    assert codes(exc.value) == {("header[row 2].DOB", "203")}
    with pytest.raises(returns_svc.ReturnRejected) as exc:  # the open episode started on another day
        submit(factory, second_year(decom="02/01/2021"), 2021)
    assert ("episodes[row 2].DECOM", "502") in codes(exc.value)
    assert n_returns(factory) == before  # nothing stored


def test_a_consistent_second_year_is_accepted_and_says_what_it_was_checked_against(factory):
    first = submit(factory, first_year(), 2020)
    assert first.previous_return_id is None
    result = submit(factory, second_year(), 2021)
    assert result.outcome == "accepted" and result.previous_return_id == first.ret.id
    assert result.previous_year_rules.startswith("run against the stored 2020-21 return")


def test_without_a_stored_previous_return_the_rules_are_skipped_and_the_result_says_so(factory):
    # a return two years back is not the previous return: 2019-20 stored, 2020-21 not
    two_back = submit(factory, files([child("B")], [episode("B", "01/01/2020", PLACE="U6")]), 2019).ret
    # the contradicting return is accepted: there is no 2020-21 return to contradict
    result = submit(factory, second_year(place="U3", dob="16/06/2010"), 2021)
    assert result.outcome == "accepted" and result.previous_return_id is None
    assert result.previous_year_rules.startswith("skipped: no stored return for 2020-21")
    with factory() as s:
        assert stored_previous(s, two_back.la_id, 2021) is None
        later = stored_previous(s, two_back.la_id, 2022)
    assert later is not None and later.return_id == result.ret.id
    assert later.tables["header"]["DOB"].dt.strftime("%Y-%m-%d").tolist() == ["2010-06-16"]


def test_the_latest_version_of_the_previous_year_is_the_one_checked(factory):
    submit(factory, first_year(place="U1"), 2020)
    v2 = submit(factory, first_year(place="U3"), 2020).ret  # the LA corrected 2020-21
    assert v2.version == 2
    with pytest.raises(returns_svc.ReturnRejected) as exc:
        submit(factory, second_year(place="U1"), 2021)
    assert ("episodes[row 2].PLACE", "503D") in codes(exc.value)
    assert submit(factory, second_year(place="U3"), 2021).previous_return_id == v2.id
    with factory() as s:
        prev = stored_previous(s, v2.la_id, 2021)
    assert prev is not None and prev.version == 2
    eps = prev.tables["episodes"]
    assert eps["PLACE"].tolist() == ["U3"] and str(eps["DECOM"].dtype).startswith("datetime64")


def test_quarantine_drops_and_lists_the_rows_that_contradict_last_year(factory):
    two = files(
        [child("A"), child("B")],
        [episode("A", "01/02/2021"), episode("B", "01/01/2021")],
    )
    submit(factory, two, 2020)
    # A's open episode now says U3 (503D); B's is consistent
    nxt = files(
        [child("A"), child("B")],
        [episode("A", "01/02/2021", PLACE="U3"), episode("B", "01/01/2021", "01/06/2021", REC="E11")],
    )
    with pytest.raises(returns_svc.ReturnRejected):
        submit(factory, nxt, 2021)
    result = submit(factory, nxt, 2021, quarantine=True)
    assert result.outcome == "accepted" and result.previous_return_id is not None
    assert any(
        p.field == "episodes[row 2].PLACE" and p.message.startswith("503D:") for p in result.quarantined
    )
    with factory() as s:
        listed = s.scalars(
            select(Ssda903Episode.child).where(Ssda903Episode.valid_from_return_id == result.ret.id)
        ).all()
    assert listed == ["B"]  # B's closed episode is the only new row version; A's row was dropped


def latest_check(factory, return_id: int):
    with factory() as s:
        ret = s.get(SufficiencyReturn, return_id)
        assert ret is not None
        check = ret.previous_year_check
        return None if check is None else (check.trigger, check.previous_return_id, check.previous_version,
                                           check.triggered_by_return_id, check.finding_count, check.findings)  # fmt: skip


def test_an_accepted_return_keeps_what_it_was_checked_against(factory):
    first = submit(factory, first_year(), 2020).ret
    assert latest_check(factory, first.id) == ("submission", None, None, None, 0, [])  # skipped: none stored
    second = submit(factory, second_year(), 2021).ret
    assert latest_check(factory, second.id) == ("submission", first.id, 1, None, 0, [])


def test_a_year_that_arrives_after_the_next_one_re_checks_it_and_keeps_the_findings(factory):
    later = submit(factory, second_year(place="U3", dob="16/06/2010"), 2021)
    assert later.previous_return_id is None and later.later_year is None  # accepted: nothing to check against
    before = submit(factory, first_year(), 2020)  # the LA's 2020-21 return arrives afterwards
    assert before.outcome == "accepted"  # the year before is not refused for what the year after says
    recheck = before.later_year
    assert recheck is not None and (recheck.return_id, recheck.collection_year) == (later.ret.id, 2021)
    assert recheck.finding_count == 2
    assert recheck.note.startswith("year 2021-22 re-checked: 2 findings")
    trigger, prev_id, prev_version, by, count, findings = latest_check(factory, later.ret.id)
    assert (trigger, prev_id, prev_version, by, count) == ("recheck", before.ret.id, 1, before.ret.id, 2)
    assert {(f["table"], f["child"], f["decom"], f["field"], f["code"]) for f in findings} == {
        ("episodes", "B", "2021-01-01", "PLACE", "503D"),
        ("header", "B", None, "DOB", "203"),
    }
    with factory() as s:  # the later year stays accepted and in effect
        ret = s.get(SufficiencyReturn, later.ret.id)
        assert ret is not None and ret.status == "accepted" and len(ret.checks) == 2


def test_a_new_version_of_the_year_before_re_checks_the_stored_year_after(factory):
    submit(factory, first_year(place="U1"), 2020)
    later = submit(factory, second_year(place="U1"), 2021).ret
    assert latest_check(factory, later.id)[4] == 0
    v2 = submit(factory, first_year(place="U3"), 2020)  # the LA corrects 2020-21 after sending 2021-22
    assert v2.ret.version == 2 and v2.later_year is not None and v2.later_year.finding_count == 1
    trigger, prev_id, prev_version, by, count, findings = latest_check(factory, later.id)
    assert (trigger, prev_id, prev_version, by, count) == ("recheck", v2.ret.id, 2, v2.ret.id, 1)
    assert findings[0]["code"] == "503D"
    v3 = submit(factory, first_year(place="U1"), 2020)  # and back: the findings clear
    assert v3.later_year is not None and v3.later_year.finding_count == 0
    assert latest_check(factory, later.id)[:5] == ("recheck", v3.ret.id, 3, v3.ret.id, 0)
    unchanged = submit(factory, first_year(place="U1"), 2020)  # identical: nothing stored, nothing re-checked
    assert unchanged.outcome == "unchanged" and unchanged.later_year is None


def test_returns_stored_before_checks_were_kept_are_checked_once_by_the_backfill(factory):
    from rcc.db.models import SufficiencyReturnCheck
    from rcc.sufficiency.previous import check_unrecorded

    later = submit(factory, second_year(place="U3", dob="16/06/2010"), 2021).ret  # accepted: no 2020-21 yet
    first = submit(factory, first_year(place="U1"), 2020).ret
    with transaction(factory) as s:  # as a database upgraded to 0011 has them: no check rows
        s.execute(SufficiencyReturnCheck.__table__.delete())
    assert latest_check(factory, first.id) is None and latest_check(factory, later.id) is None
    with transaction(factory) as s:
        done = check_unrecorded(s)
    assert [(b.return_id, b.previous_return_id, b.finding_count) for b in done] == [
        (first.id, None, 0), (later.id, first.id, 2)
    ]
    assert latest_check(factory, first.id) == ("backfill", None, None, None, 0, [])  # skipped: no 2019-20
    trigger, prev_id, prev_version, by, count, findings = latest_check(factory, later.id)
    assert (trigger, prev_id, prev_version, by, count) == ("backfill", first.id, 1, None, 2)
    assert {(f["field"], f["code"]) for f in findings} == {("PLACE", "503D"), ("DOB", "203")}
    with factory() as s:
        ret = s.get(SufficiencyReturn, later.id)
        assert ret is not None and ret.status == "accepted"  # findings to correct, not a refusal
    with transaction(factory) as s:
        assert check_unrecorded(s) == []  # nothing left: a second run records nothing


def test_the_backfill_finds_what_a_later_correction_of_the_year_before_contradicts(factory):
    from rcc.db.models import SufficiencyReturnCheck
    from rcc.sufficiency.previous import check_unrecorded

    submit(factory, first_year(place="U1"), 2020)
    later = submit(factory, second_year(place="U1"), 2021).ret
    v2 = submit(factory, first_year(place="U3"), 2020).ret
    with transaction(factory) as s:
        s.execute(SufficiencyReturnCheck.__table__.delete())
    with transaction(factory) as s:
        done = check_unrecorded(s)
    assert {b.return_id for b in done} == {v2.id, later.id}  # version 1 of 2020-21 is no longer in effect
    trigger, prev_id, prev_version, _, count, findings = latest_check(factory, later.id)
    assert (trigger, prev_id, prev_version, count) == ("backfill", v2.id, 2, 1)
    assert findings[0]["code"] == "503D"
