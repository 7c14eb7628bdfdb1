"""The command line, as a council modeller would use it."""

import json
import subprocess
import sys

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
    for command in ("run", "check", "params"):
        assert command in out.stdout
    run_help = subprocess.run([sys.executable, "-m", "sendsim", "run", "--help"], capture_output=True, text=True)
    for option in ("--params", "--reps", "--seed", "--years", "--out"):
        assert option in run_help.stdout


def test_run_writes_tables_summary_and_provenance(param_file, tmp_path, capsys):
    out = tmp_path / "results"
    code = main(["run", "--params", str(param_file), "--reps", "3", "--years", "2", "--seed", "5",
                 "--out", str(out), "--workers", "1", "--quiet"])
    assert code == 0
    text = capsys.readouterr().out
    assert "EHC plans at the January census" in text
    assert "90% prediction interval" in text and "3 replications" in text
    assert "Cumulative DSG balance at 31 March" in text
    for name in ("monthly.csv", "census.csv", "calendar_year.csv", "financial_year.csv",
                 "plans_issued.csv", "summary.csv", "summary.txt", "provenance.json", "chart.png"):
        assert (out / name).stat().st_size > 0, name
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["seed"]["root"] == 5 and prov["reps"] == 3
    assert prov["parameter_file"] == str(param_file)
    assert prov["parameters"]["council"]["name"] == "Smallshire"
    census = pd.read_csv(out / "census.csv")
    assert sorted(census["rep"].unique()) == [0, 1, 2]
    # the first census is the start state in every replication
    first = census[census["time_period"] == 202223]
    assert (first["ehcplans"] == sum(small_council()["start_state"]["caseload_by_setting"].values())).all()


def test_run_never_overwrites_unasked(param_file, tmp_path, capsys):
    out = tmp_path / "results"
    out.mkdir()
    (out / "keep.txt").write_text("earlier results")
    code = main(["run", "--params", str(param_file), "--reps", "1", "--years", "1", "--out", str(out), "--quiet"])
    assert code == 2
    assert "already exists" in capsys.readouterr().err
    assert (out / "keep.txt").read_text() == "earlier results"
    assert main(["run", "--params", str(param_file), "--reps", "1", "--years", "1", "--out", str(out),
                 "--quiet", "--overwrite", "--workers", "1"]) == 0
    assert not (out / "keep.txt").exists() and (out / "summary.txt").exists()


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


def test_failed_write_leaves_no_folder(tmp_path):
    from sendsim.output import write_folder

    def boom(path):
        raise OSError("disk full")

    with pytest.raises(OSError):
        write_folder(tmp_path / "out", {"a.csv": lambda p: p.write_text("x"), "b.csv": boom})
    assert not (tmp_path / "out").exists()
    assert list(tmp_path.iterdir()) == []
