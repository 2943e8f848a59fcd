"""Request-scoped dependencies: the unit of work, the caller, paging."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from api_schemas.common import DB_INT_MAX
from rcc.auth import Principal, authenticate
from rcc.config import Settings
from rcc.pagination import PageRequest

bearer = HTTPBearer(auto_error=False, description="API key: `Authorization: Bearer rcc_…`")


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One transaction per request: committed when the endpoint returns, rolled back on any error.

    Used with ``scope="function"`` so the commit happens before the response is sent: a client
    told 201 can read what it made at once, and a failing commit is an error response, not a 201.

    Async, so that opening the session (no I/O: the connection is taken at the first query, in the
    worker thread that runs it) costs no hop to a worker thread; the commit or rollback, which talk
    to the database, run in one.
    """
    session = request.app.state.sessionmaker()
    try:
        yield session
    except BaseException:
        await run_in_threadpool(_end, session, False)
        raise
    await run_in_threadpool(_end, session, True)


def _end(session: Session, commit: bool) -> None:
    """Commit (or roll back) and close, as :func:`rcc.db.transaction` does; a failing commit rolls back."""
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


async def get_settings(request: Request) -> Settings:  # async: no thread hop for a lookup
    return request.app.state.settings


def get_principal(
    request: Request,
    session: Annotated[Session, Depends(get_session, scope="function")],
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    principal = authenticate(session, creds.credentials if creds else None)
    request.state.principal = principal  # for auditing a refused attempt (rcc.app)
    return principal


async def get_page(  # async: no thread hop for arithmetic
    limit: Annotated[int, Query(ge=1, le=500, description="page size")] = 50,
    offset: Annotated[int, Query(ge=0, le=DB_INT_MAX, description="rows to skip")] = 0,
) -> PageRequest:
    return PageRequest(limit=limit, offset=offset)


DB = Annotated[Session, Depends(get_session, scope="function")]
Caller = Annotated[Principal, Depends(get_principal)]
Paging = Annotated[PageRequest, Depends(get_page)]
Config = Annotated[Settings, Depends(get_settings)]
