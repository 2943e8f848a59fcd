"""Sign-in for people: argon2 passwords, session cookies, CSRF on every form, lockout, disable."""

from __future__ import annotations

from tests.web.conftest import PASSWORD, csrf_of, sign_in


def test_sign_in_sets_a_secure_httponly_samesite_session_and_lands_on_the_role_page(web, users):
    r = sign_in(web, users["officer"])
    assert r.status_code == 303 and r.headers["location"] == "/officer"
    cookie = [h for h in r.headers.get_list("set-cookie") if h.startswith("rcc_session=")][0].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    page = web.get("/officer")
    assert page.status_code == 200 and "Olu Officer" in page.text


def test_session_cookie_is_secure_unless_relaxed_on_loopback(settings, users):
    from fastapi.testclient import TestClient

    from rcc.app import create_app
    from rcc.web.settings import WebSettings

    # a Secure cookie is not sent back over plain http, so the secure cases sign in over https
    for relaxed, host, secure in ((False, "https://127.0.0.1", True), (True, "http://127.0.0.1", False),
                                  (True, "https://rcc.example.org", True)):  # fmt: skip
        app = create_app(settings, start_worker=False)
        app.state.web_settings = WebSettings(cookie_secure=not relaxed)
        with TestClient(app, base_url=host) as c:
            r = sign_in(c, users["officer"])
            cookie = [h for h in r.headers.get_list("set-cookie") if h.startswith("rcc_session=")][0].lower()
            assert ("; secure" in cookie) is secure, (relaxed, host)


def test_password_is_stored_as_argon2_and_never_in_clear(factory, users):
    from rcc.db.models import User

    with factory() as s:
        user = s.query(User).filter_by(email=users["officer"]).one()
        assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash


def test_pages_need_a_session(web, users):
    r = web.get("/officer", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/sign-in?next=/officer")


def test_a_user_acts_through_their_own_scope(web, users):
    sign_in(web, users["provider"])
    r = web.get("/officer")
    assert r.status_code == 403 and "not for your role" in r.text
    assert web.get("/provider").status_code == 200


def test_sign_in_form_refuses_a_missing_csrf_token(web, users):
    web.get("/sign-in")
    r = web.post("/sign-in", data={"email": users["officer"], "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 403 and "rcc_session" not in r.headers.get("set-cookie", "")


def test_every_form_post_checks_the_session_csrf_token(web, users):
    sign_in(web, users["officer"])
    r = web.post("/officer/referrals/new", data={"la_child_id": "X1"})
    assert r.status_code == 403 and "The form had expired" in r.text
    r = web.post("/sign-out", data={"csrf_token": "wrong"})
    assert r.status_code == 403
    assert web.get("/officer").status_code == 200  # still signed in


def test_wrong_passwords_lock_the_account(web, users):
    for _ in range(3):
        r = sign_in(web, users["officer"], "wrong password 123")
        assert r.status_code == 401 and "Enter a correct email address and password" in r.text
    r = sign_in(web, users["officer"])  # right password, but locked now
    assert r.status_code == 401 and "locked" in r.text


def test_unknown_email_gets_the_same_answer_as_a_wrong_password(web, users):
    r = sign_in(web, "nobody@example.org", "whatever password")
    assert r.status_code == 401 and "Enter a correct email address and password" in r.text


def test_sign_out_ends_the_session(web, users):
    sign_in(web, users["officer"])
    page = web.get("/officer")
    r = web.post("/sign-out", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert r.status_code == 303
    assert web.get("/officer", follow_redirects=False).status_code == 303


def test_disabling_a_user_ends_their_sessions_and_revokes_their_key(web, users, factory):
    from rcc.db.models import ApiKey, User
    from rcc.web.users import disable_account

    sign_in(web, users["officer"])
    assert web.get("/officer").status_code == 200
    disable_account(factory, users["officer"])
    assert web.get("/officer", follow_redirects=False).status_code == 303
    r = sign_in(web, users["officer"])
    assert r.status_code == 401 and "disabled" in r.text
    with factory() as s:
        user = s.query(User).filter_by(email=users["officer"]).one()
        assert s.get(ApiKey, user.api_key_id).revoked_at is not None


def test_next_only_goes_to_a_path_on_this_site(web, users):
    page = web.get("/sign-in?next=//evil.example/x")
    r = web.post(
        "/sign-in",
        data={"email": users["officer"], "password": PASSWORD, "csrf_token": csrf_of(page.text),
              "next": "//evil.example/x"},
        follow_redirects=False,
    )  # fmt: skip
    assert r.headers["location"] == "/officer"


def test_oidc_seam_finds_only_enabled_users_by_issuer_and_subject(factory, world):
    from rcc.auth import Role
    from rcc.db import transaction
    from rcc.web.users import create_user, user_for_oidc

    iss = "https://login.microsoftonline.com/tenant-id/v2.0"
    with transaction(factory) as s:
        create_user(s, "sso@example.org", "Sam SSO", Role.RCC_COMMISSIONER, None, rcc_id=world.rcc_id,
                    oidc_issuer=iss, oidc_subject="oid-123")  # fmt: skip
    with transaction(factory) as s:
        assert user_for_oidc(s, iss, "oid-123").email == "sso@example.org"
        assert user_for_oidc(s, iss, "oid-999") is None
        assert user_for_oidc(s, "https://other.example", "oid-123") is None


def test_web_settings_come_from_rcc_web_variables(monkeypatch):
    import pydantic
    import pytest

    from rcc.web.settings import WebSettings

    monkeypatch.setenv("RCC_WEB_COOKIE_SECURE", "false")
    monkeypatch.setenv("RCC_WEB_LOCKOUT_ATTEMPTS", "3")
    cfg = WebSettings.from_env()
    assert (cfg.cookie_secure, cfg.lockout_attempts, cfg.session_hours) == (False, 3, 8)
    monkeypatch.setenv("RCC_WEB_LOCKOUT_ATTEMPTS", "0")
    with pytest.raises(pydantic.ValidationError, match="lockout_attempts"):
        WebSettings.from_env()
