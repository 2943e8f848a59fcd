"""Reading SSDA903 CSV bytes into all-string tables, and parsing their dates.

See the package docstring for the conventions (row numbers, date formats, cell clean-up).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import IO

import pandas as pd

from forecasting.ssda903_columns import TABLE_COLUMNS

__all__ = [
    "CODE_FIELDS",
    "DATE_FIELDS",
    "FileError",
    "Source",
    "INTEGER_LIKE_FIELDS",
    "NON_BLANK",
    "OPTIONAL_TABLES",
    "REQUIRED_COLUMNS",
    "REQUIRED_TABLES",
    "TABLES",
    "as_file",
    "date_out_of_range",
    "decodes",
    "detect_encoding",
    "parse_dates",
    "read_table",
    "text_of",
]

# From lac_validator/config.py (column_names) in csc-validator-be-903 0.1.17; the sample files
# have exactly these columns. One list for the simulator, the validator and the stored rows.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = dict(TABLE_COLUMNS)
REQUIRED_TABLES = ("header", "episodes")
OPTIONAL_TABLES = ("uasc",)

DATE_FIELDS: dict[str, tuple[str, ...]] = {
    "header": ("DOB", "MC_DOB"),
    "episodes": ("DECOM", "DEC"),
    "uasc": ("DOB", "DUC"),
}
# Fields that must not be blank. DfE treats blank SEX/DOB/ETHNIC as invalid (101/102/103); for
# the others a blank row cannot be placed or counted, so we require them (RCC-REQ).
NON_BLANK: dict[str, tuple[str, ...]] = {
    "header": ("CHILD", "SEX", "DOB", "ETHNIC"),
    "episodes": ("CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE"),
    "uasc": ("CHILD",),
}
INTEGER_LIKE_FIELDS = frozenset({"CHILD", "SEX", "MOTHER", "URN"})
CODE_FIELDS = frozenset(
    {
        "SEX",
        "ETHNIC",
        "RNE",
        "LS",
        "CIN",
        "PLACE",
        "PLACE_PROVIDER",
        "REC",
        "REASON_PLACE_CHANGE",
        "UPN",
        "MOTHER",
        "URN",
        "HOME_POST",
        "PL_POST",
    }
)

TABLES = (*REQUIRED_TABLES, *OPTIONAL_TABLES)

_DECIMAL_INT = re.compile(r"^(\d+)\.0+$")
_UK_DATE = re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$")
_ISO_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")


class FileError(Exception):
    """The file as a whole cannot be read (empty, undecodable, broken CSV quoting)."""


# An uploaded file: its bytes, or a binary file object that can seek (an upload spooled to disk). A file
# object is read in chunks and row by row, never whole: a 5 MB upload is never one 5 MB bytes or str.
Source = bytes | IO[bytes]
CHUNK = 64 * 1024
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def as_file(source: Source) -> IO[bytes]:
    """A file object over ``source``, at its start (``BytesIO`` shares the bytes, it does not copy them)."""
    if isinstance(source, bytes | bytearray | memoryview):
        return io.BytesIO(source)
    source.seek(0)
    return source


def decodes(source: Source, encoding: str, *, nul_ok: bool = True) -> bool:
    """Whether the whole file decodes as ``encoding`` (strictly; ``nul_ok=False``: and holds no NUL
    character), read in chunks through an incremental decoder."""
    f = as_file(source)
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            if "\x00" in decoder.decode(chunk) and not nul_ok:
                return False
        if "\x00" in decoder.decode(b"", final=True) and not nul_ok:
            return False
    except UnicodeDecodeError:
        return False
    finally:
        f.seek(0)
    return True


def detect_encoding(source: Source) -> str:
    """UTF-16 when the file starts with its byte-order mark; else UTF-8 (a BOM dropped) when every byte
    decodes as UTF-8; else Windows-1252, as Excel on Windows saves "CSV"."""
    f = as_file(source)
    start = f.read(2)
    f.seek(0)
    if start.startswith(_UTF16_BOMS):
        return "utf-16"
    return "utf-8-sig" if decodes(f, "utf-8-sig") else "cp1252"


@contextmanager
def text_of(source: Source, encoding: str | None = None) -> Iterator[IO[str]]:
    """The file as text, decoded as it is read (``newline=""``, for :mod:`csv`). Undecodable bytes become
    U+FFFD: in Windows-1252 five bytes (0x81, 0x8D, 0x8F, 0x90, 0x9D) are undefined, and no code list
    accepts U+FFFD, so the row is reported, never a crash. The file object is left open."""
    f = as_file(source)
    enc = encoding or detect_encoding(f)
    text = io.TextIOWrapper(f, encoding=enc, errors="replace", newline="")
    try:
        yield text
    finally:
        text.detach()  # the caller's file stays open
        f.seek(0)


def _normalise_cell(column: str, value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    if column in INTEGER_LIKE_FIELDS:
        m = _DECIMAL_INT.match(value)
        if m:
            value = m.group(1)
    if column in CODE_FIELDS:
        value = value.upper()
    return value


def read_table(source: Source) -> tuple[pd.DataFrame, list[str]]:
    """Parse a CSV file (bytes or a binary file object) into an all-string DataFrame indexed by 1-based
    data row number, reading it row by row (:func:`text_of`).

    Returns the frame (columns upper-cased and stripped, blank cells ``None``) and the list of
    column names as found. Raises ``FileError`` for an empty or undecodable file.
    """
    with text_of(source) as text:
        return _read_rows(csv.reader(text))


def _read_rows(reader: Iterator[list[str]]) -> tuple[pd.DataFrame, list[str]]:
    try:
        header = next(reader)
    except StopIteration:
        raise FileError("the file is empty") from None
    except csv.Error as exc:
        raise FileError(f"cannot read the CSV header: {exc}") from None
    columns = [c.strip().upper() for c in header]
    if not any(columns):
        raise FileError("the first line (column names) is blank")
    records: dict[int, list[str | None]] = {}
    row = 0
    try:
        for cells in reader:
            row += 1
            if not any(c.strip() for c in cells):
                continue  # blank line: counted, not returned
            cells = (cells + [""] * len(columns))[: len(columns)]
            records[row] = [_normalise_cell(col, cell) for col, cell in zip(columns, cells, strict=True)]
    except csv.Error as exc:
        raise FileError(f"cannot read CSV record {row}: {exc}") from None
    frame = pd.DataFrame.from_dict(records, orient="index", columns=columns, dtype=object)
    if not records:
        frame = pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    frame.index.name = "row"
    return frame, columns


# The range a pandas nanosecond timestamp can hold (DfE's validator, on pandas 1.x, turns any date
# outside it into "not a valid date"; so do we, instead of crashing on 31/12/9999).
DATE_MIN = pd.Timestamp("1677-09-22")
DATE_MAX = pd.Timestamp("2262-04-11")


def _parse_format(text: pd.Series, fmt: str) -> pd.Series:
    # pandas >= 2 returns a non-nanosecond unit for dates a nanosecond unit cannot hold; those are
    # cut to NaT here, before the series is cast to datetime64[ns].
    parsed = pd.to_datetime(text, format=fmt, errors="coerce")
    in_range = parsed.notna() & (parsed >= DATE_MIN) & (parsed <= DATE_MAX)
    return parsed.where(in_range).astype("datetime64[ns]")


def parse_dates(values: pd.Series) -> pd.Series:
    """Parse ``dd/mm/yyyy`` or ``yyyy-mm-dd`` per cell into ``datetime64[ns]``.

    Blanks, invalid dates and dates outside 22/09/1677 - 11/04/2262 become NaT; never raises.
    """
    text = values.astype(object).where(values.notna(), None)
    uk_mask = text.map(lambda v: isinstance(v, str) and bool(_UK_DATE.match(v))).astype(bool)
    iso_mask = text.map(lambda v: isinstance(v, str) and bool(_ISO_DATE.match(v))).astype(bool)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    if uk_mask.any():
        out[uk_mask] = _parse_format(text[uk_mask], "%d/%m/%Y")
    if iso_mask.any():
        out[iso_mask] = _parse_format(text[iso_mask], "%Y-%m-%d")
    return out


def date_out_of_range(value: object) -> bool:
    """True for a well-formed calendar date that pandas cannot hold (before 1677 or after 2262)."""
    if not isinstance(value, str):
        return False
    fmt = "%d/%m/%Y" if _UK_DATE.match(value) else "%Y-%m-%d" if _ISO_DATE.match(value) else None
    if fmt is None:
        return False
    try:
        parsed = datetime.strptime(value, fmt).date()
    except ValueError:
        return False
    return not DATE_MIN.date() <= parsed <= DATE_MAX.date()
