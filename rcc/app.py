"""The FastAPI application: routers under /api/v1, one error envelope, the in-process job worker."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api_schemas.common import ErrorEnvelope
from rcc.api import docs
from rcc.api.strict_query import reject_unknown_query
from rcc.children import router as children
from rcc.commissioning import router as commissioning
from rcc.config import Settings, load_settings
from rcc.db import make_engine, make_sessionmaker
from rcc.errors import DomainError
from rcc.jobs import router as jobs
from rcc.matching import router as matching
from rcc.nps import router as nps
from rcc.register import router as register
from rcc.sufficiency import router as sufficiency
from rcc.webhooks import router as webhooks

log = logging.getLogger("rcc")

ROUTERS = (register, children, jobs, sufficiency, matching, commissioning, nps, webhooks)

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorEnvelope, "description": desc}
    for code, desc in {
        401: "missing or unknown API key",
        403: "the key's role may not do this",
        404: "not found, or outside the caller's scope",
        409: "conflicts with the register's current state",
        422: "invalid input; `details` names each field",
    }.items()
}


def envelope(status: int, code: str, message: str, details: list[dict] | None = None) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": details or []}}
    return JSONResponse(status_code=status, content=body)


def _loc(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    out = ""
    for p in parts:
        out += f"[{p}]" if p.isdigit() else (f".{p}" if out else p)
    return out or ".".join(map(str, loc))


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError):
        details = [{"field": d.field, "message": d.message} for d in exc.details]
        return envelope(exc.status, exc.code, exc.message, details)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError):
        details = [{"field": _loc(tuple(e["loc"])), "message": e["msg"]} for e in exc.errors()]
        fields = ", ".join(d["field"] for d in details)
        return envelope(422, "invalid", f"invalid input: {fields}", details)

    @app.exception_handler(IntegrityError)
    async def _integrity(_: Request, exc: IntegrityError):
        return envelope(
            409, "conflict", "conflicts with an existing record", [{"message": str(exc.orig)[:300]}]
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException):
        code = {401: "unauthorised", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}.get(
            exc.status_code, "error"
        )
        return envelope(exc.status_code, code, str(exc.detail))

    @app.exception_handler(OperationalError)
    async def _db_down(_: Request, exc: OperationalError):
        log.exception("database error")
        return envelope(503, "unavailable", "the database is unavailable; try again")


def create_app(settings: Settings | None = None, *, start_worker: bool | None = None) -> FastAPI:
    settings = settings or load_settings()
    engine = make_engine(settings.database_url)
    factory = make_sessionmaker(engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        worker = None
        run_worker = settings.worker == "inline" if start_worker is None else start_worker
        dispatcher = None
        if run_worker:
            from rcc.jobs.worker import Worker
            from rcc.webhooks.dispatcher import Dispatcher

            worker = Worker(factory)
            worker.start()
            dispatcher = Dispatcher(factory, stale_days=settings.stale_vacancy_days)
            dispatcher.start()
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()
            if dispatcher is not None:
                dispatcher.stop()
            engine.dispose()

    app = FastAPI(
        title="RCC placement matching and sufficiency",
        version="0.1.0",
        description=docs.API_DESCRIPTION,
        openapi_tags=docs.TAGS,
        lifespan=lifespan,
        responses=ERROR_RESPONSES,
        dependencies=[Depends(reject_unknown_query)],
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = factory
    install_error_handlers(app)
    docs.install(app)
    for module in ROUTERS:
        app.include_router(module.router, prefix="/api/v1")

    @app.get("/health", tags=["meta"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
