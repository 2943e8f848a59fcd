"""Running claimed jobs: one at a time (:func:`run_one`), until the queue is empty (:func:`drain`),
or in a background worker (:class:`Worker`: per-kind slots, heartbeats, the reaper, draining stop).
The handlers come from :mod:`rcc.jobs.registry` unless given."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Collection, Mapping
from dataclasses import replace

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from rcc.jobs.queue import (
    DEFAULT_LEASE_SECONDS,
    Handler,
    JobContext,
    QueueSettings,
    _register,
    claim,
    give_back,
    new_worker_id,
    reap,
    renew,
    run_claimed,
)
from rcc.jobs.registry import HANDLERS

log = logging.getLogger("rcc.jobs")


def run_one(ctx: JobContext, handlers: Mapping[str, Handler] = HANDLERS) -> str:
    """Run a claimed job with the handler registered for its kind; the outcome is stored on the job."""
    return run_claimed(ctx, handlers)


class Worker:
    """Claims jobs into per-kind slots (one thread per running job), renews their leases, reaps
    expired ones, and drains on :meth:`stop`. Never blocks the event loop of the process it lives in."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        poll_seconds: float | None = None,
        handlers: Mapping[str, Handler] = HANDLERS,
        settings: QueueSettings | None = None,
        worker_id: str | None = None,
    ):
        self.factory = factory
        self._handlers = handlers
        base = settings or QueueSettings()
        self.settings = base if poll_seconds is None else replace(base, poll_seconds=poll_seconds)
        self.id = worker_id or new_worker_id()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._running: dict[str, tuple[JobContext, threading.Thread]] = {}
        self._loop_thread = threading.Thread(target=self._loop, name="rcc-job-claims", daemon=True)
        self._beat_thread = threading.Thread(target=self._beat, name="rcc-job-heartbeat", daemon=True)
        self._db_ok = True
        self._state = "running"

    # -- slots
    def _slots(self, kinds: Collection[str]) -> dict[str, int]:
        conc = self.settings.concurrency
        return {k: conc.get(k, conc.get("*", 1)) for k in kinds}

    def _free_kinds(self) -> list[str]:
        kinds = list(self._handlers)
        slots = self._slots(kinds)
        with self._lock:
            busy: dict[str, int] = {}
            for ctx, _ in self._running.values():
                busy[ctx.kind] = busy.get(ctx.kind, 0) + 1
        return [k for k in kinds if busy.get(k, 0) < slots[k]]

    @property
    def running_jobs(self) -> list[str]:
        with self._lock:
            return list(self._running)

    # -- lifecycle
    def start(self) -> None:
        self._beat_once()
        self._loop_thread.start()
        self._beat_thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Stop claiming, let running jobs finish within the drain time, return the rest to the queue."""
        drain = self.settings.drain_seconds if timeout is None else timeout
        self._state = "draining"
        self._stop.set()
        self._wake.set()
        self._loop_thread.join(5)
        deadline = time.monotonic() + drain
        for _, thread in list(self._running_items()):
            thread.join(max(0.0, deadline - time.monotonic()))
        left = self.running_jobs
        if left:
            try:
                n = give_back(self.factory, self.id, left)
                log.warning("worker %s: returned %d unfinished job(s) to the queue", self.id, n)
            except SQLAlchemyError as exc:
                log.warning("worker %s: could not return jobs (%s); their leases will expire", self.id, exc)
        self._state = "stopped"
        self._beat_thread.join(5)
        try:
            _register(self.factory, self.id, self._slots(self._handlers), "stopped", 0)
        except SQLAlchemyError:
            pass

    def _running_items(self) -> list[tuple[JobContext, threading.Thread]]:
        with self._lock:
            return list(self._running.values())

    # -- database state changes, logged once each
    def _db_state(self, ok: bool, exc: BaseException | None = None) -> None:
        if ok and not self._db_ok:
            log.warning("worker %s: database reachable again", self.id)
        elif not ok and self._db_ok:
            log.warning(
                "worker %s: database unreachable (%s); backing off", self.id, str(exc).splitlines()[0][:200]
            )
        self._db_ok = ok

    def _loop(self) -> None:
        delay = self.settings.poll_seconds
        while not self._stop.is_set():
            try:
                kinds = self._free_kinds()
                ctx = claim(self.factory, self.id, kinds, self.settings.lease_seconds) if kinds else None
                self._db_state(True)
                delay = self.settings.poll_seconds
            except SQLAlchemyError as exc:
                self._db_state(False, exc)
                ctx = None
                delay = min(30.0, max(delay * 2, 1.0))
            if ctx is None:
                self._wake.wait(delay)
                self._wake.clear()
                continue
            thread = threading.Thread(target=self._run, args=(ctx,), name=f"rcc-job-{ctx.kind}", daemon=True)
            with self._lock:
                self._running[ctx.job_id] = (ctx, thread)
            log.info("worker %s: running job %s (%s, attempt %d)", self.id, ctx.job_id, ctx.kind, ctx.attempt)
            thread.start()

    def _run(self, ctx: JobContext) -> None:
        try:
            status = run_claimed(ctx, self._handlers)
            log.info("worker %s: job %s %s", self.id, ctx.job_id, status)
        except SQLAlchemyError as exc:  # could not record the outcome: the lease will expire, and it re-runs
            log.warning("worker %s: job %s outcome not recorded (%s)", self.id, ctx.job_id, exc)
        finally:
            with self._lock:
                self._running.pop(ctx.job_id, None)
            self._wake.set()

    def _beat_once(self) -> None:
        held = self.running_jobs
        try:
            still, cancel = renew(self.factory, self.id, held, self.settings.lease_seconds)
            _register(self.factory, self.id, self._slots(self._handlers), self._state, len(held))
            reap(self.factory, self.settings.backoff_base)
            self._db_state(True)
        except SQLAlchemyError as exc:
            self._db_state(False, exc)
            return
        for ctx, _ in self._running_items():
            if ctx.job_id in cancel:
                ctx._cancel.set()
            if (
                ctx.job_id in held and ctx.job_id not in still
            ):  # (a job claimed since `held` was read is ours)
                ctx._lost.set()

    def _beat(self) -> None:
        while self._state != "stopped":
            time.sleep(
                self.settings.heartbeat_seconds
                if self._db_ok
                else min(30.0, self.settings.heartbeat_seconds * 2)
            )
            if self._state == "stopped":
                return
            self._beat_once()


def drain(factory: sessionmaker[Session], handlers: Mapping[str, Handler] = HANDLERS, worker_id: str | None = None,
          lease_seconds: float = DEFAULT_LEASE_SECONDS) -> int:  # fmt: skip
    """Run claimable jobs in this thread until none is left (tests and ``rcc worker --once``)."""
    wid = worker_id or new_worker_id()
    n = 0
    while (ctx := claim(factory, wid, list(handlers), lease_seconds)) is not None:
        run_claimed(ctx, handlers)
        n += 1
    return n
