"""Web pages for people (placement officers, providers, commissioners, LA data officers) in the API's app.

:func:`install` adds the pages, their static assets, offline ``/docs`` and ``/redoc``, and the
handlers that turn a page's errors into HTML (a sign-in redirect, an error page) while ``/api``
keeps its JSON error envelope. Every asset is served by the app itself: nothing loads from a CDN.
"""

from __future__ import annotations

import inspect

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rcc.errors import DomainError
from rcc.web import account, commissioner, data_officer, docs, officer, provider
from rcc.web.core import HERE, CsrfRejected, NeedSignIn, WrongRole, render, signed_in
from rcc.web.settings import WebSettings

ROUTERS = (account, officer, provider, commissioner, data_officer)
JSON_PREFIXES = ("/api/", "/openapi.json", "/health")

# pages may load only what this app serves; /docs and /redoc set their own (they need inline script)
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def _is_page(request: Request) -> bool:
    return not request.url.path.startswith(JSON_PREFIXES)


class PageHeaders:
    """Pure ASGI middleware (no task or stream per request, unlike ``@app.middleware("http")``): every
    response says ``nosniff``; pages (not /api, /docs or /redoc) get the CSP, referrer and framing
    headers, and ``no-store`` unless they are static assets. A header the route set is kept."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        extra: list[tuple[bytes, bytes]] = [(b"x-content-type-options", b"nosniff")]
        if not path.startswith(JSON_PREFIXES) and not path.startswith(docs.PATHS):
            extra += [(b"content-security-policy", CSP.encode()), (b"referrer-policy", b"same-origin"),
                      (b"x-frame-options", b"DENY")]  # fmt: skip
            if not path.startswith("/static/"):
                extra.append((b"cache-control", b"no-store"))

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                have = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in extra if k not in have]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


def _error_page(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    try:
        who = signed_in(request)
    except Exception:  # an error page never fails for want of a session
        who = None
    return render(request, "error.html.j2", who, status=status, title=title, message=message)


async def _delegate(handler, request: Request, exc: Exception):
    """Hand an /api error to the API's own handler (sync or async): JSON envelope as before."""
    result = handler(request, exc)
    return await result if inspect.isawaitable(result) else result


def install(app: FastAPI, settings: WebSettings | None = None) -> None:
    app.state.web_settings = settings or WebSettings.from_env()
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    docs.install(app)
    for module in ROUTERS:
        app.include_router(module.router)

    api_domain = app.exception_handlers.get(DomainError)
    api_http = app.exception_handlers.get(StarletteHTTPException)

    @app.exception_handler(NeedSignIn)
    async def _need_sign_in(request: Request, _: NeedSignIn):
        nxt = request.url.path if request.method == "GET" else ""
        return RedirectResponse(f"/sign-in?next={nxt}" if nxt else "/sign-in", status_code=303)

    @app.exception_handler(WrongRole)
    async def _wrong_role(request: Request, _: WrongRole):
        return _error_page(
            request, 403, "This page is not for your role", "Use the links at the top of the page."
        )

    @app.exception_handler(CsrfRejected)
    async def _csrf(request: Request, _: CsrfRejected):
        return _error_page(
            request, 403, "The form had expired", "Go back, reload the page and submit the form again."
        )

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError):
        if not _is_page(request) and api_domain is not None:
            return await _delegate(api_domain, request, exc)
        title = {404: "Page not found", 403: "You cannot do this", 409: "That cannot be done now"}.get(
            exc.status, "There is a problem"
        )
        return _error_page(request, exc.status, title, exc.message)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        if not _is_page(request) and api_http is not None:
            return await _delegate(api_http, request, exc)
        title = "Page not found" if exc.status_code == 404 else "There is a problem"
        return _error_page(request, exc.status_code, title, str(exc.detail))

    app.add_middleware(PageHeaders)
