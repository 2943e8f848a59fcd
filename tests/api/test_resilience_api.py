"""Overload and outages answered honestly: liveness and readiness probes, 413 for bodies over the
limit before they are read, and the error envelope with 503 and Retry-After for a lock or a
connection that cannot be had in time."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from rcc.app import create_app
from rcc.config import Settings
from rcc.jobs import queue as jobqueue
from tests.api.helpers import home_body
from tests.conftest import DATA_DIR


def test_live_and_ready(client, factory):
    assert client.get("/health/live").json() == {"status": "ok"}
    r = client.get("/health/ready")
    assert r.status_code == 503 and r.headers["Retry-After"]
    assert r.json()["checks"]["database"] == "ok" and "no job worker" in r.json()["checks"]["worker_problem"]
    jobqueue._register(factory, "probe-worker", {"*": 1}, "running", 0)  # a worker's heartbeat
    r = client.get("/health/ready")
    assert r.status_code == 200 and r.json() == {"status": "ok", "checks": {"database": "ok", "workers": 1}}
    jobqueue._register(factory, "probe-worker", {"*": 1}, "stopped", 0)  # it said goodbye
    assert client.get("/health/ready").status_code == 503


def test_ready_is_503_when_the_database_is_unreachable():
    settings = Settings(
        database_url="postgresql+psycopg://nobody@127.0.0.1:1/none", data_dir=DATA_DIR, worker="off",
        stale_vacancy_days=14, db_connect_timeout=1,
    )  # fmt: skip
    with TestClient(create_app(settings, start_worker=False)) as c:
        assert c.get("/health/live").status_code == 200
        r = c.get("/health/ready")
        assert r.status_code == 503 and r.json()["checks"]["database"] == "unreachable"
        # and an ordinary request gets the envelope, not a bare 500
        r = c.get("/api/v1/homes", headers={"Authorization": "Bearer rcc_abc_def"})
        assert r.status_code == 503 and r.headers["Retry-After"] == "5"
        assert r.json()["error"]["code"] == "unavailable"


def test_a_body_over_the_limit_is_413_before_it_is_read(settings, world):
    with TestClient(
        create_app(settings.model_copy(update={"max_upload_bytes": 1000}), start_worker=False)
    ) as client:
        _over_the_limit(client, world)


def _over_the_limit(client, world):
    h = world.h("admin")
    files = {"header": ("header.csv", b"x" * 600), "episodes": ("episodes.csv", b"y" * 600)}
    r = client.post("/api/v1/sufficiency/returns", data={"la_code": world.la_a}, files=files, headers=h)
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
    # without a Content-Length the body is counted as it arrives
    chunks = iter([b"{" + b" " * 700, b" " * 700 + b"}"])
    r = client.post("/api/v1/homes", content=chunks, headers={**h, "content-type": "application/json"})
    assert r.status_code == 413
    # under the limit, the same endpoint works as before
    assert client.post("/api/v1/homes", json=home_body(world.provider_a), headers=h).status_code == 201


def test_pool_and_lock_timeouts_are_503_with_retry_after(client, world, monkeypatch):
    from rcc.register import homes as register

    def no_connection(*a, **k):
        raise PoolTimeout("QueuePool limit of size 10 overflow 5 reached, connection timed out, timeout 3.00")

    monkeypatch.setattr(register, "list_homes", no_connection)
    r = client.get("/api/v1/homes", headers=world.h("admin"))
    assert r.status_code == 503 and r.headers["Retry-After"] == "1"
    assert r.json() == {"error": {"code": "busy", "message": r.json()["error"]["message"], "details": []}}

    class LockNotAvailable(Exception):
        pass

    def locked(*a, **k):
        raise OperationalError(
            "UPDATE vacancies ...", {}, LockNotAvailable("canceling statement due to lock timeout")
        )

    monkeypatch.setattr(register, "list_homes", locked)
    r = client.get("/api/v1/homes", headers=world.h("admin"))
    assert r.status_code == 503 and r.json()["error"]["code"] == "busy"


def test_a_row_held_by_another_transaction_gives_503_quickly_not_a_stall(client, world, db_url, monkeypatch):
    """A real lock: another connection holds the vacancy (PostgreSQL: its row; SQLite: the write lock)."""
    h = world.h("admin")
    home_id = client.post("/api/v1/homes", json=home_body(world.provider_a), headers=h).json()["id"]
    body = {"home_id": home_id, "places": 1, "available_from": "2025-01-01", "confirmed_by": "manager"}
    vid = client.post("/api/v1/vacancies", json=body, headers=h).json()["id"]
    from rcc.db import make_engine

    holder = make_engine(db_url)
    conn = holder.connect()
    try:
        if db_url.startswith("sqlite"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.execute(text("SELECT id FROM vacancies WHERE id = :v FOR UPDATE"), {"v": vid})
        result: dict = {}
        t = threading.Thread(
            target=lambda: result.update(
                r=client.patch(f"/api/v1/vacancies/{vid}", json={"confirmed_by": "x"}, headers=h)
            )
        )
        t.start()
        t.join(30)
        r = result["r"]
        assert r.status_code == 503 and r.headers["Retry-After"] == "1", r.text
        assert r.json()["error"]["code"] == "busy"
    finally:
        conn.rollback()
        conn.close()
        holder.dispose()
    # once the other transaction has gone, the same request succeeds
    assert client.patch(f"/api/v1/vacancies/{vid}", json={"confirmed_by": "x"}, headers=h).status_code == 200


@pytest.mark.parametrize("path", ["/health", "/health/live"])
def test_probes_need_no_key(client, path):
    assert client.get(path).status_code == 200
