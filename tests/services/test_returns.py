"""SSDA903 returns on a real database: validation before storage, versions, history, scope."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from rcc.auth import SYSTEM, Role, authenticate
from rcc.db import transaction
from rcc.db.models import (
    LocalAuthority,
    Ssda903Child,
    Ssda903Episode,
    Ssda903ReturnRow,
    Ssda903Uasc,
    SufficiencyReturn,
)
from rcc.errors import Forbidden
from rcc.sufficiency import episodes as episodes_svc
from rcc.sufficiency import returns as returns_svc
from rcc.sufficiency import stored
from rcc.sufficiency.ssda903 import load_sample_year, quarantine
from tests.ssda903_builders import child, episode, files, return_2021

STORED = (SufficiencyReturn, Ssda903Child, Ssda903Episode, Ssda903Uasc, Ssda903ReturnRow)
NEWCASTLE = "E08000021"


@pytest.fixture(autouse=True)
def _las_loaded(factory):
    """On PostgreSQL the migration test (downgrade to base, upgrade) leaves the shared database
    without the LA reference rows the template had; load them again (a no-op when present)."""
    from rcc.register.service import seed_local_authorities

    with transaction(factory) as s:
        seed_local_authorities(s)


def counts(factory) -> dict[str, int]:
    with factory() as s:
        return {m.__tablename__: s.scalar(select(func.count()).select_from(m)) for m in STORED}


def submit(factory, files_, year=2021, la=NEWCASTLE, who=SYSTEM):
    with transaction(factory) as s:
        return returns_svc.submit_return(s, who, la, year, files_)


def la_id(factory, code=NEWCASTLE) -> int:
    with factory() as s:
        return s.scalar(select(LocalAuthority.id).where(LocalAuthority.gss_code == code))


def current(factory, code=NEWCASTLE):
    with factory() as s:
        return episodes_svc.current_episodes(s, [la_id(factory, code)])


def test_bad_return_is_rejected_row_by_row_and_nothing_is_stored(factory):
    bad = files(
        [child("A"), child("B", ETHNIC="XXXX")],
        [
            episode("A", "10/05/2021", "01/04/2021"),  # ends before it starts
            episode("B", "01/06/2021", PLACE="ZZ"),
            episode("C", "01/07/2021"),  # not in the header
        ],
    )
    before = counts(factory)
    with pytest.raises(returns_svc.ReturnRejected) as exc:
        submit(factory, bad)
    assert counts(factory) == before
    err = exc.value
    assert err.status == 422 and "nothing was stored" in err.message
    got = {(d.field, d.message.split(":")[0]) for d in err.details}
    assert {  # spreadsheet rows: the column names are row 1
        ("header[row 3].ETHNIC", "103"),
        ("episodes[row 2].DEC", "356"),
        ("episodes[row 3].PLACE", "146"),
        ("episodes[row 4].CHILD", "INT03"),
    } <= got


def test_good_return_is_stored_as_version_1(factory):
    result = submit(factory, return_2021())
    assert result.outcome == "accepted" and not result.unchanged
    ret = result.ret
    assert (ret.version, ret.collection_year, ret.la_code) == (1, 2021, NEWCASTLE)
    assert ret.rows == {"header": 2, "episodes": 3, "uasc": 1}
    assert ret.changes["episodes"] == {
        "added": 3,
        "revised": 0,
        "unchanged": 0,
        "withdrawn": 0,
        "superseded": 0,
    }
    df = current(factory)
    assert list(df.columns) == list(stored.EPISODE_COLUMNS) and len(df) == 3
    assert set(df["HOME_POST"]) == {"NE1 4"} and set(df["PL_POST"]) == {
        "NE2 1"
    }  # sectors, never full postcodes
    b = df[df["CHILD"] == "B"].iloc[0]
    assert (
        bool(b["UASC"]) and str(b["DOB"].date()) == "2008-02-03" and b["SEX"] == "2" and b["la"] == NEWCASTLE
    )
    assert df["DEC"].isna().sum() == 2 and str(df["first_seen"].iloc[0].date()) == "2022-03-31"
    assert not df[df["CHILD"] == "A"]["UASC"].any()
    assert "upn" not in Ssda903Child.__table__.columns and "mother" not in Ssda903Child.__table__.columns


def test_the_same_return_twice_changes_nothing(factory):
    first = submit(factory, return_2021())
    before = counts(factory)
    again = submit(factory, return_2021())
    assert again.outcome == "unchanged" and again.ret.id == first.ret.id and again.ret.version == 1
    assert counts(factory) == before
    # the same content re-saved differently (ISO dates, CRLF, rows reordered) is still the same return
    f = return_2021()
    lines = f["episodes"].decode().splitlines()
    reordered = "\r\n".join([lines[0], *reversed(lines[1:])]).replace("10/05/2021", "2021-05-10") + "\r\n"
    f["episodes"] = reordered.encode()
    assert submit(factory, f).outcome == "unchanged"
    assert counts(factory) == before


def test_a_revised_return_keeps_the_history(factory):
    v1 = submit(factory, return_2021()).ret
    revised = files(
        [child("A"), child("B", SEX="2", DOB="03/02/2008", ETHNIC="BAFR")],
        [
            episode("A", "10/05/2021", "01/09/2021", REC="X1", REASON_PLACE_CHANGE="CARPL"),
            episode("A", "01/09/2021", RNE="P", PLACE="K1", PLACE_PROVIDER="PR4", URN="SC123456"),  # K2 -> K1
        ],  # B's episode withdrawn
    )
    v2 = submit(factory, revised).ret
    assert v2.version == 2 and v2.id != v1.id
    assert v2.changes["episodes"] == {
        "added": 0,
        "revised": 1,
        "unchanged": 1,
        "withdrawn": 1,
        "superseded": 0,
    }
    df = current(factory)
    assert sorted(df["PLACE"]) == ["K1", "U1"] and "B" not in set(df["CHILD"])
    with factory() as s:
        versions = s.scalars(
            select(Ssda903Episode).where(Ssda903Episode.child == "A").order_by(Ssda903Episode.id)
        ).all()
        k = [(e.place, e.valid_from_return_id, e.valid_to_return_id) for e in versions if e.place != "U1"]
        assert k == [("K2", v1.id, v2.id), ("K1", v2.id, None)]
        b = s.scalars(select(Ssda903Episode).where(Ssda903Episode.child == "B")).one()
        assert b.valid_to_return_id == v2.id  # kept in history, no longer current
    # putting B back (a v3) makes it current again
    assert submit(factory, return_2021()).ret.changes["episodes"]["added"] == 1
    assert sorted(current(factory)["PLACE"]) == ["K2", "U1", "U1"]


def test_a_later_year_closes_an_episode_an_earlier_year_left_open(factory):
    r2020 = files([child("B")], [episode("B", "01/01/2021")])
    submit(factory, r2020, year=2020)
    r2021 = files(
        [child("B")],
        [episode("B", "01/01/2021", "01/06/2021", REC="X1"), episode("B", "01/06/2021", RNE="P", PLACE="U4")],
    )
    ret = submit(factory, r2021, year=2021).ret
    assert ret.changes["episodes"]["revised"] == 1 and ret.changes["episodes"]["added"] == 1
    df = current(factory)
    first = df[df["DECOM"] == "2021-01-01"].iloc[0]
    assert (
        str(first["DEC"].date()) == "2021-06-01" and first["REC"] == "X1" and first["collection_year"] == 2021
    )
    assert str(first["first_seen"].date()) == "2021-03-31"  # first listed by the 2020-21 return
    # the origin view: only the 2020-21 return existed, so the episode was open
    with factory() as s:
        then = episodes_svc.episodes_as_of_returns(s, [la_id(factory)], 2020)
    assert len(then) == 1 and then["DEC"].isna().all()
    # a corrected 2020-21 return does not undo what 2021-22 said, but is what 2020-21 now says
    fixed = files([child("B")], [episode("B", "01/01/2021", CIN="N4")])
    r = submit(factory, fixed, year=2020).ret
    assert r.version == 2 and r.changes["episodes"]["superseded"] == 1
    assert current(factory).loc[lambda d: d["DECOM"] == "2021-01-01", "CIN"].tolist() == ["N1"]
    with factory() as s:
        then = episodes_svc.episodes_as_of_returns(s, [la_id(factory)], 2020)
    assert then["CIN"].tolist() == ["N4"]


def test_only_the_las_own_officer_or_its_rcc_may_submit(factory, world):
    with factory() as s:
        officer_b = authenticate(s, world.keys["officer_b"])
        officer_a = authenticate(s, world.keys["officer_a"])
        commissioner = authenticate(s, world.keys["commissioner"])
        provider = authenticate(s, world.keys["provider_a"])
    before = counts(factory)
    for who, la in ((officer_b, world.la_a), (provider, world.la_a), (commissioner, world.la_out)):
        with pytest.raises(Forbidden):
            submit(factory, return_2021(), la=la, who=who)
    assert counts(factory) == before
    assert officer_a.role is Role.LA_OFFICER
    assert submit(factory, return_2021(), la=world.la_a, who=officer_a).ret.api_key_id == officer_a.key_id
    assert submit(factory, return_2021(), la=world.la_b, who=commissioner).outcome == "accepted"
    with factory() as s:
        from rcc.pagination import PageRequest

        assert returns_svc.list_returns(s, officer_b, PageRequest()).total == 1
        assert returns_svc.list_returns(s, commissioner, PageRequest()).total == 2


def test_a_quarantined_sample_year_is_stored(factory):
    sample = load_sample_year(2021).files
    with pytest.raises(returns_svc.ReturnRejected) as exc:  # the sample has real overlapping episodes
        submit(factory, sample, year=None)
    assert any(d.message.startswith("501:") for d in exc.value.details)
    clean, dropped = quarantine(sample, 2021)
    result = submit(factory, clean, year=None)
    assert result.collection_year_inferred and result.ret.collection_year == 2021
    n_episodes = len(clean["episodes"].decode().strip().splitlines()) - 1
    assert result.ret.episode_rows == n_episodes == result.ret.changes["episodes"]["added"]
    assert len(dropped) >= 1
    df = current(factory)
    assert len(df) == n_episodes and df["DOB"].notna().all()
    assert df["HOME_POST"].dropna().str.len().max() <= 6


def test_a_failure_after_the_bulk_inserts_stores_nothing_of_the_return(factory, monkeypatch):
    """The rows are written in bulk inside the submission's transaction: a failure after the new
    versions are inserted (here, at the bulk UPDATE) leaves no return, row version or link behind."""
    from rcc.sufficiency import versioning

    submit(factory, return_2021())
    before = counts(factory)
    revised = files([child("A")], [episode("A", "10/05/2021", "01/09/2021", PLACE="U3")])

    def fail(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(versioning, "_update", fail)
    with pytest.raises(RuntimeError):
        submit(factory, revised)
    assert counts(factory) == before
    monkeypatch.undo()
    assert submit(factory, revised).ret.version == 2  # and the same return goes in afterwards
    assert counts(factory) != before
