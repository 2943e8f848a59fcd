"""Bearer API keys (stored hashed) and the caller's scope.

Roles:
- ``admin``: everything.
- ``rcc_commissioner``: reads everything of their RCC's member LAs; manages providers, homes and
  vacancies located in those LAs; runs matching and sufficiency for the RCC.
- ``la_officer``: children, referrals and placements of their own LA only; may read supply.
- ``provider``: only their own provider record, homes and vacancies (and offers made to them).

A record outside the caller's scope is reported as not found (404), so nothing leaks;
an action the role may never take is 403.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from rcc.db.models import ApiKey, RccMember
from rcc.errors import Forbidden, Unauthorised


class Role(StrEnum):
    ADMIN = "admin"
    RCC_COMMISSIONER = "rcc_commissioner"
    LA_OFFICER = "la_officer"
    PROVIDER = "provider"


@dataclass(frozen=True)
class Principal:
    key_id: int | None
    role: Role
    rcc_id: int | None = None
    la_id: int | None = None
    provider_id: int | None = None
    rcc_la_ids: frozenset[int] = frozenset()

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def visible_la_ids(self) -> frozenset[int] | None:
        """LAs whose children this caller may see; ``None`` means all."""
        if self.role is Role.ADMIN:
            return None
        if self.role is Role.RCC_COMMISSIONER:
            return self.rcc_la_ids
        if self.role is Role.LA_OFFICER and self.la_id is not None:
            return frozenset({self.la_id})
        return frozenset()

    def can_see_la(self, la_id: int) -> bool:
        visible = self.visible_la_ids()
        return visible is None or la_id in visible

    def require(self, *roles: Role) -> None:
        if self.role not in roles and self.role is not Role.ADMIN:
            raise Forbidden(f"role {self.role.value} may not do this")


SYSTEM = Principal(key_id=None, role=Role.ADMIN)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> tuple[str, str]:
    """A fresh key ``rcc_<prefix>_<secret>`` and its lookup prefix."""
    prefix = secrets.token_hex(6)
    return f"rcc_{prefix}_{secrets.token_urlsafe(24)}", prefix


def create_api_key(
    session: Session,
    role: Role,
    *,
    label: str | None = None,
    rcc_id: int | None = None,
    la_id: int | None = None,
    provider_id: int | None = None,
) -> tuple[ApiKey, str]:
    """Store a hashed key and return it with the plaintext, which is shown once and never stored."""
    needs = {Role.RCC_COMMISSIONER: rcc_id, Role.LA_OFFICER: la_id, Role.PROVIDER: provider_id}
    if role in needs and needs[role] is None:
        scope = {Role.RCC_COMMISSIONER: "an RCC", Role.LA_OFFICER: "an LA", Role.PROVIDER: "a provider"}[role]
        raise ValueError(f"a {role.value} key needs {scope}")
    plaintext, prefix = new_key()
    row = ApiKey(
        prefix=prefix,
        key_hash=hash_key(plaintext),
        role=role.value,
        label=label,
        rcc_id=rcc_id if role is Role.RCC_COMMISSIONER else None,
        la_id=la_id if role is Role.LA_OFFICER else None,
        provider_id=provider_id if role is Role.PROVIDER else None,
    )
    session.add(row)
    session.flush()
    return row, plaintext


def authenticate(session: Session, token: str | None) -> Principal:
    if not token or not token.startswith("rcc_") or token.count("_") < 2:
        raise Unauthorised()
    prefix = token.split("_", 2)[1]
    # plain columns, not the ORM entity: this runs on every request
    row = session.execute(select(*_KEY_COLUMNS).where(ApiKey.prefix == prefix)).first()
    if row is None or row.revoked_at is not None or not secrets.compare_digest(row.key_hash, hash_key(token)):
        raise Unauthorised("unknown or revoked API key")
    return scoped_principal(session, row.id, row)


_KEY_COLUMNS = (
    ApiKey.id, ApiKey.key_hash, ApiKey.revoked_at, ApiKey.role, ApiKey.rcc_id, ApiKey.la_id, ApiKey.provider_id
)  # fmt: skip


class Scoped(Protocol):
    """A row that carries a role and its scope: an API key or a web user."""

    role: str
    rcc_id: int | None
    la_id: int | None
    provider_id: int | None


def scoped_principal(session: Session, key_id: int | None, row: Scoped) -> Principal:
    """The principal for a key's or a user's role and scope (a commissioner's RCC member LAs read now)."""
    rcc_las: frozenset[int] = frozenset()
    if row.rcc_id is not None:
        rcc_las = frozenset(session.scalars(select(RccMember.la_id).where(RccMember.rcc_id == row.rcc_id)))
    return Principal(
        key_id=key_id,
        role=Role(row.role),
        rcc_id=row.rcc_id,
        la_id=row.la_id,
        provider_id=row.provider_id,
        rcc_la_ids=rcc_las,
    )


def parse_role(role: str) -> Role:
    """A role named by an operator; ValueError listing the roles if it is none of them."""
    try:
        return Role(role)
    except ValueError as exc:
        raise ValueError(f"role must be one of {', '.join(x.value for x in Role)}") from exc


def revoke_api_key(session: Session, key: str) -> ApiKey:
    """Revoke a key given by id, lookup prefix or the key itself; revoking twice keeps the first time.
    Raises ``LookupError`` when no key matches."""
    from rcc.db.models import utcnow

    key = key.strip()
    prefix = key.split("_", 2)[1] if key.startswith("rcc_") and key.count("_") >= 2 else key
    row = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if row is None and key.isdigit() and int(key) < 2**31:
        row = session.get(ApiKey, int(key))
    if row is None:
        raise LookupError(f"no API key {key!r}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()
    return row


def list_api_keys(session: Session, include_revoked: bool = True) -> list[ApiKey]:
    stmt = select(ApiKey).order_by(ApiKey.id)
    if not include_revoked:
        stmt = stmt.where(ApiKey.revoked_at.is_(None))
    return list(session.scalars(stmt))
