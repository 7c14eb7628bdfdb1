"""Finding the shared data folder and reading its CSV files faithfully.

Published statistics mark cells they cannot give: ``x`` not available, ``z`` not applicable,
``c`` suppressed. Those cells (and blanks) are read as missing (NaN), never as 0, so a sum over
them is visibly incomplete rather than silently low. Every error names the file and the column
(`DataFileError`, an `InputError`: the command line prints it on one line and exits 2).

`find_data_dir` finds the data folder: ``--data DIR``, then ``$SENDSIM_DATA``, then
``./shared/data`` and ``../shared/data`` relative to the working folder; never a folder inside
or beside the installed package.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from sendsim.errors import InputError

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

#: The folders of the shared data folder (see its README.md). A folder holding none of them is
#: not the data folder, whatever it is called: it is refused rather than read as "no data".
EXPECTED_SUBFOLDERS: tuple[str, ...] = (
    "dfe_ehcp_2025_release", "dfe_ehcp_2022_release", "dfe_statistical_neighbours",
    "esfa_dsg_allocations", "dfe_send_ap_inclusion_dashboard", "dfe_lait",
    "ons_snpp_2022based", "s251_high_needs_net_derived",
)

#: What to do when no data folder is found or the one given is not it.
HOW_TO_POINT = (f"pass --data DIR (or data_dir=DIR) or set {ENV_VAR}=DIR to the folder holding "
                "the published statistics (dfe_ehcp_2025_release/, dfe_ehcp_2022_release/, ...), "
                "or run sendsim from a folder with shared/data in it or beside it")


def _reduce(self):
    """Exceptions cross process pools by pickling: rebuild from the constructor's arguments."""
    return (type(self), (self.what, self.path, self.allowed))


class DataDirError(InputError, FileNotFoundError):
    """The shared data folder could not be found, or the folder given is not it."""

    def __init__(self, message: str, path: str | Path | None = None, allowed: str = HOW_TO_POINT):
        self.path = Path(path) if path is not None else None
        super().__init__("" if path is None else str(path), message, allowed)

    __reduce__ = _reduce


class DataFileError(InputError, ValueError):
    """A data file, or a column or row in it, is missing or unusable."""

    def __init__(self, message: str, path: str | Path | None = None, allowed: str = ""):
        self.path = Path(path) if path is not None else None
        super().__init__("" if path is None else str(path), message, allowed)

    __reduce__ = _reduce


def candidate_data_dirs() -> list[Path]:
    """Where `find_data_dir` looks when no folder is given and $SENDSIM_DATA is unset, in order:
    ``./shared/data`` and ``../shared/data`` relative to the current working directory. Never a
    folder inside or relative to the installed package: an installed sendsim holds no data."""
    try:
        cwd = Path.cwd()
    except OSError:          # the working folder was deleted under us
        return []
    seen: list[Path] = []
    for p in (cwd / "shared" / "data", cwd.parent / "shared" / "data"):
        if p not in seen:
            seen.append(p)
    return seen


def looks_like_data_dir(path: str | Path) -> bool:
    """A folder holding at least one of `EXPECTED_SUBFOLDERS`."""
    p = Path(path)
    return p.is_dir() and any((p / name).is_dir() for name in EXPECTED_SUBFOLDERS)


def _problem(p: Path) -> str | None:
    """Why `p` is not the data folder (None if it is)."""
    if not p.exists():
        return "does not exist"
    if not p.is_dir():
        return "is a file, not a folder"
    if not looks_like_data_dir(p):
        return ("holds none of the expected subfolders ("
                + ", ".join(EXPECTED_SUBFOLDERS[:3]) + ", ...)")
    return None


def find_data_dir(explicit: str | Path | None = None) -> Path:
    """The shared data folder, looked for in this order:

    1. `explicit` (the command line's ``--data DIR``, a reader's ``data_dir``);
    2. the environment variable ``SENDSIM_DATA``;
    3. ``./shared/data`` and 4. ``../shared/data`` relative to the current working directory.

    A folder given by 1 or 2 that does not exist, is a file, or holds none of
    `EXPECTED_SUBFOLDERS` is refused (DataDirError naming it and where it came from), not
    passed over. 3 and 4 are used only if they look like the data folder. When nothing is
    found, DataDirError lists every place looked, in order, and how to point sendsim at the data.
    """
    if explicit is not None and str(explicit) != "":
        p = Path(explicit).expanduser()
        why = _problem(p)
        if why is None:
            return p.resolve()
        raise DataDirError(f"the data folder given explicitly (--data) {why}", p,
                           "give the folder holding the published statistics "
                           "(dfe_ehcp_2025_release/, dfe_ehcp_2022_release/, ...), or leave "
                           f"--data out to use ${ENV_VAR}, ./shared/data or ../shared/data")
    env = os.environ.get(ENV_VAR)
    if env:
        p = Path(env).expanduser()
        why = _problem(p)
        if why is None:
            return p.resolve()
        raise DataDirError(f"the data folder from ${ENV_VAR} {why}", p,
                           f"set {ENV_VAR} to the folder holding the published statistics "
                           "(dfe_ehcp_2025_release/, ...), or unset it to use ./shared/data or "
                           "../shared/data; or pass --data DIR")
    tried = candidate_data_dirs()
    looked = ["--data (not given)", f"${ENV_VAR} (not set)"]
    for p in tried:
        why = _problem(p)
        if why is None:
            return p.resolve()
        looked.append(f"{p} ({why})")
    if not tried:
        looked.append("./shared/data and ../shared/data (the working folder no longer exists)")
    raise DataDirError("no published data folder found: looked, in order, at "
                       + ", ".join(f"({i}) {t}" for i, t in enumerate(looked, 1)), None)


def checkout_data_dir(explicit: str | Path | None, checkout: str | Path | None) -> Path | str | None:
    """The data folder for a script of a checkout (``calibration/``, ``experiments/``), to
    pass to `find_data_dir`: `explicit` (--data), else None when $SENDSIM_DATA is set (the
    finder reads it), else ``shared/data`` beside the `checkout` folder (so the script runs from
    any working folder), else None (the finder's search, and its refusal listing where it looked)."""
    if explicit:
        return explicit
    if os.environ.get(ENV_VAR) or checkout is None:
        return None
    beside = Path(checkout).parent / "shared" / "data"
    return beside if beside.is_dir() else None


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
    except pd.errors.EmptyDataError:
        raise DataFileError("is empty (not even a header row)", path,
                            "download it again: a published table has a header and rows") from None
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


def require_rows(df: pd.DataFrame, path: str | Path | None) -> None:
    """DataFileError if the table has a header but no rows."""
    if len(df) == 0:
        raise DataFileError("has no rows (only a header): the table is empty", path,
                            "download it again, or remove it if it is not needed")


def require_figures(df: pd.DataFrame, columns: Iterable[str], path: str | Path | None,
                    whose: str = "", *, each: bool = False) -> None:
    """DataFileError if every cell of `columns` in `df` is missing (x, z, c or blank): a fully
    suppressed table (or a council's fully suppressed rows) gives no figure to use. With
    `each`, a single column with no figure in any row is refused too, naming it (a reader's
    required column suppressed in the whole file). `whose` names the rows
    (" for Isles of Scilly (E06000053, 420)")."""
    cols = [c for c in columns if c in df.columns]
    if not cols or len(df) == 0:
        return
    empty = [c for c in cols if not df[c].notna().any()]
    if empty == cols or (each and empty):
        raise DataFileError(f"every cell of column(s) {', '.join(empty)}{whose} is x, z, c or "
                            "blank: the figures are suppressed or not published", path)


def number(value, what: str, path: str | Path | None) -> float:
    """A single published figure that must be present (not x/z/c)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        raise DataFileError(f"{what} is missing (x, z, c or blank)", path)
    return float(value)
