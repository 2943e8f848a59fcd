"""The API documents itself for a client developer: every operation has a summary and a description,
every tag a description, every request and response body an example its model accepts, and the
error envelope is a documented response."""

from __future__ import annotations

import importlib
import json
import pkgutil
import re

import pytest
from pydantic import BaseModel

from rcc.api.docs import default_summary
from rcc.config import REPO_ROOT


def _operations(spec):
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            yield f"{method.upper()} {path}", op


def test_every_operation_has_a_summary_and_description(client):
    spec = client.get("/openapi.json").json()
    missing = [
        name
        for name, op in _operations(spec)
        if not op.get("summary")
        or not op.get("description")
        or op["summary"] == default_summary(op["operationId"])
    ]
    assert missing == []


def test_every_tag_is_described(client):
    spec = client.get("/openapi.json").json()
    described = {t["name"]: t.get("description") for t in spec.get("tags", [])}
    used = {tag for _, op in _operations(spec) for tag in op.get("tags", [])}
    assert used <= set(described)
    assert all(described[t] for t in used)


def test_the_error_envelope_is_a_documented_response(client):
    from api_schemas.common import ErrorEnvelope

    spec = client.get("/openapi.json").json()
    for name, op in _operations(spec):
        if name.endswith("/health"):
            continue
        for code in ("401", "403", "404", "409", "422"):
            ref = (
                op["responses"].get(code, {}).get("content", {}).get("application/json", {}).get("schema", {})
            )
            assert ref.get("$ref", "").endswith("/ErrorEnvelope"), (name, code)
    envelope = spec["components"]["schemas"]["ErrorEnvelope"]
    # the envelope the README shows is the documented one, and so is the document's own example
    readme = (REPO_ROOT / "README.md").read_text()
    shown = [json.loads(m) for m in re.findall(r'^(\{"error": \{.*\}\})$', readme, flags=re.M)]
    assert shown, "the README shows the error envelope"
    for example in [*shown, *envelope["examples"]]:
        ErrorEnvelope.model_validate(example)
        assert set(example["error"]) == {"code", "message", "details"}


def test_the_description_is_a_client_guide(client):
    text = client.get("/openapi.json").json()["info"]["description"]
    for topic in ("Authentication", "Paging", "Errors", "Jobs"):
        assert f"**{topic}.**" in text


def test_every_request_body_has_an_example_the_api_accepts(client):
    import api_schemas.children
    import api_schemas.commissioning
    import api_schemas.forecasts
    import api_schemas.matching
    import api_schemas.register
    import api_schemas.webhooks

    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    bodies = set()
    for _, op in _operations(spec):
        for content in op.get("requestBody", {}).get("content", {}).values():
            ref = content.get("schema", {}).get("$ref", "")
            name = ref.split("/")[-1]
            if name and not name.startswith("Body_"):  # multipart forms: their fields are described instead
                bodies.add(name)
    modules = (api_schemas.children, api_schemas.commissioning, api_schemas.forecasts, api_schemas.matching,
               api_schemas.register, api_schemas.webhooks)  # fmt: skip
    for name in sorted(bodies):
        assert schemas[name].get("examples"), name
        model = next(getattr(m, name) for m in modules if hasattr(m, name))
        for example in schemas[name]["examples"]:
            model.model_validate(example)  # the example is something the API accepts


def _json_responses(spec):
    """(operation, status, media) for every documented JSON answer."""
    for name, op in _operations(spec):
        for code, response in op.get("responses", {}).items():
            media = (response.get("content") or {}).get("application/json")
            if media is not None:
                yield f"{name} {code}", media


def _component(media) -> str | None:
    schema = media.get("schema", {})
    ref = schema.get("$ref") or schema.get("items", {}).get("$ref")
    return ref.split("/")[-1] if ref else None


def _response_models() -> dict[str, type[BaseModel]]:
    """Every model in api_schemas by its OpenAPI component name; ``Page_X_`` is ``Page[X]``."""
    import api_schemas
    from api_schemas.common import Page

    found: dict[str, type[BaseModel]] = {}
    for info in pkgutil.iter_modules(api_schemas.__path__):
        module = importlib.import_module(f"api_schemas.{info.name}")
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, BaseModel) and obj.__module__ == module.__name__:
                found[obj.__name__] = obj
    for name, model in list(found.items()):
        found[f"Page_{name}_"] = Page[model]  # type: ignore[index]
    return found


def _check_response_examples(spec) -> tuple[list[str], set[str]]:
    """(answers without an example, component names whose examples validated against their model).
    Raises ValidationError when an example is not something the model would answer."""
    schemas = spec["components"]["schemas"]
    models = _response_models()
    missing, checked = [], set()
    for where, media in _json_responses(spec):
        name = _component(media)
        if name is None:  # a dict or a health probe: the example sits on the media type
            if "example" not in media and "examples" not in media:
                missing.append(where)
            continue
        if not schemas[name].get("examples"):
            missing.append(f"{where} ({name})")
            continue
        if name in checked or name == "ErrorEnvelope":  # the envelope: checked against the README above
            continue
        checked.add(name)
        for example in schemas[name]["examples"]:
            models[name].model_validate(example)
    return missing, checked


def test_every_response_model_has_an_example_its_model_accepts(client):
    missing, checked = _check_response_examples(client.get("/openapi.json").json())
    assert missing == []
    # every model-shaped answer was checked, lists included
    assert {"ChildOut", "Page_ChildOut_", "SubmissionOut", "GapOut", "StressTestJob"} <= checked


def test_the_example_check_catches_a_missing_or_wrong_example(client):
    from pydantic import ValidationError

    spec = client.get("/openapi.json").json()
    del spec["components"]["schemas"]["VacancyOut"]["examples"]
    spec["paths"]["/health"]["get"]["responses"]["200"]["content"]["application/json"].pop("example")
    missing, _ = _check_response_examples(spec)
    assert "GET /api/v1/vacancies/{vacancy_id} 200 (VacancyOut)" in missing and "GET /health 200" in missing
    spec = client.get("/openapi.json").json()
    spec["components"]["schemas"]["HomeOut"]["examples"][0]["registered_places"] = "four"
    with pytest.raises(ValidationError):
        _check_response_examples(spec)
