"""Reading experiment folders for a board report: refuse what is incomplete or incompatible.

A report quotes the tables of an experiment's ``summary/`` folder, so a folder is accepted only
when its replications are all in, its summary lists every table it should have, and both were
written in the results format this version reads. Several folders (separate `sendsim run`s of
the same council, root seed and horizon) are combined replication by replication, and their
summary tables are computed afresh from the replications, with the same code that writes a
summary folder.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sendsim.errors import SendsimError
from sendsim.experiment.store import RESULTS_FORMAT, ExperimentResult, load_experiment, read_manifest, verify_folder
from sendsim.folders import check_name
from sendsim.experiment.outputs import is_variant, resolve_at, summary_tables


class ReportError(SendsimError, ValueError):
    """Results that cannot be reported on, with what is wrong and what to do."""

    def __init__(self, message: str, where: str = "", allowed: str = ""):
        super().__init__(where, message, allowed)


@dataclass
class ReportInput:
    """What a report is built from: summary tables, the manifest(s) and where they came from."""

    tables: dict[str, pd.DataFrame]
    manifest: dict
    folders: list[Path]
    baseline: str
    at: str
    scenarios: list[str]                  # in order, the baseline first; no leave-one-out variants
    computed: bool = False                # True: tables computed from replications, not read
    table_source: dict = field(default_factory=dict)   # table name -> where a reader finds it


def check_folder(folder: str | Path) -> dict:
    """The folder's manifest, if it is a complete experiment in this results format whose
    replications all vouch for themselves (`sendsim.experiment.store.verify_folder`); the digest of
    its chunks is kept under "chunks_digest" for `read_summary` to compare."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    if manifest.get("status") != "complete":
        raise ReportError(f"{folder}: the experiment is not complete (status "
                          f"{manifest.get('status')!r})", "", "run the same command again to "
                          "finish it")
    manifest = {**manifest, "chunks_digest": verify_folder(folder, manifest)["digest"]}
    return manifest


def read_summary(folder: Path, chunks_digest: str | None = None) -> tuple[dict[str, pd.DataFrame], dict]:
    """The summary folder's tables and provenance; refused if any listed table is missing, or
    if the summary was computed from other replications than the folder now holds."""
    summary = folder / "summary"
    prov_path = summary / "provenance.json"
    again = f"rebuild it with: sendsim summarise {folder}"
    if not prov_path.is_file():
        raise ReportError(f"{folder}: no summary (summary/provenance.json is missing)", "", again)
    try:
        prov = json.loads(prov_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReportError(f"{prov_path}: cannot be read as JSON ({exc})", "", again) from None
    if not isinstance(prov, dict) or prov.get("results_format") != RESULTS_FORMAT:
        raise ReportError(f"{summary}: written by sendsim {prov.get('sendsim_version', '?') if isinstance(prov, dict) else '?'} "
                          "in another summary format", "", again)
    if chunks_digest is not None and prov.get("chunks_digest") != chunks_digest:
        raise ReportError(f"{summary}: was computed from other replications than the folder "
                          "holds now", "", again)
    listed = prov.get("tables")
    if not isinstance(listed, list) or not listed:
        raise ReportError(f"{summary}: lists no tables", "", again)
    for t in listed:
        check_name(str(t), "summary table", f"{prov_path}: tables")
    missing = [t for t in listed if not (summary / t).is_file()]
    if missing:
        raise ReportError(f"{summary}: incomplete, missing {', '.join(missing)}", "", again)
    recorded = prov.get("table_sha256") or {}
    tables = {}
    for name in listed:
        try:
            data = (summary / name).read_bytes()
        except OSError as exc:
            raise ReportError(f"{summary / name}: cannot be read ({exc.strerror})", "", again) from None
        if hashlib.sha256(data).hexdigest() != recorded.get(name):
            raise ReportError(f"{summary / name}: is not the table the summary wrote (changed "
                              "since, or cut short)", "", again)
        try:
            tables[name] = pd.read_csv(io.BytesIO(data))
        except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise ReportError(f"{summary / name}: cannot be read ({type(exc).__name__})", "",
                              again) from None
    return tables, prov


def read_results(folders, baseline: str | None = None, at: str | None = None) -> ReportInput:
    """One experiment folder's summary, or several folders combined (see module docstring)."""
    folders = [Path(f) for f in folders]
    if not folders:
        raise ReportError("give at least one results folder")
    manifests = [check_folder(f) for f in folders]
    if len(folders) == 1:
        tables, prov = read_summary(folders[0], manifests[0]["chunks_digest"])
        names = list(manifests[0]["scenarios"])
        chosen = baseline or prov.get("baseline") or names[0]
        if chosen not in names:
            raise ReportError(f"--baseline {chosen!r} is not a scenario of {folders[0]} "
                              f"({', '.join(names)})")
        if chosen == prov.get("baseline") and at in (None, prov.get("at")):
            at = prov.get("at")
            return ReportInput(tables=tables, manifest=manifests[0], folders=folders,
                               baseline=chosen, at=at, scenarios=_order(names, chosen),
                               table_source={t: f"{folders[0]}/summary/{t}" for t in tables})
        result = load_experiment(folders[0])
    else:
        result = combine(folders, manifests)
    names = list(result.ensembles)
    chosen = baseline or names[0]
    if chosen not in names:
        raise ReportError(f"--baseline {chosen!r} is not among the scenarios "
                          f"({', '.join(names)})")
    at = resolve_at(result, at)
    try:
        tables = summary_tables(result, chosen, at)
    except ValueError as exc:
        raise ReportError(f"cannot summarise {', '.join(map(str, folders))}: {exc}") from None
    return ReportInput(tables=tables, manifest=result.manifest, folders=folders, baseline=chosen,
                       at=at, scenarios=_order(names, chosen), computed=True,
                       table_source={t: "computed from the replications (sendsim."
                                        "experiment_output.summary_tables)" for t in tables})


def _order(names: list[str], baseline: str) -> list[str]:
    return [baseline] + [n for n in names if n != baseline and not is_variant(n)]


#: What must agree for replications of separate folders to be paired.
PAIRING_KEYS = ("root_seed", "years", "sendsim_version", "results_format")


def combine(folders: list[Path], manifests: list[dict]) -> ExperimentResult:
    """Several experiment folders as one experiment, paired by replication number."""
    first = manifests[0]
    for folder, m in zip(folders[1:], manifests[1:]):
        differ = [k for k in PAIRING_KEYS if m.get(k) != first.get(k)]
        starts = {c["start_date"] for c in m["councils"].values()} | \
            {c["start_date"] for c in first["councils"].values()}
        if len(starts) > 1:
            differ.append("start date")
        if differ:
            detail = "; ".join(f"{k}: {first.get(k)!r} in {folders[0]}, {m.get(k)!r} in {folder}"
                               for k in differ if k in PAIRING_KEYS)
            raise ReportError(f"{folder} cannot be compared with {folders[0]}: different "
                              f"{', '.join(differ)}" + (f" ({detail})" if detail else "")
                              + ". Replications pair only within one root seed, horizon, "
                              "start date and version; run them with `sendsim compare` instead")
    ensembles, manifest = {}, {k: first.get(k) for k in PAIRING_KEYS}
    merged_keys = ("scenarios", "scenario_text", "scenario_files", "uncertainty_sources",
                   "conditions", "titles", "councils", "assumptions", "contributions")
    for key in merged_keys:
        manifest[key] = {}
    for folder, m in zip(folders, manifests):
        clash = sorted(set(m["scenarios"]) & set(ensembles))
        if clash:
            raise ReportError(f"{folder}: scenario {clash[0]!r} is also in an earlier folder; "
                              "each scenario may appear once")
        result = load_experiment(folder)
        ensembles.update(result.ensembles)
        for key in merged_keys:
            manifest[key].update(m.get(key) or {})
    reps = min(int(m["reps"]) for m in manifests)
    manifest["reps"] = reps
    manifest["runs"] = [r for m in manifests for r in m.get("runs", [])]
    for name, ens in ensembles.items():
        for table in ens.NAMES:
            df = getattr(ens, table)
            if len(df) and "rep" in df:
                setattr(ens, table, df[df["rep"] < reps].reset_index(drop=True))
    return ExperimentResult(ensembles=ensembles, manifest=manifest, folder=None)
