"""``rcc apikey revoke`` stops a key at once and ``rcc apikey list`` shows keys without secrets."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from rcc.auth import authenticate
from rcc.cli import app
from rcc.db import make_engine, make_sessionmaker
from rcc.errors import Unauthorised


@pytest.fixture
def cli_db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("RCC_DATABASE_URL", url)
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    engine = make_engine(url)
    yield runner, make_sessionmaker(engine)
    engine.dispose()


@pytest.mark.parametrize("by", ["key", "prefix", "id"])
def test_revoke_stops_the_key_and_list_shows_it_revoked(cli_db, by):
    runner, factory = cli_db
    key = runner.invoke(app, ["apikey", "create", "--role", "admin", "--label", "ops"]).output.strip()
    other = runner.invoke(app, ["apikey", "create", "--role", "admin", "--label", "kept"]).output.strip()
    with factory() as s:
        assert authenticate(s, key).key_id == 1
    ident = {"key": key, "prefix": key.split("_")[1], "id": "1"}[by]
    result = runner.invoke(app, ["apikey", "revoke", ident])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("revoked key 1")
    with factory() as s:
        with pytest.raises(Unauthorised):
            authenticate(s, key)
        assert authenticate(s, other).key_id == 2
    listing = runner.invoke(app, ["apikey", "list"]).output
    assert key not in listing and other not in listing  # secrets are never shown
    lines = {ln.split("\t")[0]: ln.split("\t") for ln in listing.strip().splitlines()[1:]}
    assert lines["1"][-1] != "-" and lines["2"][-1] == "-"
    active = runner.invoke(app, ["apikey", "list", "--active"]).output
    assert [ln.split("\t")[0] for ln in active.strip().splitlines()[1:]] == ["2"]


def test_revoking_an_unknown_key_fails(cli_db):
    runner, _ = cli_db
    result = runner.invoke(app, ["apikey", "revoke", "rcc_nope_x"])
    assert result.exit_code == 2 and "no API key" in result.output


@pytest.mark.parametrize(
    "command", [["apikey", "create"], ["user", "create", "ops@example.org", "--password-stdin"]]
)
@pytest.mark.parametrize(
    ("scope", "says"),
    [
        (["--role", "boss"], "role must be one of admin"),
        (["--role", "la_officer", "--la", "Z99"], "unknown local authority code 'Z99'"),
        (["--role", "rcc_commissioner", "--rcc", "Nowhere RCC"], "no RCC 'Nowhere RCC'"),
        (["--role", "provider", "--provider", "999"], "no provider 999"),
    ],
)
def test_keys_and_users_refuse_an_unknown_scope_alike(cli_db, command, scope, says):
    """``rcc apikey create`` and ``rcc user create`` resolve role and scope with the same code."""
    runner, _ = cli_db
    result = runner.invoke(app, [*command, *scope], input="a long enough password\n")
    assert result.exit_code == 2 and says in result.output, result.output
