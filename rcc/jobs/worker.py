"""Running claimed jobs: one at a time (:func:`run_one`), until the queue is empty (:func:`drain`),
or in a background thread (:class:`Worker`). The handlers come from :mod:`rcc.jobs.registry`."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping

from sqlalchemy.orm import Session, sessionmaker

from rcc.jobs.queue import Handler, JobContext, claim_next, run_with
from rcc.jobs.registry import HANDLERS

log = logging.getLogger("rcc.jobs")


def run_one(ctx: JobContext, handlers: Mapping[str, Handler] = HANDLERS) -> None:
    """Run a claimed job with the handler registered for its kind; the outcome is stored on the job."""
    run_with(ctx, handlers[ctx.kind])


def drain(factory: sessionmaker[Session], handlers: Mapping[str, Handler] = HANDLERS) -> int:
    """Run queued jobs until none is left (used by tests and ``rcc worker --once``)."""
    n = 0
    while (ctx := claim_next(factory)) is not None:
        run_one(ctx, handlers)
        n += 1
    return n


class Worker:
    """A background thread that polls the jobs table; never blocks the event loop."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        poll_seconds: float = 0.5,
        handlers: Mapping[str, Handler] = HANDLERS,
    ):
        self.factory = factory
        self.handlers = handlers
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="rcc-job-worker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                ctx = claim_next(self.factory)
            except Exception:  # database briefly unavailable: back off and retry
                log.exception("job worker could not poll")
                ctx = None
            if ctx is None:
                self._stop.wait(self.poll_seconds)
            else:
                run_one(ctx, self.handlers)
