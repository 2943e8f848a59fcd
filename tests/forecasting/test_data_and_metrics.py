from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting import (
    as_of,
    baseline_forecast,
    coverage,
    episodes_from_returns,
    observed_counts,
    place_categories,
    place_category,
    project_costs,
    to_coarse,
    total_error,
    wape,
)
from forecasting.categories import age_band_on
from tests.forecasting.conftest import episode


def ep_table(rows):
    cols = [
        "CHILD",
        "DECOM",
        "RNE",
        "LS",
        "CIN",
        "PLACE",
        "PLACE_PROVIDER",
        "DEC",
        "REC",
        "REASON_PLACE_CHANGE",
    ]
    return pd.DataFrame(rows, columns=cols)


def test_returns_revision_dedupe_keeps_latest():
    h1 = pd.DataFrame({"CHILD": [1, 2], "SEX": [1, 2], "DOB": ["01/02/2008", "03/04/2006"]})
    h2 = pd.DataFrame({"CHILD": [1, 3], "SEX": [1, 1], "DOB": ["02/02/2008", "05/06/2010"]})
    e1 = ep_table(
        [
            [1, "10/05/2017", "S", "C2", "N1", "U4", "PR1", None, None, None],
            [2, "01/06/2017", "S", "C2", "N1", "K2", "PR4", "01/09/2017", "E11", None],
        ]
    )
    e2 = ep_table(
        [
            [1, "10/05/2017", "S", "C2", "N1", "U4", "PR1", "20/06/2018", "X1", "CARPL"],
            [1, "20/06/2018", "P", "C2", "N1", "U5", "PR4", None, None, None],
            [3, "01/01/2019", "S", "V3", "N1", "U4", "PR1", None, None, None],
        ]
    )
    u2 = pd.DataFrame({"CHILD": [3], "SEX": [1], "DOB": ["05/06/2010"], "DUC": ["05/06/2028"]})
    hist = episodes_from_returns([h1, h2], [e1, e2], [pd.DataFrame({"CHILD": []}), u2], la="X")
    assert len(hist) == 4
    first = hist[(hist["CHILD"] == "1") & (hist["DECOM"] == pd.Timestamp("2017-05-10"))]
    assert len(first) == 1
    assert first["DEC"].iloc[0] == pd.Timestamp("2018-06-20")  # revised by the later return
    assert (hist.loc[hist["CHILD"] == "1", "DOB"] == pd.Timestamp("2008-02-02")).all()  # latest header
    assert hist.loc[hist["CHILD"] == "3", "UASC"].all()
    assert not hist.loc[hist["CHILD"] == "1", "UASC"].any()
    assert (hist["la"] == "X").all()
    assert first["first_seen"].iloc[0] == pd.Timestamp("2018-03-31")


def test_close_unlisted_option():
    h = pd.DataFrame({"CHILD": [1, 2], "SEX": [1, 1], "DOB": ["01/01/2008", "01/01/2008"]})
    e1 = ep_table(
        [
            [1, "10/05/2017", "S", "C2", "N1", "U4", "PR1", None, None, None],
            [2, "10/05/2017", "S", "C2", "N1", "U4", "PR1", None, None, None],
        ]
    )
    e2 = ep_table([[2, "10/05/2017", "S", "C2", "N1", "U4", "PR1", None, None, None]])
    kept = episodes_from_returns([h, h], [e1, e2])
    assert kept["DEC"].isna().all()
    closed = episodes_from_returns([h, h], [e1, e2], close_unlisted=True)
    assert closed.loc[closed["CHILD"] == "1", "DEC"].iloc[0] == pd.Timestamp("2018-04-01")
    assert pd.isna(closed.loc[closed["CHILD"] == "2", "DEC"].iloc[0])


def test_overlapping_episode_closed_at_next_start():
    h = pd.DataFrame({"CHILD": [1], "SEX": [1], "DOB": ["01/01/2008"]})
    e = ep_table(
        [
            [1, "01/01/2018", "S", "C2", "N1", "U4", "PR1", "01/06/2018", "X1", None],
            [1, "01/03/2018", "P", "C2", "N1", "K2", "PR4", None, None, None],
        ]
    )
    hist = episodes_from_returns(h, e)
    assert hist["DEC"].iloc[0] == pd.Timestamp("2018-03-01")


def test_as_of_truncates():
    hist = pd.DataFrame(
        [
            episode(1, "2010-01-01", "2019-01-01", "2019-06-01"),
            episode(1, "2010-01-01", "2019-06-01", "2020-03-01"),
            episode(2, "2010-01-01", "2020-02-01", None),
            episode(3, "2010-01-01", "2020-05-01", "2020-06-01"),
        ]
    )
    out = as_of(hist, "2019-12-31")
    assert list(out["DECOM"]) == [pd.Timestamp("2019-01-01"), pd.Timestamp("2019-06-01")]
    assert out["DEC"].iloc[0] == pd.Timestamp("2019-06-01")
    assert pd.isna(out["DEC"].iloc[1])
    assert out["REC"].iloc[1] is None
    assert len(hist) == 4  # input untouched


def test_place_categories():
    assert place_category("U1") == "fostering_kinship"
    assert place_category("U3", "PR4") == "fostering_kinship"
    assert place_category("U4", "PR1") == "fostering_inhouse"
    assert place_category("U5", "PR4") == "fostering_agency"
    assert place_category("U6", "PR5") == "fostering_agency"
    assert place_category("K1") == "secure"
    assert place_category("K2") == "residential"
    assert place_category("S1") == "other"  # residential school: not a children's home place (categories.py)
    assert place_category("H5") == "supported"
    assert place_category("P2") == "supported"
    assert place_category("P1") == "other"
    assert place_category("A3") == "other"
    assert place_category("ZZ") == "other"
    s = place_categories(pd.Series(["U4", "U4", "K1", None]), pd.Series(["PR1", "PR4", "PR1", None]))
    assert list(s) == ["fostering_inhouse", "fostering_agency", "secure", "other"]
    assert to_coarse("secure") == "residential"
    assert to_coarse("fostering_agency") == "fostering"


def test_age_band_on_birthday():
    dob = pd.Series([pd.Timestamp("2005-06-15"), pd.Timestamp("2004-02-29")])
    assert list(age_band_on(dob, pd.Timestamp("2021-06-14"))) == [3, 4]
    assert list(age_band_on(dob, pd.Timestamp("2021-06-15"))) == [4, 4]
    # 29 February birthdays: 18 on 1 March in a non-leap year
    assert age_band_on(dob, pd.Timestamp("2022-02-28"))[1] == 4
    assert age_band_on(dob, pd.Timestamp("2022-03-01"))[1] == -1


def test_observed_counts_excludes_short_breaks_and_18_plus():
    hist = pd.DataFrame(
        [
            episode(1, "2010-01-01", "2019-01-01", None, "U4", "PR1"),
            episode(2, "2010-01-01", "2019-01-01", None, "U4", "PR1", ls="V3"),
            episode(3, "2010-01-01", "2019-01-01", None, "U4", "PR1", ls="V4"),
            episode(4, "2001-01-01", "2016-01-01", None, "K2", "PR4"),  # 18 on 1 Jan 2019
            episode(5, "2010-01-01", "2019-01-01", "2019-12-31", "K2", "PR4"),  # left on the date
        ]
    )
    c = observed_counts(hist, [pd.Timestamp("2019-12-31")], categories="coarse")
    assert c.loc[c["la"] == "RCC", "count"].sum() == 1
    row = c[(c["la"] == "A") & (c["age_band"] == "5_to_9") & (c["placement"] == "fostering")]
    assert row["count"].iloc[0] == 1


def test_metrics_hand_checked():
    actual = [10, 0, 5, 5]
    forecast = [8, 1, 5, 6]
    assert wape(actual, forecast) == pytest.approx((2 + 1 + 0 + 1) / 20)
    assert total_error(actual, forecast) == pytest.approx((20 - 20) / 20)
    assert total_error([10], [12]) == pytest.approx(0.2)
    lo = [9, 0, 6, 4]
    hi = [11, 2, 7, 5]
    assert coverage(actual, lo, hi) == pytest.approx(3 / 4)  # inclusive ends; 5 < 6 misses
    assert np.isnan(wape([0, 0], [1, 1]))


def test_project_costs():
    fc = pd.DataFrame(
        {
            "la": ["A", "A"],
            "age_band": ["10_to_15", "10_to_15"],
            "placement": ["residential", "castle"],
            "period": [pd.Timestamp("2022-03-31"), pd.Timestamp("2022-03-31")],
            "mean": [2.0, 1.0],
            "lo_80": [1.0, 1.0],
            "hi_80": [3.0, 1.0],
        }
    )
    out = project_costs(fc, {"residential": 5000.0}, inflation=0.05, origin=pd.Timestamp("2021-03-31"))
    years = 365 / 365.25
    assert out["cost_mean"].iloc[0] == pytest.approx(2 * 5000 * 52.18 * 1.05**years)
    assert out["cost_lo_80"].iloc[0] == pytest.approx(1 * 5000 * 52.18 * 1.05**years)
    assert np.isnan(out["cost_mean"].iloc[1])


def test_flat_baseline_repeats_origin_counts():
    hist = pd.DataFrame(
        [
            episode(1, "2010-01-01", "2019-01-01", None, "U4", "PR1"),
            episode(2, "2005-01-01", "2019-01-01", None, "K2", "PR4"),
            episode(3, "2005-01-01", "2019-01-01", "2019-06-01", "K2", "PR4"),
        ]
    )
    fc = baseline_forecast(hist, "2019-12-31", 12, method="flat", categories="coarse", region=None)
    last = fc[fc["period"] == fc["period"].max()]
    assert last["mean"].sum() == 2
    tr = baseline_forecast(hist, "2019-12-31", 12, method="linear_trend", categories="coarse", region=None)
    assert (tr["mean"] >= 0).all()


def test_library_stays_pure():
    import subprocess
    import sys

    code = (
        "import sys, forecasting; bad = [m for m in ('rcc', 'fastapi', 'sqlalchemy', 'pydantic', 'api_schemas') "
        "if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
