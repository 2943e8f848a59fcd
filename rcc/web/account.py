"""Sign in, sign out, the start page, and job progress for polling pages."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from rcc.auth import Role
from rcc.jobs import queue as jobs
from rcc.web.core import (
    HOME,
    PRE_SESSION_CSRF_COOKIE,
    SESSION_COOKIE,
    FormErrors,
    NeedSignIn,
    posted,
    render,
    signed_in,
    text,
    unit,
    web_settings,
)
from rcc.web.users import SignedIn, SignInRefused, check_password, csrf_ok, end_session, start_session

router = APIRouter(include_in_schema=False)
Who = Annotated[SignedIn, Depends(signed_in)]
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


def cookie_secure(request: Request) -> bool:
    """Secure, unless the setting relaxes it *and* the request is to this machine over loopback."""
    if web_settings(request).cookie_secure:
        return True
    return request.url.hostname not in LOOPBACK


def _safe_next(raw: str | None) -> str | None:
    # only a path on this site: never //host or a scheme
    if raw and raw.startswith("/") and not raw.startswith("//") and "\\" not in raw:
        return raw
    return None


@router.get("/")
def start(request: Request):
    try:
        who = signed_in(request)
    except NeedSignIn:
        return RedirectResponse("/sign-in", status_code=303)
    return RedirectResponse(HOME[who.principal.role], status_code=303)


def _sign_in_page(request: Request, errors: FormErrors | None = None, email: str = "", status: int = 200):
    token = request.cookies.get(PRE_SESSION_CSRF_COOKIE) or secrets.token_urlsafe(32)
    resp = render(
        request, "sign_in.html.j2", None, status=status, csrf_token=token, errors=errors, form={"email": email},
        next=_safe_next(request.query_params.get("next")) or "",
    )  # fmt: skip
    resp.set_cookie(
        PRE_SESSION_CSRF_COOKIE, token, httponly=True, secure=cookie_secure(request), samesite="strict",
        max_age=3600, path="/sign-in",
    )  # fmt: skip
    return resp


@router.get("/sign-in")
def sign_in_form(request: Request):
    return _sign_in_page(request)


@router.post("/sign-in")
async def sign_in(request: Request):
    form = await request.form()
    email = text(form, "email") or ""
    password = form.get("password")
    password = password if isinstance(password, str) else ""
    errors = FormErrors()
    if not csrf_ok(request.cookies.get(PRE_SESSION_CSRF_COOKIE), text(form, "csrf_token")):
        errors.add("", "Your sign-in form had expired; try again")
        return _sign_in_page(request, errors, email, status=403)
    if not email:
        errors.add("email", "Enter your email address")
    if not password:
        errors.add("password", "Enter your password")
    if errors:
        return _sign_in_page(request, errors, email, status=422)
    cfg = web_settings(request)
    refused = ""
    with unit(request) as s:
        try:
            user = check_password(s, email, password, cfg)
        except SignInRefused as exc:
            refused, user = str(exc), None
        token = start_session(s, user, cfg)[0] if user is not None else None
        home = HOME.get(Role(user.role)) if user is not None else None
    if token is None:
        errors.add("email", refused)
        return _sign_in_page(request, errors, email, status=401)
    nxt = _safe_next(text(form, "next")) or home or "/"
    resp = RedirectResponse(nxt, status_code=303)
    resp.set_cookie(
        SESSION_COOKIE, token, httponly=True, secure=cookie_secure(request), samesite="lax",
        max_age=cfg.session_hours * 3600, path="/",
    )  # fmt: skip
    resp.delete_cookie(PRE_SESSION_CSRF_COOKIE, path="/sign-in")
    return resp


@router.post("/sign-out")
async def sign_out(request: Request, who: Who):
    await posted(request, who)
    with unit(request) as s:
        end_session(s, request.cookies.get(SESSION_COOKIE))
    resp = RedirectResponse("/sign-in?signed_out=1", status_code=303)
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


@router.get("/jobs/{job_id}/status")
def job_status(request: Request, who: Who, job_id: str) -> Response:
    """A fragment the page's script polls while long work runs (matching runs, forecasts, stress tests)."""
    with unit(request) as s:
        job = jobs.get(s, who.principal, job_id)
        status, created, started, finished = job.status, job.created_at, job.started_at, job.finished_at
    html = render(request, "_job_status.html.j2", who, job_status=status, created=created, started=started,
                  finished=finished).body  # fmt: skip
    return HTMLResponse(html, headers={"X-Job-Status": status, "Cache-Control": "no-store"})
