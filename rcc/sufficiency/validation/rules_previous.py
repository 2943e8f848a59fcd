"""Rules comparing this return with the same LA's return for the previous collection year.

They run only when ``validate_return(..., previous=...)`` is given that return; they are pure
functions of the two returns (the caller fetches the stored previous return). Codes and
messages are DfE's (csc-validator-be-903 0.1.17, ``lac2022_23/rule_<code>.py`` and
``rule_utils.field_different_from_previous``). Not implemented: 503G/503H/503J, 452/453 (need
the ONS postcode directory), 205A-D/207/208 (UASC and UPN histories; they do not change counts).
"""

from __future__ import annotations

import pandas as pd

from rcc.sufficiency.validation.model import Context, RowError, episode_sequence

_503 = {
    "503A": ("RNE", "The reason for new episode in the first episode does not match open episode at end of last year."),
    "503B": ("LS", "The legal status in the first episode does not match open episode at end of last year."),
    "503C": ("CIN", "The category of need in the first episode does not match open episode at end of last year."),
    "503D": ("PLACE", "The placement type in the first episode does not match open episode at end of last year"),
    "503E": ("PLACE_PROVIDER",
             "The placement provider in the first episode does not match open episode at end of last year."),
    "503F": ("URN", "The Ofsted URN in the first episode does not match open episode at end of last year."),
}  # fmt: skip
# A placement type renamed between years is not a change of placement (rule_utils.py): H5 became
# K3 in 2024-25 (DfE allows it for its 2023-24 and 2024-25 packs), Z1 became Z11-Z14 in 2025-26.
_RENAMED = {
    2023: {("H5", "K3")},
    2024: {("H5", "K3")},
    2025: {("Z1", z) for z in ("Z11", "Z12", "Z13", "Z14")},
}


def _has_prev(ctx: Context, table: str) -> bool:
    return ctx.prev is not None and table in ctx.prev


def _firsts_and_lasts(ctx: Context) -> pd.DataFrame:
    """Each child's first episode this year joined to their last episode of last year."""
    assert ctx.prev is not None
    seq = ctx.sequence
    first = seq[~seq["has_prev"]]
    last_seq = episode_sequence(ctx.prev["episodes"], ctx.prev_dates["episodes"])
    last = last_seq[~last_seq["has_next"]]
    return first.merge(last, on="CHILD", suffixes=("", "_last"))


def rule_502_first_decom_matches_open(ctx: Context) -> list[RowError]:
    """502: last year's return ended with an open episode, but this year's first episode for the
    child does not start on the same day (episodes would be lost or double-counted)."""
    if not _has_prev(ctx, "episodes"):
        return []
    seq = ctx.sequence
    first = seq[~seq["has_prev"]]
    prev = ctx.prev["episodes"]  # type: ignore[index]
    prev_open = pd.DataFrame({"CHILD": prev["CHILD"], "DECOM": ctx.prev_dates["episodes"]["DECOM"]})
    prev_open = prev_open[prev["DEC"].isna() & prev["CHILD"].notna()]
    merged = first.merge(prev_open, on="CHILD", suffixes=("", "_last"))
    bad = merged[merged["DECOM"] != merged["DECOM_last"]].drop_duplicates("row")
    message = (
        "Last year's record ended with an open episode. The date on which that episode started does "
        "not match the start date of the first episode on this year's record"
    )
    return [
        RowError("episodes", int(b.row), "DECOM", "502",
                 f"{message} (last year: {b.DECOM_last:%d/%m/%Y})." if pd.notna(b.DECOM_last) else f"{message}.")
        for b in bad.itertuples()
    ]  # fmt: skip


def rule_503_first_matches_open(ctx: Context) -> list[RowError]:
    """503A-503F: when last year's last episode was open, this year's first episode must carry
    the same RNE, LS, CIN, PLACE, PLACE_PROVIDER and URN (blank equals blank)."""
    if not _has_prev(ctx, "episodes"):
        return []
    both = _firsts_and_lasts(ctx)
    both = both[both["DEC_last"].isna()]
    year_renames = _RENAMED.get(ctx.collection_year, set())
    out: list[RowError] = []
    for code, (fld, message) in _503.items():
        # Compare as Python values: pandas' != treats missing vs missing as different, so a
        # blank provider/URN in both years (T placements) would fail 503E/503F.
        now, before = _keys(both[fld]), _keys(both[f"{fld}_last"])
        renamed = year_renames if fld == "PLACE" else set()
        differs = pd.Series(
            [n != b and (b, n) not in renamed for n, b in zip(now, before, strict=True)],
            index=both.index,
            dtype=bool,
        )
        out += [RowError("episodes", int(r), fld, code, message) for r in both.loc[differs, "row"]]
    return out


def rule_noe_child_missing_last_year(ctx: Context) -> list[RowError]:
    """NoE: an episode started before this collection year but the child has no episodes in last
    year's return (their care before April is not in the stored history)."""
    if not _has_prev(ctx, "episodes"):
        return []
    eps, decom = ctx.raw["episodes"], ctx.dates["episodes"]["DECOM"]
    known = set(ctx.prev["episodes"]["CHILD"].dropna())  # type: ignore[index]
    rows = eps.index[(decom < ctx.start) & ~eps["CHILD"].isin(known)]
    return [
        RowError(
            "episodes",
            int(r),
            "DECOM",
            "NoE",
            "This child has no episodes loaded for previous year even though child started to be "
            "looked after before this current year.",
        )  # fmt: skip
        for r in rows
    ]


def rule_562_missing_continuous_episode(ctx: Context) -> list[RowError]:
    """562: the child's first episode this year started before the year, but it is not last
    year's last episode (same DECOM) - a continuous episode is missing."""
    if not _has_prev(ctx, "episodes"):
        return []
    seq = ctx.sequence
    early = seq[seq["DECOM"] < ctx.start]
    first_early = early[~early["CHILD"].duplicated(keep="first")]
    last_seq = episode_sequence(ctx.prev["episodes"], ctx.prev_dates["episodes"])  # type: ignore[index]
    last = last_seq.loc[~last_seq["has_next"], ["CHILD", "DECOM"]]
    merged = first_early.merge(last, on=["CHILD", "DECOM"], how="left", indicator=True)
    rows = merged.loc[merged["_merge"] == "left_only", "row"]
    return [
        RowError(
            "episodes",
            int(r),
            "DECOM",
            "562",
            "Episode commenced before the start of the current collection year but there is a "
            "missing continuous episode in the previous year.",
        )  # fmt: skip
        for r in rows
    ]


_SEX_RENAMED = {"1": "M", "2": "F"}  # 2024-25 changed SEX from 1/2 to M/F/U


def rule_202_203_204_header_changed(ctx: Context) -> list[RowError]:
    """202 / 203 / 204: SEX, DOB or ETHNIC differ from last year's header for the same child.
    SEX 1/2 and M/F are the same answer across the 2024-25 code change (DfE compares the text,
    so its 202 flags every child in a 2024-25 return: a documented deliberate difference)."""
    if not _has_prev(ctx, "header"):
        return []
    head, prev = ctx.raw["header"], ctx.prev["header"]  # type: ignore[index]
    prev = prev[prev["CHILD"].notna() & ~prev["CHILD"].duplicated(keep="first")]
    prev_dob = ctx.prev_dates["header"]["DOB"][prev.index]
    out: list[RowError] = []
    checks = (
        ("202", "SEX", "The gender code conflicts with the gender already recorded for this child.",
         head["SEX"].replace(_SEX_RENAMED), prev["SEX"].replace(_SEX_RENAMED)),
        ("203", "DOB", "Date of birth disagrees with the date of birth already recorded for this child.",
         ctx.dates["header"]["DOB"], prev_dob),
        ("204", "ETHNIC", "Ethnic origin code disagrees with the ethnic origin already recorded for this child.",
         head["ETHNIC"], prev["ETHNIC"]),
    )  # fmt: skip
    for code, fld, message, now, before in checks:
        last = dict(zip(prev["CHILD"], _keys(before), strict=True))
        in_both = head["CHILD"].isin(list(last))
        was = [last.get(c) for c in head["CHILD"]]
        differs = pd.Series(
            [x != y for x, y in zip(_keys(now), was, strict=True)], index=head.index, dtype=bool
        )
        out += [RowError("header", int(r), fld, code, message) for r in head.index[in_both & differs]]
    return out


def _keys(values: pd.Series) -> list[str | None]:
    """Comparable cell values: text as it is, dates as ISO text, blanks and NaT as None."""
    return [None if pd.isna(v) else v.isoformat() if isinstance(v, pd.Timestamp) else str(v) for v in values]
