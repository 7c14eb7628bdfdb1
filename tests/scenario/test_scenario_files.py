"""Scenario files: merging through `extends`, and every kind of bad input refused with the file
and key named, before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import intervention
from sendsim.cli import main
from sendsim.scenario.files import ScenarioError, load_scenario

EXPERIMENTS = Path(__file__).resolve().parents[2] / "experiments"


def write(tmp_path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


HEAD = """
[scenario]
name = "{name}"
base = "builtin:wiltshire"
"""


def problems_of(path: Path) -> str:
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert str(path) in str(err.value)
    assert all(line.startswith(f"{path}: ") for line in err.value.lines())
    return "\n".join(err.value.lines())


def test_the_shipped_scenarios_load_and_inherit(tmp_path):
    base = load_scenario(EXPERIMENTS / "wiltshire_baseline.toml")
    plan = load_scenario(EXPERIMENTS / "wiltshire_safety_valve_2025.toml")
    assert [c.name for c in plan.conditions] == [c.name for c in base.conditions]
    assert len(plan.interventions) == 9 and len(plan.capacity_programme) == 4
    # the plan is priced like the baseline it is compared with (income and inflation built in)
    assert plan.parameters.finance.hnb_income_gbp == base.parameters.finance.hnb_income_gbp
    assert plan.parameters.finance.inflation_per_year == base.parameters.finance.inflation_per_year
    assert plan.parameters.finance.schools_block_transfer_gbp["2025-26"] == 1_731_466.0
    more = tmp_path / "more.toml"
    more.write_text(f'[scenario]\nname = "more"\nextends = "{EXPERIMENTS / "wiltshire_safety_valve_2025.toml"}"\n'
                    '[parameters.finance]\nhnb_income_gbp = { "2026-27" = 1.0 }\n', encoding="utf-8")
    income = load_scenario(more).parameters.finance.hnb_income_gbp
    assert income["2026-27"] == 1.0 and income["2019-20"] == base.parameters.finance.hnb_income_gbp["2019-20"]   # maps merge by key
    assert len(base.parameters.placement.place_changes) == 1             # lists replace whole
    total_sv = sum(p.amount_gbp for p in plan.parameters.finance.safety_valve_payments)
    assert total_sv == pytest.approx(67_000_000.0, abs=1.0)
    assert "wiltshire_baseline.toml" in plan.text and "wiltshire_safety_valve_2025.toml" in plan.text


@pytest.mark.parametrize("target, change, effect, expected", [
    ("requests", "multiply", "1.5", "can only reduce requests"),
    ("requests", "per_month", "{ low = -2.0, mode = 1.0, high = 3.0 }", "can only reduce requests"),
    ("inmss_placements", "multiply", "1.2", "can only reduce inmss_placements"),
    ("ceasing", "per_month", "-3.0", "extra ceasing cannot be negative"),
    ("no_to_assess", "set", "{ low = 0.3, mode = 0.2, high = 0.4 }", "need low <= mode <= high"),
    ("no_to_issue", "set", "1.4", "a probability must lie in [0, 1]"),
    ("bed_nights", "add", "1.0", "'bed_nights' is not a target"),
])
def test_effects_the_engine_cannot_carry_out_are_refused(tmp_path, target, change, effect, expected):
    path = write(tmp_path, "s.toml", HEAD.format(name="s") + intervention("lever", target, change, effect))
    assert expected in problems_of(path)


def test_a_change_a_target_does_not_take_gets_one_clear_message(tmp_path):
    path = write(tmp_path, "s.toml", HEAD.format(name="s") + intervention("eps", "ep_capacity", "set", "0.5"))
    text = problems_of(path)
    assert "'set' is not allowed for target 'ep_capacity'; allowed: add, multiply" in text
    assert "probability" not in text


def test_filters_are_checked(tmp_path):
    text = HEAD.format(name="s")
    text += intervention("a", "step_down", "add", "0.1", 'setting = "mainstream"')
    text += intervention("b", "no_to_issue", "set", "0.1", 'needs = ["XYZ"]')
    text += intervention("c", "ep_capacity", "add", "1.0", 'age_bands = ["5_10"]')
    text += intervention("d", "ceasing", "per_month", "1.0", 'reason = "bored"')
    out = problems_of(write(tmp_path, "s.toml", text))
    assert "no step down from 'mainstream'" in out
    assert "'XYZ' is not a primary need" in out
    assert "cannot be restricted by age" in out
    assert "'bored' not allowed" in out


def test_duplicate_names_are_refused(tmp_path):
    text = HEAD.format(name="s") + """
[[conditions]]
name = "balance"
kind = "in_year_balance_from"
financial_year = "2028-29"

[[conditions]]
name = "balance"
kind = "in_year_balance_in"
financial_year = "2027-28"

[[capacity_programme]]
name = "school"
setting = "special"
places = 10
opens = 2025-09-01

[[capacity_programme]]
name = "school"
setting = "special"
places = 20
opens = 2026-09-01
"""
    out = problems_of(write(tmp_path, "s.toml", text))
    assert "conditions[1] ('balance'): name used twice" in out
    assert "capacity_programme[1] ('school'): name used twice" in out


def test_extends_replaces_by_name_in_place_and_drops(tmp_path):
    parent = HEAD.format(name="parent")
    for name in ("first", "second", "third"):
        parent += intervention(name, "no_to_issue", "set", "0.05")
    write(tmp_path, "parent.toml", parent)
    child = write(tmp_path, "child.toml", """
[scenario]
name = "child"
extends = "parent.toml"
drop = ["third"]
""" + intervention("second", "no_to_issue", "set", "0.09"))
    s = load_scenario(child)
    assert [iv.name for iv in s.interventions] == ["first", "second"]     # order kept
    assert s.interventions[1].effect.mode == 0.09
    bad = write(tmp_path, "bad.toml", '[scenario]\nname = "bad"\nextends = "parent.toml"\ndrop = ["fourth"]\n')
    assert "'fourth' is not an inherited" in problems_of(bad)
    lone = write(tmp_path, "lone.toml", HEAD.format(name="lone") + 'drop = ["first"]\n')
    assert "only a scenario that `extends` another can drop" in problems_of(lone)


def test_extends_cycles_and_missing_files_are_named(tmp_path):
    write(tmp_path, "a.toml", '[scenario]\nname = "a"\nextends = "b.toml"\n')
    write(tmp_path, "b.toml", '[scenario]\nname = "b"\nextends = "a.toml"\n')
    assert "a cycle" in problems_of(tmp_path / "a.toml")
    missing = write(tmp_path, "m.toml", '[scenario]\nname = "m"\nextends = "nowhere.toml"\n')
    assert "'nowhere.toml' not found" in problems_of(missing)


def test_check_names_dates_outside_the_run(capsys):
    plan = EXPERIMENTS / "wiltshire_safety_valve_2025.toml"
    assert main(["check", str(plan), "--years", "3"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()    # every problem, one a line
    assert len(lines) == 2 and all(line.startswith(f"sendsim: {plan}: ") for line in lines)
    assert any("Further special school places, September 2028" in line and
               "outside the simulated horizon" in line for line in lines)
    assert main(["check", str(plan)]) == 0


def test_overwrite_never_deletes_a_folder_that_is_not_an_experiment(tmp_path, capsys):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "thesis.docx").write_text("years of work")
    path = write(tmp_path, "s.toml", HEAD.format(name="s"))
    assert main(["run", str(path), "--reps", "1", "--out", str(folder), "--overwrite", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "not written by sendsim" in err and "--overwrite" not in err
    assert (folder / "thesis.docx").read_text() == "years of work"
