"""SSDA903 uploads are read as streams: row by row from the spooled file, never as one whole bytes or str.

The streamed path must find exactly what reading the bytes finds (the same errors, rows and fields; the
same typed tables), whatever the encoding, and must never ask a file for all of its bytes at once.
"""

from __future__ import annotations

import io
import tempfile

import pandas as pd
import pytest
from starlette.datastructures import UploadFile

from rcc.auth import SYSTEM
from rcc.db import transaction
from rcc.errors import Invalid
from rcc.sufficiency import rejections, upload
from rcc.sufficiency import returns as returns_svc
from rcc.sufficiency.router import _read
from rcc.sufficiency.ssda903 import (
    blank_open_episode_rec,
    drop_rows,
    load_sample_year,
    quarantine,
    sample_years,
)
from rcc.sufficiency.validation import validate_return
from rcc.sufficiency.validation.reading import read_table
from tests.ssda903_builders import child, episode, files, return_2021

NEWCASTLE = "E08000021"


class NoWholeReads(io.RawIOBase):
    """A seekable binary file that fails the test if anyone asks it for everything at once
    (``read()``, ``read(-1)``, ``readall()``) or for more than 1 MB in one call."""

    LIMIT = 1024 * 1024

    def __init__(self, data: bytes):
        self._buf = io.BytesIO(data)
        self.largest = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._buf.seek(offset, whence)

    def tell(self) -> int:
        return self._buf.tell()

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0 or size > self.LIMIT:
            raise AssertionError(f"read({size!r}): the whole file was asked for")
        self.largest = max(self.largest, size)
        return self._buf.read(size)

    def readinto(self, b) -> int:  # type: ignore[override]
        if len(b) > self.LIMIT:
            raise AssertionError(f"readinto of {len(b)} bytes")
        data = self._buf.read(len(b))
        b[: len(data)] = data
        return len(data)

    def readall(self) -> bytes:
        raise AssertionError("readall(): the whole file was asked for")


def spooled(data: bytes) -> tempfile.SpooledTemporaryFile:
    """The file as Starlette hands an upload over: spooled, here always on disk (max_size 1 byte)."""
    f = tempfile.SpooledTemporaryFile(max_size=1)
    f.write(data)
    f.seek(0)
    return f


def _same_report(a, b) -> None:
    assert a.errors == b.errors
    assert (a.tables is None) == (b.tables is None)
    if a.tables is not None:
        assert a.tables.keys() == b.tables.keys()
        for t in a.tables:
            pd.testing.assert_frame_equal(a.tables[t], b.tables[t])


SAMPLE_YEARS = sample_years()


@pytest.mark.skipif(not SAMPLE_YEARS, reason="the SSDA903 sample is not in the data folder")
@pytest.mark.parametrize("year", SAMPLE_YEARS)
def test_streamed_sample_returns_give_the_same_findings_as_their_bytes(year):
    sample = load_sample_year(year).files  # each year has known row errors (501, 142, 148, ...)
    from_bytes = validate_return(sample, year)
    streamed = validate_return({t: spooled(raw) for t, raw in sample.items()}, year)
    guarded = validate_return({t: NoWholeReads(raw) for t, raw in sample.items()}, year)
    assert from_bytes.errors, "the sample should have findings to compare"
    _same_report(from_bytes, streamed)
    _same_report(from_bytes, guarded)


@pytest.mark.skipif(not SAMPLE_YEARS, reason="the SSDA903 sample is not in the data folder")
def test_quarantine_of_streamed_files_drops_the_same_rows_as_of_bytes():
    year = SAMPLE_YEARS[-1]
    sample = load_sample_year(year).files
    clean_b, dropped_b = quarantine(sample, year)
    clean_s, dropped_s = quarantine({t: NoWholeReads(raw) for t, raw in sample.items()}, year)
    assert dropped_b == dropped_s and dropped_b
    for table, raw in clean_b.items():
        f = clean_s[table]
        f.seek(0)
        assert f.read(len(raw) + 1) == raw  # the re-written file, read back in one bounded call
    _same_report(validate_return(clean_b, year), validate_return(clean_s, year))


ENCODINGS = {
    "utf-8": lambda text: text.encode("utf-8"),
    "utf-8 with BOM": lambda text: b"\xef\xbb\xbf" + text.encode("utf-8"),
    "utf-16": lambda text: text.encode("utf-16"),  # with its BOM
    "windows-1252": lambda text: text.encode("cp1252"),
}


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_every_encoding_reads_the_same_streamed_as_decoded_whole(encoding):
    text = 'CHILD,NAME,NOTE\r\n1, Zoë ,"a, quoted\r\ncell"\r\n\r\n2,Ã©,£5\n3,x\n'
    raw = ENCODINGS[encoding](text)
    whole, whole_cols = read_table(raw)
    streamed, cols = read_table(NoWholeReads(raw))
    assert cols == whole_cols == ["CHILD", "NAME", "NOTE"]
    pd.testing.assert_frame_equal(streamed, whole)
    assert streamed.loc[1, "NAME"] == "Zoë" and streamed.loc[1, "NOTE"] == "a, quoted\r\ncell"
    assert list(streamed.index) == [1, 3, 4]  # the blank line is counted, not returned


def test_bytes_undefined_in_cp1252_still_become_a_reported_cell_when_streamed():
    raw = b"CHILD,ETHNIC\n1,W\x81RI\n"
    frame, _ = read_table(NoWholeReads(raw))
    assert frame.loc[1, "ETHNIC"] == "W\ufffdRI"


def _pipeline(files_: dict) -> tuple[int, dict]:
    named = upload.prepare(returns_svc._check_files(files_))
    year, _ = returns_svc._year(named, None)
    return year, returns_svc._validated_rows(named, year, None)


def test_the_upload_pipeline_never_reads_a_file_whole():
    good = return_2021()
    guarded = {t: NoWholeReads(raw) for t, raw in good.items()}
    year, rows = _pipeline(guarded)
    assert (year, rows) == _pipeline(good)
    assert rejections.files_sha256(guarded) == rejections.files_sha256(good)
    assert max(f.largest for f in guarded.values()) <= NoWholeReads.LIMIT


def test_the_router_hands_over_the_spooled_file_and_refuses_a_large_one_by_its_size():
    small = UploadFile(NoWholeReads(b"CHILD\n1\n"), filename="header.csv")
    assert _read(small, "header") is small.file
    big = NoWholeReads(b"")
    big.seek = lambda offset, whence=0: returns_svc.MAX_FILE_BYTES + 1 if whence == 2 else 0  # type: ignore[method-assign]
    big.tell = lambda: returns_svc.MAX_FILE_BYTES + 1  # type: ignore[method-assign]
    with pytest.raises(Invalid, match="larger than"):
        _read(UploadFile(big, filename="episodes.csv"), "episodes")


def test_diagnoses_name_the_file_from_its_first_line_only():
    semicolons = NoWholeReads(b"CHILD;DECOM;RNE\n1;01/05/2021;S\n" + b"x" * 5000)
    swapped = NoWholeReads(return_2021()["header"])
    with pytest.raises(Invalid) as exc:
        upload.prepare({"episodes": semicolons, "header": swapped})
    messages = {d.field: d.message for d in exc.value.details}
    assert "separated by semicolons" in messages["episodes"]
    nul = NoWholeReads(b"CHILD,SEX\n1,\x001\n")
    with pytest.raises(Invalid, match="not CSV text"):
        upload.prepare({"header": nul})


def test_a_streamed_return_is_stored_like_its_bytes_and_rows_are_named_in_errors(factory):
    from rcc.register.service import seed_local_authorities

    with transaction(factory) as s:
        seed_local_authorities(s)
    ret = return_2021()
    bad = files([child("A")], [episode("A", "10/05/2021"), episode("Z", "01/06/2021")])  # Z: no header row
    with pytest.raises(returns_svc.ReturnRejected) as exc, transaction(factory) as s:
        returns_svc.submit_return(s, SYSTEM, NEWCASTLE, 2021, {t: NoWholeReads(b) for t, b in bad.items()})
    fields = [d.field for d in exc.value.details]
    assert any(f.startswith("episodes[row ") and f.endswith(".CHILD") for f in fields), fields
    with transaction(factory) as s:
        stored = returns_svc.submit_return(
            s, SYSTEM, NEWCASTLE, 2021, {t: spooled(b) for t, b in ret.items()}
        )
    with transaction(factory) as s:
        again = returns_svc.submit_return(s, SYSTEM, NEWCASTLE, 2021, ret)
    assert not stored.unchanged and again.unchanged  # the bytes of the same return are the same content


def test_rewriting_helpers_keep_bytes_as_bytes():
    raw = b"CHILD,DEC,REC\n1,,E11\n2,01/01/2022,E11\n"
    assert drop_rows(raw, {1}) == b"CHILD,DEC,REC\n2,01/01/2022,E11\n"
    blanked, changed = blank_open_episode_rec(raw)
    assert blanked == b"CHILD,DEC,REC\n1,,\n2,01/01/2022,E11\n" and changed == [1]
