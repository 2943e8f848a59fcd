"""A progress bar for the CLI's long commands (``rcc demo``, ``rcc forecast run``, ``rcc matching run``,
``rcc forecast backtest``), drawn with rich on standard error, and only when that is a terminal.

The work itself knows nothing of it: :func:`run_with_progress` runs the work in a thread and, while it
runs, draws a bar on the main thread. With an expected duration (a solver's time limit) the bar fills
towards it and waits at 99% until the work returns; without one it shows a moving bar and the elapsed
time. Piped, redirected or under a test runner, nothing is drawn and the work runs in the caller's thread.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import IO, TypeVar

T = TypeVar("T")
TICK_SECONDS = 0.1


def is_terminal(stream: IO[str] | None = None) -> bool:
    """True when ``stream`` (standard error) is an interactive terminal."""
    stream = stream if stream is not None else sys.stderr
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # closed or not a real file
        return False


def run_with_progress(
    label: str,
    work: Callable[[], T],
    *,
    expected_seconds: float | None = None,
    stream: IO[str] | None = None,
    enabled: bool | None = None,
) -> T:
    """``work()``'s result (its exception re-raised here), with a progress bar meanwhile on a terminal."""
    out = stream if stream is not None else sys.stderr
    if not (is_terminal(out) if enabled is None else enabled):
        return work()
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    result: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            result.append(work())
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread below
            failure.append(exc)

    thread = threading.Thread(target=run, name="rcc-cli-work", daemon=True)
    console = Console(file=out, force_terminal=True)  # we only get here for a terminal (or when asked)
    columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=console, transient=False) as bar:
        total = 100.0 if expected_seconds else None
        task = bar.add_task(label, total=total)
        start = time.monotonic()
        thread.start()
        while thread.is_alive():
            if expected_seconds:
                bar.update(task, completed=min(99.0, 100.0 * (time.monotonic() - start) / expected_seconds))
            thread.join(TICK_SECONDS)
        bar.update(task, total=100.0, completed=100.0, description=f"{label}: {'failed' if failure else 'done'}")
    if failure:
        raise failure[0]
    return result[0]
