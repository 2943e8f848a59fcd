"""The CLI's long commands show a progress bar on a terminal, and nothing when piped (rcc.progress)."""

from __future__ import annotations

import io
import threading

import pytest
from typer.testing import CliRunner

from rcc.cli import app
from rcc.progress import run_with_progress


def test_on_a_terminal_the_bar_shows_the_label_and_the_outcome_and_the_result_comes_back():
    out = io.StringIO()
    seen = []
    value = run_with_progress("Adding up", lambda: seen.append(threading.current_thread()) or 42,
                              stream=out, enabled=True)  # fmt: skip
    assert value == 42
    assert seen[0] is not threading.main_thread()  # the work ran beside the bar
    assert "Adding up: done" in out.getvalue()


def test_a_failure_is_raised_in_the_callers_thread_and_the_bar_says_so():
    out = io.StringIO()

    def boom():
        raise ValueError("no returns")

    with pytest.raises(ValueError, match="no returns"):
        run_with_progress("Forecasting", boom, stream=out, enabled=True)
    assert "Forecasting: failed" in out.getvalue()


def test_with_an_expected_duration_the_bar_fills_to_the_end():
    out = io.StringIO()
    run_with_progress("Matching", lambda: None, expected_seconds=0.2, stream=out, enabled=True)
    assert "100%" in out.getvalue() or "━━━━━━━━━━" in out.getvalue()


def test_piped_nothing_is_drawn_and_the_work_runs_in_the_callers_thread():
    out = io.StringIO()  # not a terminal
    seen = []
    assert run_with_progress("Quiet", lambda: seen.append(threading.current_thread()) or "ok", stream=out) == "ok"
    assert out.getvalue() == "" and seen == [threading.current_thread()]


def test_demo_and_matching_run_show_a_bar_on_a_terminal_only(tmp_path, monkeypatch):
    import rcc.progress

    monkeypatch.setenv("RCC_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    plain = runner.invoke(app, ["demo", "--scale", "0.03", "--no-keys", "--as-of", "2026-01-15"])
    assert plain.exit_code == 0, plain.output
    assert "Loading the North East demo region" not in plain.output  # CliRunner's stderr is no terminal

    monkeypatch.setattr(rcc.progress, "is_terminal", lambda stream=None: True)
    run = runner.invoke(app, ["matching", "run", "--rcc", "1", "--time-limit", "2"])
    assert run.exit_code == 0, run.output
    assert "Matching: done" in run.output
    assert "matching run " in run.output and "succeeded" in run.output and "child(ren) matched" in run.output
    again = runner.invoke(app, ["demo", "--scale", "0.03", "--no-keys", "--as-of", "2026-01-15"])
    assert "Loading the North East demo region: done" in again.output


def test_matching_run_refuses_an_unknown_rcc(tmp_path, monkeypatch):
    monkeypatch.setenv("RCC_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    r = runner.invoke(app, ["matching", "run", "--rcc", "99"])
    assert r.exit_code == 2 and "error" in r.output
