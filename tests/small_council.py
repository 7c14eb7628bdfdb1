"""A small, invented council that every always-running test builds itself (no shared data).

About a tenth of Wiltshire's size so that a replication takes well under a second.
"""

from __future__ import annotations

import copy
import datetime as dt

from sendsim.codes import AGE_BANDS, NEEDS, SETTINGS

START = dt.date(2023, 1, 19)

_MIX = {
    "under_5": {"early_years": 0.3, "mainstream": 0.4, "resource_base": 0.1, "special": 0.18, "inmss": 0.02},
    "5_10": {"mainstream": 0.7, "resource_base": 0.1, "special": 0.15, "inmss": 0.05},
    "11_15": {"mainstream": 0.7, "resource_base": 0.1, "special": 0.12, "inmss": 0.08},
    "16_19": {"mainstream": 0.3, "fe_college": 0.5, "specialist_post16": 0.1, "special": 0.1},
    "20_25": {"fe_college": 0.7, "specialist_post16": 0.2, "neet": 0.1},
}


def small_council() -> dict:
    """A complete, valid parameter dict (as read from TOML)."""
    pop = [500.0] * 26
    return copy.deepcopy({
        "council": {"name": "Smallshire", "la_code": "E99999999", "start_date": START,
                    "sources": ["invented for tests"]},
        "population": {"projection": {"2022": pop, "2030": pop, "2040": pop}},
        "start_state": {
            "caseload_by_setting": {"early_years": 5, "mainstream": 250, "resource_base": 80,
                                    "special": 120, "inmss": 25, "ap_pru": 2, "fe_college": 60,
                                    "specialist_post16": 18, "eotas": 20, "neet": 10},
            "caseload_by_age_band": {"under_5": 30, "5_10": 220, "11_15": 190, "16_19": 110,
                                     "20_25": 40},
            "need_mix": {n: 1.0 / len(NEEDS) for n in NEEDS[:-1]} | {NEEDS[-1]: 1.0 - (len(NEEDS) - 1) / len(NEEDS)},
        },
        "sen_support": {"prevalence_by_ncy": [0.08, 0.1, 0.12, 0.13, 0.14, 0.15, 0.15, 0.14, 0.13,
                                              0.12, 0.12, 0.11],
                        "exit_rate_per_month": 1 / 36},
        "requests": {"rate_per_1000_by_age": [0, 0.5, 4, 8, 5, 5, 4, 4, 4, 5, 5, 3, 2, 2, 2, 2,
                                              1, 0.5, 0.3, 0.2, 0, 0, 0, 0, 0, 0],
                     "trend_per_year": 0.03, "trend_sd_per_year": 0.0,
                     "trend_base_date": dt.date(2023, 1, 1), "from_sen_support": 0.6,
                     "parent_share": 0.32},
        "decide_to_assess": {"no_to_assess": 0.15, "decision_weeks_min": 3,
                             "decision_weeks_mode": 5, "decision_weeks_max": 6,
                             "refused_request_again": 0.1, "request_again_after_months": 6},
        "assessment": {"ep_advices_per_month": 6.0, "ep_capacity_changes": [],
                       "ep_advice_weeks": 6, "drafting_weeks_min": 2, "drafting_weeks_mode": 4,
                       "drafting_weeks_max": 7, "no_to_issue": 0.04, "in_progress_at_start": 20,
                       "oldest_in_progress_weeks": 20},
        "placement": {"new_plan_mix": _MIX,
                      "places": {"resource_base": 85, "special": 125, "specialist_post16": 20},
                      "place_changes": [{"date": dt.date(2024, 9, 1), "setting": "special",
                                         "places": 10, "label": "new unit"}],
                      "inmss_when_full": {"special": 0.5, "resource_base": 0.0}},
        "reviews": {"interval_months": 12, "under5_interval_months": 6, "reviews_per_month": 60,
                    "step_down": {"inmss": 0.03, "special": 0.02, "resource_base": 0.03},
                    "step_up": {"mainstream": 0.02, "resource_base": 0.02, "special": 0.01},
                    "cease_at_review": {"needs_met": {b: 0.01 for b in AGE_BANDS},
                                        "he": {"16_19": 0.03, "20_25": 0.05},
                                        "employ": {"16_19": 0.02, "20_25": 0.05},
                                        "no_engage": {"16_19": 0.03, "20_25": 0.15}}},
        "phase_transfer": {
            "into_reception": {"early_years": {"mainstream": 0.7, "resource_base": 0.1, "special": 0.2}},
            "into_secondary": {"mainstream": {"mainstream": 0.92, "resource_base": 0.04, "special": 0.03, "inmss": 0.01}},
            "into_post16": {"mainstream": {"mainstream": 0.35, "fe_college": 0.6, "neet": 0.05},
                            "resource_base": {"fe_college": 0.7, "mainstream": 0.3},
                            "special": {"special": 0.8, "specialist_post16": 0.2},
                            "inmss": {"inmss": 0.7, "specialist_post16": 0.3}},
            "into_post19": {"mainstream": {"fe_college": 0.6, "neet": 0.1, "cease_employ": 0.3},
                            "special": {"specialist_post16": 0.5, "fe_college": 0.4, "neet": 0.1},
                            "inmss": {"specialist_post16": 0.6, "inmss": 0.4}},
        },
        "ceasing": {"rate_per_year": {"transfer": {b: 0.02 for b in AGE_BANDS},
                                      "moved_outside_eng": {b: 0.001 for b in AGE_BANDS},
                                      "deceased": {b: 0.0005 for b in AGE_BANDS}}},
        "transfers_in": {"per_month": 1.5,
                         "age_mix": {"under_5": 0.1, "5_10": 0.4, "11_15": 0.35, "16_19": 0.1, "20_25": 0.05}},
        "finance": {
            "unit_cost_gbp_per_year": {"early_years": 8000, "mainstream": 9000, "resource_base": 15000,
                                       "special": 25000, "inmss": 55000, "ap_pru": 20000,
                                       "fe_college": 8000, "specialist_post16": 40000,
                                       "eotas": 15000, "neet": 0},
            "price_base_fy": "2023-24", "inflation_per_year": 0.022,
            "fixed_spend_gbp_per_year": {"central_sen_services": 500000.0},
            "hnb_income_gbp": {"2022-23": 9.0e6, "2023-24": 9.5e6},
            "hnb_growth_per_year": 0.03,
            "schools_block_transfer_gbp": {"2024-25": 200000.0},
            "schools_block_transfer_after_gbp": 200000.0,
            "la_contribution_gbp": {},
            "safety_valve_payments": [{"date": dt.date(2025, 3, 31), "amount_gbp": 1.0e6,
                                       "max_cumulative_deficit_gbp": 20.0e6}],
            "opening_cumulative_balance_gbp": -3.0e6,
            "statutory_override_end": dt.date(2026, 3, 31),
        },
    })


def all_settings_costed() -> bool:  # guard used by tests: the fixture prices every setting
    return set(small_council()["finance"]["unit_cost_gbp_per_year"]) == set(SETTINGS)
