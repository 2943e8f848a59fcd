"""Rules on single rows: blanks, code lists, dates, and checks between a row and its child's
header row. Each rule is ``rule_<code>_<what>(ctx) -> list[RowError]``; messages are DfE's where
DfE has the rule (csc-validator-be-903 0.1.17, ``lac2022_23/rule_<code>.py`` unless cited)."""

from __future__ import annotations

import pandas as pd

from rcc.sufficiency.validation.codes import (
    P2_LAST_DAY,
    PLACE_PROVIDER_CODES,
    code_lists,
    no_provider_places,
)
from rcc.sufficiency.validation.model import Context, RowError, errors_at
from rcc.sufficiency.validation.reading import NON_BLANK, date_out_of_range

# --- presence -------------------------------------------------------------------------------


def rule_req_non_blank(ctx: Context) -> list[RowError]:
    """RCC-REQ / 101 / 102 / 103: fields every row needs. DfE counts a blank SEX, DOB or ETHNIC
    as invalid under 101/102/103; we report those under the DfE code. DfE has no rule for a blank
    CHILD, DECOM, RNE, LS, CIN or PLACE, but such a row cannot be placed or counted (RCC-REQ)."""
    dfe = {"SEX": "101", "DOB": "102", "ETHNIC": "103"}
    out: list[RowError] = []
    for table, fields in NON_BLANK.items():
        if not ctx.has(table):
            continue
        frame = ctx.raw[table]
        for fld in fields:
            rows = frame.index[frame[fld].isna()]
            out += errors_at(table, rows, fld, dfe.get(fld, "RCC-REQ"), f"{fld} is blank but is required.")
    return out


# --- code lists -----------------------------------------------------------------------------


def _code_list_rule(ctx: Context, table: str, fld: str, code: str, message: str) -> list[RowError]:
    if not ctx.has(table):
        return []
    valid = code_lists(ctx.collection_year)[fld]
    col = ctx.raw[table][fld]
    bad = col[col.notna() & ~col.isin(valid)]
    year = f"{ctx.collection_year}-{(ctx.collection_year + 1) % 100:02d}"
    return [RowError(table, int(r), fld, code, f"{message} ({v!r} in {year}.)") for r, v in bad.items()]


def rule_101_sex(ctx: Context) -> list[RowError]:
    """101: sex code (1/2 up to 2023-24; M/F/U from 2024-25, lac2024_25/rule_101.py), header only."""
    return _code_list_rule(
        ctx, "header", "SEX", "101", "The child or young person's reported sex is not valid."
    )


def rule_103_ethnic(ctx: Context) -> list[RowError]:
    return _code_list_rule(
        ctx, "header", "ETHNIC", "103", "The ethnicity code is either not valid or has not been entered."
    )


def rule_165_mother(ctx: Context) -> list[RowError]:
    """165 (value part only: must be 0 or 1 when given)."""
    return _code_list_rule(ctx, "header", "MOTHER", "165", "Data entry for mother status is invalid.")


def rule_143_rne(ctx: Context) -> list[RowError]:
    return _code_list_rule(
        ctx, "episodes", "RNE", "143", "The reason for new episode code is not a valid code."
    )


def rule_144_ls(ctx: Context) -> list[RowError]:
    return _code_list_rule(ctx, "episodes", "LS", "144", "The legal status code is not a valid code.")


def rule_145_cin(ctx: Context) -> list[RowError]:
    return _code_list_rule(ctx, "episodes", "CIN", "145", "Category of need code is not a valid code.")


def rule_146_place(ctx: Context) -> list[RowError]:
    """146: placement type, list depends on the year (K3 from 2024-25; Z11-Z14 from 2025-26,
    when H5, P2 and Z1 are withdrawn)."""
    return _code_list_rule(ctx, "episodes", "PLACE", "146", "Placement type code is not a valid code.")


def rule_149_rec(ctx: Context) -> list[RowError]:
    return _code_list_rule(ctx, "episodes", "REC", "149", "Reason episode ceased is not a valid code.")


def rule_1009_reason_place_change(ctx: Context) -> list[RowError]:
    return _code_list_rule(
        ctx, "episodes", "REASON_PLACE_CHANGE", "1009", "Reason for placement change is not a valid code."
    )


def rule_178_place_provider(ctx: Context) -> list[RowError]:
    """178: provider must be a PR code, and must be blank for placements that have no provider
    (temporary placements T*, and Z1 / Z11-Z14)."""
    message = "Placement provider code is not a valid code."
    out = _code_list_rule(ctx, "episodes", "PLACE_PROVIDER", "178", message)
    eps = ctx.raw["episodes"]
    given = eps["PLACE_PROVIDER"].notna() & eps["PLACE_PROVIDER"].isin(PLACE_PROVIDER_CODES)
    mask = given & eps["PLACE"].isin(no_provider_places(ctx.collection_year))
    for r in eps.index[mask]:
        out.append(
            RowError("episodes", int(r), "PLACE_PROVIDER", "178",
                     f"Placement provider must be blank for placement type {eps.at[r, 'PLACE']}.")
        )  # fmt: skip
    return out


def rule_217t_p2_withdrawn(ctx: Context) -> list[RowError]:
    """217t (lac2023_24/rule_217t.py): P2 is not valid for an episode still open on 28/10/2023
    (DEC after that day, or blank). Applied to 2023-24 and 2024-25 returns; from 2025-26 146
    rejects P2 outright."""
    if ctx.collection_year not in (2023, 2024):
        return []
    eps, dec = ctx.raw["episodes"], ctx.dates["episodes"]["DEC"]
    open_after = dec.isna() | (dec > pd.Timestamp(P2_LAST_DAY))
    rows = eps.index[(eps["PLACE"] == "P2") & open_after]
    return errors_at("episodes", rows, "PLACE", "217t",
                     "Placement type 'P2' is not a valid placement type from 28 October 2023.")  # fmt: skip


# --- dates ----------------------------------------------------------------------------------

_DATE_CODES = {
    ("header", "DOB"): ("102", "Date of birth is not a valid date."),
    ("header", "MC_DOB"): ("171", "Date of birth of mother's child is not a valid date."),
    ("episodes", "DECOM"): ("141", "Date episode began is not a valid date."),
    ("episodes", "DEC"): ("147", "Date episode ceased is not a valid date."),
    ("uasc", "DUC"): ("104", "Date UASC status ceased is not a valid date."),
}


def rule_dates_parse(ctx: Context) -> list[RowError]:
    """102 / 104 / 141 / 147 / 171: dates must be valid dd/mm/yyyy or yyyy-mm-dd, between
    22/09/1677 and 11/04/2262. DfE's validator (pandas 1.x) treats a date outside that range,
    such as an "open-ended" DEC of 31/12/9999, as not a valid date; so do we."""
    out: list[RowError] = []
    for (table, fld), (code, message) in _DATE_CODES.items():
        if not ctx.has(table):
            continue
        raw, parsed = ctx.raw[table][fld], ctx.dates[table][fld]
        for r in raw.index[raw.notna() & parsed.isna()]:
            value = raw.at[r]
            why = (
                "it is outside the range 1677-2262 (use a blank DEC for an open episode)"
                if date_out_of_range(value)
                else "expected dd/mm/yyyy or yyyy-mm-dd"
            )
            out.append(RowError(table, int(r), fld, code, f"{message} ({value!r}: {why}.)"))
    return out


def rule_301_dob_after_year_end(ctx: Context) -> list[RowError]:
    """301: date of birth falls after the collection year ended."""
    dob = ctx.dates["header"]["DOB"]
    rows = dob.index[dob > ctx.end]
    return errors_at("header", rows, "DOB", "301", "Date of birth falls after the year ended.")


def rule_354_decom_after_year_end(ctx: Context) -> list[RowError]:
    """354: an episode cannot start after the collection year ends (most often the wrong
    collection year was chosen). DfE's message for 354 says "ceased"; the field is DECOM."""
    decom = ctx.dates["episodes"]["DECOM"]
    rows = decom.index[decom > ctx.end]
    return errors_at("episodes", rows, "DECOM", "354",
                     f"Date episode began must be on or before the end of the current collection year "
                     f"({ctx.end_date:%d/%m/%Y}); is the collection year right?")  # fmt: skip


def rule_356_dec_before_decom(ctx: Context) -> list[RowError]:
    """356: the date the episode ceased is before the date the same episode started."""
    dec, decom = ctx.dates["episodes"]["DEC"], ctx.dates["episodes"]["DECOM"]
    rows = dec.index[dec.notna() & decom.notna() & (dec < decom)]
    return errors_at("episodes", rows, "DEC", "356",
                     "The date the episode ceased is before the date the same episode started.")  # fmt: skip


def rule_355_under_24_hours(ctx: Context) -> list[RowError]:
    """355: an episode that starts and ends on the same day lasted under 24 hours. DfE compares
    the date text; we compare the dates (so 1/5/2021 equals 01/05/2021 and 2021-05-01)."""
    dec, decom = ctx.dates["episodes"]["DEC"], ctx.dates["episodes"]["DECOM"]
    rows = dec.index[dec.notna() & (dec == decom)]
    return errors_at("episodes", rows, "DEC", "355", "Episode appears to have lasted for less than 24 hours")


def rule_385_dec_after_year_end(ctx: Context) -> list[RowError]:
    """385: DEC must be on or before the end of the collection year (an episode still running
    at 31 March is returned open). The synthetic sample breaks this three times (1 April)."""
    dec = ctx.dates["episodes"]["DEC"]
    rows = dec.index[dec > ctx.end]
    return errors_at("episodes", rows, "DEC", "385",
                     "Date episode ceased must be on or before the end of the current collection year.")  # fmt: skip


def rule_148_dec_rec_together(ctx: Context) -> list[RowError]:
    """148: DEC and REC must both be given or both blank. An open episode with a REC, or a
    closed one without, would be counted wrongly as leaving (or staying in) care."""
    eps = ctx.raw["episodes"]
    rows = eps.index[eps["DEC"].isna() != eps["REC"].isna()]
    return errors_at("episodes", rows, "REC", "148",
                     "Date episode ceased and reason episode ceased must both be coded, or both left blank.")  # fmt: skip


# --- between tables -------------------------------------------------------------------------


def _from_header(ctx: Context, children: pd.Series, values: pd.Series) -> pd.Series:
    """For each child in ``children``, ``values`` of their (first) header row; missing -> NaN/NaT.

    Built from a dict, not ``Series.map``: mapping onto an empty datetime series raises in pandas."""
    lookup: dict[object, object] = {}
    for child, value in zip(ctx.raw["header"]["CHILD"], values, strict=True):
        if child is not None and child not in lookup:
            lookup[child] = value
    out = [lookup.get(c) for c in children]
    if pd.api.types.is_datetime64_any_dtype(values):
        return pd.Series(
            [pd.NaT if v is None else v for v in out], index=children.index, dtype="datetime64[ns]"
        )
    return pd.Series(out, index=children.index, dtype=object)


def rule_int03_episode_child_in_header(ctx: Context) -> list[RowError]:
    """INT03: child in episodes does not exist in header."""
    eps = ctx.raw["episodes"]
    known = set(ctx.raw["header"]["CHILD"].dropna())
    rows = eps.index[eps["CHILD"].notna() & ~eps["CHILD"].isin(known)]
    return errors_at(
        "episodes", rows, "CHILD", "INT03", "Internal Check: Child in Episodes does not exist in Header."
    )


def rule_int09_uasc_child_in_header(ctx: Context) -> list[RowError]:
    """INT09: child in UASC does not exist in header."""
    if not ctx.has("uasc"):
        return []
    uasc = ctx.raw["uasc"]
    known = set(ctx.raw["header"]["CHILD"].dropna())
    rows = uasc.index[uasc["CHILD"].notna() & ~uasc["CHILD"].isin(known)]
    return errors_at(
        "uasc", rows, "CHILD", "INT09", "Internal Check: Child in UASC does not exist in Header."
    )


def rule_int32_child_unique(ctx: Context) -> list[RowError]:
    """INT32 (header) / INT36 (uasc): a child should only appear once (every row of the child is
    reported, as DfE does)."""
    out: list[RowError] = []
    for table, code, name in (("header", "INT32", "Header"), ("uasc", "INT36", "UASC")):
        if not ctx.has(table):
            continue
        child = ctx.raw[table]["CHILD"]
        rows = child.index[child.notna() & child.duplicated(keep=False)]  # every copy, as DfE
        out += errors_at(
            table, rows, "CHILD", code, f"Internal Check: Child should only exist once in {name}."
        )
    return out


def rule_int18_int21_uasc_matches_header(ctx: Context) -> list[RowError]:
    """INT18 / INT21: DOB / SEX in UASC different to the header's (both given; dates both valid). DfE
    has no code-list or date rule on the UASC SEX/DOB (its 101/102 are header-only); a bad UASC SEX
    shows up here, an unreadable UASC DOB nowhere (it is not stored)."""
    if not ctx.has("uasc"):
        return []
    uasc, out = ctx.raw["uasc"], []
    sex = _from_header(ctx, uasc["CHILD"], ctx.raw["header"]["SEX"])
    rows = uasc.index[uasc["SEX"].notna() & sex.notna() & (uasc["SEX"] != sex)]
    out += [
        RowError(
            "uasc",
            int(r),
            "SEX",
            "INT21",
            f"Internal Check: SEX in UASC is different to SEX in Header "
            f"({uasc.at[r, 'SEX']!r} in UASC, {sex.at[r]!r} in Header).",
        )
        for r in rows
    ]
    h_dob = _from_header(ctx, uasc["CHILD"], ctx.dates["header"]["DOB"])
    u_dob = ctx.dates["uasc"]["DOB"]
    rows = uasc.index[h_dob.notna() & u_dob.notna() & (u_dob != h_dob)]
    out += errors_at(
        "uasc", rows, "DOB", "INT18", "Internal Check: DOB in UASC is different to DOB in Header."
    )
    return out


def rule_302_decom_before_dob(ctx: Context) -> list[RowError]:
    """302: episode starts before the child was born. Reported on the episode and, as DfE does, on
    the child's header DOB (DfE checks the first episode; we flag every such episode)."""
    eps = ctx.raw["episodes"]
    child_dob = _from_header(ctx, eps["CHILD"], ctx.dates["header"]["DOB"])
    decom = ctx.dates["episodes"]["DECOM"]
    rows = eps.index[child_dob.notna() & decom.notna() & (decom < child_dob)]
    head = ctx.raw["header"]
    children = set(eps.loc[rows, "CHILD"])
    head_rows = head.index[head["CHILD"].isin(children) & ~head["CHILD"].duplicated(keep="first")]
    message = "First episode starts before child was born."
    return errors_at("episodes", rows, "DECOM", "302", message) + errors_at(
        "header", head_rows, "DOB", "302", message
    )


def _plus_years(dates: pd.Series, years: int) -> pd.Series:
    """``dates`` + ``years`` calendar years, NaT where the result would pass 2262 (never raises)."""
    safe = dates.where(dates < pd.Timestamp(2262 - years, 1, 1))
    out = pd.Series(pd.NaT, index=dates.index, dtype="datetime64[ns]")
    ok = safe.notna()
    if ok.any():
        out[ok] = safe[ok] + pd.DateOffset(years=years)
    return out


def rule_352_started_aged_18(ctx: Context) -> list[RowError]:
    """352: a child who started to be looked after (RNE S) was aged 18 or over."""
    eps = ctx.raw["episodes"]
    dob = _from_header(ctx, eps["CHILD"], ctx.dates["header"]["DOB"])
    decom = ctx.dates["episodes"]["DECOM"]
    dob18 = _plus_years(dob, 18)
    rows = eps.index[(eps["RNE"] == "S") & dob18.notna() & decom.notna() & (dob18 <= decom)]
    return errors_at(
        "episodes", rows, "DECOM", "352", "Child who started to be looked after was aged 18 or over."
    )


# Free-text identifiers are stored as given; their column lengths (rcc.db.models; a test compares).
STORED_MAX_LENGTH: dict[str, int] = {"CHILD": 40, "URN": 16}


def rule_rcc_stored_length(ctx: Context) -> list[RowError]:
    """RCC-LEN: an identifier longer than the register stores (CHILD 40, URN 16 characters)."""
    out: list[RowError] = []
    for table, raw in ctx.raw.items():
        for fld, limit in STORED_MAX_LENGTH.items():
            if fld in raw.columns:
                col = raw[fld]
                long = col[col.notna() & (col.astype(str).str.len() > limit)]
                out += errors_at(
                    table, long.index, fld, "RCC-LEN", f"{fld} is longer than {limit} characters."
                )
    return out
