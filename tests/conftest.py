"""Shared fixtures: a real, migrated database per test (SQLite file or PostgreSQL) and API clients.

Set ``RCC_TEST_DATABASE_URL`` to run the database tests on PostgreSQL; by default each test
gets a fresh copy of a migrated SQLite file.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from rcc.config import REPO_ROOT, Settings

DATA_DIR = Path(os.environ.get("RCC_DATA_DIR") or REPO_ROOT.parent / "shared" / "data")


def _per_worker(url: str | None) -> str | None:
    """Under pytest-xdist each worker gets its own PostgreSQL database (``<name>_gw0`` ...), created
    if missing, so workers never truncate each other's tables. SQLite tests copy a file per test."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not url.startswith("postgresql") or not worker:
        return url
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


PG_URL = _per_worker(os.environ.get("RCC_TEST_DATABASE_URL"))
KEEP = ("local_authorities", "alembic_version")


def _migrate_and_seed(url: str) -> None:
    from rcc.db import make_engine, make_sessionmaker, transaction
    from rcc.db.migrate import upgrade
    from rcc.register.interface import seed_local_authorities

    if url.startswith("postgresql"):
        # start from an empty schema whatever an earlier run (or another branch's migrations) left
        from sqlalchemy import create_engine

        eng = create_engine(url, isolation_level="AUTOCOMMIT")
        with eng.connect() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        eng.dispose()
    upgrade(url)
    engine = make_engine(url)
    with transaction(make_sessionmaker(engine)) as s:
        seed_local_authorities(s, DATA_DIR)
    engine.dispose()


@pytest.fixture(scope="session")
def template_url(tmp_path_factory) -> str:
    if PG_URL:
        _migrate_and_seed(PG_URL)
        return PG_URL
    path = tmp_path_factory.mktemp("template") / "rcc.db"
    _migrate_and_seed(f"sqlite:///{path}")
    return f"sqlite:///{path}"


@pytest.fixture
def db_url(template_url: str, tmp_path: Path) -> Iterator[str]:
    """A clean, migrated database with the 153 LAs loaded."""
    if not PG_URL:
        src = Path(template_url.split("///", 1)[1])
        dst = tmp_path / "rcc.db"
        shutil.copy(src, dst)
        yield f"sqlite:///{dst}"
        return
    yield PG_URL
    from rcc.db import make_engine

    engine = make_engine(PG_URL)
    with engine.begin() as conn:
        tables = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars()
        victims = [t for t in tables if t not in KEEP]
        if victims:
            # the audit trail refuses TRUNCATE; replica mode skips triggers for this test clean-up only
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(text(f"TRUNCATE {', '.join(victims)} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def factory(db_url: str) -> Iterator[sessionmaker[Session]]:
    from rcc.db import make_engine, make_sessionmaker

    engine = make_engine(db_url)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def session(factory) -> Iterator[Session]:
    s = factory()
    try:
        yield s
    finally:
        s.rollback()
        s.close()


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url, data_dir=DATA_DIR, worker="off", stale_vacancy_days=14)


@dataclass
class World:
    """A small register: two LAs in one RCC, a third outside, two providers, keys for every role."""

    rcc_id: int
    la_a: str  # Newcastle upon Tyne
    la_b: str  # Middlesbrough
    la_out: str  # Manchester, not in the RCC
    provider_a: int
    provider_b: int
    keys: dict[str, str]

    def h(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[who]}"}


@pytest.fixture
def world(factory) -> World:
    from rcc.auth import Role, create_api_key
    from rcc.db import transaction
    from rcc.db.models import LocalAuthority, Provider, Rcc

    with transaction(factory) as s:

        def la(code: str) -> LocalAuthority:
            return s.query(LocalAuthority).filter_by(gss_code=code).one()

        a, b, out = la("E08000021"), la("E06000002"), la("E08000003")
        rcc = Rcc(name="Test RCC", members=[a, b])
        pa = Provider(name="Acme Care", sector="private", owner_group="Acme Group")
        pb = Provider(name="Beta Homes", sector="voluntary", owner_group="Beta Trust")
        s.add_all([rcc, pa, pb])
        s.flush()
        keys = {
            "admin": create_api_key(s, Role.ADMIN)[1],
            "commissioner": create_api_key(s, Role.RCC_COMMISSIONER, rcc_id=rcc.id)[1],
            "officer_a": create_api_key(s, Role.LA_OFFICER, la_id=a.id)[1],
            "officer_b": create_api_key(s, Role.LA_OFFICER, la_id=b.id)[1],
            "officer_out": create_api_key(s, Role.LA_OFFICER, la_id=out.id)[1],
            "provider_a": create_api_key(s, Role.PROVIDER, provider_id=pa.id)[1],
            "provider_b": create_api_key(s, Role.PROVIDER, provider_id=pb.id)[1],
        }
        return World(rcc.id, a.gss_code, b.gss_code, out.gss_code, pa.id, pb.id, keys)


@pytest.fixture
def client(settings):
    from fastapi.testclient import TestClient

    from rcc.app import create_app

    with TestClient(create_app(settings, start_worker=False)) as c:
        yield c
