"""Properties of the SSDA903 validator on returns built by tests/rcc/ssda903_strategies.py."""

from __future__ import annotations

import random

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.ssda903_gen import FAULTS, PREVIOUS_YEAR_CODES, to_files
from rcc.sufficiency.validation import DESCRIPTIONS, validate_return
from tests.rcc.ssda903_strategies import odd_returns, return_pairs, valid_returns

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(odd_returns())
def test_never_raises_and_every_problem_names_a_described_code(case):
    year, ret = case
    files = to_files(ret)
    report = validate_return(files, year, previous=files)
    n_rows = {t: len(rows) for t, rows in ret.items()}
    for e in report.errors:
        assert e.code in DESCRIPTIONS, e
        assert e.table in ("header", "episodes", "uasc")
        # a row problem names a row of the file and a field; a file problem names the file
        if e.row is not None:
            assert 1 <= e.row <= n_rows[e.table] and e.field is not None
    assert report.ok == (report.tables is not None)
    if not ret["header"] or not ret["episodes"]:
        assert any(e.code == "RCC-EMPTY" and e.row is None for e in report.errors)


@SETTINGS
@given(valid_returns())
def test_a_generated_valid_return_passes_with_typed_tables(case):
    year, ret = case
    report = validate_return(to_files(ret), year)
    assert report.ok, report.errors[:3]
    assert len(report.tables["episodes"]) == len(ret["episodes"])
    assert report.tables["episodes"]["DECOM"].dtype == "datetime64[ns]"
    assert report.tables["episodes"]["DECOM"].le(pd.Timestamp(year + 1, 3, 31)).all()


@SETTINGS
@given(return_pairs())
def test_consecutive_generated_returns_pass_the_previous_year_rules(case):
    year, prev, current = case
    report = validate_return(to_files(current), year, previous=to_files(prev))
    assert report.ok, report.errors[:3]


@SETTINGS
@given(return_pairs(), st.sampled_from(sorted(FAULTS)), st.randoms(use_true_random=False))
def test_each_injected_fault_is_flagged_by_its_rule(case, code, rng: random.Random):
    year, prev, current = case
    where = FAULTS[code](current, prev, year, rng)
    if where is None:  # this return has no row the fault applies to (e.g. no UASC child)
        return
    previous = to_files(prev) if code in PREVIOUS_YEAR_CODES else None
    report = validate_return(to_files(current), year, previous=previous)
    assert where in {(e.table, e.row) for e in report.errors if e.code == code}, (code, where, report.errors)
