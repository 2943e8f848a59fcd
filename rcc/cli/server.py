"""``rcc db``, ``rcc serve`` and ``rcc worker``: the schema, the API server and the job worker."""

from __future__ import annotations

from typing import Annotated

import typer

from rcc.cli.common import _existing_factory, _safe_url, prepare_database
from rcc.config import load_settings

db_app = typer.Typer(help="Database schema (Alembic) and reference data.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Run Alembic migrations up to REVISION (default head) and load the LA reference data."""
    from rcc.db.migrate import upgrade

    if revision == "head":
        prepare_database()
    else:
        upgrade(load_settings().database_url, revision)
    typer.echo(f"database at {revision}: {_safe_url()}")


@db_app.command("downgrade")
def db_downgrade(revision: str) -> None:
    """Run Alembic migrations down to REVISION (e.g. base)."""
    from rcc.db.migrate import downgrade

    downgrade(load_settings().database_url, revision)
    typer.echo(f"database at {revision}")


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: Annotated[int, typer.Option(min=1, help="API processes (uvicorn workers) on this port")] = 1,
) -> None:
    """Upgrade the database, then serve the API (docs at /docs).

    One process runs the API and, by default, a job worker thread. With ``--workers W`` it runs W API
    processes; set RCC_WORKER=off and run ``rcc worker`` beside them (README, "Running on more than one
    machine")."""
    import uvicorn

    from rcc.serving import PROTOCOL

    prepare_database()
    typer.echo(f"RCC service on http://{host}:{port}/docs  (database: {_safe_url()}, {workers} process(es))")
    uvicorn.run(
        "rcc.app:create_app", factory=True, host=host, port=port, workers=workers, http=PROTOCOL, log_level="info"
    )


def worker(once: Annotated[bool, typer.Option(help="run queued jobs, then exit")] = False) -> None:
    """Run persisted jobs (matching runs, forecasts) outside the web process.

    SIGTERM or Ctrl-C drains: no new claims, running jobs get RCC_JOB_DRAIN_SECONDS to finish,
    the rest go back to the queue. Per-kind slots come from RCC_JOB_CONCURRENCY."""
    import logging
    import signal
    import threading

    from rcc.jobs.queue import QueueSettings
    from rcc.jobs.worker import Worker, drain
    from rcc.webhooks.delivery import dispatch
    from rcc.webhooks.dispatcher import Dispatcher

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    queue_settings = QueueSettings.from_settings(load_settings())
    factory = _existing_factory()
    stale_days = load_settings().stale_vacancy_days
    if once:
        typer.echo(f"ran {drain(factory)} job(s)")
        report = dispatch(factory, stale_days=stale_days)
        typer.echo(
            f"webhooks: {report.delivered} delivered, {report.retrying} to retry, {report.failed} failed"
        )
        return
    w = Worker(factory, settings=queue_settings)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    w.start()
    d = Dispatcher(factory, stale_days=stale_days)
    d.start()
    typer.echo(f"worker {w.id} and the webhook dispatcher running; SIGTERM or Ctrl-C drains and stops them")
    while not stop.wait(1):
        pass
    typer.echo(f"worker {w.id} draining")
    w.stop()
    d.stop()
    typer.echo(f"worker {w.id} stopped")
