"""The admission limit holds back requests that need the database, never health probes or static files."""

from __future__ import annotations

import asyncio

from rcc.api.resilience import Admission


def test_static_files_and_health_pass_a_full_admission_limit_and_other_requests_wait_then_get_503():
    release = asyncio.Event()

    async def app(scope, receive, send):
        if scope["path"] == "/slow":
            await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    gate = Admission(app, limit=1, queue_timeout=0.2)

    async def call(path: str) -> int:
        sent: list[dict] = []

        async def receive():
            return {"type": "http.request", "body": b""}

        async def send(message):
            sent.append(message)

        await gate({"type": "http", "path": path, "method": "GET", "headers": []}, receive, send)
        return sent[0]["status"]

    async def scenario():
        slow = asyncio.create_task(call("/slow"))  # takes the only slot
        await asyncio.sleep(0.05)
        statuses = [await call(p) for p in ("/static/app.css", "/health/live", "/data/forecast")]
        release.set()
        return statuses, await slow

    statuses, slow = asyncio.run(scenario())
    assert statuses == [200, 200, 503] and slow == 200
