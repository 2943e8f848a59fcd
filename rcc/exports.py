"""Tables as downloads: CSV and Excel (openpyxl) from the same rows, with caveats kept beside the data.

A table is a title, column names, rows and notes (what the figures cover: missing LAs, the origin
date). The CSV puts each note on its own ``# `` line before the column names; the workbook puts the
rows on the first sheet and the notes on a sheet called "About", so a figure never travels without
what it is built on. Neither runs what a cell holds: CSV cells are neutralised as
:mod:`rcc.csv_export` does for every CSV, and a workbook's text cells are stored as text, never as formulas.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rcc.csv_export import safe_cell

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"


@dataclass(frozen=True)
class Table:
    title: str
    columns: Sequence[str]
    rows: Sequence[Sequence[Any]]
    notes: Sequence[str] = field(default_factory=tuple)


def _cell(value: Any) -> Any:
    if isinstance(value, (list, tuple, set, frozenset)):
        return "; ".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}={v}" for k, v in value.items())
    return value


def to_csv(table: Table) -> bytes:
    out = io.StringIO()
    for note in table.notes:
        out.write(f"# {note}\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([safe_cell(c) for c in table.columns])
    for row in table.rows:
        writer.writerow([safe_cell(_cell(v)) for v in row])
    return out.getvalue().encode("utf-8")


def to_xlsx(table: Table) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = (table.title or "data")[:31]
    ws.append(list(table.columns))
    for c in ws[1]:
        c.font = Font(bold=True)
    for row in table.rows:
        ws.append([_cell(v) for v in row])
    for cells in ws.iter_rows(min_row=2):
        for c in cells:
            if c.data_type == "f":  # a text cell starting with "=" is kept as text, never run as a formula
                c.data_type = "s"
    ws.freeze_panes = "A2"
    about = wb.create_sheet("About")
    about.append([table.title])
    about["A1"].font = Font(bold=True)
    for note in table.notes:
        about.append([note])
    about.append([f"made {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def from_dicts(title: str, rows: Iterable[dict[str, Any]], notes: Sequence[str] = (),
               columns: Sequence[str] | None = None) -> Table:  # fmt: skip
    """A table from dicts (columns: ``columns``, else the first row's keys in order)."""
    items = list(rows)
    cols = list(columns) if columns is not None else (list(items[0]) if items else [])
    return Table(title, cols, [[r.get(c) for c in cols] for r in items], tuple(notes))


def from_csv(title: str, text: str, notes: Sequence[str] = ()) -> Table:
    """A table from CSV text (numbers become numbers, so a workbook can sum them)."""
    reader = csv.reader(io.StringIO(text))
    rows = list(reader)
    if not rows:
        return Table(title, [], [], tuple(notes))

    def num(v: str) -> Any:
        try:
            return int(v)
        except ValueError:
            try:
                return float(v)
            except ValueError:
                return v if v != "" else None

    return Table(title, rows[0], [[num(v) for v in r] for r in rows[1:]], tuple(notes))
