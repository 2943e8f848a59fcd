"""The RCC's matching policy: the library defaults, an RCC's checked overrides, read and replace."""

from __future__ import annotations

import dataclasses
import enum
import logging
import typing
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

import matching as mlib
from api_schemas.matching import MatchingPolicyIn
from rcc.auth import Principal, Role
from rcc.db.models import (
    MatchingPolicy,
    Rcc,
)
from rcc.errors import Forbidden, Invalid, NotFound
from rcc.pagination import get_or_404

log = logging.getLogger("rcc.matching")

_POLICY_HINTS: dict[str, Any] = typing.get_type_hints(mlib.Policy)


_POLICY_DEFAULTS = mlib.Policy()


def _pair_enum(hint: Any) -> type[enum.Enum] | None:
    """The enum of a ``tuple[tuple[Enum, int], ...]`` field, else None."""
    if typing.get_origin(hint) is not tuple:
        return None
    inner = typing.get_args(hint)[0]
    if typing.get_origin(inner) is not tuple:
        return None
    key = typing.get_args(inner)[0]
    return key if isinstance(key, type) and issubclass(key, enum.Enum) else None


def _to_json(value: Any) -> Any:
    if isinstance(value, tuple) and all(isinstance(p, tuple) and len(p) == 2 for p in value):
        return {getattr(k, "value", k): v for k, v in value}
    return getattr(value, "value", value)


def policy_as_json(policy: mlib.Policy) -> dict[str, Any]:
    return {f.name: _to_json(getattr(policy, f.name)) for f in dataclasses.fields(policy)}


def _check_override(name: str, value: Any) -> Any:
    """One override, checked against the Policy field's type; returns the library value."""
    field_name = f"overrides.{name}"
    if name not in _POLICY_HINTS:
        raise Invalid(f"{name!r} is not a matching policy setting", field_name)
    hint = _POLICY_HINTS[name]
    if hint is bool:
        if not isinstance(value, bool):
            raise Invalid("must be true or false", field_name)
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10_000_000:
            raise Invalid("must be a whole number from 0 to 10,000,000", field_name)
        if name.endswith("_per_point") and value < 1:
            raise Invalid("must be at least 1", field_name)
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1000:
            raise Invalid("must be a number from 0 to 1000", field_name)
        return float(value)
    key_enum = _pair_enum(hint)
    if key_enum is not None:
        if not isinstance(value, dict):
            raise Invalid("must be an object keyed by " + key_enum.__name__, field_name)
        pairs = []
        for k, v in value.items():
            try:
                member = key_enum(k)
            except ValueError:
                raise Invalid(f"{k!r} is not a {key_enum.__name__}", f"{field_name}.{k}") from None
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 10_000_000:
                raise Invalid("must be a whole number from 0 to 10,000,000", f"{field_name}.{k}")
            pairs.append((member, v))
        if name != "median_weekly_fee":  # a pair list the library reads in full: keep unset keys
            given = {m for m, _ in pairs}
            pairs += [(m, v) for m, v in getattr(_POLICY_DEFAULTS, name) if m not in given]
        return tuple(sorted(pairs, key=lambda p: str(p[0].value)))
    raise Invalid(f"{name!r} cannot be overridden", field_name)


def policy_from_overrides(overrides: dict[str, Any]) -> mlib.Policy:
    """The library Policy with ``overrides`` applied; settings the library no longer has are skipped."""
    values = {}
    for name, value in (overrides or {}).items():
        if name not in _POLICY_HINTS:
            log.warning("ignoring stored matching policy override %r (no such setting)", name)
            continue
        values[name] = _check_override(name, value)
    return dataclasses.replace(_POLICY_DEFAULTS, **values)


def _policy_row(session: Session, rcc_id: int) -> MatchingPolicy | None:
    return session.get(MatchingPolicy, rcc_id)


def policy_for_rcc(session: Session, rcc_id: int | None) -> mlib.Policy:
    row = _policy_row(session, rcc_id) if rcc_id is not None else None
    return policy_from_overrides(row.overrides if row else {})


def _manage_rcc(session: Session, who: Principal, rcc_id: int) -> Rcc:
    if who.role not in (Role.ADMIN, Role.RCC_COMMISSIONER):
        raise Forbidden("only the RCC's commissioner or an admin manages its matching")
    rcc = get_or_404(session, Rcc, rcc_id, "rcc")
    if who.role is Role.RCC_COMMISSIONER and who.rcc_id != rcc_id:
        raise NotFound("rcc", rcc_id)
    return rcc


@dataclass(frozen=True)
class PolicyView:
    rcc_id: int
    overrides: dict[str, Any]
    effective: dict[str, Any]
    defaults: dict[str, Any]


def _policy_view(rcc_id: int, overrides: dict[str, Any]) -> PolicyView:
    return PolicyView(
        rcc_id,
        dict(overrides),
        policy_as_json(policy_from_overrides(overrides)),
        policy_as_json(_POLICY_DEFAULTS),
    )


def get_policy(session: Session, who: Principal, rcc_id: int) -> PolicyView:
    _manage_rcc(session, who, rcc_id)
    row = _policy_row(session, rcc_id)
    return _policy_view(rcc_id, row.overrides if row else {})


def put_policy(session: Session, who: Principal, rcc_id: int, data: MatchingPolicyIn) -> PolicyView:
    _manage_rcc(session, who, rcc_id)
    stored = {}
    for name, value in data.overrides.items():
        _check_override(name, value)  # 422 naming the setting
        stored[name] = value
    row = _policy_row(session, rcc_id)
    if row is None:
        row = MatchingPolicy(rcc_id=rcc_id, overrides=stored, updated_by_key_id=who.key_id)
        session.add(row)
    else:
        row.overrides, row.updated_by_key_id = stored, who.key_id
    session.flush()
    return _policy_view(rcc_id, stored)
