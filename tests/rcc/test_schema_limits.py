"""The request schemas' limits come from the database columns, so they cannot drift apart:
each text field that lands in a ``VARCHAR(n)`` column has ``max_length`` ≤ n, and each partial
update refuses ``null`` for exactly the NOT NULL columns."""

from __future__ import annotations

import enum
import inspect
import typing

import pytest
from pydantic import BaseModel
from sqlalchemy import String

from api_schemas import children, register
from api_schemas.common import Patch
from rcc.db import models as m

TABLE_OF = {
    register.RccIn: m.Rcc, register.RccPatch: m.Rcc,
    register.ProviderIn: m.Provider, register.ProviderPatch: m.Provider,
    register.HomeIn: m.Home, register.HomePatch: m.Home,
    register.VacancyIn: m.Vacancy, register.VacancyPatch: m.Vacancy,
    children.ChildIn: m.Child, children.ChildPatch: m.Child,
    children.ReferralIn: m.Referral, children.ReferralPatch: m.Referral,
    children.PlacementIn: m.Placement, children.PlacementPatch: m.Placement,
}  # fmt: skip


def _choices(annotation) -> list[str]:
    if inspect.isclass(annotation) and issubclass(annotation, enum.Enum):
        return [str(v.value) for v in annotation]
    if typing.get_origin(annotation) is typing.Literal:
        return [str(v) for v in typing.get_args(annotation)]
    return []


def _max_length(model: type[BaseModel], name: str) -> int | None:
    info = model.model_fields[name]
    lengths = [getattr(c, "max_length", None) for c in info.metadata]
    return min((n for n in lengths if n is not None), default=None)


def test_every_schema_module_model_for_a_table_is_mapped():
    written = {
        c for mod in (register, children) for _, c in inspect.getmembers(mod, inspect.isclass)
        if c.__module__ == mod.__name__ and (c.__name__.endswith("In") or issubclass(c, Patch))
        and c.__name__[:-2].removesuffix("Pat") in {t.__name__ for t in TABLE_OF.values()}
    }  # fmt: skip
    assert written <= set(TABLE_OF)


@pytest.mark.parametrize("model", list(TABLE_OF), ids=lambda c: c.__name__)
def test_text_fields_fit_their_columns(model):
    columns = TABLE_OF[model].__table__.columns
    for name in model.model_fields:
        if name in columns and isinstance(columns[name].type, String) and columns[name].type.length:
            limit = columns[name].type.length
            annotation = model.model_fields[name].annotation
            choices = [v for a in typing.get_args(annotation) or (annotation,) for v in _choices(a)]
            if choices:  # a vocabulary: every value fits
                assert max(map(len, choices)) <= limit, f"{model.__name__}.{name}: a value is over {limit}"
                continue
            got = _max_length(model, name)
            assert got is not None and got <= limit, (
                f"{model.__name__}.{name}: max_length {got}, column {limit}"
            )


@pytest.mark.parametrize("model", [c for c in TABLE_OF if issubclass(c, Patch)], ids=lambda c: c.__name__)
def test_patches_refuse_null_for_exactly_the_not_null_columns(model):
    columns = TABLE_OF[model].__table__.columns
    required = {n for n in model.model_fields if n in columns and not columns[n].nullable}
    assert required <= model.NOT_NULL, sorted(required - model.NOT_NULL)
    assert model.NOT_NULL <= set(model.model_fields)
    name = sorted(model.NOT_NULL)[0]
    with pytest.raises(ValueError, match=name):
        model.model_validate({name: None})
