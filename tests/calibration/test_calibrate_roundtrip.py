"""Calibrate a council, write it to disk, load it back and run it: the round trip a user takes
with `sendsim calibrate` then `sendsim run`. Needs the published statistics (skipped without).

Kept small for CPU: the Isle of Wight (about 1,300 plans), ABC-SMC with 20 particles and two
generations, four one-year replications.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sendsim.errors import OutputError

from sendsim.codes import SETTINGS

COUNCIL = "Isle of Wight"
ORIGIN = 2022
SEED = 1
SMALL = {"population": 20, "generations": 2}


# `shared_data` (the published statistics, or skip with a reason) comes from conftest.py

@pytest.fixture(scope="module")
def history(shared_data):
    from sendsim.data.history import load_history
    return load_history(COUNCIL, shared_data)


@pytest.fixture(scope="module")
def cal(history, shared_data):
    from sendsim.calibration import calibrate
    return calibrate(history, ORIGIN, seed=SEED, data_dir=shared_data, **SMALL)


@pytest.fixture(scope="module")
def written(cal, tmp_path_factory):
    from sendsim.calibration import write_calibration
    out = tmp_path_factory.mktemp("written") / "iow.toml"
    return write_calibration(cal, out)


@pytest.fixture(scope="module")
def scenario(written):
    from sendsim.scenario.files import load_scenario
    return load_scenario(written[0])


@pytest.fixture(scope="module")
def run(scenario):
    from sendsim.experiment.run import run_experiment
    return run_experiment([scenario], reps=4, seed=1, years=1.0, workers=1, progress=False)[scenario.name]


def _listing(folder: Path) -> dict[str, tuple[int, int]]:
    """Every path under `folder` (hidden ones too) with its size and modification time."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*"))}


# -- write, load, run -------------------------------------------------------------------------

def test_write_calibration_writes_the_scenario_parameters_draws_and_charts(written):
    scen, council, draws, folder = written
    assert [p.name for p in written] == ["iow.toml", "iow.council.toml", "iow.draws.csv",
                                         "iow.calibration"]
    assert scen.is_file() and council.is_file() and draws.is_file() and folder.is_dir()
    assert {p.name for p in folder.iterdir()} >= {"summary.json", "posterior_predictive.png",
                                                  "posterior_parameters.png"}
    # nothing else beside them: the temporary folder was moved into place, not left behind
    assert sorted(p.name for p in scen.parent.iterdir()) == sorted(p.name for p in written)


def test_the_written_scenario_loads_with_its_posterior_draws_as_parameters(scenario, written, cal):
    from sendsim.parameters import Parameters
    assert scenario.sources.parameters and scenario.sources.process_noise
    on_disk = pd.read_csv(written[2])
    assert len(scenario.posterior_draws) == len(on_disk) == len(cal.draws) > 1
    assert list(scenario.posterior_draws[0]) == list(on_disk.columns)
    # every column names a parameter of the council file (a misspelt key would be refused)
    params = Parameters.from_toml(written[1])
    for key in on_disk.columns:
        params.value_at(key)
    assert scenario.problems(dt.date(ORIGIN + 1, 3, 31)) == []
    # the parameter file holds the posterior medians
    med = on_disk["requests.trend_per_year"].median()
    assert params.requests.trend_per_year == pytest.approx(med, abs=1e-5)


def test_each_replication_takes_its_own_posterior_row(run, written):
    draws = pd.read_csv(written[2])
    reps = run.provenance["replications"]
    assert len(reps) == 4
    drawn = [r["parameters_drawn"] for r in reps]
    for d in drawn:
        # the posterior's columns, and the money's own uncertainty (cost level, inflation)
        assert set(draws.columns) <= set(d)
        assert set(d) - set(draws.columns) <= {"finance.cost_level", "finance.inflation_per_year"}
        d = {k: d[k] for k in draws.columns}
        match = np.ones(len(draws), dtype=bool)
        for key, value in d.items():
            col = draws[key].to_numpy(float)
            if isinstance(value, int):          # integer parameters are rounded when drawn
                match &= np.round(col) == value
            else:
                match &= np.isclose(col, value, rtol=0, atol=1e-9)
        assert match.any(), f"replication drew values that are no row of the draws file: {d}"
    as_tuples = [tuple(sorted(d.items())) for d in drawn]
    assert len(set(as_tuples)) == 4, "replications must not share one posterior row"


def test_the_run_starts_from_the_published_january_census(run, history, cal):
    census = run.census.copy()
    census["census_date"] = pd.to_datetime(census["census_date"]).dt.date
    start = census[census["census_date"] == cal.parameters.council.start_date]
    assert sorted(start["rep"]) == [0, 1, 2, 3]
    published = history.caseload.loc[ORIGIN]
    assert (start["ehcplans"] == int(published["total"])).all()
    for s in SETTINGS:
        expected = 0 if pd.isna(published[s]) else int(published[s])
        assert (start[f"setting_{s}"] == expected).all(), s


# -- reproducible -----------------------------------------------------------------------------

def test_the_same_seed_gives_the_same_draws_and_another_seed_others(cal, history, shared_data):
    from sendsim.calibration import calibrate
    again = calibrate(history, ORIGIN, seed=SEED, data_dir=shared_data, **SMALL)
    pd.testing.assert_frame_equal(again.draws, cal.draws)
    assert again.parameters.to_dict() == cal.parameters.to_dict()
    other = calibrate(history, ORIGIN, seed=SEED + 1, data_dir=shared_data, **SMALL)
    assert list(other.draws.columns) == list(cal.draws.columns)
    assert not other.draws.equals(cal.draws)
    assert not np.allclose(other.draws["requests.trend_per_year"], cal.draws["requests.trend_per_year"])


# -- all or nothing on disk -------------------------------------------------------------------

def test_write_calibration_refuses_to_overwrite_and_leaves_the_folder_as_it_was(cal, tmp_path):
    from sendsim.calibration import write_calibration
    out = tmp_path / "iow.toml"
    write_calibration(cal, out)
    before = _listing(tmp_path)
    texts = {p: (tmp_path / p).read_bytes() for p in before if (tmp_path / p).is_file()}
    with pytest.raises(FileExistsError, match="iow"):
        write_calibration(cal, out)
    assert _listing(tmp_path) == before
    assert {p: (tmp_path / p).read_bytes() for p in texts} == texts

    # one of the four in the way is enough to refuse, and the others are not written
    lone = tmp_path / "lone"
    lone.mkdir()
    (lone / "iow.draws.csv").write_text("mine\n", encoding="utf-8")
    before = _listing(lone)
    with pytest.raises(FileExistsError, match="draws"):
        write_calibration(cal, lone / "iow.toml")
    assert _listing(lone) == before
    assert (lone / "iow.draws.csv").read_text(encoding="utf-8") == "mine\n"

    # overwrite never replaces a file sendsim did not write
    with pytest.raises(OutputError, match="not a calibration sendsim wrote"):
        write_calibration(cal, lone / "iow.toml", overwrite=True)
    assert _listing(lone) == before
    assert (lone / "iow.draws.csv").read_text(encoding="utf-8") == "mine\n"

    # nor one of sendsim's that someone has edited since
    edited = tmp_path / "iow.council.toml"
    edited.write_text(edited.read_text(encoding="utf-8") + "# my note\n", encoding="utf-8")
    before = _listing(tmp_path)
    with pytest.raises(OutputError, match="changed since sendsim wrote it"):
        write_calibration(cal, out, overwrite=True)
    assert _listing(tmp_path) == before and "# my note" in edited.read_text(encoding="utf-8")

    # an unchanged calibration of sendsim's is replaced whole, nothing temporary left beside it
    fresh = tmp_path / "fresh"
    written = write_calibration(cal, fresh / "iow.toml")
    written = write_calibration(cal, fresh / "iow.toml", overwrite=True)
    assert sorted(p.name for p in fresh.iterdir()) == sorted(p.name for p in written)
    assert pd.read_csv(fresh / "iow.draws.csv").shape == cal.draws.shape


def test_write_calibration_wants_a_toml_name_and_writes_nothing_otherwise(cal, tmp_path):
    from sendsim.calibration import write_calibration
    with pytest.raises(OutputError, match=r"\.toml"):
        write_calibration(cal, tmp_path / "iow.txt")
    assert list(tmp_path.iterdir()) == []


# -- derived from the published figures -------------------------------------------------------

def test_derived_parameters_take_the_published_figures(cal, history):
    p = cal.parameters
    # requests that never reach an assessment: pooled over the two years before the origin,
    # computed here from the history itself (assessments completed + change in the stock in
    # progress; requests - refusals where the stock is not published)
    f = history.flows.loc[[ORIGIN - 2, ORIGIN - 1]]
    done = f["assessed_issued"] + f["assessed_not_issued"].fillna(0.0)
    stock = history.flows["in_progress_31_dec"]
    started = []
    for y in (ORIGIN - 2, ORIGIN - 1):
        change = stock.get(y, np.nan) - stock.get(y - 1, np.nan)
        started.append(done[y] + change if not np.isnan(change) else f.at[y, "requests"] - f.at[y, "refused"])
    not_started = [max(f.at[y, "requests"] - s, 0.0) for y, s in zip((ORIGIN - 2, ORIGIN - 1), started)]
    pooled = float(sum(not_started) / f["requests"].sum())
    assert 0.05 < pooled < 0.95
    median = float(cal.draws["decide_to_assess.no_to_assess"].median())
    assert abs(median - pooled) <= 0.05, (median, pooled)
    assert abs(p.decide_to_assess.no_to_assess - pooled) <= 0.05
    # the start caseload is the January census, setting by setting
    published = history.caseload.loc[ORIGIN]
    for s in SETTINGS:
        expected = 0 if pd.isna(published[s]) else int(round(float(published[s])))
        assert p.start_state.caseload_by_setting[s] == expected, s
    assert sum(p.start_state.caseload_by_setting.values()) == int(published["total"])
    assert sum(p.start_state.caseload_by_age_band.values()) == int(published["total"])
    # the request level is 2021's, dated to the middle of 2021
    assert p.requests.trend_base_date == dt.date(ORIGIN - 1, 7, 1)
    assert p.council.start_date.year == ORIGIN and p.council.start_date.month == 1


def test_calibration_sees_nothing_after_the_origin(cal, history, shared_data):
    """A figure published after the origin (the January 2023 census, 2022's requests) cannot
    change the calibration: the same history cut at the origin gives the same draws."""
    from sendsim.calibration import calibrate
    assert ORIGIN + 1 in history.caseload.index and ORIGIN in history.flows.index
    cut = calibrate(history.until(ORIGIN), ORIGIN, seed=SEED, data_dir=shared_data, **SMALL)
    pd.testing.assert_frame_equal(cut.draws, cal.draws)


# -- the command line -------------------------------------------------------------------------

@pytest.fixture
def small_abc(monkeypatch):
    """`calibrate`'s population and generations are keyword defaults bound at import, so
    patching fit.POPULATION would not reach them: patch the defaults themselves."""
    from sendsim.calibration import calibrate
    assert set(SMALL) <= set(calibrate.__kwdefaults__)
    for k, v in SMALL.items():
        monkeypatch.setitem(calibrate.__kwdefaults__, k, v)


def test_cli_calibrate_writes_the_four_outputs(shared_data, tmp_path, small_abc, capsys):
    from sendsim.cli import main
    out = tmp_path / "iow.toml"
    code = main(["calibrate", "--la", COUNCIL, "--origin", "2022-01", "--out", str(out),
                 "--data", str(shared_data), "--quiet"])
    assert code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "iow.calibration", "iow.council.toml", "iow.draws.csv", "iow.toml"]
    assert (tmp_path / "iow.calibration" / "summary.json").is_file()
    printed = capsys.readouterr().out
    assert "Isle of Wight at January 2022" in printed and "iow.toml" in printed
    from sendsim.scenario.files import load_scenario
    assert load_scenario(out).parameters.council.start_date.year == 2022
    # a second run refuses to replace them
    before = _listing(tmp_path)
    assert main(["calibrate", "--la", COUNCIL, "--origin", "2022-01", "--out", str(out),
                 "--data", str(shared_data), "--quiet"]) == 2
    assert "overwrite" in capsys.readouterr().err
    assert _listing(tmp_path) == before


@pytest.mark.parametrize("change, says", [
    ({"--la": "Atlantis"}, "Atlantis"),
    ({"--origin": "2021-06"}, "2021-06"),
    ({"--origin": "2030-01"}, "no January 2030 caseload"),
    ({"--out": "iow.txt"}, ".toml"),
], ids=["unknown-council", "origin-not-january", "origin-without-census", "out-not-toml"])
def test_cli_calibrate_bad_input_exits_2_naming_the_problem(shared_data, tmp_path, small_abc,
                                                            capsys, change, says):
    from sendsim.cli import main
    args = {"--la": COUNCIL, "--origin": "2022-01", "--out": "iow.toml"}
    args.update(change)
    args["--out"] = str(tmp_path / args["--out"])
    argv = ["calibrate", "--data", str(shared_data), "--quiet"]
    for k, v in args.items():
        argv += [k, v]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("sendsim: ") and says in err, err
    assert list(tmp_path.iterdir()) == []


def test_origin_year_accepts_january_only():
    from sendsim.calibration import origin_year
    assert origin_year("2022-01") == 2022 and origin_year(2022) == 2022
    for bad in ("2021-06", "2022-13", "twenty"):
        with pytest.raises(ValueError):
            origin_year(bad)
