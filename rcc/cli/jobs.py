"""``rcc jobs``: list, retry and cancel persisted jobs."""

from __future__ import annotations

from typing import Annotated

import typer

from rcc.cli.common import _factory

jobs_app = typer.Typer(help="Persisted jobs: list, retry, cancel.", no_args_is_help=True)


@jobs_app.command("list")
def jobs_list(
    status: Annotated[
        str | None, typer.Option(help="queued | running | succeeded | failed | cancelled")
    ] = None,
    kind: Annotated[str | None, typer.Option(help="e.g. matching_run, forecast")] = None,
    limit: int = 50,
) -> None:
    """The newest jobs (id, kind, status, attempts, who holds it until when, error), and the live workers."""
    from rcc.jobs.queue import alive_workers, list_jobs

    with _factory()() as s:
        rows = list_jobs(s, status, kind, limit)
        workers = alive_workers(s)
    typer.echo(f"{'id':<36}  {'kind':<16} {'status':<10} {'try':>3}  {'created':<19}  holder / error")
    for j in rows:
        held = (
            f"{j.claimed_by} until {j.lease_expires_at:%H:%M:%S}"
            if j.status == "running" and j.lease_expires_at
            else ""
        )
        err = (j.error or "").strip().splitlines()[-1][:80] if j.error and j.status != "running" else ""
        typer.echo(
            f"{j.id:<36}  {j.kind:<16} {j.status:<10} {j.attempts:>3}  {j.created_at:%Y-%m-%d %H:%M:%S}  {held or err}"
        )
    typer.echo(
        f"{len(workers)} live worker(s): "
        + ", ".join(f"{w.id} ({w.state}, {w.running} running)" for w in workers)
    )


@jobs_app.command("retry")
def jobs_retry(job_id: str) -> None:
    """Queue a failed or cancelled job again (attempts reset)."""
    from rcc.db import transaction
    from rcc.errors import DomainError
    from rcc.jobs.queue import retry

    try:
        with transaction(_factory()) as s:
            job = retry(s, job_id)
            typer.echo(f"job {job.id} queued again")
    except DomainError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from exc


@jobs_app.command("cancel")
def jobs_cancel(job_id: str) -> None:
    """Cancel a queued job at once, or ask a running one to stop at its next check."""
    from rcc.auth import SYSTEM
    from rcc.db import transaction
    from rcc.errors import DomainError
    from rcc.jobs import queue as jobs

    try:
        with transaction(_factory()) as s:
            job = jobs.cancel(s, SYSTEM, job_id)
            typer.echo(
                f"job {job.id}: {'cancelled' if job.status == 'cancelled' else 'asked to stop (running)'}"
            )
    except DomainError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from exc
