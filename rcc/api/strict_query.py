"""Unknown query parameters are an error, app-wide.

A misspelt or unsupported filter (``/homes?postcode=ZZ9 9``) used to be ignored, so the caller got
every row and no hint. :func:`reject_unknown_query` is installed once as an application dependency:
it compares the request's query parameter names with those the matched operation declares (its own
and its dependencies', e.g. ``limit`` and ``offset``) and answers 422 naming each unknown one.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from rcc.errors import FieldProblem, Invalid


def _query_names(dependant: Dependant) -> set[str]:
    """Query parameter names of an operation and all its sub-dependencies (a Pydantic model
    declared as ``Query()`` contributes its fields)."""
    names: set[str] = set()
    for field in dependant.query_params:
        model = getattr(field.field_info, "annotation", None)
        fields = getattr(model, "model_fields", None)
        if isinstance(model, type) and fields:
            names |= {f.alias or n for n, f in fields.items()}
        else:
            names.add(field.alias or field.name)
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def _declared(route: APIRoute) -> frozenset[str]:
    """Computed once per route and kept on it (routes are not hashable, so no lru_cache)."""
    names: frozenset[str] | None = getattr(route, "_rcc_query_names", None)
    if names is None:
        names = frozenset(_query_names(route.dependant))
        setattr(route, "_rcc_query_names", names)  # noqa: B010
    return names


async def reject_unknown_query(request: Request) -> None:
    """Async, because it only compares names: a sync dependency would cost every request a hop to a
    worker thread and back."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not request.url.path.startswith("/api/"):
        return  # the API's operations only: the web pages read their own form and query fields
    declared = _declared(route)
    unknown = sorted({k for k in request.query_params.keys() if k not in declared})
    if unknown:
        known = ", ".join(sorted(declared)) or "none"
        raise Invalid(
            f"unknown query parameter(s): {', '.join(unknown)} (this operation takes: {known})",
            details=[
                FieldProblem(name, f"unknown query parameter; this operation takes: {known}")
                for name in unknown
            ],
        )
