"""Unmet need is recorded once per (referral, child, kind), even when two writers race.

The race this guards against: two matching runs (or a run and an offer) each look for the record,
find none, and insert one. The unique index makes a second row impossible and the writers' upsert
turns the second insert into a refresh of the first, so neither fails."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from rcc import geo
from rcc.db import transaction
from rcc.db.models import Child, LocalAuthority, Referral, UnmetNeedRecord
from rcc.matching.unmet import upsert_unmet


@pytest.fixture
def referral(factory) -> tuple[int, int, int]:
    with transaction(factory) as s:
        la = s.scalar(select(LocalAuthority).where(LocalAuthority.gss_code == "E08000021"))
        p = geo.geocode("NE1 4")
        child = Child(
            la_id=la.id, la_child_id="U1", birth_month=dt.date(2012, 1, 1), sex="female", needs=[],
            home_postcode_sector="NE1 4", home_easting=p.easting, home_northing=p.northing,
        )  # fmt: skip
        ref = Referral(la_id=la.id, needed_by="Today", children=[child])
        s.add(ref)
        s.flush()
        return ref.id, la.id, child.id


def _rows(factory, referral_id: int) -> list[UnmetNeedRecord]:
    with factory() as s:
        return list(s.scalars(select(UnmetNeedRecord).where(UnmetNeedRecord.referral_id == referral_id)))


@pytest.mark.parametrize("child", [False, True], ids=["referral-level", "per-child"])
def test_two_writers_racing_leave_one_record_and_neither_fails(db_url, factory, referral, child):
    if not db_url.startswith("postgresql"):
        pytest.skip(
            "SQLite runs one writer at a time: a reader that then writes gets 'database is locked' (503)"
        )
    ref_id, la_id, child_id = referral
    who = child_id if child else None
    barrier = threading.Barrier(2, timeout=20)
    errors: list[BaseException] = []

    def write(detail: str) -> None:
        try:
            with transaction(factory) as s:
                # what the old code did first: look, and find nothing (the other writer has not committed)
                found = s.scalar(
                    select(func.count())
                    .select_from(UnmetNeedRecord)
                    .where(UnmetNeedRecord.referral_id == ref_id)
                )
                assert found == 0
                barrier.wait()  # both have looked; now both write
                upsert_unmet(
                    s, referral_id=ref_id, la_id=la_id, child_id=who, kind="no_eligible_home", detail=detail
                )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(f"run {n}",)) for n in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    (row,) = _rows(factory, ref_id)
    assert row.child_id == who and row.kind == "no_eligible_home" and row.detail in ("run 1", "run 2")


def test_a_later_write_refreshes_the_record_and_another_kind_adds_one(factory, referral):
    ref_id, la_id, _ = referral
    with transaction(factory) as s:
        upsert_unmet(
            s, referral_id=ref_id, la_id=la_id, child_id=None, kind="no_eligible_home", detail="first"
        )
    with transaction(factory) as s:
        upsert_unmet(s, referral_id=ref_id, la_id=la_id, child_id=None, kind="no_eligible_home",
                     detail="second", distance_miles=3.5)  # fmt: skip
        upsert_unmet(
            s, referral_id=ref_id, la_id=la_id, child_id=None, kind="no_place_left_in_run", detail="x"
        )
    rows = sorted(_rows(factory, ref_id), key=lambda r: r.kind)
    assert [(r.kind, r.detail, r.distance_miles) for r in rows] == [
        ("no_eligible_home", "second", 3.5), ("no_place_left_in_run", "x", None)
    ]  # fmt: skip


def test_the_database_refuses_a_duplicate_whoever_inserts_it(factory, referral):
    """The constraint, not only the writer, holds the rule (a NULL child counts as one key)."""
    ref_id, la_id, _ = referral
    insert = text(
        "INSERT INTO unmet_need_records (referral_id, la_id, child_id, kind, detail, recorded_at)"
        " VALUES (:r, :la, NULL, 'no_eligible_home', 'd', CURRENT_TIMESTAMP)"
    )
    with transaction(factory) as s:
        s.execute(insert, {"r": ref_id, "la": la_id})
    with pytest.raises(IntegrityError), transaction(factory) as s:
        s.execute(insert, {"r": ref_id, "la": la_id})
    assert len(_rows(factory, ref_id)) == 1


def test_upsert_refuses_a_field_it_does_not_know(factory, referral):
    ref_id, la_id, _ = referral
    with pytest.raises(TypeError, match="colour"), factory() as s:
        upsert_unmet(s, referral_id=ref_id, la_id=la_id, child_id=None, kind="k", detail="d", colour="red")
