"""Which parts of a plan contribute most to its difference from a baseline: leave-one-out.

A board paper comparing a plan with a baseline is asked which interventions do the work. The
plan and the scenario it is compared with (`versus`) differ in *parts*: interventions added,
changed or dropped, capacity projects, and whole sections of the parameters (finance
assumptions, say). For each part we build one variant of the plan with only that part put back
as `versus` has it, run it with the others paired by replication (same rep = same random
numbers), and call

    contribution of a part = plan - (plan without that part), replication by replication.

Why leave-one-out: each part's contribution is what the plan would lose without it, with every
other part of the plan in place, which is the question a council asks of a plan it means to
carry out ("what if this one slips?"). Parts interact (fewer requests leave fewer children to
step down; a new special school matters less when fewer plans are issued), so the
contributions need not add up to the total difference between plan and versus. The table says
by how much they fail to: the "interaction" row is the mean total minus the sum of the parts'
means, rather than leaving it hidden or sharing it out by a convention.

Cost: one extra scenario per part, run in the same experiment (same root seed) as the plan and
`versus`. `contribution_scenarios` builds them, `run_experiment` runs them all, and
`contributions_table` tabulates the result at 31 March of a financial year.

Differences in conditions, title or description are not parts (they change how a run is
judged, not what happens). Differences in the uncertainty switched on (`sources`) or in the
posterior draws are refused: the decomposition would then mix different uncertainty.
"""

from __future__ import annotations

import dataclasses
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sendsim.errors import InputError
from sendsim.experiment.run import fingerprint
from sendsim.parameters import FrozenMap, ParameterError, Parameters
from sendsim.scenario.definition import Scenario
from sendsim.experiment.summaries import _headline_values, _reps_text, median_se

#: Longest slug made from a name, before any prefix (a part's key goes into scenario and folder
#: names).
KEY_LENGTH = 48
#: Keys of the table's summary rows, which no part may take.
RESERVED_KEYS = ("total", "interaction")
#: Separator between the plan's name and a part's key in a variant's scenario name.
VARIANT_SEPARATOR = "__without__"

#: measure -> unit, in the table's order (as in `summaries.headline`).
MEASURES = {
    "cumulative_deficit_at_31_march": "GBP m",
    "ehc_plans_at_31_march": "plans",
    "inmss_share_at_31_march": "% of plans",
}

COLUMNS = ["part_key", "label", "kind", "source", "measure", "unit", "financial_year",
           "contribution_median", "p05", "p95", "mean", "mc_se", "n_reps", "whole_year"]

INTERACTION_LABEL = "Interactions: the parts do not add up exactly"

_SECTION_NAMES = {
    "council": "Council details",
    "population": "Population projection",
    "start_state": "Starting caseload",
    "sen_support": "SEN support",
    "requests": "Request assumptions",
    "decide_to_assess": "Decision-to-assess assumptions",
    "assessment": "Assessment assumptions",
    "placement": "Placement assumptions",
    "reviews": "Annual review assumptions",
    "phase_transfer": "Phase transfer assumptions",
    "ceasing": "Ceasing assumptions",
    "transfers_in": "Transfers-in assumptions",
    "finance": "Finance assumptions",
    "uncertainty": "Parameter uncertainty ranges",
}


@dataclass(frozen=True)
class Part:
    """One way in which a plan differs from the scenario it is compared with.

    `key`: short slug (lowercase letters, digits, underscores), unique among the parts, used in
    the variant's scenario name; `label`: what an officer reads; `kind`: "intervention",
    "capacity project" or "parameters"; `source`: the intervention's or project's own source
    text, or for parameters the dotted keys that differ.
    """

    key: str
    label: str
    kind: str
    source: str


@dataclass(frozen=True)
class _Difference:
    part: Part
    what: str      # "interventions", "capacity_programme" or "parameters"
    name: str      # the item's name, or the parameter section


def variant_name(plan_name: str, key: str) -> str:
    """The scenario name of `plan_name` without the part keyed `key`."""
    return f"{plan_name}{VARIANT_SEPARATOR}{key}"


# -- the parts ---------------------------------------------------------------------------------

def _slug(text: str, limit: int = KEY_LENGTH) -> str:
    """Lowercase ASCII letters, digits and single underscores, cut at a word if too long."""
    s = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    s = re.sub(r"[^a-z0-9]+", "_", s).strip("_")
    if len(s) > limit:
        cut = s[:limit]
        if s[limit] != "_" and "_" in cut:
            cut = cut.rsplit("_", 1)[0]
        s = cut.strip("_")
    return s


def _check_comparable(plan: Scenario, versus: Scenario) -> None:
    if plan.sources != versus.sources:
        raise InputError("", 
            f"{plan.name!r} and {versus.name!r} switch on different sources of uncertainty "
            f"({plan.sources.describe()} against {versus.sources.describe()}): a decomposition "
            "would mix different uncertainty into the parts; compare them with the same sources")
    if plan.posterior_draws != versus.posterior_draws:
        raise InputError("", 
            f"{plan.name!r} and {versus.name!r} draw their parameters from different posterior "
            f"draws ({len(plan.posterior_draws)} rows against {len(versus.posterior_draws)}): a "
            "decomposition would mix different uncertainty into the parts; compare them with "
            "the same parameter draws")
    for s in (plan, versus):
        for what in ("interventions", "capacity_programme"):
            names = [x.name for x in getattr(s, what)]
            twice = sorted({n for n in names if names.count(n) > 1})
            if twice:
                raise InputError("", f"{s.name!r}: {what} names used twice ({twice}); names must "
                                 "be unique to say which parts differ")


def _item_differences(plan_items, versus_items, kind: str, versus_name: str):
    """(name, label, source) of each item added or changed (in the plan's order), then of each
    item dropped (in versus's order)."""
    theirs = {x.name: x for x in versus_items}
    mine = {x.name for x in plan_items}
    prefix = "Capacity programme: " if kind == "capacity project" else ""
    out = []
    for x in plan_items:
        if x.name not in theirs:
            out.append((x.name, f"{prefix}{x.name}", x.source))
        elif x != theirs[x.name]:
            out.append((x.name, f"{prefix}{x.name} (changed from {versus_name})", x.source))
    for x in versus_items:
        if x.name not in mine:
            out.append((x.name, f"Dropped: {prefix}{x.name} (in {versus_name}, not in the plan)",
                        x.source))
    return out


_MISSING = object()


def _section_keys(section: str, mine, theirs) -> list[str]:
    """Dotted keys that differ within one top-level parameter section."""
    if isinstance(mine, dict) and isinstance(theirs, dict):
        return [f"{section}.{k}" for k in list(mine) + [k for k in theirs if k not in mine]
                if mine.get(k, _MISSING) != theirs.get(k, _MISSING)]
    if isinstance(mine, list) and isinstance(theirs, list):
        def label(entry):
            return entry.get("key") if isinstance(entry, dict) and "key" in entry else None
        odd = [e for e in mine if e not in theirs] + [e for e in theirs if e not in mine]
        names = list(dict.fromkeys(label(e) for e in odd))
        if names and None not in names:
            return [f"{section}[{n}]" for n in names]
    return [section]


def _differences(plan: Scenario, versus: Scenario) -> list[_Difference]:
    _check_comparable(plan, versus)
    raw = []
    for name, label, source in _item_differences(plan.interventions, versus.interventions,
                                                 "intervention", versus.name):
        raw.append(("interventions", name, _slug(name) or "intervention", label, "intervention",
                    source))
    for name, label, source in _item_differences(plan.capacity_programme,
                                                 versus.capacity_programme, "capacity project",
                                                 versus.name):
        slug = _slug(name)
        raw.append(("capacity_programme", name, f"capacity_{slug}" if slug else "capacity",
                    label, "capacity project", source))
    mine, theirs = plan.parameters.to_dict(), versus.parameters.to_dict()
    for section in mine:
        if mine[section] != theirs.get(section):
            nice = _SECTION_NAMES.get(section, section.replace("_", " ").capitalize())
            raw.append(("parameters", section, f"parameters_{section}",
                        f"{nice} (parameters.{section})", "parameters",
                        ", ".join(_section_keys(section, mine[section], theirs.get(section)))))
    used: set[str] = set(RESERVED_KEYS)
    out = []
    for what, name, key, label, kind, source in raw:
        unique, k = key, 2
        while unique in used:
            unique, k = f"{key}_{k}", k + 1
        used.add(unique)
        out.append(_Difference(Part(unique, label, kind, source), what, name))
    return out


def scenario_parts(plan: Scenario, versus: Scenario) -> list[Part]:
    """The parts in which `plan` differs from `versus`, in the plan's order.

    Interventions first (added or changed, in the plan's order; then those of `versus` the plan
    drops), then capacity projects (the same way), then one part per top-level parameter
    section that differs. Items are matched by name. Keys are slugs of the names (capacity
    projects prefixed ``capacity_``, sections ``parameters_``), the slug cut at a word to at
    most 48 characters, with ``_2``, ``_3``... added in this order where two would be the same.
    Raises ValueError if the two differ in their uncertainty sources or posterior draws.
    """
    return [d.part for d in _differences(plan, versus)]


# -- the variants ------------------------------------------------------------------------------

def _revert_items(plan_items: tuple, versus_items: tuple, name: str) -> tuple:
    """Plan's items with `name` as `versus` has it: removed, replaced in place, or re-added
    after the item that precedes it in `versus` (items on one target apply in order)."""
    items = list(plan_items)
    names = [x.name for x in items]
    theirs = {x.name: x for x in versus_items}
    if name in names:
        i = names.index(name)
        if name in theirs:
            items[i] = theirs[name]
        else:
            del items[i]
        return tuple(items)
    order = [x.name for x in versus_items]
    before = [n for n in order[:order.index(name)] if n in names]
    items.insert(names.index(before[-1]) + 1 if before else 0, theirs[name])
    return tuple(items)


def without(plan: Scenario, versus: Scenario, part: Part | str) -> Scenario:
    """`plan` with one part put back as `versus` has it (everything else, conditions included,
    as the plan has it).

    Named ``<plan>__without__<key>``; its `text` is the plan's text plus lines naming the
    variant and the SHA-256 of its full content, so the same variant always has the same
    experiment fingerprint (resume works) and a change to either scenario changes it.
    """
    key = part if isinstance(part, str) else part.key
    diffs = _differences(plan, versus)
    match = [d for d in diffs if d.part.key == key]
    if not match:
        raise InputError("", f"{key!r} is not a part in which {plan.name!r} differs from "
                         f"{versus.name!r}; the parts are: "
                         f"{', '.join(d.part.key for d in diffs) or 'none'}")
    d = match[0]
    changes: dict = {}
    if d.what == "parameters":
        data = plan.parameters.to_dict()
        data[d.name] = versus.parameters.to_dict()[d.name]
        try:
            changes["parameters"] = Parameters.from_dict(
                data, source=f"{plan.name} with parameters.{d.name} from {versus.name}")
        except ParameterError as exc:
            raise InputError("", f"{plan.name!r} without {d.part.label}: the plan's other "
                             f"parameters do not stand with {versus.name!r}'s "
                             f"parameters.{d.name}:\n{exc}") from exc
        # which file set each parameter (for the assumptions): versus's for this section
        def mine(k: str) -> bool:
            return k == d.name or k.startswith(f"{d.name}.") or k.startswith(f"{d.name}[")
        files = {k: v for k, v in plan.parameter_files.items() if not mine(k)}
        files.update({k: v for k, v in versus.parameter_files.items() if mine(k)})
        changes["parameter_files"] = FrozenMap(files)
    else:
        changes[d.what] = _revert_items(getattr(plan, d.what), getattr(versus, d.what), d.name)
    variant = dataclasses.replace(
        plan, **changes, name=variant_name(plan.name, key),
        title=f"{plan.title or plan.name} without {d.part.label}", text="", path="")
    content = fingerprint([variant], 0, 0.0)["scenarios"][variant.name]
    lines = [f"# variant: without {key}",
             f"# {plan.name} with {d.part.label!s} as in {versus.name}",
             f"# content sha256: {content}"]
    text = (plan.text.rstrip("\n") + "\n" if plan.text else "") + "\n".join(lines) + "\n"
    return dataclasses.replace(variant, text=text)


def contribution_scenarios(plan: Scenario, versus: Scenario) -> tuple[list[Scenario], list[Part]]:
    """One variant of the plan per part (see `without`), and the parts, in the same order.

    Run them in one experiment with `plan` and `versus` (same root seed), then pass the
    ensembles and the parts to `contributions_table`.
    """
    parts = scenario_parts(plan, versus)
    return [without(plan, versus, p) for p in parts], parts


# -- the table ---------------------------------------------------------------------------------

def _entry(p, plan: str) -> dict:
    if isinstance(p, Part):
        d = dataclasses.asdict(p)
        d["scenario"] = variant_name(plan, p.key)
        return d
    if not isinstance(p, Mapping) or "scenario" not in p or "key" not in p:
        raise ValueError(f"a part must be a Part or a dict with at least 'scenario' and 'key' "
                         f"(got {p!r})")
    return {"key": str(p["key"]), "scenario": str(p["scenario"]),
            "label": str(p.get("label") or p["key"]), "kind": str(p.get("kind", "")),
            "source": str(p.get("source", ""))}


def _stats(x: np.ndarray) -> dict:
    n = len(x)
    q = np.quantile(x, [0.05, 0.5, 0.95]) if n else [np.nan] * 3
    return {"contribution_median": q[1], "p05": q[0], "p95": q[2],
            "mean": float(x.mean()) if n else np.nan, "mc_se": median_se(x), "n_reps": n}


def contributions_table(ensembles, plan: str, versus: str, parts: Sequence[Part | Mapping],
                        at: str = "2028-29") -> pd.DataFrame:
    """Each part's contribution to the plan's difference from `versus`, at 31 March of `at`.

    `ensembles`: scenario name -> ensemble (an `ExperimentResult` will do), holding `plan`,
    `versus` and every part's variant, run paired (one experiment, one root seed). `parts`:
    `Part`s (the variant is then ``<plan>__without__<key>``) or dicts with "scenario", "key"
    and optionally "label", "kind", "source".

    Measures (as in the board headline table): ``cumulative_deficit_at_31_march`` (GBP m,
    positive = deficit), ``ehc_plans_at_31_march`` (plans), ``inmss_share_at_31_march`` (%).
    Per rep, contribution = plan - plan without the part, so a part that lowers the deficit
    has a negative contribution. One row per (part, measure), then per measure a "total" row
    (plan - versus) and an "interaction" row: mean total minus the sum of the parts' mean
    contributions, with NaN quantiles and as `mc_se` the standard error of that mean (sd of
    the per-rep interaction / sqrt(n)). Elsewhere `contribution_median`, `p05`, `p95` are the
    median and 5th/95th percentiles of the paired contributions and `mc_se` is the median's
    Monte Carlo SE (`summaries.median_se`, NaN below 8 replications). Parts are ordered by
    the size of their mean contribution to the deficit, largest first, for every measure.
    Replications missing from any scenario are dropped, so every row of a measure uses the
    same replications. `whole_year` is False if a figure needed a part year.
    """
    if hasattr(ensembles, "ensembles") and not isinstance(ensembles, Mapping):
        ensembles = ensembles.ensembles
    entries = [_entry(p, plan) for p in parts]
    keys = [e["key"] for e in entries]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise ValueError(f"part keys must be unique: {twice} given more than once")
    reserved = sorted(set(keys) & set(RESERVED_KEYS))
    if reserved:
        raise ValueError(f"part keys {reserved} are kept for the table's summary rows")
    names = [plan, versus] + [e["scenario"] for e in entries]
    missing = [n for n in dict.fromkeys(names) if n not in ensembles]
    if missing:
        raise ValueError(f"no results for scenario(s) {', '.join(map(repr, missing))}; the "
                         f"ensembles hold {', '.join(map(repr, ensembles)) or 'nothing'} (run "
                         "the plan, versus and every variant in one experiment)")
    values = {n: _headline_values(n, ensembles[n], at, ()) for n in dict.fromkeys(names)}

    per_measure = {}
    for measure in MEASURES:
        series = {n: values[n][measure][0].dropna().astype(float) for n in values}
        common = sorted(set.intersection(*(set(s.index) for s in series.values())))
        if not common:
            held = "; ".join(f"{n}: reps {_reps_text(s.index)}" for n, s in series.items())
            raise ValueError(f"no replication in common to pair for {measure} in {at} across "
                             f"the plan, versus and the variants ({held}); run them in one "
                             "experiment with the same root seed")
        whole = all(bool(values[n][measure][1]) for n in values)
        level = {n: s.loc[common].to_numpy() for n, s in series.items()}
        contrib = {e["key"]: level[plan] - level[e["scenario"]] for e in entries}
        total = level[plan] - level[versus]
        per_measure[measure] = (contrib, total, whole)

    deficit = per_measure["cumulative_deficit_at_31_march"][0]
    order = sorted(range(len(entries)), key=lambda i: -abs(float(deficit[keys[i]].mean())))
    rows = []
    for measure, unit in MEASURES.items():
        contrib, total, whole = per_measure[measure]
        common = {"measure": measure, "unit": unit, "financial_year": at, "whole_year": whole}
        for i in order:
            e = entries[i]
            rows.append({"part_key": e["key"], "label": e["label"], "kind": e["kind"],
                         "source": e["source"], **common, **_stats(contrib[e["key"]])})
        rows.append({"part_key": "total", "label": f"Total: {plan} minus {versus}",
                     "kind": "total", "source": "", **common, **_stats(total)})
        rest = total - sum(contrib.values(), np.zeros_like(total))
        n = len(rest)
        rows.append({"part_key": "interaction", "label": INTERACTION_LABEL,
                     "kind": "interaction", "source": "", **common,
                     "contribution_median": np.nan, "p05": np.nan, "p95": np.nan,
                     "mean": float(total.mean() - sum(float(c.mean()) for c in contrib.values())),
                     "mc_se": float(rest.std(ddof=1) / math.sqrt(n)) if n > 1 else np.nan,
                     "n_reps": n})
    return pd.DataFrame(rows, columns=COLUMNS)


__all__ = ["Part", "scenario_parts", "without", "contribution_scenarios", "contributions_table",
           "variant_name", "MEASURES", "COLUMNS", "INTERACTION_LABEL"]
