"""Summaries and reports vouch for what they summarise (issue 11, point 4).

One small experiment (4 replications in chunks of 2) is run once; each test copies it and
damages the copy in one way a shared drive, a colleague or a crash might, then asks `summarise`
and `report` to use it. Every damage is refused with one line naming the file, and the folder
is left as it was (nothing rewritten).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from sendsim.cli import main
from sendsim.parameters import Parameters
from small_council import small_council


def tree(folder: Path) -> dict[str, str]:
    """Every file under `folder` by relative path -> SHA-256 (the state to compare)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    base = tmp_path_factory.mktemp("integrity")
    params = Parameters.from_dict(small_council()).save(base / "smallshire.toml")
    out = base / "run"
    code = main(["run", str(params), "--reps", "4", "--years", "2", "--seed", "11",
                 "--chunk-size", "2", "--workers", "1", "--out", str(out), "--quiet"])
    assert code == 0
    return out


@pytest.fixture
def copy(made, tmp_path):
    dst = tmp_path / "run"
    shutil.copytree(made, dst)
    return dst


def refused(argv, capsys) -> str:
    """Run the command; assert exit 2 with exactly one `sendsim: ` line; return it."""
    code = main(argv)
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("sendsim: "), err
    assert "Traceback" not in err
    return lines[0]


def both_refuse(folder: Path, tmp_path: Path, capsys, names: str) -> None:
    """summarise and report both refuse `folder`, naming `names`, and change nothing in it."""
    before = tree(folder)
    line = refused(["summarise", str(folder)], capsys)
    assert names in line, line
    line = refused(["report", str(folder), "--out", str(tmp_path / "paper.html")], capsys)
    assert names in line, line
    assert tree(folder) == before, "a refused folder was changed"
    assert not (tmp_path / "paper.html").exists()


def _chunk_files(folder: Path, suffix: str) -> list[Path]:
    return sorted((folder / "reps").rglob(f"chunk-*{suffix}"))


def test_an_intact_folder_summarises_and_reports(copy, tmp_path, capsys):
    # the control: the damage below is what makes the others fail
    assert main(["summarise", str(copy)]) == 0
    assert main(["report", str(copy), "--out", str(tmp_path / "paper.html")]) == 0
    assert (tmp_path / "paper.html").stat().st_size > 10_000


def test_a_deleted_chunk_is_refused_not_summarised_as_fewer(copy, tmp_path, capsys):
    parquet = _chunk_files(copy, ".parquet")
    victim = [p for p in parquet if p.name == "chunk-0000002.parquet"][0]
    victim.unlink()
    both_refuse(copy, tmp_path, capsys, "chunk-0000002.parquet")


def test_a_deleted_chunk_record_is_refused_as_missing_replications(copy, tmp_path, capsys):
    record = [p for p in _chunk_files(copy, ".json") if p.name == "chunk-0000002.json"][0]
    record.unlink()
    both_refuse(copy, tmp_path, capsys, "2 of 4 replications")


def test_a_truncated_parquet_file_is_refused(copy, tmp_path, capsys):
    victim = _chunk_files(copy, ".parquet")[0]
    data = victim.read_bytes()
    victim.write_bytes(data[: len(data) // 2])
    both_refuse(copy, tmp_path, capsys, victim.name)


def test_a_parquet_file_from_another_chunk_is_refused(copy, tmp_path, capsys):
    # same size class, readable Parquet, but not the bytes its record vouches for
    first, second = [p for p in _chunk_files(copy, ".parquet") if "monthly" in str(p)][:2]
    shutil.copyfile(second, first)
    both_refuse(copy, tmp_path, capsys, first.name)


@pytest.mark.parametrize("key, value, names", [
    ("reps", 2, "replications"),                  # fewer believed: would summarise a subset
    ("reps", 8, "replications"),                  # more believed: would claim what is not there
    ("root_seed", 12, "different experiment"),    # the chunks' fingerprint no longer matches
    ("results_format", 1, "format 1"),            # another format: refused, never rewritten
    ("results_format", 2, "format 2"),
    ("sendsim_version", "0.1.0", "0.1.0"),        # another version likewise
], ids=["reps-edited-down", "reps-edited-up", "seed-edited", "format-1", "format-2",
        "other-version"])
def test_an_edited_manifest_is_not_believed(copy, tmp_path, capsys, key, value, names):
    path = copy / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest[key] = value
    path.write_text(json.dumps(manifest), encoding="utf-8")
    both_refuse(copy, tmp_path, capsys, names)


def test_a_broken_manifest_is_refused(copy, tmp_path, capsys):
    (copy / "manifest.json").write_text('{"reps": 4,', encoding="utf-8")
    both_refuse(copy, tmp_path, capsys, "manifest.json")


def test_an_edited_summary_table_is_refused_by_report(copy, tmp_path, capsys):
    table = sorted((copy / "summary").glob("*.csv"))[0]
    text = table.read_text(encoding="utf-8").splitlines()
    cells = text[1].split(",")
    cells[-1] = "0"                       # one figure changed by hand
    text[1] = ",".join(cells)
    table.write_text("\n".join(text) + "\n", encoding="utf-8")
    before = tree(copy)
    line = refused(["report", str(copy), "--out", str(tmp_path / "paper.html")], capsys)
    assert table.name in line and "summarise" in line, line
    assert tree(copy) == before
    # summarise rebuilds the summary from the replications, which vouch for themselves
    assert main(["summarise", str(copy)]) == 0
    assert main(["report", str(copy), "--out", str(tmp_path / "paper.html")]) == 0


def test_summarise_keeps_the_provenance_and_report_text(made, copy, capsys):
    before = (copy / "summary" / "report.txt").read_text(encoding="utf-8")
    prov_before = json.loads((copy / "summary" / "provenance.json").read_text(encoding="utf-8"))
    assert main(["summarise", str(copy)]) == 0
    after = (copy / "summary" / "report.txt").read_text(encoding="utf-8")
    prov_after = json.loads((copy / "summary" / "provenance.json").read_text(encoding="utf-8"))
    assert after == before
    assert "4 replications" in after and "Smallshire" in after
    for key in ("root_seed", "reps", "years", "scenarios", "councils", "chunks_digest",
                "table_sha256"):
        assert prov_after[key] == prov_before[key], key
    assert tree(copy)["manifest.json"] == tree(made)["manifest.json"]


def test_a_folder_that_was_never_finished_is_refused_with_what_to_do(made, tmp_path, capsys):
    # a run stopped after its first chunk: its records say so, and summarise says to finish it
    dst = tmp_path / "run"
    shutil.copytree(made, dst)
    for p in _chunk_files(dst, ""):
        if "chunk-0000002" in p.name:
            p.unlink()
    line = refused(["summarise", str(dst)], capsys)
    assert "2 of 4 replications" in line and "again" in line, line
