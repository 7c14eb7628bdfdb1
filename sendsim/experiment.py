"""Monte Carlo experiments: many replications of one or more scenarios, paired, resumable.

Replication i of every scenario gets the same seed, spawned from one root `SeedSequence` by i,
so scenarios share their random draws activity by activity (common random numbers) and results
do not depend on the number of workers, the executor, or the order chunks finish in.
Replications go to any `concurrent.futures.Executor` in chunks (a local process pool using every
core by default; a Dask cluster through `distributed.Client.get_executor()`). Each finished
chunk is written to the experiment folder at once (Parquet, via a temporary file and a rename),
so Ctrl-C or a crash loses nothing finished and re-running the same command resumes. A folder
written by a different experiment (other scenario text, seed or horizon) is never appended to.

Folder layout::

    manifest.json                     version, scenario texts, root seed, reps, timings, status
    reps/<scenario>/<table>/chunk-<first rep>.parquet   per-replication tables
    reps/<scenario>/provenance/chunk-<first rep>.json   each replication's draws
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import shutil
import time
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from . import __version__
from .model import RunSpec, simulate
from .results import Tables
from .scenario import Scenario
from .streams import replication_seeds

TABLES = Tables.NAMES
#: Layout of an experiment folder and its summary. 2: the manifest records each scenario's
#: council and assumptions, the summary has quartiles and assumption tables (board reports).
RESULTS_FORMAT = 2
#: Spawn key of the one process-noise seed every replication shares when process noise is off.
SHARED_PROCESS_KEY = 2**31 - 1


class ExperimentError(ValueError):
    """An experiment that cannot start (bad arguments, or a folder from another experiment)."""


@dataclass
class Ensemble(Tables):
    """The tables of all replications of one scenario, stacked, each row tagged with `rep`."""

    @property
    def reps(self) -> int:
        return int(self.census["rep"].nunique()) if len(self.census) else 0


@dataclass
class ExperimentResult:
    """Every scenario's ensemble, in the order given, with the experiment's manifest."""

    ensembles: dict[str, Ensemble]
    manifest: dict = field(default_factory=dict)
    folder: Path | None = None

    def __getitem__(self, name: str) -> Ensemble:
        return self.ensembles[name]


# -- one chunk, in a worker ----------------------------------------------------------------------

def run_chunk(scenario: Scenario, first_rep: int, seeds: list, years: float,
              process_seed=None) -> dict:
    """Replications `first_rep`, `first_rep + 1`... of one scenario: plain tables, never a model."""
    parts: dict[str, list[pd.DataFrame]] = {name: [] for name in TABLES}
    draws = []
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


def canonical(df: pd.DataFrame) -> pd.DataFrame:
    """Column types as they read back from Parquet (timestamps in seconds), so results held in
    memory and results loaded from a folder are the same frames."""
    for col in df.columns:
        if pd.api.types.is_datetime64_any_dtype(df[col]):
            df[col] = df[col].astype("datetime64[s]")
    return df


# -- the experiment -------------------------------------------------------------------------------

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
    import dataclasses
    d = dataclasses.asdict(s)
    d["parameters"] = s.parameters.to_dict()
    for key in ("text", "path", "base", "base_parameters", "parameter_files"):
        d.pop(key, None)
    return d


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
    `contributions` (plan -> {"versus", "parts"}, from `sendsim.contributions`) is recorded in
    the manifest so the summary can tabulate the leave-one-out variants among `scenarios`.
    """
    if isinstance(scenarios, Scenario):
        scenarios = [scenarios]
    if executor is not None and hasattr(executor, "get_executor"):
        executor = executor.get_executor()   # a dask.distributed.Client
    if reps < 1:
        raise ExperimentError(f"reps must be at least 1 (got {reps})")
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise ExperimentError(f"scenario names must differ (got {names})")
    starts = {s.parameters.council.start_date for s in scenarios}
    end = RunSpec(years).end_date(scenarios[0].parameters.council.start_date)
    problems = [f"{s.path or s.name}: {p}" for s in scenarios for p in s.problems(end)]
    if problems:
        raise ExperimentError("the scenarios cannot run over this horizon:\n" +
                              "\n".join(f"  - {p}" for p in problems))
    if len(starts) > 1:
        raise ExperimentError("scenarios compared must start on the same date (got "
                              f"{sorted(str(d) for d in starts)})")

    finger = fingerprint(scenarios, seed, years)
    folder = Path(out) if out is not None else None
    manifest = _open_folder(folder, finger, scenarios, reps, overwrite) if folder else {}
    workers = default_workers() if workers is None else max(1, workers)
    if chunk_size is None:
        chunk_size = int(manifest.get("chunk_size") or max(1, min(25, reps // (workers * 2) or 1)))
    elif manifest.get("chunk_size") not in (None, chunk_size):
        raise ExperimentError(f"{folder} was started with chunk_size {manifest['chunk_size']}; "
                              "resume with the same chunk size")
    seeds = replication_seeds(seed, reps)
    shared_process = np.random.SeedSequence(int(seed), spawn_key=(SHARED_PROCESS_KEY,))
    jobs = []
    for k, s in enumerate(scenarios):
        process_seed = None if s.sources.process_noise else shared_process
        for first in range(0, reps, chunk_size):
            n = min(chunk_size, reps - first)
            if folder is None or not _chunk_done(folder, s.name, first, n):
                jobs.append((s, first, seeds[first:first + chunk_size], process_seed))
    if contributions:
        manifest["contributions"] = contributions
    if folder is not None:
        manifest.update({"chunk_size": chunk_size, "reps": max(reps, manifest.get("reps", 0)),
                         "status": "running"})
        manifest.setdefault("runs", []).append({"started": _now(), "workers": workers,
                                                "executor": _executor_name(executor, workers),
                                                "chunks_to_run": len(jobs)})
        _write_json(folder / "manifest.json", manifest)

    results: dict[tuple[str, int], dict] = {}
    total = sum(len(j[2]) for j in jobs)
    bar = tqdm(total=total, desc="replications", unit="rep", disable=not progress,
               smoothing=0.1)
    started = time.perf_counter()

    def finish(job, result):
        s, first = job[0], job[1]
        if folder is not None:
            _save_chunk(folder, s.name, first, result)
        else:
            results[(s.name, first)] = result
        bar.update(len(job[2]))

    own_pool = None
    try:
        if executor is None and workers == 1:
            for job in jobs:
                finish(job, run_chunk(job[0], job[1], job[2], years, job[3]))
        else:
            pool = executor
            if pool is None:
                pool = own_pool = ProcessPoolExecutor(max_workers=workers)
            futures = {pool.submit(run_chunk, j[0], j[1], j[2], years, j[3]): j for j in jobs}
            try:
                for fut in as_completed(futures):
                    finish(futures[fut], fut.result())
            except BaseException:
                for fut in futures:
                    fut.cancel()
                raise
    except KeyboardInterrupt:
        bar.close()
        if folder is not None:
            done = sum(1 for s in scenarios for first in range(0, reps, chunk_size)
                       if _chunk_done(folder, s.name, first, min(chunk_size, reps - first)))
            raise KeyboardInterrupt(
                f"interrupted: {done} chunk(s) saved in {folder}; run the same command again "
                "to resume") from None
        raise
    finally:
        bar.close()
        if own_pool is not None:
            own_pool.shutdown(wait=True, cancel_futures=True)
    elapsed = time.perf_counter() - started

    if folder is not None:
        ensembles = {s.name: load_ensemble(folder, s.name, reps) for s in scenarios}
        manifest["runs"][-1].update({"finished": _now(), "seconds": round(elapsed, 2),
                                     "replications_run": total})
        manifest["status"] = "complete"
        _write_json(folder / "manifest.json", manifest)
    else:
        ensembles = {s.name: _stack([results[(s.name, first)] for first in range(0, reps, chunk_size)])
                     for s in scenarios}
        manifest = {**finger, "reps": reps, "chunk_size": chunk_size,
                    "scenario_text": {s.name: s.text for s in scenarios},
                    "conditions": {s.name: [c.as_dict() for c in s.conditions] for s in scenarios},
                    "titles": {s.name: s.title for s in scenarios},
                    "uncertainty_sources": {s.name: s.sources.describe() for s in scenarios},
                    **scenario_details(scenarios), "status": "complete",
                    **({"contributions": contributions} if contributions else {}),
                    "runs": [{"seconds": round(elapsed, 2), "replications_run": total,
                              "workers": workers,
                              "executor": _executor_name(executor, workers)}]}
    for s in scenarios:
        ensembles[s.name].provenance.update({
            "scenario": s.name, "root_seed": int(seed), "reps": reps, "years": years,
            "uncertainty_sources": s.sources.describe(), "sendsim_version": __version__,
            "council": s.parameters.council.name, "sources": list(s.parameters.council.sources)})
    return ExperimentResult(ensembles=ensembles, manifest=manifest, folder=folder)


def _executor_name(executor, workers: int) -> str:
    if executor is None:
        return "in process" if workers == 1 else f"process pool ({workers} workers)"
    return type(executor).__module__.split(".")[0] + "." + type(executor).__name__


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


# -- the folder ---------------------------------------------------------------------------------

def _open_folder(folder: Path, finger: dict, scenarios, reps: int, overwrite: bool) -> dict:
    """The manifest to continue, or a fresh one; refuses a folder of another experiment."""
    path = folder / "manifest.json"
    if folder.exists() and any(folder.iterdir()):
        if not path.is_file():
            # --overwrite replaces an experiment, never a folder of other files
            raise ExperimentError(f"{folder} exists and is not a sendsim experiment folder; "
                                  "choose another --out")
        if overwrite:
            shutil.rmtree(folder)
        else:
            old = json.loads(path.read_text(encoding="utf-8"))
            mine = {k: old.get(k) for k in finger}
            if mine != finger:
                diff = [k for k in finger if old.get(k) != finger[k]]
                raise ExperimentError(
                    f"{folder} holds results of a different experiment (different "
                    f"{', '.join(diff)}); it will not be appended to. Choose another --out, or "
                    "pass --overwrite to replace it")
            return old
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {**finger, "reps": reps,
                "scenario_text": {s.name: s.text for s in scenarios},
                "scenario_files": {s.name: s.path for s in scenarios},
                "uncertainty_sources": {s.name: s.sources.describe() for s in scenarios},
                "conditions": {s.name: [c.as_dict() for c in s.conditions] for s in scenarios},
                "titles": {s.name: s.title for s in scenarios},
                **scenario_details(scenarios),
                "created": _now()}
    return manifest


def scenario_details(scenarios) -> dict:
    """The manifest's record of what each scenario assumes (for board reports)."""
    from .assumptions import council_details, scenario_assumptions
    return {"results_format": RESULTS_FORMAT,
            "councils": {s.name: council_details(s) for s in scenarios},
            "assumptions": {s.name: scenario_assumptions(s) for s in scenarios}}


def _chunk_path(folder: Path, scenario: str, table: str, first: int) -> Path:
    return folder / "reps" / scenario / table / f"chunk-{first:07d}.parquet"


def _chunk_done(folder: Path, scenario: str, first: int, n: int) -> bool:
    """Whether replications first..first+n-1 are saved. The provenance file is written last,
    so its presence means every table was written; a shorter chunk (from a run with fewer
    replications) is run again whole."""
    path = folder / "reps" / scenario / "provenance" / f"chunk-{first:07d}.json"
    if not path.is_file():
        return False
    return len(json.loads(path.read_text(encoding="utf-8"))) == n


def _save_chunk(folder: Path, scenario: str, first: int, result: dict) -> None:
    for table, df in result["tables"].items():
        path = _chunk_path(folder, scenario, table, first)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        df.to_parquet(tmp, index=False)
        tmp.replace(path)
    prov = folder / "reps" / scenario / "provenance" / f"chunk-{first:07d}.json"
    prov.parent.mkdir(parents=True, exist_ok=True)
    tmp = prov.with_suffix(".tmp")
    tmp.write_text(json.dumps(result["draws"], default=str), encoding="utf-8")
    tmp.replace(prov)


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
    tmp.replace(path)


def _stack(results: list[dict]) -> Ensemble:
    tables = {name: pd.concat([r["tables"][name] for r in results], ignore_index=True)
              for name in TABLES}
    draws = [d for r in results for d in r["draws"]]
    return Ensemble(**tables, provenance={"replications": draws})


def load_ensemble(folder: str | Path, scenario: str, reps: int | None = None) -> Ensemble:
    """One scenario's saved replications (the first `reps`, if given), in replication order."""
    folder = Path(folder)
    base = folder / "reps" / scenario
    if not base.is_dir():
        raise ExperimentError(f"{folder} has no results for scenario {scenario!r}")
    firsts = sorted(int(p.stem.split("-")[1]) for p in (base / "provenance").glob("chunk-*.json"))
    tables = {}
    for name in TABLES:
        dfs = [canonical(pd.read_parquet(_chunk_path(folder, scenario, name, f))) for f in firsts]
        df = pd.concat(dfs, ignore_index=True) if dfs else pd.DataFrame()
        if reps is not None and len(df):
            df = df[df["rep"] < reps].reset_index(drop=True)
        tables[name] = df
    draws = [d for f in firsts for d in json.loads(
        (base / "provenance" / f"chunk-{f:07d}.json").read_text(encoding="utf-8"))]
    if reps is not None:
        draws = [d for d in draws if d["rep"] < reps]
    return Ensemble(**tables, provenance={"replications": draws})


def load_experiment(folder: str | Path) -> ExperimentResult:
    """A finished (or partly finished) experiment folder, read back."""
    folder = Path(folder)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    ensembles = {name: load_ensemble(folder, name, manifest["reps"])
                 for name in manifest["scenarios"]}
    return ExperimentResult(ensembles=ensembles, manifest=manifest, folder=folder)


__all__ = ["Ensemble", "ExperimentResult", "ExperimentError", "run_experiment", "run_chunk",
           "load_ensemble", "load_experiment", "fingerprint"]
