"""``rcc returns``: validate and store SSDA903 returns."""

from __future__ import annotations

from typing import Annotated

import typer

from rcc.cli.common import _factory, prepare_database

returns_app = typer.Typer(help="SSDA903 sufficiency returns.", no_args_is_help=True)


def _submit_one(
    la: str, year: int | None, files: dict[str, bytes], names: dict[str, str], quarantine: bool = False
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
    files = {t: f.read() for t, f in handles.items() if f is not None}
    _submit_one(la, year, files, {t: f.name for t, f in handles.items() if f is not None}, quarantine)


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
