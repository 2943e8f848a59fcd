"""Rules on a child's sequence of episodes in this year's return: overlaps, gaps, and whether
each episode's reason codes agree with the one before or after it.

They work on :attr:`Context.sequence`: the episodes with a valid DECOM, in each child's date
order, file order breaking ties (DfE sorts by CHILD and DECOM too). Two episodes of one child
starting on the same day are therefore a sequence whose second episode starts before the first
ends: DfE's 501 reports it, and so do we (there is no separate duplicate code).
Messages are DfE's (csc-validator-be-903 0.1.17, ``lac2022_23/rule_<code>.py``).
"""

from __future__ import annotations

import pandas as pd

from rcc.sufficiency.validation.codes import CONTINUATION_RNE, FINAL_REC, LEFT_CARE_REC
from rcc.sufficiency.validation.model import Context, RowError


def _at(seq: pd.DataFrame, mask: pd.Series, fld: str, code: str, message: str) -> list[RowError]:
    return [RowError("episodes", int(r), fld, code, message) for r in seq.loc[mask, "row"]]


def _d(value: object) -> str:
    return f"{value:%d/%m/%Y}" if isinstance(value, pd.Timestamp) and not pd.isna(value) else "blank"


def rule_501_overlapping_episodes(ctx: Context) -> list[RowError]:
    """501: a new episode has started before the end date of the previous episode (including a
    second episode starting the same day as another)."""
    seq = ctx.sequence
    bad = seq[seq["has_prev"] & (seq["DECOM"] < seq["DEC_prev"])]
    return [
        RowError("episodes", int(b.row), "DECOM", "501",
                 f"A new episode has started before the end date of the previous episode "
                 f"(this one starts {_d(b.DECOM)}; row {int(b.row_prev)} ends {_d(b.DEC_prev)}).")
        for b in bad.itertuples()
    ]  # fmt: skip


def rule_142_previous_not_ended(ctx: Context) -> list[RowError]:
    """142: a new episode has started, but the previous episode has not ended: an episode that is
    not the child's last has a blank DEC or a blank REC. Reported on the open episode."""
    seq = ctx.sequence
    bad = seq[seq["has_next"] & (seq["DEC"].isna() | seq["REC"].isna())]
    return [
        RowError("episodes", int(b.row), "DEC" if pd.isna(b.DEC) else "REC", "142",
                 f"A new episode has started, but the previous episode has not ended "
                 f"(row {int(b.row_next)} starts {_d(b.DECOM_next)}).")
        for b in bad.itertuples()
    ]  # fmt: skip


def rule_388_x1_without_continuation(ctx: Context) -> list[RowError]:
    """388: REC X1 (new episode begins) needs a next episode starting on the day this one ends;
    an episode followed the same day by another must end X1; and the child's last episode
    cannot end X1 (the child would silently leave care)."""
    seq = ctx.sequence
    closed = seq["DEC"].notna()
    x1 = seq["REC"] == "X1"
    same_day = seq["DEC"] == seq["DECOM_next"]
    nxt = seq["has_next"]
    mask = (nxt & x1 & closed & ~same_day) | (nxt & ~x1 & seq["REC"].notna() & closed & same_day)
    mask |= ~nxt & closed & x1
    return _at(seq, mask, "REC", "388",
               "Reason episode ceased is coded new episode begins, but there is no continuation episode.")  # fmt: skip


def rule_431_rne_s_but_continuing(ctx: Context) -> list[RowError]:
    """431: RNE S (started to be looked after) but the previous episode ended on or after the
    day this one starts."""
    seq = ctx.sequence
    mask = seq["has_prev"] & (seq["RNE"] == "S") & (seq["DECOM"] <= seq["DEC_prev"])
    return _at(seq, mask, "RNE", "431",
               "The reason for new episode is started to be looked after, but the previous episode "
               "ended on the same day.")  # fmt: skip


def rule_432_left_care_but_not_new(ctx: Context) -> list[RowError]:
    """432: the previous episode ended with the child leaving care (any REC but X1) but this
    episode's RNE is not S."""
    seq = ctx.sequence
    mask = seq["has_prev"] & seq["REC_prev"].isin(LEFT_CARE_REC) & (seq["RNE"] != "S")
    return _at(seq, mask, "RNE", "432",
               "The child ceased to be looked after at the end of the previous episode but the reason "
               "for the new episode is not started to be looked after.")  # fmt: skip


def rule_433_continuation_gap(ctx: Context) -> list[RowError]:
    """433: RNE says the episode continues a period of care (P, L, T, U, B) but it does not start
    on the day the previous episode ended (or the previous one has no end date)."""
    seq = ctx.sequence
    mismatch = seq["DEC_prev"].isna() | (seq["DEC_prev"] != seq["DECOM"])
    mask = seq["has_prev"] & seq["RNE"].isin(CONTINUATION_RNE) & mismatch
    return _at(seq, mask, "RNE", "433",
               "The reason for new episode suggests that this is a continuation episode, but the "
               "episode does not start on the same day as the last episode finished.")  # fmt: skip


def rule_437_final_rec_then_more(ctx: Context) -> list[RowError]:
    """437: the episode ended because the child died (E2) or turned 18 (E15) but further episodes
    follow."""
    seq = ctx.sequence
    mask = seq["has_next"] & seq["REC"].isin(FINAL_REC)
    return _at(seq, mask, "REC", "437",
               "Reason episode ceased is child has died or is aged 18 or over but there are further "
               "episodes.")  # fmt: skip


def rule_357_first_episode_not_s(ctx: Context) -> list[RowError]:
    """357: a child's first episode that starts in this collection year must have RNE S (one that
    started earlier may continue last year's care)."""
    seq = ctx.sequence
    mask = ~seq["has_prev"] & (seq["DECOM"] >= ctx.start) & (seq["RNE"] != "S")
    return _at(seq, mask, "RNE", "357",
               "If this is the first episode ever for this child, reason for new episode must be S. "
               "Check whether there is an episode immediately preceding this one, which has been left "
               "out. If not the reason for new episode code must be amended to S.")  # fmt: skip
