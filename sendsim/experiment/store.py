"""The experiment folder: what an experiment stores, how, and how it is read back and vouched for.

Folder layout::

    manifest.json                     version, scenario texts, root seed, reps, timings, status
    reps/<scenario>/<table>/chunk-<first rep>.parquet   per-replication tables
    reps/<scenario>/provenance/chunk-<first rep>.json   each replication's draws

Every file is written whole or not at all (a temporary file, then a rename), under the folder's
lock. A chunk's provenance record is written after its tables and holds their sizes and SHA-256,
so a chunk is saved exactly when its record is there and matches. A folder of another experiment,
results format or version is refused, never appended to or rewritten. Results held in memory get
the same manifest and provenance as results read back from a folder.
"""

from __future__ import annotations

import hashlib
import json
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pandas as pd

from sendsim import __version__
from sendsim.errors import IntegrityError, SendsimError
from sendsim.engine.tables import Tables
from sendsim.folders import (LOCK, MAX_DERIVED_NAME, OutputLock, _own_entry, atomic_write, check_name,
                             claim_folder, clear_folder, inside, read_marker, sweep, temp_name,
                             write_marker)
from sendsim.scenario.assumptions import council_details, scenario_assumptions

TABLES = Tables.NAMES
#: Layout of an experiment folder and its summary. 2: the manifest records each scenario's
#: council and assumptions, the summary has quartiles and assumption tables (board reports).
#: 3: a `.sendsim` marker; each chunk's provenance records the experiment's fingerprint and
#: every table file's size and SHA-256, and the summary the digest of the chunks it read.
RESULTS_FORMAT = 3
#: What an experiment folder holds besides sendsim's marker, lock and temporary files.
CONTENTS = ("manifest.json", "reps", "summary")


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


def canonical(df: pd.DataFrame) -> pd.DataFrame:
    """Column types as they read back from Parquet (timestamps in seconds), so results held in
    memory and results loaded from a folder are the same frames."""
    for col in df.columns:
        if pd.api.types.is_datetime64_any_dtype(df[col]):
            df[col] = df[col].astype("datetime64[s]")
    return df


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


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


# -- storing a run: the steps run_experiment takes -------------------------------------------

def check_folder(folder: Path, overwrite: bool = False) -> None:
    """Refuse, before anything is written, a folder the experiment may not write: not sendsim's,
    of another kind, holding foreign files, or (with `overwrite`) of another version."""
    if claim_folder(folder, "experiment", overwrite, CONTENTS) == "replace":
        _refuse_other_version(folder)


@contextmanager
def experiment_folder(folder: Path, finger: dict, scenarios, reps: int,
                      overwrite: bool = False) -> Iterator[dict]:
    """The folder, made if need be and locked for the run: yields its manifest, continued or
    written fresh (`_open_folder`). A refusal that leaves a folder this call made without a
    manifest removes the folder again, so a refused run leaves nothing behind."""
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with OutputLock(folder / LOCK, folder, "experiment"):
            yield _open_folder(folder, finger, scenarios, reps, overwrite)
    except SendsimError:
        if created and not (folder / "manifest.json").exists():
            _remove_if_only_ours(folder)
        raise


def resumed_chunk_size(folder: Path, manifest: dict, chunk_size: int | None) -> int | None:
    """The chunk size to continue with: the one asked for, else the one the folder was started
    with (None when neither: the plan chooses). Chunks are named by their first replication, so
    continuing with another size is refused."""
    started = manifest.get("chunk_size")
    if chunk_size is None:
        return int(started) if started else None
    if started not in (None, chunk_size):
        raise ExperimentError(f"was started with --chunk-size {manifest['chunk_size']}",
                              str(folder), "resume with the same chunk size")
    return chunk_size


def start_run(folder: Path, manifest: dict, reps: int, chunk_size: int, run: dict,
              contributions: dict | None = None) -> None:
    """Record in the manifest that a run (`run`: workers, executor, chunks to run) has started."""
    if contributions:
        manifest["contributions"] = contributions
    manifest.update({"chunk_size": chunk_size, "reps": max(reps, manifest.get("reps", 0)),
                     "status": "running"})
    manifest.setdefault("runs", []).append({"started": _now(), **run})
    _write_json(folder / "manifest.json", manifest)


def finish_run(folder: Path, manifest: dict, scenarios, seconds: float,
               replications: int) -> ExperimentResult:
    """Record the run as complete, then read the folder back once it vouches for itself."""
    manifest["runs"][-1].update({"finished": _now(), "seconds": round(seconds, 2),
                                 "replications_run": replications})
    manifest["status"] = "complete"
    _write_json(folder / "manifest.json", manifest)
    digest_of_chunks = verify_folder(folder, manifest)["digest"]
    ensembles = {s.name: load_ensemble(folder, s.name, manifest["reps"]) for s in scenarios}
    attach_provenance(ensembles, manifest)
    return ExperimentResult(ensembles=ensembles, manifest=manifest, folder=folder,
                            chunks_digest=digest_of_chunks)


def held_in_memory(finger: dict, scenarios, reps: int, chunk_size: int,
                   results: dict[str, list[dict]], seconds: float, run: dict,
                   contributions: dict | None = None) -> ExperimentResult:
    """A run kept in memory (no folder): each scenario's chunk results (in replication order)
    stacked, with the manifest and provenance a folder of the same run would have."""
    ensembles = {s.name: _stack(results[s.name]) for s in scenarios}
    manifest = {**finger, "reps": reps, "chunk_size": chunk_size,
                **_scenario_records(scenarios), "status": "complete",
                **({"contributions": contributions} if contributions else {}),
                "runs": [{"seconds": round(seconds, 2), **run}]}
    attach_provenance(ensembles, manifest)
    return ExperimentResult(ensembles=ensembles, manifest=manifest, folder=None,
                            chunks_digest=None)


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
    try:
        if all(_own_entry(p.name) for p in folder.iterdir()):
            for p in folder.iterdir():
                p.unlink(missing_ok=True)
            folder.rmdir()
    except OSError:
        pass


def read_manifest(folder: str | Path) -> dict:
    """An experiment folder's manifest, refused clearly if it is not one or cannot be read."""
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


def chunk_saved(folder: Path, scenario: str, first: int, n: int, digest: str) -> bool:
    """Whether replications first..first+n-1 are saved by this experiment. The provenance
    record is written last, so its presence means every table was written; a shorter chunk (from
    a run with fewer replications) or an unreadable one is run again whole."""
    path = folder / "reps" / scenario / "provenance" / f"chunk-{first:07d}.json"
    rec = _read_chunk_record(path) if path.is_file() else None
    if rec is None or rec.get("fingerprint") != digest:
        return False
    return len(rec.get("replications", [])) == n


def save_chunk(folder: Path, scenario: str, first: int, result: dict, digest: str) -> None:
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


__all__ = ["TABLES", "RESULTS_FORMAT", "CONTENTS", "ExperimentError", "Ensemble", "ExperimentResult",
           "canonical", "attach_provenance", "check_folder", "experiment_folder",
           "resumed_chunk_size", "start_run", "finish_run", "held_in_memory", "chunk_saved",
           "save_chunk", "read_manifest", "finger_digest", "verify_folder", "scenario_details",
           "load_ensemble", "load_experiment"]
