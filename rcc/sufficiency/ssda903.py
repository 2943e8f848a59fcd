"""Helpers for SSDA903 files on disk: the sample folder layout and row quarantine for demos.

The synthetic sample lives in ``shared/data/ssda903-sample/YYYY/<table>.csv``. Folder ``YYYY``
holds collection year YYYY-(YY+1): the 2017 folder's episodes start up to 31/03/2018 (its
latest DECOM), so folder name = collection *start* year, the same convention as
:func:`rcc.sufficiency.validation.validate_return`. :func:`infer_collection_year` checks that.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pandas as pd

from forecasting import episodes_from_returns
from rcc.sufficiency.validation import RowError, Source, parse_dates, read_table, validate_return
from rcc.sufficiency.validation.reading import text_of

__all__ = [
    "RETURN_TABLES",
    "SampleReturn",
    "default_sample_root",
    "blank_open_episode_rec",
    "drop_rows",
    "infer_collection_year",
    "load_sample_year",
    "quarantine",
    "read_return_folder",
    "sample_years",
]

RETURN_TABLES = ("header", "episodes", "uasc")
SPOOL_BYTES = 1024 * 1024  # a re-written file stays in memory up to this size, then goes to disk


@dataclass(frozen=True)
class SampleReturn:
    collection_year: int
    files: dict[str, bytes]


def default_sample_root() -> Path:
    """``$RCC_SSDA903_SAMPLE`` if set, else ``ssda903-sample`` in the data folder (``RCC_DATA_DIR``)."""
    env = os.environ.get("RCC_SSDA903_SAMPLE")
    if env:
        return Path(env)
    from rcc.config import load_settings

    return load_settings().data_dir / "ssda903-sample"


def sample_years(root: Path | None = None) -> list[int]:
    root = root or default_sample_root()
    if not root.is_dir():
        return []
    return sorted(int(p.name) for p in root.iterdir() if p.is_dir() and p.name.isdigit())


def read_return_folder(folder: Path, tables: Iterable[str] = RETURN_TABLES) -> dict[str, bytes]:
    """Raw bytes of ``<folder>/<table>.csv`` for each table that exists (uasc is optional)."""
    out = {}
    for table in tables:
        path = folder / f"{table}.csv"
        if path.is_file():
            out[table] = path.read_bytes()
    return out


def infer_collection_year(episodes_csv: Source) -> int:
    """The collection (start) year whose April-March window holds the latest episode start.

    DEC is not used: a return can carry an end date a day past 31 March (the sample does).
    """
    frame, _ = read_table(episodes_csv)
    decom = parse_dates(frame["DECOM"]).dropna()
    if decom.empty:
        raise ValueError("no valid DECOM dates to infer the collection year from")
    latest = decom.max()
    return latest.year if latest.month >= 4 else latest.year - 1


def load_sample_year(year: int, root: Path | None = None) -> SampleReturn:
    """The sample return in folder ``year``, checked against the year its episodes end in."""
    folder = (root or default_sample_root()) / str(year)
    files = read_return_folder(folder)
    if "episodes" not in files:
        raise FileNotFoundError(f"{folder / 'episodes.csv'} not found")
    inferred = infer_collection_year(files["episodes"])
    if inferred != year:
        raise ValueError(f"folder {folder} holds episodes for collection year {inferred}, not {year}")
    return SampleReturn(year, files)


def _rewritten(source: Source, edit: Callable[[int, list[str]], list[str] | None]) -> IO[bytes]:
    """The CSV re-written row by row as UTF-8 with ``\\n`` line ends into a temporary file (kept in
    memory up to 1 MB, then on disk), ``edit(n, record)`` giving each record (n = 0 for the column
    names) as it should be, or None to drop it."""
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    sink = io.TextIOWrapper(out, encoding="utf-8", newline="")
    writer = csv.writer(sink, lineterminator="\n")
    with text_of(source) as text:
        for n, record in enumerate(csv.reader(text)):
            kept = edit(n, record)
            if kept is not None:
                writer.writerow(kept)
    sink.flush()
    sink.detach()
    out.seek(0)
    return out


def _like(raw: Source, out: IO[bytes]) -> Source:
    """Bytes in, bytes out; a file object in (an upload), the re-written file object out."""
    if isinstance(raw, bytes | bytearray | memoryview):
        with out:
            return out.read()
    return out


def drop_rows(raw: Source, rows: Iterable[int]) -> Source:
    """The CSV without the given data rows (numbered as ``RowError.row``: 1-based, header line
    excluded, blank lines counted). Re-written as UTF-8 with ``\\n`` line ends, row by row: a file
    object (an upload) becomes a new temporary file, never a whole copy in memory; bytes become bytes."""
    drop = set(rows)
    return _like(raw, _rewritten(raw, lambda n, record: None if n and n in drop else record))


def blank_open_episode_rec(raw: Source) -> tuple[Source, list[int]]:
    """Blank REC on episodes with a blank DEC (rule 148), returning the new CSV and the rows changed.

    The synthetic sample's generator codes a REC on every open episode (434 rows in 2017), so
    148 would otherwise make a demo drop every open episode, i.e. every child still in care.
    The REC of an open episode carries no information, so a demo blanks it instead. Rows are
    numbered as ``RowError.row``. Re-written as :func:`drop_rows` does; the file as it came when it has
    no DEC and REC columns."""
    with text_of(raw) as text:
        first = next(csv.reader(text), None)
    if first is None:
        return raw, []
    columns = [c.strip().upper() for c in first]
    if "DEC" not in columns or "REC" not in columns:
        return raw, []
    dec, rec = columns.index("DEC"), columns.index("REC")
    changed: list[int] = []

    def blank(n: int, record: list[str]) -> list[str]:
        if n and len(record) > max(dec, rec) and not record[dec].strip() and record[rec].strip():
            record[rec] = ""
            changed.append(n)
        return record

    return _like(raw, _rewritten(raw, blank)), changed


def quarantine(
    files: Mapping[str, Source],
    collection_year: int,
    max_rounds: int = 10,
    *,
    previous: Mapping[str, bytes | pd.DataFrame] | None = None,
) -> tuple[dict[str, Source], list[RowError]]:
    """Drop every row the validator flags, repeatedly, until the return validates (or nothing
    row-level is left to drop). For demos on imperfect data; a real LA should fix its return.
    First blanks the REC of open episodes (:func:`blank_open_episode_rec`), a known defect of
    the synthetic sample that would otherwise drop every open episode under rule 148.
    ``previous`` (the LA's return for the year before, as for ``validate_return``) makes the
    previous-year rules count too: a row that contradicts last year's return is dropped.

    Returns the cleaned files and all errors of the dropped rows (row numbers refer to the file
    as it was in the round that flagged them).
    """
    current = dict(files)
    if "episodes" in current:
        current["episodes"], _ = blank_open_episode_rec(current["episodes"])
    dropped: list[RowError] = []
    for _ in range(max_rounds):
        report = validate_return(current, collection_year, previous=previous)
        flagged = [e for e in report.errors if e.row is not None]
        if report.ok or not flagged:
            break
        dropped += flagged
        for table in {e.table for e in flagged}:
            current[table] = drop_rows(
                current[table], {e.row for e in flagged if e.table == table and e.row is not None}
            )
    return current, dropped


def read_return_tables(data_dir: Path) -> dict[int, dict[str, pd.DataFrame]]:
    """Every return folder under ``data_dir`` (``YYYY/{header,episodes,uasc}.csv``, folder YYYY =
    collection year YYYY-YY+1) as raw DataFrames by year; a missing table is an empty frame."""
    tables: dict[int, dict[str, pd.DataFrame]] = {}
    for folder in sorted(p for p in Path(data_dir).iterdir() if p.is_dir() and p.name.isdigit()):
        raw = read_return_folder(folder, RETURN_TABLES)
        if "episodes" not in raw:
            continue
        tables[int(folder.name)] = {
            t: pd.read_csv(io.BytesIO(raw[t])) if t in raw else pd.DataFrame(columns=["CHILD"])
            for t in RETURN_TABLES
        }
    return tables


def combine_returns(
    tables: Mapping[int, Mapping[str, pd.DataFrame]],
    years: Iterable[int],
    la: str,
    close_unlisted: bool = False,
) -> pd.DataFrame:
    """The episodes the given collection years' returns state together (later returns revise earlier)."""
    years = sorted(years)
    return episodes_from_returns(
        {y: tables[y]["header"] for y in years},
        {y: tables[y]["episodes"] for y in years},
        {y: tables[y]["uasc"] for y in years},
        la=la,
        close_unlisted=close_unlisted,
    )
