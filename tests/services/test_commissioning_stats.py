"""Pure commissioning arithmetic on hand-checked numbers: quantiles, suppression, shares, HHI, groupings."""

from __future__ import annotations

import datetime as dt

import pytest

from rcc.commissioning import stats as st


def test_quantiles_interpolate_between_closest_ranks():
    xs = [1000, 2000, 3000, 4000, 5000]
    assert st.quantile(xs, 0.5) == 3000 and st.quantile(xs, 0.25) == 2000 and st.quantile(xs, 0.75) == 4000
    # n = 4: positions 0.75, 1.5, 2.25 -> 1 + 0.75*(2-1), 2.5, 3 + 0.25*(4-3)
    assert [st.quantile([4, 1, 3, 2], q) for q in (0.25, 0.5, 0.75)] == [1.75, 2.5, 3.25]
    assert st.quantile([7], 0.5) == 7
    with pytest.raises(ValueError):
        st.quantile([], 0.5)


def test_summary_is_suppressed_below_five():
    four = st.summarise([100, 200, 300, 400])
    assert four.suppressed and four.n is None and four.median is None and four.q1 is None
    assert "fewer than 5" in four.caveat
    five = st.summarise([500, 100, 400, 200, 300])
    assert not five.suppressed and (five.n, five.median, five.q1, five.q3, five.mean) == (
        5,
        300,
        200,
        400,
        300,
    )
    assert "small base" in five.caveat  # 5-9: shown, with a warning
    ten = st.summarise(range(10))
    assert ten.caveat is None and ten.median == 4.5
    none = st.summarise([])
    assert none.n == 0 and not none.suppressed and none.caveat == "no placements"


def test_counts_and_shares_suppress_one_to_four():
    assert st.count(0).value == 0 and st.count(4).suppressed and st.count(5).value == 5
    s = st.share(5, 18)
    assert (s.numerator, s.denominator, s.percent, s.suppressed) == (5, 18, 27.8, False)
    assert st.share(0, 11).percent == 0.0  # zero is shown
    small_num = st.share(1, 11)
    assert small_num.suppressed and small_num.percent is None and small_num.denominator == 11
    small_base = st.share(4, 4)
    assert small_base.suppressed and small_base.denominator is None
    with pytest.raises(ValueError):
        st.share(3, 2)


def test_difference_needs_both_medians():
    a, b = st.summarise([1600] * 8), st.summarise([800] * 18)
    assert st.difference(a, b) == (800, 2.0)
    assert st.difference(st.summarise([1, 2]), b) == (None, None)


def test_hhi_on_percentage_shares():
    assert st.hhi({"only": 7}) == 10000
    assert st.hhi({"a": 1, "b": 1, "c": 1, "d": 1}) == 2500  # 4 x 25^2
    # 6, 12 and 1 places: 10,000 x (36 + 144 + 1) / 19^2 = 5,013.85
    assert st.hhi({"Acme": 6, "Beta": 12, "LA": 1}) == 5013.9
    assert st.hhi({}) == 0
    assert st.percentage_shares({"a": 1, "b": 3}) == {"a": 25.0, "b": 75.0}


def test_concentration_bands():
    assert st.concentration_level(1499.9) == "unconcentrated"
    assert st.concentration_level(1500) == "moderately concentrated"
    assert st.concentration_level(2500) == "moderately concentrated"
    assert st.concentration_level(2500.1) == "highly concentrated"
    assert (
        st.concentration_level(1200, moderate=1000, high=2000) == "moderately concentrated"
    )  # UK 2010 bands


def test_owner_group_key_falls_back_to_the_provider():
    assert st.owner_group_key("Acme Group", "Acme Care", 3) == "Acme Group"
    assert st.owner_group_key(None, "Solo Homes", 9) == "Solo Homes (provider 9)"
    assert st.owner_group_key("  ", "Solo Homes", 9) == "Solo Homes (provider 9)"


def test_ethnic_groups_and_age_bands():
    assert [st.ethnic_group(c) for c in ("WBRI", "wroM", "MWBA", "APKN", "BAFR", "CHNE", "OOTH")] == [
        "White", "White", "Mixed", "Asian", "Black", "Other", "Other",
    ]  # fmt: skip
    assert st.ethnic_group("REFU") == st.ethnic_group("NOBT") == st.ethnic_group(None) == "Not known"
    assert set(st.ETHNIC_GROUP.values()) == {"White", "Mixed", "Asian", "Black", "Other"}
    assert [st.age_band(a) for a in (0, 1, 4, 5, 9, 10, 15, 16, 17, 18)] == [
        "under 1", "1-4", "1-4", "5-9", "5-9", "10-15", "10-15", "16-17", "16-17", "18 and over",
    ]  # fmt: skip


def test_distance_in_miles():
    assert st.miles(0, 0, 1609.344 * 20, 0) == pytest.approx(20.0)
    assert st.miles(0, 0, 3000, 4000) == pytest.approx(5000 / 1609.344)


def test_quarters_and_windows():
    assert st.quarter_of(dt.date(2024, 11, 5)) == "2024-Q4"
    assert st.quarter_end(dt.date(2024, 11, 5)) == dt.date(2024, 12, 31)
    assert st.quarter_end(dt.date(2024, 2, 29)) == dt.date(2024, 3, 31)
    assert st.quarter_ends(dt.date(2024, 4, 1), dt.date(2025, 3, 31)) == [
        dt.date(2024, 6, 30), dt.date(2024, 9, 30), dt.date(2024, 12, 31), dt.date(2025, 3, 31),
    ]  # fmt: skip
    assert st.quarter_ends(dt.date(2024, 4, 1), dt.date(2024, 6, 29)) == []
    assert st.year_before(dt.date(2025, 3, 31)) == dt.date(2024, 4, 1)
    assert st.year_before(dt.date(2024, 2, 29)) == dt.date(2023, 3, 1)
    # end dates are exclusive: a placement ending on a day no longer counts on it
    assert st.active_on(dt.date(2024, 1, 1), dt.date(2024, 7, 1), dt.date(2024, 6, 30))
    assert not st.active_on(dt.date(2024, 1, 1), dt.date(2024, 7, 1), dt.date(2024, 7, 1))
    assert st.active_between(dt.date(2024, 1, 1), None, dt.date(2024, 4, 1), dt.date(2025, 3, 31))
    assert not st.active_between(
        dt.date(2024, 1, 1), dt.date(2024, 4, 1), dt.date(2024, 4, 1), dt.date(2025, 3, 31)
    )
