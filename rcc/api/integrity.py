"""Helpers for the error envelope: which field a database constraint is about; which methods a path allows."""

from __future__ import annotations

import re

from sqlalchemy.exc import IntegrityError
from starlette.requests import Request

# SQLite: "UNIQUE constraint failed: children.la_id, children.la_child_id" / "NOT NULL constraint failed: homes.x"
_SQLITE = re.compile(r"constraint failed: (?P<cols>[\w.,\s]+)")
_KINDS = (
    ("unique", "already exists"),
    ("foreign key", "refers to a record that does not exist"),
    ("not null", "may not be null"),
    ("check", "is out of range"),
)


def integrity_field(exc: IntegrityError) -> tuple[str | None, str]:
    """(field, message) for a constraint violation, read from the driver's diagnostics (PostgreSQL) or
    the message's column list (SQLite); the database's own text is never returned."""
    orig = exc.orig
    text = str(orig).lower()
    kind = next((msg for key, msg in _KINDS if key in text or key.replace(" ", "_") in text), "conflicts")
    diag = getattr(orig, "diag", None)
    field: str | None = None
    if diag is not None:
        field = getattr(diag, "column_name", None)
        constraint = getattr(diag, "constraint_name", None) or ""
        table = getattr(diag, "table_name", None) or ""
        if not field and constraint:
            # PostgreSQL default names: <table>_<col>[_<col>]_(key|fkey|check)
            core = re.sub(r"_(key|fkey|check|pkey)$", "", constraint)
            core = core[len(table) + 1 :] if table and core.startswith(table + "_") else core
            field = core.split("_id_")[-1] if "_id_" in core and "fkey" not in constraint else core
        if "unique" in text or "duplicate key" in text:
            kind = "already exists"
    else:
        m = _SQLITE.search(str(orig))
        if m:
            cols = [c.strip().split(".")[-1] for c in m["cols"].split(",")]
            field = cols[-1]
    return field, f"{field or 'the value'} {kind}"


def allowed_methods(request: Request) -> list[str]:
    """The methods the requested path allows, read from the app's OpenAPI document (for a 405's
    ``Allow`` header; the document is built once and cached by the app)."""
    path = request.scope["path"]
    methods: set[str] = set()
    for template, ops in request.app.openapi().get("paths", {}).items():
        if re.fullmatch(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)), path):
            methods |= {m.upper() for m in ops if m in ("get", "post", "put", "patch", "delete")}
    return sorted(methods)
