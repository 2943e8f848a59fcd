"""The README quotes the committed benchmark results verbatim, and names the command CI runs."""

from __future__ import annotations

from bench.readme_tables import render
from rcc.config import REPO_ROOT


def test_readme_benchmark_tables_match_bench_results():
    assert render() in (REPO_ROOT / "README.md").read_text(), "run: python -m bench.readme_tables"


def test_ci_runs_the_readme_test_command():
    readme = (REPO_ROOT / "README.md").read_text()
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    assert "./test.sh" in readme and "exec ./test.sh" in ci
