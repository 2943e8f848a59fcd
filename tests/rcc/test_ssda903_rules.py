"""One-child examples for the DfE rules that protect the episode counts, the previous-year rules,
out-of-range dates and empty tables (rcc.sufficiency.validation)."""

from __future__ import annotations

import pytest

from rcc.sufficiency.validation import DESCRIPTIONS, OWN_CODES, RULES, ValidationReport, validate_return
from tests.ssda903_builders import child, episode, files

Y = 2023  # 2023-24: 1 April 2023 - 31 March 2024


def found(report: ValidationReport) -> list[tuple[str, int | None, str | None, str]]:
    return sorted((e.table, e.row, e.field, e.code) for e in report.errors)


def one_child(*episodes: dict, year: int = Y, **header) -> ValidationReport:
    header = {"SEX": "M" if year >= 2024 else "1"} | header  # SEX codes changed in 2024-25
    return validate_return(files([child("A", **header)], list(episodes)), year)


def test_one_child_clean_chain_passes():
    report = one_child(
        episode("A", "01/05/2023", "01/08/2023", REC="X1"),
        episode("A", "01/08/2023", "01/01/2024", RNE="P", REC="E11"),
    )
    assert report.ok


# --- 148, 388, 142 --------------------------------------------------------------------------


def test_148_rec_on_an_open_episode():
    assert found(one_child(episode("A", "01/05/2023", REC="E11"))) == [("episodes", 1, "REC", "148")]


def test_148_dec_without_rec():
    assert found(one_child(episode("A", "01/05/2023", "01/06/2023", REC=""))) == [
        ("episodes", 1, "REC", "148")
    ]


def test_388_last_episode_ends_x1_so_the_child_would_silently_leave_care():
    assert found(one_child(episode("A", "01/05/2023", "01/06/2023", REC="X1"))) == [
        ("episodes", 1, "REC", "388")
    ]


def test_388_x1_but_next_episode_starts_another_day():
    report = one_child(
        episode("A", "01/05/2023", "01/06/2023", REC="X1"), episode("A", "05/06/2023", RNE="P")
    )
    assert found(report) == [("episodes", 1, "REC", "388"), ("episodes", 2, "RNE", "433")]


def test_388_same_day_continuation_not_coded_x1():
    report = one_child(
        episode("A", "01/05/2023", "01/06/2023", REC="E11"), episode("A", "01/06/2023", RNE="P")
    )
    assert ("episodes", 1, "REC", "388") in found(report)
    assert ("episodes", 2, "RNE", "432") in found(report)  # left care, yet not a new start


# --- 431, 432, 433, 437, 357 ----------------------------------------------------------------


def test_431_rne_s_but_previous_episode_ends_that_day():
    report = one_child(episode("A", "01/05/2023", "01/06/2023", REC="X1"), episode("A", "01/06/2023"))
    assert found(report) == [("episodes", 2, "RNE", "431")]


def test_432_left_care_then_new_episode_not_s():
    report = one_child(
        episode("A", "01/05/2023", "01/06/2023", REC="E11"), episode("A", "01/07/2023", RNE="P")
    )
    assert found(report) == [("episodes", 2, "RNE", "432"), ("episodes", 2, "RNE", "433")]


def test_433_continuation_after_a_gap():
    report = one_child(
        episode("A", "01/05/2023", "01/06/2023", REC="X1"), episode("A", "03/06/2023", RNE="L")
    )
    assert ("episodes", 2, "RNE", "433") in found(report)


def test_437_died_then_more_episodes():
    report = one_child(episode("A", "01/05/2023", "01/06/2023", REC="E2"), episode("A", "01/07/2023"))
    assert found(report) == [("episodes", 1, "REC", "437")]


def test_357_first_episode_in_year_must_be_s():
    assert found(one_child(episode("A", "01/05/2023", RNE="P"))) == [("episodes", 1, "RNE", "357")]


def test_357_not_applied_to_an_episode_that_began_before_the_year():
    assert one_child(episode("A", "01/05/2022", RNE="P")).ok


# --- 352, 355, 217t, 354, 501, 142 -----------------------------------------------------------


def test_352_started_care_aged_18():
    report = one_child(episode("A", "01/05/2023"), DOB="01/05/2005")
    assert found(report) == [("episodes", 1, "DECOM", "352")]
    assert one_child(episode("A", "01/05/2023"), DOB="02/05/2005").ok  # 17 years 364 days


def test_355_episode_under_24_hours():
    assert found(one_child(episode("A", "01/05/2023", "01/05/2023"))) == [("episodes", 1, "DEC", "355")]


@pytest.mark.parametrize(
    ("year", "dec", "flagged"), [(2023, "", True), (2023, "27/10/2023", False), (2024, "", True)]
)
def test_217t_p2_withdrawn_from_28_october_2023(year, dec, flagged):
    decom = f"01/05/{year}"
    if dec:
        dec = f"27/10/{year}"
    report = one_child(episode("A", decom, dec or None, PLACE="P2", PLACE_PROVIDER="PR1"), year=year)
    assert found(report) == ([("episodes", 1, "PLACE", "217t")] if flagged else [])


def test_217t_not_before_2023_24_and_146_from_2025_26():
    assert one_child(episode("A", "01/05/2022", PLACE="P2"), year=2022).ok
    assert [e.code for e in one_child(episode("A", "01/05/2025", PLACE="P2"), year=2025).errors] == ["146"]


def test_decom_after_the_year_is_dfe_354():
    assert found(one_child(episode("A", "01/04/2024"))) == [("episodes", 1, "DECOM", "354")]


def test_duplicate_episode_is_501_not_an_own_code():
    report = one_child(episode("A", "01/05/2023", "01/06/2023"), episode("A", "01/05/2023", "01/06/2023"))
    assert ("episodes", 2, "DECOM", "501") in found(report)
    assert not any(e.code.startswith("RCC") for e in report.errors)


def test_142_non_last_episode_with_blank_rec_but_dec_kept():
    report = one_child(episode("A", "01/05/2023", "01/06/2023", REC=""), episode("A", "01/06/2023", RNE="P"))
    assert ("episodes", 1, "REC", "142") in found(report)


# --- UASC codes as DfE names them -------------------------------------------------------------


def test_uasc_sex_and_dob_differing_from_header_are_int21_int18():
    uasc = [{"CHILD": "A", "SEX": "2", "DOB": "16/06/2010", "DUC": "15/06/2028"}]
    report = validate_return(files([child("A")], [episode("A", "01/05/2023")], uasc), Y)
    assert found(report) == [("uasc", 1, "DOB", "INT18"), ("uasc", 1, "SEX", "INT21")]


# --- out-of-range dates and empty tables ------------------------------------------------------


@pytest.mark.parametrize("dec", ["31/12/9999", "9999-12-31", "01/01/2263"])
def test_far_future_dec_is_147_on_its_row_as_dfe_reports_it(dec):
    report = one_child(episode("A", "01/05/2023", dec))
    assert found(report) == [("episodes", 1, "DEC", "147")]
    assert "outside the range 1677-2262" in report.errors[0].message


@pytest.mark.parametrize(("field", "code"), [("DOB", "102"), ("MC_DOB", "171")])
def test_dates_before_1677_are_invalid_on_their_row(field, code):
    report = validate_return(files([child("A", **{field: "01/01/1600"})], [episode("A", "01/05/2023")]), Y)
    assert ("header", 1, field, code) in found(report)


def test_an_empty_header_is_a_named_error_not_a_crash():
    report = validate_return(files([], [episode("A", "01/05/2023")]), Y)
    assert found(report) == [("header", None, None, "RCC-EMPTY")]
    assert "no rows" in report.errors[0].message


def test_an_empty_return_names_both_files():
    assert found(validate_return(files([], []), Y)) == [
        ("episodes", None, None, "RCC-EMPTY"),
        ("header", None, None, "RCC-EMPTY"),
    ]


def test_an_empty_uasc_file_is_fine():
    assert validate_return(files([child("A")], [episode("A", "01/05/2023")], []), Y).ok


# --- previous-year rules --------------------------------------------------------------------


def last_year(*episodes: dict, **header) -> dict[str, bytes]:
    return files([child("A", **header)], list(episodes))


def test_previous_year_rules_pass_on_a_consistent_pair():
    prev = last_year(episode("A", "01/05/2022"))
    now = files([child("A")], [episode("A", "01/05/2022", "01/06/2023")])
    assert validate_return(now, Y, previous=prev).ok


def test_502_and_562_first_episode_does_not_match_last_years_open_one():
    prev = last_year(episode("A", "01/05/2022"))
    now = files([child("A")], [episode("A", "03/05/2022", "01/06/2023")])
    report = validate_return(now, Y, previous=prev)
    assert found(report) == [("episodes", 1, "DECOM", "502"), ("episodes", 1, "DECOM", "562")]
    assert "01/05/2022" in report.errors[0].message


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [("RNE", "P", "503A"), ("LS", "C1", "503B"), ("CIN", "N2", "503C"), ("PLACE", "U2", "503D"),
     ("PLACE_PROVIDER", "PR2", "503E"), ("URN", "SC999999", "503F")],
)  # fmt: skip
def test_503_first_episode_fields_match_last_years_open_episode(field, value, code):
    prev = last_year(episode("A", "01/05/2022"))
    now = files([child("A")], [episode("A", "01/05/2022", "01/06/2023", **{field: value})])
    assert found(validate_return(now, Y, previous=prev)) == [("episodes", 1, field, code)]


def test_503_blank_last_year_and_blank_this_year_is_no_change():
    """A temporary placement (T1) has no provider and no URN, so both are blank in last year's open
    episode and this year's first: blank equals blank (pandas' != calls missing vs missing a
    difference, which made every demo child in a T placement across 1 April fail 503E/503F)."""
    prev = last_year(episode("A", "01/05/2022", PLACE="T1", PLACE_PROVIDER="", URN=""))
    now = files(
        [child("A")],
        [episode("A", "01/05/2022", "01/06/2023", PLACE="T1", PLACE_PROVIDER="", URN="")],
    )
    assert validate_return(now, Y, previous=prev).ok


def test_503d_h5_to_k3_is_a_rename_not_a_change():
    prev = files([child("A", SEX="1")], [episode("A", "01/05/2023", PLACE="H5")])
    now = files([child("A", SEX="M")], [episode("A", "01/05/2023", "01/06/2024", PLACE="K3")])
    assert validate_return(now, 2024, previous=prev).ok  # also: SEX 1 -> M is not a 202 change


def test_noe_child_not_in_last_years_return():
    prev = files([child("B")], [episode("B", "01/05/2022")])
    now = files([child("A")], [episode("A", "01/05/2022", "01/06/2023")])
    assert found(validate_return(now, Y, previous=prev)) == [
        ("episodes", 1, "DECOM", "562"),
        ("episodes", 1, "DECOM", "NoE"),
    ]


@pytest.mark.parametrize(
    ("field", "before", "code"),
    [("SEX", "2", "202"), ("DOB", "16/06/2010", "203"), ("ETHNIC", "WIRI", "204")],
)
def test_header_changed_since_last_year(field, before, code):
    prev = last_year(episode("A", "01/05/2022"), **{field: before})
    now = files([child("A")], [episode("A", "01/05/2022", "01/06/2023")])
    assert found(validate_return(now, Y, previous=prev)) == [("header", 1, field, code)]


def test_previous_as_typed_tables_works_like_bytes():
    prev_files = last_year(episode("A", "01/05/2022"))
    typed = validate_return(prev_files, 2022).tables
    now = files([child("A")], [episode("A", "03/05/2022", "01/06/2023")])
    by_bytes = validate_return(now, Y, previous=prev_files)
    by_tables = validate_return(now, Y, previous=typed)
    assert found(by_bytes) == found(by_tables) != []


# --- the report explains every code -----------------------------------------------------------


def test_every_rule_code_and_own_code_is_described():
    codes = {"501", "142", "148", "388", "431", "432", "433", "437", "357", "352", "355", "217t", "354"}
    assert codes <= set(DESCRIPTIONS)
    assert all(c.startswith("RCC-") for c in OWN_CODES)
    report = one_child(episode("A", "01/05/2023", REC="E11"))
    assert report.codes_used() == {"148": DESCRIPTIONS["148"]}
    assert len(RULES) >= 30
