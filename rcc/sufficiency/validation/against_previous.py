"""DfE's previous-year rules alone, run on a return that is already stored.

When year Y is stored before the LA's year Y-1 return (or Y-1 is replaced by a new version), the
service re-checks Y against the Y-1 it now holds (:func:`rcc.sufficiency.previous.recheck_later_year`).
Both returns are rebuilt from the stored rows, which are already validated, so only the
previous-year rules (502, 503A-F, 562, NoE, 202-204) run: the one-row and sequence rules passed
when Y was accepted, and some of them would misfire on the stored form (UPN, MOTHER and MC_DOB are
not kept; postcodes are sectors). The previous-year rules read none of those columns.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from rcc.sufficiency.validation import PREVIOUS_YEAR_RULES, _previous_tables, _sort_key, parse_dates
from rcc.sufficiency.validation.model import Context, RowError
from rcc.sufficiency.validation.reading import DATE_FIELDS, REQUIRED_COLUMNS, REQUIRED_TABLES


def _tables(
    frames: Mapping[str, pd.DataFrame],
) -> tuple[dict[str, pd.DataFrame], dict[str, dict[str, pd.Series]]]:
    """The rules' shapes: text columns (blank = None) and parsed dates; a required table with no
    stored rows is an empty table."""
    out = _previous_tables(frames)
    for table in REQUIRED_TABLES:
        if table not in out:
            out[table] = pd.DataFrame({c: pd.Series([], dtype=object) for c in REQUIRED_COLUMNS[table]})
    dates = {
        t: {
            c: f[c] if pd.api.types.is_datetime64_any_dtype(f[c]) else parse_dates(f[c])
            for c in DATE_FIELDS[t]
        }
        for t, f in out.items()
    }
    return out, dates


def check_against_previous(
    tables: Mapping[str, pd.DataFrame], collection_year: int, previous: Mapping[str, pd.DataFrame]
) -> list[RowError]:
    """Every previous-year finding on ``tables`` (a return for ``collection_year``) against
    ``previous`` (the same LA's return for the year before). Rows are ``tables``' index labels."""
    current, dates = _tables(tables)
    ctx = Context(collection_year, current, dates)
    ctx.prev, ctx.prev_dates = _tables(previous)
    errors = [e for rule in PREVIOUS_YEAR_RULES for e in rule(ctx)]
    return sorted(errors, key=_sort_key)
