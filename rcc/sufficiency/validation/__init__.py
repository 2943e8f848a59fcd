"""Validate a local authority's SSDA903 return files before anything is stored.

``validate_return(files, collection_year, previous=None)`` takes the raw bytes of the uploaded
CSVs (``header``, ``episodes`` and optionally ``uasc``) and returns a :class:`ValidationReport`
listing every problem row by row. Typed tables are handed back only when there are no errors,
so the storage layer never sees a half-valid return. ``previous`` is the same LA's return for
the collection year before (raw bytes, or the typed tables a previous report returned); when
given, the previous-year rules (502, 503A-F, 562, NoE, 202-204) run too.

Modules: ``reading`` (CSV and dates), ``codes`` (code lists by year), ``rules_fields`` (one-row
rules), ``rules_episodes`` (a child's sequence of episodes), ``rules_previous`` (against last
year's return), ``descriptions`` (what each code means; own ``RCC-*`` codes explained).

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
Each rule is a function ``rule_<code>_<what>(ctx)`` returning ``RowError`` objects. Codes are the
DfE rule numbers of Data to Insight's ``csc-validator-be-903`` 0.1.17 (MIT licence, Social Finance
Ltd); conditions and messages follow its ``lac_validator/rules/lac20YY_YY/rule_<code>.py`` files
(re-expressed, not copied; deliberate differences are listed in ``descriptions``). Checks without
a DfE number use ``RCC-*`` codes, each explained in ``descriptions.OWN_CODES``.

Not implemented although DfE has them: rules on the other SSDA903 tables (reviews, OC2, OC3,
AD1, missing, ...), rules needing the ONS postcode directory or Ofsted's provider lists (392c,
503G/H/J, 452/453, ...), and the UPN/UASC history rules (205A-D, 207, 208). None changes the
episode counts the forecasts use. ``bench/ssda903_diff.py`` measures agreement with DfE.

The synthetic sample (shared/data/ssda903-sample, folders 2017-2021 = collection years 2017-18
.. 2021-22) does NOT validate clean, and that is the data's fault, not the rules': its generator
gives some children overlapping sequences of episodes (501, 142), codes a REC on open episodes
(148), ends three episodes on 1 April (385), and mixes up RNE and X1 codes (388, 43x, 357).
DfE's validator reports the same rows. ``rcc.sufficiency.ssda903.quarantine`` cleans a sample
year for demos.

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

from collections.abc import Mapping

import pandas as pd

from rcc.sufficiency.validation import rules_episodes as _ep
from rcc.sufficiency.validation import rules_fields as _f
from rcc.sufficiency.validation import rules_previous as _prev
from rcc.sufficiency.validation.codes import code_lists, collection_year_bounds
from rcc.sufficiency.validation.descriptions import DELIBERATE_DIFFERENCES, DESCRIPTIONS, OWN_CODES, describe
from rcc.sufficiency.validation.model import Context, RowError, Rule, ValidationReport
from rcc.sufficiency.validation.reading import (
    CODE_FIELDS,
    DATE_FIELDS,
    REQUIRED_COLUMNS,
    REQUIRED_TABLES,
    TABLES,
    FileError,
    Source,
    parse_dates,
    read_table,
)
from rcc.sufficiency.validation.rules_fields import STORED_MAX_LENGTH

__all__ = [
    "STORED_MAX_LENGTH",
    "DELIBERATE_DIFFERENCES",
    "DESCRIPTIONS",
    "OWN_CODES",
    "PREVIOUS_YEAR_RULES",
    "REQUIRED_COLUMNS",
    "RULES",
    "RowError",
    "Source",
    "ValidationReport",
    "code_lists",
    "collection_year_bounds",
    "describe",
    "parse_dates",
    "read_table",
    "validate_return",
]

RULES: tuple[Rule, ...] = (
    _f.rule_req_non_blank,
    _f.rule_101_sex,
    _f.rule_103_ethnic,
    _f.rule_165_mother,
    _f.rule_143_rne,
    _f.rule_144_ls,
    _f.rule_145_cin,
    _f.rule_146_place,
    _f.rule_149_rec,
    _f.rule_1009_reason_place_change,
    _f.rule_178_place_provider,
    _f.rule_217t_p2_withdrawn,
    _f.rule_dates_parse,
    _f.rule_rcc_stored_length,
    _f.rule_301_dob_after_year_end,
    _f.rule_354_decom_after_year_end,
    _f.rule_355_under_24_hours,
    _f.rule_356_dec_before_decom,
    _f.rule_385_dec_after_year_end,
    _f.rule_148_dec_rec_together,
    _f.rule_int03_episode_child_in_header,
    _f.rule_int09_uasc_child_in_header,
    _f.rule_int32_child_unique,
    _f.rule_int18_int21_uasc_matches_header,
    _f.rule_302_decom_before_dob,
    _f.rule_352_started_aged_18,
    _ep.rule_501_overlapping_episodes,
    _ep.rule_142_previous_not_ended,
    _ep.rule_388_x1_without_continuation,
    _ep.rule_431_rne_s_but_continuing,
    _ep.rule_432_left_care_but_not_new,
    _ep.rule_433_continuation_gap,
    _ep.rule_437_final_rec_then_more,
    _ep.rule_357_first_episode_not_s,
)
PREVIOUS_YEAR_RULES: tuple[Rule, ...] = (
    _prev.rule_502_first_decom_matches_open,
    _prev.rule_503_first_matches_open,
    _prev.rule_562_missing_continuous_episode,
    _prev.rule_noe_child_missing_last_year,
    _prev.rule_202_203_204_header_changed,
)


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


def _sort_key(e: RowError) -> tuple[int, int, str, str]:
    t = TABLES.index(e.table) if e.table in TABLES else len(TABLES)
    return (t, e.row if e.row is not None else -1, e.field or "", e.code)


def _read(named: Mapping[str, Source], errors: list[RowError]) -> dict[str, pd.DataFrame] | None:
    """Read every known table; file-level problems go to ``errors``. None: not usable for row checks."""
    raw: dict[str, pd.DataFrame] = {}
    usable = True
    for table in TABLES:
        if table not in named:
            continue
        try:
            frame, columns = read_table(named[table])
        except FileError as exc:
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
        frame = frame.loc[:, ~frame.columns.duplicated()]
        if table in REQUIRED_TABLES and frame.empty:
            what = "children" if table == "header" else "episodes"
            errors.append(
                RowError(table, None, None, "RCC-EMPTY",
                         f"The {table} file has column names but no rows: a return must list the LA's {what}.")
            )  # fmt: skip
            usable = False
            continue
        raw[table] = frame
    if not usable or any(t not in raw for t in REQUIRED_TABLES):
        return None
    return raw


def _previous_tables(previous: Mapping[str, object]) -> dict[str, pd.DataFrame]:
    """Last year's return as all-string tables (dates kept as text or as datetimes)."""
    out: dict[str, pd.DataFrame] = {}
    for name, value in previous.items():
        table = str(name).strip().lower()
        if table not in REQUIRED_COLUMNS or value is None:
            continue
        if isinstance(value, bytes | bytearray):
            try:
                frame, _ = read_table(bytes(value))
            except FileError:
                continue
        elif isinstance(value, pd.DataFrame):
            frame = value.rename(columns=lambda c: str(c).strip().upper())
        else:
            continue
        cols: dict[str, pd.Series] = {}
        for col in REQUIRED_COLUMNS[table]:
            if col not in frame.columns:
                cols[col] = pd.Series(None, index=frame.index, dtype=object)
            elif pd.api.types.is_datetime64_any_dtype(frame[col]):
                cols[col] = frame[col].astype("datetime64[ns]")
            else:
                s = frame[col].astype(object)
                s = s.where(s.notna(), None).map(lambda v: None if v is None else str(v).strip() or None)
                cols[col] = (
                    s.map(lambda v: v.upper() if isinstance(v, str) else v) if col in CODE_FIELDS else s
                )
        out[table] = pd.DataFrame(cols, index=frame.index)
    return out


def validate_return(
    files: Mapping[str, Source],
    collection_year: int,
    previous: Mapping[str, bytes | pd.DataFrame] | None = None,
) -> ValidationReport:
    """Validate one SSDA903 return.

    ``files`` maps table name (``"header"``, ``"episodes"``, optional ``"uasc"``; case-
    insensitive) to the raw bytes of the uploaded CSV, or to a binary file object holding them (read
    row by row, never whole: an upload spooled to disk stays there). ``collection_year`` is the start year
    (2024 = 2024-25). ``previous``, optional, is the same LA's return for ``collection_year - 1``
    (table name to CSV bytes, or to a DataFrame such as ``ValidationReport.tables``); with it the
    previous-year rules run. Returns every error found; ``tables`` (indexed by row number, dates
    as datetime64, codes as strings, MOTHER as Int8) only when there are none. Never raises on
    file content.
    """
    if isinstance(collection_year, bool) or not isinstance(collection_year, int):
        raise TypeError("collection_year must be an int start year, e.g. 2024 for 2024-25")
    if not 1990 <= collection_year <= 2100:
        raise ValueError(f"implausible collection year {collection_year}")

    errors: list[RowError] = []
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
    raw = _read(named, errors)
    if raw is None:
        # Row checks on a file with the wrong shape would only produce noise.
        return ValidationReport(sorted(errors, key=_sort_key), None)

    ctx = Context(collection_year, raw)
    for table, frame in raw.items():
        ctx.dates[table] = {col: parse_dates(frame[col]) for col in DATE_FIELDS[table]}
    rules = RULES
    if previous:
        prev = _previous_tables(previous)
        if "episodes" in prev or "header" in prev:
            ctx.prev = prev
            ctx.prev_dates = {
                t: {c: f[c] if pd.api.types.is_datetime64_any_dtype(f[c]) else parse_dates(f[c])
                    for c in DATE_FIELDS[t]}
                for t, f in prev.items()
            }  # fmt: skip
            rules = RULES + PREVIOUS_YEAR_RULES
    for rule in rules:
        errors.extend(rule(ctx))

    if errors:
        return ValidationReport(sorted(errors, key=_sort_key), None)
    tables = {t: _typed(t, frame, ctx.dates[t]) for t, frame in raw.items()}
    return ValidationReport([], tables)
