"""Fuzz the service through its own OpenAPI document with Schemathesis, and count what went wrong.

Used by the bounded test (``tests/api/test_schemathesis.py``) and the longer benchmark
(``bench/schemathesis_run.py``). Every operation gets ``examples`` positive and ``examples`` negative
cases from a seeded Hypothesis run (no shrinking, no example database), sent in-process to the ASGI
app with an admin key. Nothing is raised: every response is classified, so one run gives all the
figures at once:

- ``server_errors``: responses with status >= 500 (Schemathesis' ``not_a_server_error`` check);
- ``undocumented``: a status the operation's ``responses`` do not list (``status_code_conformance``);
- ``schema_violations``: a documented response whose body breaks its schema (``response_schema_conformance``);
- ``no_allow``: a 405 without an ``Allow`` header (RFC 9110 §15.5.6).
"""

from __future__ import annotations

import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance


@dataclass
class FuzzReport:
    cases: int = 0
    seconds: float = 0.0
    statuses: Counter = field(default_factory=Counter)
    server_errors: Counter = field(default_factory=Counter)  # (operation, status) -> count
    undocumented: Counter = field(default_factory=Counter)  # (operation, status) -> count
    schema_violations: Counter = field(default_factory=Counter)  # (operation, status) -> count
    no_allow: Counter = field(default_factory=Counter)  # operation -> count
    examples: dict[str, str] = field(default_factory=dict)  # one reproducible example per problem
    op_seconds: Counter = field(default_factory=Counter)

    def summary(self) -> dict[str, Any]:
        def flat(c: Counter) -> dict[str, int]:
            return {
                " ".join(map(str, k)) if isinstance(k, tuple) else str(k): v for k, v in sorted(c.items())
            }

        return {
            "cases": self.cases,
            "seconds": round(self.seconds, 1),
            "server_errors": sum(self.server_errors.values()),
            "server_errors_distinct": len(self.server_errors),
            "undocumented_status": sum(self.undocumented.values()),
            "undocumented_status_distinct": len(self.undocumented),
            "schema_violations": sum(self.schema_violations.values()),
            "schema_violations_distinct": len(self.schema_violations),
            "405_without_allow": sum(self.no_allow.values()),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "server_error_operations": flat(self.server_errors),
            "undocumented_operations": flat(self.undocumented),
            "schema_violation_operations": flat(self.schema_violations),
            "examples": self.examples,
            "slowest_operations": {k: round(v, 1) for k, v in self.op_seconds.most_common(8)},
        }


def _documented(case: Any, status: int) -> bool:
    codes = list(case.operation.definition.raw.get("responses", {}))
    return str(status) in codes or f"{str(status)[0]}XX" in codes or "default" in codes


def _runner(
    op: Any, mode: GenerationMode, headers: dict[str, str], examples: int, seed_value: int, report: FuzzReport
) -> Any:
    """A seeded Hypothesis test that sends ``examples`` cases of one operation and counts the outcomes."""

    @seed(seed_value)
    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=op.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        report.cases += 1
        try:
            resp = case.call(headers=headers)
        except Exception as exc:  # noqa: BLE001 - the in-process client re-raises what a server turns into a 500
            report.statuses[500] += 1
            report.server_errors[(op.label, 500)] += 1
            msg = f"{type(exc).__name__}: {str(exc)[:200]} <- {case.as_curl_command(headers=headers)[:400]}"
            report.examples.setdefault(f"500 {op.label}", msg)
            return
        status = resp.status_code
        report.statuses[status] += 1
        key = (op.label, status)
        # a 503 the operation documents is its contract (a readiness probe with no worker running)
        if status >= 500 and not (status == 503 and _documented(case, status)):
            report.server_errors[key] += 1
            report.examples.setdefault(f"500 {op.label}", case.as_curl_command(headers=headers)[:600])
        if status == 405 and "allow" not in {h.lower() for h in resp.headers}:
            report.no_allow[op.label] += 1
        if not _documented(case, status):
            report.undocumented[key] += 1
            report.examples.setdefault(f"{status} {op.label}", case.as_curl_command(headers=headers)[:600])
        elif status < 500:
            try:
                case.validate_response(resp, checks=[response_schema_conformance])
            except BaseException as exc:  # noqa: BLE001 - a FailureGroup is a BaseExceptionGroup; counted, not raised
                report.schema_violations[key] += 1
                report.examples.setdefault(f"schema {op.label}", str(exc)[:600])

    return run


def fuzz(
    app: Any, token: str, *, examples: int, seed_value: int = 20261130, skip: tuple[str, ...] = ()
) -> FuzzReport:
    """Run ``examples`` positive and negative cases per operation of ``app``; return the counts."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    report = FuzzReport()
    headers = {"Authorization": f"Bearer {token}"}
    started = time.perf_counter()
    for result in schema.get_all_operations():
        op = result.ok()
        if op.label in skip:
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            run = _runner(op, mode, headers, examples, seed_value, report)
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    run()
                except Unsatisfiable:  # e.g. no negative case exists for an operation without inputs
                    pass
            report.op_seconds[op.label] += time.perf_counter() - t0
    probe_405(app, schema.raw_schema, headers, report)
    report.seconds = time.perf_counter() - started
    return report


def probe_405(app: Any, openapi: dict[str, Any], headers: dict[str, str], report: FuzzReport) -> None:
    """Every path with every method it does not document: a 405 must carry ``Allow``."""
    from starlette.testclient import TestClient

    client = TestClient(app, raise_server_exceptions=False)
    for path, ops in openapi.get("paths", {}).items():
        url = path.replace("{", "").replace("}", "").replace("_id", "1")
        url = "/".join("1" if seg.endswith("1") and seg != "v1" else seg for seg in url.split("/"))
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            if method.lower() in ops:
                continue
            r = client.request(method, url, headers=headers)
            report.cases += 1
            report.statuses[r.status_code] += 1
            if r.status_code == 405 and "allow" not in {h.lower() for h in r.headers}:
                report.no_allow[f"{method} {path}"] += 1


__all__ = ["FuzzReport", "fuzz", "status_code_conformance"]
