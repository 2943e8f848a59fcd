"""The operations every plain register record has, declared once: ``POST {path}`` and ``GET``,
``PATCH``, ``DELETE {path}/{<entity>_id}``.

A router calls :func:`record_routes` with the record's models and its service functions. The
operations keep the names (``create_child``, ``get_child``, ``update_child``, ``delete_child``),
paths, parameters, status codes and response models they had when each was written out by hand,
so the OpenAPI document and its operation ids do not change. Lists stay in the routers: each has
its own filters.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, status
from pydantic import BaseModel

from api_schemas.common import Id
from rcc.api.deps import DB, Caller

_KW = inspect.Parameter.KEYWORD_ONLY


@dataclass(frozen=True)
class Record:
    """One kind of record: ``entity`` names the operations and the id (``child`` -> ``child_id``)."""

    entity: str
    path: str  # e.g. "/children"
    tag: str
    new: type[BaseModel]  # the POST body
    out: type[BaseModel]
    patch: type[BaseModel]


@dataclass(frozen=True)
class Service:
    """The service functions: ``create(db, who, body)``, ``get(db, who, id)``,
    ``update(db, who, id, body)``, ``delete(db, who, id)``."""

    create: Callable[..., Any]
    get: Callable[..., Any]
    update: Callable[..., Any]
    delete: Callable[..., Any]


def _endpoint(name: str, params: list[inspect.Parameter], call: Callable[..., Any]) -> Callable[..., Any]:
    """A function FastAPI reads as if written with ``params`` (typed) and called ``name``."""

    def endpoint(**values: Any) -> Any:
        return call(**values)

    endpoint.__name__ = endpoint.__qualname__ = name
    endpoint.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    return endpoint


def record_routes(router: APIRouter, r: Record, svc: Service) -> None:
    """Add the record's create, read, update and delete operations to ``router``."""
    id_name = f"{r.entity}_id"
    ident = inspect.Parameter(id_name, _KW, annotation=Id)
    db = inspect.Parameter("db", _KW, annotation=DB)
    who = inspect.Parameter("who", _KW, annotation=Caller)
    item = f"{r.path}/{{{id_name}}}"

    def create(**v: Any) -> Any:
        return r.out.model_validate(svc.create(v["db"], v["who"], v["body"]))

    def read(**v: Any) -> Any:
        return r.out.model_validate(svc.get(v["db"], v["who"], v[id_name]))

    def update(**v: Any) -> Any:
        return r.out.model_validate(svc.update(v["db"], v["who"], v[id_name], v["body"]))

    def delete(**v: Any) -> None:
        svc.delete(v["db"], v["who"], v[id_name])

    new_body = inspect.Parameter("body", _KW, annotation=r.new)
    patch_body = inspect.Parameter("body", _KW, annotation=r.patch)
    router.add_api_route(
        r.path, _endpoint(f"create_{r.entity}", [new_body, db, who], create),
        methods=["POST"], response_model=r.out, status_code=201, tags=[r.tag],
    )  # fmt: skip
    router.add_api_route(
        item, _endpoint(f"get_{r.entity}", [ident, db, who], read),
        methods=["GET"], response_model=r.out, tags=[r.tag],
    )  # fmt: skip
    router.add_api_route(
        item, _endpoint(f"update_{r.entity}", [ident, patch_body, db, who], update),
        methods=["PATCH"], response_model=r.out, tags=[r.tag],
    )  # fmt: skip
    router.add_api_route(
        item, _endpoint(f"delete_{r.entity}", [ident, db, who], delete),
        methods=["DELETE"], status_code=status.HTTP_204_NO_CONTENT, tags=[r.tag],
    )  # fmt: skip
