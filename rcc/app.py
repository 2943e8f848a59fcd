"""The FastAPI application: routers under /api/v1, one error envelope, the in-process job worker."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api_schemas.common import ErrorEnvelope
from rcc import audit
from rcc.api import audit as audit_router
from rcc.api import docs, resilience
from rcc.api.guard import InputGuard
from rcc.api.integrity import allowed_methods, integrity_field
from rcc.api.strict_query import reject_unknown_query
from rcc.children import router as children
from rcc.commissioning import router as commissioning
from rcc.config import Settings, load_settings
from rcc.db import engine_for, make_sessionmaker
from rcc.errors import DomainError
from rcc.jobs import router as jobs
from rcc.matching import router as matching
from rcc.nps import router as nps
from rcc.register import router as register
from rcc.sufficiency import router as sufficiency
from rcc.web import install as _install_web
from rcc.webhooks import router as webhooks

log = logging.getLogger("rcc")

ROUTERS = (register, children, jobs, sufficiency, matching, commissioning, nps, audit_router, webhooks)

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorEnvelope, "description": desc}
    for code, desc in {
        401: "missing or unknown API key",
        403: "the key's role may not do this",
        404: "not found, or outside the caller's scope",
        409: "conflicts with the register's current state",
        413: "the request body is larger than RCC_MAX_UPLOAD_BYTES",
        422: "invalid input; `details` names each field",
        503: "busy or the database is unavailable; `Retry-After` says when to try again",
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


def _audit_refusal(request: Request, exc: DomainError) -> None:
    """A key refused a record (403) or told it is not there (404) leaves an audit event."""
    who = getattr(request.state, "principal", None)
    if who is None:
        return
    entity, ident = getattr(exc, "entity", None), getattr(exc, "ident", None)
    if entity is None:
        entity, ident = _entity_from_path(request)
    try:
        ident_int = int(str(ident)) if ident is not None and -(2**31) <= int(str(ident)) < 2**31 else 0
    except (TypeError, ValueError):
        ident_int = 0
    try:
        audit.refused(
            request.app.state.engine,
            who,
            str(entity),
            ident_int,
            f"{request.method} {request.url.path}: {exc.status} {exc.message}",
        )
    except Exception:  # noqa: BLE001 - failing to audit must not turn a 404 into a 500
        log.exception("could not record a refused attempt")


def _entity_from_path(request: Request) -> tuple[str, object]:
    for name, value in request.path_params.items():
        if name.endswith("_id"):
            return name.removesuffix("_id"), value
    return "request", 0


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        if exc.status in (403, 404):
            _audit_refusal(request, exc)
        details = [{"field": d.field, "message": d.message} for d in exc.details]
        return envelope(exc.status, exc.code, exc.message, details)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError):
        details = [{"field": _loc(tuple(e["loc"])), "message": e["msg"]} for e in exc.errors()]
        fields = ", ".join(d["field"] for d in details)
        return envelope(422, "invalid", f"invalid input: {fields}", details)

    @app.exception_handler(IntegrityError)
    async def _integrity(_: Request, exc: IntegrityError):
        # never echo the database's text: name the field the constraint is about
        field, message = integrity_field(exc)
        return envelope(422, "invalid", f"invalid input: {field}", [{"field": field, "message": message}])

    @app.exception_handler(DataError)
    async def _data(_: Request, exc: DataError):
        log.warning("database refused a value: %s", type(exc.orig).__name__)
        msg = "a value is too long or out of range for the register"
        return envelope(422, "invalid", msg, [{"field": None, "message": msg}])

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 400:  # FastAPI's "error parsing the body": bad input, like any other
            msg = "the request body is not valid JSON (UTF-8)"
            return envelope(422, "invalid", msg, [{"field": "body", "message": msg}])
        code = {
            401: "unauthorised",
            403: "forbidden",
            404: "not_found",
            405: "method_not_allowed",
            413: "too_large",
        }.get(exc.status_code, "error")
        response = envelope(exc.status_code, code, str(exc.detail))
        if exc.status_code == 405:
            allowed = allowed_methods(request) or [
                m.strip() for m in (exc.headers or {}).get("Allow", "").split(",")
            ]
            response.headers["Allow"] = ", ".join(m for m in allowed if m)
        return response


def create_app(settings: Settings | None = None, *, start_worker: bool | None = None) -> FastAPI:
    settings = settings or load_settings()
    engine = engine_for(settings, api=True)
    factory = make_sessionmaker(engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Admission lets settings.requests_at_once requests in at once; a request uses up to three thread hops
        # (auth, endpoint, commit), so give each of them room and never make one wait for a thread
        anyio.to_thread.current_default_thread_limiter().total_tokens = 3 * settings.requests_at_once + 4
        worker = worker_engine = None
        run_worker = settings.worker == "inline" if start_worker is None else start_worker
        dispatcher = None
        if run_worker:
            from rcc.jobs.queue import QueueSettings
            from rcc.jobs.worker import Worker
            from rcc.webhooks.dispatcher import Dispatcher

            worker_engine = engine_for(settings, pool_size=4)  # its own pool: never starves requests
            worker = Worker(make_sessionmaker(worker_engine), settings=QueueSettings.from_settings(settings))
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
            if worker_engine is not None:
                worker_engine.dispose()
            engine.dispose()

    app = FastAPI(
        title="RCC placement matching and sufficiency",
        version="0.1.0",
        description=docs.API_DESCRIPTION,
        openapi_tags=docs.TAGS,
        lifespan=lifespan,
        responses=ERROR_RESPONSES,
        dependencies=[Depends(reject_unknown_query)],
        docs_url=None,  # rcc.web serves /docs and /redoc from bundled assets
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = factory
    install_error_handlers(app)
    docs.install(app)
    resilience.install_error_handlers(app)
    app.add_middleware(resilience.BodyLimit, limit=settings.max_upload_bytes)
    app.add_middleware(
        resilience.Admission, limit=settings.requests_at_once, queue_timeout=settings.api_queue_timeout
    )
    app.include_router(resilience.health)
    app.add_middleware(InputGuard)
    for module in ROUTERS:
        app.include_router(module.router, prefix="/api/v1")

    _install_web(app)  # the pages for people, their assets, and offline /docs and /redoc

    @app.get("/health", tags=["meta"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
