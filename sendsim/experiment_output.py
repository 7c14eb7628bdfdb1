"""An experiment's summaries on disk: CSV tables, a text report and fan charts.

Written once every replication is in, into a temporary folder that then replaces
`<experiment>/summary` whole, so a reader never sees half of one. The per-replication Parquet
files stay the primary results; everything here can be rebuilt from them
(`sendsim summarise DIR`).
"""

from __future__ import annotations

import json
from pathlib import Path

from . import __version__
from .output import write_folder
from .plots import experiment_fans
from .reports import format_summary, summary_table
from .summaries import (by_financial_year, condition_probabilities, first_balance_year,
                        format_headline, headline, paired_differences, quantile_table)


def _conditions(result) -> list[dict]:
    """The conditions of the first scenario that states any (all scenarios are judged on them)."""
    for name in result.ensembles:
        conds = result.manifest.get("conditions", {}).get(name)
        if conds:
            return conds
    return []


def summarise(result, baseline: str | None = None, at: str = "2028-29") -> tuple[dict, str]:
    """(file name -> writer, report text) for an experiment's summary folder."""
    names = list(result.ensembles)
    baseline = baseline or names[0]
    conditions = _conditions(result)
    writers: dict = {}
    texts = []
    longs = {}
    for name, ens in result.ensembles.items():
        long = longs[name] = by_financial_year(ens)
        writers[f"{name}__quantiles_by_financial_year.csv"] = _csv(quantile_table(long))
        writers[f"{name}__headline_measures.csv"] = _csv(summary_table(ens))
        writers[f"{name}__first_balance_year.csv"] = _csv(first_balance_year(ens))
        if conditions:
            writers[f"{name}__conditions.csv"] = _csv(condition_probabilities(ens, conditions))
        prov = {**ens.provenance, "seed": {"root": result.manifest.get("root_seed")},
                "start_date": str(ens.census["census_date"].min()) if len(ens.census) else ""}
        prov.pop("replications", None)
        if len(names) == 1:
            texts.append(format_summary(summary_table(ens), prov))
    for name in names:
        if name != baseline:
            writers[f"paired__{name}__minus__{baseline}.csv"] = _csv(
                paired_differences(longs[baseline], longs[name]))
    fys = set(result.ensembles[baseline].financial_year.get("financial_year", []))
    if at in fys:
        table = headline(result.ensembles, baseline=baseline, at=at, conditions=conditions)
        writers["headline.csv"] = _csv(table)
        texts.append(format_headline(table))
    titles = [f"{name}: {t}" for name, t in result.manifest.get("titles", {}).items() if t]
    if titles:
        texts.insert(0, "\n".join(titles))
    sources = result.manifest.get("uncertainty_sources", {})
    texts.append("Uncertainty between replications: " + "; ".join(
        f"{name}: {sources.get(name, '?')}" for name in names))
    text = "\n\n".join(texts)
    writers["report.txt"] = lambda p: p.write_text(text + "\n", encoding="utf-8")
    writers["provenance.json"] = lambda p: p.write_text(json.dumps(
        {"sendsim_version": __version__, "baseline": baseline, "at": at,
         **{k: result.manifest.get(k) for k in ("root_seed", "reps", "years", "scenarios",
                                                 "scenario_files", "uncertainty_sources")}},
        indent=2, default=str), encoding="utf-8")
    title = " vs ".join(names)
    writers["charts"] = lambda p: (p.mkdir(), experiment_fans(result.ensembles, p, title))
    return writers, text


def write_summary(result, baseline: str | None = None, at: str = "2028-29") -> str:
    """Write `<folder>/summary` (replacing an earlier summary of the same results)."""
    writers, text = summarise(result, baseline, at)
    write_folder(Path(result.folder) / "summary", writers, overwrite=True)
    return text


def _csv(df):
    return lambda p: df.to_csv(p, index=False)
