"""``rcc demo``: load a deterministic demo region built from the open data."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from rcc.cli.common import _factory, prepare_database
from rcc.config import load_settings
from rcc.progress import run_with_progress


def _demo_help() -> str:
    from rcc.demo.assumptions import assumptions

    lines = "\n\n".join(f"- {a}" for a in assumptions())
    return (
        "Load a realistic demo region built only from the open data in RCC_DATA_DIR (../shared/data): "
        "the region's LAs as one RCC, its real Ofsted 2023 children's homes, generated fostering "
        "households, supported accommodation, children in care, placements, vacancies and open referrals. "
        "The same region and seed always give the same data.\n\nAssumptions:\n\n" + lines
    )


def demo(
    region: Annotated[
        str, typer.Option(help="an English region, e.g. 'North East', 'London'")
    ] = "North East",
    seed: Annotated[int, typer.Option(help="random seed; the same seed gives the same data")] = 1,
    scale: Annotated[float, typer.Option(help="fraction of the region's children to generate")] = 1.0,
    keys: Annotated[bool, typer.Option(help="create and print demo API keys")] = True,
    as_of: Annotated[
        str | None, typer.Option(help="snapshot date YYYY-MM-DD (ages, vacancies, referrals); default today")
    ] = None,
    return_years: Annotated[
        int,
        typer.Option(
            help="collection years of SSDA903 returns stored for every member LA, ending with the last "
            "complete one before the snapshot date (0: none, a faster load without forecasts)"
        ),
    ] = 5,
) -> None:
    from rcc.admin import load_demo

    prepare_database()
    try:
        day = dt.date.fromisoformat(as_of) if as_of else dt.date.today()
        factory, data_dir = _factory(), load_settings().data_dir
        summary = run_with_progress(
            f"Loading the {region} demo region",
            lambda: load_demo(
                factory, data_dir, region, seed, scale, keys, as_of=day, return_years=return_years
            ),
        )
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    for line in summary:
        typer.echo(line)
