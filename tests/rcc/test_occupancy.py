"""The occupancy arithmetic (rcc.occupancy): a sweep over date intervals, checked against counting
day by day."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from rcc import occupancy

D0 = dt.date(2026, 1, 1)


def day(n: int) -> dt.date:
    return D0 + dt.timedelta(days=n)


intervals_st = st.lists(
    st.tuples(st.integers(0, 60), st.one_of(st.none(), st.integers(0, 70))).map(
        lambda t: (day(t[0]), None if t[1] is None else day(t[1]))
    ),
    max_size=12,
)


def brute_peak(ivs, start: dt.date, end: dt.date | None) -> int:
    last = end or day(80)  # past every interval end in the strategies
    days = [start + dt.timedelta(days=i) for i in range((last - start).days)] or []
    return max((occupancy.on_date(ivs, d) for d in days), default=0)


@given(intervals_st, st.integers(0, 70), st.one_of(st.none(), st.integers(0, 75)))
def test_peak_equals_the_busiest_day(ivs, s, e):
    start, end = day(s), None if e is None else day(e)
    if end is not None and end <= start:
        assert occupancy.peak(ivs, start, end) == 0
        return
    assert occupancy.peak(ivs, start, end) == brute_peak(ivs, start, end)


@given(intervals_st, st.integers(0, 70), st.integers(1, 10))
def test_adding_a_placement_that_fits_never_overbooks(ivs, s, registered):
    """Whatever is accepted by the free-place check keeps every day within registered places."""
    start = day(s)
    for length in (None, 5):
        end = None if length is None else start + dt.timedelta(days=length)
        if occupancy.free(registered, ivs, start, end) >= 1:
            after = [*ivs, (start, end)]
            before_peak = occupancy.peak(ivs, start, end)
            assert occupancy.peak(after, start, end) == before_peak + 1 <= registered


@given(intervals_st, st.integers(0, 70))
def test_peak_from_a_day_is_at_least_that_days_count(ivs, s):
    assert occupancy.peak(ivs, day(s)) >= occupancy.on_date(ivs, day(s))


def test_a_place_freed_on_a_day_can_be_taken_that_day():
    ivs = [(day(0), day(10))]
    assert occupancy.free(1, ivs, day(10)) == 1
    assert occupancy.free(1, ivs, day(9)) == 0


def test_a_booking_next_month_takes_the_place_for_an_open_ended_placement_today():
    ivs = [(day(30), None)]
    assert occupancy.on_date(ivs, day(0)) == 0
    assert occupancy.free(1, ivs, day(0)) == 0
    assert occupancy.free(1, ivs, day(0), day(30)) == 1  # a stay that ends when the booking starts fits


def test_overbooking_is_not_hidden():
    ivs = [(day(0), None)] * 3
    assert occupancy.free(1, ivs, day(0)) == -2
