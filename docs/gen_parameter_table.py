"""Write the parameter table in docs/reference/parameters.md from the code and the built-in council.

The keys and their meanings come from `sendsim.parameters.describe()`; the default values from
the built-in council (`sendsim.councils.default_parameters()`, i.e.
`sendsim/councils/wiltshire.toml`); the sources from that file's `council.sources` list.
the allowed range of each number from its field (`sendsim.parameters.allowed`, the range every
file and scenario value is checked against). Nothing in the table is typed by hand, so it is refreshed deliberately:

    python docs/gen_parameter_table.py          # rewrite the table in docs/reference/parameters.md
    python docs/gen_parameter_table.py --check  # exit 1 if the table is out of date

tests/docs/test_docs.py fails while the table differs from what this script would write.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import math
import re
import sys
from pathlib import Path

START = "<!-- parameters:start -->"
END = "<!-- parameters:end -->"
PARAMETERS_MD = Path(__file__).resolve().parent / "reference" / "parameters.md"
COUNCIL_FILE = "sendsim/councils/wiltshire.toml"

#: Longest rendering of a default value kept in full; longer ones are summarised.
MAX_CELL = 1500

_TYPE_WORDS = {
    "float": "number", "int": "whole number", "str": "text", "date": "date",
    "tuple": "list", "FrozenMap": "table", "list of tables": "list of tables",
}


# -- values ------------------------------------------------------------------------------------

def _number(x: float) -> str:
    if isinstance(x, bool):
        return str(x).lower()
    if isinstance(x, float) and (math.isinf(x) or abs(x) >= 1e299):
        return "no limit" if x > 0 else "-no limit"   # TOML files hold infinity as 1e300
    if float(x) == int(x) and abs(x) < 1e15:
        return f"{int(x):,}"
    return f"{x:.6g}"


def _scalar(v) -> str:
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    if isinstance(v, (int, float)):
        return _number(v)
    return str(v)


def _flat(v) -> str:
    """One value on one line: scalars, lists of numbers and one-level tables."""
    if isinstance(v, dict):
        return "; ".join(f"{k}: {_flat(x)}" for k, x in v.items()) if v else "(empty)"
    if isinstance(v, (tuple, list)):
        return ", ".join(_flat(x) for x in v) if v else "(none)"
    return _scalar(v)


def _summary(v) -> str:
    """A short description of a value too long to show in full."""
    if isinstance(v, dict):
        keys = list(v)
        first = next(iter(v.values()), None)
        inner = ""
        if isinstance(first, (tuple, list)):
            inner = f", {len(first)} values each"
        elif isinstance(first, dict):
            inner = f", each a table of {len(first)}"
        return f"{len(keys)} entries ({keys[0]} to {keys[-1]}{inner}); see `{COUNCIL_FILE}`"
    if isinstance(v, (tuple, list)):
        nums = [x for x in v if isinstance(x, (int, float))]
        if nums:
            return (f"{len(v)} values from {_number(min(nums))} to {_number(max(nums))}; "
                    f"see `{COUNCIL_FILE}`")
        return f"{len(v)} entries; see `{COUNCIL_FILE}`"
    return _scalar(v)


def render_value(v) -> str:
    """A default value as it appears in the table (markdown, one cell)."""
    if dataclasses.is_dataclass(v):  # pragma: no cover - describe() walks into groups
        return ""
    if isinstance(v, dict) and any(isinstance(x, (tuple, list)) and len(x) > 12
                                   for x in v.values()):
        return _summary(v)   # e.g. a population projection: years x 26 ages
    if isinstance(v, dict) and any(isinstance(x, dict) for x in v.values()):
        text = "<br>".join(f"{k}: {_flat(x)}" for k, x in v.items())
    else:
        text = _flat(v)
    if len(text) > MAX_CELL:
        text = _summary(v)
    return text


def value_at(params, key: str):
    """The value of a dotted `key` from describe(); `a[].b` gives the list of every a's b."""
    obj = [params]
    single = True
    for part in key.split("."):
        if part.endswith("[]"):
            name = part[:-2]
            obj = [item for o in obj for item in getattr(o, name)]
            single = False
        else:
            obj = [getattr(o, part) for o in obj]
    if single:
        return obj[0]
    return tuple(obj)


def render_default(params, key: str, kind: str) -> str:
    v = value_at(params, key)
    if kind == "list of tables":
        return {0: "none", 1: "1 entry"}.get(len(v), f"{len(v)} entries")
    if "[]" in key:
        if not v:
            return "(none)"
        sep = "<br>" if any(isinstance(x, str) for x in v) else ", "
        return sep.join(_flat(x) for x in v)
    if key == "council.sources":
        return f"{len(v)} entries, listed below the table as S1 to S{len(v)}"
    return render_value(v)


# -- sources -----------------------------------------------------------------------------------

def source_keys(source: str) -> list[str]:
    """The parameter keys a `council.sources` line is about, from its head ("key: ...").

    "decide_to_assess.decision_weeks_min/mode/max: ..." names three keys; "council: ..." names
    the whole group.
    """
    head = source.split(": ", 1)[0].strip()
    if " " in head:
        return []
    group, _, last = head.rpartition(".")
    alts = last.split("/")
    stem = alts[0].rsplit("_", 1)[0] + "_" if len(alts) > 1 and "_" in alts[0] else ""
    names = [alts[0]] + [a if a.startswith(stem) else stem + a for a in alts[1:]]
    return [f"{group}.{n}" if group else n for n in names]


def source_numbers(key: str, sources) -> list[int]:
    """1-based numbers of the sources for `key`: those naming it, its list or its group;
    failing that, a source of the same group that mentions the key's field by name."""
    plain = key.replace("[]", "")
    heads = [source_keys(s) for s in sources]
    candidates = [plain]
    parts = plain.split(".")
    candidates += [".".join(parts[:i]) for i in range(len(parts) - 1, 0, -1)]
    for cand in candidates:
        hits = [i + 1 for i, keys in enumerate(heads) if cand in keys]
        if hits:
            return hits
    field_name = parts[-1]
    group = parts[0]
    pat = re.compile(rf"(?<![\w.]){re.escape(field_name)}(?!\w)")
    return [i + 1 for i, (s, keys) in enumerate(zip(sources, heads))
            if any(k.split(".")[0] == group for k in keys) and pat.search(s.split(": ", 1)[-1])]


def _source_cell(numbers: list[int], sources) -> str:
    if not numbers:
        return "not stated"
    out = []
    for n in numbers:
        body = sources[n - 1].split(": ", 1)[-1].lstrip().lower()
        out.append(f"S{n}" + (" (assumption)" if body.startswith("assumption") else ""))
    return ", ".join(out)


# -- the table ---------------------------------------------------------------------------------

def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _params(params):
    if params is None:
        from sendsim.councils import default_parameters
        params = default_parameters()
    return params


def rows(params=None) -> list[tuple[str, str, str, str, str]]:
    """(key, meaning, default, allowed, source) for every parameter, in describe() order;
    allowed is the field's range as `sendsim.parameters.allowed` states it ('' if not a number)."""
    from sendsim.parameters import allowed, describe
    params = _params(params)
    sources = list(params.council.sources)
    out = []
    for key, kind, doc in describe():
        meaning = f"{doc} ({_TYPE_WORDS.get(kind, kind)})" if doc else _TYPE_WORDS.get(kind, kind)
        out.append((key, meaning, render_default(params, key, kind), allowed(key) or "-",
                    _source_cell(source_numbers(key, sources), sources)))
    return out


def table(params=None) -> str:
    """The markdown between the markers (without the markers): the table, then the sources."""
    params = _params(params)
    lines = ["| key | meaning (type) | default (built-in council) | allowed | source |",
             "|---|---|---|---|---|"]
    for key, meaning, default, allowed, source in rows(params):
        lines.append(f"| `{key}` | {_cell(meaning)} | {_cell(default)} | {_cell(allowed)} "
                     f"| {_cell(source)} |")
    lines += ["", f"Sources of the built-in council's values (`council.sources` in `{COUNCIL_FILE}`):",
              ""]
    for n, source in enumerate(params.council.sources, start=1):
        lines.append(f"- **S{n}** {source.strip()}")
    return "\n".join(lines)


def current_block(text: str) -> str:
    """What is between the markers in `text` now (stripped)."""
    try:
        head, rest = text.split(START, 1)
        body, _ = rest.split(END, 1)
    except ValueError:
        raise ValueError(f"markers {START} ... {END} not found") from None
    return body.strip("\n")


def with_table(text: str, new: str) -> str:
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{new}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if the table in reference/parameters.md is out of date; change nothing")
    parser.add_argument("--file", type=Path, default=PARAMETERS_MD, help="markdown file to update")
    args = parser.parse_args(argv)
    text = args.file.read_text(encoding="utf-8")
    new = table()
    if current_block(text) == new:
        print(f"{args.file}: parameter table is up to date")
        return 0
    if args.check:
        print(f"{args.file}: parameter table is out of date; run python docs/gen_parameter_table.py")
        return 1
    args.file.write_text(with_table(text, new), encoding="utf-8")
    print(f"{args.file}: parameter table rewritten ({len(new.splitlines()) - 2} parameters)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
