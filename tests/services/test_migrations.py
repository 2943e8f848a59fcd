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
