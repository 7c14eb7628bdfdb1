"""Finding the shared data folder and reading its CSV files faithfully.

Published statistics mark cells they cannot give: ``x`` not available, ``z`` not applicable,
``c`` suppressed. Those cells (and blanks) are read as missing (NaN), never as 0, so a sum over
them is visibly incomplete rather than silently low. Every error names the file and the column.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

#: Cell values that mean "no figure" in DfE, ESFA and ONS files.
MISSING_MARKERS: frozenset[str] = frozenset({"", "x", "z", "c"})

#: Columns that look numeric but are identifiers or labels: kept as text.
ID_COLUMNS: frozenset[str] = frozenset({
    "time_period", "time_identifier", "geographic_level", "country_code", "country_name",
    "region_code", "region_name", "new_la_code", "old_la_code", "la_name", "la_code",
    "breakdown_topic", "breakdown", "financial_year", "fy_label", "academic_year",
    "AREA_CODE", "AREA_NAME", "COMPONENT", "SEX", "AGE_GROUP", "LA Number", "Years",
    "year", "characteristic_age", "establishment_type", "establishment_group",
})

ENV_VAR = "SENDSIM_DATA"


class DataDirError(FileNotFoundError):
    """The shared data folder could not be found."""


class DataFileError(ValueError):
    """A data file, or a column or row in it, is missing or unusable."""

    def __init__(self, message: str, path: str | Path | None = None):
        self.path = Path(path) if path is not None else None
        super().__init__(f"{path}: {message}" if path is not None else message)


def repo_root() -> Path:
    """The checkout that holds the ``sendsim`` package."""
    return Path(__file__).resolve().parents[2]


def candidate_data_dirs() -> list[Path]:
    """Where `find_data_dir` looks when no folder is given and SENDSIM_DATA is unset."""
    seen: list[Path] = []
    for base in (repo_root(), Path.cwd()):
        p = (base.parent / "shared" / "data").resolve()
        if p not in seen:
            seen.append(p)
    return seen


def find_data_dir(explicit: str | Path | None = None) -> Path:
    """The shared data folder: `explicit`, else $SENDSIM_DATA, else ../shared/data beside the
    repository root or the current directory. Raises DataDirError saying where it looked."""
    if explicit is not None:
        p = Path(explicit).expanduser()
        if p.is_dir():
            return p.resolve()
        raise DataDirError(f"data folder {p} (given explicitly) does not exist")
    env = os.environ.get(ENV_VAR)
    if env:
        p = Path(env).expanduser()
        if p.is_dir():
            return p.resolve()
        raise DataDirError(f"data folder {p} (from ${ENV_VAR}) does not exist")
    tried = candidate_data_dirs()
    for p in tried:
        if p.is_dir():
            return p
    looked = ", ".join(str(p) for p in tried)
    raise DataDirError(f"no shared data folder found: set ${ENV_VAR} or pass a folder; "
                       f"looked in {looked}")


def data_file(data_dir: str | Path | None, relative: str) -> Path:
    """Path of one file in the data folder; DataFileError if it is not there."""
    path = find_data_dir(data_dir) / relative
    if not path.is_file():
        raise DataFileError("file not found", path)
    return path


def read_csv(path: str | Path, *, columns: Iterable[str] = (),
             id_columns: Iterable[str] = ()) -> pd.DataFrame:
    """Read a CSV (optionally .gz) with x/z/c/blank cells as NaN.

    Identifier columns (`ID_COLUMNS` plus `id_columns`) stay text; every other column whose
    non-missing cells all parse as numbers becomes float. `columns` must all be present, else
    DataFileError naming the file and the missing columns.
    """
    path = Path(path)
    if not path.is_file():
        raise DataFileError("file not found", path)
    stat = path.stat()
    table = _parsed(str(path.resolve()), stat.st_mtime_ns, stat.st_size,
                    tuple(sorted(set(id_columns))))
    require_columns(table, columns, path)
    return table.copy()


@functools.lru_cache(maxsize=32)
def _parsed(path: str, mtime_ns: int, size: int, id_columns: tuple[str, ...]) -> pd.DataFrame:
    """Parse once per file version (back-tests read the same national files for every council)."""
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[],
                          encoding="utf-8-sig", compression=_compression(path))
    except (pd.errors.ParserError, UnicodeDecodeError, EOFError, OSError) as exc:
        raise DataFileError(f"cannot be read as CSV ({exc})", path) from None
    raw.columns = [str(c).strip() for c in raw.columns]
    keep_text = ID_COLUMNS | set(id_columns)
    out = {}
    for col in raw.columns:
        text = raw[col].astype(object).map(lambda v: v.strip() if isinstance(v, str) else v)
        text = text.where(~text.isin(sorted(MISSING_MARKERS)), np.nan)
        if col in keep_text:
            out[col] = text
            continue
        numbers = pd.to_numeric(text, errors="coerce")
        if (numbers.isna() == text.isna()).all():
            out[col] = numbers.astype(float)
        else:
            out[col] = text
    return pd.DataFrame(out, index=raw.index)


def _compression(path: str) -> str | None:
    """Gzip by content, not by name: a downloaded ``name.csv`` may be gzipped and a
    ``name.csv.gz`` may be plain text."""
    try:
        with open(path, "rb") as f:
            return "gzip" if f.read(2) == b"\x1f\x8b" else None
    except OSError as exc:
        raise DataFileError(f"cannot be opened ({exc})", path) from None


def require_columns(df: pd.DataFrame, columns: Iterable[str], path: str | Path | None) -> None:
    """DataFileError naming the file and every required column it lacks."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataFileError(f"missing column(s) {', '.join(missing)}", path)


def number(value, what: str, path: str | Path | None) -> float:
    """A single published figure that must be present (not x/z/c)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        raise DataFileError(f"{what} is missing (x, z, c or blank)", path)
    return float(value)
