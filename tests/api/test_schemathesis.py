"""Schemathesis in the test suite (issue 9): every operation of the OpenAPI document, seeded and
bounded (``RCC_FUZZ_EXAMPLES`` positive and negative cases each, default 3: about a minute on two
cores), on the test database (SQLite, or PostgreSQL with ``RCC_TEST_DATABASE_URL``).

Zero server errors, zero undocumented status codes, zero response-schema violations, and every 405
carries ``Allow``. The longer run is ``python -m bench.schemathesis_run``.
"""

from __future__ import annotations

import os

import pytest

pytest.importorskip("schemathesis")

from bench.schemathesis_harness import fuzz  # noqa: E402
from tests.services.commissioning_fixtures import build  # noqa: E402

EXAMPLES = int(os.environ.get("RCC_FUZZ_EXAMPLES", "3"))


@pytest.mark.slow
def test_schemathesis_finds_no_server_error_and_no_schema_violation(client, world, factory):
    build(factory, world)  # homes, children, placements and referrals for the ids to find
    report = fuzz(client.app, world.keys["admin"], examples=EXAMPLES, seed_value=20261130)
    s = report.summary()
    assert s["cases"] > 100
    assert s["server_errors"] == 0, (s["server_error_operations"], s["examples"])
    assert s["undocumented_status"] == 0, (s["undocumented_operations"], s["examples"])
    assert s["schema_violations"] == 0, (s["schema_violation_operations"], s["examples"])
    assert s["405_without_allow"] == 0
    assert {"200", "404", "422"} <= set(s["statuses"])  # it did reach the handlers, not only the guard
