"""``/docs`` (Swagger UI) and ``/redoc`` from assets the app serves itself, so they render offline.

The assets are those the ``fastapi-offline`` package ships (Swagger UI and ReDoc bundles, MIT
licensed); the app must be created with ``docs_url=None, redoc_url=None``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"
STATIC = "/static-docs"
PATHS = ("/docs", "/redoc", STATIC)


# ReDoc's bundle shows the Redocly logo from their CDN; offline it points at the bundled favicon instead
_REDOC_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"


@lru_cache(maxsize=1)
def _redoc_bundle() -> bytes:
    return (
        (ASSETS / "redoc.standalone.js").read_bytes().replace(_REDOC_LOGO, f"{STATIC}/favicon.png".encode())
    )


def install(app: FastAPI) -> None:
    @app.get(f"{STATIC}/redoc.standalone.js", include_in_schema=False)
    def redoc_bundle() -> Response:
        return Response(
            _redoc_bundle(), media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"}
        )

    app.mount(STATIC, StaticFiles(directory=ASSETS), name="static-docs")
    oauth_redirect = app.swagger_ui_oauth2_redirect_url or "/docs/oauth2-redirect"

    @app.get("/docs", include_in_schema=False)
    async def swagger(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=oauth_redirect,
            swagger_js_url=f"{root}{STATIC}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{STATIC}/swagger-ui.css",
            swagger_favicon_url=f"{root}{STATIC}/favicon.png",
            swagger_ui_parameters={**(app.swagger_ui_parameters or {}), "validatorUrl": None},
        )

    @app.get(oauth_redirect, include_in_schema=False)
    async def swagger_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{STATIC}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{STATIC}/favicon.png",
            with_google_fonts=False,
        )
