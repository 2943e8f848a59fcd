"""Placement codes across collection years: one test per code change (library level)."""

from __future__ import annotations

import pandas as pd
import pytest

from forecasting import MultiStateForecaster, observed_counts, place_category
from forecasting.categories import (
    collection_year,
    place_code_valid,
    place_codes_out_of_year,
)
from tests.forecasting.conftest import episode

ORIGIN = pd.Timestamp("2026-03-31")


def counted(rows: list[dict], on: str = "2026-03-31", categories: str = "fine") -> dict[str, float]:
    oc = observed_counts(pd.DataFrame(rows), [pd.Timestamp(on)], categories=categories, region=None)
    return oc.groupby("placement")["count"].sum().to_dict()


def model_stock(rows: list[dict]) -> dict[str, float]:
    """What the fitted model starts from: the first forecast month, by placement."""
    m = MultiStateForecaster(lookback_days=365, n_sims=20, calibrate=False).fit(
        pd.DataFrame(rows), origin=ORIGIN
    )
    fc = m.predict(1, level=())
    return fc[fc["la"] == "RCC"].groupby("placement")["mean"].sum().to_dict()


@pytest.mark.parametrize("code", ["K3"])
def test_k3_supported_accommodation_counts_as_supported(code):
    # 2024-25 on: K3 (supported accommodation registered under the 2023 regulations).
    rows = [episode(i, "2009-01-01", "2025-06-01", None, code, "PR4") for i in range(4)]
    assert place_category(code) == "supported"
    assert counted(rows)["supported"] == 4
    assert model_stock(rows)["supported"] == pytest.approx(4, abs=0.5)
    assert place_code_valid(code, 2024) and not place_code_valid(code, 2023)


@pytest.mark.parametrize("code", ["Z11", "Z12", "Z13", "Z14"])
def test_z11_to_z14_count_as_other(code):
    # 2025-26 on: Z1 "other placements" split into Z11-Z14; recorded with no provider.
    rows = [episode(i, "2012-01-01", "2025-05-01", None, code, None) for i in range(3)]
    assert place_category(code) == "other"
    assert counted(rows)["other"] == 3
    assert model_stock(rows)["other"] == pytest.approx(3, abs=0.5)
    assert place_code_valid(code, 2025) and not place_code_valid(code, 2024)


@pytest.mark.parametrize(("code", "category"), [("H5", "supported"), ("P2", "supported"), ("Z1", "other")])
def test_withdrawn_codes_keep_their_category_in_older_returns(code, category):
    # H5, P2 and Z1 are withdrawn from 2025-26; episodes in earlier returns keep their category,
    # so a child recoded H5 -> K3 on 1 April 2025 stays "supported" across the change.
    rows = [
        episode(1, "2008-06-01", "2024-01-01", "2025-04-01", code, "PR4" if code != "Z1" else None, rec="X1")
    ]
    rows.append(
        episode(
            1,
            "2008-06-01",
            "2025-04-01",
            None,
            "K3" if category == "supported" else "Z12",
            "PR4" if category == "supported" else None,
        )
    )
    assert place_category(code) == category
    before = counted(rows, on="2025-03-31")
    after = counted(rows, on="2025-06-30")
    assert before[category] == 1 and after[category] == 1
    assert place_code_valid(code, 2024) and not place_code_valid(code, 2025)


def test_p2_after_october_2023_flagged_but_still_counted():
    rows = [episode(1, "2008-06-01", "2025-05-01", None, "P2", "PR4")]
    bad = place_codes_out_of_year(pd.DataFrame(rows))
    assert list(bad["PLACE"]) == ["P2"] and list(bad["collection_year"]) == [2025]
    assert counted(rows)["supported"] == 1


def test_s1_residential_school_counts_as_other_not_residential():
    # Decision documented in forecasting/categories.py: DfE publishes residential schools apart
    # from children's homes; a school registered as a children's home is coded K2.
    rows = [episode(i, "2011-01-01", "2025-09-01", None, "S1", "PR3") for i in range(2)]
    rows.append(episode(9, "2011-01-01", "2025-09-01", None, "K2", "PR4"))
    c = counted(rows, categories="coarse")
    assert c["other"] == 2 and c["residential"] == 1
    assert place_category("S1") == "other"


def test_collection_year_boundaries():
    assert collection_year("2024-04-01") == 2024
    assert collection_year("2025-03-31") == 2024
    assert not place_code_valid("XX", 2024)
    assert place_code_valid("U4", 2016) and place_code_valid("U4", 2026)
