"""The small dispatcher thread that delivers webhooks beside the job worker.

It runs wherever the job worker runs (inside ``rcc serve`` with ``RCC_WORKER=inline``, or in
``rcc worker``), in its own thread so a slow receiver never holds up a job. Every
``interval`` seconds it sweeps stale vacancies into the outbox, fans new events out to the
subscriptions and sends what is due (:func:`rcc.webhooks.delivery.dispatch`). Several dispatchers
may run at once: deliveries are claimed with a conditional update.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy.orm import Session, sessionmaker

from rcc.webhooks.delivery import dispatch

log = logging.getLogger("rcc.webhooks")


class Dispatcher:
    def __init__(self, factory: sessionmaker[Session], stale_days: int | None = None, interval: float = 2.0):
        self.factory = factory
        self.stale_days = stale_days
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="rcc-webhooks", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                dispatch(self.factory, stale_days=self.stale_days)
            except Exception:  # the database briefly unavailable: try again next round
                log.exception("webhook dispatch failed")
            self._stop.wait(self.interval)
