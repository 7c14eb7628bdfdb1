"""The steps run_experiment takes (sendsim.experiment.run): validate refuses before anything is
written, plan seeds replications by index alone, execute runs chunks anywhere to the same
results, and the store continues a folder only with the chunk size it was started with."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest

from small_council import small_council

from sendsim.errors import SendsimError
from sendsim.experiment import store
from sendsim.experiment.run import (TABLES, ExperimentError, execute, plan, run_chunk,
                                    run_experiment, validate)
from sendsim.parameters import Parameters
from sendsim.scenario.definition import Effect, Intervention, Scenario, Sources


@pytest.fixture(scope="module")
def base():
    return Scenario(name="base", parameters=Parameters.from_dict(small_council()))


@pytest.fixture(scope="module")
def quiet(base):
    return dataclasses.replace(base, name="quiet", sources=Sources(
        process_noise=False, parameters=False, structural=False))


def seeds_by_rep(work, name: str) -> dict[int, tuple]:
    return {c.first + i: (seed.entropy, tuple(seed.spawn_key))
            for c in work.chunks if c.scenario.name == name for i, seed in enumerate(c.seeds)}


# -- plan ---------------------------------------------------------------------------------------

def test_plan_seeds_each_replication_the_same_on_any_number_of_workers(base, quiet):
    reps = 23
    plans = [plan([base, quiet], reps, seed=9, workers=w, chunk_size=c)
             for w in (1, 2, 7, 64) for c in (None, 1, 4, 23, 50)]
    want = seeds_by_rep(plans[0], "base")
    assert sorted(want) == list(range(reps))
    assert len(set(want.values())) == reps                 # every replication its own seed
    for work in plans:
        for name in ("base", "quiet"):                     # paired: the same seed in each scenario
            assert seeds_by_rep(work, name) == want
        assert work.replications == 2 * reps
    other = seeds_by_rep(plan([base], reps, seed=10, workers=1), "base")
    assert set(other.values()).isdisjoint(want.values())  # and the root seed matters


def test_plan_cuts_chunks_by_workers_without_gaps_or_overlaps(base):
    assert plan([base], 100, seed=1, workers=1).chunk_size == 25
    assert plan([base], 100, seed=1, workers=8).chunk_size == 6
    assert plan([base], 3, seed=1, workers=8).chunk_size == 1
    assert plan([base], 100, seed=1, workers=0).workers == 1     # at least one worker
    work = plan([base], 10, seed=1, workers=1, chunk_size=4)
    assert [(c.first, c.reps) for c in work.chunks] == [(0, 4), (4, 4), (8, 2)]


def test_plan_shares_one_process_seed_only_when_process_noise_is_off(base, quiet):
    work = plan([base, quiet], 4, seed=3, workers=1, chunk_size=2)
    assert all(c.process_seed is None for c in work.chunks if c.scenario.name == "base")
    shared = {id(c.process_seed) for c in work.chunks if c.scenario.name == "quiet"}
    assert len(shared) == 1 and None not in shared


# -- validate -----------------------------------------------------------------------------------

def _late(base):
    late = Intervention(name="too late", target="no_to_assess", change="set",
                        effect=Effect.fixed(0.3), start=dt.date(2031, 1, 1))
    return dataclasses.replace(base, interventions=(late,))


def _later_start(base):
    return dataclasses.replace(base, name="later", parameters=base.parameters.replace(
        **{"council.start_date": dt.date(2023, 4, 1)}))


REFUSED = {
    "no replications": lambda b: dict(scenarios=b, reps=0, seed=1),
    "negative seed": lambda b: dict(scenarios=b, reps=1, seed=-1),
    "too long": lambda b: dict(scenarios=b, reps=1, seed=1, years=31),
    "a name twice": lambda b: dict(scenarios=[b, b], reps=1, seed=1),
    "a name that cannot name a file": lambda b: dict(scenarios=dataclasses.replace(b, name="a/b"),
                                                     reps=1, seed=1),
    "an intervention after the horizon": lambda b: dict(scenarios=_late(b), reps=1, seed=1,
                                                        years=1.0),
    "different start dates": lambda b: dict(scenarios=[b, _later_start(b)], reps=1, seed=1,
                                            years=1.0),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_validate_refuses_what_run_experiment_refuses_before_any_folder(base, tmp_path, case,
                                                                        monkeypatch):
    monkeypatch.setattr("sendsim.experiment.run.run_chunk", None)      # nothing may run
    args = {"years": 1.0, **REFUSED[case](base)}
    with pytest.raises(SendsimError) as by_validate:
        validate(out=tmp_path / "v", **args)
    with pytest.raises(SendsimError) as by_run:
        run_experiment(out=tmp_path / "r", workers=1, progress=False, **args)
    assert type(by_validate.value) is type(by_run.value)
    assert str(by_validate.value) == str(by_run.value).replace(str(tmp_path / "r"),
                                                               str(tmp_path / "v"))
    assert not (tmp_path / "v").exists() and not (tmp_path / "r").exists()


def test_validate_refuses_a_folder_sendsim_did_not_write_and_leaves_it_alone(base, tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "mine.txt").write_text("keep")
    with pytest.raises(SendsimError, match="not written by sendsim"):
        validate(base, reps=1, seed=1, years=1.0, out=tmp_path / "notes")
    assert [p.name for p in (tmp_path / "notes").iterdir()] == ["mine.txt"]


def test_validate_writes_nothing_for_a_run_it_accepts(base, tmp_path):
    assert validate(base, reps=2, seed=1, years=1.0, out=tmp_path / "new") == [base]
    assert not (tmp_path / "new").exists()


# -- execute ------------------------------------------------------------------------------------

def test_execute_gives_each_chunk_what_run_chunk_gives_in_or_out_of_process(base, quiet):
    years = 0.5
    work = plan([base, quiet], 3, seed=4, workers=1, chunk_size=2)
    for workers in (1, 2):
        got = {}
        seconds = execute(work.chunks, years, workers=workers, progress=False,
                          on_result=lambda c, r: got.setdefault(c.key, r))
        assert seconds >= 0 and sorted(got) == sorted(c.key for c in work.chunks)
        for c in work.chunks:
            want = run_chunk(c.scenario, c.first, c.seeds, years, c.process_seed)
            assert got[c.key]["draws"] == want["draws"]
            for name in TABLES:
                pd.testing.assert_frame_equal(got[c.key]["tables"][name], want["tables"][name],
                                              check_exact=True)


def test_execute_stops_at_the_first_failure(base):
    work = plan([base], 3, seed=4, workers=1, chunk_size=1)
    seen = []

    def fail(chunk, result):
        seen.append(chunk.first)
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        execute(work.chunks, 0.25, workers=1, progress=False, on_result=fail)
    assert seen == [0]


# -- store --------------------------------------------------------------------------------------

def test_a_folder_continues_only_with_the_chunk_size_it_was_started_with(tmp_path):
    assert store.resumed_chunk_size(tmp_path, {}, None) is None          # the plan chooses
    assert store.resumed_chunk_size(tmp_path, {}, 3) == 3
    assert store.resumed_chunk_size(tmp_path, {"chunk_size": 5}, None) == 5
    assert store.resumed_chunk_size(tmp_path, {"chunk_size": 5}, 5) == 5
    with pytest.raises(ExperimentError, match="was started with --chunk-size 5; resume with "
                                              "the same chunk size"):
        store.resumed_chunk_size(tmp_path, {"chunk_size": 5}, 4)
