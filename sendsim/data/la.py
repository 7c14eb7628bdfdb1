"""Local authority identity: one council named by its new code, old code or name.

Files disagree on how they name a council: DfE's EHC plan files carry all three, ESFA's DSG
tables the old (three-digit) code, ONS and the s251 table the new code, some dashboard tables
only the name. `local_authority` resolves any of them against DfE's caseload file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .files import DataFileError, data_file, read_csv

#: The file whose local-authority rows define the list of councils.
REGISTER = "dfe_ehcp_2025_release/caseload.csv.gz"

#: Columns that hold council names rather than codes.
NAME_COLUMNS = ("la_name", "LA and Regions", "AREA_NAME")


@dataclass(frozen=True)
class LocalAuthority:
    name: str          # "Wiltshire"
    new_code: str      # "E06000054"
    old_code: str      # "865"

    def __str__(self) -> str:
        return f"{self.name} ({self.new_code}, {self.old_code})"


def _clean_code(value) -> str:
    s = str(value).strip()
    return s[:-2] if s.endswith(".0") else s


def local_authority(la: "str | int | LocalAuthority", data_dir: str | Path | None = None,
                    *, latest: bool = False) -> LocalAuthority:
    """The council named by `la`: new code ("E06000054"), old code (865 or "865") or name
    ("Wiltshire", any case).

    A name or old code can have named more than one council (Dorset: the county to 2019, the
    unitary from 2019; Buckinghamshire 825 was recoded in 2020). By default the first row in
    the register wins (the oldest); `latest` picks the council of the most recent census.
    """
    if isinstance(la, LocalAuthority):
        return la
    path = data_file(data_dir, REGISTER)
    df = read_csv(path, columns=("geographic_level", "new_la_code", "old_la_code", "la_name"))
    rows = df[df["geographic_level"] == "Local authority"]
    if latest and "time_period" in rows.columns:
        rows = rows.sort_values("time_period", ascending=False, kind="stable")
    rows = rows[["la_name", "new_la_code", "old_la_code"]].drop_duplicates().dropna()
    key = _clean_code(la)
    hit = rows[(rows["new_la_code"].str.upper() == key.upper())
               | (rows["old_la_code"].map(_clean_code) == key)
               | (rows["la_name"].str.casefold() == key.casefold())]
    if hit.empty:
        near = sorted(n for n in rows["la_name"].unique() if key.casefold()[:4] in n.casefold())
        hint = f"; similar names: {', '.join(near[:5])}" if near else ""
        raise DataFileError(f"no local authority '{la}' in column la_name/new_la_code/"
                            f"old_la_code{hint}", path)
    first = hit.iloc[0]
    return LocalAuthority(name=str(first["la_name"]), new_code=str(first["new_la_code"]),
                          old_code=_clean_code(first["old_la_code"]))


def la_rows(df: pd.DataFrame, la: LocalAuthority, path, *, by: str = "new_la_code") -> pd.DataFrame:
    """The rows of `df` for `la`, matched on column `by` (a code column holding new or old
    codes, or a name column); DataFileError if there are none."""
    if by not in df.columns:
        raise DataFileError(f"missing column {by}", path)
    col = df[by].astype(object)
    if by in NAME_COLUMNS:
        want = la.name
        match = col.map(lambda v: v.strip().casefold() if isinstance(v, str) else v) == want.casefold()
    else:   # a code column: files use either the new (E06000054) or the old (865) code
        want = f"{la.new_code}' or '{la.old_code}"
        match = col.map(lambda v: v if pd.isna(v) else _clean_code(v).upper()).isin(
            [la.new_code.upper(), la.old_code])
    out = df[match.fillna(False).astype(bool)]
    if out.empty:
        raise DataFileError(f"no rows for {la} in column {by} (looked for '{want}')", path)
    return out
