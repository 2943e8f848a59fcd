"""The synthetic-region simulator: deterministic, SSDA903-shaped and valid against DfE's main rules."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from forecasting import observed_counts
from forecasting.categories import place_code_valid
from forecasting.synthetic import (
    EPISODE_COLUMNS,
    HEADER_COLUMNS,
    NO_PROVIDER_PLACES,
    EntrantShock,
    LASpec,
    RegionSpec,
    UASCRegime,
    history_from_returns,
    simulate_region,
)

SPEC = RegionSpec(
    las=(
        LASpec(
            "A",
            60,
            trend=0.03,
            short_break_children=15,
            uasc=(UASCRegime(dt.date(2022, 1, 1), dt.date(2023, 6, 30), 1.5),),
        ),
        LASpec("B", 35, trend=-0.02, stay_scale=1.2),
    ),
    first_year=2021,
    last_year=2025,
    warmup_years=6,
    seed=5,
)


@pytest.fixture(scope="module")
def region():
    return simulate_region(SPEC)


def test_deterministic_by_seed(region):
    again = simulate_region(SPEC)
    for la in region.returns:
        for y in region.returns[la]:
            for t in ("header", "episodes", "uasc"):
                pd.testing.assert_frame_equal(region.returns[la][y][t], again.returns[la][y][t])
    other = simulate_region(RegionSpec(las=SPEC.las, first_year=2021, last_year=2025, warmup_years=6, seed=6))
    assert not region.returns["A"][2024]["episodes"].equals(other.returns["A"][2024]["episodes"])


def test_tables_have_the_ssda903_columns(region):
    t = region.returns["A"][2023]
    assert tuple(t["episodes"].columns) == EPISODE_COLUMNS
    assert tuple(t["header"].columns) == HEADER_COLUMNS
    assert t["header"]["UPN"].str.match(r"^UN[124]$").all()  # no real pupil numbers
    assert set(t["uasc"].columns) == {"CHILD", "SEX", "DOB", "DUC"}
    assert set(t["uasc"]["CHILD"]) <= set(t["header"]["CHILD"])
    assert set(t["episodes"]["CHILD"]) == set(t["header"]["CHILD"])


def _dates(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s.replace("", None), format="%d/%m/%Y")


@pytest.mark.parametrize("year", [2021, 2023, 2024, 2025])
def test_returns_follow_dfe_main_rules(region, year):
    start, end = pd.Timestamp(f"{year}-04-01"), pd.Timestamp(f"{year + 1}-03-31")
    for la in region.returns:
        ep = region.returns[la][year]["episodes"].copy()
        hd = region.returns[la][year]["header"]
        decom, dec = _dates(ep["DECOM"]), _dates(ep["DEC"])
        # Every episode is open at some point in the year; DEC within the year or blank.
        assert (decom <= end).all() and (dec.isna() | ((dec >= start) & (dec <= end))).all()
        assert (dec.isna() | (dec >= decom)).all()
        # DEC and REC blank together.
        assert ((ep["DEC"] == "") == (ep["REC"] == "")).all()
        # Codes valid in the year; no provider for T*/Z*.
        assert all(place_code_valid(p, year) for p in ep["PLACE"])
        nop = ep["PLACE"].isin(NO_PROVIDER_PLACES)
        assert (ep.loc[nop, "PLACE_PROVIDER"] == "").all() and (ep.loc[~nop, "PLACE_PROVIDER"] != "").all()
        assert set(hd["SEX"]) <= ({"M", "F"} if year >= 2024 else {"1", "2"})
        # No overlaps; X1 is followed by the child's next episode the same day.
        ep["_decom"], ep["_dec"] = decom, dec
        ep = ep.sort_values(["CHILD", "_decom"])
        nxt = ep.groupby("CHILD")["_decom"].shift(-1)
        has_next = nxt.notna()
        assert (ep.loc[has_next, "_dec"].notna()).all()
        assert (ep.loc[has_next, "_dec"] <= nxt[has_next]).all()
        x1 = (ep["REC"] == "X1") & has_next
        assert (ep.loc[x1, "_dec"] == nxt[x1]).all()
        ended = ~ep["REC"].isin(["", "X1"])
        assert (~has_next[ended] | (nxt[ended] > ep.loc[ended, "_dec"])).all()
        # A placement change carries its reason; a new period of care starts with RNE S.
        prev_rec = ep.groupby("CHILD")["REC"].shift(1)
        prev_dec = ep.groupby("CHILD")["_dec"].shift(1)
        has_prev = prev_rec.notna()
        assert (prev_rec[has_prev & (ep["RNE"] == "S")] != "X1").all()
        cont = has_prev & (ep["RNE"] != "S")
        assert (prev_rec[cont] == "X1").all() and (prev_dec[cont] == ep.loc[cont, "_decom"]).all()
        assert (ep.loc[x1 & (ep["RNE"].shift(-1).isin(["P", "T"])), "REASON_PLACE_CHANGE"] != "").all()


def test_code_calendar(region):
    codes = {
        y: set().union(*(set(region.returns[la][y]["episodes"]["PLACE"]) for la in region.returns))
        for y in range(2021, 2026)
    }
    assert "K3" not in codes[2023] and "K3" in codes[2024] | codes[2025]
    assert "Z1" not in codes[2025] and codes[2025] & {"Z11", "Z12", "Z13", "Z14"}
    assert not codes[2025] & {"H5", "P2", "Z1"}
    for la in region.returns:  # P2 withdrawn 28 October 2023: no P2 episode starts after it
        ep = region.returns[la][2023]["episodes"]
        assert (_dates(ep.loc[ep["PLACE"] == "P2", "DECOM"]) < pd.Timestamp("2023-10-28")).all()


def test_history_from_returns_matches_truth(region):
    hist = history_from_returns(region)
    dates = [pd.Timestamp(f"{y}-03-31") for y in range(2022, 2027)]
    a = observed_counts(hist, dates, categories="coarse")
    b = observed_counts(region.truth, dates, categories="coarse")
    np.testing.assert_array_equal(a["count"].to_numpy(), b["count"].to_numpy())
    assert hist["UASC"].any() and a["count"].sum() > 0


def test_uasc_regime_and_leaving_at_18(region):
    t = region.truth
    u = t[t["UASC"]]
    first = u.sort_values("DECOM").drop_duplicates("CHILD")
    assert first["DECOM"].between(pd.Timestamp("2022-01-01"), pd.Timestamp("2023-06-30")).all()
    assert (first["la"] == "A").all()
    last = u.sort_values("DECOM").drop_duplicates("CHILD", keep="last")
    closed = last[last["DEC"].notna()]
    age = (closed["DEC"] - closed["DOB"]).dt.days / 365.25
    assert (age <= 18.01).all() and (age > 17.9).mean() > 0.7  # most UASC leave care at 18


def test_consecutive_years_continue_each_other(region):
    """As real returns do (and the previous-year checks expect): an episode open on 31 March is in the
    next year's return with the same child id and start, the same fields (its code recoded only when
    the old one is withdrawn), and then its end if it has one; the child's header row is the same."""
    from forecasting.synthetic import RECODE_IN_LATER_RETURNS

    for la, by_year in region.returns.items():
        years = sorted(by_year)
        for y, nxt in zip(years, years[1:], strict=False):
            ep, ep2 = by_year[y]["episodes"], by_year[nxt]["episodes"].set_index(["CHILD", "DECOM"])
            open_ = ep[ep["DEC"] == ""]
            assert len(open_) > 0
            for row in open_.itertuples(index=False):
                later = ep2.loc[(row.CHILD, row.DECOM)]
                for col in ("RNE", "LS", "CIN", "PLACE_PROVIDER", "HOME_POST", "PL_POST", "URN"):
                    assert later[col] == getattr(row, col), (la, y, row.CHILD, col)
                assert later["PLACE"] in (row.PLACE, RECODE_IN_LATER_RETURNS.get(row.PLACE))
            h, h2 = by_year[y]["header"].set_index("CHILD"), by_year[nxt]["header"].set_index("CHILD")
            for child in set(open_["CHILD"]):
                assert (
                    h2.at[child, "DOB"] == h.at[child, "DOB"]
                    and h2.at[child, "ETHNIC"] == h.at[child, "ETHNIC"]
                )


def test_entrant_shock_steps_up_entries_only_while_it_lasts():
    def starts(shocks: tuple) -> pd.Series:
        spec = RegionSpec(
            las=(LASpec("A", 120, shocks=shocks),), first_year=2021, last_year=2023, warmup_years=2, seed=9
        )
        t = simulate_region(spec).truth
        s = t[(t["RNE"] == "S") & ~t["UASC"]]
        return pd.to_datetime(s["DECOM"]).dt.year.value_counts().sort_index()

    base = starts(())
    shocked = starts((EntrantShock(dt.date(2022, 1, 1), dt.date(2022, 12, 31), 2.5),))
    assert shocked[2022] > 1.8 * base[2022]
    assert shocked[2021] == pytest.approx(base[2021], rel=0.25)
    assert shocked[2023] == pytest.approx(base[2023], rel=0.25)
