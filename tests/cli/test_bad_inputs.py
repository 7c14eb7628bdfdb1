"""The bad-input corpus: malformed and hostile inputs over every command (issue 11).

Each case builds a small workspace (the invented council, a finished experiment, a foreign
folder, ...), snapshots every file in it, runs one command and asserts the three promises:

- the refusal is exactly one line `sendsim: ...` with exit status 2 (never a traceback, never
  the internal-error status 70);
- the line names the file or option at fault (and the key, where there is one);
- nothing in the workspace changed: no output half-written, no foreign file touched, no
  `.sendsim-*` litter left behind.

The cases are grouped by class (options, files, numbers, draws, outputs, results, data); the
Hypothesis test at the end mutates a valid scenario file at random and asserts that every
mutation is either accepted and runs, or refused the same clean way.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sendsim.cli import main
from sendsim.parameters import Parameters
from small_council import small_council

SCENARIO = """[scenario]
name = "plan"
base = "council.toml"

[[interventions]]
name = "triage"
target = "decide_to_assess.no_to_assess"
change = "add"
effect = 0.05
start = 2024-01-01
"""


def tree(folder: Path) -> dict[str, str]:
    """Every file and folder under `folder` -> SHA-256 (or 'dir')."""
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = str(p.relative_to(folder))
        out[rel] = "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def cli(argv: list[str], capsys) -> tuple[int, str]:
    """Exit status and stderr of the command line (argparse's refusals included)."""
    try:
        code = main(argv)
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A finished experiment of the small council (2 replications, 1 year), made once."""
    base = tmp_path_factory.mktemp("corpus")
    council = Parameters.from_dict(small_council()).save(base / "council.toml")
    assert main(["run", str(council), "--reps", "2", "--years", "1", "--workers", "1",
                 "--chunk-size", "1", "--quiet", "--out", str(base / "results")]) == 0
    return base / "results"


@pytest.fixture
def ws(tmp_path, finished, monkeypatch):
    """A workspace: council.toml, plan.toml, results/ (an experiment), foreign/ (a folder of
    someone else's files with a manifest.json), notes.txt; the working folder is inside it."""
    Parameters.from_dict(small_council()).save(tmp_path / "council.toml")
    (tmp_path / "plan.toml").write_text(SCENARIO, encoding="utf-8")
    shutil.copytree(finished, tmp_path / "results")
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "manifest.json").write_text('{"app": "web"}', encoding="utf-8")
    (tmp_path / "foreign" / "index.html").write_text("<p>a web app</p>", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("minutes of the Schools Forum\n", encoding="utf-8")
    (tmp_path / "report.html").write_text("<p>my own page</p>", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SENDSIM_DATA", raising=False)
    return tmp_path


def w(name: str, text: str | bytes) -> str:
    """Write a file in the workspace (the working folder); return its name."""
    p = Path(name)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return name


def council_with(old: str, new: str, name: str = "bad.toml") -> str:
    """council.toml with the first line starting `old` replaced by `new`."""
    lines = Path("council.toml").read_text(encoding="utf-8").splitlines()
    i = next(i for i, line in enumerate(lines) if line.startswith(old))
    lines[i] = new
    return w(name, "\n".join(lines) + "\n")


def scenario(extra: str, name: str = "s.toml", head: str = 'name = "s"') -> str:
    return w(name, f'[scenario]\n{head}\nbase = "council.toml"\n{extra}\n')


def draws(csv: str | bytes) -> str:
    w("draws.csv", csv)
    return scenario('[uncertainty_sources]\nparameter_draws = "draws.csv"', "post.toml")


def manifest_edit(key, value) -> str:
    path = Path("results/manifest.json")
    m = json.loads(path.read_text(encoding="utf-8"))
    m[key] = value
    path.write_text(json.dumps(m), encoding="utf-8")
    return "results"


def run(*extra: str) -> list[str]:
    return ["run", "council.toml", "--reps", "1", "--years", "1", "--workers", "1", "--quiet",
            *extra]


def _first_chunk(table: str = "monthly") -> Path:
    return sorted(Path("results/reps").rglob(f"{table}/chunk-*.parquet"))[0]


def _truncate(p: Path) -> str:
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 3])
    return "results"


# (id, a function of the workspace giving argv, texts the refusal line must contain)
CASES = [
    # -- options ---------------------------------------------------------------------------
    ("reps-zero", lambda: run("--reps", "0", "--out", "o"), ["--reps"]),
    ("reps-negative", lambda: run("--reps", "-1", "--out", "o"), ["--reps"]),
    ("reps-text", lambda: run("--reps", "many", "--out", "o"), ["--reps"]),
    ("reps-billion", lambda: run("--reps", "1000000000", "--out", "o"), ["--reps"]),
    ("years-zero", lambda: run("--years", "0", "--out", "o"), ["--years"]),
    ("years-hundred", lambda: run("--years", "100", "--out", "o"), ["--years"]),
    ("years-nan", lambda: run("--years", "nan", "--out", "o"), ["--years"]),
    ("seed-negative", lambda: run("--seed", "-1", "--out", "o"), ["--seed"]),
    ("seed-2-64", lambda: run("--seed", str(2 ** 64), "--out", "o"), ["--seed"]),
    ("workers-zero", lambda: run("--workers", "0", "--out", "o"), ["--workers"]),
    ("at-malformed", lambda: run("--at", "next year", "--out", "o"), ["--at"]),
    ("at-outside-run", lambda: run("--at", "2040-41", "--out", "o"), ["--at", "2040-41"]),
    ("unknown-option", lambda: run("--fast", "--out", "o"), ["--fast"]),
    ("chunk-size-zero", lambda: run("--chunk-size", "0", "--out", "o"), ["--chunk-size"]),
    ("summarise-at-outside", lambda: ["summarise", "results", "--at", "2040-41"], ["--at"]),
    ("summarise-unknown-baseline", lambda: ["summarise", "results", "--baseline", "nobody"],
     ["nobody"]),
    ("report-bad-rag", lambda: ["report", "results", "--out", "r.html", "--rag", "high,low"],
     ["--rag"]),
    ("report-at-outside", lambda: ["report", "results", "--out", "r.html", "--at", "1999-00"],
     ["--at"]),
    ("backtest-horizon", lambda: ["backtest", "--origin", "2021-01", "--horizon", "99", "--la",
                                  "Wiltshire", "--out", "bt"], ["--horizon"]),
    ("calibrate-no-la", lambda: ["calibrate", "--origin", "2021-01", "--out", "c.toml"],
     ["--la"]),
    # -- files -----------------------------------------------------------------------------
    ("missing-file", lambda: run_file("absent.toml"), ["absent.toml"]),
    ("folder-as-file", lambda: run_file("foreign"), ["foreign"]),
    ("empty-file", lambda: run_file(w("e.toml", "")), ["e.toml", "empty"]),
    ("only-comments", lambda: run_file(w("c.toml", "# nothing here\n\n")), ["c.toml"]),
    ("binary-file", lambda: run_file(w("b.toml", b"\x89PNG\r\n\x1a\n\x00\x00")), ["b.toml"]),
    ("bom-file", lambda: run_file(w("bom.toml", b"\xef\xbb\xbf" + Path("council.toml")
                                    .read_bytes())), ["bom.toml", "byte-order mark"]),
    ("utf16-file", lambda: run_file(w("u16.toml", Path("council.toml").read_text(
        encoding="utf-8").encode("utf-16"))), ["u16.toml", "UTF-16"]),
    ("latin1-file", lambda: run_file(w("l1.toml", 'x = "caf\xe9"\n'.encode("latin-1"))),
     ["l1.toml", "UTF-8"]),
    ("not-toml", lambda: run_file("notes.txt"), ["notes.txt", "TOML"]),
    ("huge-integer", lambda: run_file(council_with("in_progress_at_start",
                                                   "in_progress_at_start = " + "9" * 5000)),
     ["bad.toml"]),
    ("unknown-key", lambda: run_file(council_with("no_to_assess", "no_to_asess = 0.3")),
     ["bad.toml", "no_to_asess"]),
    ("string-for-number", lambda: run_file(council_with("no_to_assess",
                                                        'no_to_assess = "a third"')),
     ["bad.toml", "no_to_assess"]),
    ("table-for-number", lambda: run_file(council_with("no_to_assess",
                                                       "no_to_assess = { a = 1 }")),
     ["bad.toml", "no_to_assess"]),
    ("scenario-unknown-section", lambda: run_file(scenario("[levers]\nx = 1")), ["s.toml"]),
    ("scenario-base-missing", lambda: run_file(w("s.toml", '[scenario]\nname = "s"\nbase = '
                                                 '"nowhere.toml"\n')), ["nowhere.toml"]),
    ("scenario-extends-itself", lambda: run_file(w("s.toml", '[scenario]\nname = "s"\nextends '
                                                   '= "s.toml"\n')), ["s.toml"]),
    ("scenario-unknown-target", lambda: run_file(scenario(
        '[[interventions]]\nname = "x"\ntarget = "magic.rate"\nchange = "add"\neffect = 1\n'
        'start = 2024-01-01')), ["s.toml", "magic.rate"]),
    # -- numbers ---------------------------------------------------------------------------
    ("inflation-inf", lambda: run_file(council_with("inflation_per_year",
                                                    "inflation_per_year = inf")),
     ["inflation_per_year"]),
    ("inflation-1e300", lambda: run_file(council_with("inflation_per_year",
                                                      "inflation_per_year = 1e300")),
     ["inflation_per_year"]),
    ("probability-nan", lambda: run_file(council_with("no_to_assess", "no_to_assess = nan")),
     ["no_to_assess"]),
    ("probability-above-1", lambda: run_file(council_with("no_to_assess", "no_to_assess = 1.5")),
     ["no_to_assess", "0 to 1"]),
    ("negative-weeks", lambda: run_file(council_with("decision_weeks_min",
                                                     "decision_weeks_min = -3")),
     ["decision_weeks_min"]),
    ("places-1e12", lambda: run_file(scenario('[parameters]\n"placement.places.special" = 1e12')),
     ["s.toml", "placement.places.special"]),
    ("unit-cost-minus-1e9", lambda: run_file(scenario(
        '[[interventions]]\nname = "x"\ntarget = "finance.unit_cost_gbp_per_year.inmss"\n'
        'change = "add"\neffect = -1e9\nstart = 2024-01-01')), ["s.toml"]),
    ("effect-inf", lambda: run_file(scenario(
        '[[interventions]]\nname = "x"\ntarget = "no_to_assess"\n'
        'change = "add"\neffect = inf\nstart = 2024-01-01')), ["s.toml", "effect"]),
    ("ceasing-1e12", lambda: run_file(scenario(
        '[parameters]\n"ceasing.rate_per_year.transfer.5_10" = 1e12')), ["s.toml", "ceasing"]),
    ("project-places-huge", lambda: run_file(scenario(
        '[[capacity_programme]]\nname = "school"\nsetting = "special"\nplaces = '
        '1000000000000\nopens = 2025-09-01')), ["s.toml", "places"]),
    ("condition-gbp-nan", lambda: run_file(scenario(
        '[[conditions]]\nname = "c"\nkind = "cumulative_deficit_at_most"\nfinancial_year = '
        '"2024-25"\ngbp = nan')), ["s.toml", "gbp"]),
    # -- draws -----------------------------------------------------------------------------
    ("draws-inf", lambda: run_file(draws("requests.trend_per_year\n0.05\ninf\n")),
     ["draws.csv", "row 3", "requests.trend_per_year"]),
    ("draws-nan", lambda: run_file(draws("requests.trend_per_year\nnan\n")),
     ["draws.csv", "row 2"]),
    ("draws-empty-cell", lambda: run_file(draws("requests.trend_per_year,decide_to_assess."
                                                "no_to_assess\n0.05,\n")), ["draws.csv"]),
    ("draws-text", lambda: run_file(draws("requests.trend_per_year\nhigh\n")), ["draws.csv"]),
    ("draws-out-of-range", lambda: run_file(draws("decide_to_assess.no_to_assess\n1.7\n")),
     ["draws.csv", "decide_to_assess.no_to_assess"]),
    ("draws-unknown-column", lambda: run_file(draws("magic\n1\n")), ["draws.csv", "magic"]),
    ("draws-cells", lambda: run_file(draws("requests.trend_per_year\n0.05,0.06\n")),
     ["draws.csv", "row 2"]),
    ("draws-bom", lambda: run_file(draws(b"\xef\xbb\xbfrequests.trend_per_year\n0.05\n")),
     ["draws.csv"]),
    ("draws-header-only", lambda: run_file(draws("requests.trend_per_year\n")), ["draws.csv"]),
    ("draws-empty", lambda: run_file(draws("")), ["draws.csv"]),
    ("draws-missing", lambda: run_file(scenario('[uncertainty_sources]\nparameter_draws = '
                                                '"gone.csv"', "post.toml")), ["gone.csv"]),
    ("check-draws-inf", lambda: ["check", draws("requests.trend_per_year\ninf\n")],
     ["draws.csv"]),
    # -- outputs ---------------------------------------------------------------------------
    ("out-is-a-file", lambda: run("--out", "notes.txt"), ["notes.txt"]),
    ("out-foreign-folder", lambda: run("--out", "foreign"), ["foreign"]),
    ("out-foreign-overwrite", lambda: run("--out", "foreign", "--overwrite"), ["foreign"]),
    ("out-under-a-file", lambda: run("--out", "notes.txt/sub"), ["notes.txt"]),
    ("out-other-experiment", lambda: run("--seed", "99", "--out", "results"), ["results"]),
    ("name-dotdot", lambda: run_file(scenario("", head='name = ".."')), ["s.toml", "name"]),
    ("name-escapes", lambda: run_file(scenario("", head='name = "../../x"')), ["s.toml"]),
    ("name-absolute", lambda: run_file(scenario("", head='name = "/tmp/x"')), ["s.toml"]),
    ("name-slash", lambda: run_file(scenario("", head='name = "a/b"')), ["s.toml"]),
    ("name-dot", lambda: run_file(scenario("", head='name = "."')), ["s.toml"]),
    ("name-too-long", lambda: run_file(scenario("", head=f'name = "{"n" * 300}"')), ["s.toml"]),
    ("name-empty", lambda: run_file(scenario("", head='name = ""')), ["s.toml"]),
    ("compare-same-name", lambda: ["compare", "plan.toml", "plan.toml", "--reps", "1",
                                   "--years", "1", "--out", "o", "--quiet"], ["plan"]),
    ("params-out-foreign", lambda: ["params", "--out", "notes.txt"], ["notes.txt"]),
    ("report-wrong-suffix", lambda: ["report", "results", "--out", "paper.docx"], ["paper.docx"]),
    ("report-out-under-a-file", lambda: ["report", "results", "--out", "notes.txt/paper.html"],
     ["notes.txt"]),
    ("report-foreign-html", lambda: ["report", "results", "--out", "report.html", "--overwrite"],
     ["report.html"]),
    ("report-previous-not-html", lambda: ["report", "results", "--out", "r.html", "--previous",
                                          "notes.txt"], ["notes.txt"]),
    ("report-backtest-foreign", lambda: ["report", "results", "--out", "r.html", "--backtest",
                                         "foreign"], ["foreign"]),
    ("backtest-over-experiment", lambda: ["backtest", "--origin", "2021-01", "--la", "Wiltshire",
                                          "--out", "results", "--overwrite", "--data", fake_data()], ["results"]),
    ("backtest-over-foreign", lambda: ["backtest", "--origin", "2021-01", "--la", "Wiltshire",
                                       "--out", "foreign", "--overwrite", "--data", fake_data()], ["foreign"]),
    ("calibrate-over-foreign", lambda: ["calibrate", "--la", "Wiltshire", "--origin", "2021-01",
                                        "--out", "notes.txt", "--overwrite"], ["notes.txt"]),
    # -- results ---------------------------------------------------------------------------
    ("summarise-not-experiment", lambda: ["summarise", "foreign"], ["foreign"]),
    ("summarise-missing-folder", lambda: ["summarise", "absent"], ["absent"]),
    ("summarise-deleted-chunk", lambda: (_first_chunk().unlink(), ["summarise", "results"])[1],
     ["chunk-0000000.parquet"]),
    ("summarise-truncated", lambda: ["summarise", _truncate(_first_chunk())], ["chunk-"]),
    ("summarise-reps-edited", lambda: ["summarise", manifest_edit("reps", 5)], ["replications"]),
    ("summarise-format-2", lambda: ["summarise", manifest_edit("results_format", 2)],
     ["format 2"]),
    ("summarise-broken-manifest", lambda: ["summarise", (Path("results/manifest.json")
                                                         .write_text("{"), "results")[1]],
     ["manifest.json"]),
    ("report-truncated", lambda: ["report", _truncate(_first_chunk("financial_year")), "--out",
                                  "r.html"], ["chunk-"]),
    ("report-seed-edited", lambda: ["report", manifest_edit("root_seed", 7), "--out", "r.html"],
     ["different experiment"]),
    ("report-not-experiment", lambda: ["report", "foreign", "--out", "r.html"], ["foreign"]),
    # -- data ------------------------------------------------------------------------------
    ("calibrate-data-missing", lambda: ["calibrate", "--la", "Wiltshire", "--origin", "2021-01",
                                        "--out", "c.toml", "--data", "nowhere"], ["nowhere"]),
    ("calibrate-data-is-file", lambda: ["calibrate", "--la", "Wiltshire", "--origin", "2021-01",
                                        "--out", "c.toml", "--data", "notes.txt"], ["notes.txt"]),
    ("calibrate-data-empty", lambda: (os.mkdir("empty"), ["calibrate", "--la", "Wiltshire",
                                      "--origin", "2021-01", "--out", "c.toml", "--data",
                                      "empty"])[1], ["empty"]),
    ("calibrate-no-data-found", lambda: ["calibrate", "--la", "Wiltshire", "--origin",
                                         "2021-01", "--out", "c.toml"], ["SENDSIM_DATA"]),
    ("backtest-data-missing", lambda: ["backtest", "--origin", "2021-01", "--la", "Wiltshire",
                                       "--out", "bt", "--data", "nowhere"], ["nowhere"]),
    ("report-data-missing", lambda: ["report", "results", "--out", "r.html", "--data",
                                     "nowhere"], ["nowhere"]),
]


def fake_data() -> str:
    """A folder that passes for the data folder (one expected subfolder, no tables)."""
    os.makedirs("data/dfe_ehcp_2025_release", exist_ok=True)
    return "data"


def run_file(path: str) -> list[str]:
    return ["run", path, "--reps", "1", "--years", "1", "--workers", "1", "--quiet",
            "--out", "o"]


def assert_refused(code: int, err: str, names: list[str]) -> str:
    assert "Traceback" not in err, err
    assert code == 2, f"exit {code}: {err}"
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, f"expected one line, got {lines}"
    line = lines[0]
    assert line.startswith("sendsim: "), line
    for name in names:
        assert name in line, f"{name!r} not named in: {line}"
    return line


@pytest.mark.parametrize("make, names", [(m, n) for _, m, n in CASES],
                         ids=[c[0] for c in CASES])
def test_a_bad_input_is_one_line_and_changes_nothing(ws, capsys, make, names):
    argv = make()
    before = tree(ws)
    code, err = cli(argv, capsys)
    line = assert_refused(code, err, names)
    assert tree(ws) == before, "a refused command changed the workspace"
    if "foreign" in names:
        assert "--overwrite" not in line.split(";", 1)[-1], line
    litter = [p for p in ws.parent.rglob(".sendsim-*") if ".sendsim-locks" not in str(p)]
    assert not litter, litter


# -- Hypothesis: mutations of a valid scenario file --------------------------------------------

VALID = """[scenario]
name = "mutant"
base = "council.toml"

[parameters]
"decide_to_assess.no_to_assess" = 0.3
"finance.inflation_per_year" = 0.03

[[interventions]]
name = "triage"
target = "decide_to_assess.no_to_assess"
change = "add"
effect = { low = 0.0, mode = 0.05, high = 0.1 }
start = 2024-01-01

[[capacity_programme]]
name = "school"
setting = "special"
places = 60
opens = 2025-09-01
"""

LEAVES = ["0.3", "0.03", "0.05", "0.1", "60", "2025-09-01", '"special"', '"add"',
          '"decide_to_assess.no_to_assess"', '"mutant"']
REPLACEMENTS = ["inf", "-inf", "nan", "1e300", "-1e9", "0", "-1", "1e12", '"text"', "[1, 2]",
                "{ a = 1 }", "9" * 400, "true", "2099-01-01", '""', '"../x"', "0.5", "1"]


@st.composite
def mutations(draw):
    text = VALID
    kind = draw(st.sampled_from(["value", "delete", "add", "truncate", "bytes"]))
    if kind == "value":
        leaf = draw(st.sampled_from(LEAVES))
        text = text.replace(leaf, draw(st.sampled_from(REPLACEMENTS)), 1)
    elif kind == "delete":
        lines = text.splitlines()
        i = draw(st.integers(0, len(lines) - 1))
        text = "\n".join(lines[:i] + lines[i + 1:])
    elif kind == "add":
        lines = text.splitlines()
        i = draw(st.integers(1, len(lines)))
        text = "\n".join(lines[:i] + [draw(st.sampled_from(
            ["extra = 1", '"requests.magic" = 2', "places = inf", "[oops]", "= 3"]))]
            + lines[i:])
    elif kind == "truncate":
        text = text[: draw(st.integers(0, len(text)))]
    data = text.encode("utf-8")
    if kind == "bytes":
        i = draw(st.integers(0, len(data)))
        data = data[:i] + draw(st.binary(min_size=1, max_size=4)) + data[i:]
    return data


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=mutations())
def test_every_mutation_is_accepted_and_runs_or_refused_cleanly(ws, capsys, data):
    Path("m.toml").write_bytes(data)
    for leftover in ("o",):
        shutil.rmtree(leftover, ignore_errors=True)
    before = tree(ws)
    code, err = cli(["check", "m.toml"], capsys)
    assert "Traceback" not in err, err
    if code == 0:
        code, err = cli(run_file("m.toml"), capsys)
        assert code == 0, err
        assert (ws / "o" / "manifest.json").is_file()
        after = {k: v for k, v in tree(ws).items() if not k.startswith("o")}
        assert after == before
        shutil.rmtree("o")
    else:
        assert code == 2, err
        lines = [ln for ln in err.splitlines() if ln.strip()]
        assert lines and all(ln.startswith("sendsim: ") for ln in lines), err
        assert all("m.toml" in ln or "council.toml" in ln for ln in lines), err
        assert tree(ws) == before
