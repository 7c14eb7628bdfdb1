"""An experiment's summaries on disk: CSV tables, a text report and fan charts.

Written once every replication is in, into a temporary folder that then replaces
`<experiment>/summary` whole, so a reader never sees half of one. The per-replication Parquet
files stay the primary results; everything here can be rebuilt from them
(`sendsim summarise DIR`).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

from sendsim import __version__
from sendsim.scenario.assumptions import COLUMNS as ASSUMPTION_COLUMNS
from sendsim.experiment.store import RESULTS_FORMAT
from sendsim.errors import UsageError
from sendsim.folders import LOCK, OutputLock, sweep, write_folder
from sendsim.experiment.contributions import VARIANT_SEPARATOR, contributions_table
from sendsim.experiment.fan_charts import experiment_fans
from sendsim.experiment.text import format_summary, summary_table
from sendsim.experiment.summaries import (by_financial_year, condition_probabilities, first_balance_year,
                        format_headline, headline, paired_differences, quantile_table)


def is_variant(name: str) -> bool:
    """A leave-one-out variant of a plan (`sendsim compare --contributions`): summarised only
    through the plan's contributions table."""
    return VARIANT_SEPARATOR in name


def format_contributions(table: pd.DataFrame) -> str:
    """The contributions to the deficit, largest first, as terminal text."""
    part = table[table["measure"] == "cumulative_deficit_at_31_march"]
    if part.empty:
        return ""
    first = part.iloc[0]
    lines = [f"What each part of the plan contributes to the cumulative deficit at 31 March "
             f"{int(str(first['financial_year'])[:4]) + 1} (GBP m; plan minus plan without "
             "the part, paired; median and 90% interval)"]
    width = min(60, max(len(str(x)) for x in part["label"]))
    for _, r in part.iterrows():
        label = str(r["label"])[:width]
        if r["part_key"] == "interaction":
            lines.append(f"  {label:<{width}}  {r['mean']:+,.1f} (mean)")
        else:
            lines.append(f"  {label:<{width}}  {r['contribution_median']:+,.1f} "
                         f"({r['p05']:+,.1f} to {r['p95']:+,.1f})")
    return "\n".join(lines)


def _conditions(result) -> list[dict]:
    """The conditions of the first scenario that states any (all scenarios are judged on them)."""
    for name in result.ensembles:
        conds = result.manifest.get("conditions", {}).get(name)
        if conds:
            return conds
    return []


def summary_tables(result, baseline: str | None = None, at: str = "2028-29") -> dict:
    """file name -> DataFrame: every table of an experiment's summary folder.

    The board report (`sendsim.reports.board`) reads these very tables, so each figure in a
    report can be traced to a file and row of the summary.
    """
    names = [n for n in result.ensembles if not is_variant(n)]
    baseline = baseline or names[0]
    conditions = _conditions(result)
    tables: dict = {}
    longs = {}
    assumptions = result.manifest.get("assumptions", {})
    shown = {n: result.ensembles[n] for n in names}
    for name, ens in shown.items():
        long = longs[name] = by_financial_year(ens)
        tables[f"{name}__quantiles_by_financial_year.csv"] = quantile_table(long)
        tables[f"{name}__headline_measures.csv"] = summary_table(ens)
        tables[f"{name}__first_balance_year.csv"] = first_balance_year(ens)
        if conditions:
            tables[f"{name}__conditions.csv"] = condition_probabilities(ens, conditions)
        if name in assumptions:
            tables[f"{name}__assumptions.csv"] = pd.DataFrame(assumptions[name],
                                                              columns=ASSUMPTION_COLUMNS)
    for name in names:
        if name != baseline:
            tables[f"paired__{name}__minus__{baseline}.csv"] = paired_differences(
                longs[baseline], longs[name])
    fys = set(result.ensembles[baseline].financial_year.get("financial_year", []))
    if at in fys:
        tables["headline.csv"] = headline(shown, baseline=baseline, at=at,
                                          conditions=conditions)
    for plan, spec in result.manifest.get("contributions", {}).items():
        if plan in result.ensembles and spec["versus"] in result.ensembles and at in fys:
            tables[f"contributions__{plan}.csv"] = contributions_table(
                result.ensembles, plan, spec["versus"], spec["parts"], at=at)
    return tables


def summarise(result, baseline: str | None = None, at: str = "2028-29") -> tuple[dict, str]:
    """(file name -> writer, report text) for an experiment's summary folder."""
    names = [n for n in result.ensembles if not is_variant(n)]
    baseline = baseline or names[0]
    tables = summary_tables(result, baseline, at)
    csv_texts = {name: df.to_csv(index=False) for name, df in tables.items()}
    writers: dict = {name: _text(t) for name, t in csv_texts.items()}
    texts = []
    if len(names) == 1:
        ens = result.ensembles[names[0]]
        prov = {**ens.provenance, "seed": {"root": result.manifest.get("root_seed")},
                "start_date": str(ens.census["census_date"].min()) if len(ens.census) else ""}
        prov.pop("replications", None)
        texts.append(format_summary(tables[f"{names[0]}__headline_measures.csv"], prov))
    if "headline.csv" in tables:
        texts.append(format_headline(tables["headline.csv"]))
    for name in sorted(t for t in tables if t.startswith("contributions__")):
        texts.append(format_contributions(tables[name]))
    titles = [f"{name}: {t}" for name, t in result.manifest.get("titles", {}).items()
              if t and name in names]
    if titles:
        texts.insert(0, "\n".join(titles))
    sources = result.manifest.get("uncertainty_sources", {})
    texts.append("Uncertainty between replications: " + "; ".join(
        f"{name}: {sources.get(name, '?')}" for name in names))
    text = "\n\n".join(texts)
    writers["report.txt"] = lambda p: p.write_text(text + "\n", encoding="utf-8")
    writers["provenance.json"] = lambda p: p.write_text(json.dumps(
        {"sendsim_version": __version__, "results_format": RESULTS_FORMAT, "baseline": baseline,
         "at": at, "tables": sorted(tables), "chunks_digest": result.chunks_digest,
         "table_sha256": {n: hashlib.sha256(t.encode("utf-8")).hexdigest()
                          for n, t in sorted(csv_texts.items())},
         **{k: result.manifest.get(k) for k in ("root_seed", "reps", "years", "scenarios",
                                                 "scenario_files", "uncertainty_sources",
                                                 "councils")}},
        indent=2, default=str), encoding="utf-8")
    title = " vs ".join(names)
    shown = {n: result.ensembles[n] for n in names}
    writers["charts"] = lambda p: (p.mkdir(), experiment_fans(shown, p, title))
    return writers, text


def write_summary(result, baseline: str | None = None, at: str | None = None) -> str:
    """Write `<folder>/summary` (replacing an earlier summary of the same results), holding
    the experiment's lock so that no other process changes the replications meanwhile."""
    at = resolve_at(result, at)
    names = [n for n in result.ensembles if not is_variant(n)]
    if baseline is not None and baseline not in names:
        raise UsageError("--baseline", f"{baseline!r} is not a scenario of this experiment",
                         f"allowed: {', '.join(names)}")
    folder = Path(result.folder)
    with OutputLock(folder / LOCK, folder, "experiment"):
        sweep(folder, recursive=True, all_hosts_pids=True)     # we hold the lock: litter is old
        writers, text = summarise(result, baseline, at)
        write_folder(folder / "summary", writers, overwrite=True)
    return text


#: The financial year headlines report at unless told otherwise (the Safety Valve horizon).
DEFAULT_AT = "2028-29"


def resolve_at(result, at: str | None) -> str:
    """`at` if the run covers it (else UsageError); by default DEFAULT_AT, or the run's last
    financial year if it ends sooner."""
    if at is not None:
        check_at(result, at)
        return at
    fys = _financial_years(result)
    return DEFAULT_AT if DEFAULT_AT in fys or not fys else fys[-1]


def _financial_years(result) -> list[str]:
    first = next(iter(result.ensembles.values()))
    return sorted(set(first.financial_year.get("financial_year", [])))


def check_at(result, at: str) -> None:
    """`at` must be a financial year the run covers."""
    fys = _financial_years(result)
    if at not in fys:
        shown = f"{fys[0]} to {fys[-1]}" if fys else "none (the run is shorter than a year)"
        raise UsageError("--at", f"{at!r} is not a financial year of this run",
                         f"allowed: {shown}, written like 2028-29")


def _text(text: str):
    return lambda p: p.write_bytes(text.encode("utf-8"))


