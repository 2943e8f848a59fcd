"""What every page shares: templates (autoescaped), the signed-in user, CSRF, form errors, units of work.

Pages are thin, like the API's routers: they parse a form into the API's own request models,
call the same service functions, and render the result. A service's domain error becomes an
error summary at the top of the form and a message beside each field it names.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from rcc.auth import Role
from rcc.db import transaction
from rcc.errors import DomainError
from rcc.templates import environment
from rcc.web.settings import WebSettings
from rcc.web.users import SignedIn, csrf_ok, resume_session

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "rcc_session"
PRE_SESSION_CSRF_COOKIE = "rcc_signin_csrf"

templates = environment("rcc.web")  # rcc/web/templates/**.html.j2, autoescaped (rcc.templates)


class NeedSignIn(Exception):
    """No valid session: the page redirects to the sign-in page."""


class CsrfRejected(Exception):
    """A form came back without this session's CSRF token."""


class WrongRole(Exception):
    """A signed-in user opened a page that is not for their role."""


# ---------------------------------------------------------------- navigation per role

NAV: dict[Role, list[tuple[str, str]]] = {
    Role.LA_OFFICER: [
        ("/officer", "Referrals"),
        ("/officer/referrals/new", "New referral"),
        ("/officer/unmet-need", "Unmet need"),
        ("/data/returns", "SSDA903 returns"),
        ("/data/forecast", "Forecast"),
    ],
    Role.PROVIDER: [("/provider", "Homes and vacancies"), ("/provider/offers", "Offers")],
    Role.RCC_COMMISSIONER: [
        ("/commissioner", "Sufficiency gap"),
        ("/commissioner/cost-of-care", "Cost of care"),
        ("/commissioner/market", "Market oversight"),
        ("/commissioner/stress-test", "Stress test"),
        ("/commissioner/matching-run", "Matching run"),
    ],
}
NAV[Role.ADMIN] = NAV[Role.RCC_COMMISSIONER]

HOME = {
    Role.LA_OFFICER: "/officer",
    Role.PROVIDER: "/provider",
    Role.RCC_COMMISSIONER: "/commissioner",
    Role.ADMIN: "/commissioner",
}


# ---------------------------------------------------------------- units of work


def web_settings(request: Request) -> WebSettings:
    return request.app.state.web_settings


@contextmanager
def unit(request: Request) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back if it raises."""
    with transaction(request.app.state.sessionmaker) as s:
        yield s


def signed_in(request: Request) -> SignedIn:
    with unit(request) as s:
        who = resume_session(s, request.cookies.get(SESSION_COOKIE), web_settings(request))
    if who is None:
        raise NeedSignIn()
    return who


def role_is(*roles: Role):
    """A dependency: the signed-in user, who must have one of ``roles`` (admin always may)."""

    def dep(who: SignedIn = Depends(signed_in)) -> SignedIn:
        if who.principal.role not in roles and who.principal.role is not Role.ADMIN:
            raise WrongRole()
        return who

    return dep


async def posted(request: Request, who: SignedIn) -> FormData:
    """The posted form, after checking its CSRF token against the session's."""
    form = await request.form()
    if not csrf_ok(who.session.csrf_token, _str(form.get("csrf_token"))):
        raise CsrfRejected()
    return form


def _str(v: Any) -> str | None:
    return v if isinstance(v, str) else None


# ---------------------------------------------------------------- rendering


def render(
    request: Request,
    template: str,
    who: SignedIn | None = None,
    status: int = 200,
    **ctx: Any,
) -> HTMLResponse:
    role = who.principal.role if who else None
    base = {
        "request": request,
        "path": request.url.path,
        "who": who,
        "user": who.user if who else None,
        "role": role.value if role else None,
        "nav": NAV.get(role, []) if role else [],
        "csrf_token": who.session.csrf_token if who else ctx.pop("csrf_token", ""),
        "errors": ctx.pop("errors", None) or FormErrors(),
        "form": ctx.pop("form", None) or {},
        "quote": quote,
    }
    base.update(ctx)
    html = templates.get_template(template).render(**base)
    return HTMLResponse(html, status_code=status)


@dataclass
class FormErrors:
    """Errors for the summary at the top (in field order) and beside each field."""

    items: list[tuple[str, str]] = field(default_factory=list)  # (field id or "", message)

    def __bool__(self) -> bool:
        return bool(self.items)

    def add(self, field_name: str, message: str) -> None:
        self.items.append((field_name, message))

    def get(self, field_name: str) -> str | None:
        for name, msg in self.items:
            if name == field_name:
                return msg
        return None

    @classmethod
    def from_validation(cls, exc: ValidationError, labels: dict[str, str] | None = None) -> FormErrors:
        out = cls()
        for e in exc.errors():
            loc = [str(p) for p in e["loc"] if not str(p).isdigit()]
            name = loc[0] if loc else ""
            msg = e["msg"].removeprefix("Value error, ")
            label = (labels or {}).get(name)
            out.add(name, f"{label}: {msg}" if label else msg)
        return out

    @classmethod
    def from_domain(cls, exc: DomainError, aliases: dict[str, str] | None = None) -> FormErrors:
        out = cls()
        for d in exc.details:
            out.add((aliases or {}).get(d.field, d.field), d.message)
        if not out.items:
            out.add("", exc.message)
        return out


# ---------------------------------------------------------------- form parsing helpers


def text(form: FormData, name: str) -> str | None:
    v = _str(form.get(name))
    return v.strip() if v and v.strip() else None


def flag(form: FormData, name: str) -> bool:
    return _str(form.get(name)) in ("on", "true", "yes", "1")


def many(form: FormData, name: str) -> list[str]:
    return [v for v in form.getlist(name) if isinstance(v, str) and v]


def month(form: FormData, prefix: str) -> str | None:
    """A date from GOV.UK-style month and year inputs (``prefix-month``, ``prefix-year``)."""
    m, y = text(form, f"{prefix}-month"), text(form, f"{prefix}-year")
    if not m and not y:
        return None
    try:
        return dt.date(int(y or ""), int(m or ""), 1).isoformat()
    except ValueError:
        return f"{y}-{m}"  # left for the model to refuse, naming the field


def form_dict(form: FormData) -> dict[str, Any]:
    """The submitted values to refill a form, lists kept as lists."""
    out: dict[str, Any] = {}
    for key in form.keys():
        values = [v for v in form.getlist(key) if isinstance(v, str)]
        out[key] = values if len(values) > 1 else (values[0] if values else "")
    return out


def options(values: Iterable[Any]) -> list[str]:
    return [getattr(v, "value", v) for v in values]
