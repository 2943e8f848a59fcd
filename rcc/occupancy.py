"""Occupancy as date intervals: the one place that says how many places a home has free, and when.

A placement holds a place over the half-open interval ``[start_date, end_date)``; an open-ended
placement (``end_date`` None) holds it for ever. A home may take a new placement over ``[start,
end)`` when, on every day of that range, the placements already holding a place there plus the
new ones fit in its registered places. Every path that creates or moves a placement (direct
placements, accepted offers, NPS imports) calls :func:`check_room` with the home's row locked
(:func:`lock_homes`), so concurrent writers are serialised per home; the matching service, the
exit stress test and the register's ``free_places`` read :func:`load` with the same arithmetic.

The first half of the module is pure (intervals in, numbers out); the second reads the database.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

Interval = tuple[dt.date, dt.date | None]
"""``[start, end)``; ``end`` None means open-ended."""


def holds_on(interval: Interval, day: dt.date) -> bool:
    start, end = interval
    return start <= day and (end is None or day < end)


def on_date(intervals: Iterable[Interval], day: dt.date) -> int:
    """Places taken on ``day``."""
    return sum(1 for iv in intervals if holds_on(iv, day))


def peak(intervals: Iterable[Interval], start: dt.date, end: dt.date | None = None) -> int:
    """The most places taken at once on any day of ``[start, end)`` (``end`` None: from ``start`` on).

    A sweep over the interval ends: a place freed on a day is free for a placement starting that
    day (ends are processed before starts on the same date).
    """
    if end is not None and end <= start:
        return 0  # an empty window
    events: list[tuple[dt.date, int]] = []
    for s, e in intervals:
        if e is not None and e <= start:
            continue  # ended before the window
        if end is not None and s >= end:
            continue  # starts after the window
        if e is not None and e <= s:
            continue  # empty interval holds nothing
        events.append((max(s, start), 1))
        if e is not None and (end is None or e < end):
            events.append((e, -1))
    events.sort(key=lambda ev: (ev[0], ev[1]))
    level = best = 0
    for _, delta in events:
        level += delta
        best = max(best, level)
    return best


def free(registered: int, intervals: Iterable[Interval], start: dt.date, end: dt.date | None = None) -> int:
    """Places a new placement over ``[start, end)`` could still take: never clamped, so an
    overbooked home (only possible in data from before this check) shows a negative number."""
    return registered - peak(intervals, start, end)


# ---------------------------------------------------------------- the database side


@dataclass(frozen=True)
class HomeLoad:
    """A home's occupancy seen from ``on``: taken that day, the peak from then on, and what is free
    for an open-ended placement starting that day (registered less the peak)."""

    registered: int
    occupied_on: int
    peak_from: int

    @property
    def free_places(self) -> int:
        return self.registered - self.peak_from


def intervals(
    session: Session,
    home_ids: Collection[int] | None,
    on: dt.date | None = None,
    exclude_placement: int | None = None,
) -> dict[int, list[Interval]]:
    """Placement intervals per home (all homes when ``home_ids`` is None), only those not ended
    by ``on`` when given."""
    from rcc.db.models import Placement

    stmt = select(Placement.home_id, Placement.start_date, Placement.end_date)
    if home_ids is not None:
        stmt = stmt.where(Placement.home_id.in_(list(home_ids)))
    if on is not None:
        stmt = stmt.where(or_(Placement.end_date.is_(None), Placement.end_date > on))
    if exclude_placement is not None:
        stmt = stmt.where(Placement.id != exclude_placement)
    out: dict[int, list[Interval]] = defaultdict(list)
    for home_id, start, end in session.execute(stmt):
        out[home_id].append((start, end))
    return out


def load(session: Session, homes: Iterable[tuple[int, int]], on: dt.date) -> dict[int, HomeLoad]:
    """:class:`HomeLoad` on ``on`` for ``homes`` given as ``(home id, registered places)``."""
    homes = list(homes)
    ivs = intervals(session, [h for h, _ in homes], on)
    return {
        h: HomeLoad(registered, on_date(ivs.get(h, ()), on), peak(ivs.get(h, ()), on))
        for h, registered in homes
    }


def lock_homes(session: Session, home_ids: Iterable[int]) -> None:
    """Hold the homes' rows until the transaction ends, in id order (so two writers never deadlock),
    so a home's places are counted and taken by one writer at a time.

    PostgreSQL: ``SELECT ... FOR UPDATE`` (under READ COMMITTED the counts read after the lock
    see every placement committed before it). SQLite has no row locks: a no-op UPDATE takes the
    database's write lock (pysqlite begins the transaction at the first write, so rows read
    afterwards are current), which serialises writers the same way.
    """
    from rcc.db.models import Home

    ids = sorted(set(home_ids))
    if not ids:
        return
    if session.get_bind().dialect.name == "sqlite":
        session.execute(update(Home).where(Home.id.in_(ids)).values(registered_places=Home.registered_places))
    else:
        session.execute(select(Home.id).where(Home.id.in_(ids)).order_by(Home.id).with_for_update())


def lock_children(session: Session, child_ids: Iterable[int]) -> None:
    """Hold the children's rows (after the homes', in id order) so one child cannot be placed twice
    over the same dates by two requests for different homes."""
    from rcc.db.models import Child

    ids = sorted(set(child_ids))
    if not ids:
        return
    if session.get_bind().dialect.name == "sqlite":
        session.execute(update(Child).where(Child.id.in_(ids)).values(la_id=Child.la_id))
    else:
        session.execute(select(Child.id).where(Child.id.in_(ids)).order_by(Child.id).with_for_update())


def check_room(
    session: Session,
    home_id: int,
    start: dt.date,
    end: dt.date | None,
    *,
    places: int = 1,
    exclude_placement: int | None = None,
) -> None:
    """Raise :class:`rcc.errors.Conflict` unless ``places`` more placements fit in the home on every
    day of ``[start, end)``. Lock the home first (:func:`lock_homes`)."""
    from rcc.db.models import Home
    from rcc.errors import Conflict, FieldProblem

    registered = session.scalar(select(Home.registered_places).where(Home.id == home_id))
    if registered is None:
        return
    ivs = intervals(session, [home_id], start, exclude_placement).get(home_id, [])
    room = free(registered, ivs, start, end)
    if room < places:
        until = f" to {end}" if end else " on"
        raise Conflict(
            f"home {home_id} has no free place from {start}{until} ({max(room, 0)} free, {places} needed)",
            [FieldProblem("home_id", "no free place over the placement's dates")],
        )


def trim_vacancies(session: Session, home_id: int, on: dt.date | None = None) -> None:
    """Declared vacancies never exceed what is free: after a placement takes a place, reduce the
    home's declared vacancies (latest first) to the places free from ``on``; emptied ones go."""
    from rcc.db.models import Home, Vacancy

    on = on or dt.date.today()
    registered = session.scalar(select(Home.registered_places).where(Home.id == home_id)) or 0
    room = max(free(registered, intervals(session, [home_id], on).get(home_id, []), on), 0)
    vacancies = list(
        session.scalars(
            select(Vacancy).where(Vacancy.home_id == home_id).order_by(Vacancy.available_from, Vacancy.id)
        )
    )
    take_places(session, reversed(vacancies), sum(v.places for v in vacancies) - room)
    session.flush()


def take_places(session: Session, vacancies: Iterable[Any], n: int) -> None:
    """Take ``n`` declared places from ``vacancies`` (Vacancy rows) in the order given; a vacancy left
    with none is deleted. Nothing happens when ``n`` is 0 or less."""
    for v in vacancies:
        if n <= 0:
            break
        used = min(v.places, n)
        v.places -= used
        n -= used
        if v.places <= 0:
            session.delete(v)


def check_declared(session: Session, home_id: int, total_declared: int, available_from: dt.date) -> None:
    """Raise :class:`rcc.errors.Conflict` when a home's declared vacancies (``total_declared``, all of
    them) would exceed the places free from ``available_from``, the earliest date any of them is
    available (today when that is past)."""
    from rcc.db.models import Home
    from rcc.errors import Conflict, FieldProblem

    on = max(available_from, dt.date.today())
    registered = session.scalar(select(Home.registered_places).where(Home.id == home_id)) or 0
    room = free(registered, intervals(session, [home_id], on).get(home_id, []), on)
    if total_declared > room:
        raise Conflict(
            f"home {home_id} has {max(room, 0)} free place(s) from {on}; its vacancies would declare {total_declared}",
            [FieldProblem("places", "declared vacancies cannot exceed free places")],
        )
