"""Preparing SSDA903 returns as the forecast's ``history`` input.

``history`` (one row per episode, any number of local authorities)::

    la                   str       local authority (any label; the region is the sum of LAs)
    CHILD                str       child identifier (unique within an LA)
    DOB                  datetime  date of birth (from the header)
    SEX                  int/str   from the header (not used by the model)
    DECOM                datetime  episode start
    DEC                  datetime  episode end, NaT while open
    LS                   str       legal status (V3/V4 = short breaks, not counted)
    PLACE                str       placement type code
    PLACE_PROVIDER       str       placement provider code (PR0..PR5)
    REC                  str       reason episode ceased (X1 = episode continues)
    REASON_PLACE_CHANGE  str       reason for placement change
    RNE                  str       reason for new episode (optional)
    UASC                 bool      unaccompanied asylum-seeking child (appears in a UASC table)
    observed_from        datetime  optional: first date the returns fully cover (children who
                                   left care before it are missing); set by episodes_from_returns
    first_seen           datetime  optional: end of the collection year of the first return that
                                   listed the episode; lets the model learn how much later returns
                                   add to the stock (late-reported children)

Nothing here reads files: the caller loads the CSVs and passes DataFrames in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from forecasting.categories import (
    AGE_BANDS,
    COARSE_CATEGORIES,
    FINE_CATEGORIES,
    FINE_TO_COARSE,
    SHORT_BREAK_LEGAL_STATUSES,
    age_band_on,
    place_categories,
)

HISTORY_COLUMNS: tuple[str, ...] = (
    "la",
    "CHILD",
    "DOB",
    "SEX",
    "DECOM",
    "DEC",
    "LS",
    "PLACE",
    "PLACE_PROVIDER",
    "REC",
    "REASON_PLACE_CHANGE",
    "RNE",
    "UASC",
)

REGION = "RCC"


def _as_list(tables: pd.DataFrame | Sequence[pd.DataFrame] | Mapping | None) -> list[pd.DataFrame]:
    if tables is None:
        return []
    if isinstance(tables, pd.DataFrame):
        return [tables]
    if isinstance(tables, Mapping):
        return [tables[k] for k in sorted(tables)]
    return list(tables)


def parse_dates(values: pd.Series) -> pd.Series:
    """SSDA903 dates (dd/mm/yyyy strings, or already datetimes) as datetime64."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return pd.to_datetime(values).astype("datetime64[ns]")
    s = values.astype("string").str.strip()
    out = pd.to_datetime(s, format="%d/%m/%Y", errors="coerce")
    iso = out.isna() & s.notna() & (s != "")
    if iso.any():
        out[iso] = pd.to_datetime(s[iso], errors="coerce")
    return out.astype("datetime64[ns]")


def episodes_from_returns(
    header: pd.DataFrame | Sequence[pd.DataFrame] | Mapping,
    episodes: pd.DataFrame | Sequence[pd.DataFrame] | Mapping,
    uasc: pd.DataFrame | Sequence[pd.DataFrame] | Mapping | None = None,
    la: str = "LA",
    close_unlisted: bool = False,
) -> pd.DataFrame:
    """Combine one LA's SSDA903 returns (oldest first) into the ``history`` table.

    Each argument is a DataFrame, a list of DataFrames ordered oldest collection year
    first, or a mapping collection-year -> DataFrame. Later returns revise earlier
    ones: episodes are deduplicated on CHILD + DECOM keeping the latest return's row,
    and the header (DOB, SEX) is taken from the latest return that lists the child. Each
    return covers the collection year ending on the first 31 March on or after its latest
    DECOM. With ``close_unlisted=True`` an episode left open by a return but absent from all
    later returns (which should list every episode open during their years) is closed the
    day after that year end; the default keeps it open (plain CHILD + DECOM dedupe).
    An episode whose end is missing or later than the child's next episode start is
    closed at that start (the later return is authoritative). A child is UASC if any
    UASC table lists them.
    """
    ep_list = _as_list(episodes)
    hd_list = _as_list(header)
    if not ep_list:
        raise ValueError("no episodes given")
    eps = []
    for i, e in enumerate(ep_list):
        e = e.copy()
        e["_ret"] = i
        eps.append(e)
    ep = pd.concat(eps, ignore_index=True)
    ep["CHILD"] = ep["CHILD"].astype(str)
    ep["DECOM"] = parse_dates(ep["DECOM"])
    ep["DEC"] = parse_dates(ep["DEC"]) if "DEC" in ep else pd.NaT
    ep = ep.dropna(subset=["DECOM"])
    # Each return covers the collection year ending on the first 31 March on or after its
    # latest episode start.
    ret_end = {}
    for r, g in ep.groupby("_ret"):
        last = g["DECOM"].max()
        end = pd.Timestamp(year=last.year, month=3, day=31)
        ret_end[r] = end if end >= last else pd.Timestamp(year=last.year + 1, month=3, day=31)
    first_ret = ep.groupby(["CHILD", "DECOM"])["_ret"].transform("min")
    ep["first_seen"] = first_ret.map(ret_end).astype("datetime64[ns]")
    ep = ep.sort_values(["CHILD", "DECOM", "_ret"], kind="stable")
    ep = ep.drop_duplicates(["CHILD", "DECOM"], keep="last")
    # An episode open at the end of a return but absent from every later return was not open
    # during the later years: close it the day after its return's year end.
    last_ret = max(ret_end) if close_unlisted else -1
    for r, end in ret_end.items():
        if r == last_ret or last_ret < 0:
            continue
        stale = (ep["_ret"] == r) & ep["DEC"].isna()
        ep.loc[stale, "DEC"] = end + pd.Timedelta(days=1)
        if "REC" in ep:
            ep["REC"] = ep["REC"].astype(object)
            ep.loc[stale, "REC"] = None

    hds = []
    for i, h in enumerate(hd_list):
        h = h.copy()
        h["_ret"] = i
        hds.append(h)
    if hds:
        hd = pd.concat(hds, ignore_index=True)
        hd["CHILD"] = hd["CHILD"].astype(str)
        hd = hd.sort_values("_ret", kind="stable").drop_duplicates("CHILD", keep="last")
        hd["DOB"] = parse_dates(hd["DOB"])
        cols = ["CHILD", "DOB"] + (["SEX"] if "SEX" in hd else [])
        ep = ep.drop(columns=[c for c in ("DOB", "SEX") if c in ep], errors="ignore")
        ep = ep.merge(hd[cols], on="CHILD", how="left")
    elif "DOB" in ep:
        ep["DOB"] = parse_dates(ep["DOB"])
    else:
        raise ValueError("no header (DOB) given")

    u_ids: set[str] = set()
    for u in _as_list(uasc):
        u_ids.update(u["CHILD"].astype(str))
    ep["UASC"] = ep["CHILD"].isin(u_ids)
    ep["la"] = la
    # First date the returns fully cover: the day before the oldest return's first episode end.
    oldest = ep[ep["_ret"] == ep["_ret"].min()]["DEC"]
    first_end = oldest.min() if oldest.notna().any() else ep["DECOM"].min()
    ep["observed_from"] = first_end - pd.Timedelta(days=1)
    ep = _close_overlaps(ep)
    for c in HISTORY_COLUMNS:
        if c not in ep:
            ep[c] = pd.NA
    return ep[[*HISTORY_COLUMNS, "observed_from", "first_seen"]].reset_index(drop=True)


def _close_overlaps(ep: pd.DataFrame) -> pd.DataFrame:
    ep = ep.sort_values(["la", "CHILD", "DECOM"], kind="stable").reset_index(drop=True)
    nxt = ep.groupby(["la", "CHILD"], sort=False)["DECOM"].shift(-1)
    fix = nxt.notna() & (ep["DEC"].isna() | (ep["DEC"] > nxt))
    ep.loc[fix, "DEC"] = nxt[fix]
    return ep


def infer_observed_from(history: pd.DataFrame) -> pd.Timestamp:
    """First date ``history`` fully covers: its ``observed_from`` column (latest over LAs) if
    present, else the day before its earliest episode end."""
    if "observed_from" in history and history["observed_from"].notna().any():
        return pd.Timestamp(history.groupby("la")["observed_from"].min().max())
    if history["DEC"].notna().any():
        return pd.Timestamp(history["DEC"].min()) - pd.Timedelta(days=1)
    return pd.Timestamp(history["DECOM"].min())


def as_of(episodes: pd.DataFrame, origin: object) -> pd.DataFrame:
    """What was knowable at ``origin``: episodes starting after it are dropped, and an end
    (with its reason) after it is unknown (NaT)."""
    origin = pd.Timestamp(origin)
    out = episodes[episodes["DECOM"] <= origin].copy()
    late = out["DEC"] > origin
    out.loc[late, "DEC"] = pd.NaT
    for c in ("REC", "REASON_PLACE_CHANGE"):
        if c in out:
            out[c] = out[c].astype(object)
            out.loc[late, c] = None
    return out


def month_ends(origin: object, horizon: int) -> pd.DatetimeIndex:
    """The ``horizon`` month-end dates after ``origin`` (origin itself rolled to its month end)."""
    start = pd.Timestamp(origin) + pd.offsets.MonthEnd(0)
    return pd.date_range(start, periods=horizon + 1, freq="ME")[1:]


def without_short_breaks(episodes: pd.DataFrame) -> pd.DataFrame:
    """The episodes whose legal status is not a short break (V3/V4): those count as looked after."""
    ls = episodes["LS"].astype("string").str.upper()
    return episodes[~ls.isin(SHORT_BREAK_LEGAL_STATUSES).fillna(False)]


def open_on(episodes: pd.DataFrame, d: pd.Timestamp) -> tuple[pd.Series, np.ndarray]:
    """Which episodes are open on ``d`` (DECOM <= d and DEC NaT or after d), and the age band on
    ``d`` of each open episode's child (-1: 18 or over, not looked after)."""
    on = (episodes["DECOM"] <= d) & (episodes["DEC"].isna() | (episodes["DEC"] > d))
    return on, age_band_on(episodes.loc[on, "DOB"], d)


def observed_counts(
    episodes: pd.DataFrame,
    dates: Iterable,
    categories: str = "fine",
    uasc: bool | None = None,
    region: str | None = REGION,
) -> pd.DataFrame:
    """Children looked after on each date, by la x age band (age on that date) x placement.

    A child counts on date d when an episode has DECOM <= d and (DEC is NaT or DEC > d),
    its legal status is not V3/V4, and the child is under 18 on d. Returns the complete
    grid (zeros included), long format: la, age_band, placement, period, count; with
    ``region`` rows summing the LAs unless ``region`` is None.
    """
    cats = FINE_CATEGORIES if categories == "fine" else COARSE_CATEGORIES
    ep = episodes
    if uasc is not None:
        ep = ep[ep["UASC"].astype(bool) == uasc]
    ep = without_short_breaks(ep)
    fine = place_categories(ep["PLACE"], ep["PLACE_PROVIDER"])
    place = fine if categories == "fine" else fine.map(FINE_TO_COARSE)
    las = sorted(episodes["la"].astype(str).unique())
    frames = []
    for d in dates:
        d = pd.Timestamp(d)
        on, band = open_on(ep, d)
        sub = ep[on]
        keep = band >= 0
        df = pd.DataFrame(
            {
                "la": sub["la"].astype(str).to_numpy()[keep],
                "age_band": np.asarray(AGE_BANDS)[band[keep]],
                "placement": place[on].to_numpy()[keep],
            }
        )
        grid = pd.MultiIndex.from_product([las, AGE_BANDS, cats], names=["la", "age_band", "placement"])
        c = df.groupby(["la", "age_band", "placement"]).size().reindex(grid, fill_value=0)
        c = c.rename("count").reset_index()
        c["period"] = d
        frames.append(c)
    out = pd.concat(frames, ignore_index=True)
    if region is not None and len(las) > 0:
        reg = out.groupby(["age_band", "placement", "period"], sort=False, as_index=False)["count"].sum()
        reg["la"] = region
        out = pd.concat([out, reg[out.columns]], ignore_index=True)
    out["count"] = out["count"].astype(float)
    return out[["la", "age_band", "placement", "period", "count"]]


def default_origins(
    history: pd.DataFrame, horizon: int = 12, n_windows: int = 4, step_months: int = 12
) -> list[pd.Timestamp]:
    """The last ``n_windows`` month-ends, ``step_months`` apart, that leave ``horizon`` months of outcome."""
    last = pd.concat([history["DECOM"], history["DEC"]]).max()
    last = last if last.is_month_end else last - pd.offsets.MonthEnd(1)
    first = last - pd.DateOffset(months=horizon)
    return [first - pd.DateOffset(months=step_months * k) + pd.offsets.MonthEnd(0) for k in range(n_windows)][
        ::-1
    ]
