"""CSV and Excel downloads carry the same rows and the notes on what the figures cover."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from rcc.exports import from_dicts, to_csv, to_xlsx


def _table():
    rows = [
        {"la": "E06000001", "places": 4, "needs": ["a", "b"]},
        {"la": "E06000002", "places": None, "needs": []},
    ]
    return from_dicts("gap", rows, notes=["no returns from E06000002 Middlesbrough", "origin 2026-03-31"])


def test_csv_has_notes_then_columns_then_rows():
    lines = to_csv(_table()).decode().splitlines()
    assert lines[:2] == ["# no returns from E06000002 Middlesbrough", "# origin 2026-03-31"]
    assert lines[2:] == ["la,places,needs", "E06000001,4,a; b", "E06000002,,"]


def test_xlsx_has_the_rows_and_an_about_sheet():
    wb = load_workbook(io.BytesIO(to_xlsx(_table())))
    assert wb.sheetnames == ["gap", "About"]
    data = [list(r) for r in wb["gap"].iter_rows(values_only=True)]
    assert data == [["la", "places", "needs"], ["E06000001", 4, "a; b"], ["E06000002", None, None]]
    about = [r[0] for r in wb["About"].iter_rows(values_only=True)]
    assert about[:3] == ["gap", "no returns from E06000002 Middlesbrough", "origin 2026-03-31"]


def test_neither_download_runs_a_cell_that_looks_like_a_formula():
    from rcc.exports import Table

    table = Table("t", ["name", "n"], [['=HYPERLINK("http://x","y")', -3], ["@SUM(A1)", 2.5]])
    lines = to_csv(table).decode().splitlines()
    assert lines[1:] == ['"\'=HYPERLINK(""http://x"",""y"")",-3', "'@SUM(A1),2.5"]
    ws = load_workbook(io.BytesIO(to_xlsx(table)))["t"]
    assert ws["A2"].value == '=HYPERLINK("http://x","y")' and ws["A2"].data_type == "s"
    assert ws["B2"].value == -3 and ws["B3"].value == 2.5
