"""Input limits every request meets before any router sees it, in one place.

The schema (``api_schemas``) states each field's own limits; this guard enforces the limits that hold
for *every* field, so no route can forget them and no value reaches the database that would make it
fail with a 500:

- no string, in the query, the path or a JSON body, contains a NUL byte or a lone surrogate
  (PostgreSQL text cannot hold NUL; a lone surrogate cannot be encoded as UTF-8);
- every integer, in the query or a JSON body, fits the database's ``INTEGER`` (−2³¹ … 2³¹−1);
- every ISO date (``YYYY-MM-DD``, also as the start of a date-time) lies in 1900-01-01 … 2199-12-31,
  so date arithmetic (a day after, 18 years before) cannot overflow.

A refusal is a 422 in the usual envelope, naming the field (``rcc``, ``name``,
``children[0].wishes``). Bodies that are not JSON are left to the route (uploads are validated
by their own parsers).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, unquote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DB_INT_MIN, DB_INT_MAX = -(2**31), 2**31 - 1
DATE_MIN, DATE_MAX = dt.date(1900, 1, 1), dt.date(2199, 12, 31)
_SURROGATE = re.compile("[\ud800-\udfff]")
_INT = re.compile(r"[-+]?\d+")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:$|[T ])")


def problem(value: Any, *, from_query: bool = False) -> str | None:
    """Why ``value`` breaks a universal limit, or None. A query value is untyped text, so a run of
    digits there is read as the number it will become; in JSON only a number is a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return None if DB_INT_MIN <= value <= DB_INT_MAX else "number is outside the database integer range"
    if isinstance(value, str):
        if "\x00" in value:
            return "text may not contain a NUL character"
        if _SURROGATE.search(value):
            return "text may not contain a lone surrogate"
        if from_query and _INT.fullmatch(value.strip()) and not DB_INT_MIN <= int(value) <= DB_INT_MAX:
            return "number is outside the database integer range"
        m = _DATE.match(value)
        if m:
            try:
                day = dt.date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                return None  # not a date; the field's own type reports it
            if not DATE_MIN <= day <= DATE_MAX:
                return f"date must be between {DATE_MIN} and {DATE_MAX}"
    return None


def walk(value: Any, where: str) -> Iterator[tuple[str, str]]:
    """Every (field, problem) in a decoded JSON document."""
    if isinstance(value, dict):
        for k, v in value.items():
            if (p := problem(k)) is not None:
                yield where, p
            yield from walk(v, f"{where}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk(v, f"{where}[{i}]")
    elif (p := problem(value)) is not None:
        yield where, p


def _field(path: str) -> str:
    """``body.children[0].wishes`` → ``children[0].wishes``, as the validation errors name fields."""
    return path.removeprefix("body.") if path != "body" else path


def _refusal(problems: list[tuple[str, str]]) -> bytes:
    fields = ", ".join(dict.fromkeys(f for f, _ in problems))
    return json.dumps(
        {
            "error": {
                "code": "invalid",
                "message": f"invalid input: {fields}",
                "details": [{"field": f, "message": m} for f, m in problems],
            }
        }  # fmt: skip
    ).encode()


class InputGuard:
    """ASGI middleware: refuse (422) a request whose query, path or JSON body breaks a universal limit."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problems: list[tuple[str, str]] = []
        raw_path = scope.get("raw_path") or scope["path"].encode()
        path = unquote(raw_path.decode("latin-1"), errors="surrogateescape")
        if "\x00" in path or _SURROGATE.search(path):
            problems.append(("path", "the path may not contain a NUL character or invalid UTF-8"))
        query = scope.get("query_string", b"").decode("latin-1")
        for name, value in parse_qsl(query, keep_blank_values=True, errors="surrogateescape"):
            if (p := problem(value, from_query=True)) is not None:
                problems.append((name, p))
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        replay: list[Message] = []
        if b"json" in headers.get(b"content-type", b"") and not problems:
            body = b""
            while True:
                message = await receive()
                replay.append(message)
                if message["type"] != "http.request":
                    break
                body += message.get("body", b"")
                if not message.get("more_body"):
                    break
            try:
                doc = json.loads(body) if body.strip() else None
            except (ValueError, RecursionError):
                doc = None  # the route reports malformed JSON itself
            problems.extend((_field(f), m) for f, m in walk(doc, "body"))
        if problems:
            payload = _refusal(problems)
            await send({"type": "http.response.start", "status": 422,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", str(len(payload)).encode())]})  # fmt: skip
            await send({"type": "http.response.body", "body": payload})
            return
        if not replay:
            await self.app(scope, receive, send)
            return

        async def replayed() -> Message:
            return replay.pop(0) if replay else await receive()

        await self.app(scope, replayed, send)
