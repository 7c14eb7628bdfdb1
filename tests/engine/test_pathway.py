"""Each stage of the pathway against cases worked by hand, and extreme values."""

import datetime as dt

import numpy as np
import pytest

from sendsim.codes import AGE_BANDS, SETTINGS
from sendsim.engine.model import RunSpec, SendModel, simulate
from sendsim.parameters import Parameters


def quiet(d: dict) -> dict:
    """No flows at all: no requests, transfers, ceasing, step changes, transitions."""
    d["requests"]["rate_per_1000_by_age"] = [0.0] * 26
    d["assessment"]["in_progress_at_start"] = 0
    d["transfers_in"]["per_month"] = 0.0
    d["ceasing"]["rate_per_year"] = {}
    d["reviews"]["cease_at_review"] = {}
    d["reviews"]["step_down"] = {}
    d["reviews"]["step_up"] = {}
    for t in ("into_reception", "into_secondary", "into_post16", "into_post19"):
        d["phase_transfer"][t] = {}
    d["decide_to_assess"]["refused_request_again"] = 0.0
    return d


def test_start_state_reproduces_the_census(params):
    m = SendModel(params, 1, RunSpec(1))
    s = params.start_state
    for setting in SETTINGS:
        assert m.counts[setting] == s.caseload_by_setting.get(setting, 0)
    census = m.recorder.census[0]
    for band in AGE_BANDS:
        assert census[f"age_{band}"] == s.caseload_by_age_band[band]
    assert len(m.plan_holders) == sum(s.caseload_by_setting.values())


def test_zero_requests_give_no_new_plans(council_dict):
    d = council_dict
    d["requests"]["rate_per_1000_by_age"] = [0.0] * 26
    d["assessment"]["in_progress_at_start"] = 0
    r = simulate(Parameters.from_dict(d), 3, years=3)
    assert r.monthly["requests"].sum() == 0
    assert len(r.plans_issued) == 0
    assert r.monthly["plans_issued"].sum() == 0


def test_no_to_assess_always_means_no_assessments(council_dict):
    council_dict["decide_to_assess"]["no_to_assess"] = 1.0
    council_dict["assessment"]["in_progress_at_start"] = 0
    r = simulate(Parameters.from_dict(council_dict), 4, years=2)
    assert r.monthly["requests"].sum() > 0
    assert r.monthly["assessments_started"].sum() == 0
    assert len(r.plans_issued) == 0


def test_no_to_issue_always_means_no_plans(council_dict):
    council_dict["assessment"]["no_to_issue"] = 1.0
    r = simulate(Parameters.from_dict(council_dict), 5, years=2)
    assert r.monthly["assessments_started"].sum() > 0
    assert len(r.plans_issued) == 0


def test_ample_ep_capacity_issues_nearly_all_within_20_weeks(council_dict):
    council_dict["assessment"]["ep_advices_per_month"] = 10_000.0
    council_dict["requests"]["rate_per_1000_by_age"] = [3 * x for x in council_dict["requests"]["rate_per_1000_by_age"]]
    r = simulate(Parameters.from_dict(council_dict), 6, years=3)
    late = r.plans_issued[r.plans_issued["request_day"] >= 0]
    assert len(late) > 100
    assert (late["weeks_to_issue"] <= 20).mean() > 0.99


def test_scarce_ep_capacity_builds_a_backlog(council_dict):
    council_dict["assessment"]["ep_advices_per_month"] = 1.0      # demand is ~2 a month
    r = simulate(Parameters.from_dict(council_dict), 6, years=3)
    q = r.monthly["ep_queue"].to_numpy()
    assert q[-1] > q[12] > 0
    assert (r.plans_issued["weeks_to_issue"] > 20).mean() > 0.8


def test_agency_eps_clear_the_backlog(council_dict):
    council_dict["assessment"]["ep_advices_per_month"] = 1.0
    council_dict["assessment"]["ep_capacity_changes"] = [{"date": dt.date(2024, 6, 1), "per_month": 20.0}]
    r = simulate(Parameters.from_dict(council_dict), 6, years=3)
    m = r.monthly.set_index("month")
    assert m.loc["2024-05-01", "ep_queue"] > 5
    assert m.loc["2024-10-01":, "ep_queue"].max() <= 1


def test_money_follows_children_exactly_when_nothing_moves(council_dict):
    """Hand-worked: a fixed caseload for a whole financial year costs places x unit costs."""
    d = quiet(council_dict)
    d["start_state"]["caseload_by_setting"] = {"mainstream": 100, "special": 50}
    d["start_state"]["caseload_by_age_band"] = {"5_10": 150}
    d["placement"]["places"] = {"resource_base": 0, "special": 50, "specialist_post16": 0}
    d["placement"]["place_changes"] = []
    d["finance"]["safety_valve_payments"] = []
    p = Parameters.from_dict(d)
    r = simulate(p, 7, years=1.5)
    fy = r.financial_year.set_index("financial_year").loc["2023-24"]
    cost = p.finance.unit_cost_gbp_per_year
    fixed = sum(p.finance.fixed_spend_gbp_per_year.values())
    assert fy["spend_total"] == pytest.approx(100 * cost["mainstream"] + 50 * cost["special"] + fixed)
    assert fy["spend_special"] == pytest.approx(50 * cost["special"])
    assert fy["income_total"] == pytest.approx(p.finance.hnb_income_gbp["2023-24"])
    assert fy["cumulative_balance"] == pytest.approx(
        p.finance.opening_cumulative_balance_gbp + fy["income_total"] - fy["spend_total"])
    # next year is uplifted by inflation
    fy2 = r.financial_year.set_index("financial_year")
    if "2024-25" in fy2.index:
        assert fy2.loc["2024-25", "spend_special"] == pytest.approx(
            50 * cost["special"] * (1 + p.finance.inflation_per_year))


def test_safety_valve_paid_only_when_on_track(council_dict):
    d = quiet(council_dict)
    d["finance"]["safety_valve_payments"] = [
        {"date": dt.date(2024, 6, 1), "amount_gbp": 1e6, "max_cumulative_deficit_gbp": 1e9},
        {"date": dt.date(2025, 6, 1), "amount_gbp": 2e6, "max_cumulative_deficit_gbp": 0.0}]
    r = simulate(Parameters.from_dict(d), 8, years=3)
    fy = r.financial_year.set_index("financial_year")
    assert fy.loc["2024-25", "income_safety_valve"] == pytest.approx(1e6)
    assert fy.loc["2025-26", "income_safety_valve"] == 0.0    # deficit above the limit: withheld


def test_full_special_school_sends_children_to_inmss_or_a_wait(council_dict):
    d = council_dict
    d["placement"]["places"] = {"resource_base": 80, "special": 120, "specialist_post16": 18}
    d["placement"]["place_changes"] = []
    d["reviews"]["step_down"] = {}
    for policy, expect_wait in ((1.0, False), (0.0, True)):
        d["placement"]["inmss_when_full"] = {"special": policy}
        r = simulate(Parameters.from_dict(d), 9, years=3)
        m = r.monthly
        assert (m["caseload_special"] <= m["places_special"]).all()
        if expect_wait:
            assert m["waiting_for_special"].max() > 0
            assert m["inmss_because_full_special"].sum() == 0
        else:
            assert m["waiting_for_special"].max() == 0
            assert m["inmss_because_full_special"].sum() > 0


def test_step_down_moves_inmss_children_into_free_special_places(council_dict):
    d = quiet(council_dict)
    d["placement"]["places"]["special"] = 200        # 80 free places
    d["reviews"]["step_down"] = {"inmss": 1.0}
    d["reviews"]["reviews_per_month"] = 1000.0
    r = simulate(Parameters.from_dict(d), 10, years=1.5)
    m = r.monthly
    assert m["caseload_inmss"].iloc[0] == 25
    assert m["caseload_inmss"].iloc[-1] == 0          # everyone reviewed within a year
    assert m["caseload_special"].iloc[-1] == 120 + 25


def test_reviews_need_caseworkers(council_dict):
    d = quiet(council_dict)
    d["reviews"]["cease_at_review"] = {"needs_met": {b: 1.0 for b in AGE_BANDS}}
    d["reviews"]["reviews_per_month"] = 0.0
    r = simulate(Parameters.from_dict(d), 11, years=2)
    assert r.monthly["ceased_needs_met"].sum() == 0
    d["reviews"]["reviews_per_month"] = 20.0
    r = simulate(Parameters.from_dict(d), 11, years=2)
    assert r.monthly["ceased_needs_met"].sum() == pytest.approx(20 * 12 * 2, rel=0.1)


def test_phase_transfer_into_post16(council_dict):
    d = quiet(council_dict)
    d["phase_transfer"]["into_post16"] = {"mainstream": {"fe_college": 1.0}}
    m = SendModel(Parameters.from_dict(d), 12, RunSpec(1.0))
    m.run()
    year = m.academic_year
    for child in m.plan_holders:
        if year - child.cohort - 5 == 12:
            assert child.setting != "mainstream"


def test_phase_transfer_can_cease_plans_at_19(council_dict):
    d = quiet(council_dict)
    d["phase_transfer"]["into_post19"] = {s: {"cease_employ": 1.0} for s in SETTINGS}
    m = SendModel(Parameters.from_dict(d), 14, RunSpec(1.0))
    m.run()
    year = m.academic_year
    assert all(year - c.cohort - 5 != 15 for c in m.plan_holders)
    assert m.recorder.flow_in(m.recorder.month_of(m.clock.day(dt.date(2023, 9, 1))), "ceased_employ") > 0


def test_nobody_holds_a_plan_past_25(params):
    m = SendModel(params, 13, RunSpec(4.0))
    m.run()
    ages = np.array([(m.now - c.birth_day) / 365.25 for c in m.plan_holders])
    assert ages.max() < 25 + 31 / 365.25 + 1e-9      # checked monthly


def test_fast_tracked_assessments_beat_the_backlog(council_dict):
    """With a long queue, only fast-tracked assessments can be issued within 20 weeks."""
    council_dict["assessment"]["ep_advices_per_month"] = 1.5
    council_dict["assessment"]["in_progress_at_start"] = 40
    shares = {}
    for share in (0.0, 0.3):
        council_dict["assessment"]["ep_priority_share"] = share
        r = simulate(Parameters.from_dict(council_dict), 21, years=3)
        new = r.plans_issued[r.plans_issued["request_day"] >= 0]
        shares[share] = (new["weeks_to_issue"] <= 20).mean()
    assert shares[0.0] < 0.05
    assert shares[0.3] > 0.1     # fast-tracked plans are issued on time despite the queue


def test_casework_capacity_can_follow_the_caseload(council_dict):
    council_dict["transfers_in"]["per_month"] = 30.0       # the caseload grows fast
    for follow in (0.0, 1.0):
        council_dict["reviews"]["capacity_follows_caseload"] = follow
        r = simulate(Parameters.from_dict(council_dict), 22, years=2)
        m = r.monthly
        ratio = m["reviews_per_month_capacity"].iloc[-1] / m["reviews_per_month_capacity"].iloc[1]
        growth = m["caseload"].iloc[-1] / m["caseload"].iloc[0]
        if follow == 0.0:
            assert ratio == 1.0
        else:
            assert ratio == pytest.approx(growth, rel=0.05)
