"""Unknown query parameters get a 422 naming them, on every operation (one app-wide mechanism)."""

from __future__ import annotations


def test_unknown_filter_is_named(client, world):
    r = client.get("/api/v1/homes", params={"postcode": "ZZ9 9", "limit": 5}, headers=world.h("admin"))
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "invalid"
    assert [d["field"] for d in err["details"]] == ["postcode"]
    assert "postcode" in err["message"]


def test_declared_parameters_still_work(client, world):
    r = client.get("/api/v1/homes", params={"limit": 5, "offset": 0}, headers=world.h("admin"))
    assert r.status_code == 200


def test_every_operation_checks(client, world):
    r = client.get("/api/v1/jobs/x", params={"verbose": 1, "also": 2}, headers=world.h("admin"))
    assert r.status_code == 422
    assert [d["field"] for d in r.json()["error"]["details"]] == ["also", "verbose"]
