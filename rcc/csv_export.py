"""Every CSV download is written here, so every cell is neutralised against formula injection.

A spreadsheet opening a CSV runs a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return as a formula (``=HYPERLINK(...)``, ``=cmd|...``). OWASP's guidance
(https://owasp.org/www-community/attacks/CSV_Injection) is to prefix such a cell with a single quote,
so the spreadsheet shows it as text. Numbers are left as numbers: a Python ``int``/``float`` and a
string that is just a number (``-5``, ``-0.25``) cannot be a formula.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")


def safe_cell(value: Any) -> Any:
    """The cell as written: ``None`` → empty; a text cell that a spreadsheet would run gets a ``'``."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return value
    text = str(value)
    if text.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def write_rows(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A CSV document (``\\n`` line ends) from a header and rows of cells, every cell made safe."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow([safe_cell(h) for h in header])
    for row in rows:
        w.writerow([safe_cell(v) for v in row])
    return out.getvalue()


def write_dicts(rows: Iterable[Mapping[str, Any]], columns: Sequence[str] | None = None) -> str:
    """A CSV document from dicts: the given columns (default: the first row's keys), in order."""
    rows = list(rows)
    cols = list(columns or (rows[0].keys() if rows else []))
    return write_rows(cols, ([r.get(k) for k in cols] for r in rows))
