"""Scenario files: readable TOML that names a base council, changes parameters, and adds
interventions, a capacity programme and Safety Valve conditions. One scenario may extend
another. Every problem is reported at once, naming the file and the key.

    [scenario]
    name = "wiltshire_safety_valve_2025"
    extends = "wiltshire_baseline.toml"       # or: base = "builtin:wiltshire" / a parameter file

    [parameters]                              # changes to the base council's parameters
    finance.inflation_per_year = 0.022

    [[interventions]]  ...    [[capacity_programme]]  ...    [[conditions]]  ...
    [uncertainty_sources]  process_noise = true ...

`docs/reference/scenario-file.md` is the reference of every key; `tests/docs/test_docs_scenarios.py`
keeps it true.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
from pathlib import Path

from sendsim.councils import load as load_council
from sendsim.parameters import (FrozenMap, ParameterError, Parameters, as_float, dotted_items,
                         read_text_file, read_toml)
from sendsim.scenario.definition import (MAX_CELL_PROBLEMS, CapacityProject, Condition, Effect, Intervention,
                       Scenario, Sources, draws_problems)

BUILTIN = "builtin:"
TOP_LEVEL = ("scenario", "parameters", "interventions", "capacity_programme", "conditions",
             "uncertainty_sources")
SCENARIO_KEYS = ("name", "title", "description", "base", "extends", "drop")
INTERVENTION_KEYS = ("name", "target", "change", "effect", "start", "full_effect", "end",
                     "age_bands", "needs", "requester", "setting", "reason", "annual_cost_gbp",
                     "source")
PROJECT_KEYS = ("name", "setting", "places", "opens", "unit_cost_gbp_per_year", "capital_cost_gbp",
                "slip_probability", "delay_months", "source")
CONDITION_KEYS = ("name", "kind", "financial_year", "gbp")
SOURCE_KEYS = ("process_noise", "parameters", "structural", "parameter_draws")


class ScenarioError(ParameterError):
    """A scenario file that cannot be used; lists every problem with its file and key."""


def load_scenario(path: str | Path) -> Scenario:
    """Read, merge (through `extends`) and check a scenario file."""
    raw, texts = _read_chain(Path(path), [])
    problems: list[str] = []
    scenario = _build(raw, Path(path), problems)
    if problems or scenario is None:
        raise ScenarioError(problems, str(path))
    problems = scenario.problems()
    if problems:
        raise ScenarioError(problems, str(path))
    return _with_text(scenario, texts, path)


def _with_text(s: Scenario, texts: list[tuple[str, str]], path) -> Scenario:
    import dataclasses
    joined = "\n".join(f"# ---- {Path(p).name} ----\n{t}" for p, t in texts)
    return dataclasses.replace(s, text=joined, path=str(path),
                               parameter_files=FrozenMap(_parameter_files(texts)))


def _parameter_files(texts: list[tuple[str, str]]) -> dict[str, str]:
    """Dotted parameter key -> the file of the chain that set it last (for the assumptions)."""
    import tomllib
    out: dict[str, str] = {}
    for path, text in texts:
        for key in dotted_items(tomllib.loads(text).get("parameters", {})):
            out[key] = Path(path).name
    return out


# -- reading and merging --------------------------------------------------------------------------

def _read(path: Path) -> tuple[dict, str]:
    data, text = read_toml(path, ScenarioError)
    problems = [f"[{k}]: unknown section (allowed: {', '.join(TOP_LEVEL)})" for k in data
                if k not in TOP_LEVEL]
    head = data.get("scenario")
    if not isinstance(head, dict):
        problems.append("[scenario]: missing (it needs at least `name`)")
    else:
        problems += [f"scenario.{k}: unknown key (allowed: {', '.join(SCENARIO_KEYS)})"
                     for k in head if k not in SCENARIO_KEYS]
        if not isinstance(head.get("name"), str) or not head.get("name"):
            problems.append("scenario.name: missing (a short name, e.g. 'wiltshire_baseline')")
        if "base" in head and "extends" in head:
            problems.append("scenario: give `base` (a parameter file) or `extends` (another "
                            "scenario), not both")
        problems += [f"scenario.{k}: expected a string, got {head[k]!r}"
                     for k in ("title", "description", "base", "extends")
                     if k in head and not isinstance(head[k], str)]
        drop = head.get("drop", [])
        if not isinstance(drop, list) or not all(isinstance(d, str) for d in drop):
            problems.append(f"scenario.drop: expected a list of names (strings), got {drop!r}")
    if not isinstance(data.get("parameters", {}), dict):
        problems.append(f"[parameters]: expected a table of parameter changes, got "
                        f"{data['parameters']!r}")
    for section, keys in (("interventions", INTERVENTION_KEYS),
                          ("capacity_programme", PROJECT_KEYS), ("conditions", CONDITION_KEYS)):
        items = data.get(section, [])
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            problems.append(f"{section}: expected [[{section}]] tables")
            continue
        for k, item in enumerate(items):
            where = f"{section}[{k}]" + (f" ({item['name']!r})" if "name" in item else "")
            problems += [f"{where}.{key}: unknown key (allowed: {', '.join(keys)})"
                         for key in item if key not in keys]
            if not isinstance(item.get("name"), str):
                problems.append(f"{where}.name: missing")
    srcs = data.get("uncertainty_sources", {})
    if not isinstance(srcs, dict):
        problems.append(f"[uncertainty_sources]: expected a table, got {srcs!r}")
        srcs = {}
    problems += [f"uncertainty_sources.{k}: unknown key (allowed: {', '.join(SOURCE_KEYS)})"
                 for k in srcs if k not in SOURCE_KEYS]
    if not isinstance(srcs.get("parameter_draws", ""), str):
        problems.append(f"uncertainty_sources.parameter_draws: expected a path (a string), got "
                        f"{srcs['parameter_draws']!r}")
    if problems:
        raise ScenarioError(problems, str(path))
    # paths inside a file are relative to that file
    base_dir = path.parent
    if "parameter_draws" in srcs:
        srcs["parameter_draws"] = str((base_dir / srcs["parameter_draws"]).resolve())
    if "base" in head and not head["base"].startswith(BUILTIN):
        head["base"] = str((base_dir / head["base"]).resolve())
    return data, text


def _read_chain(path: Path, seen: list[Path]) -> tuple[dict, list[tuple[str, str]]]:
    """The scenario's data merged over everything it extends, and every file's text."""
    resolved = path.resolve()
    if resolved in seen:
        chain = " -> ".join(str(p) for p in seen + [resolved])
        raise ScenarioError([f"scenario.extends: a cycle ({chain})"], str(path))
    data, text = _read(path)
    parent_ref = data["scenario"].get("extends")
    if parent_ref is None:
        if data["scenario"].get("drop"):
            raise ScenarioError(["scenario.drop: only a scenario that `extends` another can "
                                 "drop what it inherits"], str(path))
        data["scenario"].setdefault("base", BUILTIN + "wiltshire")
        return data, [(str(path), text)]
    parent_path = path.parent / parent_ref
    if not parent_path.is_file():
        raise ScenarioError([f"scenario.extends: {parent_ref!r} not found (looked for {parent_path})"],
                            str(path))
    parent, texts = _read_chain(parent_path, seen + [resolved])
    try:
        merged = _merge(parent, data)
    except ScenarioError as exc:
        raise ScenarioError(exc.problems, str(path)) from None
    return merged, texts + [(str(path), text)]


def _merge(parent: dict, child: dict) -> dict:
    """Child over parent: parameters merged key by key (a list is replaced whole); named items
    replace the parent's item of the same name, others are added; `drop` removes inherited
    items by name."""
    out = copy.deepcopy(parent)
    head = dict(child["scenario"])
    drop = list(head.pop("drop", []))
    head.pop("extends", None)
    out["scenario"] = {"base": parent["scenario"]["base"], **head}
    out["parameters"] = _deep_merge(out.get("parameters", {}), child.get("parameters", {}))
    inherited = {i["name"] for section in ("interventions", "capacity_programme", "conditions")
                 for i in out.get(section, [])}
    unknown = [name for name in drop if name not in inherited]
    if unknown:
        raise ScenarioError([f"scenario.drop: {name!r} is not an inherited intervention, "
                             "capacity project or condition" for name in unknown])
    for section in ("interventions", "capacity_programme", "conditions"):
        items = [i for i in out.get(section, []) if i["name"] not in drop]
        for item in child.get(section, []):
            names = [i["name"] for i in items]
            if item["name"] in names:          # replaced where it stood: the order is kept
                items[names.index(item["name"])] = item
            else:
                items.append(item)
        out[section] = items
    out["uncertainty_sources"] = {**out.get("uncertainty_sources", {}),
                                  **child.get("uncertainty_sources", {})}
    return out


def _deep_merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = v
    return out


# -- building -----------------------------------------------------------------------------------

def _base_parameters(ref: str, problems: list[str]) -> Parameters | None:
    try:
        return load_council(ref[len(BUILTIN):] if ref.startswith(BUILTIN) else ref)
    except ParameterError as exc:
        problems.append(f"scenario.base: {exc}")
        return None


def _build(data: dict, path: Path, problems: list[str]) -> Scenario | None:
    head = data["scenario"]
    base = _base_parameters(head["base"], problems)
    if base is None:
        return None
    params = base
    if data.get("parameters"):
        merged = _deep_merge(base.to_dict(), data["parameters"])
        try:
            params = Parameters.from_dict(merged)
        except ParameterError as exc:
            problems.extend(f"parameters.{p}" for p in exc.problems)
            return None
    interventions = tuple(filter(None, (_intervention(i, k, problems)
                                        for k, i in enumerate(data.get("interventions", [])))))
    projects = tuple(filter(None, (_project(i, k, problems)
                                   for k, i in enumerate(data.get("capacity_programme", [])))))
    conditions = tuple(filter(None, (_condition(i, k, problems)
                                     for k, i in enumerate(data.get("conditions", [])))))
    srcs = data.get("uncertainty_sources", {})
    flags = {}
    for k in ("process_noise", "parameters", "structural"):
        v = srcs.get(k, True)
        if not isinstance(v, bool):
            problems.append(f"uncertainty_sources.{k}: expected true or false, got {v!r}")
        flags[k] = bool(v)
    draws = _read_draws(srcs["parameter_draws"], params, problems) if "parameter_draws" in srcs else ()
    if problems:
        return None
    return Scenario(name=head["name"], title=head.get("title", ""), parameters=params,
                    interventions=interventions, capacity_programme=projects,
                    sources=Sources(**flags), posterior_draws=draws, conditions=conditions,
                    base=head["base"], base_parameters=base)


def _get(item: dict, key: str, kind, where: str, problems: list[str], default=...):
    """item[key] checked against `kind` (a type or tuple of types)."""
    if key not in item:
        if default is ...:
            problems.append(f"{where}.{key}: missing")
        return None if default is ... else default
    v = item[key]
    ok = isinstance(v, kind) and not isinstance(v, bool) if kind is not bool else isinstance(v, bool)
    if kind is dt.date and isinstance(v, dt.datetime):
        ok = False
    if not ok:
        names = {float: "a number", int: "a whole number", str: "a string",
                 dt.date: "a date (YYYY-MM-DD, unquoted)", list: "a list"}
        want = names.get(kind, "a number") if not isinstance(kind, tuple) else "a number"
        problems.append(f"{where}.{key}: expected {want}, got {v!r}")
        return None if default is ... else default
    return as_float(v) if kind is not int and isinstance(v, int) and not isinstance(v, bool) else v


def _effect(v, where: str, problems: list[str]) -> Effect | None:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return Effect.fixed(as_float(v))
    if isinstance(v, dict):
        extra = [k for k in v if k not in ("low", "mode", "high")]
        if extra or any(not isinstance(v.get(k), (int, float)) or isinstance(v.get(k), bool)
                        for k in ("low", "mode", "high")):
            problems.append(f"{where}: expected {{ low = ..., mode = ..., high = ... }} (numbers), got {v!r}")
            return None
        return Effect(low=as_float(v["low"]), mode=as_float(v["mode"]), high=as_float(v["high"]))
    problems.append(f"{where}: expected a number or {{ low, mode, high }}, got {v!r}")
    return None


def _intervention(item: dict, k: int, problems: list[str]) -> Intervention | None:
    where = f"interventions[{k}] ({item.get('name')!r})"
    n = len(problems)
    num = (int, float)
    fields = dict(
        name=item.get("name"),
        target=_get(item, "target", str, where, problems),
        change=_get(item, "change", str, where, problems),
        start=_get(item, "start", dt.date, where, problems),
        full_effect=_get(item, "full_effect", dt.date, where, problems, None),
        end=_get(item, "end", dt.date, where, problems, None),
        age_bands=tuple(_get(item, "age_bands", list, where, problems, [])),
        needs=tuple(_get(item, "needs", list, where, problems, [])),
        requester=_get(item, "requester", str, where, problems, ""),
        setting=_get(item, "setting", str, where, problems, ""),
        reason=_get(item, "reason", str, where, problems, "needs_met"),
        annual_cost_gbp=float(_get(item, "annual_cost_gbp", num, where, problems, 0.0) or 0.0),
        source=_get(item, "source", str, where, problems, ""),
    )
    effect = _effect(item["effect"], f"{where}.effect", problems) if "effect" in item else None
    if "effect" not in item:
        problems.append(f"{where}.effect: missing")
    if len(problems) > n:
        return None
    return Intervention(effect=effect, **fields)


def _project(item: dict, k: int, problems: list[str]) -> CapacityProject | None:
    where = f"capacity_programme[{k}] ({item.get('name')!r})"
    n = len(problems)
    num = (int, float)
    cost = _get(item, "unit_cost_gbp_per_year", num, where, problems, None)
    capital = _get(item, "capital_cost_gbp", num, where, problems, None)
    delay = _effect(item["delay_months"], f"{where}.delay_months", problems) \
        if "delay_months" in item else Effect.fixed(0.0)
    fields = dict(
        name=item.get("name"),
        setting=_get(item, "setting", str, where, problems),
        places=_get(item, "places", int, where, problems),
        opens=_get(item, "opens", dt.date, where, problems),
        unit_cost_gbp_per_year=None if cost is None else float(cost),
        capital_cost_gbp=None if capital is None else float(capital),
        slip_probability=float(_get(item, "slip_probability", num, where, problems, 0.0) or 0.0),
        source=_get(item, "source", str, where, problems, ""),
    )
    if len(problems) > n or delay is None:
        return None
    return CapacityProject(delay_months=delay, **fields)


def _condition(item: dict, k: int, problems: list[str]) -> Condition | None:
    where = f"conditions[{k}] ({item.get('name')!r})"
    n = len(problems)
    gbp = _get(item, "gbp", (int, float), where, problems, None)
    fields = dict(name=item.get("name"), kind=_get(item, "kind", str, where, problems),
                  financial_year=_get(item, "financial_year", str, where, problems),
                  gbp=None if gbp is None else float(gbp))
    return None if len(problems) > n else Condition(**fields)


def _shown(path: str) -> str:
    """A path as messages show it: relative to the working folder when it is inside it."""
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _read_draws(path: str, params: Parameters, problems: list[str]) -> tuple[FrozenMap, ...]:
    """Rows of a CSV of posterior draws: one column per dotted parameter key, a header line,
    then one row of finite numbers per draw, each inside its parameter's range. Problems name
    the file, the row (its line in the file, the header being line 1) and the column."""
    shown = _shown(path)
    try:
        text = read_text_file(path, ParameterError, "CSV")
    except ParameterError as exc:
        problems.append(f"uncertainty_sources.parameter_draws: {shown}: {exc.problems[0]}")
        return ()
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
        body = [(reader.line_num, cells) for cells in reader if cells]   # blank lines skipped
    except csv.Error as exc:
        problems.append(f"{shown}: line {reader.line_num}: not valid CSV ({exc})")
        return ()
    n = len(problems)
    for j, name in enumerate(header, start=1):
        if not name.strip():
            problems.append(f"{shown}: column {j} of the header has no name (expected a "
                            "dotted parameter key)")
        elif header.index(name) != j - 1:
            problems.append(f"{shown}: column {name} appears twice in the header")
    if not body and len(problems) == n:
        problems.append(f"{shown}: a header but no rows of draws")
    if len(problems) > n:
        return ()
    rows, lines, bad = [], [], 0
    for line, cells in body:
        if len(cells) != len(header):
            problems.append(f"{shown}: row {line}: {len(cells)} cells, but the header has "
                            f"{len(header)} columns")
            continue
        values = {}
        for name, cell in zip(header, cells):
            try:
                values[name] = float(cell)
            except ValueError:
                bad += 1
                what = repr(cell.strip()) if cell.strip() else "an empty cell"
                if bad <= MAX_CELL_PROBLEMS:
                    problems.append(f"{shown}: row {line}, column {name}: {what} is not a number")
        rows.append(values)
        lines.append(line)
    if bad > MAX_CELL_PROBLEMS:
        problems.append(f"{shown}: and {bad - MAX_CELL_PROBLEMS} more cells that are not "
                        f"numbers ({bad} in all)")
    if len(problems) > n:
        return ()
    found = draws_problems(params, rows, shown, lambda i: f"{shown}: row {lines[i]}")
    problems.extend(found)
    return () if found else tuple(FrozenMap(r) for r in rows)


__all__ = ["load_scenario", "ScenarioError"]
