"""Domain errors raised by services; one envelope in :mod:`rcc.app` maps them to HTTP.

The envelope is ``{"error": {"code", "message", "details": [{"field", "message"}]}}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FieldProblem:
    field: str
    message: str


@dataclass
class DomainError(Exception):
    message: str
    details: list[FieldProblem] = field(default_factory=list)
    code: str = "error"
    status: int = 400

    def __str__(self) -> str:
        return self.message


class NotFound(DomainError):
    def __init__(self, entity: str, ident: object):
        super().__init__(f"{entity} {ident} not found", code="not_found", status=404)
        self.entity, self.ident = entity, ident


class Conflict(DomainError):
    def __init__(self, message: str, details: list[FieldProblem] | None = None):
        super().__init__(message, details or [], code="conflict", status=409)


class Invalid(DomainError):
    """Bad input that passed parsing but not the domain's rules; names the field(s)."""

    def __init__(
        self, message: str, field_name: str | None = None, details: list[FieldProblem] | None = None
    ):
        problems = list(details or [])
        if field_name:
            problems.insert(0, FieldProblem(field_name, message))
        super().__init__(message, problems, code="invalid", status=422)


class Forbidden(DomainError):
    def __init__(self, message: str = "this key's role may not do that"):
        super().__init__(message, code="forbidden", status=403)


class Unauthorised(DomainError):
    def __init__(self, message: str = "a valid bearer API key is required"):
        super().__init__(message, code="unauthorised", status=401)
