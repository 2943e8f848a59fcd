"""Tiny hand-made SSDA903 returns for tests, with the sample's column headers."""

from __future__ import annotations

import csv
import io
from typing import Any

from rcc.sufficiency.validation import REQUIRED_COLUMNS


def csv_bytes(table: str, rows: list[dict[str, Any]], *, crlf: bool = False) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=REQUIRED_COLUMNS[table], lineterminator="\r\n" if crlf else "\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return out.getvalue().encode()


def child(child_id: str, **over: Any) -> dict[str, Any]:
    row = {"CHILD": child_id, "SEX": "1", "DOB": "15/06/2010", "ETHNIC": "WBRI", "UPN": "A123456789012",
           "MOTHER": "", "MC_DOB": ""}  # fmt: skip
    row.update(over)
    return row


def episode(child_id: str, decom: str, dec: str | None = None, **over: Any) -> dict[str, Any]:
    row = {"CHILD": child_id, "DECOM": decom, "RNE": "S", "LS": "C2", "CIN": "N1", "PLACE": "U1",
           "PLACE_PROVIDER": "PR1", "DEC": dec or "", "REC": "E11" if dec else "", "REASON_PLACE_CHANGE": "",
           "HOME_POST": "NE1 4ST", "PL_POST": "NE2 1AA", "URN": "1234567"}  # fmt: skip
    row.update(over)
    return row


def files(
    children: list[dict], episodes: list[dict], uasc: list[dict] | None = None, **kw
) -> dict[str, bytes]:
    out = {"header": csv_bytes("header", children, **kw), "episodes": csv_bytes("episodes", episodes, **kw)}
    if uasc is not None:
        out["uasc"] = csv_bytes("uasc", uasc, **kw)
    return out


def return_2021() -> dict[str, bytes]:
    """Collection year 2021-22: child A moves once; child B's episode began in 2020-21 and is open."""
    return files(
        [child("A"), child("B", SEX="2", DOB="03/02/2008", ETHNIC="BAFR")],
        [
            episode("A", "10/05/2021", "01/09/2021", REC="X1", REASON_PLACE_CHANGE="CARPL"),
            episode("A", "01/09/2021", RNE="P", PLACE="K2", PLACE_PROVIDER="PR4", URN="SC123456"),
            episode("B", "01/01/2021"),
        ],
        [{"CHILD": "B", "SEX": "2", "DOB": "03/02/2008", "DUC": "03/02/2026"}],
    )
