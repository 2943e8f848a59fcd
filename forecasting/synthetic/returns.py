"""Cutting the simulated episodes into each collection year's SSDA903 tables, and back to a history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from forecasting.categories import place_code_valid
from forecasting.data import episodes_from_returns
from forecasting.ssda903_columns import EPISODE_COLUMNS, EPISODE_FIELDS, HEADER_COLUMNS, UASC_COLUMNS
from forecasting.synthetic.children import _add_years, _Child, _d
from forecasting.synthetic.spec import RECODE_IN_LATER_RETURNS, RegionSpec, SyntheticRegion

__all__ = ["EPISODE_COLUMNS", "HEADER_COLUMNS", "UASC_COLUMNS", "history_from_returns"]

_EP_COLS = EPISODE_FIELDS


def _fmt(days: np.ndarray) -> np.ndarray:
    d = (np.datetime64("1970-01-01") + days.astype("timedelta64[D]")).astype("datetime64[D]")
    s = pd.to_datetime(d).strftime("%d/%m/%Y")
    return np.asarray(s, dtype=object)


def _cut_returns(
    children: list[_Child], la: str, spec: RegionSpec
) -> tuple[dict[int, dict[str, pd.DataFrame]], pd.DataFrame]:
    rows = []
    for c in children:
        for e in c.eps:
            rows.append((c.id, c.dob, c.sex, c.ethnic, c.uasc, *e))
    cols = ["CHILD", "dob", "sex", "ETHNIC", "uasc", *_EP_COLS]
    df = pd.DataFrame(rows, columns=cols)
    big = np.iinfo(np.int64).max // 4
    dec = df["DEC"].to_numpy(dtype=float)
    dec_i = np.full(len(dec), big, dtype=np.int64)
    dec_i[~np.isnan(dec)] = dec[~np.isnan(dec)].astype(np.int64)
    decom = df["DECOM"].to_numpy(dtype=np.int64)
    dob = df["dob"].to_numpy(dtype=np.int64)
    out: dict[int, dict[str, pd.DataFrame]] = {}
    for y in range(spec.first_year, spec.last_year + 1):
        ys, ye = _d(dt.date(y, 4, 1)), _d(dt.date(y + 1, 3, 31))
        sel = (decom <= ye) & (dec_i >= ys)
        sub = df[sel]
        ep = pd.DataFrame({"CHILD": sub["CHILD"].to_numpy()})
        ep["DECOM"] = _fmt(decom[sel])
        open_ = dec_i[sel] > ye
        dec_s = _fmt(np.where(open_, 0, dec_i[sel]))
        dec_s[open_] = ""
        for col in ("RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER"):
            ep[col] = sub[col].to_numpy()
        stale = ~ep["PLACE"].map(lambda c, y=y: place_code_valid(c, y)).to_numpy(dtype=bool)
        if stale.any():
            ep.loc[stale, "PLACE"] = ep.loc[stale, "PLACE"].map(RECODE_IN_LATER_RETURNS)
        ep["DEC"] = dec_s
        rec = sub["REC"].to_numpy(dtype=object).copy()
        rec[open_] = ""
        rpc = sub["REASON_PLACE_CHANGE"].to_numpy(dtype=object).copy()
        rpc[open_] = ""
        ep["REC"] = rec
        ep["REASON_PLACE_CHANGE"] = rpc
        for col in ("HOME_POST", "PL_POST", "URN"):
            ep[col] = sub[col].to_numpy()
        ep = ep.fillna("").astype(str)
        kids = sub.drop_duplicates("CHILD")
        sex = kids["sex"].to_numpy()
        sex_s = np.where(sex == 1, "M", "F") if y >= 2024 else sex.astype(str)
        kid_dob = kids["dob"].to_numpy(dtype=np.int64)
        # No real pupil numbers: DfE's "UPN unknown" codes (UN1 under school age, UN4 newly
        # arrived from overseas, UN2 otherwise). MOTHER and MC_DOB are left blank.
        upn = np.where(
            (ye - kid_dob) < 6 * 365.25, "UN1", np.where(kids["uasc"].to_numpy(dtype=bool), "UN4", "UN2")
        )
        header = pd.DataFrame(
            {
                "CHILD": kids["CHILD"].to_numpy(),
                "SEX": sex_s,
                "DOB": _fmt(kid_dob),
                "ETHNIC": kids["ETHNIC"].to_numpy(),
                "UPN": upn,
                "MOTHER": "",
                "MC_DOB": "",
            }
        )
        u = kids[kids["uasc"].to_numpy(dtype=bool)]
        duc = np.array([_add_years(int(b), 18) for b in u["dob"]], dtype=np.int64)
        uasc = pd.DataFrame(
            {
                "CHILD": u["CHILD"].to_numpy(),
                "SEX": sex_s[kids["uasc"].to_numpy(dtype=bool)],
                "DOB": _fmt(u["dob"].to_numpy(dtype=np.int64)),
                "DUC": _fmt(duc),
            }
        )
        out[y] = {"header": header, "episodes": ep[list(EPISODE_COLUMNS)], "uasc": uasc}
    # Truth (history schema): every episode, real end dates.
    epoch = np.datetime64("1970-01-01")
    truth = pd.DataFrame(
        {
            "la": la,
            "CHILD": df["CHILD"].to_numpy(),
            "DOB": pd.to_datetime(epoch + dob.astype("timedelta64[D]")),
            "SEX": df["sex"].to_numpy(),
            "ETHNIC": df["ETHNIC"].to_numpy(),
            "DECOM": pd.to_datetime(epoch + decom.astype("timedelta64[D]")),
            "DEC": pd.to_datetime(
                np.where(
                    dec_i == big,
                    np.datetime64("NaT"),
                    epoch + np.minimum(dec_i, 10**6).astype("timedelta64[D]"),
                )
            ),
            "LS": df["LS"].to_numpy(),
            "PLACE": df["PLACE"].to_numpy(),
            "PLACE_PROVIDER": df["PLACE_PROVIDER"].replace("", None).to_numpy(),
            "REC": df["REC"].to_numpy(),
            "REASON_PLACE_CHANGE": df["REASON_PLACE_CHANGE"].to_numpy(),
            "RNE": df["RNE"].to_numpy(),
            "UASC": df["uasc"].to_numpy(dtype=bool),
        }
    )
    return out, truth


def history_from_returns(
    region: SyntheticRegion, years: Sequence[int] | None = None, las: Sequence[str] | None = None
) -> pd.DataFrame:
    """The forecast's ``history`` from the region's returns for ``years`` (default all), one LA
    at a time through :func:`forecasting.data.episodes_from_returns`, concatenated."""
    frames = []
    for la, by_year in region.returns.items():
        if las is not None and la not in las:
            continue
        ys = sorted(y for y in by_year if years is None or y in years)
        if not ys:
            continue
        frames.append(
            episodes_from_returns(
                [by_year[y]["header"] for y in ys],
                [by_year[y]["episodes"] for y in ys],
                [by_year[y]["uasc"] for y in ys],
                la=la,
            )
        )
    return pd.concat(frames, ignore_index=True)
