"""The region bench's robustness regions are chosen by a rule from the open data, not by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from bench.forecast_region import (
    ALL_REGIONS,
    DFE,
    REGISTER,
    SELECTIONS,
    describe,
    la_specs,
    region_config,
    select_las,
)
from bench.readme_tables import _REGION_TITLE
from tests.conftest import DATA_DIR


def _stock(names: list[str]) -> pd.Series:
    d = pd.read_csv(DATA_DIR / DFE)
    d = d[d["measure"].str.contains("31 March")]
    return d[d["la_name"].isin(names)].groupby("la_name")["children"].mean()


@pytest.mark.parametrize("name", list(SELECTIONS))
def test_selection_is_six_distinct_las_of_the_region_largest_first(name):
    cfg = SELECTIONS[name]
    rule, region, types = cfg["select"]
    names = select_las(DATA_DIR, rule, region, types)
    assert len(set(names)) == 6
    reg = pd.read_csv(DATA_DIR / REGISTER)
    gss = pd.read_csv(DATA_DIR / DFE).drop_duplicates("la_name").set_index("la_name")["la_gss_code"]
    assert set(reg.set_index("gss_code").loc[gss[names], "region"]) == {region}
    size = _stock(names)
    assert list(size[names]) == sorted(size[names], reverse=True)
    assert select_las(DATA_DIR, rule, region, types) == names


def test_spread_takes_the_largest_and_the_smallest_london_borough():
    names = select_las(DATA_DIR, "spread", "London", ("London borough",))
    reg = pd.read_csv(DATA_DIR / REGISTER)
    boroughs = reg[reg["type"] == "London borough"]
    d = pd.read_csv(DATA_DIR / DFE)
    d = d[d["measure"].str.contains("31 March") & d["la_gss_code"].isin(boroughs["gss_code"])]
    mean = d.groupby("la_name")["children"].mean()
    assert names[0] == mean.idxmax() and names[-1] == mean.idxmin()


def test_county_and_small_starts_with_the_largest_county():
    names = select_las(DATA_DIR, "county_and_small", "West Midlands", ())
    reg = pd.read_csv(DATA_DIR / REGISTER)
    gss = pd.read_csv(DATA_DIR / DFE).drop_duplicates("la_name").set_index("la_name")["la_gss_code"]
    types = reg.set_index("gss_code").loc[gss[names], "type"].tolist()
    assert types[0] == "County" and "County" not in types[1:]


def test_regimes_reach_the_la_specs():
    cfg = region_config("west_midlands", DATA_DIR)
    specs = la_specs(DATA_DIR, cfg["las"])
    assert specs[0].shocks and specs[0].uasc  # the county: a shock and a UASC intake
    assert specs[1].trend_change_year == 2021 and specs[1].trend_after == pytest.approx(-0.12)


def test_every_region_heading_is_copied_to_the_readme():
    assert all(_REGION_TITLE.match(f"{name}: {describe(name)}") for name in ALL_REGIONS)
