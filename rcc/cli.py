"""``rcc``: the operator's entry point (database, server, worker, keys, demo data, returns, forecasts)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Annotated

import typer

from rcc.config import SettingsError, load_settings
from rcc.progress import run_with_progress

app = typer.Typer(
    help="Regional Care Cooperative placement-matching and sufficiency service.", no_args_is_help=True
)
db_app = typer.Typer(help="Database schema (Alembic) and reference data.", no_args_is_help=True)
apikey_app = typer.Typer(help="Bearer API keys.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(apikey_app, name="apikey")


def check_settings() -> None:
    """Refuse to start on a bad RCC_* value: one message naming the variable, exit status 2."""
    try:
        load_settings()
    except SettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


@app.callback()
def _startup() -> None:
    """Regional Care Cooperative placement-matching and sufficiency service."""
    check_settings()


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


def _safe_url() -> str:
    from sqlalchemy.engine import make_url

    return make_url(load_settings().database_url).render_as_string(hide_password=True)


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Upgrade the database, then serve the API (docs at /docs)."""
    import uvicorn

    from rcc.app import create_app

    prepare_database()
    typer.echo(f"RCC service on http://{host}:{port}/docs  (database: {_safe_url()})")
    uvicorn.run(create_app(), host=host, port=port, log_level="info")


@app.command()
def worker(once: Annotated[bool, typer.Option(help="run queued jobs, then exit")] = False) -> None:
    """Run persisted jobs (matching runs, forecasts) outside the web process.

    SIGTERM or Ctrl-C drains: no new claims, running jobs get RCC_JOB_DRAIN_SECONDS to finish,
    the rest go back to the queue. Per-kind slots come from RCC_JOB_CONCURRENCY."""
    import logging
    import signal
    import threading

    from rcc.jobs.queue import QueueSettings
    from rcc.jobs.worker import Worker, drain
    from rcc.webhooks.dispatcher import Dispatcher
    from rcc.webhooks.service import dispatch

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


jobs_app = typer.Typer(help="Persisted jobs: list, retry, cancel.", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")


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


@apikey_app.command("create")
def apikey_create(
    role: Annotated[str, typer.Option(help="admin | rcc_commissioner | la_officer | provider")],
    rcc: Annotated[str | None, typer.Option(help="RCC id or name (rcc_commissioner)")] = None,
    la: Annotated[str | None, typer.Option(help="LA GSS or DfE code (la_officer)")] = None,
    provider: Annotated[int | None, typer.Option(help="provider id (provider)")] = None,
    label: str | None = None,
) -> None:
    """Create a key and print it once; only its hash is stored."""
    from rcc.admin import create_key

    try:
        key = create_key(_existing_factory(), role, rcc=rcc, la=la, provider=provider, label=label)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(key)


@apikey_app.command("revoke")
def apikey_revoke(
    key: Annotated[str, typer.Argument(help="key id, lookup prefix, or the key itself")],
) -> None:
    """Revoke a key: it stops working at once; the row stays for the audit trail."""
    from rcc.auth import revoke_api_key
    from rcc.db import transaction

    try:
        with transaction(_factory()) as s:
            row = revoke_api_key(s, key)
            typer.echo(
                f"revoked key {row.id} ({row.prefix}, {row.role}) at {row.revoked_at:%Y-%m-%d %H:%M:%S}Z"
            )
    except LookupError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


@apikey_app.command("list")
def apikey_list(
    active: Annotated[bool, typer.Option(help="only keys not revoked")] = False,
) -> None:
    """Keys (never their secrets): id, prefix, role, scope, label, created and revoked times."""
    from rcc.auth import list_api_keys

    with _factory()() as s:
        rows = list_api_keys(s, include_revoked=not active)
        typer.echo("id\tprefix\trole\tscope\tlabel\tcreated_at\trevoked_at")
        for r in rows:
            scope = (
                f"rcc {r.rcc_id}" if r.rcc_id else f"la {r.la_id}" if r.la_id else
                f"provider {r.provider_id}" if r.provider_id else "-"
            )  # fmt: skip
            revoked = f"{r.revoked_at:%Y-%m-%dT%H:%M:%S}" if r.revoked_at else "-"
            typer.echo(
                f"{r.id}\t{r.prefix}\t{r.role}\t{scope}\t{r.label or '-'}\t{r.created_at:%Y-%m-%dT%H:%M:%S}\t{revoked}"
            )


user_app = typer.Typer(
    help="People who sign in to the web pages (same roles as API keys).", no_args_is_help=True
)
app.add_typer(user_app, name="user")


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Argument(help="the person's email address (their sign-in name)")],
    role: Annotated[str, typer.Option(help="admin | rcc_commissioner | la_officer | provider")],
    name: Annotated[str | None, typer.Option(help="name shown on pages (default: the email)")] = None,
    rcc: Annotated[str | None, typer.Option(help="RCC id or name (rcc_commissioner)")] = None,
    la: Annotated[str | None, typer.Option(help="LA GSS or DfE code (la_officer)")] = None,
    provider: Annotated[int | None, typer.Option(help="provider id (provider)")] = None,
    password_stdin: Annotated[bool, typer.Option(help="read the password from standard input")] = False,
    oidc_issuer: Annotated[
        str | None, typer.Option(help="single sign-on: the identity provider's issuer")
    ] = None,
    oidc_subject: Annotated[
        str | None, typer.Option(help="single sign-on: the person's subject (Entra: oid)")
    ] = None,
) -> None:
    """Create a user; asks for the password (at least 12 characters) unless it signs in by OIDC only."""
    from rcc.web.users import create_account

    password: str | None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif oidc_subject:
        password = None
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_account(
            _factory(), email, name or email, role, password, rcc=rcc, la=la, provider=provider,
            oidc_issuer=oidc_issuer, oidc_subject=oidc_subject,
        )  # fmt: skip
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"user {user.email} created ({user.role})")


@user_app.command("disable")
def user_disable(email: Annotated[str, typer.Argument(help="the user's email address")]) -> None:
    """Disable a user at once: their sessions end and they cannot sign in again."""
    from rcc.web.users import disable_account

    try:
        user = disable_account(_factory(), email)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"user {user.email} disabled")


def _demo_help() -> str:
    from rcc.demo.assumptions import assumptions

    lines = "\n\n".join(f"- {a}" for a in assumptions())
    return (
        "Load a realistic demo region built only from the open data in RCC_DATA_DIR (../shared/data): "
        "the region's LAs as one RCC, its real Ofsted 2023 children's homes, generated fostering "
        "households, supported accommodation, children in care, placements, vacancies and open referrals. "
        "The same region and seed always give the same data.\n\nAssumptions:\n\n" + lines
    )


@app.command(help=_demo_help())
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
            lambda: load_demo(factory, data_dir, region, seed, scale, keys, as_of=day, return_years=return_years),
        )
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    for line in summary:
        typer.echo(line)


returns_app = typer.Typer(help="SSDA903 sufficiency returns.", no_args_is_help=True)
app.add_typer(returns_app, name="returns")


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


forecast_app = typer.Typer(help="Sufficiency forecasts and their backtest.", no_args_is_help=True)
app.add_typer(forecast_app, name="forecast")


@forecast_app.command("backtest")
def forecast_backtest(
    data_dir: Annotated[
        str | None,
        typer.Option(
            help="SSDA903 return folders YYYY/{header,episodes,uasc}.csv; default the shared sample"
        ),
    ] = None,
    out: Annotated[
        str | None, typer.Option(help="also write the result: .json, .csv (the table) or .md/.txt")
    ] = None,
    horizon: Annotated[int, typer.Option(help="months ahead")] = 12,
    windows: Annotated[int, typer.Option(help="31 March origins, a year apart")] = 4,
    n_sims: Annotated[int, typer.Option(help="Monte Carlo draws per origin")] = 1000,
) -> None:
    """Rolling-origin backtest of the forecast next to naive baselines (forecasting.rolling_backtest):
    each 31 March origin sees only the returns for earlier collection years; the truth is all returns."""
    import json
    from pathlib import Path

    from rcc.sufficiency import backtest as backtest_svc
    from rcc.sufficiency import report as report_svc

    folder = Path(data_dir) if data_dir else load_settings().data_dir / "ssda903-sample"
    if not folder.is_dir():
        typer.echo(f"error: {folder} is not a folder", err=True)
        raise typer.Exit(2)
    result = run_with_progress(
        "Backtesting the forecast",
        lambda: backtest_svc.sample_backtest(folder, horizon=horizon, n_windows=windows, n_sims=n_sims),
    )
    text = backtest_svc.backtest_table_text(result)
    typer.echo(text)
    if out:
        path = Path(out)
        if path.suffix == ".json":
            path.write_text(json.dumps(result, indent=2, default=str))
        elif path.suffix == ".csv":
            path.write_text(report_svc.to_csv(result["table"]))
        else:
            path.write_text(text + "\n")
        typer.echo(f"wrote {path}")


@forecast_app.command("run")
def forecast_run(
    rcc: Annotated[int | None, typer.Option(help="RCC id")] = None,
    la: Annotated[str | None, typer.Option(help="or one LA (GSS or DfE code)")] = None,
    horizon: Annotated[int, typer.Option(help="months ahead")] = 12,
    n_sims: Annotated[int, typer.Option(help="Monte Carlo draws")] = 500,
    inflation: Annotated[float, typer.Option(help="yearly fee inflation for costs")] = 0.03,
) -> None:
    """Queue a forecast job for the RCC's stored returns and run it here; prints the RCC totals
    at the horizon (the job's full result is at GET /api/v1/sufficiency/forecasts/{id})."""
    import time

    from pydantic import ValidationError

    from api_schemas.forecasts import ForecastIn
    from rcc.auth import SYSTEM
    from rcc.db import transaction
    from rcc.errors import DomainError
    from rcc.sufficiency import forecasts as forecasts_svc

    prepare_database()
    factory = _factory()
    try:
        body = ForecastIn(rcc_id=rcc, la_code=la, horizon_months=horizon, n_sims=n_sims, inflation=inflation)
        with transaction(factory) as s:
            job_id = forecasts_svc.submit_forecast(s, SYSTEM, body).id
    except (DomainError, ValidationError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    t0 = time.perf_counter()
    job = run_with_progress("Forecasting", lambda: forecasts_svc.run_now(factory, job_id))
    typer.echo(f"forecast job {job.id}: {job.status} in {time.perf_counter() - t0:.1f} s")
    if job.status != "succeeded":
        typer.echo(job.error or "", err=True)
        raise typer.Exit(1)
    res = job.result or {}
    label = "RCC" if res["scope"]["kind"] == "rcc" else res["scope"]["la_codes"][0]
    last = max(r["period"] for r in res["forecast"])
    typer.echo(f"origin {res['origin']}: {res['children_at_origin'].get(label, 0)} children looked after")
    typer.echo(f"{'placement':<12} {'mean':>8} {'80% range':>18} {'95% range':>18}   at {last}")
    for r in res["forecast"]:
        if r["la"] == label and r["age_band"] == "all" and r["period"] == last:
            typer.echo(
                f"{r['placement']:<12} {r['mean']:>8.1f} {r['lo_80']:>8.1f}-{r['hi_80']:<9.1f} "
                f"{r['lo_95']:>8.1f}-{r['hi_95']:<9.1f}"
            )


matching_app = typer.Typer(help="Region-wide matching runs.", no_args_is_help=True)
app.add_typer(matching_app, name="matching")


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


def first_member_la(region: str) -> str:
    """GSS code of the first member LA of a loaded demo region's RCC (used by run.sh)."""
    from sqlalchemy import select

    from rcc.db.models import Rcc

    with _existing_factory()() as s:
        rcc = s.scalars(select(Rcc).where(Rcc.name == f"{region} RCC")).one()
        return rcc.members[0].gss_code


def main() -> None:
    """The ``rcc`` command: settings are checked before anything else, even ``rcc`` alone."""
    try:
        check_settings()
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    app(prog_name="rcc")


if __name__ == "__main__":  # pragma: no cover
    main()
