"""``rcc matching``: region-wide matching runs from the command line."""

from __future__ import annotations

from typing import Annotated

import typer

from rcc.cli.common import _factory, prepare_database
from rcc.config import load_settings
from rcc.progress import run_with_progress

matching_app = typer.Typer(help="Region-wide matching runs.", no_args_is_help=True)


@matching_app.command("run")
def matching_run(
    rcc: Annotated[int, typer.Option(help="RCC id")],
    time_limit: Annotated[float | None, typer.Option(help="solver time limit, seconds")] = None,
) -> None:
    """Queue a region-wide matching run for the RCC's open referrals and run it here (a progress bar
    fills towards the solver's time limit); prints how many children were matched."""
    from pydantic import ValidationError

    from api_schemas.matching import MatchingRunIn
    from rcc.auth import SYSTEM
    from rcc.db import transaction
    from rcc.db.models import Job
    from rcc.errors import DomainError
    from rcc.jobs.queue import claim_one, run_with
    from rcc.matching import runs as runs_svc

    prepare_database()
    factory = _factory()
    limit = time_limit or load_settings().matching_time_limit_s
    try:
        with transaction(factory) as s:
            job_id = runs_svc.submit_run(s, SYSTEM, MatchingRunIn(rcc_id=rcc, time_limit_s=limit), limit).id
    except (DomainError, ValidationError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    ctx = claim_one(factory, job_id)
    if ctx is None:
        typer.echo(f"error: job {job_id} was taken by a worker", err=True)
        raise typer.Exit(1)
    run_with_progress("Matching", lambda: run_with(ctx, runs_svc.run_matching_job), expected_seconds=limit)
    with factory() as s:
        job = s.get_one(Job, job_id)
        status, error, result = job.status, job.error, dict(job.result or {})
    typer.echo(f"matching run {job_id}: {status}")
    if status != "succeeded":
        typer.echo(error or "", err=True)
        raise typer.Exit(1)
    placed = sum(len(a.get("placements", [])) for a in result.get("assignments", []))
    typer.echo(f"{placed} child(ren) matched, {len(result.get('unmatched', []))} referral(s) unmatched "
               f"(solver: {result.get('status')})")  # fmt: skip
