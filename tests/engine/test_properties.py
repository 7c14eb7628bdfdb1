"""Invariants over random valid parameter sets (Hypothesis).

Children are never lost or duplicated; no setting ever holds more children than its places;
income - spend = change in balance every financial year; the caseload equals the children in
settings.
"""

from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sendsim.codes import CAPACITY_SETTINGS, SETTINGS
from sendsim.engine.model import simulate
from sendsim.parameters import Parameters
from small_council import small_council

prob = st.floats(min_value=0.0, max_value=1.0)


@st.composite
def parameter_sets(draw):
    d = small_council()
    scale = draw(st.floats(min_value=0.0, max_value=4.0))
    d["requests"]["rate_per_1000_by_age"] = [x * scale for x in d["requests"]["rate_per_1000_by_age"]]
    d["requests"]["trend_per_year"] = draw(st.floats(min_value=-0.2, max_value=0.3))
    d["decide_to_assess"]["no_to_assess"] = draw(prob)
    d["decide_to_assess"]["refused_request_again"] = draw(prob)
    d["assessment"]["no_to_issue"] = draw(prob)
    d["assessment"]["ep_advices_per_month"] = draw(st.floats(min_value=0.0, max_value=40.0))
    d["assessment"]["in_progress_at_start"] = draw(st.integers(min_value=0, max_value=60))
    d["placement"]["inmss_when_full"] = {s: draw(prob) for s in CAPACITY_SETTINGS}
    for s in CAPACITY_SETTINGS:
        occupied = d["start_state"]["caseload_by_setting"][s]
        d["placement"]["places"][s] = occupied + draw(st.integers(min_value=0, max_value=10))
    d["placement"]["place_changes"] = [
        {"date": __import__("datetime").date(2024, 9, 1), "setting": "special",
         "places": draw(st.integers(min_value=-30, max_value=30))}]
    d["reviews"]["reviews_per_month"] = draw(st.floats(min_value=0.0, max_value=100.0))
    d["reviews"]["step_down"] = {s: draw(prob) for s in ("inmss", "special", "resource_base")}
    d["reviews"]["step_up"] = {s: draw(st.floats(min_value=0, max_value=0.3))
                               for s in ("mainstream", "resource_base", "special")}
    d["transfers_in"]["per_month"] = draw(st.floats(min_value=0.0, max_value=5.0))
    d["ceasing"]["rate_per_year"]["transfer"] = {b: draw(st.floats(min_value=0, max_value=0.3))
                                                 for b in ("under_5", "5_10", "11_15", "16_19", "20_25")}
    return Parameters.from_dict(d), draw(st.integers(min_value=0, max_value=2**32 - 1))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=parameter_sets())
def test_invariants_hold(case):
    params, seed = case
    r = simulate(params, seed, years=2.5)

    # children are never lost or duplicated
    entered = [e[0] for e in r.entries]
    exited = [e[0] for e in r.exits]
    assert len(set(entered)) == len(entered), "a child entered twice"
    assert len(set(exited)) == len(exited), "a child left twice"
    assert set(exited) <= set(entered), "a child left without entering"
    assert set(r.present_ids) == set(entered) - set(exited)
    assert all(route for _, _, route in r.exits)

    m = r.monthly
    # occupancy never exceeds places; nobody is in two places
    for s in CAPACITY_SETTINGS:
        assert (m[f"caseload_{s}"] <= m[f"places_{s}"]).all(), s
    assert (m["caseload"] == m[[f"caseload_{s}" for s in SETTINGS]].sum(axis=1)).all()
    assert (m[[f"caseload_{s}" for s in SETTINGS]] >= 0).all().all()

    # plans: start + issued + transferred in - ceased = plans at the end of each month
    flows = m["plans_issued"] + m["transfers_in"] - m["ceased"]
    assert (m["caseload"].iloc[1:].to_numpy() == (m["caseload"] + flows).iloc[:-1].to_numpy()).all()

    # the money identity, every financial year
    f = r.financial_year
    assert len(f) >= 1
    for _, row in f.iterrows():
        assert abs(row["income_total"] - row["spend_total"] - row["in_year_balance"]) < 1e-6 * max(1, row["spend_total"])
        assert abs(row["opening_balance"] + row["in_year_balance"] - row["cumulative_balance"]) < 1e-3
    assert (f["opening_balance"].iloc[1:].to_numpy() == f["cumulative_balance"].iloc[:-1].to_numpy()).all()
    monthly_spend = m.groupby("financial_year")["spend_total"].sum()
    for _, row in f.iterrows():
        assert abs(monthly_spend[row["financial_year"]] - row["spend_total"]) < 1e-6 * max(1, row["spend_total"])

    # every exit route is one the model knows
    routes = Counter(route for _, _, route in r.exits)
    known = {"sen_support_needs_met", "sen_support_left_school", "no_to_assess", "no_to_issue"} | {
        f"ceased_{x}" for x in ("max_age", "needs_met", "he", "employ", "transfer", "no_engage",
                                 "moved_outside_eng", "deceased")}
    assert set(routes) <= known, set(routes) - known


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=parameter_sets())
def test_sen_support_pupils_are_accounted_for(case):
    """Each month: stock + identified - needs met - requested + returned - left school = next."""
    params, seed = case
    m = simulate(params, seed, years=2.5).monthly
    change = (m["sen_support_identified"] - m["sen_support_exits"] - m["sen_support_requested"]
              + m["sen_support_returned"] - m["sen_support_left_school"])
    assert (m["sen_support"].iloc[1:].to_numpy() == (m["sen_support"] + change).iloc[:-1].to_numpy()).all()
    assert m["sen_support_start"].iloc[0] == m["sen_support"].iloc[0]


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=parameter_sets())
def test_ample_ep_capacity_makes_plans_timely(case):
    """With EP capacity far above demand, 20-week timeliness approaches 100% (the small
    council's slowest decision + EP advice + drafting is 19 weeks)."""
    from hypothesis import assume
    params, seed = case
    params = params.replace(**{"assessment.ep_advices_per_month": 100_000.0,
                               "assessment.in_progress_at_start": 0,
                               "assessment.no_to_issue": 0.0,
                               "decide_to_assess.no_to_assess": 0.0})
    plans = simulate(params, seed, years=2).plans_issued
    assume(len(plans) >= 10)
    assert (plans["weeks_to_issue"] <= 20).mean() >= 0.99


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=parameter_sets())
def test_zero_requests_mean_no_new_plans(case):
    params, seed = case
    params = params.replace(**{"requests.rate_per_1000_by_age": [0.0] * 26,
                               "assessment.in_progress_at_start": 0})
    r = simulate(params, seed, years=2)
    assert r.monthly["requests"].sum() == 0
    assert len(r.plans_issued) == 0 and r.monthly["plans_issued"].sum() == 0
