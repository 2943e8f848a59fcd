"""The API documents itself for a client developer: every operation has a summary and a description,
every tag a description, and the error envelope is a documented response."""

from __future__ import annotations

from rcc.api.docs import default_summary


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
    spec = client.get("/openapi.json").json()
    for name, op in _operations(spec):
        if name.endswith("/health"):
            continue
        ref = op["responses"].get("422", {}).get("content", {}).get("application/json", {}).get("schema", {})
        assert ref.get("$ref", "").endswith("/ErrorEnvelope"), name
    assert "ErrorEnvelope" in spec["components"]["schemas"]


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
