"""Examples of the API's larger answers: forecast, backtest and stress-test jobs, the gap and the
commissioning reports (merged into :data:`rcc.api.examples_responses.RESPONSES`)."""

from __future__ import annotations

from typing import Any

T0, T1, T2 = "2026-11-30T21:00:00Z", "2026-11-30T21:00:01Z", "2026-11-30T21:00:09Z"
COUNT = {"value": 14, "suppressed": False, "caveat": None}
SHARE = {"numerator": 3, "denominator": 14, "percent": 21.4, "suppressed": False, "caveat": None}
STAT = {
    "n": 14,
    "median": 4350.0,
    "q1": 3900.0,
    "q3": 5100.0,
    "mean": 4480.5,
    "suppressed": False,
    "caveat": None,
}
MILES = {**STAT, "median": 6.2, "q1": 3.1, "q3": 14.8, "mean": 9.7}
DAYS = {**STAT, "median": 4.0, "q1": 1.0, "q3": 9.0, "mean": 6.3}
REPORT = {"rcc_id": 1, "rcc_name": "North East RCC", "la_code": None, "la_name": None, "generated_at": T0,
          "source": "the register's placements and homes", "caveats": ["counts under 5 are suppressed"],
          "method": ["medians and IQRs of weekly costs of current placements"]}  # fmt: skip
PERIOD = {"period_start": "2025-12-01", "period_end": "2026-11-30"}
MEASURES = {"children_placed_at_end": COUNT, "residential_at_end": SHARE, "miles_from_home_at_end": MILES,
            "new_placements": {**COUNT, "value": 9}, "new_over_20_miles": {**SHARE, "numerator": 2, "denominator": 9, "percent": 22.2},
            "new_miles_from_home": MILES, "three_plus_placements": SHARE, "days_referral_to_placement": DAYS}  # fmt: skip
DFE_20 = {
    "year": 2025,
    "new_placements": 60,
    "over_20_miles": 11,
    "percent": 18.3,
    "lower_bound": False,
    "caveat": None,
}
DISTANCES = {"n": 6, "mean": 8.4, "median": 6.5}

COVERAGE = {"la": "E06000001", "la_name": "Hartlepool", "status": "current", "covered_to": "2026-03-31",
            "last_recorded": "2026-03-31", "in_forecast": True, "note": "returns up to 2025-26"}  # fmt: skip
JOB = {"kind": "forecast", "status": "succeeded", "params": {"rcc_id": 1}, "error": None,
       "created_at": T0, "started_at": T1, "finished_at": T2}  # fmt: skip
GAP_ROW = {"la": "E06000001", "la_name": "Hartlepool", "category": "residential", "projected_mean": 21.4,
           "projected_hi_80": 25.0, "required": 25, "registered_places": 24, "occupied_places": 20, "free_places": 4,
           "vacancies": 2, "available": 4, "to_commission": 1, "weekly_fee": 5200.0, "fee_source": "median of the LA's homes",
           "weekly_cost_mean": 5200.0, "weekly_cost_hi_80": 5200.0, "annual_cost_mean": 271143.0,
           "annual_cost_hi_80": 271143.0}  # fmt: skip

REPORTS: dict[str, dict[str, Any]] = {
    "ForecastJobOut": {
        "id": "0c1d7a52-3f5e-4c43-9a5b-6f1e2d3c4b5a",
        **JOB,
        "result": {
            "scope": {"rcc_id": 1},
            "origin": "2026-03-31",
            "horizon_months": 12,
            "levels": [80, 95],
            "n_sims": 1000,
            "scenario": {},
            "children_at_origin": {"residential": 20, "foster": 140},
            "lookback_days": 1095,
            "runtime_s": 3.1,
            "forecast": [
                {
                    "la": "E06000001",
                    "age_band": "10-15",
                    "placement": "residential",
                    "period": "2027-03-31",
                    "mean": 21.4,
                    "lo_80": 18.0,
                    "hi_80": 25.0,
                    "lo_95": 16.0,
                    "hi_95": 27.0,
                }
            ],
            "costs": [
                {
                    "la": "E06000001",
                    "placement": "residential",
                    "period": "2027-03-31",
                    "weekly_fee": 5200.0,
                    "fee_source": "median of the LA's homes",
                    "weekly_cost_mean": 111280.0,
                    "annual_cost_mean": 5802457.0,
                    "annual_cost_lo_80": 4880571.0,
                    "annual_cost_hi_80": 6778571.0,
                }
            ],
            "inflation": 0.03,
            "notes": [],
            "coverage": [COVERAGE],
            "covered_las": ["E06000001"],
        },
    },  # fmt: skip
    "BacktestJobOut": {
        "id": "9d8c7b6a-5f4e-4d3c-8b2a-1a0f9e8d7c6b",
        **JOB,
        "kind": "backtest",
        "result": {
            "scope": {"rcc_id": 1},
            "origins": ["2023-03-31", "2024-03-31"],
            "horizon_months": 12,
            "table": [
                {
                    "method": "model",
                    "wape": 0.11,
                    "total_abs_error": 18.0,
                    "coverage_80": 0.82,
                    "coverage_95": 0.94,
                    "runtime_s": 4.2,
                    "cells": 24,
                }
            ],
            "per_origin": {},
            "notes": [],
        },
    },  # fmt: skip
    "GapOut": {
        "headline": "North East RCC needs 1 more residential place by 31 March 2027 (built on 12 of 12 LAs' returns, origin 31 March 2026)",
        "data_coverage": {
            "las_total": 12,
            "las_with_returns": 12,
            "las_missing": [],
            "origin": "2026-03-31",
            "origin_age_days": 244,
            "stale": False,
            "complete": True,
        },
        "scope": {"rcc_id": 1},
        "horizon_months": 12,
        "inflation": 0.03,
        "forecast": {
            "kind": "job",
            "job_id": "0c1d7a52-3f5e-4c43-9a5b-6f1e2d3c4b5a",
            "n_sims": 1000,
            "origin": "2026-03-31",
            "period": "2027-03-31",
        },
        "rule": "required = the 80% upper projection, rounded up",
        "rows": [GAP_ROW],
        "totals": [GAP_ROW],
        "unmet_need": [
            {
                "la": "E06000001",
                "la_name": "Hartlepool",
                "no_eligible_home": 1,
                "not_preferred_type": 0,
                "over_20_miles": 2,
                "total": 3,
            }
        ],
        "unmet_need_available": True,
        "fees": [
            {
                "la": "E06000001",
                "home_type": "childrens_home",
                "category": "residential",
                "homes": 9,
                "median_weekly_fee": 5200.0,
            }
        ],
        "notes": [],
        "coverage": [COVERAGE],
        "covered_las": ["E06000001"],
    },  # fmt: skip
    "CostOfCareOut": {
        **REPORT,
        **PERIOD,
        "placements": COUNT,
        "spend": {
            "placements": 14,
            "weekly": 62727,
            "annualised": 3270765,
            "as_of": "2026-11-30",
            "by_category": [
                {"placements": 14, "weekly": 62727, "annualised": 3270765, "category": "residential"}
            ],
            "by_la": [
                {
                    "placements": 14,
                    "weekly": 62727,
                    "annualised": 3270765,
                    "la_code": "E06000001",
                    "la_name": "Hartlepool",
                }
            ],
            "method": "sum of current placements' weekly costs; annualised x 365.25 / 7",
        },
        "rows": [
            {
                "dimension": "home_type",
                "group": "childrens_home",
                "label": "Children's home",
                "core": STAT,
                "additional_support": {**STAT, "median": 400.0, "q1": 0.0, "q3": 600.0, "mean": 380.0},
                "education": {**STAT, "median": 0.0, "q1": 0.0, "q3": 0.0, "mean": 0.0},
                "other": {**STAT, "median": 0.0, "q1": 0.0, "q3": 0.0, "mean": 0.0},
                "total": STAT,
            }
        ],
        "la_vs_rcc": [],
        "trend": [],
    },  # fmt: skip
    "ConcentrationOut": {
        **REPORT,
        "thresholds": {"moderate": 1500, "high": 2500},
        "areas": [
            {
                "area": "Hartlepool",
                "area_code": "E06000001",
                "category": "residential",
                "places": 240,
                "owner_groups": 31,
                "hhi": 812.5,
                "level": "unconcentrated",
                "top_groups": [{"owner_group": "Example Group", "places": 40, "share_percent": 16.7}],
            }
        ],
    },  # fmt: skip
    "OversightOut": {
        **REPORT,
        "as_of": "2026-11-30",
        "providers": [
            {
                "provider_id": 7,
                "provider_name": "Example Care Ltd",
                "owner_group": "Example Group",
                "sector": "private",
                "risk_rating": "high",
                "contingency_plan_held": True,
                "contingency_plan_date": "2026-10-01",
                "contingency_plan_review_due": False,
                "homes_in_area": 6,
                "places_in_area": 24,
                "children": [{"child_id": 41, "la_code": "E06000001"}],
            }
        ],
    },  # fmt: skip
    "OutcomesOut": {
        **REPORT,
        **PERIOD,
        "year_start": "2026-04-01",
        "overall": {
            **MEASURES,
            "placements_in_year_distribution": {"1": COUNT},
            "endings": {**COUNT, "value": 6},
            "endings_by_reason": [{"reason": "E11", "count": {**COUNT, "value": 6}, "share": SHARE}],
            "waits_excluded_negative": 0,
            "dfe_over_20_miles": DFE_20,
        },
        "by_la": [
            {
                "la_code": "E06000001",
                "la_name": "Hartlepool",
                "new_placements": {**COUNT, "value": 9},
                "new_over_20_miles": SHARE,
                "dfe_over_20_miles": DFE_20,
                "three_plus_placements": SHARE,
                "days_referral_to_placement": DAYS,
            }
        ],
    },  # fmt: skip
    "EqualityOut": {
        **REPORT,
        **PERIOD,
        "year_start": "2026-04-01",
        "groups": [{**MEASURES, "dimension": "sex", "group": "female"}],
    },  # fmt: skip
    "StressTestJob": {
        "id": "7e6d5c4b-3a29-4817-9605-f4e3d2c1b0a9",
        "status": "succeeded",
        "params": {"rcc_id": 1, "owner_group": "Example Group"},
        "error": None,
        "created_at": T0,
        "started_at": T1,
        "finished_at": T2,
        "report": {
            "rcc_id": 1,
            "rcc_name": "North East RCC",
            "owner_group": "Example Group",
            "as_of": "2026-11-30",
            "capacity": "free places today",
            "providers_in_group": 2,
            "homes_removed_in_area": 6,
            "places_removed_in_area": 24,
            "other_las_children_in_group_homes_in_area": 1,
            "affected": 7,
            "referrals": 6,
            "re_placed": 6,
            "unplaced": 1,
            "distance_before_all": DISTANCES,
            "distance_before_re_placed": DISTANCES,
            "distance_after_re_placed": {**DISTANCES, "mean": 14.1, "median": 12.0},
            "over_20_miles_before_re_placed": 0,
            "over_20_miles_after_re_placed": 2,
            "weekly_cost_before_all": 33600,
            "weekly_cost_before_re_placed": 28800,
            "weekly_cost_after_re_placed": 31200,
            "weekly_cost_change": 2400,
            "weekly_cost_change_percent": 8.3,
            "siblings": {
                "groups": 1,
                "together_before": 1,
                "together_after": 1,
                "split_after": 0,
                "unplaced": 0,
            },
            "home_types": [
                {
                    "home_type": "childrens_home",
                    "places_removed": 24,
                    "affected_children_from_type": 7,
                    "spare_places_after_exit": 9,
                    "used_by_re_placements": 6,
                    "spare_places_remaining": 3,
                    "utilisation_percent": 66.7,
                    "exhausted": False,
                }
            ],
            "exhausted_first": [],
            "solver": {"status": "OPTIMAL"},
            "children": [
                {
                    "child_id": 41,
                    "la_code": "E06000001",
                    "sibling_group": False,
                    "before_home_id": 12,
                    "before_home_type": "childrens_home",
                    "before_miles": 6.0,
                    "before_weekly_cost": 4800,
                    "outcome": "re_placed",
                    "after_home_id": 15,
                    "after_home_type": "childrens_home",
                    "after_miles": 11.5,
                    "after_weekly_cost": 5200,
                    "reasons": [],
                }
            ],
            "caveats": [],
            "method": ["re-match the group's children on the remaining free places"],
        },
    },  # fmt: skip
}
