"""Writing a run's tables to a folder: all or nothing, never over earlier results unasked."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path


class OutputExistsError(FileExistsError):
    pass


def write_folder(out: Path, writers: dict, overwrite: bool = False) -> Path:
    """Write each file via `writers[name](path)` into a temporary folder, then move it to `out`.

    A failure leaves nothing at `out` (and an existing `out` untouched); an existing non-empty
    `out` is replaced only with `overwrite=True`.
    """
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not overwrite:
        raise OutputExistsError(
            f"{out} already exists and is not empty; choose another --out or pass --overwrite")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for name, write in writers.items():
            write(tmp / name)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if out.exists():
        old = out.with_name(f".{out.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        out.rename(old)
        tmp.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        tmp.rename(out)
    return out


def write_ensemble(ens, out: Path, summary_table, summary_text: str, chart=None,
                   overwrite: bool = False) -> Path:
    def csv(df):
        return lambda p: df.to_csv(p, index=False)

    writers = {f"{name}.csv": csv(getattr(ens, name))
               for name in ens.NAMES}
    writers["summary.csv"] = csv(summary_table)
    writers["summary.txt"] = lambda p: p.write_text(summary_text + "\n", encoding="utf-8")
    writers["provenance.json"] = lambda p: p.write_text(
        json.dumps(ens.provenance, indent=2, default=str), encoding="utf-8")
    if chart is not None:
        writers["chart.png"] = chart
    return write_folder(out, writers, overwrite=overwrite)
