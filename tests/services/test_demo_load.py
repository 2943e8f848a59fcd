"""`rcc demo`: the generated region lands in the register whole, deterministically, and matches Ofsted."""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter

import pytest
from sqlalchemy import func, select

from rcc.admin import load_demo
from rcc.db import transaction
from rcc.db.models import Child, Home, LocalAuthority, Placement, Rcc, Referral, Vacancy
from rcc.demo import generate_region
from rcc.demo.load import AlreadyLoaded, load_region
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
            select(Placement.child_id, Placement.home_id, Placement.weekly_core).order_by(Placement.id)
        ).all()
        return {"homes": homes, "children": children, "placements": placements}


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
        occupied = dict(s.execute(select(Placement.home_id, func.count()).group_by(Placement.home_id)).all())
        for home in s.scalars(select(Home)):
            assert occupied.get(home.id, 0) <= home.registered_places
        for v in s.scalars(select(Vacancy)):
            assert v.places <= v.home.registered_places - occupied.get(v.home_id, 0)
        for ref in s.scalars(select(Referral)):
            assert all(c.la_id == ref.la_id for c in ref.children)
            assert ref.sibling_count == len(ref.children) - 1
