"""Tests for rcc.sufficiency.validation (SSDA903 return validation) and the sample helpers."""

from __future__ import annotations

import collections

import pandas as pd
import pytest

from rcc.sufficiency.ssda903 import (
    drop_rows,
    infer_collection_year,
    load_sample_year,
    quarantine,
    sample_years,
)
from rcc.sufficiency.validation import (
    REQUIRED_COLUMNS,
    RowError,
    ValidationReport,
    parse_dates,
    validate_return,
)

YEAR = 2023  # 2023-24: SEX is still 1/2, K3 not yet valid


def csv_bytes(table: str, rows: list[dict[str, str]], columns: list[str] | None = None) -> bytes:
    cols = columns or list(REQUIRED_COLUMNS[table])
    lines = [",".join(cols)] + [",".join(r.get(c, "") for c in cols) for r in rows]
    return ("\n".join(lines) + "\n").encode()


def header_row(**over: str) -> dict[str, str]:
    row = {"CHILD": "1001", "SEX": "1", "DOB": "01/02/2010", "ETHNIC": "WBRI", "UPN": "A123456789012"}
    return row | over


def episode_row(**over: str) -> dict[str, str]:
    row = {
        "CHILD": "1001",
        "DECOM": "01/05/2023",
        "RNE": "S",
        "LS": "C2",
        "CIN": "N1",
        "PLACE": "U1",
        "PLACE_PROVIDER": "PR1",
        "DEC": "",
        "REC": "",
        "HOME_POST": "AB1 2CD",
        "PL_POST": "EF3 4GH",
        "URN": "SC123456",
    }
    return row | over


def good_episodes() -> list[dict[str, str]]:
    return [
        episode_row(DEC="01/08/2023", REC="X1", REASON_PLACE_CHANGE="CARPL"),
        episode_row(DECOM="01/08/2023", RNE="P", PLACE="U4"),
    ]


def make_files(headers=None, episodes=None, uasc=None) -> dict[str, bytes]:
    files = {
        "header": csv_bytes("header", headers if headers is not None else [header_row()]),
        "episodes": csv_bytes("episodes", episodes if episodes is not None else good_episodes()),
    }
    if uasc is not None:
        files["uasc"] = csv_bytes("uasc", uasc)
    return files


def errors_of(report: ValidationReport, code: str) -> list[RowError]:
    return [e for e in report.errors if e.code == code]


def only_error(report: ValidationReport) -> RowError:
    assert len(report.errors) == 1, report.errors
    return report.errors[0]


# --- the happy path -------------------------------------------------------------------------


def test_good_return_is_ok_and_typed():
    uasc = [{"CHILD": "1001", "SEX": "1", "DOB": "01/02/2010", "DUC": "01/02/2028"}]
    report = validate_return(make_files(uasc=uasc), YEAR)
    assert report.ok and report.errors == []
    assert set(report.tables) == {"header", "episodes", "uasc"}
    eps = report.tables["episodes"]
    assert list(eps.index) == [1, 2] and eps.index.name == "row"
    assert list(eps.columns) == list(REQUIRED_COLUMNS["episodes"])
    assert eps["DECOM"].iloc[0] == pd.Timestamp(2023, 5, 1)
    assert pd.isna(eps["DEC"].iloc[1])
    assert pd.api.types.is_datetime64_any_dtype(eps["DEC"])
    assert eps["PLACE"].tolist() == ["U1", "U4"]
    assert str(report.tables["header"]["MOTHER"].dtype) == "Int8"


def test_errors_mean_no_tables():
    report = validate_return(make_files(episodes=[episode_row(LS="ZZ")]), YEAR)
    assert not report.ok and report.tables is None


def test_row_error_is_frozen():
    e = RowError("header", 1, "SEX", "101", "x")
    with pytest.raises(AttributeError):
        e.row = 2  # type: ignore[misc]


def test_bad_collection_year_type():
    with pytest.raises(TypeError):
        validate_return(make_files(), "2023")  # type: ignore[arg-type]


# --- file and column level ------------------------------------------------------------------


def test_missing_required_column_names_table_and_field():
    cols = [c for c in REQUIRED_COLUMNS["episodes"] if c != "PLACE"]
    files = make_files()
    files["episodes"] = csv_bytes("episodes", good_episodes(), columns=cols)
    e = only_error(validate_return(files, YEAR))
    assert (e.table, e.row, e.field, e.code) == ("episodes", None, "PLACE", "RCC-COLUMN")


def test_extra_columns_and_column_case_are_tolerated():
    cols = [c.lower() for c in REQUIRED_COLUMNS["episodes"]] + ["LA_NOTES"]
    rows = [{k.lower(): v for k, v in r.items()} | {"LA_NOTES": "x"} for r in good_episodes()]
    files = make_files()
    files["episodes"] = csv_bytes("episodes", rows, columns=cols)
    report = validate_return(files, YEAR)
    assert report.ok, report.errors
    assert "LA_NOTES" not in report.tables["episodes"].columns


def test_missing_episodes_file():
    files = make_files()
    del files["episodes"]
    e = only_error(validate_return(files, YEAR))
    assert (e.table, e.row, e.code) == ("episodes", None, "RCC-TABLE")


def test_empty_file_and_unknown_table():
    files = make_files() | {"reviews": b"CHILD\n1\n"}
    files["header"] = b""
    report = validate_return(files, YEAR)
    assert {(e.table, e.code) for e in report.errors} == {("header", "RCC-FILE"), ("reviews", "RCC-TABLE")}


def test_utf8_bom_and_crlf():
    files = make_files()
    files["header"] = b"\xef\xbb\xbf" + files["header"].replace(b"\n", b"\r\n")
    assert validate_return(files, YEAR).ok


# --- blanks, decimals, case -----------------------------------------------------------------


def test_blank_required_field():
    e = only_error(validate_return(make_files(episodes=[episode_row(LS="")]), YEAR))
    assert (e.table, e.row, e.field, e.code) == ("episodes", 1, "LS", "RCC-REQ")


def test_blank_sex_uses_dfe_code_101():
    e = only_error(validate_return(make_files(headers=[header_row(SEX=" ")]), YEAR))
    assert (e.table, e.row, e.field, e.code) == ("header", 1, "SEX", "101")


def test_spreadsheet_decimals_are_normalised():
    headers = [header_row(CHILD="1001.0", SEX="2.0", MOTHER="1.0", MC_DOB="01/01/2023")]
    report = validate_return(make_files(headers=headers), YEAR)
    assert report.ok, report.errors
    assert report.tables["header"]["CHILD"].iloc[0] == "1001"
    assert report.tables["header"]["MOTHER"].iloc[0] == 1


def test_non_integral_decimal_is_invalid():
    e = only_error(validate_return(make_files(headers=[header_row(MOTHER="1.5")]), YEAR))
    assert (e.table, e.row, e.field, e.code) == ("header", 1, "MOTHER", "165")


def test_lower_case_codes_accepted():
    report = validate_return(make_files(episodes=[episode_row(PLACE="u1", LS="c2")]), YEAR)
    assert report.ok, report.errors


def test_row_numbers_count_blank_lines():
    files = make_files()
    lines = files["episodes"].decode().splitlines()
    bad = episode_row(CHILD="1001", DECOM="01/02/2024", DEC="", LS="XX")
    lines.append("")  # row 3 is blank
    lines.append(",".join(bad.get(c, "") for c in REQUIRED_COLUMNS["episodes"]))
    files["episodes"] = ("\n".join(lines) + "\n").encode()
    report = validate_return(files, YEAR)
    assert [(e.row, e.field, e.code) for e in errors_of(report, "144")] == [(4, "LS", "144")]


# --- code lists -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "fld", "value", "code"),
    [
        ("header", "SEX", "3", "101"),
        ("header", "ETHNIC", "XXXX", "103"),
        ("header", "MOTHER", "2", "165"),
        ("episodes", "RNE", "Q", "143"),
        ("episodes", "LS", "C3", "144"),
        ("episodes", "CIN", "N9", "145"),
        ("episodes", "PLACE", "Q1", "146"),
        ("episodes", "REC", "E99", "149"),
        ("episodes", "REASON_PLACE_CHANGE", "WHIM", "1009"),
        ("episodes", "PLACE_PROVIDER", "PR9", "178"),
        ("uasc", "SEX", "9", "INT21"),
    ],
)
def test_code_list_rules(table, fld, value, code):
    if table == "header":
        files = make_files(headers=[header_row(**{fld: value})])
    elif table == "episodes":
        files = make_files(episodes=[episode_row(**{fld: value})])
    else:
        row = {"CHILD": "1001", "SEX": "1", "DOB": "01/02/2010", "DUC": "01/02/2028"} | {fld: value}
        files = make_files(uasc=[row])
    report = validate_return(files, YEAR)
    # as in DfE's validator, a bad RNE on a first episode is also 357 and a REC without DEC 148
    also = {"RNE": {"357"}, "REC": {"148"}}.get(fld, set())
    assert {e.code for e in report.errors} == {code} | also
    (e,) = errors_of(report, code)
    assert (e.table, e.row, e.field, e.code) == (table, 1, fld, code)
    assert repr(value) in e.message


def test_178_provider_not_allowed_for_temporary_placement():
    e = only_error(validate_return(make_files(episodes=[episode_row(PLACE="T0")]), YEAR))
    assert (e.table, e.row, e.field, e.code) == ("episodes", 1, "PLACE_PROVIDER", "178")
    assert validate_return(make_files(episodes=[episode_row(PLACE="T0", PLACE_PROVIDER="")]), YEAR).ok


def _place_report(place: str, year: int, provider: str = "PR1") -> ValidationReport:
    sex = "M" if year >= 2024 else "1"
    files = make_files(
        headers=[header_row(SEX=sex)],
        episodes=[episode_row(DECOM=f"01/05/{year}", PLACE=place, PLACE_PROVIDER=provider)],
    )
    return validate_return(files, year)


def test_k3_valid_from_2024_25():
    assert _place_report("K3", 2024).ok
    e = only_error(_place_report("K3", 2023))
    assert (e.field, e.code) == ("PLACE", "146") and "2023-24" in e.message


def test_z11_valid_from_2025_26():
    e = only_error(_place_report("Z11", 2024, provider=""))
    assert (e.field, e.code) == ("PLACE", "146")
    assert _place_report("Z11", 2025, provider="").ok
    # Z11 has no provider from 2025-26 (rule 178)
    e = only_error(_place_report("Z11", 2025))
    assert (e.field, e.code) == ("PLACE_PROVIDER", "178")


@pytest.mark.parametrize("place", ["H5", "P2"])
def test_h5_p2_withdrawn_from_2025_26(place):
    if place == "P2":  # withdrawn from 28/10/2023 already (217t), see test_217t_*
        assert [e.code for e in _place_report(place, 2024).errors] == ["217t"]
    else:
        assert _place_report(place, 2024).ok
    e = only_error(_place_report(place, 2025))
    assert (e.table, e.row, e.field, e.code) == ("episodes", 1, "PLACE", "146")


def test_z1_withdrawn_from_2025_26():
    assert _place_report("Z1", 2024, provider="").ok
    assert errors_of(_place_report("Z1", 2025, provider=""), "146")


def test_sex_codes_change_in_2024_25():
    files = make_files(headers=[header_row(SEX="1")], episodes=[episode_row(DECOM="01/05/2024")])
    e = only_error(validate_return(files, 2024))
    assert (e.field, e.code) == ("SEX", "101")
    e = only_error(validate_return(make_files(headers=[header_row(SEX="F")]), 2023))
    assert (e.field, e.code) == ("SEX", "101")


# --- dates ----------------------------------------------------------------------------------


def test_iso_and_uk_dates_both_parse_even_mixed_in_one_file():
    episodes = [
        episode_row(DECOM="2023-05-01", DEC="01/08/2023", REC="X1"),
        episode_row(DECOM="01/08/2023", DEC="2023-09-30", REC="E11", RNE="P"),
    ]
    report = validate_return(make_files(headers=[header_row(DOB="2010-02-01")], episodes=episodes), YEAR)
    assert report.ok, report.errors
    eps = report.tables["episodes"]
    assert eps["DECOM"].tolist() == [pd.Timestamp(2023, 5, 1), pd.Timestamp(2023, 8, 1)]
    assert eps["DEC"].tolist() == [pd.Timestamp(2023, 8, 1), pd.Timestamp(2023, 9, 30)]
    assert report.tables["header"]["DOB"].iloc[0] == pd.Timestamp(2010, 2, 1)


def test_parse_dates_rejects_other_formats():
    s = pd.Series(["1/2/2020", "2020-02-01", "01/02/20", "31/02/2020", "2020/02/01", None, "38/04/2019"])
    out = parse_dates(s)
    assert out.iloc[0] == out.iloc[1] == pd.Timestamp(2020, 2, 1)
    assert out.iloc[2:].isna().all()


@pytest.mark.parametrize(
    ("table", "fld", "code"),
    [
        ("header", "DOB", "102"),
        ("header", "MC_DOB", "171"),
        ("episodes", "DECOM", "141"),
        ("episodes", "DEC", "147"),
        ("uasc", "DUC", "104"),
    ],
)
def test_invalid_dates(table, fld, code):
    bad = "31/02/2020"
    if table == "header":
        files = make_files(headers=[header_row(**{fld: bad})])
    elif table == "episodes":
        files = make_files(episodes=[episode_row(**{fld: bad}, REC="E11" if fld == "DEC" else "")])
    else:
        row = {"CHILD": "1001", "SEX": "1", "DOB": "01/02/2010", "DUC": "01/02/2028"} | {fld: bad}
        files = make_files(uasc=[row])
    e = only_error(validate_return(files, YEAR))
    assert (e.table, e.row, e.field, e.code) == (table, 1, fld, code)


def test_356_dec_before_decom():
    e = only_error(validate_return(make_files(episodes=[episode_row(DEC="30/04/2023", REC="E11")]), YEAR))
    assert (e.table, e.row, e.field, e.code) == ("episodes", 1, "DEC", "356")


def test_385_dec_after_year_end():
    e = only_error(validate_return(make_files(episodes=[episode_row(DEC="01/04/2024", REC="E11")]), YEAR))
    assert (e.table, e.row, e.field, e.code) == ("episodes", 1, "DEC", "385")


def test_decom_after_year_end():
    e = only_error(validate_return(make_files(episodes=[episode_row(DECOM="01/04/2024")]), YEAR))
    assert (e.table, e.row, e.field, e.code) == ("episodes", 1, "DECOM", "354")


def test_301_dob_after_year_end():
    report = validate_return(make_files(headers=[header_row(DOB="01/04/2024")]), YEAR)
    assert [(e.table, e.row, e.field) for e in errors_of(report, "301")] == [("header", 1, "DOB")]


def test_302_episode_before_birth():
    report = validate_return(make_files(headers=[header_row(DOB="02/05/2023")]), YEAR)
    # reported on the episode and, as DfE does, on the header's DOB
    assert sorted((e.table, e.row, e.field, e.code) for e in report.errors) == [
        ("episodes", 1, "DECOM", "302"),
        ("header", 1, "DOB", "302"),
    ]


# --- cross-row / cross-table ----------------------------------------------------------------


def test_duplicate_episode_is_501_as_in_dfe():
    episodes = [*good_episodes(), episode_row(DEC="01/08/2023", REC="X1")]
    report = validate_return(make_files(episodes=episodes), YEAR)
    (e,) = errors_of(report, "501")
    assert (e.table, e.row, e.field, e.code) == ("episodes", 3, "DECOM", "501")
    assert "row 1" in e.message
    # row 1's X1 is now followed by an episode starting on another day (388); the duplicate says
    # "started to be looked after" while row 1 runs on (431). DfE reports the same three.
    assert sorted((e.row, e.code) for e in report.errors) == [(1, "388"), (3, "431"), (3, "501")]


def test_501_overlapping_episodes():
    episodes = [
        episode_row(DEC="01/08/2023", REC="X1"),
        episode_row(DECOM="01/07/2023", RNE="P", PLACE="U4"),
    ]
    report = validate_return(make_files(episodes=episodes), YEAR)
    (e,) = errors_of(report, "501")
    assert (e.table, e.row, e.field, e.code) == ("episodes", 2, "DECOM", "501")
    assert "row 1" in e.message
    assert sorted((e.row, e.code) for e in report.errors) == [(1, "388"), (2, "433"), (2, "501")]


def test_501_uses_date_order_not_file_order():
    episodes = list(reversed(good_episodes()))
    assert validate_return(make_files(episodes=episodes), YEAR).ok


def test_142_previous_episode_not_ended():
    episodes = [episode_row(), episode_row(DECOM="01/08/2023", RNE="P", PLACE="U4")]
    report = validate_return(make_files(episodes=episodes), YEAR)
    (e,) = errors_of(report, "142")
    assert (e.table, e.row, e.field, e.code) == ("episodes", 1, "DEC", "142")
    assert sorted((e.row, e.code) for e in report.errors) == [(1, "142"), (2, "433")]


def test_142_non_last_episode_with_dec_but_blank_rec():
    episodes = [episode_row(DEC="01/08/2023"), episode_row(DECOM="01/08/2023", RNE="P", PLACE="U4")]
    report = validate_return(make_files(episodes=episodes), YEAR)
    assert [(e.row, e.field) for e in errors_of(report, "142")] == [(1, "REC")]
    assert [(e.row, e.field) for e in errors_of(report, "148")] == [(1, "REC")]


def test_int03_episode_child_not_in_header():
    episodes = [*good_episodes(), episode_row(CHILD="2002")]
    e = only_error(validate_return(make_files(episodes=episodes), YEAR))
    assert (e.table, e.row, e.field, e.code) == ("episodes", 3, "CHILD", "INT03")


def test_int09_uasc_child_not_in_header():
    uasc = [{"CHILD": "2002", "SEX": "1", "DOB": "01/02/2010", "DUC": "01/02/2028"}]
    e = only_error(validate_return(make_files(uasc=uasc), YEAR))
    assert (e.table, e.row, e.field, e.code) == ("uasc", 1, "CHILD", "INT09")


def test_int32_child_twice_in_header():
    report = validate_return(make_files(headers=[header_row(), header_row()]), YEAR)
    assert [(e.table, e.row, e.field, e.code) for e in report.errors] == [
        ("header", 1, "CHILD", "INT32"),  # every copy, as DfE reports them
        ("header", 2, "CHILD", "INT32"),
    ]


def test_int36_child_twice_in_uasc():
    row = {"CHILD": "1001", "SEX": "1", "DOB": "01/02/2010", "DUC": "01/02/2028"}
    report = validate_return(make_files(uasc=[row, row]), YEAR)
    assert [(e.table, e.row, e.field, e.code) for e in report.errors] == [
        ("uasc", 1, "CHILD", "INT36"),
        ("uasc", 2, "CHILD", "INT36"),
    ]


def test_errors_sorted_by_table_then_row():
    headers = [header_row(ETHNIC="X")]
    episodes = [episode_row(LS="X"), episode_row(DECOM="01/08/2023", CIN="X")]
    report = validate_return(make_files(headers=headers, episodes=episodes), YEAR)
    assert [(e.table, e.row) for e in report.errors] == [
        ("header", 1),
        ("episodes", 1),
        ("episodes", 1),
        ("episodes", 2),
    ]


# --- helpers ----------------------------------------------------------------------------------


def test_drop_rows_uses_report_row_numbers():
    raw = b"A,B\n1,x\n\n3,y\n4,z\n"
    assert drop_rows(raw, {3}) == b"A,B\n1,x\n\n4,z\n"


def test_infer_collection_year_from_latest_decom():
    assert infer_collection_year(csv_bytes("episodes", good_episodes())) == 2023
    late = [episode_row(DECOM="31/03/2024")]
    assert infer_collection_year(csv_bytes("episodes", late)) == 2023


# --- the synthetic sample -----------------------------------------------------------------------

# The sample's generator makes overlapping episode sequences for some children, codes a REC on
# open episodes (148), ends three episodes on 1 April, and mixes up RNE/X1 codes; these are
# genuine errors that DfE's validator reports too (bench/results/ssda903_diff.md compares them
# row by row). Pinned so that any new rule firing on the sample is noticed.
SAMPLE_KNOWN_ERRORS = {
    2017: {
        "142": 6,
        "148": 434,
        "357": 4,
        "385": 2,
        "388": 13,
        "431": 9,
        "432": 6,
        "433": 15,
        "437": 3,
        "501": 17,
    },
    2018: {"142": 1, "148": 235, "357": 1, "388": 3, "431": 2, "432": 2, "433": 5, "501": 5},
    2019: {"148": 160, "385": 1, "388": 3, "431": 1, "432": 1, "433": 3, "501": 4},
    2020: {"142": 2, "148": 105, "357": 1, "388": 2, "431": 3, "432": 1, "433": 2, "501": 3},
    2021: {"148": 62, "388": 2, "432": 2, "433": 4, "501": 3},
}

needs_sample = pytest.mark.skipif(not sample_years(), reason="shared/data/ssda903-sample not present")


@needs_sample
def test_sample_years_are_the_five_expected():
    assert sample_years() == sorted(SAMPLE_KNOWN_ERRORS)


@needs_sample
@pytest.mark.parametrize("year", sorted(SAMPLE_KNOWN_ERRORS))
def test_sample_year_has_only_the_known_data_errors(year):
    sample = load_sample_year(year)  # also checks folder name == collection year of its episodes
    assert set(sample.files) == {"header", "episodes", "uasc"}
    report = validate_return(sample.files, sample.collection_year)
    assert (
        dict(sorted(collections.Counter(e.code for e in report.errors).items())) == SAMPLE_KNOWN_ERRORS[year]
    )
    assert all(e.table == "episodes" for e in report.errors)


@needs_sample
@pytest.mark.parametrize("year", sorted(SAMPLE_KNOWN_ERRORS))
def test_sample_year_passes_after_quarantine(year):
    sample = load_sample_year(year)
    clean, dropped = quarantine(sample.files, year)
    report = validate_return(clean, year)
    assert report.ok, report.errors[:5]
    sequence_codes = {"142", "357", "385", "388", "431", "432", "433", "437", "501"}
    assert dropped and {e.code for e in dropped} <= sequence_codes  # 148 is repaired, not dropped
    # only flagged episode rows go; every child stays in the header
    n_episodes = sample.files["episodes"].count(b"\n") - 1
    assert len(report.tables["episodes"]) >= n_episodes - len(dropped)
    assert len(report.tables["header"]) == sample.files["header"].count(b"\n") - 1


def test_bytes_undefined_in_cp1252_are_reported_not_a_crash():
    from rcc.sufficiency.validation import validate_return

    header = b"CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n1,1,01/01/2010,W\x81RI,,,\n"
    episodes = (
        b"CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
        b"1,01/05/2021,S,C2,N1,U1,PR1,,,,,,\n"
    )
    report = validate_return({"header": header, "episodes": episodes}, 2021)
    assert not report.ok
    assert any(e.table == "header" and e.field == "ETHNIC" and e.row == 1 for e in report.errors)


def test_identifiers_longer_than_their_columns_are_row_errors():
    from rcc.db.models import Ssda903Episode
    from rcc.sufficiency.validation import STORED_MAX_LENGTH

    assert STORED_MAX_LENGTH == {
        "CHILD": Ssda903Episode.child.type.length,
        "URN": Ssda903Episode.urn.type.length,
    }
    report = validate_return(make_files(episodes=[episode_row(URN="SC" + "1" * 15)]), YEAR)
    err = only_error(report)
    assert (err.table, err.row, err.field, err.code) == ("episodes", 1, "URN", "RCC-LEN")
    assert validate_return(make_files(episodes=[episode_row(URN="SC" + "1" * 14)]), YEAR).ok
