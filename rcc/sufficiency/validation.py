"""Validate a local authority's SSDA903 return files before anything is stored.

``validate_return(files, collection_year)`` takes the raw bytes of the uploaded CSVs
(``header``, ``episodes`` and optionally ``uasc``) and returns a :class:`ValidationReport`
listing every problem row by row. Typed tables are handed back only when there are no errors,
so the storage layer never sees a half-valid return.

Conventions
-----------
* **Collection year** is the year the collection *starts*: ``2024`` means 2024-25, i.e. the
  return covers 1 April 2024 to 31 March 2025. The DfE validator (``csc-validator-be-903``)
  names its rule packs the same way (``lac2024_25``) but its ``collectionYear`` metadata is the
  *end* year ("2025"); do not mix the two up.
* **Row numbers** are 1-based data record numbers: row 1 is the first record after the column
  header line. Blank lines are skipped but still counted, so for ordinary files (no line breaks
  inside quoted cells) ``row + 1`` is the line number a spreadsheet or text editor shows.
  File-level problems (unreadable file, missing column) have ``row=None``.
* **Dates** are accepted per cell as either ``dd/mm/yyyy`` (DfE's format; 1-digit day/month
  accepted) or ISO ``yyyy-mm-dd``. The two formats cannot be confused with each other, so a
  file that mixes them (as spreadsheets round-tripped through different tools do) is read
  without ambiguity; anything else (``dd/mm/yy``, times, ``mm/dd/yyyy`` with a day > 12) is an
  invalid date.
* **Cells** are whitespace-stripped; an empty cell is blank (missing). Code fields are
  upper-cased before checking, as the DfE validator's ingress does (it capitalises all input).
* **Decimals**: spreadsheets re-save integer codes as decimals (the 2017 sample has
  ``MOTHER=1.0``). In the integer-like fields CHILD, SEX, MOTHER and URN a value such as
  ``1.0``/``1.00`` is normalised to ``1``; any other decimal (``1.5``) is left as it is and is
  then reported by the field's code-list rule.
* **Extra columns** are ignored (and not returned); column names are matched after stripping
  whitespace and upper-casing. Missing required columns are reported once per column.

Rules and codes
---------------
Each rule is a small function named ``rule_<code>_<what>`` returning ``RowError`` objects.
Codes are the DfE rule numbers used by Data to Insight's ``csc-validator-be-903`` 0.1.17
(MIT licence, Social Finance Ltd) where one exists; their code lists are copied from that
package's ``lac_validator/rules/lac20YY_YY/rule_<code>.py`` files (cited at each list). Checks
without a DfE number use ``RCC-*`` codes. Years before 2022-23 (the earliest rule pack the DfE
package ships) use the 2022-23 lists.

Deliberately *not* implemented although DfE has them: 148 (DEC and REC both or neither - the
synthetic sample codes every open episode with REC=X1, so it would reject all five sample years
wholesale; worth adding for real returns), 392c (postcode validity - the sample's postcodes are
synthetic) and rules needing the previous year's return or other tables (503*, 1001, ...).

The synthetic sample (shared/data/ssda903-sample, folders 2017-2021 = collection years
2017-18 .. 2021-22) does NOT validate clean, and that is the data's fault, not the rules': its
generator gives some children two independent, overlapping sequences of episodes (501: 17, 5,
4, 3, 3 rows; 142: 6, 1, 0, 2, 0 rows) and ends three episodes on 1 April, a day after the
year (385: 2017 x2, 2019 x1). The DfE validator reports the same 501s (3 on 2021). Overlaps
would double-count bed-days in sufficiency figures, so the rules stay blocking;
``rcc.sufficiency.ssda903.drop_rows`` lets a demo quarantine the flagged rows.

Why the DfE package is not used at runtime
-------------------------------------------
``csc-validator-be-903`` pins ``pandas<2`` and ``numpy<1.25``, while this project needs
``pandas>=2`` (ortools); a normal install cannot satisfy both. Tried (November 2026) with
``pip install --no-deps`` into a throwaway venv over pandas 3.1.1 / numpy 2.4.6 on the 2021
sample (2022-23 rule pack): the engine imports and runs, but rules 361 and 362 crash
(``~`` on a float column after an in-place ``fillna`` on a chained selection, which never
writes back under pandas 3 copy-on-write), and the same chained-assignment pattern elsewhere
is a silent-wrong-answer risk. It also names collection years by end year, capitalises all
input, reports 0-based DataFrame positions rather than file rows, and its 2024-25 PLACE list
has a typo (``"k3"`` lower-case in ``lac2024_25/rule_146.py``; confirmed by running it: its
2024-25 rule 146 rejects ``K3``, and the ingress upper-cases input, so real K3 rows fail). We therefore re-implement the handful of rules the RCC needs and
copy its code lists, with K3 spelled correctly.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

__all__ = [
    "REQUIRED_COLUMNS",
    "RULES",
    "RowError",
    "ValidationReport",
    "code_lists",
    "collection_year_bounds",
    "parse_dates",
    "read_table",
    "validate_return",
]

# ---------------------------------------------------------------------------------------------
# Public result types
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One problem in one cell (or, with ``row=None``, with the file or a column as a whole)."""

    table: str
    row: int | None  # 1-based data record number, header line excluded; None = whole file/column
    field: str | None
    code: str  # DfE rule number (e.g. "146") or an RCC-* code
    message: str


@dataclass
class ValidationReport:
    errors: list[RowError]
    tables: dict[str, pd.DataFrame] | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


# ---------------------------------------------------------------------------------------------
# Table layouts
# ---------------------------------------------------------------------------------------------

# From lac_validator/config.py (column_names) in csc-validator-be-903 0.1.17; the sample files
# have exactly these columns.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "header": ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"),
    "episodes": (
        "CHILD",
        "DECOM",
        "RNE",
        "LS",
        "CIN",
        "PLACE",
        "PLACE_PROVIDER",
        "DEC",
        "REC",
        "REASON_PLACE_CHANGE",
        "HOME_POST",
        "PL_POST",
        "URN",
    ),
    "uasc": ("CHILD", "SEX", "DOB", "DUC"),
}
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
    "uasc": ("CHILD", "SEX", "DOB"),
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

# ---------------------------------------------------------------------------------------------
# Code lists by collection year (start year). Source: csc-validator-be-903 0.1.17.
# ---------------------------------------------------------------------------------------------

# rule 101, lac2022_23/rule_101.py; lac2024_25/rule_101.py switches to M/F/U.
_SEX_TO_2023 = frozenset({"1", "2"})
_SEX_FROM_2024 = frozenset({"M", "F", "U"})
# rule 103, lac2022_23/rule_103.py (unchanged up to lac2026_27).
ETHNIC_CODES = frozenset(
    {
        "WBRI",
        "WIRI",
        "WOTH",
        "WIRT",
        "WROM",
        "MWBC",
        "MWBA",
        "MWAS",
        "MOTH",
        "AIND",
        "APKN",
        "ABAN",
        "AOTH",
        "BCRB",
        "BAFR",
        "BOTH",
        "CHNE",
        "OOTH",
        "REFU",
        "NOBT",
    }
)
# rule 143, lac2022_23/rule_143.py
RNE_CODES = frozenset({"S", "P", "L", "T", "U", "B"})
# rule 144, lac2022_23/rule_144.py
LS_CODES = frozenset({"C1", "C2", "D1", "E1", "V2", "V3", "V4", "J1", "J2", "J3", "L1", "L2", "L3"})
# rule 145, lac2022_23/rule_145.py
CIN_CODES = frozenset({"N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8"})
# rule 149, lac2022_23/rule_149.py
REC_CODES = frozenset(
    {
        "E11",
        "E12",
        "E2",
        "E3",
        "E4A",
        "E4B",
        "E13",
        "E41",
        "E45",
        "E46",
        "E47",
        "E48",
        "E5",
        "E6",
        "E7",
        "E8",
        "E9",
        "E14",
        "E15",
        "E16",
        "E17",
        "X1",
    }
)
# rule 1009, lac2022_23/rule_1009.py
REASON_PLACE_CHANGE_CODES = frozenset(
    {
        "CARPL",
        "CLOSE",
        "ALLEG",
        "STAND",
        "APPRR",
        "CREQB",
        "CREQO",
        "CHILD",
        "LAREQ",
        "PLACE",
        "CUSTOD",
        "OTHER",
    }
)
# rule 178, lac2022_23/rule_178.py and lac2025_26/rule_178.py
PLACE_PROVIDER_CODES = frozenset({"PR0", "PR1", "PR2", "PR3", "PR4", "PR5"})
_NO_PROVIDER_PLACES_TO_2024 = frozenset({"T0", "T1", "T2", "T3", "T4", "Z1"})
_NO_PROVIDER_PLACES_FROM_2025 = frozenset({"T0", "T1", "T2", "T3", "Z11", "Z12", "Z13", "Z14"})
# rule 146: lac2022_23/rule_146.py is the base list; lac2024_25 adds K3 (spelled "k3" there, a
# typo); lac2025_26 adds Z11-Z14 and drops H5, P2 and Z1.
_PLACE_2022 = frozenset(
    {
        "A3",
        "A4",
        "A5",
        "A6",
        "H5",
        "K1",
        "K2",
        "P1",
        "P2",
        "P3",
        "R1",
        "R2",
        "R3",
        "R5",
        "S1",
        "T0",
        "T1",
        "T2",
        "T3",
        "T4",
        "U1",
        "U2",
        "U3",
        "U4",
        "U5",
        "U6",
        "Z1",
    }
)
_PLACE_2024 = _PLACE_2022 | {"K3"}
_PLACE_2025 = (_PLACE_2024 - {"H5", "P2", "Z1"}) | {"Z11", "Z12", "Z13", "Z14"}
# rule 165 (value part only), lac2022_23/rule_165.py
MOTHER_CODES = frozenset({"0", "1"})


def code_lists(collection_year: int) -> dict[str, frozenset[str]]:
    """The valid codes for each coded field in ``collection_year`` (start year)."""
    if collection_year >= 2025:
        place = _PLACE_2025
    elif collection_year >= 2024:
        place = _PLACE_2024
    else:
        place = _PLACE_2022
    return {
        "SEX": _SEX_FROM_2024 if collection_year >= 2024 else _SEX_TO_2023,
        "ETHNIC": ETHNIC_CODES,
        "RNE": RNE_CODES,
        "LS": LS_CODES,
        "CIN": CIN_CODES,
        "PLACE": place,
        "PLACE_PROVIDER": PLACE_PROVIDER_CODES,
        "REC": REC_CODES,
        "REASON_PLACE_CHANGE": REASON_PLACE_CHANGE_CODES,
        "MOTHER": MOTHER_CODES,
    }


def _no_provider_places(collection_year: int) -> frozenset[str]:
    return _NO_PROVIDER_PLACES_FROM_2025 if collection_year >= 2025 else _NO_PROVIDER_PLACES_TO_2024


def collection_year_bounds(collection_year: int) -> tuple[date, date]:
    """First and last day of the collection year: 1 April ``y`` to 31 March ``y+1``."""
    return date(collection_year, 4, 1), date(collection_year + 1, 3, 31)


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------

_DECIMAL_INT = re.compile(r"^(\d+)\.0+$")
_UK_DATE = re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$")
_ISO_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")


class _FileError(Exception):
    pass


def _decode(raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", errors="replace")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on Windows saves "CSV" as cp1252. Five bytes (0x81, 0x8D, 0x8F, 0x90, 0x9D) are undefined
        # there; they become U+FFFD, which no code list accepts, so the row is reported, never a crash.
        return raw.decode("cp1252", errors="replace")


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


def read_table(raw: bytes) -> tuple[pd.DataFrame, list[str]]:
    """Parse CSV bytes into an all-string DataFrame indexed by 1-based data row number.

    Returns the frame (columns upper-cased and stripped, blank cells ``None``) and the list of
    column names as found. Raises ``_FileError`` for an empty or undecodable file.
    """
    text = _decode(raw)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise _FileError("the file is empty") from None
    except csv.Error as exc:
        raise _FileError(f"cannot read the CSV header: {exc}") from None
    columns = [c.strip().upper() for c in header]
    if not any(columns):
        raise _FileError("the first line (column names) is blank")
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
        raise _FileError(f"cannot read CSV record {row}: {exc}") from None
    frame = pd.DataFrame.from_dict(records, orient="index", columns=columns, dtype=object)
    if not records:
        frame = pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    frame.index.name = "row"
    return frame, columns


def parse_dates(values: pd.Series) -> pd.Series:
    """Parse ``dd/mm/yyyy`` or ``yyyy-mm-dd`` per cell; blanks and invalid dates become NaT."""
    text = values.astype(object).where(values.notna(), None)
    uk_mask = text.map(lambda v: isinstance(v, str) and bool(_UK_DATE.match(v))).astype(bool)
    iso_mask = text.map(lambda v: isinstance(v, str) and bool(_ISO_DATE.match(v))).astype(bool)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    if uk_mask.any():
        out[uk_mask] = pd.to_datetime(text[uk_mask], format="%d/%m/%Y", errors="coerce")
    if iso_mask.any():
        out[iso_mask] = pd.to_datetime(text[iso_mask], format="%Y-%m-%d", errors="coerce")
    return out


# ---------------------------------------------------------------------------------------------
# Rule machinery
# ---------------------------------------------------------------------------------------------


@dataclass
class _Context:
    """What the rules see: raw string tables, parsed dates, and the collection year."""

    collection_year: int
    raw: dict[str, pd.DataFrame]
    dates: dict[str, dict[str, pd.Series]] = field(default_factory=dict)

    def has(self, table: str) -> bool:
        return table in self.raw


Rule = Callable[[_Context], Iterable[RowError]]


def _errors(table: str, rows: Iterable[int], fld: str, code: str, message: str) -> list[RowError]:
    return [RowError(table, int(r), fld, code, message) for r in rows]


def _code_list_rule(ctx: _Context, table: str, fld: str, code: str, label: str) -> list[RowError]:
    if not ctx.has(table):
        return []
    valid = code_lists(ctx.collection_year)[fld]
    col = ctx.raw[table][fld]
    bad = col[col.notna() & ~col.isin(valid)]
    year = f"{ctx.collection_year}-{(ctx.collection_year + 1) % 100:02d}"
    return [
        RowError(table, int(r), fld, code, f"{label} {v!r} is not a valid code in {year}.")
        for r, v in bad.items()
    ]


# --- presence -------------------------------------------------------------------------------


def rule_req_non_blank(ctx: _Context) -> list[RowError]:
    """RCC-REQ / 101 / 102 / 103: fields every row needs. DfE counts a blank SEX, DOB or ETHNIC
    as invalid under 101/102/103; we report those under the DfE code."""
    dfe = {"SEX": "101", "DOB": "102", "ETHNIC": "103"}
    out: list[RowError] = []
    for table, fields in NON_BLANK.items():
        if not ctx.has(table):
            continue
        frame = ctx.raw[table]
        for fld in fields:
            rows = frame.index[frame[fld].isna()]
            out += _errors(table, rows, fld, dfe.get(fld, "RCC-REQ"), f"{fld} is blank but is required.")
    return out


# --- code lists -----------------------------------------------------------------------------


def rule_101_sex(ctx: _Context) -> list[RowError]:
    """101: sex code (1/2 up to 2023-24; M/F/U from 2024-25), in header and uasc."""
    return [
        *_code_list_rule(ctx, "header", "SEX", "101", "Sex"),
        *_code_list_rule(ctx, "uasc", "SEX", "101", "Sex"),
    ]


def rule_103_ethnic(ctx: _Context) -> list[RowError]:
    return _code_list_rule(ctx, "header", "ETHNIC", "103", "Ethnicity code")


def rule_165_mother(ctx: _Context) -> list[RowError]:
    """165 (value part only: must be 0 or 1 when given)."""
    return _code_list_rule(ctx, "header", "MOTHER", "165", "Mother status")


def rule_143_rne(ctx: _Context) -> list[RowError]:
    return _code_list_rule(ctx, "episodes", "RNE", "143", "Reason for new episode")


def rule_144_ls(ctx: _Context) -> list[RowError]:
    return _code_list_rule(ctx, "episodes", "LS", "144", "Legal status")


def rule_145_cin(ctx: _Context) -> list[RowError]:
    return _code_list_rule(ctx, "episodes", "CIN", "145", "Category of need")


def rule_146_place(ctx: _Context) -> list[RowError]:
    """146: placement type, list depends on the year (K3 from 2024-25; Z11-Z14 from 2025-26,
    when H5, P2 and Z1 are withdrawn)."""
    return _code_list_rule(ctx, "episodes", "PLACE", "146", "Placement type")


def rule_149_rec(ctx: _Context) -> list[RowError]:
    return _code_list_rule(ctx, "episodes", "REC", "149", "Reason episode ceased")


def rule_1009_reason_place_change(ctx: _Context) -> list[RowError]:
    return _code_list_rule(ctx, "episodes", "REASON_PLACE_CHANGE", "1009", "Reason for placement change")


def rule_178_place_provider(ctx: _Context) -> list[RowError]:
    """178: provider must be a PR code, and must be blank for placements that have no provider
    (temporary placements T*, and Z1 / Z11-Z14)."""
    out = _code_list_rule(ctx, "episodes", "PLACE_PROVIDER", "178", "Placement provider")
    if not ctx.has("episodes"):
        return out
    eps = ctx.raw["episodes"]
    no_provider = _no_provider_places(ctx.collection_year)
    given = eps["PLACE_PROVIDER"].notna() & eps["PLACE_PROVIDER"].isin(PLACE_PROVIDER_CODES)
    mask = given & eps["PLACE"].isin(no_provider)
    for r in eps.index[mask]:
        out.append(
            RowError(
                "episodes",
                int(r),
                "PLACE_PROVIDER",
                "178",
                f"Placement provider must be blank for placement type {eps.at[r, 'PLACE']}.",
            )
        )
    return out


# --- dates ----------------------------------------------------------------------------------

_DATE_CODES = {
    ("header", "DOB"): ("102", "Date of birth"),
    ("header", "MC_DOB"): ("171", "Date of birth of mother's child"),
    ("episodes", "DECOM"): ("141", "Date episode began"),
    ("episodes", "DEC"): ("147", "Date episode ceased"),
    ("uasc", "DOB"): ("102", "Date of birth"),
    ("uasc", "DUC"): ("104", "Date UASC status ceased"),
}


def rule_dates_parse(ctx: _Context) -> list[RowError]:
    """102 / 104 / 141 / 147 / 171: dates must be valid dd/mm/yyyy or yyyy-mm-dd."""
    out: list[RowError] = []
    for (table, fld), (code, label) in _DATE_CODES.items():
        if not ctx.has(table):
            continue
        raw = ctx.raw[table][fld]
        parsed = ctx.dates[table][fld]
        for r in raw.index[raw.notna() & parsed.isna()]:
            out.append(
                RowError(
                    table,
                    int(r),
                    fld,
                    code,
                    f"{label} {raw.at[r]!r} is not a valid date (expected dd/mm/yyyy or yyyy-mm-dd).",
                )
            )
    return out


# Free-text identifiers are stored as given; their column lengths (rcc.db.models; a test compares).
STORED_MAX_LENGTH: dict[str, int] = {"CHILD": 40, "URN": 16}


def rule_rcc_stored_length(ctx: _Context) -> list[RowError]:
    """RCC-LEN: an identifier longer than the register stores (CHILD 40, URN 16 characters)."""
    out: list[RowError] = []
    for table, raw in ctx.raw.items():
        for fld, limit in STORED_MAX_LENGTH.items():
            if fld in raw.columns:
                col = raw[fld]
                long = col[col.notna() & (col.astype(str).str.len() > limit)]
                out += _errors(table, long.index, fld, "RCC-LEN", f"{fld} is longer than {limit} characters.")
    return out


def rule_301_dob_after_year_end(ctx: _Context) -> list[RowError]:
    """301: date of birth falls after the collection year ended."""
    _, end = collection_year_bounds(ctx.collection_year)
    dob = ctx.dates["header"]["DOB"]
    rows = dob.index[dob > pd.Timestamp(end)]
    return _errors(
        "header", rows, "DOB", "301", f"Date of birth falls after the year ended ({end:%d/%m/%Y})."
    )


def rule_356_dec_before_decom(ctx: _Context) -> list[RowError]:
    """356: the date the episode ceased is before the date the same episode started."""
    dec, decom = ctx.dates["episodes"]["DEC"], ctx.dates["episodes"]["DECOM"]
    rows = dec.index[dec.notna() & decom.notna() & (dec < decom)]
    return _errors(
        "episodes",
        rows,
        "DEC",
        "356",
        "The date the episode ceased is before the date the same episode started.",
    )


def rule_385_dec_after_year_end(ctx: _Context) -> list[RowError]:
    """385: DEC must be on or before the end of the collection year (an episode still running
    at 31 March is returned open). The synthetic sample breaks this three times (1 April)."""
    _, end = collection_year_bounds(ctx.collection_year)
    dec = ctx.dates["episodes"]["DEC"]
    rows = dec.index[dec > pd.Timestamp(end)]
    return _errors(
        "episodes",
        rows,
        "DEC",
        "385",
        f"Date episode ceased must be on or before the end of the collection year ({end:%d/%m/%Y}).",
    )


def rule_rcc_decom_after_year_end(ctx: _Context) -> list[RowError]:
    """RCC-DECOM-YEAR: an episode cannot start after the collection year ends (most often the
    wrong collection year was chosen for the upload)."""
    _, end = collection_year_bounds(ctx.collection_year)
    decom = ctx.dates["episodes"]["DECOM"]
    rows = decom.index[decom > pd.Timestamp(end)]
    return _errors(
        "episodes",
        rows,
        "DECOM",
        "RCC-DECOM-YEAR",
        f"Episode starts after the end of the {ctx.collection_year} collection year "
        f"({end:%d/%m/%Y}); is the collection year right?",
    )


# --- cross-row and cross-table --------------------------------------------------------------


def _episodes_sorted(ctx: _Context) -> pd.DataFrame:
    eps = ctx.raw["episodes"]
    frame = pd.DataFrame(
        {
            "CHILD": eps["CHILD"],
            "DECOM": ctx.dates["episodes"]["DECOM"],
            "DEC": ctx.dates["episodes"]["DEC"],
        }
    )
    frame = frame[frame["CHILD"].notna() & frame["DECOM"].notna()]
    frame = frame.rename_axis("row").reset_index()
    return frame.sort_values(["CHILD", "DECOM", "row"], kind="stable")


def rule_rcc_duplicate_episode(ctx: _Context) -> list[RowError]:
    """RCC-DUP: two episodes for the same child starting on the same day (no DfE number; DfE's
    501 does not see them because it only compares ``DECOM < previous DEC``)."""
    eps = _episodes_sorted(ctx)
    first_row = eps.groupby(["CHILD", "DECOM"])["row"].transform("min")
    dup = eps[eps["row"] != first_row]
    return [
        RowError(
            "episodes",
            int(d.row),
            "DECOM",
            "RCC-DUP",
            f"Duplicate episode: child {d.CHILD} already has an episode starting "
            f"{d.DECOM:%d/%m/%Y} (row {int(f)}).",
        )
        for d, f in zip(dup.itertuples(), first_row[dup.index], strict=True)
    ]


def _consecutive(ctx: _Context) -> pd.DataFrame:
    """Episodes (duplicates dropped) with the previous episode of the same child alongside."""
    eps = _episodes_sorted(ctx).drop_duplicates(["CHILD", "DECOM"], keep="first")
    prev = eps.groupby("CHILD")[["row", "DECOM", "DEC"]].shift(1)
    return eps.join(prev.add_suffix("_prev"))


def rule_501_overlapping_episodes(ctx: _Context) -> list[RowError]:
    """501: a new episode has started before the end date of the previous episode."""
    eps = _consecutive(ctx)
    bad = eps[eps["DEC_prev"].notna() & (eps["DECOM"] < eps["DEC_prev"])]
    return [
        RowError(
            "episodes",
            int(b.row),
            "DECOM",
            "501",
            f"A new episode has started ({b.DECOM:%d/%m/%Y}) before the end date of the previous "
            f"episode (row {int(b.row_prev)}, ended {b.DEC_prev:%d/%m/%Y}).",
        )
        for b in bad.itertuples()
    ]


def rule_142_previous_not_ended(ctx: _Context) -> list[RowError]:
    """142: a new episode has started, but the previous episode has not ended (blank DEC on an
    episode that is not the child's last). Reported on the open episode's DEC."""
    eps = _consecutive(ctx)
    bad = eps[eps["row_prev"].notna() & eps["DEC_prev"].isna()]
    return [
        RowError(
            "episodes",
            int(b.row_prev),
            "DEC",
            "142",
            f"A new episode has started (row {int(b.row)}, {b.DECOM:%d/%m/%Y}) but this "
            f"episode has not ended.",
        )
        for b in bad.itertuples()
    ]


def rule_int03_episode_child_in_header(ctx: _Context) -> list[RowError]:
    """INT03: child in episodes does not exist in header."""
    eps, header = ctx.raw["episodes"], ctx.raw["header"]
    known = set(header["CHILD"].dropna())
    rows = eps.index[eps["CHILD"].notna() & ~eps["CHILD"].isin(known)]
    return _errors("episodes", rows, "CHILD", "INT03", "Child in episodes does not exist in header.")


def rule_int09_uasc_child_in_header(ctx: _Context) -> list[RowError]:
    """INT09: child in UASC does not exist in header."""
    if not ctx.has("uasc"):
        return []
    uasc, header = ctx.raw["uasc"], ctx.raw["header"]
    known = set(header["CHILD"].dropna())
    rows = uasc.index[uasc["CHILD"].notna() & ~uasc["CHILD"].isin(known)]
    return _errors("uasc", rows, "CHILD", "INT09", "Child in UASC does not exist in header.")


def rule_int32_header_child_unique(ctx: _Context) -> list[RowError]:
    """INT32 (header) / INT36 (uasc): a child should only appear once."""
    out: list[RowError] = []
    for table, code in (("header", "INT32"), ("uasc", "INT36")):
        if not ctx.has(table):
            continue
        child = ctx.raw[table]["CHILD"]
        rows = child.index[child.notna() & child.duplicated(keep="first")]
        out += _errors(table, rows, "CHILD", code, f"Child should only exist once in {table}.")
    return out


def rule_302_decom_before_dob(ctx: _Context) -> list[RowError]:
    """302: episode starts before the child was born (DfE checks the first episode; we flag every
    such episode, which includes the first)."""
    header, eps = ctx.raw["header"], ctx.raw["episodes"]
    dob = pd.Series(ctx.dates["header"]["DOB"].values, index=header["CHILD"].values)
    dob = dob[dob.index.notna() & ~dob.index.duplicated(keep="first")]
    child_dob = eps["CHILD"].map(dob)
    decom = ctx.dates["episodes"]["DECOM"]
    rows = eps.index[child_dob.notna() & decom.notna() & (decom < child_dob)]
    return _errors("episodes", rows, "DECOM", "302", "Episode starts before the child was born (header DOB).")


RULES: tuple[Rule, ...] = (
    rule_req_non_blank,
    rule_101_sex,
    rule_103_ethnic,
    rule_165_mother,
    rule_143_rne,
    rule_144_ls,
    rule_145_cin,
    rule_146_place,
    rule_149_rec,
    rule_1009_reason_place_change,
    rule_178_place_provider,
    rule_dates_parse,
    rule_rcc_stored_length,
    rule_301_dob_after_year_end,
    rule_rcc_decom_after_year_end,
    rule_356_dec_before_decom,
    rule_385_dec_after_year_end,
    rule_rcc_duplicate_episode,
    rule_501_overlapping_episodes,
    rule_142_previous_not_ended,
    rule_int03_episode_child_in_header,
    rule_int09_uasc_child_in_header,
    rule_int32_header_child_unique,
    rule_302_decom_before_dob,
)


# ---------------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------------


def _typed(table: str, raw: pd.DataFrame, dates: dict[str, pd.Series]) -> pd.DataFrame:
    out = pd.DataFrame(index=raw.index)
    for col in REQUIRED_COLUMNS[table]:
        if col in dates:
            out[col] = dates[col]
        elif col == "MOTHER":
            out[col] = pd.to_numeric(raw[col]).astype("Int8")
        else:
            out[col] = raw[col].astype("string")
    return out


def _sort_key(e: RowError) -> tuple:
    tables = (*REQUIRED_TABLES, *OPTIONAL_TABLES)
    t = tables.index(e.table) if e.table in tables else len(tables)
    return (t, e.row if e.row is not None else -1, e.field or "", e.code)


def validate_return(files: Mapping[str, bytes], collection_year: int) -> ValidationReport:
    """Validate one SSDA903 return.

    ``files`` maps table name (``"header"``, ``"episodes"``, optional ``"uasc"``; case-
    insensitive) to the raw bytes of the uploaded CSV. ``collection_year`` is the start year
    (2024 = 2024-25). Returns every error found; ``tables`` (indexed by row number, dates as
    datetime64, codes as strings, MOTHER as Int8) only when there are none.
    """
    if isinstance(collection_year, bool) or not isinstance(collection_year, int):
        raise TypeError("collection_year must be an int start year, e.g. 2024 for 2024-25")
    if not 1990 <= collection_year <= 2100:
        raise ValueError(f"implausible collection year {collection_year}")

    errors: list[RowError] = []
    raw: dict[str, pd.DataFrame] = {}
    named = {str(k).strip().lower(): v for k, v in files.items()}
    for name in named:
        if name not in REQUIRED_COLUMNS:
            errors.append(
                RowError(
                    name,
                    None,
                    None,
                    "RCC-TABLE",
                    f"Unknown table {name!r}; expected header, episodes or uasc.",
                )
            )
    for table in REQUIRED_TABLES:
        if table not in named:
            errors.append(RowError(table, None, None, "RCC-TABLE", f"The {table} file is missing."))
    usable = True
    for table in (*REQUIRED_TABLES, *OPTIONAL_TABLES):
        if table not in named:
            continue
        try:
            frame, columns = read_table(named[table])
        except _FileError as exc:
            errors.append(RowError(table, None, None, "RCC-FILE", f"Cannot read the {table} file: {exc}."))
            usable = False
            continue
        for col in sorted({c for c in columns if columns.count(c) > 1 and c}):
            errors.append(RowError(table, None, col, "RCC-COLUMN", f"Column {col} appears more than once."))
            usable = False
        missing = [c for c in REQUIRED_COLUMNS[table] if c not in columns]
        for col in missing:
            errors.append(RowError(table, None, col, "RCC-COLUMN", f"Required column {col} is missing."))
        if missing:
            usable = False
            continue
        raw[table] = frame.loc[:, ~frame.columns.duplicated()]
    if not usable or any(t not in raw for t in REQUIRED_TABLES):
        # Row checks on a file with the wrong shape would only produce noise.
        return ValidationReport(sorted(errors, key=_sort_key), None)

    ctx = _Context(collection_year, raw)
    for table, frame in raw.items():
        ctx.dates[table] = {col: parse_dates(frame[col]) for col in DATE_FIELDS[table]}
    for rule in RULES:
        errors.extend(rule(ctx))

    if errors:
        return ValidationReport(sorted(errors, key=_sort_key), None)
    tables = {t: _typed(t, frame, ctx.dates[t]) for t, frame in raw.items()}
    return ValidationReport([], tables)
