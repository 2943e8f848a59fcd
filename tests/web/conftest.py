"""Fixtures for the web pages: a user of every role on the small test register, a signed-in client."""

from __future__ import annotations

import re

import pytest

PASSWORD = "correct horse battery staple"


@pytest.fixture
def users(world, factory) -> dict[str, str]:
    """Emails of a user per role (password :data:`PASSWORD`), scoped like the ``world`` keys."""
    from rcc.auth import Role
    from rcc.db import transaction
    from rcc.db.models import LocalAuthority
    from rcc.web.users import create_user

    with transaction(factory) as s:
        la_a = s.query(LocalAuthority).filter_by(gss_code=world.la_a).one()
        made = {
            "admin": create_user(s, "admin@example.org", "Ada Admin", Role.ADMIN, PASSWORD),
            "commissioner": create_user(
                s,
                "comm@example.org",
                "Cora Commissioner",
                Role.RCC_COMMISSIONER,
                PASSWORD,
                rcc_id=world.rcc_id,
            ),
            "officer": create_user(
                s, "officer@example.org", "Olu Officer", Role.LA_OFFICER, PASSWORD, la_id=la_a.id
            ),
            "provider": create_user(
                s,
                "provider@example.org",
                "Priya Provider",
                Role.PROVIDER,
                PASSWORD,
                provider_id=world.provider_a,
            ),
        }
        return {k: u.email for k, u in made.items()}


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "the page has no CSRF token"
    return m.group(1)


def sign_in(client, email: str, password: str = PASSWORD):
    page = client.get("/sign-in")
    return client.post(
        "/sign-in",
        data={"email": email, "password": password, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )


@pytest.fixture
def web_settings():
    from rcc.web.settings import WebSettings

    return WebSettings(cookie_secure=False, lockout_attempts=3, lockout_minutes=15)


@pytest.fixture
def web(settings, web_settings):
    """A TestClient on http://127.0.0.1 (so the relaxed Secure setting applies)."""
    from fastapi.testclient import TestClient

    from rcc.app import create_app

    app = create_app(settings, start_worker=False)
    app.state.web_settings = web_settings
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c
