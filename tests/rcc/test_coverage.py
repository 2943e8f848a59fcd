"""Headlines say what a figure is built on: the LAs missing and a stale origin."""

from __future__ import annotations

import datetime as dt

from rcc.sufficiency.coverage import caveat, coverage, data_label, headline

CODES = ["E1", "E2", "E3"]
NAMES = {"E1": "Hartlepool", "E2": "Darlington", "E3": "Durham"}
TODAY = dt.date(2026, 11, 30)


def test_missing_las_and_stale_origin_are_in_the_headline():
    cov = coverage(CODES, NAMES, ["E1"], "2022-03-31", TODAY)
    assert [x["name"] for x in cov["las_missing"]] == ["Darlington", "Durham"]
    assert cov["stale"] and not cov["complete"]
    text = headline("The area needs 0 more places by 2023-03-31", cov)
    assert text.startswith("The area needs 0 more places by 2023-03-31 (returns to 2022-03-31)")
    assert "built on 1 of 3 LAs' returns; no returns from Darlington, Durham" in text
    assert "the returns end 2022-03-31, 4 years 8 months ago" in text
    assert data_label(cov, "North East RCC") == "Hartlepool only (1 of 3 LAs); returns to 2022-03-31"


def test_complete_and_current_data_has_no_caveat():
    cov = coverage(CODES, NAMES, CODES, "2026-03-31", TODAY)
    assert cov["complete"] and caveat(cov) == ""
    assert (
        headline("The area needs 4 more places", cov)
        == "The area needs 4 more places (returns to 2026-03-31)."
    )
    assert data_label(cov, "North East RCC") == "North East RCC; returns to 2026-03-31"


def test_no_returns_at_all():
    cov = coverage(CODES, NAMES, [], None, TODAY)
    assert headline("anything", cov) == "No forecast: none of the 3 LAs has SSDA903 returns stored."
