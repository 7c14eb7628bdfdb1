"""The scenario pages cannot drift from the code: the how-to (docs/how-to/scenarios.md), the
reference of scenario files (docs/reference/scenario-file.md) and of the experiment folder
(docs/reference/output-folders.md), read as one text, in that order (the reference's fragments
add to the how-to's scenario).

- every key of every scenario section, every intervention target with exactly its changes and
  filters, every `change`, every Safety Valve condition kind and the allowed values (age
  bands, settings, reasons, requesters, shipped councils) are in the reference tables, and the
  tables name nothing that does not exist;
- every TOML example (```toml blocks whose first line is `# file: PATH`, or `# add to: PATH`
  for a fragment appended to another example) is written to a folder beside a copy of
  experiments/wiltshire_baseline.toml and loads with `load_scenario`; the how-to's scenario
  has the target, change and dates its prose gives;
- every transcript (```text blocks starting `$ sendsim ...`) is what the command prints now,
  and the bad-scenario examples raise from `load_scenario` / `run_experiment` with the
  messages quoted;
- the how-to's Python (```py blocks) runs, from a folder holding the examples, and the folder
  it writes is the one the doc describes.

The how-to's Python blocks are fenced ```py, not ```python: they need the scenario files
beside them and a horizon of 6 years (the baseline's first condition is for 2028-29, and a run
must cover every date in a scenario), which tests/docs/test_docs.py's generic rules for ```python
blocks (an empty working folder, at most 2 simulated years) cannot give them. They run here
instead, with 2 replications and one worker.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
import shutil
import tomllib
from pathlib import Path

import pytest

from sendsim.scenario import files as sf
from sendsim.codes import AGE_BANDS, CAPACITY_SETTINGS, NEEDS, REVIEW_CEASE_REASONS, SETTINGS
from sendsim.scenario.definition import CONDITION_KINDS, REQUESTERS, TARGETS, Effect, Intervention, Scenario

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "docs" / "how-to" / "scenarios.md",
         ROOT / "docs" / "reference" / "scenario-file.md",
         ROOT / "docs" / "reference" / "output-folders.md"]
BASELINE = ROOT / "experiments" / "wiltshire_baseline.toml"
TEXT = "\n".join(page.read_text(encoding="utf-8") for page in PAGES)

FENCE = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```[ \t]*$", re.M | re.S)
FILE_MARK = re.compile(r"^# file: (\S+)\s*$")
ADD_MARK = re.compile(r"^# add to: (\S+)\s*$")


def blocks(language: str) -> list[tuple[str, str]]:
    """(info string after the language, body) of every fenced block in `language`."""
    return [(info.strip(), body) for lang, info, body in FENCE.findall(TEXT) if lang == language]


def part(fragment: str) -> str:
    """The text under the one ## / ### heading containing `fragment`, up to the next heading."""
    chunks = re.split(r"^(?=#{2,3} )", TEXT, flags=re.M)
    found = [c for c in chunks if fragment in c.splitlines()[0]]
    assert len(found) == 1, f"the scenario pages: {len(found)} headings contain {fragment!r}"
    return found[0]


def tables(text: str) -> list[list[list[str]]]:
    """Markdown tables in `text`: rows of cells, header first, separator row dropped."""
    out, rows = [], []
    for line in text.splitlines() + [""]:
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not all(re.fullmatch(r":?-+:?", c) for c in cells):
                rows.append(cells)
        elif rows:
            out.append(rows)
            rows = []
    return out


def table(fragment: str, first_header: str) -> list[list[str]]:
    """Body rows of the table under heading `fragment` whose first header cell is given."""
    found = [t for t in tables(part(fragment)) if t[0][0] == first_header]
    assert len(found) == 1, f"no single '{first_header}' table under {fragment!r}"
    return found[0][1:]


def codes(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


def first_names(rows: list[list[str]]) -> list[str]:
    names = []
    for row in rows:
        found = codes(row[0])
        assert found, f"table row without a `name` in its first cell: {row}"
        names.append(found[0])
    return names


# -- the reference lists every key, and only keys that exist ------------------------------------

KEY_TABLES = [
    ("`[scenario]`", sf.SCENARIO_KEYS),
    ("`[[interventions]]`", sf.INTERVENTION_KEYS),
    ("`[[capacity_programme]]`", sf.PROJECT_KEYS),
    ("`[[conditions]]`", sf.CONDITION_KEYS),
    ("`[uncertainty_sources]`", sf.SOURCE_KEYS),
]


@pytest.mark.parametrize("heading, keys", KEY_TABLES, ids=[k[0].strip("`[]") for k in KEY_TABLES])
def test_every_key_is_in_the_reference_and_nothing_else(heading, keys):
    names = first_names(table(heading, "key"))
    assert sorted(set(keys) - set(names)) == [], f"{heading}: keys missing from the doc"
    assert sorted(set(names) - set(keys)) == [], f"{heading}: the doc lists keys that do not exist"
    assert len(names) == len(set(names)), f"{heading}: a key listed twice"


def test_every_section_is_in_the_reference():
    names = [n.strip("[]") for n in first_names(table("Sections of a scenario file", "section"))]
    assert names == list(sf.TOP_LEVEL)


def _requires_setting(target: str) -> bool:
    """Whether `check` wants a `setting` for this target (asked of the code, not the doc)."""
    from sendsim.councils import default_parameters
    iv = Intervention(name="x", target=target, change=TARGETS[target]["changes"][0],
                      effect=Effect.fixed(1.0), start=default_parameters().council.start_date)
    problems = Scenario(name="x", parameters=default_parameters(), interventions=(iv,)).problems()
    return any(".setting: required" in p for p in problems)


def test_every_target_with_its_changes_and_filters():
    rows = table("Intervention targets", "target")
    names = first_names(rows)
    assert sorted(names) == sorted(TARGETS), "the targets table differs from scenario.TARGETS"
    for row in rows:
        target = codes(row[0])[0]
        spec = TARGETS[target]
        assert set(codes(row[1])) == set(spec["changes"]), f"{target}: changes differ from TARGETS"
        assert set(codes(row[2])) == set(spec["filters"]), f"{target}: filters differ from TARGETS"
        assert ("required" in row[2]) == _requires_setting(target), \
            f"{target}: the doc and check() disagree on whether `setting` is required"
        # the meaning column speaks of no change the target does not allow
        meaning = set(codes(row[3]))
        all_changes = {c for s in TARGETS.values() for c in s["changes"]}
        assert meaning & all_changes <= set(spec["changes"]), \
            f"{target}: its meaning names a change it does not allow"


def test_every_change_is_explained():
    names = first_names(table("What `change` does", "change"))
    assert sorted(names) == sorted({c for s in TARGETS.values() for c in s["changes"]})


def test_every_condition_kind():
    from sendsim.experiment import summaries
    assert summaries.CONDITION_KINDS == CONDITION_KINDS, \
        "scenario.CONDITION_KINDS and summaries.CONDITION_KINDS differ"
    assert first_names(table("`[[conditions]]`", "kind")) == list(CONDITION_KINDS)


def _row(heading: str, key: str) -> list[str]:
    return next(r for r in table(heading, "key") if codes(r[0])[0] == key)


def test_allowed_values_are_listed():
    from sendsim.councils import available

    def values(heading, key):
        return codes(_row(heading, key)[3])
    iv = "`[[interventions]]`"
    assert [b for b in values(iv, "age_bands") if b in AGE_BANDS] == list(AGE_BANDS)
    assert [n for n in values(iv, "needs") if n in NEEDS] == list(NEEDS)
    assert [s for s in values(iv, "setting") if s in SETTINGS] == list(SETTINGS)
    assert [r for r in values(iv, "requester") if r in REQUESTERS] == list(REQUESTERS)
    reasons = [r for r in values(iv, "reason") if r in REVIEW_CEASE_REASONS]
    assert reasons == list(REVIEW_CEASE_REASONS)
    project_settings = [s for s in values("`[[capacity_programme]]`", "setting") if s in SETTINGS]
    assert project_settings == list(CAPACITY_SETTINGS)
    assert set(available()) <= set(values("`[scenario]`", "base"))


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, tuple) and not value:
        return "[]"
    if isinstance(value, Effect) and value.low == value.high:
        value = value.low
    return f"{value:g}"


MINIMAL = {   # section -> (the required keys only, as the doc's tables say)
    "interventions": {"name": "x", "target": "requests", "change": "multiply", "effect": 0.9,
                      "start": "2024-01-01"},
    "capacity_programme": {"name": "x", "setting": "special", "places": 1, "opens": "2024-09-01"},
    "conditions": {"name": "x", "kind": "in_year_balance_in", "financial_year": "2024-25"},
}
HEADINGS = {section: f"`[[{section}]]`" for section in MINIMAL}
LITERAL = re.compile(r'".*"|true|false|\[\]|-?[0-9.]+')


def _minimal_file(folder: Path, section: str, item: dict) -> Path:
    lines = ["[scenario]", 'name = "minimal"', f"[[{section}]]"]
    for k, v in item.items():
        is_date = isinstance(v, str) and re.fullmatch(r"\d{4}-\d\d-\d\d", v)
        lines.append(f"{k} = {v if is_date or isinstance(v, int) else _toml(v)}")
    path = folder / "minimal.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("section", list(MINIMAL))
def test_required_keys_and_defaults_are_the_loaders(section, tmp_path):
    """A key the doc calls required is reported missing when left out; a key with a literal
    default in the doc loads as that value when left out."""
    rows = table(HEADINGS[section], "key")
    required = [codes(r[0])[0] for r in rows if r[2] == "required"]
    assert sorted(required) == sorted(MINIMAL[section]), "the doc's required keys differ"
    loaded = sf.load_scenario(_minimal_file(tmp_path, section, MINIMAL[section]))
    obj = getattr(loaded, section)[0]
    for key in required:
        item = {k: v for k, v in MINIMAL[section].items() if k != key}
        with pytest.raises(sf.ScenarioError) as caught:
            sf.load_scenario(_minimal_file(tmp_path, section, item))
        assert any(p.endswith(f".{key}: missing") for p in caught.value.problems), caught.value
    for row in rows:
        key, shown = codes(row[0])[0], codes(row[2])
        if row[2] != "required" and shown and LITERAL.fullmatch(shown[0]):
            assert _toml(getattr(obj, key)) == shown[0], \
                f"[[{section}]] {key}: loads as {_toml(getattr(obj, key))}, the doc says {shown[0]}"


def test_source_and_scenario_defaults_are_the_loaders(tmp_path):
    path = tmp_path / "minimal.toml"
    path.write_text('[scenario]\nname = "minimal"\n', encoding="utf-8")
    s = sf.load_scenario(path)
    for row in table("`[uncertainty_sources]`", "key"):
        key, shown = codes(row[0])[0], codes(row[2])
        if hasattr(s.sources, key):
            assert _toml(getattr(s.sources, key)) == shown[0], f"uncertainty_sources.{key}"
    assert codes(_row("`[scenario]`", "title")[2]) == [_toml(s.title)]
    default_base = codes(_row("`[scenario]`", "base")[2])[0].strip('"')
    assert s.parameters == sf._base_parameters(default_base, [])   # what no `base` means


def test_inline_settings_name_real_keys_and_targets():
    """Inline code like `target = "requests"` names a key that exists and, for target and
    change, a value that exists."""
    keys = set(sf.SCENARIO_KEYS + sf.INTERVENTION_KEYS + sf.PROJECT_KEYS + sf.CONDITION_KEYS
               + sf.SOURCE_KEYS)
    changes = {c for s in TARGETS.values() for c in s["changes"]}
    found = re.findall(r'`(\w+) = "?([\w.-]+)"?`', TEXT)
    assert found, "no inline key = value in the doc"
    for key, value in found:
        assert key in keys, f"`{key} = ...` is not a scenario key"
        if key == "target":
            assert value in TARGETS, f"target {value!r} does not exist"
        if key == "change":
            assert value in changes, f"change {value!r} does not exist"


# -- the examples are real -------------------------------------------------------------------

def examples() -> tuple[dict[str, str], list[tuple[str, str]]]:
    """({path: text} of every whole-file example, [(path, fragment)] of every fragment)."""
    files, fragments = {}, []
    for info, body in blocks("toml"):
        first = body.splitlines()[0]
        if m := FILE_MARK.match(first):
            files[m.group(1)] = body
        elif m := ADD_MARK.match(first):
            fragments.append((m.group(1), body))
        else:
            pytest.fail(f"a ```toml block starts neither '# file:' nor '# add to:':\n{body}")
    for info, body in blocks("csv"):
        m = re.fullmatch(r"file=(\S+)", info)
        assert m, f"a ```csv block without file=PATH: {info!r}"
        files[m.group(1)] = body
    return files, fragments


def write_examples(folder: Path) -> None:
    files, _ = examples()
    (folder / "experiments").mkdir(parents=True, exist_ok=True)
    shutil.copy(BASELINE, folder / "experiments" / BASELINE.name)
    for path, body in files.items():
        (folder / path).write_text(body, encoding="utf-8")


def transcripts() -> list[tuple[list[str], str]]:
    """(sendsim arguments, output) of every ```text block starting with `$ sendsim`."""
    out = []
    for _, body in blocks("text"):
        first, _, rest = body.partition("\n")
        if first.startswith("$ sendsim "):
            out.append((shlex.split(first[len("$ sendsim "):]), rest.rstrip("\n")))
    return out


def failing_files() -> dict[str, list[str]]:
    """path -> problem lines, for the examples the doc shows `sendsim check` rejecting."""
    out = {}
    for args, output in transcripts():
        if args[0] == "check" and output.startswith("sendsim: "):
            prefix = f"sendsim: {args[1]}: "
            out[args[1]] = [line[len(prefix):] for line in output.splitlines()
                            if line.startswith(prefix)]
    return out


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    write_examples(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_how_to_scenario_is_what_the_prose_says(workdir):
    how_to = part("The scenario file")
    assert '`target = "requests"`' in how_to and '`change = "multiply"`' in how_to
    s = sf.load_scenario("experiments/my_scenario.toml")
    assert s.name == "fewer_requests"
    [iv] = s.interventions
    assert (iv.target, iv.change) == ("requests", "multiply")
    assert iv.effect.low < iv.effect.mode < iv.effect.high
    assert abs(iv.effect.mode - 2 / 3) < 0.01                     # "fall by a third"
    assert str(iv.start) == "2025-09-01"                          # "from September 2025"
    assert iv.full_effect is not None and iv.full_effect > iv.start
    assert iv.annual_cost_gbp > 0
    [project] = s.capacity_programme
    assert project.slip_probability > 0 and project.delay_months.high > 0
    base = sf.load_scenario("experiments/wiltshire_baseline.toml")
    assert s.conditions == base.conditions                       # inherited through extends
    assert s.parameters == base.parameters


def test_every_example_file_loads_or_fails_as_shown(workdir):
    files, _ = examples()
    bad = failing_files()
    assert bad, "the doc shows no rejected scenario"
    for path in files:
        if not path.endswith(".toml"):
            continue
        if path in bad:
            with pytest.raises(sf.ScenarioError) as caught:
                sf.load_scenario(path)
            assert caught.value.problems == bad[path], f"{path}: problems differ from the doc"
        else:
            sf.load_scenario(path)


def test_extends_examples_do_what_the_doc_says(workdir):
    dropped = sf.load_scenario("experiments/no_new_school.toml")
    mine = sf.load_scenario("experiments/my_scenario.toml")
    assert dropped.capacity_programme == ()
    assert [c.name for c in dropped.conditions] == [mine.conditions[0].name]
    assert dropped.interventions == mine.interventions
    calibrated = sf.load_scenario("experiments/calibrated.toml")
    assert len(calibrated.posterior_draws) == 3
    assert not calibrated.sources.structural and calibrated.sources.parameters


def test_every_fragment_loads_when_added(workdir):
    _, fragments = examples()
    assert fragments
    for k, (path, fragment) in enumerate(fragments):
        target = Path(path)
        combined = target.with_name(f"fragment_{k}.toml")
        combined.write_text(target.read_text(encoding="utf-8") + "\n" + fragment, encoding="utf-8")
        s = sf.load_scenario(combined)
        added = tomllib.loads(fragment)
        for item in added.get("interventions", []):
            assert item["name"] in [iv.name for iv in s.interventions]


def test_fragment_parameters_merge_as_described(workdir):
    """Maps merge key by key, lists are replaced whole (reference section 3, how-to section 10)."""
    _, fragments = examples()
    base = sf.load_scenario("experiments/my_scenario.toml").parameters
    for k, (path, fragment) in enumerate(fragments):
        if "[parameters" not in fragment:
            continue
        combined = Path(path).with_name(f"params_{k}.toml")
        combined.write_text(Path(path).read_text(encoding="utf-8") + "\n" + fragment,
                            encoding="utf-8")
        p = sf.load_scenario(combined).parameters
        changes = tomllib.loads(fragment)["parameters"]
        income = changes.get("finance", {}).get("hnb_income_gbp")
        if income:
            assert dict(p.finance.hnb_income_gbp) == {**base.finance.hnb_income_gbp, **income}
        places = changes.get("placement", {}).get("place_changes")
        if places:
            assert len(p.placement.place_changes) == len(places)


def _run_cli(args: list[str]) -> tuple[int, str]:
    from sendsim.cli import main
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    return code, (out.getvalue() + err.getvalue()).rstrip("\n")


def test_transcripts_are_what_sendsim_prints(workdir, monkeypatch):
    def no_replications(*args, **kwargs):
        raise AssertionError("a transcript in the scenario pages ran replications")
    monkeypatch.setattr("sendsim.experiment.run.run_chunk", no_replications)
    shown = transcripts()
    assert len(shown) >= 4
    for args, expected in shown:
        code, printed = _run_cli(args)
        assert printed == expected, f"`sendsim {shlex.join(args)}` prints:\n{printed}"
        assert (code == 0) == (not expected.startswith("sendsim: "))
    assert not (workdir / "sendsim-output").exists(), "a rejected run made a folder"


def test_horizon_error_comes_from_run_experiment_before_any_replication(workdir, monkeypatch):
    from sendsim.experiment.run import ExperimentError, run_experiment
    [(args, expected)] = [(a, o) for a, o in transcripts() if "--years" in a and a[0] == "compare"]
    years = float(args[args.index("--years") + 1])
    paths = [a for a in args[1:] if a.endswith(".toml")]
    monkeypatch.setattr("sendsim.experiment.run.run_chunk", None)   # nothing may run
    with pytest.raises(ExperimentError) as caught:
        run_experiment([sf.load_scenario(p) for p in paths], reps=2, seed=1, years=years,
                       out="results/never", workers=1, progress=False)
    assert "sendsim: " + str(caught.value) == expected
    assert not Path("results/never").exists()


# -- the how-to's Python -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def python_how_to(tmp_path_factory):
    """Run the ```py blocks in order, in one namespace, from a folder holding the examples."""
    folder = tmp_path_factory.mktemp("how_to")
    write_examples(folder)
    code_blocks = [body for _, body in blocks("py")]
    assert code_blocks, "docs/how-to/scenarios.md has no ```py blocks"
    namespace = {"__name__": "docs_scenarios"}
    printed = io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        for i, code in enumerate(code_blocks, start=1):
            for name, limit in (("reps", 3), ("workers", 1)):
                assert all(float(x) <= limit for x in re.findall(rf"\b{name}=([0-9.]+)", code)), \
                    f"py block {i}: {name} above {limit}"
            with contextlib.redirect_stdout(printed):
                try:
                    exec(compile(code, f"scenarios.md, py block {i}", "exec"), namespace)
                except Exception as exc:
                    raise AssertionError(
                        f"scenarios.md py block {i} failed: {exc!r}\n{code}") from exc
    return folder, namespace, printed.getvalue()


def test_python_how_to_runs_and_compares(python_how_to):
    _, ns, printed = python_how_to
    result = ns["result"]
    assert list(result.ensembles) == ["wiltshire_baseline", "fewer_requests"]
    assert all(ens.reps == 2 for ens in result.ensembles.values())
    table = ns["table"]
    assert set(table["kind"]) == {"level", "paired difference"}
    assert "fewer_requests vs wiltshire_baseline" in printed
    # the effect drawn for each replication lies in the stated range
    iv = ns["mine"].interventions[0]
    for draws in result["fewer_requests"].provenance["replications"]:
        assert iv.effect.low <= draws["intervention_effects_drawn"][iv.name] <= iv.effect.high
    # the intervention's running cost is in the money
    fy = result["fewer_requests"].financial_year
    assert (fy[fy["financial_year"] == "2026-27"]["spend_interventions"] > 0).all()


def test_report_excerpt_matches_the_report(python_how_to):
    _, ns, printed = python_how_to
    from sendsim.experiment.summaries import format_headline
    report = [line.strip() for line in format_headline(ns["table"]).splitlines()]
    [excerpt] = [body for _, body in blocks("text") if "vs wiltshire_baseline" in body]
    for line in excerpt.splitlines():
        shown = line.replace("...", "").strip()
        if shown:
            assert any(r.startswith(shown) for r in report), f"report has no line like {line!r}"


def test_resume_and_refusal_as_described(python_how_to):
    _, _, printed = python_how_to
    assert "0 chunks run the second time" in printed
    [shown] = [body.strip() for _, body in blocks("text") if "will not be appended to" in body]
    folder = re.match(r"sendsim: (\S+): holds", shown).group(1)
    expected = shown.replace(folder, "results/python_try").removeprefix("sendsim: ")
    assert expected in printed


def test_experiment_folder_is_as_described(python_how_to):
    folder, ns, _ = python_how_to
    out = folder / "results" / "python_try"
    files = [p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()]
    names = list(ns["result"].ensembles)

    def alt(words):
        return "(?:" + "|".join(re.escape(w) for w in words) + ")"
    from sendsim.engine.tables import Tables
    subs = {"<scenario>": alt(names), "<baseline>": alt(names[:1]), "<plan>": alt(names[1:]),
            "<table>": alt(Tables.NAMES), "<first rep>": r"\d{7}", "*": r"[^/]+"}
    patterns = []
    for path in first_names(table("An experiment folder", "path")):
        rx = re.escape(path)
        for placeholder, sub in subs.items():
            rx = rx.replace(re.escape(placeholder), sub)
        patterns.append((path, re.compile(rx + r"\Z")))
    for path, rx in patterns:
        if "<plan>" in path:      # written only by `compare --contributions`
            continue
        assert any(rx.match(f) for f in files), f"the doc lists {path}, not in the folder"
    undocumented = [f for f in files if not any(rx.match(f) for _, rx in patterns)]
    assert not undocumented, f"files in the folder the doc does not describe: {undocumented}"
