"""docs/reference/errors.md cannot drift from the code: every ```console example runs, and each refusal
it shows is the one line sendsim prints, raised as the class its section names.

The first block builds the folder the examples start from (once); every later block runs in a
fresh copy of it. A `$ sendsim ...` line runs the command line in this process; any other
`$` line runs in bash (and must succeed); a line ending `&` starts sendsim in the background
and waits until it holds its lock. The lines after a command are what it prints on stderr,
`...` matching anything; a command with no such lines must succeed.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import sendsim.errors as errors
from sendsim import cli
from sendsim.errors import SendsimError

DOC = Path(__file__).resolve().parents[2] / "docs" / "reference" / "errors.md"
TEXT = DOC.read_text(encoding="utf-8")
FENCE = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)
SECTION = re.compile(r"^## (.*)$", re.M)


def sections() -> list[tuple[str, str | None, list[str]]]:
    """(heading, error class named in it, console blocks) for each section."""
    out = []
    parts = SECTION.split(TEXT)
    for heading, body in zip(parts[1::2], parts[2::2]):
        named = re.search(r"\(`(\w+Error)`\)", heading)
        out.append((heading, named.group(1) if named else None,
                    [b for lang, b in FENCE.findall(body) if lang == "console"]))
    return out


def setup_block() -> str:
    intro = SECTION.split(TEXT)[0]
    return [b for lang, b in FENCE.findall(intro) if lang == "console"][0]


EXAMPLES = [(heading, cls, block) for heading, cls, blocks in sections() for block in blocks]


def steps(block: str) -> list[tuple[str, list[str]]]:
    """(command, expected stderr lines) for each `$` line of a block."""
    out: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            out.append((line[2:].strip(), []))
        elif line.strip():
            out[-1][1].append(line)
    return out


def matches(expected: str, got: str) -> bool:
    pattern = re.escape(expected).replace(re.escape("..."), ".*?")
    return re.fullmatch(pattern, got) is not None


def run_sendsim(argv: list[str], capsys) -> tuple[int, str, BaseException | None]:
    """Exit status and stderr of `sendsim.cli.main`, and the refusal the command raises (found
    by running the command's function first: a refusal writes nothing, so it may run twice)."""
    parser = cli.build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:                    # argparse's own refusals: the option class
        return int(exc.code or 0), capsys.readouterr().err, errors.UsageError("", "")
    try:
        code = args.func(args)
        raised = None
    except SendsimError as exc:
        raised = exc
    capsys.readouterr()
    code = cli.main(argv)
    return code, capsys.readouterr().err, raised


@pytest.fixture(scope="module")
def start(tmp_path_factory):
    folder = tmp_path_factory.mktemp("errors_doc") / "work"
    folder.mkdir()
    return folder


def play(block: str, folder: Path, capsys, monkeypatch, cls: str | None = None) -> int:
    """Run a block's steps in `folder`; returns how many refusals it checked."""
    monkeypatch.chdir(folder)
    checked = 0
    background = []
    try:
        for command, expected in steps(block):
            if command.endswith("&"):
                words = shlex.split(command[:-1])
                assert words[0] == "sendsim"
                background.append(subprocess.Popen([sys.executable, "-m", "sendsim", *words[1:]],
                                                   cwd=folder, stdout=subprocess.DEVNULL,
                                                   stderr=subprocess.PIPE))
                end = time.monotonic() + 60
                while not list(folder.glob("*/.sendsim.lock.json")):
                    assert background[-1].poll() is None, background[-1].stderr.read()
                    assert time.monotonic() < end, "the background run never took its lock"
                    time.sleep(0.05)
                continue
            if not command.startswith("sendsim "):
                done = subprocess.run(["bash", "-c", command], cwd=folder, capture_output=True,
                                      text=True)
                assert done.returncode == 0, f"{command}: {done.stderr}"
                continue
            if not expected:
                assert cli.main(shlex.split(command)[1:]) == 0, f"{command} should succeed"
                continue
            code, err, raised = run_sendsim(shlex.split(command)[1:], capsys)
            assert code == 2, f"{command}: exit {code}: {err}"
            got = err.strip().splitlines()
            assert len(got) == len(expected), f"{command} printed {got}"
            for want, line in zip(expected, got):
                assert matches(want, line), f"{command}\n doc: {want}\n got: {line}"
            if cls is not None:
                assert isinstance(raised, getattr(errors, cls)), \
                    f"{command}: raised {type(raised).__name__}, the doc's section says {cls}"
            checked += 1
    finally:
        for proc in background:
            proc.kill()
            proc.wait()
    return checked


@pytest.fixture(scope="module")
def sandbox(start, tmp_path_factory):
    """The folder the examples start from, made by the page's first block."""
    mp = pytest.MonkeyPatch()

    class _Capsys:             # the module-scoped set-up prints: capture it crudely
        def readouterr(self):
            return type("R", (), {"out": "", "err": ""})()
    try:
        play(setup_block(), start, _Capsys(), mp)
    finally:
        mp.undo()
    return start


@pytest.mark.parametrize("heading,cls,block", EXAMPLES,
                         ids=[f"{i}-{(c or h)[:30]}" for i, (h, c, _) in enumerate(EXAMPLES)])
def test_each_example_prints_what_the_page_says(heading, cls, block, sandbox, tmp_path, capsys,
                                                monkeypatch):
    folder = tmp_path / "work"
    shutil.copytree(sandbox, folder)
    assert play(block, folder, capsys, monkeypatch, cls) >= 1, "an example that refuses nothing"


def test_every_class_of_refusal_has_a_section_with_examples():
    documented = {cls: blocks for _, cls, blocks in sections() if cls}
    classes = [name for name in errors.__all__ if name.endswith("Error") and name != "SendsimError"]
    for name in classes:
        assert name in documented, f"docs/reference/errors.md has no section for {name}"
        assert documented[name], f"the {name} section has no example"


def test_an_internal_error_is_one_line_with_a_log_and_status_70(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("SENDSIM_LOG_DIR", str(tmp_path / "logs"))

    def boom(args):
        return 1 / 0
    monkeypatch.setattr(cli, "cmd_params", boom)
    parser = cli.build_parser
    monkeypatch.setattr(cli, "build_parser", lambda: _with_func(parser(), "params", boom))
    assert cli.main(["params"]) == errors.EXIT_INTERNAL
    err = capsys.readouterr().err.strip().splitlines()
    shown = re.search(r"```text\n(sendsim: internal error.*?)\n```", TEXT, re.S).group(1)
    doc = re.sub(r"/home/me/\S+?\.log", "...", shown)
    assert len(err) == 1 and matches(doc, err[0]), err
    logs = list((tmp_path / "logs").glob("crash-*.log"))
    assert len(logs) == 1 and "ZeroDivisionError" in logs[0].read_text()
    assert str(logs[0]) in err[0]


def _with_func(parser, command, func):
    parser._subparsers._group_actions[0].choices[command].set_defaults(func=func)
    return parser
