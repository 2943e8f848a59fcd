"""Commissioning figures from a tiny hand-built register (see ``commissioning_fixtures``): every number checked by hand."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select

from rcc.auth import SYSTEM, Principal, Role
from rcc.commissioning import cost, outcomes
from rcc.commissioning import stress as stress_svc
from rcc.db import transaction
from rcc.db.models import AuditEvent, Placement
from rcc.errors import Forbidden, Invalid, NotFound
from tests.services.commissioning_fixtures import END, START, build, dfe_dir


def _row(report, dimension, group):
    return next(r for r in report["rows"] if r["dimension"] == dimension and r["group"] == group)


def test_cost_of_care_medians_and_iqr(factory, world):
    t = build(factory, world)
    with factory() as s:
        r = cost.cost_of_care(s, SYSTEM, world.rcc_id, START, END)
    assert r["placements"]["value"] == 18  # 5 a + 10 b (two each) + 3 for a6
    ch = _row(r, "home_type", "childrens_home")
    assert (ch["total"]["n"], ch["total"]["median"], ch["total"]["q1"], ch["total"]["q3"]) == (
        5,
        3100,
        2100,
        4100,
    )
    assert ch["core"]["median"] == 3000 and ch["additional_support"]["median"] == 100
    assert ch["education"]["median"] == 0 and ch["total"]["caveat"].startswith("small base")
    assert _row(r, "home_type", "ifa_foster")["total"]["median"] == 800
    assert _row(r, "home_type", "ifa_foster")["education"]["median"] == 100
    assert _row(r, "home_type", "supported_accommodation")["total"]["median"] == 500
    la_foster = _row(r, "home_type", "la_foster")["total"]
    assert la_foster["suppressed"] and la_foster["median"] is None and la_foster["n"] is None  # 3 placements
    # 18 totals sorted: 400 x3, 500 x5, 800 x5, 1100..5100 -> the 9th and 10th are both 800
    assert _row(r, "all", "all")["total"]["median"] == 800
    assert _row(r, "sector", "in_house")["total"]["suppressed"]  # the LA's 3 placements
    assert _row(r, "sector", "external")["total"]["n"] == 15
    assert (
        _row(r, "contract", "spot")["total"]["n"] == 10
        and _row(r, "contract", "contracted")["total"]["median"] == 800
    )
    assert _row(r, "owner_group", "Acme Group")["total"]["median"] == 3100
    assert _row(r, "owner_group", "Beta Trust")["total"]["n"] == 10
    assert _row(r, "owner_group", f"{t.la_provider_name} (provider {t.la_provider})")["total"]["suppressed"]
    assert _row(r, "provider", str(world.provider_a))["label"] == "Acme Care"
    assert _row(r, "la", world.la_a)["total"]["median"] == 1600  # 400 x3, 1100..5100: (1100 + 2100) / 2
    # Newcastle against the RCC: 1,600 vs 800
    cmp = next(c for c in r["la_vs_rcc"] if c["la_code"] == world.la_a and c["home_type"] == "all")
    assert (cmp["la_total"]["median"], cmp["rcc_total"]["median"], cmp["difference"], cmp["ratio"]) == (
        1600,
        800,
        800,
        2.0,
    )
    la_f = next(c for c in r["la_vs_rcc"] if c["la_code"] == world.la_a and c["home_type"] == "la_foster")
    assert la_f["difference"] is None and la_f["caveat"]
    assert any("statistical neighbour" in c for c in r["caveats"])
    # trend: open on 30 June 2024 = a1-a5, b1-b5 at H2, a6's first placement -> 11; then 11 each quarter
    q = [p for p in r["trend"] if p["category"] == "all"]
    assert [p["quarter"] for p in q] == ["2024-Q2", "2024-Q3", "2024-Q4", "2025-Q1"]
    assert [p["total"]["n"] for p in q] == [11, 11, 11, 11]
    res = next(p for p in r["trend"] if p["category"] == "residential" and p["quarter"] == "2024-Q2")
    assert res["total"]["median"] == 3100


def test_suppression_at_four_versus_five(factory, world):
    t = build(factory, world)
    with factory() as s:
        r = cost.cost_of_care(s, SYSTEM, world.rcc_id, START, END)
    assert _row(r, "home_type", "ifa_foster")["total"]["n"] == 5
    with transaction(factory) as s:
        s.execute(delete(Placement).where(Placement.id == t.placements["b5"]))
    with factory() as s:
        r = cost.cost_of_care(s, SYSTEM, world.rcc_id, START, END)
    four = _row(r, "home_type", "ifa_foster")["total"]
    assert four["suppressed"] and four["median"] is None and "fewer than 5" in four["caveat"]


def test_scope_and_period_validation(factory, world):
    build(factory, world)
    officer_a = Principal(1, Role.LA_OFFICER, la_id=_la_id(factory, world.la_a))
    with factory() as s:
        mine = cost.cost_of_care(s, officer_a, world.rcc_id, START, END)
        assert mine["la_code"] == world.la_a and mine["placements"]["value"] == 8
        assert {r["group"] for r in mine["rows"] if r["dimension"] == "la"} == {world.la_a}
        with pytest.raises(Forbidden):
            cost.cost_of_care(s, officer_a, world.rcc_id, START, END, la_code=world.la_b)
        with pytest.raises(Forbidden):
            cost.cost_of_care(s, Principal(2, Role.PROVIDER, provider_id=world.provider_a), world.rcc_id)
        with pytest.raises(NotFound):
            cost.cost_of_care(s, Principal(3, Role.RCC_COMMISSIONER, rcc_id=world.rcc_id + 1), world.rcc_id)
        with pytest.raises(Invalid) as exc:
            cost.cost_of_care(s, SYSTEM, world.rcc_id, END, START)
        assert exc.value.details[0].field == "period_end"
        with pytest.raises(Invalid) as exc:
            cost.cost_of_care(s, SYSTEM, world.rcc_id, START, END, la_code=world.la_out)
        assert exc.value.details[0].field == "la"


def _la_id(factory, code):
    from rcc.db.models import LocalAuthority

    with factory() as s:
        return s.scalar(select(LocalAuthority.id).where(LocalAuthority.gss_code == code))


def test_concentration_hhi(factory, world):
    t = build(factory, world)
    with factory() as s:
        r = cost.concentration(s, SYSTEM, world.rcc_id)
    area = {(a["area_code"], a["category"]): a for a in r["areas"]}
    rcc = area[("rcc", "all")]
    # places: Acme 6 (H1), Beta 5 + 4 + 3 = 12 (H2, H4, H5), the council 1 (H3): 10,000 x 181 / 361
    assert (rcc["places"], rcc["owner_groups"], rcc["hhi"], rcc["level"]) == (
        19,
        3,
        5013.9,
        "highly concentrated",
    )
    assert rcc["top_groups"][0] == {"owner_group": "Beta Trust", "places": 12, "share_percent": 63.2}
    assert area[(world.la_a, "all")]["hhi"] == 7551.0  # Acme 6, council 1: 10,000 x 37 / 49
    assert area[(world.la_b, "all")]["hhi"] == 10000
    assert area[("rcc", "residential")]["hhi"] == pytest.approx(10000 * (36 + 9) / 81, abs=0.05)  # H1 6, H5 3
    assert f"{t.la_provider_name} (provider {t.la_provider})" in {
        g["owner_group"] for g in area[("rcc", "all")]["top_groups"]
    }
    assert r["thresholds"] == {"moderate": 1500, "high": 2500}


def test_financial_oversight_lists_children_and_audits(factory, world):
    t = build(factory, world)
    with transaction(factory) as s:
        r = cost.financial_oversight(s, SYSTEM, world.rcc_id, END)
    [acme] = r["providers"]
    assert (acme["provider_name"], acme["risk_rating"], acme["contingency_plan_held"]) == (
        "Acme Care",
        "high",
        True,
    )
    assert (
        acme["contingency_plan_date"] == "2023-01-01" and acme["contingency_plan_review_due"]
    )  # > 12 months
    assert acme["homes_in_area"] == 1 and acme["places_in_area"] == 6
    assert acme["children"] == [{"child_id": t.children[f"a{k}"], "la_code": world.la_a} for k in range(1, 6)]
    with factory() as s:
        audited = s.scalars(select(AuditEvent.entity_id).where(AuditEvent.entity == "child")).all()
        assert sorted(audited) == sorted(t.children[f"a{k}"] for k in range(1, 6))
    with transaction(factory) as s:  # a fresh plan is not flagged
        from rcc.db.models import Provider

        s.get(Provider, world.provider_a).contingency_plan_date = END.replace(month=1)
    with transaction(factory) as s:
        assert not cost.financial_oversight(s, SYSTEM, world.rcc_id, END)["providers"][0][
            "contingency_plan_review_due"
        ]
        officer_b = Principal(1, Role.LA_OFFICER, la_id=_la_id(factory, world.la_b))
        assert cost.financial_oversight(s, officer_b, world.rcc_id, END)["providers"][0]["children"] == []


def test_stability_and_outcome_measures(factory, world, tmp_path):
    build(factory, world)
    with factory() as s:
        r = outcomes.outcomes(s, SYSTEM, world.rcc_id, START, END, data_dir=dfe_dir(tmp_path))
    o = r["overall"]
    assert o["children_placed_at_end"]["value"] == 11
    # moves in the 12 months: a1-a5 one each, b1-b5 two each, a6 three (suppressed: one child)
    assert o["placements_in_year_distribution"]["1"]["value"] == 5
    assert o["placements_in_year_distribution"]["2"]["value"] == 5
    assert o["placements_in_year_distribution"]["3+"]["suppressed"]
    assert o["three_plus_placements"]["suppressed"] and o["three_plus_placements"]["denominator"] == 11
    # endings: b1-b5 CARPL, a6 CARPL and CHILD
    assert o["endings"]["value"] == 7
    reasons = {e["reason"]: e for e in o["endings_by_reason"]}
    assert reasons["CARPL"]["count"]["value"] == 6 and reasons["CARPL"]["share"]["percent"] == 85.7
    assert reasons["CHILD"]["count"]["suppressed"] and reasons["CHILD"]["share"]["suppressed"]
    # referral to placement: 0, 5, 10, 20, 30 days
    d = o["days_referral_to_placement"]
    assert (d["n"], d["median"], d["q1"], d["q3"]) == (5, 10, 5, 20)
    # new placements: 18, of which b1-b5 at H2 (30 miles) are over 20 miles
    assert o["new_placements"]["value"] == 18
    assert (o["new_over_20_miles"]["numerator"], o["new_over_20_miles"]["percent"]) == (5, 27.8)
    assert o["miles_from_home_at_end"]["median"] == 10.0  # 2, 10 x5, 30 x5
    assert o["residential_at_end"]["percent"] == 45.5  # a1-a5 of 11
    # DfE latest year (2025) for the same LAs: (0 + 10 + 5 + 25) / 200, a lower bound (Newcastle part blank)
    assert o["dfe_over_20_miles"] == {
        "year": 2025, "new_placements": 200, "over_20_miles": 40, "percent": 20.0, "lower_bound": True,
        "caveat": "a lower bound: DfE suppressed part of the count over 20 miles",
    }  # fmt: skip
    by_la = {x["la_code"]: x for x in r["by_la"]}
    assert by_la[world.la_b]["new_over_20_miles"]["percent"] == 50.0  # 5 of 10
    assert by_la[world.la_b]["dfe_over_20_miles"]["percent"] == 30.0
    assert by_la[world.la_a]["new_over_20_miles"]["percent"] == 0.0  # 0 of 8
    assert by_la[world.la_a]["dfe_over_20_miles"]["percent"] == 10.0


def test_equality_breakdowns(factory, world):
    build(factory, world)
    with factory() as s:
        r = outcomes.equality(s, SYSTEM, world.rcc_id, START, END)
    g = {(x["dimension"], x["group"]): x for x in r["groups"]}
    white, black, mixed = g[("ethnicity", "White")], g[("ethnicity", "Black")], g[("ethnicity", "Mixed")]
    assert white["children_placed_at_end"]["value"] == 5 and white["residential_at_end"]["percent"] == 100.0
    assert black["residential_at_end"]["percent"] == 0.0 and black["miles_from_home_at_end"]["median"] == 30.0
    assert black["new_over_20_miles"]["percent"] == 50.0  # 5 of b's 10 new placements
    assert mixed["children_placed_at_end"]["suppressed"] and mixed["new_placements"]["suppressed"]
    assert g[("ethnicity", "Asian")]["children_placed_at_end"]["value"] == 0
    assert g[("disability", "disabled")]["children_placed_at_end"]["suppressed"]
    assert g[("disability", "not disabled")]["children_placed_at_end"]["value"] == 10
    assert g[("uasc", "UASC")]["new_over_20_miles"]["percent"] == 50.0
    assert g[("uasc", "not UASC")]["days_referral_to_placement"]["median"] == 10
    # ages on 31 March 2025: a1-a5 15, b1-b5 17, a6 5
    assert g[("age_band", "10-15")]["children_placed_at_end"]["value"] == 5
    assert g[("age_band", "16-17")]["children_placed_at_end"]["value"] == 5
    assert g[("age_band", "5-9")]["children_placed_at_end"]["suppressed"]
    assert ("age_band", "18 and over") not in g


def test_stress_test_on_the_tiny_register(factory, world):
    t = build(factory, world)
    with transaction(factory) as s:
        r = stress_svc.stress_test(s, SYSTEM, world.rcc_id, "Acme Group", END, 10)
    # a1-a5 lose H1; only H5 (3 places, 20 miles, £4,000) can take them: 3 re-placed, 2 not
    assert (r["affected"], r["referrals"], r["re_placed"], r["unplaced"]) == (5, 5, 3, 2)
    assert r["homes_removed_in_area"] == 1 and r["places_removed_in_area"] == 6
    assert r["distance_before_all"] == {"n": 5, "mean": 10.0, "median": 10.0}
    assert r["distance_after_re_placed"] == {"n": 3, "mean": 20.0, "median": 20.0}
    assert r["weekly_cost_after_re_placed"] == 12000
    assert r["weekly_cost_change"] == 12000 - r["weekly_cost_before_re_placed"]
    assert r["weekly_cost_before_all"] == 1100 + 2100 + 3100 + 4100 + 5100
    assert r["exhausted_first"][0] == "childrens_home"
    ch = next(x for x in r["home_types"] if x["home_type"] == "childrens_home")
    assert (ch["places_removed"], ch["spare_places_after_exit"], ch["used_by_re_placements"]) == (6, 3, 3)
    assert sum(c["outcome"] == "unplaced" and bool(c["reasons"]) for c in r["children"]) == 2
    with factory() as s:
        n = s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.detail == "stress test"))
        assert n == 5
    with transaction(factory) as s, pytest.raises(Invalid) as exc:
        stress_svc.stress_test(s, SYSTEM, world.rcc_id, "Nobody Ltd", END)
    assert exc.value.details[0].field == "owner_group"
    assert t.homes["H5"]


def test_a_report_reads_its_placements_once_per_window_and_filters_the_same_rows(factory, world, monkeypatch):
    """The published report's sections share one read of the placements (placements_memo); a narrower
    request inside the memo gets exactly the rows a direct read returns."""
    import datetime as dt

    from rcc.commissioning import reports, scope

    build(factory, world)
    reads: list[tuple] = []
    real = scope._read_placements

    def counted(session, la_ids, start, end):
        reads.append((frozenset(la_ids), start, end))
        return real(session, la_ids, start, end)

    monkeypatch.setattr(scope, "_read_placements", counted)
    with factory() as s:
        las = sorted(scope.resolve_scope(s, SYSTEM, world.rcc_id).member_ids)
        direct = {
            (tuple(sub), a, b): scope._placements(s, sub, a, b)
            for sub in (las, las[:1])
            for a, b in ((START, END), (START + dt.timedelta(days=40), END - dt.timedelta(days=30)))
        }
        reads.clear()
        with scope.placements_memo(s):
            wide = scope._placements(s, las, START - dt.timedelta(days=400), END)
            assert wide and len(reads) == 1
            for (sub, a, b), rows in direct.items():
                assert scope._placements(s, list(sub), a, b) == rows
            assert len(reads) == 1  # every narrower request answered from the first read
        scope._placements(s, las, START, END)
        assert len(reads) == 2  # outside the block: read again
        reads.clear()
        reports._REPORTS.clear()
        html = reports.published_report_html(s, SYSTEM, world.rcc_id, START, END)
    assert "<html" in html.lower() and 1 <= len(reads) < 3  # cost, outcomes and equality: fewer reads than 3
