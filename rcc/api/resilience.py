"""Answer overload honestly and fast: 503 with ``Retry-After`` instead of a bare 500 or a 30 s stall,
413 for a body over the limit before anything reads it, and liveness/readiness probes.

- A request that cannot get a database connection within ``RCC_DB_POOL_TIMEOUT`` seconds, or a row
  lock within ``RCC_DB_LOCK_TIMEOUT_MS`` (PostgreSQL ``lock_timeout``; SQLite's busy timeout), or finds
  the database unreachable, gets the error envelope with status 503 and ``Retry-After``.
- Request bodies above ``RCC_MAX_UPLOAD_BYTES`` (default 5 MB; an LA's SSDA903 episodes file for a
  year is well under 1 MB) are refused with 413 (:class:`BodyLimit`): from the ``Content-Length``
  header before anything is read, or, for a body sent without a length, as soon as the bytes counted
  while it streams in pass the limit. Multipart files are spooled to disk as they arrive, never held
  whole in memory.
- ``/health/live`` says the process answers; ``/health/ready`` checks the database (one ``SELECT 1``
  within the pool timeout) and that a job worker has sent a heartbeat recently, 503 when either fails.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("rcc")

RETRY_AFTER_BUSY = 1  # seconds: contention clears quickly
RETRY_AFTER_DOWN = 5  # seconds: the database is away


def envelope(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": []}}
    return JSONResponse(status_code=status, content=body, headers=headers)


def _busy(exc: BaseException) -> bool:
    """A lock or pool wait that ran out (try again soon), as opposed to the database being away."""
    if isinstance(exc, PoolTimeout):
        return True
    orig = getattr(exc, "orig", None)
    name = type(orig).__name__ if orig is not None else ""
    msg = str(orig or exc).lower()
    return name in ("LockNotAvailable", "QueryCanceled", "DeadlockDetected", "SerializationFailure") or (
        "database is locked" in msg or "lock timeout" in msg or "deadlock" in msg
    )


def unavailable(exc: BaseException) -> JSONResponse:
    if _busy(exc):
        return envelope(
            503, "busy", "the service is busy (waiting for a database connection or lock); try again",
            {"Retry-After": str(RETRY_AFTER_BUSY)},
        )  # fmt: skip
    log.warning("database unavailable: %s", str(getattr(exc, "orig", None) or exc).splitlines()[0][:200])
    return envelope(
        503, "unavailable", "the database is unavailable; try again", {"Retry-After": str(RETRY_AFTER_DOWN)}
    )


def install_error_handlers(app: FastAPI) -> None:
    """503 + Retry-After for pool timeouts, lock timeouts, deadlocks and an unreachable database."""

    @app.exception_handler(PoolTimeout)
    async def _pool(_: Request, exc: PoolTimeout) -> JSONResponse:
        return unavailable(exc)

    @app.exception_handler(OperationalError)
    async def _operational(_: Request, exc: OperationalError) -> JSONResponse:
        return unavailable(exc)

    @app.exception_handler(DBAPIError)
    async def _dbapi(request: Request, exc: DBAPIError) -> JSONResponse:
        if _busy(exc) or exc.connection_invalidated:
            return unavailable(exc)
        raise exc


UNLIMITED = ("/health", "/static/")


class Admission:
    """Pure ASGI middleware: at most ``limit`` requests of this process work at once (one database
    connection each, so they never queue inside the pool holding a thread); the rest wait in the event
    loop, and one that has waited ``queue_timeout`` seconds gets 503 with ``Retry-After``. Health
    probes and the pages' static files (no database, no thread) are never held back."""

    def __init__(self, app: ASGIApp, limit: int = 10, queue_timeout: float = 5.0):
        self.app = app
        self.limit = limit
        self.queue_timeout = queue_timeout
        self._sem: asyncio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(UNLIMITED):
            await self.app(scope, receive, send)
            return
        if self._sem is None:
            self._sem = asyncio.Semaphore(self.limit)
        try:
            if self._sem.locked():  # only a request that must queue pays for the timed wait's task
                await asyncio.wait_for(self._sem.acquire(), self.queue_timeout)
            else:
                await self._sem.acquire()  # free: returns at once
        except TimeoutError:
            response = envelope(
                503, "busy", f"the service is busy ({self.limit} requests in progress); try again",
                {"Retry-After": str(RETRY_AFTER_BUSY)},
            )  # fmt: skip
            await response(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self._sem.release()


class BodyLimit:
    """Pure ASGI middleware: 413 in the error envelope for a body over the limit. A ``Content-Length``
    over it is refused before a byte is read; a body sent without a length is counted as it streams
    in and refused as soon as it passes the limit (the endpoint never sees it)."""

    def __init__(self, app: ASGIApp, limit: int):
        self.app = app
        self.limit = limit

    def _message(self) -> str:
        mb = self.limit / (1024 * 1024)
        return f"the request body is larger than {f'{mb:.0f} MB' if mb >= 1 else f'{self.limit} bytes'}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length", b"")
        if length.isdigit() and int(length) > self.limit:
            response = envelope(413, "too_large", self._message(), {"Connection": "close"})
            await response(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:  # FastAPI passes an HTTPException from the body through to the envelope
                    raise HTTPException(413, self._message())
            return message

        await self.app(scope, counted, send)


# ---------------------------------------------------------------- probes

health = APIRouter(tags=["meta"])


@health.get("/health/live")
def live() -> dict[str, str]:
    """The process answers (restart it if this fails)."""
    return {"status": "ok"}


@health.get("/health/ready", responses={503: {"description": "the database or the job workers are down"}})
def ready(request: Request) -> JSONResponse:
    """Ready for traffic: the database answers and a job worker has sent a heartbeat lately."""
    from rcc.jobs.queue import WORKER_STALE_SECONDS, alive_workers

    checks: dict[str, Any] = {}
    ok = True
    factory = request.app.state.sessionmaker
    try:
        with factory() as s:
            s.execute(text("SELECT 1"))
            workers = alive_workers(s)
        checks["database"] = "ok"
        checks["workers"] = len(workers)
        if not workers:
            ok = False
            checks["worker_problem"] = (
                f"no job worker has sent a heartbeat in the last {WORKER_STALE_SECONDS:.0f} s"
            )
    except (OperationalError, PoolTimeout, DBAPIError) as exc:
        ok = False
        checks["database"] = "unreachable"
        checks["database_problem"] = str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]
    body = {"status": "ok" if ok else "unavailable", "checks": checks}
    headers = None if ok else {"Retry-After": str(RETRY_AFTER_DOWN)}
    return JSONResponse(status_code=200 if ok else 503, content=body, headers=headers)
