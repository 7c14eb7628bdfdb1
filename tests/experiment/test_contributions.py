"""Leave-one-out contributions: the parts in which a plan differs from its baseline, the plan
without each part, and the table of paired contributions (sendsim.experiment.contributions)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from small_council import small_council

from sendsim.experiment.contributions import (INTERACTION_LABEL, Part, contribution_scenarios,
                                   contributions_table, scenario_parts, variant_name, without)
from sendsim.experiment.run import Ensemble, fingerprint, run_experiment
from sendsim.parameters import FrozenMap, Parameters
from sendsim.engine.tables import Tables
from sendsim.scenario.definition import (CapacityProject, Condition, Effect, Intervention, Scenario,
                              Sources)
from sendsim.scenario.files import load_scenario

EXPERIMENTS = Path(__file__).resolve().parents[2] / "experiments"
YEARS = 3.0          # January 2023 to January 2026: 2024-25 closes with a 1 April snapshot
AT = "2024-25"
START = dt.date(2023, 2, 1)


def iv(name, target="requests", change="multiply", effect=0.5, **kw) -> Intervention:
    return Intervention(name=name, target=target, change=change, effect=Effect.fixed(effect),
                        start=START, full_effect=dt.date(2023, 6, 1), **kw)


def project(name, places=10) -> CapacityProject:
    return CapacityProject(name=name, setting="special", places=places, opens=dt.date(2024, 9, 1))


def with_finance(d: dict, **finance) -> Parameters:
    d = dict(d, finance=dict(d["finance"], **finance))
    return Parameters.from_dict(d)


# -- the parts ---------------------------------------------------------------------------------

@pytest.fixture
def pair():
    base = small_council()
    versus = Scenario(
        name="base", parameters=Parameters.from_dict(base), title="Baseline",
        interventions=(iv("A kept"), iv("B changed", effect=0.8), iv("C dropped", effect=0.9)),
        capacity_programme=(project("P1 kept"),),
        conditions=(Condition(name="x", kind="in_year_balance_in", financial_year="2024-25"),))
    plan = Scenario(
        name="plan", parameters=with_finance(base, la_contribution_gbp={"2024-25": 1.0e6}),
        title="The plan",
        interventions=(iv("A kept"), iv("B changed", effect=0.7, source="judgement"),
                       iv("D added", target="no_to_assess", change="set", effect=0.3),
                       iv("E added", target="review_capacity", change="add", effect=5.0)),
        capacity_programme=(project("P1 kept"), project("P2 new", places=20)),
        conditions=())                                     # conditions differ: not a part
    return plan, versus


def test_parts_are_exactly_the_differences_in_the_plans_order(pair):
    plan, versus = pair
    parts = scenario_parts(plan, versus)
    assert [p.key for p in parts] == ["b_changed", "d_added", "e_added", "c_dropped",
                                      "capacity_p2_new", "parameters_finance"]
    assert [p.kind for p in parts] == ["intervention"] * 4 + ["capacity project", "parameters"]
    by_key = {p.key: p for p in parts}
    assert by_key["d_added"].label == "D added"
    assert by_key["b_changed"].source == "judgement"
    assert "changed" in by_key["b_changed"].label
    assert "C dropped" in by_key["c_dropped"].label and "base" in by_key["c_dropped"].label
    assert by_key["capacity_p2_new"].label == "Capacity programme: P2 new"
    assert by_key["parameters_finance"].label == "Finance assumptions (parameters.finance)"
    assert by_key["parameters_finance"].source == "finance.la_contribution_gbp"
    assert all(re.fullmatch(r"[a-z0-9_]+", p.key) for p in parts)
    assert scenario_parts(plan, plan) == []


def test_parameter_part_names_every_key_that_differs(pair):
    plan, versus = pair
    d = small_council()
    both = dataclasses.replace(plan, parameters=with_finance(
        d, hnb_income_gbp={"2022-23": 9.0e6, "2023-24": 9.9e6}, schools_block_transfer_gbp={}))
    more = dataclasses.replace(both, parameters=both.parameters.replace(
        **{"requests.trend_per_year": 0.05}))
    parts = {p.key: p for p in scenario_parts(more, versus)}
    assert parts["parameters_finance"].source == \
        "finance.hnb_income_gbp, finance.schools_block_transfer_gbp"
    assert parts["parameters_requests"].source == "requests.trend_per_year"
    assert [k for k in parts if k.startswith("parameters_")] == ["parameters_requests",
                                                                 "parameters_finance"]


def test_without_reverts_each_part_and_nothing_else(pair):
    plan, versus = pair
    parts = {p.key: p for p in scenario_parts(plan, versus)}
    names = lambda s: [i.name for i in s.interventions]
    v = without(plan, versus, parts["d_added"])
    assert names(v) == ["A kept", "B changed", "E added"]
    assert v.parameters == plan.parameters and v.capacity_programme == plan.capacity_programme
    v = without(plan, versus, parts["b_changed"])
    assert v.interventions[1] == versus.interventions[1]           # in place, versus's version
    assert names(v) == names(plan)
    v = without(plan, versus, parts["c_dropped"])
    assert names(v) == ["A kept", "B changed", "C dropped", "D added", "E added"]  # after B
    v = without(plan, versus, parts["capacity_p2_new"])
    assert v.capacity_programme == versus.capacity_programme and v.interventions == plan.interventions
    v = without(plan, versus, parts["parameters_finance"])
    assert v.parameters.to_dict() == versus.parameters.to_dict()
    assert v.interventions == plan.interventions
    assert v.conditions == plan.conditions and v.sources == plan.sources
    assert v.name == "plan__without__parameters_finance" and v.path == ""
    assert v.title == "The plan without Finance assumptions (parameters.finance)"
    with pytest.raises(ValueError, match="'a_kept' is not a part"):
        without(plan, versus, "a_kept")


def test_plan_without_every_part_in_turn_is_the_baseline(pair):
    plan, versus = pair
    s = plan
    for part in scenario_parts(plan, versus):
        s = without(s, versus, part)
    assert s.interventions == versus.interventions
    assert s.capacity_programme == versus.capacity_programme
    assert s.parameters.to_dict() == versus.parameters.to_dict()
    assert scenario_parts(s, versus) == []
    assert s.conditions == plan.conditions                 # conditions stay the plan's


def test_variant_text_is_deterministic_and_follows_the_content(pair):
    plan, versus = pair
    one, parts = contribution_scenarios(plan, versus)
    two, _ = contribution_scenarios(plan, versus)
    assert [v.text for v in one] == [v.text for v in two]
    assert fingerprint(one, 1, YEARS) == fingerprint(two, 1, YEARS)
    assert len({v.name for v in one}) == len(one) == len(parts)
    assert len({v.text for v in one}) == len(one)
    assert [v.name for v in one] == [variant_name("plan", p.key) for p in parts]
    assert all(f"# variant: without {p.key}" in v.text for v, p in zip(one, parts))
    # the baseline's version of a part changes the variant, so its fingerprint must change
    other = dataclasses.replace(versus, interventions=(
        versus.interventions[0], iv("B changed", effect=0.6), versus.interventions[2]))
    moved = without(plan, other, "b_changed")
    assert moved.text != one[0].text
    # a plan read from a file keeps its text, with the variant named after it
    filed = dataclasses.replace(plan, text="[scenario]\nname = 'plan'\n", path="plan.toml")
    v = without(filed, versus, "d_added")
    assert v.text.startswith("[scenario]\nname = 'plan'\n# variant: without d_added")


def test_differing_uncertainty_is_refused(pair):
    plan, versus = pair
    with pytest.raises(ValueError, match="different sources of uncertainty"):
        scenario_parts(dataclasses.replace(plan, sources=Sources(structural=False)), versus)
    draws = (FrozenMap({"requests.trend_per_year": 0.02}),)
    with pytest.raises(ValueError, match="posterior"):
        contribution_scenarios(dataclasses.replace(plan, posterior_draws=draws), versus)


def test_key_clashes_get_a_suffix(pair):
    plan, versus = pair
    clash = dataclasses.replace(plan, interventions=plan.interventions + (
        iv("D: added!", target="ep_capacity", change="add", effect=1.0),
        iv("Total", target="ep_capacity", change="multiply", effect=1.1)))
    keys = [p.key for p in scenario_parts(clash, versus)]
    assert "d_added" in keys and "d_added_2" in keys and "total_2" in keys
    assert "total" not in keys and len(set(keys)) == len(keys)


def test_the_real_wiltshire_plan_splits_into_its_interventions_places_and_finance():
    base = load_scenario(EXPERIMENTS / "wiltshire_baseline.toml")
    plan = load_scenario(EXPERIMENTS / "wiltshire_safety_valve_2025.toml")
    variants, parts = contribution_scenarios(plan, base)
    kinds = [p.kind for p in parts]
    assert kinds.count("intervention") == len(plan.interventions) == 9
    assert kinds.count("capacity project") == len(plan.capacity_programme) == 4
    assert [p.key for p in parts if p.kind == "parameters"] == ["parameters_finance"]
    assert len({p.key for p in parts}) == len(parts)
    assert all(re.fullmatch(r"[a-z0-9_]{1,60}", p.key) for p in parts)
    finance = parts[-1].source
    assert "finance.safety_valve_payments" in finance
    assert "finance.schools_block_transfer_after_gbp" in finance
    end = dt.date(2031, 1, 19)
    assert all(v.problems(end) == [] for v in variants)


# -- the table ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def run():
    d = small_council()
    versus = Scenario(name="base", parameters=Parameters.from_dict(d))
    plan = Scenario(
        name="plan", parameters=with_finance(d, la_contribution_gbp={"2024-25": 5.0e4}),
        interventions=(iv("Tiny: more EP advice", target="ep_capacity", change="add",
                          effect=0.2),
                       iv("Halve requests", effect=0.5)))
    variants, parts = contribution_scenarios(plan, versus)
    res = run_experiment([versus, plan] + variants, reps=8, seed=7, years=YEARS, workers=1,
                         progress=False)
    return res.ensembles, parts


def deficit(ens) -> pd.Series:
    fy = ens.financial_year
    return -fy[fy["financial_year"] == AT].set_index("rep")["cumulative_balance"] / 1e6


def test_big_part_ranks_first_with_the_right_sign(run):
    ens, parts = run
    t = contributions_table(ens, "plan", "base", parts, at=AT)
    assert list(t["measure"].unique()) == ["cumulative_deficit_at_31_march",
                                           "ehc_plans_at_31_march", "inmss_share_at_31_march"]
    orders = [list(g["part_key"]) for _, g in t.groupby("measure", sort=False)]
    assert all(o == orders[0] for o in orders)
    assert orders[0][0] == "halve_requests" and orders[0][-2:] == ["total", "interaction"]
    row = t.set_index(["measure", "part_key"])
    big = row.loc[("cumulative_deficit_at_31_march", "halve_requests")]
    tiny = row.loc[("cumulative_deficit_at_31_march", "tiny_more_ep_advice")]
    assert big["mean"] < 0 and big["p95"] < 0 and abs(big["mean"]) > 5 * abs(tiny["mean"])
    assert row.loc[("ehc_plans_at_31_march", "halve_requests"), "mean"] < 0
    assert big["label"] == "Halve requests" and big["kind"] == "intervention"
    assert big["unit"] == "GBP m" and big["financial_year"] == AT and big["n_reps"] == 8
    assert not np.isnan(big["mc_se"])                     # 8 reps: the median's SE exists
    # the finance part pays 50k towards the deficit and touches no child: exactly -0.05m a rep
    fin = row.loc[("cumulative_deficit_at_31_march", "parameters_finance")]
    assert orders[0][1] == "parameters_finance"
    assert fin["p05"] == pytest.approx(-0.05, abs=1e-9) and fin["p95"] == pytest.approx(-0.05, abs=1e-9)
    assert row.loc[("ehc_plans_at_31_march", "parameters_finance"), "p05"] == 0
    assert row.loc[("ehc_plans_at_31_march", "parameters_finance"), "p95"] == 0


def test_total_and_interaction_from_the_ensembles(run):
    ens, parts = run
    t = contributions_table(ens, "plan", "base", parts, at=AT)
    d = t[t["measure"] == "cumulative_deficit_at_31_march"].set_index("part_key")
    plan = deficit(ens["plan"])
    total = plan - deficit(ens["base"])
    assert d.loc["total", "mean"] == pytest.approx(total.mean(), rel=1e-12)
    assert d.loc["total", "contribution_median"] == pytest.approx(total.median(), rel=1e-12)
    means = {p.key: (plan - deficit(ens[variant_name("plan", p.key)])).mean() for p in parts}
    for key, m in means.items():
        assert d.loc[key, "mean"] == pytest.approx(m, rel=1e-12)
    assert d.loc["interaction", "mean"] == pytest.approx(total.mean() - sum(means.values()),
                                                         abs=1e-12)
    assert d.loc["interaction", "label"] == INTERACTION_LABEL
    assert np.isnan(d.loc["interaction", ["contribution_median", "p05", "p95"]].astype(float)).all()
    # the plans too: plan minus versus, at the 1 April snapshot
    p = t[t["measure"] == "ehc_plans_at_31_march"].set_index("part_key")
    snap = lambda e: e.monthly[e.monthly["month"] == pd.Timestamp("2025-04-01")].set_index("rep")["caseload"]
    assert p.loc["total", "mean"] == pytest.approx((snap(ens["plan"]) - snap(ens["base"])).mean())


def test_dict_parts_and_common_replications(run):
    ens, parts = run
    keep = lambda e, f: Ensemble(**{n: f(getattr(e, n)) for n in Tables.NAMES})
    short = dict(ens)
    name = variant_name("plan", "halve_requests")
    short[name] = keep(ens[name], lambda df: df[df["rep"] != 3])
    entries = [{"scenario": variant_name("plan", p.key), "key": p.key, "label": p.label.upper(),
                "kind": p.kind, "source": p.source} for p in parts]
    t = contributions_table(short, "plan", "base", entries, at=AT)
    assert (t["n_reps"] == 7).all()
    assert "HALVE REQUESTS" in set(t["label"])
    d = t[t["measure"] == "cumulative_deficit_at_31_march"].set_index("part_key")
    reps = [r for r in range(8) if r != 3]
    total = deficit(ens["plan"])[reps] - deficit(ens["base"])[reps]
    assert d.loc["total", "mean"] == pytest.approx(total.mean(), rel=1e-12)


def test_errors_name_the_problem(run):
    ens, parts = run
    missing = dict(ens)
    del missing[variant_name("plan", "parameters_finance")]
    with pytest.raises(ValueError, match="plan__without__parameters_finance"):
        contributions_table(missing, "plan", "base", parts, at=AT)
    with pytest.raises(ValueError, match="'nobody'"):
        contributions_table(ens, "plan", "nobody", parts, at=AT)
    moved = dict(ens)
    moved["base"] = Ensemble(**{n: getattr(ens["base"], n).assign(
        rep=getattr(ens["base"], n)["rep"] + 100) for n in Tables.NAMES})
    with pytest.raises(ValueError, match="no replication in common"):
        contributions_table(moved, "plan", "base", parts, at=AT)
    with pytest.raises(ValueError, match="unique"):
        contributions_table(ens, "plan", "base", [parts[0], parts[0]], at=AT)
    with pytest.raises(ValueError, match="2040-41"):
        contributions_table(ens, "plan", "base", parts, at="2040-41")


def test_part_dataclass_is_frozen():
    p = Part(key="k", label="L", kind="intervention", source="s")
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.key = "other"


def test_a_reverted_section_is_credited_to_the_baselines_files():
    base = load_scenario(EXPERIMENTS / "wiltshire_baseline.toml")
    plan = load_scenario(EXPERIMENTS / "wiltshire_safety_valve_2025.toml")
    v = without(plan, base, "parameters_finance")
    finance = {k: f for k, f in v.parameter_files.items() if k.startswith("finance.")}
    assert finance == {k: f for k, f in base.parameter_files.items() if k.startswith("finance.")}
    assert set(finance.values()) == {"wiltshire_baseline.toml"}
