"""Database engine, sessions and the ORM models."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, Result, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def make_engine(url: str, *, lock_timeout_ms: int | None = None, pool_size: int | None = None) -> Engine:
    """An engine for ``url``; SQLite files get their folder, WAL, a busy timeout and enforced foreign keys.

    ``lock_timeout_ms`` bounds waits for row locks (PostgreSQL ``lock_timeout``) or the write lock
    (SQLite ``busy_timeout``); the API passes a short one (``RCC_DB_LOCK_TIMEOUT_MS``, 1.5 s) so a
    contended request fails fast with 503. PostgreSQL pools hold ``RCC_DB_POOL_SIZE`` (10) connections
    plus ``RCC_DB_MAX_OVERFLOW`` (5), and a request waits ``RCC_DB_POOL_TIMEOUT`` (3) seconds at most.
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
    connect_args: dict[str, object] = {"connect_timeout": _env_int("RCC_DB_CONNECT_TIMEOUT", 5)}
    if lock_timeout_ms is not None:
        connect_args["options"] = f"-c lock_timeout={int(lock_timeout_ms)}"
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=pool_size or _env_int("RCC_DB_POOL_SIZE", 10),
        max_overflow=_env_int("RCC_DB_MAX_OVERFLOW", 5),
        pool_timeout=_env_int("RCC_DB_POOL_TIMEOUT", 3),
        connect_args=connect_args,
    )


def api_lock_timeout_ms() -> int:
    return _env_int("RCC_DB_LOCK_TIMEOUT_MS", 1500)


def api_queue_timeout() -> float:
    """Seconds a request may wait for admission before it gets 503 (``RCC_API_QUEUE_TIMEOUT``)."""
    return float(os.environ.get("RCC_API_QUEUE_TIMEOUT") or 5)


def api_concurrency() -> int:
    """Requests one API process works on at once (``RCC_API_CONCURRENCY``): the pool's base size, so
    each has a connection and the overflow is left for probes and the in-process job worker."""
    return _env_int("RCC_API_CONCURRENCY", _env_int("RCC_DB_POOL_SIZE", 10))


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
