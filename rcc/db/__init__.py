"""Database engine, sessions and the ORM models."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import CursorResult, Engine, Result, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from rcc.config import Settings


def make_engine(
    url: str,
    *,
    lock_timeout_ms: int | None = None,
    pool_size: int = 10,
    max_overflow: int = 5,
    pool_timeout: float = 3.0,
    connect_timeout: int = 5,
) -> Engine:
    """An engine for ``url``; SQLite files get their folder, WAL, a busy timeout and enforced foreign keys.

    ``lock_timeout_ms`` bounds waits for row locks (PostgreSQL ``lock_timeout``) or the write lock
    (SQLite ``busy_timeout``); the API passes a short one (``RCC_DB_LOCK_TIMEOUT_MS``) so a contended
    request fails fast with 503. PostgreSQL pools hold ``pool_size`` connections plus ``max_overflow``,
    and a checkout waits ``pool_timeout`` seconds at most. :func:`engine_for` takes these from settings.
    """
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        busy_ms = lock_timeout_ms if lock_timeout_ms is not None else 30000
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": busy_ms / 1000})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")  # safe with WAL; commits need no fsync of the main file
            cur.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
            cur.close()

        return engine
    connect_args: dict[str, object] = {"connect_timeout": connect_timeout}
    if lock_timeout_ms is not None:
        connect_args["options"] = f"-c lock_timeout={int(lock_timeout_ms)}"
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout,
        connect_args=connect_args,
    )


def engine_for(settings: Settings, *, api: bool = False, pool_size: int | None = None) -> Engine:
    """The engine a process of this service uses: the pool from settings; API requests also get the
    short lock timeout."""
    return make_engine(
        settings.database_url,
        lock_timeout_ms=settings.db_lock_timeout_ms if api else None,
        pool_size=pool_size or settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
        connect_timeout=settings.db_connect_timeout,
    )


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back everything on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def rowcount(result: Result[Any]) -> int:
    """Rows matched by an UPDATE or DELETE (``Session.execute`` is typed as returning a plain Result)."""
    return cast(CursorResult[Any], result).rowcount


from rcc.db import versions as _versions  # noqa: E402,F401  (registers the register-version listeners)
