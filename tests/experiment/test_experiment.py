"""The experiment runner: reproducible on any number of workers or executors, resumable, and
never appending to another experiment's folder."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from small_council import small_council

import sendsim.experiment.run as experiment
from sendsim.errors import OutputError
from sendsim.experiment.run import ExperimentError, load_experiment, run_experiment
from sendsim.parameters import Parameters
from sendsim.scenario.definition import Effect, Intervention, Scenario, Sources

YEARS = 1.5


@pytest.fixture(scope="module")
def base():
    return Scenario(name="base", parameters=Parameters.from_dict(small_council()))


@pytest.fixture(scope="module")
def fewer_requests(base):
    iv = Intervention(name="fewer requests", target="requests", change="multiply",
                      effect=Effect(low=0.5, mode=0.6, high=0.8), start=dt.date(2023, 6, 1))
    return dataclasses.replace(base, name="fewer", interventions=(iv,))


def assert_same(a, b):
    for name in experiment.TABLES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)


def test_same_results_on_one_or_two_workers_and_any_chunking(base, fewer_requests):
    one = run_experiment([base, fewer_requests], reps=4, seed=11, years=YEARS, workers=1,
                         progress=False)
    two = run_experiment([base, fewer_requests], reps=4, seed=11, years=YEARS, workers=2,
                         chunk_size=1, progress=False)
    for name in ("base", "fewer"):
        assert_same(one[name], two[name])
    assert sorted(one["base"].census["rep"].unique()) == [0, 1, 2, 3]
    # replications differ from each other: the seeds are not all the same
    caseload = one["base"].census.groupby("rep")["ehcplans"].last()
    assert caseload.nunique() > 1


def test_same_results_on_a_dask_local_cluster(base, fewer_requests):
    distributed = pytest.importorskip("dask.distributed", reason="Dask not installed (pip install 'sendsim[dask]')")
    local = run_experiment([base, fewer_requests], reps=3, seed=5, years=YEARS, workers=1,
                           progress=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        on_dask = run_experiment([base, fewer_requests], reps=3, seed=5, years=YEARS,
                                 executor=client.get_executor(), chunk_size=1, progress=False)
    for name in ("base", "fewer"):
        assert_same(local[name], on_dask[name])


def test_an_interrupted_run_resumes_to_the_same_results(base, tmp_path, monkeypatch):
    whole = run_experiment(base, reps=5, seed=3, years=YEARS, out=tmp_path / "whole",
                           workers=1, chunk_size=2, progress=False)
    calls = {"n": 0}
    real = experiment.run_chunk

    def interrupted(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(experiment, "run_chunk", interrupted)
    with pytest.raises(KeyboardInterrupt, match="resume"):
        run_experiment(base, reps=5, seed=3, years=YEARS, out=tmp_path / "cut", workers=1,
                       chunk_size=2, progress=False)
    monkeypatch.setattr(experiment, "run_chunk", real)
    saved = sorted(p.name for p in (tmp_path / "cut" / "reps" / "base" / "provenance").iterdir())
    assert saved == ["chunk-0000000.json"]          # the chunk finished before Ctrl-C is kept
    resumed = run_experiment(base, reps=5, seed=3, years=YEARS, out=tmp_path / "cut",
                             workers=1, chunk_size=2, progress=False)
    assert resumed.manifest["runs"][-1]["chunks_to_run"] == 2     # only what was missing
    assert resumed.manifest["status"] == "complete"
    assert_same(whole["base"], resumed["base"])
    assert_same(whole["base"], load_experiment(tmp_path / "cut")["base"])


def test_more_replications_later_extend_the_same_experiment(base, tmp_path):
    run_experiment(base, reps=3, seed=3, years=YEARS, out=tmp_path / "x", workers=1,
                   chunk_size=2, progress=False)
    more = run_experiment(base, reps=4, seed=3, years=YEARS, out=tmp_path / "x", workers=1,
                          chunk_size=2, progress=False)
    fresh = run_experiment(base, reps=4, seed=3, years=YEARS, workers=1, chunk_size=2,
                           progress=False)
    assert more.manifest["runs"][-1]["chunks_to_run"] == 1    # the short last chunk, again
    assert_same(more["base"], fresh["base"])


def test_a_folder_from_another_experiment_is_never_appended_to(base, fewer_requests, tmp_path):
    out = tmp_path / "exp"
    run_experiment(base, reps=1, seed=3, years=YEARS, out=out, workers=1, progress=False)
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    for other, seed in ((base, 4), (dataclasses.replace(fewer_requests, name="base"), 3)):
        with pytest.raises(ExperimentError, match="different experiment"):
            run_experiment(other, reps=1, seed=seed, years=YEARS, out=out, workers=1,
                           progress=False)
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "mine.txt").write_text("keep")
    with pytest.raises(OutputError, match="not written by sendsim"):
        run_experiment(base, reps=1, seed=3, years=YEARS, out=tmp_path / "notes", workers=1,
                       progress=False)
    assert (tmp_path / "notes" / "mine.txt").read_text() == "keep"


def test_a_bad_scenario_fails_before_any_replication(base, tmp_path):
    late = Intervention(name="too late", target="no_to_assess", change="set",
                        effect=Effect.fixed(0.3), start=dt.date(2031, 1, 1))
    with pytest.raises(ExperimentError, match=r"too late.*start: 2031-01-01 is outside"):
        run_experiment(dataclasses.replace(base, interventions=(late,)), reps=1, seed=1,
                       years=YEARS, out=tmp_path / "never", workers=1, progress=False)
    assert not (tmp_path / "never").exists()


def test_uncertainty_sources_switch_off(base):
    p = base.parameters.replace(**{"requests.trend_sd_per_year": 0.05})
    noisy = Scenario(name="all", parameters=p)
    quiet = dataclasses.replace(noisy, name="quiet", sources=Sources(
        process_noise=False, parameters=False, structural=False))
    trend_only = dataclasses.replace(noisy, name="trend_only", sources=Sources(
        process_noise=False, parameters=False, structural=True))
    res = run_experiment([noisy, quiet, trend_only], reps=3, seed=8, years=YEARS, workers=1,
                         progress=False)
    last = {name: res[name].census.groupby("rep")["ehcplans"].last() for name in res.ensembles}
    assert last["all"].nunique() > 1
    assert last["quiet"].nunique() == 1
    m = res["quiet"].monthly
    first = m[m["rep"] == 0].drop(columns="rep").reset_index(drop=True)
    for rep in (1, 2):
        pd.testing.assert_frame_equal(first, m[m["rep"] == rep].drop(columns="rep").reset_index(drop=True))
    trends = [d["request_trend"] for d in res["trend_only"].provenance["replications"]]
    assert len(set(trends)) == 3                       # the trend still varies...
    assert all(t == 0.03 for t in (d["request_trend"] for d in res["quiet"].provenance["replications"]))


def test_replications_take_rows_of_a_posterior_file(base, tmp_path):
    rows = [{"decide_to_assess.no_to_assess": 0.1, "assessment.in_progress_at_start": 10.0},
            {"decide_to_assess.no_to_assess": 0.3, "assessment.in_progress_at_start": 30.0}]
    from sendsim.parameters import FrozenMap
    s = dataclasses.replace(base, posterior_draws=tuple(FrozenMap(r) for r in rows))
    res = run_experiment(s, reps=6, seed=2, years=0.5, workers=1, progress=False)
    drawn = [d["parameters_drawn"] for d in res["base"].provenance["replications"]]
    assert all(d in rows for d in drawn)
    assert all(isinstance(d["assessment.in_progress_at_start"], (int, float)) for d in drawn)
    assert len({d["decide_to_assess.no_to_assess"] for d in drawn}) == 2   # both rows used


def test_manifest_records_what_reproduces_the_experiment(base, tmp_path):
    res = run_experiment(base, reps=2, seed=17, years=YEARS, out=tmp_path / "m", workers=1, chunk_size=2,
                         progress=False)
    m = json.loads((tmp_path / "m" / "manifest.json").read_text())
    assert m["root_seed"] == 17 and m["reps"] == 2 and m["years"] == YEARS
    assert set(m["scenarios"]) == {"base"} and m["status"] == "complete"
    assert m["runs"][0]["seconds"] >= 0 and m["sendsim_version"]
    assert res.manifest == m
    draws = json.loads((tmp_path / "m" / "reps" / "base" / "provenance" / "chunk-0000000.json").read_text())["replications"]
    assert [d["rep"] for d in draws] == [0, 1]
    assert np.random.SeedSequence(17).spawn(2)[1].spawn_key == tuple(draws[1]["seed_spawn_key"])


def test_a_seed_used_twice_gives_the_same_replication(base):
    """Two scenarios run in one process share each replication's SeedSequence object; spawning
    from it must not depend on what was spawned before (a bug found while writing these)."""
    from sendsim.engine.model import simulate
    seed = np.random.SeedSequence(11).spawn(1)[0]
    first = simulate(base, seed, 0.5).monthly
    again = simulate(base, seed, 0.5).monthly
    pd.testing.assert_frame_equal(first, again)


def test_a_finished_replication_leaves_nothing_alive(base):
    """Workers run hundreds of replications: each model must be freed once its tables are out
    (Mesa's class-level agent-id counter kept every model alive until sendsim let go of it)."""
    import gc
    import weakref
    from sendsim.engine.model import RunSpec, SendModel
    from sendsim.engine.tables import RunResult
    model = SendModel(base, np.random.SeedSequence(1), RunSpec(0.5)).run()
    RunResult.from_model(model, 1)
    alive = weakref.ref(model)
    del model
    gc.collect()
    assert alive() is None


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "4"])
def test_a_chunk_size_that_cannot_cut_the_work_is_refused_before_any_folder_is_made(base, tmp_path, bad):
    out = tmp_path / "never"
    with pytest.raises(ExperimentError, match="chunk size") as err:
        run_experiment(base, reps=4, seed=1, years=YEARS, out=out, workers=1, chunk_size=bad,
                       progress=False)
    assert "allowed: a whole number of replications" in str(err.value)
    assert not out.exists() and list(tmp_path.iterdir()) == []
    with pytest.raises(ExperimentError, match="chunk size"):
        run_experiment(base, reps=4, seed=1, years=YEARS, workers=1, chunk_size=bad, progress=False)
