"""How a validated SSDA903 return becomes stored row versions (see :mod:`rcc.sufficiency.returns`).

* :func:`project` keeps, per table, the columns this service stores, keyed by row identity;
  postcodes are cut to the sector (:func:`postcode_sector`), UPN, MOTHER and MC_DOB are dropped.
* :func:`content_hash` is the hash of that normalised content: identical content is *unchanged*.
* :func:`apply_rows` links a new return to a version of each row it lists and moves the current
  state to the effective state (the latest collection year's statement wins).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Select, insert, select, update
from sqlalchemy.orm import Session

from rcc.db.models import Ssda903ReturnRow, SufficiencyReturn
from rcc.sufficiency.stored import _effective, _Kind

_OUTWARD = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]?")


_INWARD = re.compile(r"[0-9][A-Z]{0,2}")


def postcode_sector(value: str | None) -> str | None:
    """``"NE1 4ST"`` -> ``"NE1 4"``; a sector (``NE1 4``) or district (``NE1``) is kept as it is;
    a value that is not a postcode -> ``None`` (not kept)."""
    if value is None:
        return None
    text = re.sub(r"\s+", " ", str(value).strip().upper())
    if " " in text:
        outward, inward = text.split(" ", 1)
        inward = inward.replace(" ", "")
    elif len(text) >= 5:
        outward, inward = text[:-3], text[-3:]
    else:
        outward, inward = text, ""
    if not _OUTWARD.fullmatch(outward) or (inward and not _INWARD.fullmatch(inward)):
        return None
    return f"{outward} {inward[0]}" if inward else outward


def project(kind: _Kind, frame: pd.DataFrame | None) -> dict[tuple, tuple]:
    """The rows this service keeps from one validated table: ``{key (without la): values}``.
    A later row with the same key wins (only the UASC table can repeat a child)."""
    if frame is None:
        return {}
    out: dict[tuple, tuple] = {}
    cols = {name: frame[name.upper()].tolist() for name in (*kind.key, *kind.values)}
    for i in range(len(frame)):
        cell = {}
        for name, column in cols.items():
            v = column[i]
            if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)) or v is pd.NaT:
                v = None
            elif name in kind.dates:
                v = pd.Timestamp(v).date()
            else:
                v = str(v)
                if name in kind.postcodes:
                    v = postcode_sector(v)
            cell[name] = v
        out[tuple(cell[k] for k in kind.key)] = tuple(cell[v] for v in kind.values)
    return out


def content_hash(rows: Mapping[str, Mapping[tuple, tuple]]) -> str:
    """sha256 of the normalised content the service would keep (sorted, dates ISO)."""

    def enc(v: Any) -> Any:
        return v.isoformat() if isinstance(v, dt.date) else v

    doc = {
        kind: sorted([[enc(x) for x in (*k, *v)] for k, v in table.items()], key=json.dumps)
        for kind, table in sorted(rows.items())
    }
    return hashlib.sha256(json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class _Version:
    """A stored row version as plain values (no ORM object: the bulk path never builds one)."""

    id: int
    values: tuple
    return_id: int  # current: whose statement it is; effective: the return that supplies it


def _versions(session: Session, kind: _Kind, la_id: int, stmt: Select) -> dict[tuple, _Version]:
    """``{(la, *key): version}`` from a select of (id, return id, key columns, value columns)."""
    n = len(kind.key)
    return {(la_id, *r[2 : 2 + n]): _Version(r[0], tuple(r[2 + n :]), r[1]) for r in session.execute(stmt)}


def _current(session: Session, kind: _Kind, la_id: int) -> dict[tuple, _Version]:
    m = kind.model
    cols = [getattr(m, c) for c in (*kind.key, *kind.values)]
    stmt = select(m.id, m.return_id, *cols).where(m.la_id == la_id, m.valid_to_return_id.is_(None))
    return _versions(session, kind, la_id, stmt)


def _effective_now(session: Session, kind: _Kind, la_id: int) -> dict[tuple, _Version]:
    eff = _effective(kind, [la_id]).subquery()
    cols = [eff.c[c] for c in (*kind.key, *kind.values)]
    return _versions(session, kind, la_id, select(eff.c.id, eff.c.rid, *cols))


def _insert(session: Session, kind: _Kind, rows: list[dict[str, Any]]) -> None:
    """Bulk INSERT of validated row versions: one Core executemany on the table. Not the ORM's
    bulk insert, which leaves out None values and so splits rows with different blank cells into
    many small statements (one per row for the demo's episodes), and no RETURNING: SQLAlchemy 2.1
    splices each batch's returned rows into the ones before, quadratic in the rows."""
    if rows:
        session.execute(insert(kind.model.__table__), rows)


def _ids_from(session: Session, kind: _Kind, la_id: int, ret: SufficiencyReturn) -> dict[tuple, int]:
    """``{(la, *key): id}`` of the versions ``ret`` has made so far (``valid_from_return_id``)."""
    m = kind.model
    keys = [getattr(m, c) for c in kind.key]
    stmt = select(m.id, *keys).where(m.la_id == la_id, m.valid_from_return_id == ret.id)
    return {(la_id, *r[1:]): r[0] for r in session.execute(stmt)}


def _update(session: Session, kind: _Kind, changes: dict[int, dict[str, int]]) -> None:
    """Bulk UPDATE by primary key, one executemany per set of columns changed."""
    groups: dict[tuple[str, ...], list[dict[str, int]]] = {}
    for row_id, cols in changes.items():
        groups.setdefault(tuple(sorted(cols)), []).append({"id": row_id, **cols})
    for params in groups.values():
        session.execute(update(kind.model), params)


def apply_rows(
    session: Session, kind: _Kind, la_id: int, ret: SufficiencyReturn, incoming: dict[tuple, tuple]
) -> dict[str, int]:
    """Link the return to a version of each row it lists (new versions where the values are new),
    then move the current state to the effective state. Returns the counts for ``changes``.

    The rows are already validated, so they are written in bulk (executemany INSERT, the new ids
    read back by one select, UPDATE by primary key; no ORM object per row) inside the caller's transaction: a failure part-way
    rolls the whole return back, as before."""

    def version(key: tuple, values: tuple, **ids: int) -> dict[str, Any]:
        return {"la_id": la_id, **dict(zip(kind.key, key[1:], strict=True)),
                **dict(zip(kind.values, values, strict=True)), **ids}  # fmt: skip

    current = _current(session, kind, la_id)
    linked: list[int] = []
    new: dict[tuple, tuple] = {}
    for key, values in incoming.items():
        full = (la_id, *key)
        cur = current.get(full)
        if cur is not None and cur.values == values:
            linked.append(cur.id)
        else:
            new[full] = values
    _insert(
        session, kind, [version(k, v, valid_from_return_id=ret.id, return_id=ret.id) for k, v in new.items()]
    )
    created = _ids_from(session, kind, la_id, ret) if new else {}
    assert len(created) == len(new)
    linked += created.values()
    if linked:
        session.execute(
            insert(Ssda903ReturnRow), [{"return_id": ret.id, "kind": kind.name, "row_id": i} for i in linked]
        )

    effective = _effective_now(session, kind, la_id)
    counts = dict.fromkeys(("added", "revised", "unchanged", "withdrawn", "superseded"), 0)
    changes: dict[int, dict[str, int]] = {}
    again: list[dict[str, Any]] = []
    made_current: set[int] = set()
    for key in effective.keys() | current.keys():
        eff, cur = effective.get(key), current.get(key)
        if eff is not None and cur is not None and eff.values == cur.values:
            if cur.return_id != eff.return_id:
                changes[cur.id] = {"return_id": eff.return_id}
            continue
        if cur is not None:
            changes[cur.id] = {"valid_to_return_id": ret.id}
        if eff is None:
            counts["withdrawn"] += 1
            continue
        if created.get(key) == eff.id:
            made_current.add(eff.id)
            if eff.return_id != ret.id:
                changes[eff.id] = {"return_id": eff.return_id}
        else:  # an older version is effective again: it becomes current as a new version
            again.append(version(key, eff.values, valid_from_return_id=ret.id, return_id=eff.return_id))
        counts["revised" if cur is not None else "added"] += 1
    for row_id in created.values():
        if row_id not in made_current:  # outranked by a later collection year's return
            changes[row_id] = {"valid_to_return_id": ret.id}
            counts["superseded"] += 1
    _insert(session, kind, again)
    _update(session, kind, changes)
    counts["unchanged"] = len(incoming) - len(created)
    return counts
