"""Processes, not functions: two writers on one folder, `kill -9` in the middle of a run, a
report and a calibration, and a lock left by a killed process. Each runs `python -m sendsim`
as a user would, in a folder of its own."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest

from small_council import small_council

from sendsim.parameters import Parameters

#: Long enough (about 6 s) for a second process to start while the first one runs.
REPS = "60"
RUN = ["--years", "3", "--workers", "1", "--chunk-size", "1", "--quiet"]


@pytest.fixture(scope="module")
def made_once(tmp_path_factory):
    """The council file and the experiment run once without interference (the reference)."""
    root = tmp_path_factory.mktemp("processes")
    (root / "council.toml").write_text(Parameters.from_dict(small_council()).to_toml(),
                                       encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "sendsim", "run", "council.toml", "--reps", REPS,
                           "--seed", "11", "--out", "reference", *RUN], cwd=root,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return root


@pytest.fixture
def work(tmp_path, made_once):
    import shutil
    shutil.copy(made_once / "council.toml", tmp_path / "council.toml")
    return tmp_path


@pytest.fixture
def reference(work, made_once):
    import shutil
    shutil.copytree(made_once / "reference", work / "reference")
    return work / "reference"


def sendsim(args, cwd, **kw) -> subprocess.Popen:
    env = {**os.environ, "SENDSIM_LOG_DIR": str(Path(cwd) / ".." / "logs")}
    return subprocess.Popen([sys.executable, "-m", "sendsim", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def wait_for(predicate, seconds: float = 60.0, proc: subprocess.Popen | None = None) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return
        if proc is not None and proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the process ended (exit {proc.returncode}) before the test could "
                        f"act: {err[-500:]}")
        time.sleep(0.05)
    pytest.fail("timed out waiting")


def chunks(folder: Path) -> int:
    return len(list((folder / "reps").rglob("provenance/chunk-*.json")))


def tables(folder: Path) -> dict[str, pd.DataFrame]:
    """Every replication table of an experiment, read back (the results, not the files)."""
    out = {}
    for scen in sorted((folder / "reps").iterdir()):
        for table in sorted(p for p in scen.iterdir() if p.name != "provenance"):
            out[f"{scen.name}/{table.name}"] = pd.concat(
                [pd.read_parquet(p) for p in sorted(table.glob("chunk-*.parquet"))],
                ignore_index=True)
    return out


def summary_bytes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((folder / "summary").glob("*.csv"))}


def tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def litter(folder: Path) -> list[str]:
    return [p for p in tree(folder) if ".sendsim-" in p or ".partial" in p]


def test_two_runs_on_one_folder_one_is_refused_the_other_exact(work, reference):
    first = sendsim(["run", "council.toml", "--reps", REPS, "--seed", "11", "--out", "exp", *RUN],
                    work)
    wait_for(lambda: (work / "exp" / ".sendsim.lock.json").exists(), proc=first)
    second = sendsim(["run", "council.toml", "--reps", REPS, "--seed", "12", "--out", "exp", *RUN],
                     work)
    out2, err2 = second.communicate(timeout=120)
    assert second.returncode == 2, err2
    assert len(err2.strip().splitlines()) == 1, err2
    assert "another sendsim is writing" in err2 and f"process {first.pid}" in err2, err2
    out1, err1 = first.communicate(timeout=300)
    assert first.returncode == 0, err1
    got, want = tables(work / "exp"), tables(reference)
    assert got.keys() == want.keys()
    for key in want:
        pd.testing.assert_frame_equal(got[key], want[key], obj=key)
    assert summary_bytes(work / "exp") == summary_bytes(reference)
    assert json.loads((work / "exp" / "manifest.json").read_text())["root_seed"] == 11


def test_killed_run_resumes_to_the_same_results(work, reference):
    proc = sendsim(["run", "council.toml", "--reps", REPS, "--seed", "11", "--out", "exp", *RUN],
                   work)
    wait_for(lambda: (work / "exp" / "reps").is_dir() and chunks(work / "exp") >= 2, proc=proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert chunks(work / "exp") < int(REPS), "the run finished before it was killed: not a test"
    again = subprocess.run([sys.executable, "-m", "sendsim", "run", "council.toml", "--reps", REPS,
                            "--seed", "11", "--out", "exp", *RUN], cwd=work, capture_output=True,
                           text=True)
    assert again.returncode == 0, again.stderr
    got, want = tables(work / "exp"), tables(reference)
    for key in want:
        pd.testing.assert_frame_equal(got[key], want[key], obj=key)
    for p in (reference / "reps").rglob("*.parquet"):        # the very same bytes
        mine = work / "exp" / p.relative_to(reference)
        assert mine.read_bytes() == p.read_bytes(), mine
    assert summary_bytes(work / "exp") == summary_bytes(reference)
    assert litter(work / "exp") == []


def test_a_lock_left_by_a_killed_process_does_not_block(work, reference):
    folder = work / "reference"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (folder / ".sendsim.lock").write_text("")
    (folder / ".sendsim.lock.json").write_text(json.dumps(
        {"pid": dead.pid, "host": "elsewhere", "started": "2026-01-01T00:00:00"}))
    (folder / "reps" / ".sendsim-tmp-vm-999999-deadbeef.parquet").write_bytes(b"half")
    done = subprocess.run([sys.executable, "-m", "sendsim", "summarise", "reference"], cwd=work,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert litter(folder) == []                        # the dead writer's litter is swept
    again = subprocess.run([sys.executable, "-m", "sendsim", "run", "council.toml", "--reps",
                            REPS, "--seed", "11", "--out", "reference", *RUN], cwd=work,
                           capture_output=True, text=True)
    assert again.returncode == 0, again.stderr         # resumes: nothing left to run


def test_summarise_is_refused_while_a_run_holds_the_folder(work, reference):
    proc = sendsim(["run", "council.toml", "--reps", REPS, "--seed", "11", "--out", "exp", *RUN],
                   work)
    wait_for(lambda: (work / "exp" / ".sendsim.lock.json").exists(), proc=proc)
    done = subprocess.run([sys.executable, "-m", "sendsim", "summarise", "exp"], cwd=work,
                          capture_output=True, text=True)
    still_running = proc.poll() is None
    proc.kill()
    proc.communicate(timeout=60)
    assert still_running, "the run ended before summarise was tried: not a test"
    assert done.returncode == 2, done.stderr
    assert "another sendsim is writing" in done.stderr


def test_killed_report_leaves_nothing(work, reference):
    """Killed while Chromium prints: no report, nothing beside it, and the next report sweeps
    the browser folder the dead one left in the temporary directory."""
    from sendsim.reports.pdf import find_chromium
    try:
        find_chromium()
    except Exception as exc:   # the README's test set-up installs Chromium; without it, fail
        pytest.fail(f"{exc}")
    reports = work / "reports"
    reports.mkdir()
    results_before = {p: hashlib.sha256(p.read_bytes()).hexdigest()
                      for p in (work / "reference").rglob("*") if p.is_file()}
    tmp = Path(tempfile.gettempdir())
    before_tmp = {p.name for p in tmp.glob(".sendsim-chromium-*")}
    proc = sendsim(["report", "reference", "--out", "reports/r.pdf"], work)
    wait_for(lambda: {p.name for p in tmp.glob(".sendsim-chromium-*")} - before_tmp, proc=proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    time.sleep(0.5)
    assert tree(reports) == []
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (work / "reference").rglob("*")
            if p.is_file()} == results_before             # results untouched
    done = subprocess.run([sys.executable, "-m", "sendsim", "report", "reference", "--out",
                           "reports/r.pdf"], cwd=work, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert tree(reports) == ["r.pdf"]
    left = {p.name for p in tmp.glob(".sendsim-chromium-*")} - before_tmp
    assert left == set(), f"browser folders left in {tmp}: {left}"


def test_killed_calibration_leaves_nothing(work, shared_data):
    out = work / "councils"
    out.mkdir()
    proc = sendsim(["calibrate", "--la", "Rutland", "--origin", "2023-01", "--out",
                    "councils/rutland.toml", "--data", str(shared_data)], work)
    wait_for(lambda: "calibrating" in _peek(proc), seconds=120, proc=proc)
    time.sleep(3)                                      # inside the fit
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert tree(out) == []
    assert tree(work) == sorted(["council.toml", "councils"])


def _peek(proc: subprocess.Popen) -> str:
    """What the process has printed so far (non-blocking)."""
    import select
    text = getattr(proc, "_seen", "")
    while select.select([proc.stdout], [], [], 0)[0]:
        line = proc.stdout.readline()
        if not line:
            break
        text += line
    proc._seen = text
    return text
