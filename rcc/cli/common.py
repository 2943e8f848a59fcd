"""What every command group shares: the settings check, the session factory and the database checks."""

from __future__ import annotations

from pathlib import Path

import typer

from rcc.config import SettingsError, load_settings


def check_settings() -> None:
    """Refuse to start on a bad RCC_* value: one message naming the variable, exit status 2."""
    try:
        load_settings()
    except SettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


def _factory():
    from rcc.db import engine_for, make_sessionmaker

    return make_sessionmaker(engine_for(load_settings()))


NO_DATABASE = (
    "no RCC database at {where}: run `rcc demo` (or `rcc db upgrade`) first, or set RCC_DATABASE_URL"
)


def database_problem(url: str) -> str | None:
    """One line saying which command to run when ``url`` holds no RCC database (None when it does)."""
    from sqlalchemy import create_engine, inspect
    from sqlalchemy.engine import make_url

    where = make_url(url).render_as_string(hide_password=True)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:" and not Path(path).exists():
            return NO_DATABASE.format(where=path)
        where = path
    try:
        engine = create_engine(url)
        try:
            ready = inspect(engine).has_table("alembic_version")
        finally:
            engine.dispose()
    except Exception as exc:  # unreachable server, bad credentials: say so in one line
        return f"cannot open the RCC database at {where}: {str(exc).splitlines()[0]}"
    return None if ready else NO_DATABASE.format(where=where)


def _existing_factory():
    """The session factory for a database that must already exist (never creates an empty one)."""
    problem = database_problem(load_settings().database_url)
    if problem:
        typer.echo(problem, err=True)
        raise typer.Exit(2)
    return _factory()


def prepare_database() -> None:
    """Upgrade the schema to head and load the 153 LAs if they are missing."""
    from rcc.db import transaction
    from rcc.db.migrate import upgrade
    from rcc.register.service import seed_local_authorities

    settings = load_settings()
    upgrade(settings.database_url)
    with transaction(_factory()) as s:
        seed_local_authorities(s, settings.data_dir)


def _safe_url() -> str:
    from sqlalchemy.engine import make_url

    return make_url(load_settings().database_url).render_as_string(hide_password=True)


def first_member_la(region: str) -> str:
    """GSS code of the first member LA of a loaded demo region's RCC (used by run.sh)."""
    from sqlalchemy import select

    from rcc.db.models import Rcc

    with _existing_factory()() as s:
        rcc = s.scalars(select(Rcc).where(Rcc.name == f"{region} RCC")).one()
        return rcc.members[0].gss_code
