"""The operator's CLI: schema upgrade, keys printed once and stored hashed, scoped correctly."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from rcc.auth import Role, authenticate, hash_key
from rcc.cli import app
from rcc.db import make_engine, make_sessionmaker
from rcc.db.models import ApiKey, LocalAuthority


@pytest.fixture
def cli_db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("RCC_DATABASE_URL", url)
    runner = CliRunner()
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    engine = make_engine(url)
    yield runner, make_sessionmaker(engine)
    engine.dispose()


def test_db_upgrade_loads_the_153_las(cli_db):
    _, factory = cli_db
    with factory() as s:
        assert len(s.scalars(select(LocalAuthority)).all()) == 153


def test_apikey_create_prints_a_key_once_and_stores_only_its_hash(cli_db):
    runner, factory = cli_db
    result = runner.invoke(
        app, ["apikey", "create", "--role", "la_officer", "--la", "805", "--label", "Hartlepool"]
    )
    assert result.exit_code == 0, result.output
    key = result.output.strip()
    assert key.startswith("rcc_")
    with factory() as s:
        row = s.scalars(select(ApiKey)).one()
        assert row.key_hash == hash_key(key) and key not in (row.key_hash, row.prefix, row.label)
        who = authenticate(s, key)
        hartlepool = s.scalars(select(LocalAuthority).where(LocalAuthority.dfe_code == "805")).one()
        assert who.role is Role.LA_OFFICER and who.la_id == hartlepool.id


@pytest.mark.parametrize(
    "args, message",
    [
        (["--role", "la_officer"], "needs an LA"),
        (["--role", "provider", "--provider", "99"], "no provider 99"),
        (["--role", "wizard"], "role must be one of"),
        (["--role", "rcc_commissioner", "--rcc", "Nowhere RCC"], "no RCC"),
    ],
)
def test_apikey_create_refuses_bad_scopes(cli_db, args, message):
    runner, factory = cli_db
    result = runner.invoke(app, ["apikey", "create", *args])
    assert result.exit_code == 2 and message in result.output
    with factory() as s:
        assert s.scalars(select(ApiKey)).all() == []


def test_demo_help_lists_every_assumption():
    from rcc.demo.generate import assumptions

    result = CliRunner().invoke(app, ["demo", "--help"], env={"COLUMNS": "400"})
    assert result.exit_code == 0
    flat = " ".join(result.output.split())
    for line in assumptions():
        assert " ".join(line.split())[:60] in flat


def test_user_create_hashes_the_password_and_user_disable_stops_them(cli_db):
    from rcc.db.models import User

    runner, factory = cli_db
    result = runner.invoke(
        app, ["user", "create", "ola@example.org", "--role", "la_officer", "--la", "805", "--name", "Ola",
              "--password-stdin"], input="a long enough password\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with factory() as s:
        user = s.scalars(select(User)).one()
        assert user.password_hash.startswith("$argon2id$") and user.display_name == "Ola"
        la = s.get(LocalAuthority, user.la_id)
        assert la.dfe_code == "805" and s.get(ApiKey, user.api_key_id).role == "la_officer"
    short = runner.invoke(
        app, ["user", "create", "b@example.org", "--role", "admin", "--password-stdin"], input="short\n"
    )
    assert short.exit_code == 2 and "12 characters" in short.output
    again = runner.invoke(app, ["user", "create", "OLA@example.org", "--role", "admin", "--password-stdin"],
                          input="a long enough password\n")  # fmt: skip
    assert again.exit_code == 2 and "already exists" in again.output
    assert runner.invoke(app, ["user", "disable", "ola@example.org"]).exit_code == 0
    with factory() as s:
        user = s.scalars(select(User)).one()
        assert user.disabled_at is not None and s.get(ApiKey, user.api_key_id).revoked_at is not None


def test_a_bad_setting_stops_the_cli_with_one_message_naming_the_variable(monkeypatch):
    monkeypatch.setenv("RCC_WORKER", "inlnie")
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 2
    assert (
        "RCC_WORKER" in result.output and "inlnie" in result.output and "'inline' or 'off'" in result.output
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("RCC_STALE_VACANCY_DAYS", "0"),
        ("RCC_STALE_VACANCY_DAYS", "x"),
        ("RCC_JOB_CONCURRENCY", "matching_run=two"),
        ("RCC_DB_POOL_SIZE", "0"),
        ("RCC_JOB_LEASE_SECONDS", "-1"),
        ("RCC_MATCHING_TIME_LIMIT_S", "0"),
    ],
)
def test_every_bad_value_is_refused_naming_its_variable(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    result = CliRunner().invoke(app, ["worker", "--once"])
    assert result.exit_code == 2 and result.output.count(variable) == 1


@pytest.mark.slow
def test_the_rcc_command_exits_non_zero_on_a_bad_setting():
    import os
    import subprocess
    import sys

    env = {**os.environ, "RCC_WORKER": "inlnie"}
    for args in (["serve"], []):  # `rcc serve` and bare `rcc`
        done = subprocess.run(
            [sys.executable, "-m", "rcc.cli", *args], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 2, done.stderr
        assert done.stderr.count("RCC_WORKER") == 1 and done.stderr.startswith("error: invalid settings")


def test_settings_are_typed_and_empty_variables_count_as_unset(monkeypatch):
    from rcc.config import Settings, load_settings

    monkeypatch.setenv("RCC_STALE_VACANCY_DAYS", "21")
    monkeypatch.setenv("RCC_WORKER", "off")
    monkeypatch.setenv("RCC_DATABASE_URL", "")
    monkeypatch.setenv("RCC_MATCHING_TIME_LIMIT_S", "90")
    s = load_settings()
    assert (s.stale_vacancy_days, s.worker) == (21, "off") and s.database_url.startswith("sqlite:///")
    assert s.matching_time_limit_s == 90.0
    assert Settings(worker="inline").worker == "inline"  # keyword arguments override the environment


def test_without_a_database_the_cli_says_which_command_to_run(tmp_path, monkeypatch):
    missing = tmp_path / "nowhere" / "rcc.db"
    monkeypatch.setenv("RCC_DATABASE_URL", f"sqlite:///{missing}")
    result = CliRunner().invoke(app, ["apikey", "create", "--role", "admin"])
    assert result.exit_code == 2
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert lines == [
        f"no RCC database at {missing}: run `rcc demo` (or `rcc db upgrade`) first, or set RCC_DATABASE_URL"
    ]
    assert not missing.exists()  # nothing was created
    # an empty file (no schema) gets the same one line
    missing.parent.mkdir()
    missing.touch()
    result = CliRunner().invoke(app, ["worker", "--once"])
    assert result.exit_code == 2 and "run `rcc demo`" in result.output and "Traceback" not in result.output


def test_outside_the_checkout_the_default_database_is_the_checkouts(tmp_path, monkeypatch):
    from rcc.config import REPO_ROOT, default_sqlite_path

    monkeypatch.chdir(tmp_path)
    assert default_sqlite_path() == REPO_ROOT / "var" / "rcc.db"
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "rcc.db").touch()
    assert default_sqlite_path() == tmp_path / "var" / "rcc.db"  # a database here wins


def test_jobs_list_retry_cancel(cli_db):
    from rcc.auth import SYSTEM
    from rcc.db import transaction
    from rcc.db.models import Job
    from rcc.jobs import queue as jobs

    runner, factory = cli_db
    with transaction(factory) as s:
        failed = jobs.submit(s, SYSTEM, "matching_run", {"rcc_id": 1})
        failed.status, failed.error, failed.attempts = "failed", "lease expired; no attempts left (3)", 3
        queued = jobs.submit(s, SYSTEM, "matching_run", {"rcc_id": 1})
        failed_id, queued_id = failed.id, queued.id
    out = runner.invoke(app, ["jobs", "list"])
    assert out.exit_code == 0 and failed_id in out.output and "no attempts left" in out.output
    assert "0 live worker(s)" in out.output
    assert queued_id not in runner.invoke(app, ["jobs", "list", "--status", "failed"]).output

    out = runner.invoke(app, ["jobs", "retry", failed_id])
    assert out.exit_code == 0, out.output
    with factory() as s:
        job = s.get(Job, failed_id)
        assert (
            job.status == "queued"
            and job.attempts == 0
            and "retried by an operator (was failed)" in job.error
        )
    assert runner.invoke(app, ["jobs", "retry", queued_id]).exit_code == 2  # only failed or cancelled

    out = runner.invoke(app, ["jobs", "cancel", queued_id])
    assert out.exit_code == 0 and "cancelled" in out.output
    with factory() as s:
        assert s.get(Job, queued_id).status == "cancelled"
    assert runner.invoke(app, ["jobs", "cancel", queued_id]).exit_code == 2  # already finished


def test_returns_submit_checks_the_stored_previous_year(cli_db, tmp_path):
    from tests.ssda903_builders import child, episode, files

    runner, _ = cli_db

    def submit(year: int, episodes: list[dict]):
        paths = []
        for table, raw in files([child("B")], episodes).items():
            path = tmp_path / f"{year}-{len(paths)}-{table}.csv"
            path.write_bytes(raw)
            paths += [f"--{table}", str(path)]
        return runner.invoke(app, ["returns", "submit", "--la", "E08000021", "--year", str(year), *paths])

    first = submit(2020, [episode("B", "01/01/2021")])
    assert (
        first.exit_code == 0 and "previous-year rules: skipped: no stored return for 2019-20" in first.output
    )
    bad = submit(2021, [episode("B", "01/01/2021", "01/06/2021", PLACE="U3", REC="E11")])
    assert bad.exit_code == 2 and "episodes[row 2].PLACE: 503D:" in bad.output
    good = submit(2021, [episode("B", "01/01/2021", "01/06/2021", REC="E11")])
    assert good.exit_code == 0 and "previous-year rules: run against the stored 2020-21 return" in good.output


def test_returns_submit_reads_a_file_from_standard_input(cli_db, tmp_path):
    from tests.ssda903_builders import child, episode, files

    runner, _ = cli_db
    raw = files([child("B")], [episode("B", "01/01/2021")])
    header = tmp_path / "header.csv"
    header.write_bytes(raw["header"])
    out = runner.invoke(
        app, ["returns", "submit", "--la", "E08000021", "--year", "2020", "--header", str(header), "--episodes", "-"],
        input=raw["episodes"],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    assert "E08000021 2020: accepted, version 1" in out.output and "'added': 1" in out.output


def test_a_piped_return_is_spooled_in_chunks_not_read_whole(tmp_path):
    import os

    from rcc.cli.returns import _seekable

    body = b"CHILD,DECOM\n" + b"1,01/01/2021\n" * 50_000
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # a writer on the far end of a real pipe
        os.close(r)
        os.write(w, body)
        os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as pipe:
        assert not pipe.seekable()
        spooled = _seekable(pipe)
        assert spooled is not pipe and spooled.seekable() and spooled.read() == body
        spooled.close()
    os.waitpid(pid, 0)
    with open(tmp_path / "f.csv", "wb+") as f:  # a named file is used as it is
        assert _seekable(f) is f
