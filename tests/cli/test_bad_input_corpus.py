"""A second corpus of bad inputs over every command (issue "Hardening"), beside test_bad_inputs.py.

Every case is refused with exit status 2 and ONE line `sendsim: WHERE: what; allowed` on stderr
(`check` of a file lists one line per problem, each starting `sendsim: `) that names the file
or option; never exit 70 or a traceback; and nothing in the test's folder changes except the
declared output (no half-written folder, no `.sendsim-*` litter). Then Hypothesis mutates a
valid scenario file: each mutation is either accepted by `check` and runs, or refused so.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import shared_data_dir
from sendsim.cli import main
from sendsim.parameters import Parameters
from small_council import small_council

TINY = ["--reps", "1", "--years", "1", "--quiet", "--workers", "1"]


# -- helpers ----------------------------------------------------------------------------------

def run_cli(argv, capsys) -> tuple[int, str]:
    """(exit status, stderr) of `sendsim ARGV` in process; argparse's exits included."""
    capsys.readouterr()
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err
    return code, err


def snapshot(root: Path, skip: Path | None = None) -> dict:
    """Every path under root (but `skip` and what is inside it): kind, size, mtime, sha256."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            if skip is not None and (p == skip or skip in p.parents):
                continue
            st_ = p.lstat()
            rel = str(p.relative_to(root))
            if p.is_file() and not p.is_symlink():
                found[rel] = ("file", st_.st_size, st_.st_mtime_ns,
                              hashlib.sha256(p.read_bytes()).hexdigest())
            elif p.is_dir():
                # a folder's mtime changes when an entry is made and removed inside it: never,
                # except the declared output's parent (it gains the output) and a folder of
                # sendsim's holding its lock (the lock's holder record comes and goes; every
                # file in it is still compared)
                own_lock = (p / ".sendsim.lock").exists()
                mtime = None if own_lock or (skip is not None and p == skip.parent) \
                    else st_.st_mtime_ns
                found[rel + "/"] = ("dir", mtime)
            else:
                found[rel] = ("other", st_.st_size)
    return found


def no_litter(root: Path) -> list[str]:
    return [str(p) for p in root.rglob(".sendsim-*")]


def assert_one_line(err: str, multi: bool = False) -> list[str]:
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines, "nothing on stderr"
    if not multi:
        assert len(lines) == 1, err
    for line in lines:
        assert line.startswith("sendsim: "), err
        assert "internal error" not in line, err
    return lines


def write_params(folder: Path, name: str = "c.toml", **changes) -> Path:
    d = small_council()
    for dotted, value in changes.items():
        *head, last = dotted.split(".")
        t = d
        for k in head:
            t = t[k]
        t[last] = value
    path = folder / name
    if changes:
        path.write_text(tomli_w.dumps(d), encoding="utf-8")
    else:
        Parameters.from_dict(d).save(path)
    return path


def scenario(folder: Path, name: str, body: str, scenario_name: str = "s") -> str:
    (folder / name).write_text(f'[scenario]\nname = "{scenario_name}"\nbase = "c.toml"\n{body}\n',
                               encoding="utf-8")
    return name


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """An experiment (2 replications, one chunk each) and its report, made once."""
    root = tmp_path_factory.mktemp("built")
    write_params(root)
    cwd = os.getcwd()
    os.chdir(root)
    try:
        assert main(["run", "c.toml", "--reps", "2", "--chunk-size", "1", "--years", "1",
                     "--quiet", "--workers", "1", "--out", "r"]) == 0
        assert main(["report", "r", "--out", "rep.html"]) == 0
    finally:
        os.chdir(cwd)
    return root


@pytest.fixture
def world(tmp_path, monkeypatch, tmp_path_factory):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SENDSIM_LOG_DIR", str(tmp_path_factory.mktemp("logs")))
    monkeypatch.delenv("SENDSIM_DATA", raising=False)
    write_params(tmp_path)
    return tmp_path


def copy_built(built: Path, tmp: Path, what: str = "r") -> Path:
    src, dst = built / what, tmp / what
    if src.is_dir():
        shutil.copytree(src, dst)
    else:
        shutil.copy2(src, dst)
    return dst


def edit_manifest(folder: Path, **changes) -> None:
    p = folder / "manifest.json"
    m = json.loads(p.read_text())
    m.update(changes)
    p.write_text(json.dumps(m, indent=2))


# -- the cases ----------------------------------------------------------------------------------
# Each case: a setup(tmp, built) returning argv; the words the line must hold; optionally the
# exit status expected (2) and the output a success may write.

def case(id_, setup, *words, code=2, out=None, multi=False, data=False, marks=()):
    marks = (*marks, pytest.mark.shared_data) if data else marks
    return pytest.param(setup, words, code, out, multi, data, id=id_, marks=marks)


def run_c(*extra):
    return lambda t, b: ["run", "c.toml", *TINY, "--out", "o", *extra]


def with_option(option, value):
    args = dict(zip(TINY[0:4:2], TINY[1:4:2]))
    args[option] = value
    flat = [x for kv in args.items() for x in kv]
    return lambda t, b: ["run", "c.toml", *flat, "--quiet", "--workers", "1", "--out", "o"]


def file_case(content: bytes | str, command="run"):
    def setup(t, b):
        p = t / "bad.toml"
        p.write_bytes(content if isinstance(content, bytes) else content.encode())
        return ["check", "bad.toml", "--years", "1"] if command == "check" else \
            ["run", "bad.toml", *TINY, "--out", "o"]
    return setup


def param_case(body: str, command="run"):
    def setup(t, b):
        scenario(t, "bad.toml", "[parameters]\n" + body)
        return ["check", "bad.toml", "--years", "1"] if command == "check" else \
            ["run", "bad.toml", *TINY, "--out", "o"]
    return setup


def draws_case(text: bytes, command):
    def setup(t, b):
        (t / "draws.csv").write_bytes(text)
        scenario(t, "post.toml", '[uncertainty_sources]\nparameter_draws = "draws.csv"', "post")
        return ["check", "post.toml", "--years", "1"] if command == "check" else \
            ["run", "post.toml", *TINY, "--out", "o"]
    return setup


def name_case(name: str):
    def setup(t, b):
        (t / "esc.toml").write_text(f'[scenario]\nname = {json.dumps(name)}\nbase = "c.toml"\n')
        return ["run", "esc.toml", *TINY, "--out", "o"]
    return setup


def with_built(argv, prepare=None, what=("r",)):
    def setup(t, b):
        for w in what:
            copy_built(b, t, w)
        if prepare:
            prepare(t)
        return argv
    return setup


def foreign(t, manifest=False):
    f = t / "notes"
    f.mkdir()
    (f / "minutes.txt").write_text("minutes of the last Schools Forum")
    if manifest:
        (f / "manifest.json").write_text('{"reps": 2}')


def data_args(t, b):
    return ["--data", str(shared_data_dir())]


COUNCIL_TOML = Parameters.from_dict(small_council()).to_toml()
TRUNK = b"requests.trend_per_year\n"
CASES = [
    # 1. options
    case("reps-0", with_option("--reps", "0"), "--reps", "from 1 to 100,000"),
    case("reps-negative", with_option("--reps", "-1"), "--reps"),
    case("reps-text", with_option("--reps", "abc"), "--reps", "'abc'"),
    case("reps-1e9", with_option("--reps", str(10**9)), "--reps", "out of range"),
    case("years-0", with_option("--years", "0"), "--years", "more than 0"),
    case("years-100", with_option("--years", "100"), "--years", "at most 30"),
    case("years-nan", with_option("--years", "nan"), "--years"),
    case("years-inf", with_option("--years", "inf"), "--years"),
    case("seed-negative", run_c("--seed", "-1"), "--seed"),
    case("seed-2**64", run_c("--seed", str(2**64)), "--seed", "out of range"),
    case("workers-0", run_c("--workers", "0"), "--workers"),
    case("workers-64-capped-with-a-note", run_c("--workers", "64"), "--workers 64",
         "--oversubscribe", code=0, out="o"),
    case("workers-999-over-max", run_c("--workers", "999"), "--workers", "from 1 to 256"),
    case("workers-300-over-max-oversubscribed", run_c("--workers", "300", "--oversubscribe"),
         "--workers"),
    case("chunk-size-0", run_c("--chunk-size", "0"), "--chunk-size"),
    case("at-outside-run", run_c("--at", "2040-41"), "--at", "2040-41", "outside the run"),
    case("at-malformed", run_c("--at", "2023"), "--at", "not a financial year"),
    case("at-garbage", run_c("--at", "next year"), "--at"),
    case("unknown-option", run_c("--bogus"), "--bogus"),
    case("unknown-command", lambda t, b: ["simulate"], "simulate", "not a choice"),
    case("executor-choice", run_c("--executor", "spark"), "--executor", "'process'"),
    case("scheduler-without-dask", run_c("--scheduler", "tcp://x:1"), "--scheduler"),
    case("scenario-and-params", run_c("--params", "c.toml"), "--params"),
    case("compare-no-scenarios", lambda t, b: ["compare"], "compare", "required"),
    case("compare-contributions-one-scenario",
         lambda t, b: ["compare", "c.toml", *TINY, "--out", "o", "--contributions"],
         "--contributions"),
    case("report-no-out", lambda t, b: ["report", "r"], "--out", "required"),
    case("report-no-folder", lambda t, b: ["report", "--out", "x.html"], "RESULTS_DIR"),
    case("summarise-no-folder", lambda t, b: ["summarise"], "DIR", "required"),
    case("check-no-file", lambda t, b: ["check"], "file", "required"),
    case("check-years-0", lambda t, b: ["check", "c.toml", "--years", "0"], "--years"),
    case("calibrate-nothing", lambda t, b: ["calibrate"], "--la", "--origin", "--out"),
    case("calibrate-bad-seed", lambda t, b: ["calibrate", "--la", "X", "--origin", "2023-01",
                                              "--out", "cal.toml", "--seed", "-5"], "--seed"),
    case("backtest-no-out", lambda t, b: ["backtest", "--origin", "2021-01"], "--out"),
    case("backtest-horizon-0", lambda t, b: ["backtest", "--origin", "2021-01", "--la", "X",
                                              "--out", "bt", "--horizon", "0"], "--horizon"),
    case("backtest-neither-la-nor-all",
         lambda t, b: ["backtest", "--origin", "2021-01", "--out", "bt"], "--la/--all"),
    case("report-rag-backwards", with_built(["report", "r", "--out", "x.html", "--rag", "50,80"]),
         "--rag", "50,80"),
    case("report-rag-text", with_built(["report", "r", "--out", "x.html", "--rag", "high"]),
         "--rag"),
    case("report-at-outside", with_built(["report", "r", "--out", "x.html", "--at", "2040-41"]),
         "--at", "2040-41"),
    case("report-baseline-unknown", with_built(["report", "r", "--out", "x.html", "--baseline",
                                                "nope"]), "--baseline", "nope"),
    case("report-previous-missing", with_built(["report", "r", "--out", "x.html", "--previous",
                                                "old.html"]), "--previous", "old.html"),
    case("report-backtest-missing", with_built(["report", "r", "--out", "x.html", "--backtest",
                                                "bt"]), "--backtest", "bt"),
    case("summarise-at-outside", with_built(["summarise", "r", "--at", "2040-41"]), "--at"),
    case("summarise-baseline-unknown", with_built(["summarise", "r", "--baseline", "nope"]),
         "nope"),

    # 2. files
    case("file-missing", lambda t, b: ["run", "missing.toml", *TINY, "--out", "o"],
         "missing.toml", "no such file"),
    case("file-is-a-folder", lambda t, b: (t / "adir").mkdir() or ["check", "adir"],
         "adir", "not a file"),
    case("file-empty", file_case(b""), "bad.toml", "empty"),
    case("file-binary", file_case(bytes(range(256)) * 3), "bad.toml", "UTF-8"),
    case("file-binary-check", file_case(b"\x99\xff\x00\x12" * 50, "check"), "bad.toml"),
    case("file-bom", file_case(b"\xef\xbb\xbf" + COUNCIL_TOML.encode()),
         "bad.toml", "byte-order mark"),
    case("file-utf16", file_case(COUNCIL_TOML.encode("utf-16")),
         "bad.toml", "UTF-16"),
    case("file-invalid-toml", file_case("a = [\n"), "bad.toml", "not valid TOML"),
    case("file-only-comments", file_case("# a comment\n\n# another\n"), "bad.toml", "no TOML keys"),
    case("file-not-a-council", file_case('title = "minutes"\n'), "bad.toml"),
    case("param-huge-int", param_case("assessment.in_progress_at_start = " + "9" * 40),
         "bad.toml", "assessment.in_progress_at_start"),
    case("param-string-for-number", param_case('assessment.ep_advices_per_month = "six"'),
         "bad.toml", "assessment.ep_advices_per_month", "expected a number"),
    case("param-table-for-number", param_case("assessment.ep_advices_per_month = { a = 1 }"),
         "bad.toml", "assessment.ep_advices_per_month"),
    case("param-list-for-number", param_case("assessment.ep_advices_per_month = [1, 2]"),
         "bad.toml", "assessment.ep_advices_per_month"),
    case("param-unknown-key", param_case("assessment.foo = 1"), "bad.toml", "assessment.foo",
         "unknown key"),
    case("param-unknown-section", param_case("nonsense.x = 1"), "bad.toml", "nonsense"),
    case("param-inflation-inf", param_case("finance.inflation_per_year = inf"), "bad.toml",
         "finance.inflation_per_year", "not a finite number"),
    case("param-inflation-nan", param_case("finance.inflation_per_year = nan", "check"),
         "bad.toml", "finance.inflation_per_year", multi=True),
    case("param-unit-cost-minus-1e9", param_case("finance.unit_cost_gbp_per_year.special = -1e9"),
         "bad.toml", "finance.unit_cost_gbp_per_year.special"),
    case("param-places-1e12", param_case("placement.places.special = 1e12"), "bad.toml",
         "placement.places.special"),
    case("param-ceasing-1e12", param_case("ceasing.rate_per_year.transfer.5_10 = 1e12"),
         "bad.toml", "ceasing.rate_per_year.transfer.5_10"),
    case("param-probability-1.5", param_case("decide_to_assess.no_to_assess = 1.5"),
         "bad.toml", "decide_to_assess.no_to_assess", "0 to 1"),
    case("param-trend-1e300", param_case("requests.trend_per_year = 1e300"), "bad.toml",
         "requests.trend_per_year"),
    case("param-negative-probability", param_case("decide_to_assess.no_to_assess = -0.1",
                                                  "check"), "bad.toml", multi=True),
    case("plain-parameter-file-bad-value",
         lambda t, b: write_params(t, "bad.toml", **{"decide_to_assess.no_to_assess": 1.7})
         and ["run", "bad.toml", *TINY, "--out", "o"], "bad.toml", "decide_to_assess.no_to_assess"),
    case("plain-parameter-file-check-lists-each",
         lambda t, b: write_params(t, "bad.toml", **{"decide_to_assess.no_to_assess": 1.7,
                                                     "finance.inflation_per_year": float("inf")})
         and ["check", "bad.toml"], "bad.toml", multi=True),
    case("intervention-effect-inf", lambda t, b: scenario(t, "bad.toml", """
[[interventions]]
name = "fewer"
target = "requests"
change = "multiply"
effect = { low = 0.8, mode = 0.9, high = inf }
start = 2023-06-01""") and ["run", "bad.toml", *TINY, "--out", "o"], "bad.toml", "effect.high"),
    case("intervention-unknown-target", lambda t, b: scenario(t, "bad.toml", """
[[interventions]]
name = "magic"
target = "happiness"
change = "multiply"
effect = 0.5
start = 2023-06-01""") and ["check", "bad.toml", "--years", "1"], "bad.toml", "magic",
         multi=True),
    case("capacity-places-1e12", lambda t, b: scenario(t, "bad.toml", """
[[capacity_programme]]
name = "huge"
setting = "special"
places = 1e12
opens = 2023-09-01""") and ["run", "bad.toml", *TINY, "--out", "o"], "bad.toml", "huge"),
    case("scenario-base-missing", lambda t, b: (t / "bad.toml").write_text(
        '[scenario]\nname = "s"\nbase = "gone.toml"\n') and ["run", "bad.toml", *TINY, "--out", "o"],
        "gone.toml"),
    case("scenario-unknown-key", lambda t, b: (t / "bad.toml").write_text(
        '[scenario]\nname = "s"\nbase = "c.toml"\ncolour = "red"\n')
        and ["run", "bad.toml", *TINY, "--out", "o"], "bad.toml", "colour"),
    case("scenario-date-outside-run", lambda t, b: scenario(t, "bad.toml", """
[[interventions]]
name = "late"
target = "requests"
change = "multiply"
effect = 0.5
start = 2030-06-01""") and ["run", "bad.toml", *TINY, "--out", "o"], "late"),
    case("draws-missing-file", lambda t, b: scenario(t, "post.toml", '[uncertainty_sources]\n'
                                                     'parameter_draws = "nope.csv"', "post")
         and ["run", "post.toml", *TINY, "--out", "o"], "post.toml", "nope.csv"),
]
for command in ("run", "check"):
    for id_, text, words in [
            ("inf", TRUNK + b"0.05\ninf\n", ("row 3", "requests.trend_per_year", "finite")),
            ("nan", TRUNK + b"nan\n", ("row 2", "finite")),
            ("empty-cell", b"requests.trend_per_year,decide_to_assess.no_to_assess\n0.05,\n",
             ("row 2", "decide_to_assess.no_to_assess", "empty")),
            ("text", TRUNK + b"abc\n", ("row 2", "'abc'")),
            ("column-count", b"requests.trend_per_year,decide_to_assess.no_to_assess\n0.1,0.1,0.3\n",
             ("row 2", "3 cells")),
            ("unknown-column", b"requests.nonsense\n0.05\n", ("requests.nonsense",)),
            ("bom", b"\xef\xbb\xbf" + TRUNK + b"0.05\n", ("byte-order mark",)),
            ("no-rows", TRUNK, ("no rows",)),
            ("empty-file", b"", ("empty",)),
            ("out-of-range", TRUNK + b"5\n", ("requests.trend_per_year",))]:
        CASES.append(case(f"draws-{id_}-{command}", draws_case(text, command), "post.toml",
                          "draws.csv", *words, multi=command == "check"))

CASES += [
    # 3. outputs
    case("out-is-a-file", lambda t, b: ["run", "c.toml", *TINY, "--out", "c.toml"],
         "--out c.toml", "is a file"),
    case("out-parent-is-a-file", lambda t, b: ["run", "c.toml", *TINY, "--out", "c.toml/o"],
         "--out c.toml/o"),
    case("out-unwritable", lambda t, b: (t / "ro").mkdir() or os.chmod(t / "ro", 0o500)
         or ["run", "c.toml", *TINY, "--out", "ro/o"], "--out ro/o", "not writable",
         marks=pytest.mark.skipif(os.geteuid() == 0, reason="root ignores permissions")),
    case("out-foreign-folder", lambda t, b: foreign(t) or run_c()(t, b)[:-1] + ["notes"],
         "--out notes", "not written by sendsim"),
    case("out-foreign-folder-overwrite",
         lambda t, b: foreign(t) or run_c()(t, b)[:-1] + ["notes", "--overwrite"],
         "--out notes", "not written by sendsim"),
    case("out-foreign-folder-with-manifest",
         lambda t, b: foreign(t, True) or run_c()(t, b)[:-1] + ["notes"], "--out notes"),
    case("out-foreign-folder-with-manifest-overwrite",
         lambda t, b: foreign(t, True) or run_c()(t, b)[:-1] + ["notes", "--overwrite"],
         "--out notes"),
    case("name-dotdot-escape", name_case("../../x"), "esc.toml", "scenario.name"),
    case("name-absolute", name_case("/tmp/elsewhere"), "esc.toml", "scenario.name"),
    case("name-dot", name_case("."), "esc.toml", "scenario.name"),
    case("name-dotdot", name_case(".."), "esc.toml", "scenario.name"),
    case("name-slash", name_case("a/b"), "esc.toml", "scenario.name"),
    case("name-backslash", name_case("a\\b"), "esc.toml", "scenario.name"),
    case("name-too-long", name_case("a" * 101), "esc.toml", "scenario.name"),
    case("name-hidden", name_case(".sendsim"), "esc.toml", "scenario.name"),
    case("name-empty", name_case(""), "esc.toml", "scenario.name"),
    case("name-case-clash", lambda t, b: (t / "a.toml").write_text(
        '[scenario]\nname = "Plan"\nbase = "c.toml"\n') and (t / "b.toml").write_text(
        '[scenario]\nname = "plan"\nbase = "c.toml"\n') and ["compare", "a.toml", "b.toml", *TINY,
                                                           "--out", "o"], "plan"),
    case("report-wrong-suffix", with_built(["report", "r", "--out", "report.docx"]),
         "--out report.docx", ".docx"),
    case("report-no-suffix", with_built(["report", "r", "--out", "report"]), "--out report"),
    case("report-into-missing-folder-is-made", with_built(["report", "r", "--out",
                                                           "papers/report.html"]),
         code=0, out="papers"),
    case("report-parent-is-a-file", with_built(["report", "r", "--out", "c.toml/report.html"]),
         "--out c.toml/report.html"),
    case("report-onto-foreign-html", with_built(["report", "r", "--out", "agenda.html",
                                                 "--overwrite"],
                                                lambda t: (t / "agenda.html").write_text("<p>agenda</p>")),
         "--out agenda.html", "not a report sendsim wrote"),
    case("report-onto-own-report-without-overwrite", with_built(["report", "r", "--out", "rep.html"],
                                                                what=("r", "rep.html")),
         "--out rep.html", "already exists"),
    case("report-not-an-experiment", lambda t, b: foreign(t) or ["report", "notes", "--out", "x.html"],
         "notes", "not an experiment folder"),
    case("summarise-not-an-experiment", lambda t, b: foreign(t) or ["summarise", "notes"],
         "notes", "not an experiment folder"),
    case("summarise-foreign-manifest", lambda t, b: foreign(t, True) or ["summarise", "notes"],
         "notes"),
    case("summarise-missing-folder", lambda t, b: ["summarise", "nowhere"], "nowhere"),
    case("summarise-a-file", lambda t, b: ["summarise", "c.toml"], "c.toml"),
    case("summarise-deleted-chunk", with_built(["summarise", "r"], lambda t: (
        t / "r/reps/c/provenance/chunk-0000001.json").unlink()), "r", "missing: 1"),
    case("report-deleted-chunk", with_built(["report", "r", "--out", "x.html"], lambda t: (
        t / "r/reps/c/provenance/chunk-0000001.json").unlink()), "r", "missing: 1"),
    case("summarise-manifest-reps-edited", with_built(["summarise", "r"], lambda t: edit_manifest(
        t / "r", reps=1)), "manifest.json", "reps"),
    case("summarise-manifest-seed-edited", with_built(["summarise", "r"], lambda t: edit_manifest(
        t / "r", root_seed=7)), "different experiment"),
    case("summarise-manifest-not-json", with_built(["summarise", "r"], lambda t: (
        t / "r/manifest.json").write_text("{ not json")), "manifest.json"),
    case("summarise-truncated-parquet", with_built(["summarise", "r"], lambda t: os.truncate(
        t / "r/reps/c/census/chunk-0000000.parquet", 100)), "chunk-0000000.parquet", "cut short"),
    case("report-truncated-parquet", with_built(["report", "r", "--out", "x.html"], lambda t: os.truncate(
        t / "r/reps/c/census/chunk-0000000.parquet", 100)), "chunk-0000000.parquet"),
    case("summarise-format-2", with_built(["summarise", "r"], lambda t: edit_manifest(
        t / "r", results_format=2)), "r", "format 2"),
    case("report-format-2", with_built(["report", "r", "--out", "x.html"], lambda t: edit_manifest(
        t / "r", results_format=2)), "r", "format 2"),
    case("run-into-format-2", with_built(["run", "c.toml", *TINY[2:], "--reps", "2", "--out", "r"],
                                         lambda t: edit_manifest(t / "r", results_format=2)),
         "r", "format 2"),
    case("run-overwrite-format-2", with_built(["run", "c.toml", *TINY[2:], "--reps", "2",
                                               "--out", "r", "--overwrite"],
                                              lambda t: edit_manifest(t / "r", results_format=2)),
         "r", "format 2"),
    case("run-overwrite-other-version", with_built(
        ["run", "c.toml", *TINY[2:], "--reps", "2", "--out", "r", "--overwrite"],
        lambda t: edit_manifest(t / "r", sendsim_version="9.9.9")), "r", "9.9.9"),
    case("run-into-experiment-with-foreign-file-overwrite", with_built(
        ["run", "c.toml", *TINY[2:], "--reps", "2", "--out", "r", "--overwrite"],
        lambda t: (t / "r/minutes.txt").write_text("keep me")), "--out r", "minutes.txt"),
    case("run-other-experiment-into-folder", with_built(
        ["run", "c.toml", *TINY[2:], "--reps", "2", "--out", "r", "--seed", "6"]),
        "r", "different experiment"),
    case("params-out-foreign-file-overwrite", lambda t, b: ["params", "--out", "c.toml",
                                                            "--overwrite"],
         "--out c.toml", "not written by sendsim params"),
    case("params-out-a-folder", lambda t, b: (t / "pd").mkdir() or ["params", "--out", "pd"],
         "--out pd", "is a folder"),
    case("calibrate-out-foreign-file-overwrite",
         lambda t, b: ["calibrate", "--la", "X", "--origin", "2023-01", "--out", "c.toml",
                       "--overwrite", "--data", "nope"], "--out c.toml"),
    case("backtest-overwrite-foreign-folder",
         lambda t, b: foreign(t) or ["backtest", "--la", "Wiltshire", "--origin", "2021-01",
                                     "--out", "notes", "--overwrite", "--quiet", *data_args(t, b)],
         "--out notes", data=True),
    case("backtest-overwrite-experiment-folder", with_built(
        ["backtest", "--la", "Wiltshire", "--origin", "2021-01", "--out", "r", "--overwrite",
         "--quiet", "--data", str(shared_data_dir())]), "--out r", "experiment", data=True),

    # 4. data
    case("calibrate-data-missing", lambda t, b: ["calibrate", "--la", "Wiltshire", "--origin",
                                                 "2023-01", "--out", "cal.toml", "--data", "nope"],
         "nope", "--data", "does not exist"),
    case("calibrate-data-a-file", lambda t, b: ["calibrate", "--la", "Wiltshire", "--origin",
                                                "2023-01", "--out", "cal.toml", "--data", "c.toml"],
         "c.toml", "is a file"),
    case("calibrate-data-empty", lambda t, b: (t / "empty").mkdir() or [
        "calibrate", "--la", "Wiltshire", "--origin", "2023-01", "--out", "cal.toml", "--data",
        "empty"], "empty", "expected subfolders"),
    case("calibrate-origin-malformed", lambda t, b: ["calibrate", "--la", "Wiltshire", "--origin",
                                                     "January", "--out", "cal.toml", "--data", "nope"],
         "January"),
    case("backtest-data-missing", lambda t, b: ["backtest", "--la", "Wiltshire", "--origin",
                                                "2021-01", "--out", "bt", "--data", "nope"],
         "nope", "--data"),
    case("backtest-data-a-file", lambda t, b: ["backtest", "--la", "Wiltshire", "--origin",
                                               "2021-01", "--out", "bt", "--data", "c.toml"],
         "c.toml"),
    case("backtest-data-empty", lambda t, b: (t / "empty").mkdir() or [
        "backtest", "--la", "Wiltshire", "--origin", "2021-01", "--out", "bt", "--data", "empty"],
        "empty"),
    case("report-data-missing", with_built(["report", "r", "--out", "x.html", "--data", "nope"]),
         "nope"),
    case("calibrate-unknown-council", lambda t, b: ["calibrate", "--la", "Nowhereshire", "--origin",
                                                    "2023-01", "--out", "cal.toml", "--quiet",
                                                    *data_args(t, b)], "Nowhereshire", data=True),
    case("backtest-unknown-council", lambda t, b: ["backtest", "--la", "Nowhereshire", "--origin",
                                                   "2021-01", "--out", "bt", "--quiet", "--reps", "2",
                                                   *data_args(t, b)], "Nowhereshire", data=True),
    case("calibrate-isles-of-scilly", lambda t, b: ["calibrate", "--la", "E06000053", "--origin",
                                                    "2023-01", "--out", "cal.toml", "--quiet",
                                                    *data_args(t, b)], "Scilly", data=True),
]


@pytest.mark.parametrize("setup, words, code, out, multi, data", CASES)
def test_bad_input_is_refused_on_one_line_and_writes_nothing(setup, words, code, out, multi, data,
                                                             world, built, capsys):
    if data and shared_data_dir() is None:
        pytest.skip("needs the published data in ../shared/data (or $SENDSIM_DATA); none found")
    argv = setup(world, built)
    skip = world / out if out else None
    before = snapshot(world, skip)
    try:
        got, err = run_cli(argv, capsys)
    finally:
        for p in world.rglob("*"):                 # let pytest clean up a read-only folder
            if p.is_dir() and not p.is_symlink():
                p.chmod(0o755)
    assert got == code, f"exit {got}, expected {code}: {err}"
    if code == 0:
        assert "Traceback" not in err and all(
            line.startswith("sendsim: ") for line in err.splitlines() if line.strip()), err
    lines = assert_one_line(err, multi) if words else []
    for word in words:
        assert all(word in line for line in lines) if not multi else word in err, \
            f"{word!r} not in: {err}"
    if code == 2 and any(w.startswith("--out") for w in words) and "not written by" in err:
        assert "--overwrite" not in err            # --overwrite would not change it
    assert snapshot(world, skip) == before, "something outside the output changed"
    assert no_litter(world) == []
    if out and code == 0:
        assert (world / out).exists()


def test_refusals_of_foreign_folders_never_suggest_overwrite(world, built, capsys):
    """A foreign folder, one with a manifest, a back-test folder given to run, a report onto
    another's file: the line does not mention --overwrite, and the folder is untouched."""
    foreign(world, manifest=True)
    shutil.copy(world / "c.toml", world / "d.toml")
    before = snapshot(world)
    for argv in (["run", "c.toml", *TINY, "--out", "notes"],
                 ["run", "c.toml", *TINY, "--out", "notes", "--overwrite"],
                 ["compare", "c.toml", "d.toml", *TINY, "--out", "notes", "--overwrite"]):
        got, err = run_cli(argv, capsys)
        assert got == 2, err
        assert_one_line(err)
        assert "--overwrite" not in err and "notes" in err, err
    assert snapshot(world) == before


def test_a_backtest_folder_is_not_overwritten_by_run(world, capsys):
    """An output of another kind (a sendsim back-test folder) is not replaced by run."""
    bt = world / "bt"
    bt.mkdir()
    (bt / ".sendsim").write_text(json.dumps({"sendsim_folder": 1, "kind": "backtest",
                                             "sendsim_version": "0.2.0"}))
    (bt / "scores.csv").write_text("a,b\n1,2\n")
    before = snapshot(world)
    got, err = run_cli(["run", "c.toml", *TINY, "--out", "bt", "--overwrite"], capsys)
    assert got == 2
    assert_one_line(err)
    assert "backtest" in err and "--out bt" in err and "--overwrite" not in err
    assert snapshot(world) == before


def test_sendsim_data_pointing_nowhere_is_refused(world, capsys, monkeypatch):
    monkeypatch.setenv("SENDSIM_DATA", str(world / "nowhere"))
    before = snapshot(world)
    for argv in (["calibrate", "--la", "Wiltshire", "--origin", "2023-01", "--out", "cal.toml"],
                 ["backtest", "--la", "Wiltshire", "--origin", "2021-01", "--out", "bt"]):
        got, err = run_cli(argv, capsys)
        assert got == 2, err
        assert_one_line(err)
        assert "SENDSIM_DATA" in err and "nowhere" in err
    assert snapshot(world) == before


def test_an_overwrite_of_own_experiment_replaces_only_it(world, built, capsys):
    """The control: --overwrite of sendsim's own, unedited experiment folder works, and
    changes nothing beside it."""
    copy_built(built, world)
    before = snapshot(world, world / "r")
    got, err = run_cli(["run", "c.toml", *TINY[2:], "--reps", "2", "--out", "r", "--overwrite",
                        "--seed", "9"], capsys)
    assert got == 0, err
    assert json.loads((world / "r/manifest.json").read_text())["root_seed"] == 9
    assert snapshot(world, world / "r") == before and no_litter(world) == []


# -- Hypothesis: mutations of a valid scenario file -------------------------------------------

VALID = {
    "scenario": {"name": "mut", "base": "c.toml"},
    "parameters": {"decide_to_assess": {"no_to_assess": 0.2},
                   "finance": {"inflation_per_year": 0.03},
                   "placement": {"places": {"special": 130}}},
    "interventions": [{"name": "fewer", "target": "requests", "change": "multiply",
                       "effect": {"low": 0.8, "mode": 0.9, "high": 1.0},
                       "start": dt.date(2023, 6, 1), "annual_cost_gbp": 1000.0}],
    "capacity_programme": [{"name": "unit", "setting": "special", "places": 10,
                            "opens": dt.date(2023, 9, 1), "slip_probability": 0.2,
                            "delay_months": {"low": 1.0, "mode": 2.0, "high": 3.0}}],
}


def _paths(node, prefix=()):
    """Every path to a leaf and to a table or list, in VALID."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield prefix + (k,)
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


PATHS = list(_paths(VALID))
WEIRD = st.sampled_from([float("inf"), float("-inf"), float("nan"), -1e9, 1e300, "text", "",
                         [1, 2], {"a": 1}, 10**40, 0, -1, -0.5, 1.5, True,
                         dt.date(1900, 1, 1), dt.date(2099, 1, 1), "../../x"])


@st.composite
def mutations(draw):
    import copy
    d = copy.deepcopy(VALID)
    kind = draw(st.sampled_from(["replace", "replace", "replace", "delete", "add", "truncate",
                                 "insert"]))
    if kind in ("replace", "delete", "add"):
        path = draw(st.sampled_from(PATHS))
        parent = d
        for k in path[:-1]:
            parent = parent[k]
        if kind == "replace":
            parent[path[-1]] = draw(WEIRD)
        elif kind == "delete":
            del parent[path[-1]]
        else:
            target = parent[path[-1]] if isinstance(parent[path[-1]], dict) else parent
            target[draw(st.sampled_from(["colour", "typo_key", "no_to_asess"]))] = draw(WEIRD)
        return kind, tomli_w.dumps(d).encode()
    text = tomli_w.dumps(d).encode()
    if kind == "truncate":
        return kind, text[:draw(st.integers(0, len(text) - 1))]
    at = draw(st.integers(0, len(text)))
    junk = draw(st.binary(min_size=1, max_size=8))
    return kind, text[:at] + junk + text[at:]


def test_the_mutation_base_is_valid(world, capsys):
    (world / "mut.toml").write_bytes(tomli_w.dumps(VALID).encode())
    got, err = run_cli(["check", "mut.toml", "--years", "1"], capsys)
    assert got == 0, err


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutation=mutations())
def test_a_mutated_scenario_is_run_or_refused_on_one_line(mutation, capsys, monkeypatch):
    kind, text = mutation
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as logs:
        root = Path(tmp)
        monkeypatch.chdir(root)
        monkeypatch.setenv("SENDSIM_LOG_DIR", logs)
        write_params(root)
        (root / "mut.toml").write_bytes(text)
        before = snapshot(root)
        got, err = run_cli(["check", "mut.toml", "--years", "1"], capsys)
        assert got in (0, 2), f"{kind}: exit {got}: {err}"
        assert snapshot(root) == before
        if got == 2:
            lines = assert_one_line(err, multi=True)
            assert all("mut.toml" in line or "c.toml" in line for line in lines), err
            got_run, err_run = run_cli(["run", "mut.toml", *TINY, "--out", "o"], capsys)
            assert got_run == 2, f"{kind}: check refused it but run gave {got_run}: {err_run}"
            assert_one_line(err_run)
            assert snapshot(root) == before and not (root / "o").exists()
            return
        got, err = run_cli(["run", "mut.toml", *TINY, "--out", "o"], capsys)
        assert got == 0, f"{kind}: check accepted it but run gave {got}: {err}"
        assert "Traceback" not in err
        assert snapshot(root, root / "o") == before
        assert no_litter(root) == []
