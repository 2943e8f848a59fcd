"""``rcc returns``: validate and store SSDA903 returns."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from typing import Annotated, BinaryIO, cast

import typer

from rcc.cli.common import _factory, prepare_database

returns_app = typer.Typer(help="SSDA903 sufficiency returns.", no_args_is_help=True)


def _seekable(f: BinaryIO) -> BinaryIO:
    """The file itself when it can seek (a file named on the command line: it is then read row by row,
    never whole); otherwise (``-``, a pipe on standard input) a copy spooled to disk in 1 MB chunks."""
    if f.seekable():
        return f
    spool = tempfile.SpooledTemporaryFile(max_size=8 << 20)  # noqa: SIM115 - returned open, closed by the caller
    shutil.copyfileobj(f, spool, 1 << 20)
    spool.seek(0)
    return cast(BinaryIO, spool)


def _name(table: str, f: BinaryIO) -> str:
    name = getattr(f, "name", None)
    return name if isinstance(name, str) and not name.startswith("<") else f"{table}.csv (standard input)"


def _submit_one(
    la: str, year: int | None, files: Mapping[str, bytes | BinaryIO], names: dict[str, str], quarantine: bool = False
) -> None:
    from rcc.auth import SYSTEM
    from rcc.db import transaction
    from rcc.errors import DomainError
    from rcc.sufficiency.returns import submit_return

    try:
        with transaction(_factory()) as s:
            result = submit_return(s, SYSTEM, la, year, files, names, quarantine=quarantine)
            ret = result.ret
            for p in result.quarantined:
                typer.echo(f"  dropped {p.field}: {p.message}")
            typer.echo(
                f"{ret.la_code} {ret.collection_year}: {result.outcome}, version {ret.version} (return {ret.id}); "
                f"episodes {ret.changes.get('episodes', {})}"
            )
            typer.echo(f"  previous-year rules: {result.previous_year_rules}")
    except DomainError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        for d in exc.details:
            typer.echo(f"  {d.field}: {d.message}", err=True)
        raise typer.Exit(2) from exc


@returns_app.command("submit")
def returns_submit(
    la: Annotated[str, typer.Option(help="LA GSS or DfE code")],
    header: Annotated[typer.FileBinaryRead, typer.Option(help="SSDA903 header CSV")],
    episodes: Annotated[typer.FileBinaryRead, typer.Option(help="SSDA903 episodes CSV")],
    uasc: Annotated[typer.FileBinaryRead | None, typer.Option(help="SSDA903 UASC CSV")] = None,
    year: Annotated[int | None, typer.Option(help="start year (2021 = 2021-22); else inferred")] = None,
    quarantine: Annotated[bool, typer.Option(help="drop (and print) the rows DfE's rules reject")] = False,
) -> None:
    """Validate and store one SSDA903 return; prints the row-by-row report if it is rejected."""
    prepare_database()
    handles = {"header": header, "episodes": episodes, "uasc": uasc}
    given = {t: f for t, f in handles.items() if f is not None}
    if sum(not f.seekable() for f in given.values()) > 1:
        typer.echo("error: only one of the files can come from standard input", err=True)
        raise typer.Exit(2)
    files = {t: _seekable(f) for t, f in given.items()}
    try:
        _submit_one(la, year, files, {t: _name(t, f) for t, f in given.items()}, quarantine)
    finally:
        for f in files.values():
            f.close()


@returns_app.command("check-unrecorded")
def returns_check_unrecorded() -> None:
    """Run DfE's previous-year rules on every stored return accepted before checks were kept (the latest
    version of each LA and year), against the stored year before, and keep each run; the return stays
    accepted. Running it again finds nothing left to do."""
    from rcc.db import transaction
    from rcc.sufficiency.previous import check_unrecorded

    prepare_database()
    with transaction(_factory()) as s:
        done = check_unrecorded(s)
    for b in done:
        against = f"against return {b.previous_return_id}" if b.previous_return_id else "skipped: no year-1 return"
        typer.echo(f"return {b.return_id} ({b.collection_year}, version {b.version}): {against}, {b.finding_count} finding(s)")
    typer.echo(f"{len(done)} return(s) checked")


@returns_app.command("submit-sample")
def returns_submit_sample(
    la: Annotated[str, typer.Option(help="LA GSS or DfE code to file the sample under")],
    quarantine: Annotated[bool, typer.Option(help="first drop (and print) rejected rows")] = False,
) -> None:
    """Submit every year of the synthetic SSDA903 sample (shared/data/ssda903-sample), oldest first."""
    from rcc.sufficiency import ssda903

    prepare_database()
    years = ssda903.sample_years()
    if not years:
        typer.echo(f"error: no sample under {ssda903.default_sample_root()}", err=True)
        raise typer.Exit(2)
    for year in years:  # oldest first: each year is checked against the one stored before it
        files = ssda903.load_sample_year(year).files
        _submit_one(la, year, files, {t: f"{year}/{t}.csv" for t in files}, quarantine)
