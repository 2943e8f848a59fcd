"""Result types and what every rule sees (:class:`Context`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

import pandas as pd

from rcc.sufficiency.validation.codes import collection_year_bounds

__all__ = ["Context", "RowError", "Rule", "ValidationReport", "errors_at"]


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

    def codes_used(self) -> dict[str, str]:
        """Each code in the report with its short description (DfE's or this service's own)."""
        from rcc.sufficiency.validation.descriptions import describe

        return {c: describe(c) for c in sorted({e.code for e in self.errors})}


@dataclass
class Context:
    """What the rules see: raw string tables, their parsed dates, the collection year and,
    when given, the LA's previous return (``prev``/``prev_dates``, same shapes)."""

    collection_year: int
    raw: dict[str, pd.DataFrame]
    dates: dict[str, dict[str, pd.Series]] = field(default_factory=dict)
    prev: dict[str, pd.DataFrame] | None = None
    prev_dates: dict[str, dict[str, pd.Series]] = field(default_factory=dict)

    def has(self, table: str) -> bool:
        return table in self.raw

    @property
    def start(self) -> pd.Timestamp:
        return pd.Timestamp(collection_year_bounds(self.collection_year)[0])

    @property
    def end(self) -> pd.Timestamp:
        return pd.Timestamp(collection_year_bounds(self.collection_year)[1])

    @property
    def end_date(self) -> date:
        return collection_year_bounds(self.collection_year)[1]

    @cached_property
    def sequence(self) -> pd.DataFrame:
        """This year's episodes with a valid DECOM, in each child's date order (file order breaks
        ties), with the previous and next episode of the same child alongside (``*_prev``,
        ``*_next``; NaN when there is none)."""
        return episode_sequence(self.raw["episodes"], self.dates["episodes"])


Rule = Callable[[Context], Iterable[RowError]]

_SEQ_FIELDS = ("RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "REC", "URN")


def episode_sequence(eps: pd.DataFrame, dates: dict[str, pd.Series]) -> pd.DataFrame:
    frame = pd.DataFrame({"CHILD": eps["CHILD"], "DECOM": dates["DECOM"], "DEC": dates["DEC"]})
    for col in _SEQ_FIELDS:
        frame[col] = eps[col]
    frame = frame[frame["CHILD"].notna() & frame["DECOM"].notna()]
    frame = frame.rename_axis("row").reset_index()
    frame = frame.sort_values(["CHILD", "DECOM", "row"], kind="stable").reset_index(drop=True)
    by_child = frame.groupby("CHILD", sort=False)
    cols = ["row", "DECOM", "DEC", "REC"]
    frame = frame.join(by_child[cols].shift(1).add_suffix("_prev"))
    frame = frame.join(by_child[cols].shift(-1).add_suffix("_next"))
    frame["has_prev"] = by_child.cumcount() > 0
    frame["has_next"] = by_child.cumcount(ascending=False) > 0
    return frame


def errors_at(table: str, rows: Iterable[object], fld: str | None, code: str, message: str) -> list[RowError]:
    return [RowError(table, int(r), fld, code, message) for r in rows]  # type: ignore[call-overload]
