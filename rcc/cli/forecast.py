"""``rcc forecast``: run a sufficiency forecast, or backtest the model on SSDA903 returns."""

from __future__ import annotations

from typing import Annotated

import typer

from rcc.cli.common import _factory, prepare_database
from rcc.config import load_settings
from rcc.progress import run_with_progress

forecast_app = typer.Typer(help="Sufficiency forecasts and their backtest.", no_args_is_help=True)


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
