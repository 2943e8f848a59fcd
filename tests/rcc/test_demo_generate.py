"""The demo-region generator: determinism, fidelity to the open data, and internal consistency."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pandas as pd
import pytest

from api_schemas.vocab import HomeType, RegistrationStatus
from rcc import geo
from rcc.demo import ChildSeed, generate_region, generate_regions, region_names
from rcc.demo.sources import OFSTED_FILE

DATA_DIR = Path(os.environ.get("RCC_DATA_DIR", "/work/shared/data"))
pytestmark = pytest.mark.skipif(
    not (DATA_DIR / OFSTED_FILE).exists(), reason="shared open data not available"
)


@pytest.fixture(scope="module")
def north_east():
    return generate_region("North East", 1, DATA_DIR)


@pytest.mark.slow
def test_same_seed_same_output_and_different_seed_differs(north_east):
    again = generate_region("North East", 1, DATA_DIR)
    assert again == north_east
    other = generate_region("North East", 2, DATA_DIR)
    assert other.children != north_east.children
    assert other.placements != north_east.placements


def test_unknown_region_lists_valid_names():
    with pytest.raises(ValueError) as err:
        generate_region("Narnia", 1, DATA_DIR)
    for name in region_names(DATA_DIR):
        assert name in str(err.value)
    assert "North East" in region_names(DATA_DIR) and len(region_names(DATA_DIR)) == 9


def test_childrens_homes_and_places_per_la_equal_ofsted_2023(north_east):
    ofsted = pd.read_csv(DATA_DIR / OFSTED_FILE, dtype={"urn": "string"})
    real = ofsted[(ofsted["region"] == "North East") & (ofsted["provision_type"] == "Children's home")]
    expected = real.groupby("la_gss_code").agg(homes=("urn", "size"), places=("places", "sum"))
    ours = [
        h for h in north_east.homes if h.home_type in (HomeType.CHILDRENS_HOME, HomeType.SHORT_BREAK_HOME)
    ]
    got = (
        pd.DataFrame(
            {
                "la": [h.la_gss_code for h in ours],
                "urn": [h.urn for h in ours],
                "places": [h.registered_places for h in ours],
            }
        )
        .groupby("la")
        .agg(homes=("urn", "size"), places=("places", "sum"))
    )
    assert got["homes"].to_dict() == expected["homes"].to_dict()
    assert got["places"].to_dict() == expected["places"].astype(int).to_dict()
    # Real URNs, and short-break-only homes become short-break homes.
    assert {h.urn for h in ours} == set(real["urn"])
    short = set(real.loc[real["short_break_only"], "urn"])
    assert {h.urn for h in ours if h.home_type is HomeType.SHORT_BREAK_HOME} == short


def test_children_in_care_per_la_are_calibrated_on_the_dfe_count(north_east):
    """The simulated population's children in care on 31 March of DfE's latest year: the region within
    6% of DfE's count, each LA within 25% (a simulation with its own noise and trend, not a copy)."""
    cla = pd.read_csv(DATA_DIR / "dfe_children_looked_after_by_la_2021_2025.csv")
    latest = cla[
        (cla["year"] == cla["year"].max()) & (cla["measure"] == "Children looked after on 31 March each year")
    ].set_index("la_gss_code")["children"]
    assert north_east.as_of == dt.date(int(cla["year"].max()), 3, 31)
    referred = {k for r in north_east.referrals for k in r.child_keys}
    per_la = Counter(c.la_gss_code for c in north_east.children if c.key not in referred)
    for la in north_east.las:
        assert abs(per_la[la.gss_code] / latest[la.gss_code] - 1) < 0.25, la.name
    total = sum(latest[la.gss_code] for la in north_east.las)
    assert abs(sum(per_la.values()) / total - 1) < 0.06


def test_every_child_home_sector_geocodes(north_east):
    for c in north_east.children:
        p = geo.geocode(c.home_postcode_sector)
        assert p.kind == "sector"
        assert (p.easting, p.northing) == pytest.approx((c.home_easting, c.home_northing))
        if c.school_postcode_sector is not None:
            s = geo.geocode(c.school_postcode_sector)
            assert (s.easting, s.northing) == pytest.approx((c.school_easting, c.school_northing))
    for h in north_east.homes:
        geo.geocode(h.postcode_sector)


def test_capacities_respected_and_vacancies_are_the_free_places(north_east):
    homes = {h.key: h for h in north_east.homes}
    children = {c.key for c in north_east.children}
    current = [p for p in north_east.placements if p.end_date is None]
    occupied = Counter(p.home_key for p in current)
    assert all(p.child_key in children and p.home_key in homes for p in north_east.placements)
    assert len({p.child_key for p in current}) == len(current)  # one current placement each
    # ended placements (moves) come before the child's current one and never overlap each other
    by_child: dict[str, list] = {}
    for p in north_east.placements:
        by_child.setdefault(p.child_key, []).append(p)
    ended = [p for p in north_east.placements if p.end_date is not None]
    assert len(ended) > 1000
    for ps in by_child.values():
        ps.sort(key=lambda p: p.start_date)
        for a, b in zip(ps, ps[1:], strict=False):
            assert a.end_date is not None and a.end_date <= b.start_date
    for key, n in occupied.items():
        assert n <= homes[key].registered_places
    vacancies = {v.home_key: v.places for v in north_east.vacancies}
    assert len(vacancies) == len(north_east.vacancies)
    for h in north_east.homes:
        free = h.registered_places - occupied[h.key]
        if h.registration_status is not RegistrationStatus.ACTIVE:
            assert occupied[h.key] == 0 and h.key not in vacancies
        elif h.home_type is HomeType.KINSHIP_FOSTER:
            assert free == 0 and h.key not in vacancies
        else:
            assert vacancies.get(h.key, 0) == free
    # Some vacancies are stale (confirmed more than 14 days before the snapshot), most are not.
    snapshot = datetime.combine(north_east.as_of, time(23, 59), tzinfo=UTC)
    assert all(v.confirmed_at.tzinfo is not None and v.confirmed_at <= snapshot for v in north_east.vacancies)
    stale = sum(v.confirmed_at < snapshot - timedelta(days=14) for v in north_east.vacancies)
    assert 0 < stale < len(north_east.vacancies) / 2


def test_referred_children_are_unplaced_and_siblings_are_referred_together(north_east):
    placed = {p.child_key for p in north_east.placements}
    by_key = {c.key: c for c in north_east.children}
    assert north_east.referrals
    for r in north_east.referrals:
        assert r.child_keys and not placed & set(r.child_keys)
        assert {by_key[k].la_gss_code for k in r.child_keys} == {r.la_gss_code}
        groups = {by_key[k].sibling_group_key for k in r.child_keys}
        assert len(groups) == 1
        if len(r.child_keys) > 1:
            members = {c.key for c in north_east.children if c.sibling_group_key == next(iter(groups))}
            assert members == set(r.child_keys)


def test_sibling_groups_share_an_la_and_a_home_address(north_east):
    """Referred children come in sibling groups (the simulated population of children in care has none)."""
    groups: dict[str, list[ChildSeed]] = {}
    referred = {k for r in north_east.referrals for k in r.child_keys}
    for c in north_east.children:
        if c.sibling_group_key:
            groups.setdefault(c.sibling_group_key, []).append(c)
    assert groups
    assert all(c.key in referred for g in groups.values() for c in g)
    share = sum(len(g) for g in groups.values()) / len(referred)
    assert 0.2 < share < 0.5
    for members in groups.values():
        assert len(members) >= 2
        assert len({c.la_gss_code for c in members}) == 1
        assert len({c.home_postcode_sector for c in members}) == 1


def test_children_carry_no_real_looking_names(north_east):
    assert "name" not in {f for f in ChildSeed.__dataclass_fields__}
    ids = [c.la_child_id for c in north_east.children]
    assert len(set(ids)) == len(ids)
    # children in care keep their (simulated) SSDA903 id; referred children get a pseudonym
    referred = {k for r in north_east.referrals for k in r.child_keys}
    for c in north_east.children:
        assert re.fullmatch(r"C[0-9A-F]{10}" if c.key in referred else r"\d{7,8}", c.la_child_id)
    assert all(re.fullmatch(r"child:E\d{8}:r?\d+", c.key) for c in north_east.children)
    # Free text is drawn from generic phrases: no capitalised word other than the first and the
    # languages/methods named in communication needs.
    for c in north_east.children:
        for text in (c.wishes, c.cultural_needs or ""):
            assert not re.search(r"\s[A-Z][a-z]+", text), text


def test_providers_cover_every_home_and_la_services(north_east):
    keys = {p.key for p in north_east.providers}
    assert len(keys) == len(north_east.providers)
    assert {h.provider_key for h in north_east.homes} <= keys
    assert {f"la:{la.gss_code}" for la in north_east.las} <= keys
    assert any(p.difficult_to_replace for p in north_east.providers)
    assert {p.risk_rating for p in north_east.providers} <= {"low", "medium", "high"}
    assert north_east.rcc_name == "North East RCC" and north_east.assumptions


def test_scale_knobs_and_several_regions():
    small = generate_region("North East", 1, DATA_DIR, scale=0.1, referral_scale=3.0)
    full_children = 6038  # DfE, North East, 31 March 2025 (checked in the per-LA test above)
    referred = sum(len(r.child_keys) for r in small.referrals)
    assert abs(len(small.children) - referred - full_children * 0.1) < 12
    both = generate_regions(["North East", "South West"], 1, DATA_DIR, scale=0.05)
    assert [r.region for r in both] == ["North East", "South West"]
