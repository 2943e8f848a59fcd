"""`rcc demo`: the generated region lands in the register whole, deterministically, and matches Ofsted."""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter

import pytest
from sqlalchemy import func, select

from rcc.admin import load_demo
from rcc.db import transaction
from rcc.db.models import (
    Child,
    Home,
    LocalAuthority,
    Placement,
    Rcc,
    Referral,
    Ssda903Child,
    Ssda903Episode,
    SufficiencyReturn,
    Vacancy,
)
from rcc.demo import generate_region
from rcc.demo.load import AlreadyLoaded, load_region
from rcc.demo.population import RETURN_YEARS, last_return_year
from tests.conftest import DATA_DIR

AS_OF = dt.date(2026, 11, 1)
CHILDRENS_HOME_TYPES = ("Children's home",)


def _snapshot(factory) -> dict:
    with factory() as s:
        homes = s.execute(
            select(
                Home.urn,
                Home.home_type,
                Home.registered_places,
                Home.postcode,
                Home.fee_core,
                LocalAuthority.gss_code,
            )
            .join(LocalAuthority, Home.la_id == LocalAuthority.id)
            .order_by(Home.id)
        ).all()
        children = s.execute(
            select(
                Child.la_child_id, Child.birth_month, Child.sex, Child.home_postcode_sector, Child.needs
            ).order_by(Child.id)
        ).all()
        placements = s.execute(
            select(
                Placement.child_id,
                Placement.home_id,
                Placement.start_date,
                Placement.end_date,
                Placement.weekly_core,
            ).order_by(Placement.id)
        ).all()
        returns = s.execute(
            select(
                SufficiencyReturn.la_id, SufficiencyReturn.collection_year, SufficiencyReturn.version
            ).order_by(SufficiencyReturn.id)
        ).all()
        episodes = s.execute(
            select(
                Ssda903Episode.la_id,
                Ssda903Episode.child,
                Ssda903Episode.decom,
                Ssda903Episode.dec,
                Ssda903Episode.place,
                Ssda903Episode.rec,
            ).order_by(Ssda903Episode.id)
        ).all()
        return {
            "homes": homes,
            "children": children,
            "placements": placements,
            "returns": returns,
            "episodes": episodes,
        }


def test_demo_region_loads(factory):
    lines = load_demo(factory, DATA_DIR, "North East", seed=1, scale=0.1, keys=True)
    assert any(line.startswith("homes: ") for line in lines)
    assert sum("rcc_" in line and not line.startswith("export ") for line in lines) == 4  # one key per role
    exports = dict(kv.split("=", 1) for kv in lines[-1].removeprefix("export ").split())
    assert {"KEY", "LA_KEY", "PROVIDER_KEY", "ADMIN_KEY", "REFERRAL", "HOME_ID"} <= set(exports)
    snap = _snapshot(factory)
    assert len(snap["homes"]) > 100 and len(snap["children"]) > 100 and len(snap["placements"]) > 50


@pytest.mark.slow
def test_same_seed_same_data_in_two_fresh_databases(template_url, tmp_path):
    from tests.conftest import PG_URL

    if PG_URL:
        pytest.skip("needs two independent databases; covered on SQLite")
    import shutil

    from rcc.db import make_engine, make_sessionmaker

    snaps = []
    for name in ("a.db", "b.db"):
        path = tmp_path / name
        shutil.copy(template_url.split("///", 1)[1], path)
        engine = make_engine(f"sqlite:///{path}")
        factory = make_sessionmaker(engine)
        load_demo(factory, DATA_DIR, "North East", seed=1, scale=0.1, keys=False, as_of=AS_OF)
        snaps.append(_snapshot(factory))
        engine.dispose()
    assert snaps[0]["returns"] and snaps[0]["episodes"]
    assert snaps[0] == snaps[1]


def test_homes_and_places_per_la_equal_ofsted_2023(factory):
    demo = generate_region("North East", seed=1, data_dir=DATA_DIR, scale=0.1)
    with transaction(factory) as s:
        load_region(s, demo)
    expected_homes: Counter = Counter()
    expected_places: Counter = Counter()
    with (DATA_DIR / "ofsted_providers_2023.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            if row["region"] == "North East" and row["provision_type"] in CHILDRENS_HOME_TYPES:
                expected_homes[row["la_gss_code"]] += 1
                expected_places[row["la_gss_code"]] += int(row["places"] or 0)
    with factory() as s:
        rows = s.execute(
            select(LocalAuthority.gss_code, func.count(), func.sum(Home.registered_places))
            .join(Home, Home.la_id == LocalAuthority.id)
            .where(Home.home_type.in_(("childrens_home", "short_break_home")))
            .group_by(LocalAuthority.gss_code)
        ).all()
    assert {code: n for code, n, _ in rows} == dict(expected_homes)
    assert {code: p for code, _, p in rows} == dict(expected_places)


def test_loading_twice_changes_nothing(factory):
    demo = generate_region("North East", seed=1, data_dir=DATA_DIR, scale=0.05)
    with transaction(factory) as s:
        load_region(s, demo)
    with factory() as s:
        before = (
            s.scalar(select(func.count()).select_from(Child)),
            s.scalar(select(func.count()).select_from(Home)),
        )
    with pytest.raises(AlreadyLoaded), transaction(factory) as s:
        load_region(s, demo)
    lines = load_demo(factory, DATA_DIR, "North East", seed=1, scale=0.05, keys=False)
    assert lines == ["'North East RCC' is already loaded; nothing changed"]
    with factory() as s:
        after = (
            s.scalar(select(func.count()).select_from(Child)),
            s.scalar(select(func.count()).select_from(Home)),
        )
        assert s.scalar(select(func.count()).select_from(Rcc)) == 1
    assert before == after


def test_loaded_region_is_consistent(factory):
    demo = generate_region("North East", seed=3, data_dir=DATA_DIR, scale=0.1)
    with transaction(factory) as s:
        summary = load_region(s, demo)
    with factory() as s:
        rcc = s.get(Rcc, summary.rcc_id)
        assert len(rcc.members) == 12
        occupied = dict(
            s.execute(
                select(Placement.home_id, func.count())
                .where(Placement.end_date.is_(None))
                .group_by(Placement.home_id)
            ).all()
        )
        spans: dict[int, list] = {}
        for p in s.scalars(select(Placement)):
            spans.setdefault(p.home_id, []).append((p.start_date, p.end_date or dt.date.max))
        for home in s.scalars(select(Home)):
            assert occupied.get(home.id, 0) <= home.registered_places
            # ended placements included, no home ever held more children than its places
            for start, _ in spans.get(home.id, []):
                at_once = sum(a <= start < b for a, b in spans[home.id])
                assert at_once <= home.registered_places, (home.id, start)
        for v in s.scalars(select(Vacancy)):
            assert v.places <= v.home.registered_places - occupied.get(v.home_id, 0)
        for ref in s.scalars(select(Referral)):
            assert all(c.la_id == ref.la_id for c in ref.children)
            assert ref.sibling_count == len(ref.children) - 1


def test_every_member_la_has_returns_from_the_population_the_register_is_drawn_from(factory):
    """One simulated population per LA: several years of returns up to the as-of date, all accepted by
    the returns service; the register's children in care are those children (same id, birth month and
    sex; only those who came into care since the last return's 31 March are not in it); and they have
    ended placements, so moves and stability are not all zero."""
    load_demo(factory, DATA_DIR, "North East", seed=2, scale=0.05, keys=False, as_of=AS_OF)
    last = last_return_year(AS_OF)
    origin = dt.date(last + 1, 3, 31)
    with factory() as s:
        rcc = s.scalars(select(Rcc)).one()
        members = {la.id for la in rcc.members}
        stored = s.execute(
            select(SufficiencyReturn.la_id, SufficiencyReturn.collection_year, SufficiencyReturn.version)
        ).all()
        assert {(la, y) for la, y, _ in stored} == {
            (la, y) for la in members for y in range(last - RETURN_YEARS + 1, last + 1)
        }
        assert {v for *_, v in stored} == {1}
        header = {(c.la_id, c.child): c for c in s.scalars(select(Ssda903Child))}
        open_at_origin = {
            (e.la_id, e.child)
            for e in s.scalars(select(Ssda903Episode))
            if e.decom <= origin and (e.dec is None or e.dec > origin) and e.ls not in ("V3", "V4")
        }
        current = select(Placement.child_id).where(Placement.end_date.is_(None))
        in_care = s.execute(
            select(Child, func.min(Placement.start_date))
            .join(Placement, Placement.child_id == Child.id)
            .where(Child.id.in_(current), Child.la_id.in_(members))
            .group_by(Child.id)
        ).all()
        assert len(in_care) > 100
        linked = 0
        for child, first_start in in_care:
            h = header.get((child.la_id, child.la_child_id))
            if h is None:  # only children who came into care after the last return's 31 March
                assert first_start > origin, child.la_child_id
                continue
            assert (h.dob.year, h.dob.month) == (child.birth_month.year, child.birth_month.month)
            assert (h.sex in ("1", "M")) == (child.sex == "male")
            linked += (child.la_id, child.la_child_id) in open_at_origin
        # ... and most were already in care at the origin (the rest came into care since)
        assert linked > 0.6 * len(in_care)
        ended = s.scalars(select(Placement).where(Placement.end_date.is_not(None))).all()
        assert len(ended) > 20
        assert all(p.start_date < p.end_date <= AS_OF and p.reason_ended for p in ended)
        moved_in_year = {p.child_id for p in ended if p.end_date > AS_OF - dt.timedelta(days=365)}
        assert moved_in_year
