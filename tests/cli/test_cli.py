"""The command line, as a council modeller would use it."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sendsim.cli import main
from sendsim.parameters import Parameters
from small_council import small_council


@pytest.fixture
def param_file(tmp_path):
    return Parameters.from_dict(small_council()).save(tmp_path / "smallshire.toml")


def test_help_explains_each_command():
    out = subprocess.run([sys.executable, "-m", "sendsim", "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    for command in ("run", "compare", "summarise", "check", "params"):
        assert command in out.stdout
    run_help = subprocess.run([sys.executable, "-m", "sendsim", "run", "--help"], capture_output=True, text=True)
    for option in ("SCENARIO.toml", "--params", "--reps", "--seed", "--years", "--out", "--workers",
                   "--executor", "--scheduler"):
        assert option in run_help.stdout


def test_run_writes_replications_summaries_charts_and_manifest(param_file, tmp_path, capsys):
    out = tmp_path / "results"
    code = main(["run", "--params", str(param_file), "--reps", "3", "--years", "2", "--seed", "5",
                 "--out", str(out), "--workers", "1", "--quiet"])
    assert code == 0
    text = capsys.readouterr().out
    assert "EHC plans at the January census" in text
    assert "90% prediction interval" in text and "3 replications" in text
    assert "Cumulative DSG balance at 31 March" in text
    summary = out / "summary"
    for name in ("report.txt", "provenance.json", "smallshire__quantiles_by_financial_year.csv",
                 "smallshire__headline_measures.csv", "smallshire__first_balance_year.csv",
                 "charts/caseload.png", "charts/inmss_share.png", "charts/in_year_balance.png",
                 "charts/cumulative_balance.png"):
        assert (summary / name).stat().st_size > 0, name
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["root_seed"] == 5 and manifest["reps"] == 3 and manifest["status"] == "complete"
    assert "Smallshire" in manifest["scenario_text"]["smallshire"]     # the file's own text
    census = pd.read_parquet(out / "reps" / "smallshire" / "census")
    assert sorted(census["rep"].unique()) == [0, 1, 2]
    # the first census is the start state in every replication
    first = census[census["time_period"] == 202223]
    assert (first["ehcplans"] == sum(small_council()["start_state"]["caseload_by_setting"].values())).all()
    quantiles = pd.read_csv(summary / "smallshire__quantiles_by_financial_year.csv")
    caseload = quantiles[quantiles["series"] == "caseload"]
    assert (caseload["q05"] <= caseload["q50"]).all() and (caseload["q50"] <= caseload["q95"]).all()
    assert (caseload["n_reps"] == 3).all()


def test_run_resumes_and_never_mixes_experiments(param_file, tmp_path, capsys):
    out = tmp_path / "results"
    args = ["run", str(param_file), "--reps", "2", "--years", "1", "--out", str(out), "--quiet",
            "--workers", "1"]
    assert main(args) == 0
    first = pd.read_parquet(out / "reps" / "smallshire" / "monthly")
    assert main(args) == 0                           # the same command again: nothing to redo
    assert "0 replications run" in capsys.readouterr().out
    pd.testing.assert_frame_equal(first, pd.read_parquet(out / "reps" / "smallshire" / "monthly"))
    code = main(args[:-2] + ["--seed", "6"])         # another experiment into the same folder
    assert code == 2
    assert "different experiment" in capsys.readouterr().err
    pd.testing.assert_frame_equal(first, pd.read_parquet(out / "reps" / "smallshire" / "monthly"))
    assert main(args + ["--seed", "6", "--overwrite"]) == 0
    assert json.loads((out / "manifest.json").read_text())["root_seed"] == 6


def test_run_never_writes_into_a_folder_of_other_files(param_file, tmp_path, capsys):
    out = tmp_path / "results"
    out.mkdir()
    (out / "keep.txt").write_text("earlier results")
    code = main(["run", "--params", str(param_file), "--reps", "1", "--years", "1", "--out", str(out), "--quiet"])
    assert code == 2
    err = capsys.readouterr().err
    assert "not written by sendsim" in err and "--overwrite" not in err
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert main(["run", "--params", str(param_file), "--reps", "1", "--years", "1", "--out",
                 str(out), "--quiet", "--overwrite"]) == 2       # --overwrite does not change that
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_compare_prints_paired_differences_and_chances(param_file, tmp_path, capsys):
    stricter = tmp_path / "stricter.toml"
    stricter.write_text(f"""
[scenario]
name = "stricter"
base = "{param_file.name}"

[[interventions]]
name = "stricter decisions"
target = "no_to_assess"
change = "set"
effect = {{ low = 0.3, mode = 0.35, high = 0.4 }}
start = 2023-04-01

[[conditions]]
name = "in balance from 2024-25"
kind = "in_year_balance_from"
financial_year = "2024-25"
""")
    out = tmp_path / "cmp"
    code = main(["compare", str(param_file), str(stricter), "--reps", "3", "--years", "2",
                 "--out", str(out), "--workers", "1", "--quiet", "--at", "2024-25"])
    assert code == 0
    text = capsys.readouterr().out
    assert "stricter vs smallshire" in text
    assert "EHC plans at 31 March 2025" in text
    assert "in balance from 2024-25" in text
    table = pd.read_csv(out / "summary" / "headline.csv")
    diff = table[(table["kind"] == "paired difference") & (table["measure"] == "ehc_plans_at_31_march")]
    assert len(diff) == 1 and diff["estimate"].iloc[0] < 0      # stricter decisions, fewer plans
    assert (out / "summary" / "paired__stricter__minus__smallshire.csv").is_file()


def test_a_bad_scenario_names_file_and_key_and_writes_nothing(param_file, tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(f"""
[scenario]
name = "bad"
base = "{param_file.name}"

[parameters]
decide_to_assess.no_to_asess = 0.3

[[interventions]]
name = "backwards"
target = "requests"
change = "multiply"
effect = {{ low = 0.9, mode = 0.8, high = 0.7 }}
start = 2023-04-01

[[capacity_programme]]
name = "closure"
setting = "special"
places = -20
opens = 2023-09-01
""")
    out = tmp_path / "never"
    code = main(["run", str(bad), "--reps", "1", "--out", str(out), "--quiet"])
    assert code == 2
    err = capsys.readouterr().err
    assert "bad.toml" in err and "parameters.decide_to_assess.no_to_asess: unknown key" in err
    assert not out.exists()
    bad.write_text(bad.read_text().replace("no_to_asess", "no_to_assess"))
    assert main(["run", str(bad), "--reps", "1", "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err     # one line: the first problem, and a count
    assert "backwards" in err and "low <= mode <= high" in err
    assert "1 more problem" in err and f"sendsim check {bad}" in err
    assert not out.exists()
    assert main(["check", str(bad)]) == 2               # check lists every problem, one a line
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2 and all(line.startswith(f"sendsim: {bad}: ") for line in lines)
    assert "backwards" in lines[0] and "low <= mode <= high" in lines[0]
    assert "closure" in lines[1] and "capacity cannot be negative" in lines[1]


def test_bad_parameter_file_names_key_and_writes_nothing(tmp_path, capsys):
    d = small_council()
    d["decide_to_assess"]["no_to_assess"] = 1.7
    bad = tmp_path / "bad.toml"
    import tomli_w
    bad.write_text(tomli_w.dumps(d))
    out = tmp_path / "results"
    code = main(["run", "--params", str(bad), "--reps", "1", "--out", str(out), "--quiet"])
    assert code == 2
    err = capsys.readouterr().err
    assert "bad.toml" in err and "decide_to_assess.no_to_assess" in err and "0 to 1" in err
    assert not out.exists()


def test_check_command(param_file, capsys):
    assert main(["check", str(param_file)]) == 0
    assert "valid parameters for Smallshire" in capsys.readouterr().out
    plan = Path(__file__).resolve().parents[2] / "experiments" / "wiltshire_safety_valve_2025.toml"
    assert main(["check", str(plan)]) == 0
    assert "valid scenario 'wiltshire_safety_valve_2025' (9 interventions, 4 capacity projects)" in \
        capsys.readouterr().out


def test_failed_write_leaves_no_folder(tmp_path):
    from sendsim.folders import write_folder

    def boom(path):
        raise OSError("disk full")

    with pytest.raises(OSError):
        write_folder(tmp_path / "out", {"a.csv": lambda p: p.write_text("x"), "b.csv": boom})
    assert not (tmp_path / "out").exists()
    assert list(tmp_path.iterdir()) == []
