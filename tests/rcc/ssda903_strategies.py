"""Hypothesis strategies that build SSDA903 returns, so a failing property shrinks to a small
return (one child, one or two episodes) instead of a random seed.

* :func:`care_histories` builds children (``bench.ssda903_gen.Child``: header fields plus a
  valid care history of episodes in periods of care); :func:`return_pairs` cuts the previous
  and the current collection year's return out of them (``bench.ssda903_gen.return_for``), so
  the two are consistent the way a case system's returns are.
* :func:`odd_returns` starts from a valid return and breaks it: odd dates (31/12/9999, 1600,
  29/02 of a common year, text), blank or odd cells, empty tables, missing uasc.
"""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import strategies as st

from bench.ssda903_gen import LEAVE_REC, STABLE_PLACES, Child, Return, return_for
from rcc.sufficiency.validation.codes import CIN_CODES, ETHNIC_CODES, LS_CODES

YEARS = st.integers(2021, 2026)
_LS = sorted(LS_CODES - {"V3", "V4"})


def _fmt(d: date) -> str:
    return d.strftime("%d/%m/%Y")


@st.composite
def episode_rows(draw: st.DrawFn, child_id: str, start: date, last: date) -> list[dict[str, str]]:
    """One child's care history from ``start``: one or two periods of care, each 1-4 episodes
    joined by X1 continuations (RNE P or L), the period ending with a leaving REC; an episode
    still running on ``last`` is open."""
    episodes: list[dict[str, str]] = []
    day = start
    for _period in range(draw(st.integers(1, 2))):
        cin, ls, rne = draw(st.sampled_from(sorted(CIN_CODES))), draw(st.sampled_from(_LS)), "S"
        k = draw(st.integers(1, 4))
        for n in range(k):
            ep = {
                "CHILD": child_id, "DECOM": _fmt(day), "RNE": rne, "LS": ls, "CIN": cin,
                "PLACE": draw(st.sampled_from(STABLE_PLACES)), "PLACE_PROVIDER": draw(st.sampled_from(["PR1", "PR4"])),
                "DEC": "", "REC": "", "REASON_PLACE_CHANGE": "CARPL" if rne == "P" else "",
                "HOME_POST": "NE1 4ST", "PL_POST": "NE2 1AA", "URN": "SC123456",
            }  # fmt: skip
            episodes.append(ep)
            end = day + timedelta(days=draw(st.integers(1, 400)))
            if end > last:
                return episodes
            ep["DEC"] = _fmt(end)
            if n < k - 1:
                ep["REC"], rne, day = "X1", draw(st.sampled_from("PL")), end
            else:
                ep["REC"] = draw(st.sampled_from(LEAVE_REC))
        day = end + timedelta(days=draw(st.integers(1, 300)))  # a gap, then a new period of care
        if day > last:
            break
    return episodes


@st.composite
def care_histories(draw: st.DrawFn, first: date, last: date, max_children: int = 4) -> list[Child]:
    """1..``max_children`` children whose care starts between ``first`` and ``last``, each aged
    under 14 when first looked after (so every RNE S start is before 18)."""
    n = draw(st.integers(1, max_children))
    kids = []
    for i in range(n):
        start = draw(st.dates(first, last))
        dob = start - timedelta(days=draw(st.integers(0, 14 * 365)))
        uasc = draw(st.booleans())
        kids.append(
            Child(
                child=f"C{i}",
                sex=draw(st.sampled_from((1, 2))),
                dob=dob,
                ethnic=draw(st.sampled_from(sorted(ETHNIC_CODES))),
                upn="A123456789012",
                uasc_duc=dob + timedelta(days=18 * 365) if uasc else None,
                episodes=draw(episode_rows(f"C{i}", start, last)),
            )
        )
    return kids


@st.composite
def return_pairs(draw: st.DrawFn) -> tuple[int, Return, Return]:
    """(collection year, last year's return, this year's return) cut from the same histories.
    At least one child is in this year's return."""
    year = draw(YEARS)
    kids = draw(care_histories(date(year - 2, 4, 1), date(year + 1, 3, 31)))
    current = return_for(kids, year)
    if not current["episodes"]:
        kids[0].episodes = draw(episode_rows(kids[0].child, date(year, 6, 1), date(year + 1, 3, 31)))
        current = return_for(kids, year)
    return year, return_for(kids, year - 1), current


@st.composite
def valid_returns(draw: st.DrawFn) -> tuple[int, Return]:
    year, _, current = draw(return_pairs())
    return year, current


ODD_DATES = st.one_of(
    st.sampled_from(
        [
            "31/12/9999",
            "01/01/0001",
            "01/01/1600",
            "21/09/1677",
            "12/04/2262",
            "29/02/2023",
            "00/00/0000",
            "2021-13-01",
            "12/31/2021",
            "9999-12-31",
            "1/1/21",
            " ",
            "01/01/2021 00:00",
        ]
    ),  # fmt: skip
    st.dates(date(1, 1, 1), date(9999, 12, 31)).map(lambda d: d.strftime("%d/%m/") + f"{d.year:04d}"),
    st.dates(date(1, 1, 1), date(9999, 12, 31)).map(lambda d: f"{d.year:04d}-{d.month:02d}-{d.day:02d}"),
    st.text(max_size=12),
)
ODD_CELLS = st.one_of(ODD_DATES, st.sampled_from(["", "X1", "P2", "S", "1.0", "NaN", "None", "k3", '"', ","]))
DATE_COLUMNS = {"header": ("DOB", "MC_DOB"), "episodes": ("DECOM", "DEC"), "uasc": ("DOB", "DUC")}


@st.composite
def odd_returns(draw: st.DrawFn) -> tuple[int, Return]:
    """A valid return with some cells replaced by odd values, and possibly emptied tables."""
    year, ret = draw(valid_returns())
    for table, rows in ret.items():
        for row in rows:
            for col in row:
                if draw(st.integers(0, 9)) == 0:
                    row[col] = draw(ODD_DATES if col in DATE_COLUMNS[table] else ODD_CELLS)
    for table in ("header", "episodes", "uasc"):
        if draw(st.integers(0, 7)) == 0:
            ret[table] = []
    if draw(st.booleans()):
        ret.pop("uasc")
    return year, ret
