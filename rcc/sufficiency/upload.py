"""Reading uploaded SSDA903 files before validation: encodings, delimiters, swapped files, row numbers.

What an LA's data officer gets wrong most often is not a DfE rule but the file itself: a CSV saved
from Excel as UTF-8 with a byte-order mark or as Windows-1252, a file saved with semicolons in a
European locale, or the header and episodes files given the other way round. This module accepts
the first (each file is decoded as it is read, so the validator sees the same text whatever the
encoding) and says the others in words. Files are read in chunks and row by row, never whole.

Row numbers: the validator counts data records from 1 (the first record after the column names);
a spreadsheet shows the column names as row 1, so the first data record is spreadsheet row 2.
:func:`spreadsheet_row` and :func:`spreadsheet_rows_in` convert, so every row number an LA reads
matches the row it sees in Excel.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Mapping
from typing import IO

from rcc.errors import FieldProblem, Invalid
from rcc.sufficiency.validation import REQUIRED_COLUMNS
from rcc.sufficiency.validation.reading import CHUNK, Source, as_file, text_of

# Columns that identify each table (a file with most of another table's columns was given in the wrong slot).
SIGNATURE_COLUMNS: dict[str, frozenset[str]] = {t: frozenset(c) for t, c in REQUIRED_COLUMNS.items()}
# Columns only that table has (CHILD, SEX and DOB are shared).
_OWN: dict[str, frozenset[str]] = {
    "header": frozenset({"ETHNIC", "UPN", "MOTHER", "MC_DOB"}),
    "episodes": frozenset({"DECOM", "RNE", "LS", "CIN", "PLACE", "DEC", "REC", "HOME_POST", "PL_POST"}),
    "uasc": frozenset({"DUC"}),
}
ENCODINGS = ("utf-8-sig", "cp1252")
_DELIMITERS = {";": "semicolons", "\t": "tabs", "|": "vertical bars"}


def spreadsheet_row(row: int) -> int:
    """The spreadsheet row of data record ``row`` (1-based): the column names are row 1."""
    return row + 1


_ROW_REF = re.compile(r"\brow (\d+)\b")


def spreadsheet_rows_in(message: str) -> str:
    """Rewrite every "row N" (a data record number) in a validator message as its spreadsheet row."""
    return _ROW_REF.sub(lambda m: f"row {spreadsheet_row(int(m.group(1)))}", message)


def _scan(f: IO[bytes], encoding: str) -> str:
    """``"ok"`` when the whole file decodes strictly as ``encoding`` with no NUL character, ``"nul"``
    when it decodes but holds a NUL, ``"bad"`` when it does not decode; read in chunks."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    nul = False
    try:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            nul = nul or "\x00" in decoder.decode(chunk)
        nul = nul or "\x00" in decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "bad"
    finally:
        f.seek(0)
    return "nul" if nul else "ok"


def encoding_of(source: Source) -> str:
    """The encoding an uploaded file is read with (UTF-16 with a BOM, UTF-8 with or without a BOM,
    else Windows-1252); ``ValueError`` when none fits. Reads the file in chunks, never whole."""
    f = as_file(source)
    start = f.read(2)
    f.seek(0)
    if start.startswith((b"\xff\xfe", b"\xfe\xff")):
        if _scan(f, "utf-16") == "bad":
            raise ValueError("not a text file")
        return "utf-16"
    for enc in ENCODINGS:
        found = _scan(f, enc)
        if found == "bad":
            continue
        if found == "nul":
            break
        return enc
    raise ValueError("not a text file")


def _first_line(source: Source, encoding: str) -> str:
    """The first line that is not blank (lines as ``str.splitlines`` cuts them), reading no further."""
    with text_of(source, encoding) as text:
        for piece in text:
            for line in piece.splitlines():
                if line.strip():
                    return line
    return ""


def _columns(line: str, delimiter: str = ",") -> list[str]:
    return [c.strip().strip('"').upper() for c in next(csv.reader([line], delimiter=delimiter), [])]


def _which_table(columns: set[str]) -> str | None:
    """The table whose own columns the file has most of (None if it has none)."""
    scores = {t: len(columns & own) for t, own in _OWN.items()}
    best = max(scores, key=lambda t: scores[t])
    return best if scores[best] > 0 else None


def _diagnose(table: str, source: Source, encoding: str) -> str | None:
    line = _first_line(source, encoding)
    if not line:
        return f"the {table} file is empty; its first line should be the column names"
    comma_cols = _columns(line)
    for delim, name in _DELIMITERS.items():
        if delim in line and len(_columns(line, delim)) > len(comma_cols):
            return (
                f"the {table} file is separated by {name}, not commas; save it as "
                '"CSV (comma delimited)" and upload it again'
            )
    cols = set(comma_cols)
    looks_like = _which_table(cols)
    if table in _OWN and looks_like is not None and looks_like != table and not cols & _OWN[table]:
        return (
            f"the file given as {table} has the columns of the {looks_like} file "
            f"({', '.join(sorted(cols & _OWN[looks_like]))}); were the files swapped?"
        )
    if table in SIGNATURE_COLUMNS and not cols & SIGNATURE_COLUMNS[table]:
        expected = ", ".join(sorted(SIGNATURE_COLUMNS[table]))
        return f"the first line of the {table} file should be its column names ({expected})"
    return None


def prepare(files: Mapping[str, Source]) -> dict[str, Source]:
    """The files, checked: :class:`Invalid` with a diagnosis in words per file (unreadable encoding, wrong
    delimiter, swapped files, no column names). Each file is read in chunks to find its encoding, then
    as far as its first line; it is returned as it came (the validator decodes it as it reads it, with
    the same rules), not copied into a re-encoded whole."""
    out: dict[str, Source] = {}
    problems: list[FieldProblem] = []
    for table, raw in files.items():
        try:
            encoding = encoding_of(raw)
        except ValueError:
            problems.append(
                FieldProblem(
                    table, f"the {table} file is not CSV text (UTF-8, UTF-8 with BOM, UTF-16 or Windows-1252)"
                )
            )
            continue
        diagnosis = _diagnose(table, raw, encoding)
        if diagnosis:
            problems.append(FieldProblem(table, diagnosis))
            continue
        out[table] = raw
    if problems:
        swapped = [p for p in problems if "swapped" in p.message]
        lead = swapped[0].message if swapped else problems[0].message
        raise Invalid(
            f"the upload is not a readable SSDA903 return: {lead}; nothing was stored", details=problems
        )
    return out
