"""The schema is made only by Alembic, and every migration goes down and up again cleanly."""

from __future__ import annotations

from sqlalchemy import inspect

from rcc.db import make_engine
from rcc.db.migrate import alembic_config, downgrade, upgrade
from rcc.db.models import Base


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_head_schema_matches_the_models(db_url):
    assert _tables(db_url) == set(Base.metadata.tables)


def test_every_revision_downgrades_and_upgrades(db_url):
    from alembic.script import ScriptDirectory

    revisions = [r.revision for r in ScriptDirectory.from_config(alembic_config(db_url)).walk_revisions()]
    assert revisions[-1] == "0001"
    for _rev in revisions:  # head first: step down one revision at a time, then back up
        downgrade(db_url, "-1")
    assert _tables(db_url) == set()
    upgrade(db_url)
    assert _tables(db_url) == set(Base.metadata.tables)
    _reseed(db_url)  # later tests on a shared PostgreSQL expect the LAs


def _reseed(url: str) -> None:
    from rcc.db import make_sessionmaker, transaction
    from rcc.register.service import seed_local_authorities

    engine = make_engine(url)
    with transaction(make_sessionmaker(engine)) as s:
        seed_local_authorities(s)
    engine.dispose()


def test_models_and_migrations_do_not_drift(db_url):
    """Autogenerate against the migrated database finds nothing to add or drop."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = make_engine(db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    structural = [d for d in diff if d[0] in ("add_table", "remove_table", "add_column", "remove_column")]
    assert structural == []


def test_suitability_survives_the_move_to_one_vocabulary_keyed_column_and_back(db_url):
    """0005 folds the per-category columns into ``children.suitability``; down and up keep the data."""
    from sqlalchemy import text

    from rcc.db.models import Child

    engine = make_engine(db_url)
    downgrade(db_url, "0004")
    with engine.begin() as conn:
        la = conn.execute(text("SELECT id FROM local_authorities ORDER BY id LIMIT 1")).scalar_one()
        for n, (foster, residential, supported) in enumerate(
            [("preferred", "unsuitable", "not_specified"), ("not_specified", "not_specified", "suitable")]
        ):
            conn.execute(
                text(
                    "INSERT INTO children (la_id, la_child_id, birth_month, sex, uasc, needs, home_postcode_sector,"
                    " home_easting, home_northing, must_keep_school, suitability_foster, suitability_residential,"
                    " suitability_supported, risks, living_companions, places_to_avoid, communication_needs,"
                    " created_at, updated_at) VALUES (:la, :cid, '2012-01-01', 'female', false, '[]', 'NE1 4',"
                    " 1, 1, false, :f, :r, :s, '[]', 'no_preference', '[]', '[]', :now, :now)"
                ),
                {
                    "la": la,
                    "cid": f"M{n}",
                    "f": foster,
                    "r": residential,
                    "s": supported,
                    "now": "2026-01-01",
                },
            )
    upgrade(db_url)
    from sqlalchemy.orm import Session

    with Session(engine) as s:
        kids = {c.la_child_id: c for c in s.query(Child).order_by(Child.id)}
        assert kids["M0"].suitability == {"foster": "preferred", "residential": "unsuitable"}
        assert kids["M1"].suitability == {"supported": "suitable"}
        assert "foster" not in kids["M1"].suitability  # not_specified: no entry
    downgrade(db_url, "0004")
    with engine.connect() as conn:
        back = conn.execute(
            text(
                "SELECT la_child_id, suitability_foster, suitability_residential, suitability_supported"
                " FROM children ORDER BY la_child_id"
            )  # fmt: skip
        ).all()
    assert [tuple(r) for r in back] == [
        ("M0", "preferred", "unsuitable", "not_specified"), ("M1", "not_specified", "not_specified", "suitable")
    ]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM children"))
    upgrade(db_url)
    engine.dispose()
