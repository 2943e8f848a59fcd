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
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
from sqlalchemy import insert, select
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


def _current(session: Session, kind: _Kind, la_ids: Iterable[int]) -> dict[tuple, Any]:
    m = kind.model
    stmt = select(m).where(m.la_id.in_(list(la_ids)), m.valid_to_return_id.is_(None))
    return {kind.key_of(r): r for r in session.scalars(stmt)}


def apply_rows(
    session: Session, kind: _Kind, la_id: int, ret: SufficiencyReturn, incoming: dict[tuple, tuple]
) -> dict[str, int]:
    """Link the return to a version of each row it lists (new versions where the values are new),
    then move the current state to the effective state. Returns the counts for ``changes``."""
    m = kind.model
    current = _current(session, kind, [la_id])
    created: dict[tuple, Any] = {}
    linked: list[Any] = []
    for key, values in incoming.items():
        full = (la_id, *key)
        cur = current.get(full)
        if cur is not None and kind.values_of(cur) == values:
            linked.append(cur)
            continue
        row = m(
            la_id=la_id,
            **dict(zip(kind.key, key, strict=True)),
            **dict(zip(kind.values, values, strict=True)),
            valid_from_return_id=ret.id,
            return_id=ret.id,
        )
        session.add(row)
        created[full] = row
        linked.append(row)
    session.flush()
    if linked:
        session.execute(
            insert(Ssda903ReturnRow),
            [{"return_id": ret.id, "kind": kind.name, "row_id": r.id} for r in linked],
        )

    effective = {
        kind.key_of(row): (row, rid, year) for row, rid, year in session.execute(_effective(kind, [la_id]))
    }
    counts = dict.fromkeys(("added", "revised", "unchanged", "withdrawn", "superseded"), 0)
    made_current: set[int] = set()
    for key in effective.keys() | current.keys():
        eff, cur = effective.get(key), current.get(key)
        if eff is not None and cur is not None and kind.values_of(eff[0]) == kind.values_of(cur):
            cur.return_id = eff[1]
            continue
        if cur is not None:
            cur.valid_to_return_id = ret.id
        if eff is None:
            counts["withdrawn"] += 1
            continue
        row, rid, _ = eff
        if key in created and created[key] is row:
            made_current.add(row.id)
        else:  # an older version is effective again: it becomes current as a new version
            row = m(
                la_id=la_id,
                **{k: getattr(row, k) for k in (*kind.key, *kind.values)},
                valid_from_return_id=ret.id,
            )
            session.add(row)
        row.return_id = rid
        counts["revised" if cur is not None else "added"] += 1
    for row in created.values():
        if row.id not in made_current:  # outranked by a later collection year's return
            row.valid_to_return_id = ret.id
            counts["superseded"] += 1
    counts["unchanged"] = len(incoming) - len(created)
    return counts
