"""The High Needs Block's accounts: every financial year from the opening balance, the money
identity, place funding kept apart for section 251, inflation by setting, the cost level."""

import datetime as dt

import pytest

from sendsim.engine.model import simulate
from sendsim.parameters import ParameterError, Parameters
from tests.engine.test_pathway import quiet


def fixed_caseload(d: dict) -> dict:
    """No flows and a caseload of 100 in mainstream and 50 in special, places full."""
    d = quiet(d)
    d["start_state"]["caseload_by_setting"] = {"mainstream": 100, "special": 50}
    d["start_state"]["caseload_by_age_band"] = {"5_10": 150}
    d["placement"]["places"] = {"resource_base": 0, "special": 50, "specialist_post16": 0}
    d["placement"]["place_changes"] = []
    d["finance"]["safety_valve_payments"] = []
    return d


def opening_before_start(d: dict) -> dict:
    """The balance stands at 31 March 2022; the start is the January 2023 census; a year before
    it 60 mainstream and 40 special plans."""
    d["finance"]["opening_balance_fy"] = "2021-22"
    d["finance"]["previous_census_by_setting"] = {"mainstream": 60, "special": 40}
    return d


def test_every_financial_year_from_the_opening_balance_is_accounted(council_dict):
    """Hand-worked: 1 April 2022 to the start (19 January 2023, 293 days) is priced on the
    caseload between the censuses at the period's middle; 2022-23 is then closed whole."""
    d = opening_before_start(fixed_caseload(council_dict))
    p = Parameters.from_dict(d)
    r = simulate(p, 3, years=2.3)
    fy = r.financial_year.set_index("financial_year")
    assert list(fy.index[:3]) == ["2022-23", "2023-24", "2024-25"]
    f = p.finance
    days_before = (dt.date(2023, 1, 19) - dt.date(2022, 4, 1)).days
    year_back = (dt.date(2023, 1, 19) - dt.date(2022, 1, 19)).days
    w = (year_back - days_before / 2) / year_back          # the middle, as a share of the year
    deflate = 1 / (1 + f.inflation_per_year)               # 2022-23 is a year before price_base_fy
    cost = f.unit_cost_gbp_per_year
    per_day = {s: cost[s] * deflate / 365 for s in cost}
    before = ((60 + w * 40) * per_day["mainstream"] + (40 + w * 10) * per_day["special"]) * days_before
    after = (100 * per_day["mainstream"] + 50 * per_day["special"]) * (365 - days_before)
    fixed = sum(f.fixed_spend_gbp_per_year.values()) * deflate
    assert fy.loc["2022-23", "spend_total"] == pytest.approx(before + after + fixed, rel=1e-9)
    assert fy.loc["2022-23", "income_total"] == pytest.approx(f.hnb_income_gbp["2022-23"], rel=1e-9)
    assert fy.loc["2022-23", "opening_balance"] == f.opening_cumulative_balance_gbp
    # the lines add up to the totals, the months before the start included
    lines = [c for c in fy.columns if c.startswith("spend_") and c != "spend_total"]
    assert fy.loc["2022-23", lines].sum() == pytest.approx(fy.loc["2022-23", "spend_total"])


@pytest.mark.parametrize("opening", [False, True])
def test_income_less_spend_is_the_change_in_balance_every_year(council_dict, opening):
    d = council_dict
    if opening:
        d = opening_before_start(d)
    r = simulate(Parameters.from_dict(d), 5, years=4)
    fy = r.financial_year.reset_index(drop=True)
    years = [int(y[:4]) for y in fy["financial_year"]]
    assert years == list(range(years[0], years[0] + len(years)))          # none skipped
    assert (fy["income_total"] - fy["spend_total"]).to_numpy() == pytest.approx(
        (fy["cumulative_balance"] - fy["opening_balance"]).to_numpy())
    assert fy["opening_balance"].iloc[1:].to_numpy() == pytest.approx(
        fy["cumulative_balance"].iloc[:-1].to_numpy())


def test_place_funding_is_inside_spend_and_outside_net_spend(council_dict):
    d = fixed_caseload(council_dict)
    d["finance"]["place_funding_gbp_per_year"] = {"special": 10000.0}
    p = Parameters.from_dict(d)
    fy = simulate(p, 7, years=1.5).financial_year.set_index("financial_year").loc["2023-24"]
    assert fy["council_place_funding"] == pytest.approx(50 * 10000.0)
    assert fy["net_high_needs_spend"] == pytest.approx(fy["spend_total"] - 50 * 10000.0)
    cost = p.finance.unit_cost_gbp_per_year          # place funding is part of the unit cost
    assert fy["spend_special"] == pytest.approx(50 * cost["special"])


def test_inflation_by_setting_and_the_cost_level(council_dict):
    d = fixed_caseload(council_dict)
    d["finance"]["inflation_by_setting"] = {"special": 0.08}
    d["finance"]["cost_level"] = 1.25
    p = Parameters.from_dict(d)
    fy = simulate(p, 7, years=2.5).financial_year.set_index("financial_year")
    cost, f = p.finance.unit_cost_gbp_per_year, p.finance
    assert fy.loc["2024-25", "spend_special"] == pytest.approx(50 * cost["special"] * 1.08 * 1.25)
    assert fy.loc["2024-25", "spend_mainstream"] == pytest.approx(
        100 * cost["mainstream"] * (1 + f.inflation_per_year) * 1.25)


@pytest.mark.parametrize("change, key, allowed", [
    ({"opening_balance_fy": "2020-21", "previous_census_by_setting": {"special": 1}},
     "finance.opening_balance_fy", "ending between 2022-01-19"),
    ({"opening_balance_fy": "2023-24"}, "finance.opening_balance_fy", "ending between"),
    ({"opening_balance_fy": "2021-22"}, "finance.previous_census_by_setting", "missing"),
    ({"opening_balance_fy": "2021-22", "previous_census_by_setting": {"specail": 3}},
     "finance.previous_census_by_setting.specail", "unknown setting"),
    ({"place_funding_gbp_per_year": {"special": 30000.0}},
     "finance.place_funding_gbp_per_year.special", "0 to the unit cost"),
    ({"inflation_by_setting": {"inmss": 0.9}}, "finance.inflation_by_setting.inmss", "allowed"),
    ({"safety_valve_payments": [{"date": dt.date(2022, 3, 31), "amount_gbp": 1.0}]},
     "finance.safety_valve_payments", "on or after"),
    ({"cost_basis": ["special: borrowed"]}, "finance.cost_basis[0]", "own outturn, neighbours"),
])
def test_money_inputs_refused_with_the_key_and_what_is_allowed(council_dict, change, key, allowed):
    council_dict["finance"].update(change)
    with pytest.raises(ParameterError) as err:
        Parameters.from_dict(council_dict)
    text = str(err.value)
    assert key in text and allowed in text, text


def test_reserves_against_the_deficit_once_the_override_ends(council_dict):
    """Seed 004's test: the cumulative deficit at the override's end against the reserves."""
    from sendsim.experiment.text import summary_table
    from sendsim.experiment.run import run_experiment
    from sendsim.scenario.definition import Scenario
    council_dict["finance"]["general_fund_reserves_gbp"] = 5.0e6
    council_dict["finance"]["statutory_override_end"] = dt.date(2024, 6, 30)
    p = Parameters.from_dict(council_dict)
    fy = simulate(p, 2, years=3).financial_year.set_index("financial_year")
    # 2024-25 is the year the override ends in: its 31 March balance is the first without it
    assert list(fy.index) == ["2023-24", "2024-25", "2025-26"]
    assert list(fy["override_ended"]) == [False, True, True]
    assert fy["reserves_less_deficit"].to_numpy() == pytest.approx(
        5.0e6 + fy["cumulative_balance"].to_numpy())
    ens = run_experiment([Scenario(name="s", parameters=p)], reps=2, years=3, seed=1,
                         workers=1).ensembles["s"]
    t = summary_table(ens)
    after = t[t["measure"] == "reserves_less_deficit_after_override"]
    assert list(after["period"]) == ["2024-25", "2025-26"]


def test_capital_cost_of_new_places_is_kept_apart_from_revenue(council_dict):
    from sendsim.scenario.definition import CapacityProject, Scenario
    council_dict["finance"]["capital_cost_gbp_per_place"] = {"special": 80_000.0}
    p = Parameters.from_dict(council_dict)
    projects = (CapacityProject(name="school", setting="special", places=20, opens=dt.date(2024, 9, 1)),
                CapacityProject(name="unit", setting="resource_base", places=10,
                                opens=dt.date(2024, 9, 1), capital_cost_gbp=1.5e6))
    with_places = simulate(Scenario(name="p", parameters=p, capacity_programme=projects), 4, years=3)
    without = simulate(Scenario(name="n", parameters=p), 4, years=3)
    fy = with_places.financial_year.set_index("financial_year")
    assert fy.loc["2024-25", "capital_new_places"] == pytest.approx(20 * 80_000.0 + 1.5e6)
    assert fy.loc["2023-24", "capital_new_places"] == 0.0
    # revenue spend does not carry it: the same futures without the projects differ only by
    # the places' use, not by 3.1m of capital in 2024-25
    gap = fy.loc["2024-25", "spend_total"] - without.financial_year.set_index(
        "financial_year").loc["2024-25", "spend_total"]
    assert abs(gap) < 1.0e6
