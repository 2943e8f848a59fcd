"""``rcc``: the operator's entry point (database, server, worker, keys, demo data, returns, forecasts).

One module per command group; every command is wired to the ``rcc`` app here, in one place.
"""

from __future__ import annotations

import sys

import typer

from rcc.cli.access import apikey_app, user_app
from rcc.cli.common import check_settings, database_problem, first_member_la, prepare_database
from rcc.cli.demo import _demo_help, demo
from rcc.cli.forecast import forecast_app
from rcc.cli.jobs import jobs_app
from rcc.cli.matching import matching_app
from rcc.cli.returns import returns_app
from rcc.cli.server import db_app, serve, worker

__all__ = ["app", "database_problem", "first_member_la", "main", "prepare_database"]

app = typer.Typer(
    help="Regional Care Cooperative placement-matching and sufficiency service.", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(apikey_app, name="apikey")
app.command()(serve)
app.command()(worker)
app.add_typer(jobs_app, name="jobs")
app.add_typer(user_app, name="user")
app.command(help=_demo_help())(demo)
app.add_typer(returns_app, name="returns")
app.add_typer(forecast_app, name="forecast")
app.add_typer(matching_app, name="matching")


@app.callback()
def _startup() -> None:
    """Regional Care Cooperative placement-matching and sufficiency service."""
    check_settings()


def main() -> None:
    """The ``rcc`` command: settings are checked before anything else, even ``rcc`` alone."""
    try:
        check_settings()
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    app(prog_name="rcc")
