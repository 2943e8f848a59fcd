"""The register version moves with every committed change to homes, vacancies, placements,
children or matching policies, and with nothing else; caches in each process rely on it."""

from __future__ import annotations

from sqlalchemy import delete

from rcc.db import transaction, versions
from rcc.db.models import Vacancy
from tests.api.helpers import home_body


def _version(factory) -> int:
    with factory() as s:
        return versions.current(s)


def test_changes_through_the_api_bump_the_version_and_reads_do_not(client, world, factory):
    h = world.h("admin")
    v0 = _version(factory)
    r = client.post("/api/v1/homes", json=home_body(world.provider_a), headers=h)
    assert r.status_code == 201, r.text
    home_id = r.json()["id"]
    v1 = _version(factory)
    assert v1 == v0 + 1  # one bump per transaction, however many rows it flushed

    client.get("/api/v1/homes", headers=h)
    client.get(f"/api/v1/homes/{home_id}", headers=h)
    assert _version(factory) == v1

    body = {"home_id": home_id, "places": 1, "available_from": "2025-01-01", "confirmed_by": "manager"}
    vid = client.post("/api/v1/vacancies", json=body, headers=h).json()["id"]
    assert _version(factory) == v1 + 1
    client.patch(f"/api/v1/vacancies/{vid}", json={"confirmed_by": "deputy"}, headers=h)
    assert _version(factory) == v1 + 2

    # a change the register refuses is rolled back, and so is its bump
    assert client.patch(f"/api/v1/vacancies/{vid}", json={"places": 0}, headers=h).status_code == 422
    assert _version(factory) == v1 + 2

    # a provider (not tracked) does not move it
    client.post("/api/v1/providers", json={"name": "Gamma Care", "sector": "private"}, headers=h)
    assert _version(factory) == v1 + 2


def test_bulk_statements_and_rollbacks(factory, world, client):
    h = world.h("admin")
    home_id = client.post("/api/v1/homes", json=home_body(world.provider_a), headers=h).json()["id"]
    body = {"home_id": home_id, "places": 1, "available_from": "2025-01-01", "confirmed_by": "manager"}
    client.post("/api/v1/vacancies", json=body, headers=h)
    v = _version(factory)
    with transaction(factory) as s:
        s.execute(delete(Vacancy).where(Vacancy.home_id == home_id))
    assert _version(factory) == v + 1

    s = factory()
    try:
        s.execute(delete(Vacancy).where(Vacancy.home_id == home_id))
        s.rollback()
        s.commit()  # nothing left to commit: no bump either
    finally:
        s.close()
    assert _version(factory) == v + 1
