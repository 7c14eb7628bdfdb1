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
import time
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from sendsim import __version__
from sendsim.errors import IntegrityError, SendsimError
from sendsim.engine.model import RunSpec, simulate
from sendsim.folders import (LOCK, MAX_DERIVED_NAME, OutputLock, atomic_write, check_distinct, check_name, claim_folder,
                     clear_folder, inside, sweep, temp_name, write_marker)
from sendsim.engine.tables import Tables
from sendsim.scenario.definition import Scenario
from sendsim.engine.streams import replication_seeds

TABLES = Tables.NAMES
#: Layout of an experiment folder and its summary. 2: the manifest records each scenario's
#: council and assumptions, the summary has quartiles and assumption tables (board reports).
#: 3: a `.sendsim` marker; each chunk's provenance records the experiment's fingerprint and
#: every table file's size and SHA-256, and the summary the digest of the chunks it read.
RESULTS_FORMAT = 3
#: What an experiment folder holds besides sendsim's marker, lock and temporary files.
CONTENTS = ("manifest.json", "reps", "summary")
#: Spawn key of the one process-noise seed every replication shares when process noise is off.
SHARED_PROCESS_KEY = 2**31 - 1


class ExperimentError(SendsimError, ValueError):
    """An experiment that cannot start (bad arguments, or a folder from another experiment)."""

    def __init__(self, message: str, where: str = "", allowed: str = ""):
        super().__init__(where, message, allowed)


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
    chunks_digest: str | None = None       # from verify_folder: what a summary vouches for

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
    `contributions` (plan -> {"versus", "parts"}, from `sendsim.experiment.contributions`) is recorded in
    the manifest so the summary can tabulate the leave-one-out variants among `scenarios`.
    Everything that can be checked is checked before anything is written.
    """
    if isinstance(scenarios, Scenario):
        scenarios = [scenarios]
    if executor is not None and hasattr(executor, "get_executor"):
        executor = executor.get_executor()   # a dask.distributed.Client
    check_run_size(reps, years, seed)
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
    finger = fingerprint(scenarios, seed, years)
    folder = Path(out) if out is not None else None
    if folder is None:
        return _run(scenarios, reps, seed, years, None, finger, {}, executor, workers,
                    chunk_size, progress, contributions)
    check_resources(scenarios, reps, years, folder)
    if claim_folder(folder, "experiment", overwrite, CONTENTS) == "replace":  # refuse before
        _refuse_other_version(folder)                                          # writing anything
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with OutputLock(folder / LOCK, folder, "experiment"):
            manifest = _open_folder(folder, finger, scenarios, reps, overwrite)
            return _run(scenarios, reps, seed, years, folder, finger, manifest, executor,
                        workers, chunk_size, progress, contributions)
    except SendsimError:
        if created and not (folder / "manifest.json").exists():
            _remove_if_only_ours(folder)
        raise


def _run(scenarios, reps, seed, years, folder, finger, manifest, executor, workers, chunk_size,
         progress, contributions) -> ExperimentResult:
    workers = default_workers() if workers is None else max(1, workers)
    if chunk_size is None:
        chunk_size = int(manifest.get("chunk_size") or max(1, min(25, reps // (workers * 2) or 1)))
    elif manifest.get("chunk_size") not in (None, chunk_size):
        raise ExperimentError(f"was started with --chunk-size {manifest['chunk_size']}",
                              str(folder), "resume with the same chunk size")
    seeds = replication_seeds(seed, reps)
    shared_process = np.random.SeedSequence(int(seed), spawn_key=(SHARED_PROCESS_KEY,))
    digest = finger_digest(finger)
    jobs = []
    for s in scenarios:
        process_seed = None if s.sources.process_noise else shared_process
        for first in range(0, reps, chunk_size):
            n = min(chunk_size, reps - first)
            if folder is None or not _chunk_done(folder, s.name, first, n, digest):
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
            _save_chunk(folder, s.name, first, result, digest)
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
                       if _chunk_done(folder, s.name, first, min(chunk_size, reps - first), digest))
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
        manifest["runs"][-1].update({"finished": _now(), "seconds": round(elapsed, 2),
                                     "replications_run": total})
        manifest["status"] = "complete"
        _write_json(folder / "manifest.json", manifest)
        digest_of_chunks = verify_folder(folder, manifest)["digest"]
        ensembles = {s.name: load_ensemble(folder, s.name, manifest["reps"]) for s in scenarios}
    else:
        ensembles = {s.name: _stack([results[(s.name, first)] for first in range(0, reps, chunk_size)])
                     for s in scenarios}
        manifest = {**finger, "reps": reps, "chunk_size": chunk_size,
                    **_scenario_records(scenarios), "status": "complete",
                    **({"contributions": contributions} if contributions else {}),
                    "runs": [{"seconds": round(elapsed, 2), "replications_run": total,
                              "workers": workers,
                              "executor": _executor_name(executor, workers)}]}
        digest_of_chunks = None
    attach_provenance(ensembles, manifest)
    return ExperimentResult(ensembles=ensembles, manifest=manifest, folder=folder,
                            chunks_digest=digest_of_chunks)


def attach_provenance(ensembles: dict, manifest: dict) -> None:
    """Each ensemble's provenance from the manifest alone, so results run now and results read
    back from a folder say the same (version, seed, replications, council, sources)."""
    for name, ens in ensembles.items():
        council = manifest.get("councils", {}).get(name, {})
        ens.provenance.update({
            "scenario": name, "root_seed": manifest.get("root_seed"),
            "reps": manifest.get("reps"), "years": manifest.get("years"),
            "uncertainty_sources": manifest.get("uncertainty_sources", {}).get(name),
            "sendsim_version": manifest.get("sendsim_version"),
            "council": council.get("name"), "sources": list(council.get("sources", []))})


def _executor_name(executor, workers: int) -> str:
    if executor is None:
        return "in process" if workers == 1 else f"process pool ({workers} workers)"
    return type(executor).__module__.split(".")[0] + "." + type(executor).__name__


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


# -- what a run may ask for ---------------------------------------------------------------------

#: Bounds on a run's size: beyond them a run is a mistake rather than an experiment.
MAX_REPS = 100_000
MAX_YEARS = 30.0
MAX_SEED = 2**63 - 1
#: Measured on the built-in council (4 replications of 8 years): one replication-year of one
#: scenario takes 141 kB in memory once loaded (allowed 400 kB, for the copies a summary makes)
#: and 60 kB as Parquet on disk. The estimate scales them by the caseload at the start.
BYTES_PER_REP_YEAR_MEMORY = 400_000
BYTES_PER_REP_YEAR_DISK = 60_000
REFERENCE_PLANS = 6_000


def check_run_size(reps: int, years: float, seed: int) -> None:
    """Replications, horizon and seed inside what sendsim allows."""
    import math
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
    import shutil as _shutil
    from sendsim.errors import ResourceError
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
        free_disk = _shutil.disk_usage(probe).free
        if need["disk"] > free_disk:
            raise ResourceError(f"--out {folder}", f"this run needs about {_gb(need['disk'])} "
                                f"of disk and {_gb(free_disk)} is free there",
                                "free some space, or write elsewhere")
    return need


def _gb(n: float) -> str:
    return f"{n / 1e9:,.1f} GB" if n >= 1e8 else f"{n / 1e6:,.0f} MB"


# -- the folder ---------------------------------------------------------------------------------

def _open_folder(folder: Path, finger: dict, scenarios, reps: int, overwrite: bool) -> dict:
    """Under the folder's lock: the manifest to continue, or a fresh one written now. A folder
    of another experiment, format or version is refused, never appended to or rewritten."""
    state = claim_folder(folder, "experiment", overwrite, CONTENTS)
    sweep(folder, recursive=True, all_hosts_pids=True)     # we hold the lock: all litter is old
    if state == "replace":
        _refuse_other_version(folder)
        clear_folder(folder, CONTENTS)
        state = "new"
    path = folder / "manifest.json"
    if state == "resume":
        old = read_manifest(folder)
        mine = {k: old.get(k) for k in finger}
        if mine != finger:
            diff = [k for k in finger if old.get(k) != finger[k]]
            raise ExperimentError(f"holds results of a different experiment (different "
                                  f"{', '.join(diff)}) and will not be appended to", str(folder),
                                  "choose another --out, or pass --overwrite to replace it")
        return old
    manifest = {**finger, "reps": reps, **_scenario_records(scenarios), "created": _now()}
    write_marker(folder, "experiment")
    _write_json(path, manifest)
    return manifest


def _refuse_other_version(folder: Path) -> None:
    """--overwrite replaces only this version's folders: one whose manifest or marker names
    another version or results format is refused, as read_manifest refuses to read it."""
    from sendsim.folders import read_marker
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = {}
    manifest = manifest if isinstance(manifest, dict) else {}
    fmt = manifest.get("results_format", RESULTS_FORMAT)
    made_by = {manifest.get("sendsim_version", __version__),
               (read_marker(folder) or {}).get("sendsim_version", __version__)}
    if fmt != RESULTS_FORMAT or made_by != {__version__}:
        raise IntegrityError(str(folder), f"was written by sendsim "
                             f"{', '.join(sorted(map(str, made_by - {__version__}))) or __version__}"
                             f" in results format {fmt}; this is sendsim {__version__} (format "
                             f"{RESULTS_FORMAT}) and it does not rewrite other versions' folders",
                             "run the experiment again with this version into a new folder, or "
                             "use the version that wrote it")


def _scenario_records(scenarios) -> dict:
    return {"scenario_text": {s.name: s.text for s in scenarios},
            "scenario_files": {s.name: s.path for s in scenarios},
            "uncertainty_sources": {s.name: s.sources.describe() for s in scenarios},
            "conditions": {s.name: [c.as_dict() for c in s.conditions] for s in scenarios},
            "titles": {s.name: s.title for s in scenarios},
            **scenario_details(scenarios)}


def _remove_if_only_ours(folder: Path) -> None:
    from sendsim.folders import _own_entry
    try:
        if all(_own_entry(p.name) for p in folder.iterdir()):
            for p in folder.iterdir():
                p.unlink(missing_ok=True)
            folder.rmdir()
    except OSError:
        pass


def read_manifest(folder: str | Path) -> dict:
    """An experiment folder's manifest, refused clearly if it is not one or cannot be read."""
    from sendsim.folders import read_marker
    folder = Path(folder)
    if not folder.is_dir():
        raise IntegrityError(str(folder), "no such experiment folder",
                             "give a folder written by sendsim run or compare")
    path = folder / "manifest.json"
    found = read_marker(folder)
    if found is None:
        if path.is_file() and '"sendsim_version"' in path.read_text(encoding="utf-8",
                                                                   errors="replace"):
            raise IntegrityError(str(folder), "was written by an older sendsim (no .sendsim "
                                 "marker, results format 1 or 2)", "run the experiment again "
                                 f"with sendsim {__version__}: the same scenario files and "
                                 "--seed give the same replications")
        raise IntegrityError(str(folder), "is not an experiment folder (no sendsim manifest.json)",
                             "give a folder written by sendsim run or compare")
    if found["kind"] != "experiment":
        raise IntegrityError(str(folder), f"is a sendsim {found['kind']} folder, not an "
                             "experiment folder", "give a folder written by sendsim run or compare")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IntegrityError(str(path), "is missing", "run the experiment again into a new "
                             "folder") from None
    except (OSError, ValueError) as exc:
        raise IntegrityError(str(path), f"cannot be read as JSON ({exc})",
                             "run the experiment again into a new folder") from None
    if not isinstance(manifest, dict):
        raise IntegrityError(str(path), "is not a JSON object", "run the experiment again")
    fmt, made_by = manifest.get("results_format"), manifest.get("sendsim_version")
    if fmt != RESULTS_FORMAT or made_by != __version__:
        raise IntegrityError(str(folder), f"was written by sendsim {made_by or '?'} in results "
                             f"format {fmt or 1}; this is sendsim {__version__} (format "
                             f"{RESULTS_FORMAT}) and it does not rewrite other versions' folders",
                             "run the experiment again with this version into a new folder, or "
                             "use the version that wrote it")
    for key, kind in (("scenarios", dict), ("reps", int), ("root_seed", int), ("years", float),
                      ("scenario_text", dict)):
        if not isinstance(manifest.get(key), (kind, int) if kind is float else kind) \
                or isinstance(manifest.get(key), bool):
            raise IntegrityError(f"{path}: {key}", "is missing or of the wrong type",
                                 "the manifest was edited or damaged; run the experiment again")
    return manifest


def finger_digest(finger: dict) -> str:
    """One hash of the fingerprint, recorded in every chunk."""
    keys = ("sendsim_version", "root_seed", "years", "scenarios")
    return hashlib.sha256(json.dumps({k: finger.get(k) for k in keys}, sort_keys=True,
                                     default=str).encode()).hexdigest()


def verify_folder(folder: str | Path, manifest: dict | None = None) -> dict:
    """Check that the folder vouches for its results: every replication 0..reps-1 of every
    scenario present once, every table file readable with the size and SHA-256 its chunk
    recorded, every chunk made by the experiment the manifest describes (fingerprint), and the
    manifest's scenario texts those it hashed. Returns {"digest": ...} of the chunks, which a
    summary records. Raises IntegrityError naming what is wrong."""
    folder = Path(folder)
    manifest = read_manifest(folder) if manifest is None else manifest
    digest = finger_digest(manifest)
    reps = manifest["reps"]
    again = "run the same command again to finish or repair it"
    for name, text in manifest.get("scenario_text", {}).items():
        if text and manifest["scenarios"].get(name) != \
                hashlib.sha256(text.encode()).hexdigest():
            raise IntegrityError(f"{folder}/manifest.json: scenario_text.{name}",
                                 "does not match the scenario the replications were run from",
                                 "the manifest was edited; run the experiment again")
    overall = hashlib.sha256(digest.encode())
    for name in manifest["scenarios"]:
        check_name(name, "scenario name", f"{folder}/manifest.json: scenarios",
                   longest=MAX_DERIVED_NAME)
        base = inside(folder, Path("reps") / name / "provenance")
        seen: list[int] = []
        chunks = sorted(base.glob("chunk-*.json")) if base.is_dir() else []
        for chunk in chunks:
            rec = _read_chunk_record(chunk)
            if rec is None:
                raise IntegrityError(str(chunk), "cannot be read", again)
            if rec.get("fingerprint") != digest:
                raise IntegrityError(str(chunk), "was made by a different experiment (its seed, "
                                     "horizon, scenario or version differ from the manifest)",
                                     "the folder was mixed or edited; run it again into a new "
                                     "folder")
            first = int(chunk.stem.split("-")[1])
            got = [int(d["rep"]) for d in rec.get("replications", [])]
            if got != list(range(first, first + len(got))):
                raise IntegrityError(str(chunk), "does not hold the replications its name says",
                                     again)
            seen += got
            for table in TABLES:
                path = _chunk_path(folder, name, table, first)
                want = rec.get("tables", {}).get(table, {})
                try:
                    data = path.read_bytes()
                except OSError:
                    raise IntegrityError(str(path), "is missing or unreadable", again) from None
                if len(data) != want.get("bytes") or hashlib.sha256(data).hexdigest() != want.get("sha256"):
                    raise IntegrityError(str(path), "is not the file its chunk recorded (cut "
                                         "short, changed or replaced)", again)
            overall.update(json.dumps(rec.get("tables"), sort_keys=True).encode())
        missing = sorted(set(range(reps)) - set(seen))
        extra = sorted(set(seen) - set(range(reps)))
        if missing or len(seen) != len(set(seen)):
            shown = ", ".join(map(str, missing[:5])) + ("..." if len(missing) > 5 else "")
            raise IntegrityError(f"{folder}: scenario {name}", f"{reps - len(missing)} of {reps} "
                                 f"replications are saved (missing: {shown or 'duplicates'})",
                                 again)
        if extra:
            raise IntegrityError(f"{folder}/manifest.json: reps", f"says {reps} but the folder "
                                 f"holds {len(set(seen))} replications of {name}",
                                 "the manifest was edited; run the experiment again")
    return {"digest": overall.hexdigest()}


def scenario_details(scenarios) -> dict:
    """The manifest's record of what each scenario assumes (for board reports)."""
    from sendsim.scenario.assumptions import council_details, scenario_assumptions
    return {"results_format": RESULTS_FORMAT,
            "councils": {s.name: council_details(s) for s in scenarios},
            "assumptions": {s.name: scenario_assumptions(s) for s in scenarios}}


def _chunk_path(folder: Path, scenario: str, table: str, first: int) -> Path:
    return folder / "reps" / scenario / table / f"chunk-{first:07d}.parquet"


def _read_chunk_record(path: Path) -> dict | None:
    try:
        rec = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return rec if isinstance(rec, dict) else None


def _chunk_done(folder: Path, scenario: str, first: int, n: int, digest: str) -> bool:
    """Whether replications first..first+n-1 are saved by this experiment. The provenance
    record is written last, so its presence means every table was written; a shorter chunk (from
    a run with fewer replications) or an unreadable one is run again whole."""
    path = folder / "reps" / scenario / "provenance" / f"chunk-{first:07d}.json"
    rec = _read_chunk_record(path) if path.is_file() else None
    if rec is None or rec.get("fingerprint") != digest:
        return False
    return len(rec.get("replications", [])) == n


def _save_chunk(folder: Path, scenario: str, first: int, result: dict, digest: str) -> None:
    tables = {}
    for table, df in result["tables"].items():
        path = inside(folder, _chunk_path(Path(), scenario, table, first))
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(temp_name() + ".parquet")
        try:
            df.to_parquet(tmp, index=False)
            data = tmp.read_bytes()
            tmp.replace(path)
        finally:
            tmp.unlink(missing_ok=True)
        tables[table] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    prov = inside(folder, Path("reps") / scenario / "provenance" / f"chunk-{first:07d}.json")
    prov.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(prov, json.dumps({"fingerprint": digest, "scenario": scenario, "first": first,
                                   "tables": tables, "replications": result["draws"]},
                                  default=str))


def _write_json(path: Path, data: dict) -> None:
    atomic_write(path, json.dumps(data, indent=2, default=str))


def _stack(results: list[dict]) -> Ensemble:
    tables = {name: pd.concat([r["tables"][name] for r in results], ignore_index=True)
              for name in TABLES}
    draws = [d for r in results for d in r["draws"]]
    return Ensemble(**tables, provenance={"replications": draws})


def load_ensemble(folder: str | Path, scenario: str, reps: int | None = None) -> Ensemble:
    """One scenario's saved replications (the first `reps`, if given), in replication order.
    Call `verify_folder` first: this reads what is there."""
    folder = Path(folder)
    base = inside(folder, Path("reps") / scenario)
    if not base.is_dir():
        raise IntegrityError(str(folder), f"has no results for scenario {scenario!r}",
                             "run the experiment again")
    firsts = sorted(int(p.stem.split("-")[1]) for p in (base / "provenance").glob("chunk-*.json"))
    tables = {}
    for name in TABLES:
        dfs = []
        for f in firsts:
            path = _chunk_path(folder, scenario, name, f)
            try:
                dfs.append(canonical(pd.read_parquet(path)))
            except Exception as exc:     # pyarrow raises several types for damaged files
                raise IntegrityError(str(path), f"cannot be read ({type(exc).__name__})",
                                     "run the same command again to repair it") from None
        df = pd.concat(dfs, ignore_index=True) if dfs else pd.DataFrame()
        if reps is not None and len(df):
            df = df[df["rep"] < reps].reset_index(drop=True)
        tables[name] = df
    draws = [d for f in firsts for d in (_read_chunk_record(
        base / "provenance" / f"chunk-{f:07d}.json") or {}).get("replications", [])]
    if reps is not None:
        draws = [d for d in draws if d["rep"] < reps]
    return Ensemble(**tables, provenance={"replications": draws})


def load_experiment(folder: str | Path) -> ExperimentResult:
    """A complete experiment folder, read back after `verify_folder` vouches for it."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    if manifest.get("status") != "complete":
        raise IntegrityError(str(folder), f"the experiment is not complete (status "
                             f"{manifest.get('status')!r})", "run the same command again to "
                             "finish it")
    check = verify_folder(folder, manifest)
    ensembles = {name: load_ensemble(folder, name, manifest["reps"])
                 for name in manifest["scenarios"]}
    attach_provenance(ensembles, manifest)
    return ExperimentResult(ensembles=ensembles, manifest=manifest, folder=folder,
                            chunks_digest=check["digest"])


__all__ = ["Ensemble", "ExperimentResult", "ExperimentError", "run_experiment", "run_chunk",
           "load_ensemble", "load_experiment", "fingerprint", "verify_folder", "read_manifest",
           "check_run_size", "estimate_resources"]
