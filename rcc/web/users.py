"""People who sign in: accounts, argon2 passwords, lockout, server-side sessions and CSRF tokens.

A user has the same roles and scopes as an API key (:class:`rcc.auth.Role`). Each user is backed
by an ``api_keys`` row whose secret is generated, hashed and thrown away, so it can never be used
as a bearer key; the person's :class:`~rcc.auth.Principal` carries that row's id, and jobs, audit
events and returns attribute their actions exactly as they would a key's. Disabling a user revokes
that row and ends every session.

Sessions are rows in ``web_sessions``: the cookie holds a random token (only its SHA-256 is
stored), with an absolute lifetime and an idle timeout (:mod:`rcc.web.settings`). Each session has
its own CSRF token, which every form posts back (synchroniser-token pattern).

Single sign-on seam (OIDC, e.g. Microsoft Entra ID)
---------------------------------------------------
Not built, but the pieces are here. An ``/sign-in/oidc`` route would redirect to the LA's
identity provider (authorisation-code flow with PKCE), and its callback would verify the ID
token's signature, ``iss``, ``aud``, ``exp`` and ``nonce`` (Entra ID: issuer
``https://login.microsoftonline.com/<tenant-id>/v2.0``; use the ``oid`` claim, stable per tenant,
as the subject). It then calls :func:`user_for_oidc` with the verified issuer and subject and, if
a user is returned, :func:`start_session` - exactly what the password sign-in does after
:func:`check_password`. Accounts and their roles are still made by ``rcc user create
--oidc-issuer ... --oidc-subject ...``: the identity provider says *who* someone is, never *what
they may do* here, so a valid token for an unknown subject signs no one in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from rcc.auth import Principal, Role, create_api_key, parse_role, scoped_principal
from rcc.db.models import ApiKey, User, WebSession, utcnow
from rcc.web.settings import WebSettings

MIN_PASSWORD_LENGTH = 12
_hasher = PasswordHasher()
# verified against when the email is unknown, so a wrong email costs as long as a wrong password
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class SignInRefused(Exception):
    """Wrong email or password, a locked or a disabled account; the message is safe to show."""


@dataclass(frozen=True)
class SignedIn:
    user: User
    session: WebSession
    principal: Principal


def _aware(ts: dt.datetime) -> dt.datetime:
    return ts if ts.tzinfo else ts.replace(tzinfo=dt.UTC)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


# ---------------------------------------------------------------- accounts (the CLI's work)


def create_user(
    session: Session,
    email: str,
    display_name: str,
    role: Role,
    password: str | None,
    *,
    rcc_id: int | None = None,
    la_id: int | None = None,
    provider_id: int | None = None,
    oidc_issuer: str | None = None,
    oidc_subject: str | None = None,
) -> User:
    """A new account; ``password`` may be None only for an account that signs in through OIDC."""
    email = normalise_email(email)
    if "@" not in email:
        raise ValueError("give an email address")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise ValueError(f"a user {email} already exists")
    if password is None and not (oidc_issuer and oidc_subject):
        raise ValueError("give a password, or an OIDC issuer and subject")
    pw_hash = hash_password(password) if password is not None else None
    key, _ = create_api_key(
        session, role, label=f"user {email}", rcc_id=rcc_id, la_id=la_id, provider_id=provider_id
    )
    user = User(
        email=email,
        display_name=display_name.strip() or email,
        password_hash=pw_hash,
        role=role.value,
        rcc_id=key.rcc_id,
        la_id=key.la_id,
        provider_id=key.provider_id,
        api_key_id=key.id,
        oidc_issuer=oidc_issuer,
        oidc_subject=oidc_subject,
        failed_attempts=0,
    )
    session.add(user)
    session.flush()
    return user


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def disable_user(session: Session, email: str) -> User:
    """Stop an account at once: its sessions end and its key row is revoked."""
    user = find_user(session, email)
    if user is None:
        raise ValueError(f"no user {email}")
    now = utcnow()
    user.disabled_at = user.disabled_at or now
    key = session.get(ApiKey, user.api_key_id)
    if key is not None and key.revoked_at is None:
        key.revoked_at = now
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    session.flush()
    return user


def principal_for(session: Session, user: User) -> Principal:
    return scoped_principal(session, user.api_key_id, user)


# ---------------------------------------------------------------- sign-in


def check_password(session: Session, email: str, password: str, cfg: WebSettings) -> User:
    """The user, or :class:`SignInRefused`; counts failures and locks after ``cfg.lockout_attempts``."""
    now = utcnow()
    user = find_user(session, email)
    if user is None or user.password_hash is None:
        try:
            _hasher.verify(_DUMMY_HASH, password)
        except VerificationError:
            pass
        raise SignInRefused("Enter a correct email address and password")
    if user.disabled_at is not None:
        raise SignInRefused("This account has been disabled; ask your RCC's administrator")
    if user.locked_until is not None and _aware(user.locked_until) > now:
        raise SignInRefused(
            "This account is locked after too many failed sign-ins; try again in "
            f"{cfg.lockout_minutes} minutes or ask your administrator"
        )
    try:
        _hasher.verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        user.failed_attempts += 1
        if user.failed_attempts >= cfg.lockout_attempts:
            user.locked_until = now + dt.timedelta(minutes=cfg.lockout_minutes)
            user.failed_attempts = 0
        session.flush()
        raise SignInRefused("Enter a correct email address and password") from None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.failed_attempts = 0
    user.locked_until = None
    return user


def user_for_oidc(session: Session, issuer: str, subject: str) -> User | None:
    """The enabled user a *verified* OIDC identity belongs to (see the module docstring), or None."""
    user = session.scalar(select(User).where(User.oidc_issuer == issuer, User.oidc_subject == subject))
    return user if user is not None and user.disabled_at is None else None


def start_session(session: Session, user: User, cfg: WebSettings) -> tuple[str, WebSession]:
    """A new session for ``user``; returns the cookie token (shown once) and the row."""
    now = utcnow()
    token = secrets.token_urlsafe(32)
    row = WebSession(
        token_hash=_token_hash(token),
        csrf_token=secrets.token_urlsafe(32),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + dt.timedelta(hours=cfg.session_hours),
    )
    user.last_sign_in_at = now
    session.add(row)
    session.flush()
    return token, row


def resume_session(session: Session, token: str | None, cfg: WebSettings) -> SignedIn | None:
    """The signed-in user behind a cookie token, or None (unknown, expired, idle or disabled)."""
    if not token:
        return None
    row = session.scalar(select(WebSession).where(WebSession.token_hash == _token_hash(token)))
    if row is None:
        return None
    now = utcnow()
    idle = dt.timedelta(minutes=cfg.idle_minutes)
    if _aware(row.expires_at) <= now or _aware(row.last_seen_at) + idle <= now:
        session.delete(row)
        return None
    user = session.get(User, row.user_id)
    if user is None or user.disabled_at is not None:
        return None
    if now - _aware(row.last_seen_at) > dt.timedelta(minutes=1):  # one write a minute at most
        row.last_seen_at = now
    return SignedIn(user, row, principal_for(session, user))


def end_session(session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(WebSession).where(WebSession.token_hash == _token_hash(token)))


def csrf_ok(expected: str | None, given: str | None) -> bool:
    return bool(expected and given) and secrets.compare_digest(str(expected), str(given))


# ---------------------------------------------------------------- the operator's commands


def create_account(
    factory,
    email: str,
    display_name: str,
    role: str,
    password: str | None,
    *,
    rcc: str | None = None,
    la: str | None = None,
    provider: int | None = None,
    oidc_issuer: str | None = None,
    oidc_subject: str | None = None,
) -> User:
    """``rcc user create``: resolve the scope as ``rcc apikey create`` does, then :func:`create_user`."""
    from rcc.db import transaction
    from rcc.pagination import resolve_scope

    r = parse_role(role)
    with transaction(factory) as s:
        rcc_id, la_id, provider_id = resolve_scope(s, rcc=rcc, la=la, provider=provider)
        return create_user(
            s, email, display_name, r, password, rcc_id=rcc_id, la_id=la_id, provider_id=provider_id,
            oidc_issuer=oidc_issuer, oidc_subject=oidc_subject,
        )  # fmt: skip


def disable_account(factory, email: str) -> User:
    from rcc.db import transaction

    with transaction(factory) as s:
        return disable_user(s, email)
