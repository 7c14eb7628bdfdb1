"""Monte Carlo experiments: many replications of one or more scenarios, paired, resumable.

Replication i of every scenario gets the same seed, spawned from one root `SeedSequence` by i,
so scenarios share their random draws activity by activity (common random numbers) and results
do not depend on the number of workers, the executor, or the order chunks finish in.
Replications go to any `concurrent.futures.Executor` in chunks (a local process pool using every
core by default; a Dask cluster through `distributed.Client.get_executor()`). Each finished
chunk is written to the experiment folder at once (Parquet, via a temporary file and a rename),
so Ctrl-C or a crash loses nothing finished and re-running the same command resumes. A folder
written by a different experiment (other scenario text, seed or horizon) is never appended to.

`run_experiment` takes four steps, each a function of its own here or in `store`:

1. `validate`: everything that can be checked before anything is written (run size, scenario
   names, horizon, start dates, memory and disk, the output folder);
2. `fingerprint` and `plan`: what names the experiment, and its chunks of replications with
   their seeds (a function of the root seed and replication index alone);
3. `execute`: the chunks in this process, on a process pool or on any executor, with a
   progress bar;
4. store (`sendsim.experiment.store`): each finished chunk saved as it arrives, under the
   folder's lock, with the manifest and provenance; or, without a folder, held in memory.

The folder's layout, and reading it back, are in `sendsim.experiment.store`.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import json
import math
import os
import shutil
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from sendsim import __version__
from sendsim.errors import ResourceError
from sendsim.engine.model import RunSpec, simulate
from sendsim.engine.streams import replication_seeds
from sendsim.experiment.limits import MAX_REPS, MAX_SEED, MAX_YEARS
from sendsim.experiment.store import (CONTENTS, RESULTS_FORMAT, TABLES, Ensemble, ExperimentError,
                                      ExperimentResult, attach_provenance, canonical, check_folder,
                                      chunk_saved, experiment_folder, finger_digest, finish_run,
                                      held_in_memory, load_ensemble, load_experiment, read_manifest,
                                      resumed_chunk_size, save_chunk, scenario_details, start_run,
                                      verify_folder)
from sendsim.folders import MAX_DERIVED_NAME, check_distinct, check_name
from sendsim.scenario.definition import Scenario

#: Spawn key of the one process-noise seed every replication shares when process noise is off.
SHARED_PROCESS_KEY = 2**31 - 1


# -- the experiment -------------------------------------------------------------------------------

def run_experiment(scenarios: list[Scenario] | Scenario, reps: int, seed: int,
                   years: float = 8.0, out: str | Path | None = None,
                   executor: Executor | None = None, workers: int | None = None,
                   chunk_size: int | None = None, progress: bool = True,
                   overwrite: bool = False, contributions: dict | None = None) -> ExperimentResult:
    """Run `reps` replications of each scenario from root `seed`, paired by replication.

    With `out`, finished chunks are saved as they arrive and an interrupted experiment resumes
    from them; without, everything is kept in memory. `executor` may be any
    `concurrent.futures.Executor` (it is not shut down here); otherwise a process pool of
    `workers` (default: every core), or the calling process when `workers == 1`.
    `contributions` (plan -> {"versus", "parts"}, from `sendsim.experiment.contributions`) is recorded in
    the manifest so the summary can tabulate the leave-one-out variants among `scenarios`.
    Everything that can be checked is checked before anything is written.
    """
    executor = _executor_of(executor)
    scenarios = validate(scenarios, reps, seed, years, out, overwrite, chunk_size)
    finger = fingerprint(scenarios, seed, years)
    if out is None:
        work = plan(scenarios, reps, seed, workers, chunk_size)
        return _run_in_memory(work, finger, scenarios, reps, years, executor, progress,
                              contributions)
    folder = Path(out)
    with experiment_folder(folder, finger, scenarios, reps, overwrite) as manifest:
        work = plan(scenarios, reps, seed, workers,
                    resumed_chunk_size(folder, manifest, chunk_size))
        return _run_into_folder(work, folder, manifest, finger, scenarios, reps, years,
                                executor, progress, contributions)


def _run_in_memory(work: Plan, finger: dict, scenarios, reps: int, years: float, executor,
                   progress: bool, contributions: dict | None) -> ExperimentResult:
    results: dict[str, list[dict]] = {s.name: [] for s in scenarios}
    by_chunk: dict[tuple[str, int], dict] = {}
    seconds = execute(work.chunks, years, executor, work.workers, progress,
                      lambda chunk, result: by_chunk.__setitem__(chunk.key, result))
    for chunk in work.chunks:                      # replication order, whatever finished first
        results[chunk.scenario.name].append(by_chunk[chunk.key])
    return held_in_memory(finger, scenarios, reps, work.chunk_size, results, seconds,
                          {"replications_run": work.replications,
                           **_run_record(executor, work.workers)}, contributions)


def _run_into_folder(work: Plan, folder: Path, manifest: dict, finger: dict, scenarios,
                     reps: int, years: float, executor, progress: bool,
                     contributions: dict | None) -> ExperimentResult:
    digest = finger_digest(finger)

    def saved(chunk: Chunk) -> bool:
        return chunk_saved(folder, chunk.scenario.name, chunk.first, chunk.reps, digest)

    todo = [chunk for chunk in work.chunks if not saved(chunk)]
    start_run(folder, manifest, reps, work.chunk_size,
              {**_run_record(executor, work.workers), "chunks_to_run": len(todo)}, contributions)
    try:
        seconds = execute(todo, years, executor, work.workers, progress,
                          lambda chunk, result: save_chunk(folder, chunk.scenario.name,
                                                           chunk.first, result, digest))
    except KeyboardInterrupt:
        done = sum(1 for chunk in work.chunks if saved(chunk))
        raise KeyboardInterrupt(f"interrupted: {done} chunk(s) saved in {folder}; run the same "
                                "command again to resume") from None
    return finish_run(folder, manifest, scenarios, seconds, sum(c.reps for c in todo))


def _executor_of(executor):
    """A `dask.distributed.Client` gives its executor; any other executor is used as it is."""
    if executor is not None and hasattr(executor, "get_executor"):
        return executor.get_executor()
    return executor


def _run_record(executor, workers: int) -> dict:
    return {"workers": workers, "executor": _executor_name(executor, workers)}


# -- step 1: validate ---------------------------------------------------------------------------

def validate(scenarios: Sequence[Scenario] | Scenario, reps: int, seed: int, years: float = 8.0,
             out: str | Path | None = None, overwrite: bool = False,
             chunk_size: int | None = None) -> Sequence[Scenario]:
    """Refuse what `run_experiment` refuses before anything is written or any folder made: the
    run's size (`check_run_size`), the chunk size, the scenarios (`check_scenarios`) and, with
    `out`, the memory and disk it needs (`check_resources`) and the folder
    (`store.check_folder`). Returns the scenarios as a sequence (one scenario becomes a list of
    one)."""
    if isinstance(scenarios, Scenario):
        scenarios = [scenarios]
    check_run_size(reps, years, seed)
    if chunk_size is not None and (isinstance(chunk_size, bool) or not isinstance(chunk_size, int)
                                   or not 1 <= chunk_size <= MAX_REPS):
        raise ExperimentError(f"chunk size {chunk_size!r}", "chunk_size",
                              f"allowed: a whole number of replications from 1 to {MAX_REPS:,}, or None "
                              "for about two chunks a worker")
    check_scenarios(scenarios, years)
    if out is not None:
        folder = Path(out)
        check_resources(scenarios, reps, years, folder)
        check_folder(folder, overwrite)
    return scenarios


def check_scenarios(scenarios: Sequence[Scenario], years: float) -> None:
    """Names that can name files, each given once; every scenario able to run over `years`
    (the first problem shown, with how many more); all starting on the same date."""
    for s in scenarios:
        check_name(s.name, "scenario name", f"{s.path}: scenario.name" if s.path else
                   "scenario name", longest=MAX_DERIVED_NAME)
    check_distinct([s.name for s in scenarios])
    starts = {s.parameters.council.start_date for s in scenarios}
    end = RunSpec(years).end_date(scenarios[0].parameters.council.start_date)
    problems = [f"{s.path or s.name}: {p}" for s in scenarios for p in s.problems(end)]
    if problems:
        more = len(problems) - 1
        raise ExperimentError(problems[0], "", f"the scenarios cannot run over {years:g} years"
                              + (f" (and {more} more problem{'s' if more > 1 else ''}: sendsim "
                                 f"check FILE --years {years:g} lists each file's)" if more else ""))
    if len(starts) > 1:
        raise ExperimentError("scenarios compared must start on the same date", "scenarios",
                              f"got {', '.join(sorted(str(d) for d in starts))}")


# -- step 2: plan -------------------------------------------------------------------------------

def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def fingerprint(scenarios: list[Scenario], seed: int, years: float) -> dict:
    """What must match for a folder's results to be continued: scenario texts (or, for
    scenarios built in Python, their full parameters), root seed and horizon."""
    def text_of(s: Scenario) -> str:
        return s.text or json.dumps(_scenario_dict(s), sort_keys=True, default=str)
    return {"sendsim_version": __version__, "root_seed": int(seed), "years": float(years),
            "scenarios": {s.name: hashlib.sha256(text_of(s).encode()).hexdigest()
                          for s in scenarios}}


def _scenario_dict(s: Scenario) -> dict:
    d = dataclasses.asdict(s)
    d["parameters"] = s.parameters.to_dict()
    for key in ("text", "path", "base", "base_parameters", "parameter_files"):
        d.pop(key, None)
    return d


@dataclass(frozen=True)
class Chunk:
    """One unit of work: replications `first`, `first + 1`... of one scenario, with their seeds."""

    scenario: Scenario
    first: int
    seeds: list                                       # one SeedSequence per replication
    process_seed: np.random.SeedSequence | None = None   # shared, when process noise is off

    @property
    def reps(self) -> int:
        return len(self.seeds)

    @property
    def key(self) -> tuple[str, int]:
        return (self.scenario.name, self.first)


@dataclass(frozen=True)
class Plan:
    """The chunks of an experiment, scenario by scenario in replication order, and the workers
    they are planned for."""

    workers: int
    chunk_size: int
    chunks: list[Chunk]

    @property
    def replications(self) -> int:
        return sum(chunk.reps for chunk in self.chunks)


def plan(scenarios: Sequence[Scenario], reps: int, seed: int, workers: int | None = None,
         chunk_size: int | None = None) -> Plan:
    """Every scenario's replications 0..reps-1 in chunks of `chunk_size` (by default about two
    chunks a worker, at most 25 replications each). Replication i gets the i-th seed spawned
    from the root `seed` in every scenario and whatever the chunking, so the workers change
    only how the work is cut up, never a result (common random numbers). A scenario with
    process noise off shares one process-noise seed across all its replications."""
    workers = default_workers() if workers is None else max(1, workers)
    if chunk_size is None:
        chunk_size = max(1, min(25, reps // (workers * 2) or 1))
    seeds = replication_seeds(seed, reps)
    shared_process = np.random.SeedSequence(int(seed), spawn_key=(SHARED_PROCESS_KEY,))
    chunks = [Chunk(s, first, seeds[first:first + chunk_size],
                    None if s.sources.process_noise else shared_process)
              for s in scenarios for first in range(0, reps, chunk_size)]
    return Plan(workers=workers, chunk_size=chunk_size, chunks=chunks)


# -- step 3: execute ----------------------------------------------------------------------------

def execute(chunks: Sequence[Chunk], years: float, executor: Executor | None = None,
            workers: int = 1, progress: bool = True,
            on_result: Callable[[Chunk, dict], None] | None = None) -> float:
    """Run `chunks` over `years`, handing each result to `on_result(chunk, result)` in this
    process as it finishes (in the order they finish): one after another here when `workers`
    is 1 and no `executor` is given; otherwise on `executor` (not shut down here) or on a
    process pool of `workers` made and shut down here. A progress bar counts replications. On
    any exception, Ctrl-C included, chunks not yet started are cancelled. Returns the seconds
    taken."""
    bar = tqdm(total=sum(chunk.reps for chunk in chunks), desc="replications", unit="rep",
               disable=not progress, smoothing=0.1)
    started = time.perf_counter()

    def finish(chunk: Chunk, result: dict) -> None:
        if on_result is not None:
            on_result(chunk, result)
        bar.update(chunk.reps)

    own_pool = None
    try:
        if executor is None and workers == 1:
            for chunk in chunks:
                finish(chunk, run_chunk(chunk.scenario, chunk.first, chunk.seeds, years,
                                        chunk.process_seed))
        else:
            pool = executor
            if pool is None:
                pool = own_pool = ProcessPoolExecutor(max_workers=workers)
            _on_pool(pool, chunks, years, finish)
    finally:
        bar.close()
        if own_pool is not None:
            own_pool.shutdown(wait=True, cancel_futures=True)
    return time.perf_counter() - started


def _on_pool(pool: Executor, chunks: Sequence[Chunk], years: float,
             finish: Callable[[Chunk, dict], None]) -> None:
    futures = {pool.submit(run_chunk, c.scenario, c.first, c.seeds, years, c.process_seed): c
               for c in chunks}
    try:
        for fut in as_completed(futures):
            finish(futures[fut], fut.result())
    except BaseException:
        for fut in futures:
            fut.cancel()
        raise


# -- one chunk, in a worker ----------------------------------------------------------------------

def run_chunk(scenario: Scenario, first_rep: int, seeds: list, years: float,
              process_seed=None) -> dict:
    """Replications `first_rep`, `first_rep + 1`... of one scenario: plain tables, never a model."""
    parts: dict[str, list[pd.DataFrame]] = {name: [] for name in TABLES}
    draws = []
    if gc.get_freeze_count() == 0:
        # What the process holds before its first replication (modules, the scenario) lives as
        # long as it does: frozen, it is not traversed again by the collection after every
        # replication, which then costs a tenth as much.
        gc.collect()
        gc.freeze()
    for i, seed in enumerate(seeds):
        rep = first_rep + i
        r = simulate(scenario, seed, years, process_seed)
        for name in TABLES:
            parts[name].append(getattr(r, name).assign(rep=rep))
        p = r.provenance
        draws.append({"rep": rep, "seed_spawn_key": p["seed"]["spawn_key"],
                      "request_trend": p.get("request_trend_drawn"),
                      "parameters_drawn": p.get("parameters_drawn", {}),
                      "intervention_effects_drawn": p.get("intervention_effects_drawn", {}),
                      "capacity_programme_opens": p.get("capacity_programme_opens", {})})
        del r
        gc.collect()   # garbage from one replication slows the next (engineering notes)
    tables = {name: canonical(pd.concat(dfs, ignore_index=True)) for name, dfs in parts.items()}
    return {"tables": tables, "draws": draws}


def _executor_name(executor, workers: int) -> str:
    if executor is None:
        return "in process" if workers == 1 else f"process pool ({workers} workers)"
    return type(executor).__module__.split(".")[0] + "." + type(executor).__name__


# -- what a run may ask for ---------------------------------------------------------------------

#: Measured on the built-in council (4 replications of 8 years): one replication-year of one
#: scenario takes 141 kB in memory once loaded (allowed 400 kB, for the copies a summary makes)
#: and 60 kB as Parquet on disk. The estimate scales them by the caseload at the start.
BYTES_PER_REP_YEAR_MEMORY = 400_000
BYTES_PER_REP_YEAR_DISK = 60_000
REFERENCE_PLANS = 6_000


def check_run_size(reps: int, years: float, seed: int) -> None:
    """Replications, horizon and seed inside what sendsim allows."""
    if isinstance(reps, bool) or not isinstance(reps, int) or not 1 <= reps <= MAX_REPS:
        raise ExperimentError(f"{reps!r} replications", "--reps",
                              f"allowed: a whole number from 1 to {MAX_REPS:,}")
    if isinstance(years, bool) or not isinstance(years, (int, float)) or not math.isfinite(years) \
            or not 0 < years <= MAX_YEARS:
        raise ExperimentError(f"{years!r} years", "--years",
                              f"allowed: more than 0 and at most {MAX_YEARS:g}")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise ExperimentError(f"{seed!r} is not a seed", "--seed",
                              f"allowed: a whole number from 0 to {MAX_SEED}")


def estimate_resources(scenarios, reps: int, years: float) -> dict:
    """Bytes an experiment needs in memory (every replication is loaded for the summary) and
    on disk, from the measured per-replication-year figures."""
    total = 0.0
    for s in scenarios:
        plans = sum(s.parameters.start_state.caseload_by_setting.values())
        total += max(1.0, plans / REFERENCE_PLANS) * reps * (years + 1)
    return {"memory": int(total * BYTES_PER_REP_YEAR_MEMORY),
            "disk": int(total * BYTES_PER_REP_YEAR_DISK)}


def check_resources(scenarios, reps: int, years: float, folder: Path | None) -> dict:
    """Refuse up front a run that would need more memory or disk than the machine has."""
    need = estimate_resources(scenarios, reps, years)
    try:
        import psutil
        free_memory = psutil.virtual_memory().available
    except Exception:      # pragma: no cover - psutil is a dependency; be safe on odd systems
        free_memory = None
    if free_memory is not None and need["memory"] > free_memory:
        raise ResourceError("--reps/--years", f"this run needs about {_gb(need['memory'])} of "
                            f"memory and {_gb(free_memory)} is available",
                            "run fewer replications or years, or split the experiment")
    if folder is not None:
        probe = Path(folder).absolute()
        while not probe.exists():
            probe = probe.parent
        free_disk = shutil.disk_usage(probe).free
        if need["disk"] > free_disk:
            raise ResourceError(f"--out {folder}", f"this run needs about {_gb(need['disk'])} "
                                f"of disk and {_gb(free_disk)} is free there",
                                "free some space, or write elsewhere")
    return need


def _gb(n: float) -> str:
    return f"{n / 1e9:,.1f} GB" if n >= 1e8 else f"{n / 1e6:,.0f} MB"


__all__ = ["Ensemble", "ExperimentResult", "ExperimentError", "run_experiment", "run_chunk",
           "load_ensemble", "load_experiment", "fingerprint", "verify_folder", "read_manifest",
           "check_run_size", "estimate_resources", "validate", "check_scenarios", "plan", "Plan",
           "Chunk", "execute", "default_workers", "check_resources", "MAX_REPS", "MAX_YEARS",
           "MAX_SEED", "RESULTS_FORMAT", "CONTENTS", "TABLES", "SHARED_PROCESS_KEY", "canonical",
           "attach_provenance", "finger_digest", "scenario_details"]
