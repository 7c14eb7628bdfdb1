"""The documentation cannot drift from the code.

- every ```python block in docs/**/*.md runs, each file's blocks in order in one fresh namespace;
- examples stay quick (few years, few replications, one worker);
- every command line shown in a ```bash block parses with today's `sendsim` options;
- the parameter table in docs/reference/parameters.md lists every parameter and equals what
  docs/gen_parameter_table.py would write now;
- docs/background/model.md keeps the ODD protocol's headings, in order;
- every column the engine produces is documented in docs/reference/output-tables.md.
"""

from __future__ import annotations

from helpers import load_generator
import re
import shlex
from pathlib import Path

import pytest

from sendsim.parameters import describe

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
MODEL_MD = DOCS / "background" / "model.md"
PARAMETERS_MD = DOCS / "reference" / "parameters.md"
OUTPUT_TABLES_MD = DOCS / "reference" / "output-tables.md"
DOC_FILES = sorted(DOCS.rglob("*.md"))


def page_id(path: Path) -> str:
    return path.relative_to(DOCS).as_posix()

FENCE = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)


def blocks(path: Path, language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(path.read_text(encoding="utf-8"))
            if lang == language]


def test_docs_exist():
    names = {page_id(p) for p in DOC_FILES}
    assert {"README.md", "tutorial/first-scenario.md", "background/model.md",
            "reference/parameters.md", "reference/output-tables.md"} <= names
    for section in ("tutorial", "how-to", "reference", "background"):
        assert any(n.startswith(section + "/") for n in names), f"docs/{section}/ has no page"


# -- (a) examples run --------------------------------------------------------------------------

@pytest.mark.parametrize("path", [p for p in DOC_FILES if blocks(p, "python")],
                         ids=page_id)
def test_python_examples_run(path, tmp_path, monkeypatch):
    """Each file's examples, in order, in a fresh namespace, in an empty working folder."""
    monkeypatch.chdir(tmp_path)   # examples may write files (scenario files, results)
    namespace = {"__name__": f"docs_{path.stem}"}
    for i, code in enumerate(blocks(path, "python"), start=1):
        try:
            exec(compile(code, f"{page_id(path)}, python block {i}", "exec"), namespace)
        except Exception as exc:
            raise AssertionError(f"{page_id(path)}, python block {i} failed: {exc!r}\n{code}") from exc


def _numbers_after(code: str, name: str) -> list[float]:
    return [float(x) for x in re.findall(rf"\b{name}\s*=\s*([0-9.]+)", code)]


@pytest.mark.parametrize("path", DOC_FILES, ids=page_id)
def test_python_examples_are_quick(path):
    """Examples with the default council run in the test suite: 1-2 years, <= 3 reps, 1 worker."""
    for i, code in enumerate(blocks(path, "python"), start=1):
        where = f"{page_id(path)}, python block {i}"
        assert all(y <= 2 for y in _numbers_after(code, "years")), f"{where}: years above 2"
        assert all(r <= 3 for r in _numbers_after(code, "reps")), f"{where}: reps above 3"
        for call in re.findall(r"run_replications\((.*?)\)\s*$", code, re.M | re.S):
            assert re.search(r"\bworkers\s*=\s*1\b", call), f"{where}: run_replications without workers=1"


def _command_lines(code: str) -> list[str]:
    joined = re.sub(r"\\\n\s*", " ", code)
    return [line.strip() for line in joined.splitlines() if line.strip().startswith("sendsim ")]


@pytest.mark.parametrize("path", DOC_FILES, ids=page_id)
def test_command_lines_parse(path):
    """Every `sendsim ...` line in a bash block uses commands and options that exist."""
    from sendsim.cli import build_parser
    parser = build_parser()
    for code in blocks(path, "bash"):
        for line in _command_lines(code):
            words = shlex.split(line, comments=True)[1:]
            try:
                parser.parse_args(words)
            except SystemExit as exc:
                if exc.code not in (0, None):   # --help / --version exit 0
                    raise AssertionError(f"{page_id(path)}: `{line}` does not parse") from None


# -- (b) the parameter table -----------------------------------------------------------------

def _table_keys(block: str) -> list[str]:
    return re.findall(r"^\| `([^`]+)` \|", block, re.M)


def test_parameter_table_lists_every_parameter():
    gen = load_generator()
    block = gen.current_block(PARAMETERS_MD.read_text(encoding="utf-8"))
    keys = _table_keys(block)
    missing = [key for key, _, _ in describe() if key not in keys]
    assert not missing, f"parameters missing from docs/reference/parameters.md: {missing}"
    unknown = sorted(set(keys) - {key for key, _, _ in describe()})
    assert not unknown, f"docs/reference/parameters.md lists parameters that no longer exist: {unknown}"


def test_parameter_table_is_current():
    gen = load_generator()
    assert gen.PARAMETERS_MD == PARAMETERS_MD, "the generator writes somewhere else"
    block = gen.current_block(PARAMETERS_MD.read_text(encoding="utf-8"))
    assert block == gen.table(), ("docs/reference/parameters.md's parameter table is out of date: "
                                  "run python docs/gen_parameter_table.py")


def test_every_parameter_has_a_default_and_a_meaning():
    gen = load_generator()
    for key, meaning, default, _allowed, _source in gen.rows():
        assert meaning.strip(), f"{key}: no meaning (add a doc to its field in sendsim/parameters/schema.py)"
        assert default.strip(), f"{key}: no default shown"


# -- (c) ODD headings --------------------------------------------------------------------------

ODD_HEADINGS = [
    "Overview",
    "Purpose and patterns",
    "Entities, state variables and scales",
    "Process overview and scheduling",
    "Design concepts",
    "Basic principles",
    "Emergence",
    "Adaptation and objectives",
    "Sensing",
    "Interaction",
    "Stochasticity",
    "Collectives",
    "Observation",
    "Details",
    "Initialisation",
    "Input data",
    "Submodels",
    "Parameters",
    "Outputs",
]


def _headings(text: str) -> list[str]:
    out = []
    for line in text.splitlines():
        m = re.match(r"^#{2,4}\s+(?:[0-9.]+\s+)?(.+?)\s*$", line)
        if m:
            out.append(m.group(1))
    return out


def test_odd_headings_in_order():
    found = _headings(MODEL_MD.read_text(encoding="utf-8"))
    positions = []
    for heading in ODD_HEADINGS:
        assert heading in found, f"docs/background/model.md lacks the heading '{heading}'"
        positions.append(found.index(heading))
    assert positions == sorted(positions), (
        f"docs/background/model.md's ODD headings are out of order: {[found[i] for i in sorted(positions)]}")


# -- outputs: every column produced is documented -----------------------------------------------

def _placeholders() -> dict[str, str]:
    from sendsim.codes import AGE_BANDS, CAPACITY_SETTINGS, CEASE_REASONS, NEEDS, SETTINGS
    from sendsim.engine.pathway.transitions import TRANSITIONS

    def alt(names):
        return "(?:" + "|".join(re.escape(n) for n in names) + ")"
    return {"<setting>": alt(SETTINGS), "<capacity>": alt(CAPACITY_SETTINGS),
            "<band>": alt(AGE_BANDS), "<need>": alt(NEEDS), "<reason>": alt(CEASE_REASONS),
            "<transition>": alt(TRANSITIONS.values()), "<line>": r"\w+"}


def documented_columns(table: str) -> list[re.Pattern]:
    """Column patterns listed in the first column of the output-tables page's section for `table`."""
    text = OUTPUT_TABLES_MD.read_text(encoding="utf-8")
    part = re.split(r"^## ", text, flags=re.M)
    section = next((p for p in part if p.startswith(f"`{table}`")), None)
    assert section is not None, f"docs/reference/output-tables.md has no section for {table}"
    subs = _placeholders()
    patterns = []
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        first_cell = line.split("|")[1]
        for name in re.findall(r"`([^`]+)`", first_cell):
            rx = re.escape(name)
            for ph, alt in subs.items():
                rx = rx.replace(re.escape(ph), alt)
            patterns.append(re.compile(rx + r"\Z"))
    return patterns


@pytest.fixture(scope="module")
def small_run():
    from small_council import small_council

    from sendsim.engine.model import simulate
    from sendsim.parameters import Parameters
    return simulate(Parameters.from_dict(small_council()), 7, years=2)


@pytest.mark.parametrize("table", ["monthly", "census", "calendar_year", "financial_year",
                                   "plans_issued"])
def test_every_output_column_is_documented(table, small_run):
    patterns = documented_columns(table)
    columns = list(getattr(small_run, table).columns)
    undocumented = [c for c in columns if not any(p.match(c) for p in patterns)]
    assert not undocumented, f"{table} columns missing from docs/reference/output-tables.md: {undocumented}"
    unused = [p.pattern for p in patterns if not any(p.match(c) for c in columns)]
    assert not unused, (f"docs/reference/output-tables.md documents {table} columns the engine "
                        f"no longer makes: {unused}")


def test_every_declared_flow_is_documented():
    from sendsim.engine.recorder import FLOWS
    patterns = documented_columns("monthly")
    missing = [f for f in FLOWS if not any(p.match(f) for p in patterns)]
    assert not missing, f"monthly flows missing from docs/reference/output-tables.md: {missing}"
