"""In-process caches of hot reads, invalidated by the register version (:mod:`rcc.db.versions`).

Each API process keeps what is expensive to rebuild from the database, such as an RCC's prepared
matching register, keyed by what it depends on *and* the register version it was built at. A
reader asks the database for the current version (one primary-key read, inside its own transaction)
and rebuilds only when the version has moved, so several processes on one database agree without a
message broker. While one thread rebuilds an entry, others wanting the same entry wait for it rather
than rebuilding it too. Entries are few (one per RCC and day) and bounded (least recently used out).
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from rcc.db import versions

T = TypeVar("T")


class VersionedCache:
    """Entries per database engine (a process normally has one; tests and tools make several, whose
    version counters are unrelated), each keyed by (key, register version)."""

    def __init__(self, maxsize: int = 32, version: str = versions.REGISTER):
        self.maxsize = maxsize
        self.version = version
        self._engines: weakref.WeakKeyDictionary[Any, OrderedDict[tuple[Hashable, int], Any]] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()
        self._building: dict[tuple[int, tuple[Hashable, int]], threading.Lock] = {}
        self.hits = self.misses = 0

    def get(self, session: Session, key: Hashable, build: Callable[[], T]) -> T:
        """The entry for ``key`` at the database's current register version, built if missing."""
        full = (key, versions.current(session, self.version))
        bind = session.get_bind()
        with self._lock:
            data = self._engines.setdefault(bind, OrderedDict())
            if full in data:
                data.move_to_end(full)
                self.hits += 1
                return data[full]
            gate = self._building.setdefault((id(bind), full), threading.Lock())
        with gate:
            with self._lock:
                if full in data:  # another thread built it while we waited
                    self.hits += 1
                    return data[full]
            value = build()
            with self._lock:
                self.misses += 1
                data[full] = value
                # entries of older versions of the same key are dead: drop them at once
                for old in [k for k in data if k[0] == key and k != full]:
                    del data[old]
                while len(data) > self.maxsize:
                    data.popitem(last=False)
                self._building.pop((id(bind), full), None)
            return value

    def clear(self) -> None:
        with self._lock:
            self._engines.clear()
