"""Local authority identity: one council named by its new code, old code or name.

Files disagree on how they name a council: DfE's EHC plan files carry all three, ESFA's DSG
tables the old (three-digit) code, ONS and the s251 table the new code, some dashboard tables
only the name. `local_authority` resolves any of them against DfE's caseload file.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sendsim.data.files import DataFileError, data_file, read_csv

#: The file whose local-authority rows define the list of councils.
REGISTER = "dfe_ehcp_2025_release/caseload.csv.gz"

#: How a council may be named (the `allowed` part of a refusal).
ALLOWED_KEYS = ("give a council's name as DfE spells it, its new code (E06000054) or its old "
                "code (865)")

#: Columns that hold council names rather than codes.
NAME_COLUMNS = ("la_name", "LA and Regions", "AREA_NAME")


class UnknownCouncilError(DataFileError):
    """No council in DfE's register matches the name or code given."""


class AmbiguousCouncilError(DataFileError):
    """A code that names councils of different names."""


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

    Refused (DataFileError naming the register file and the council): a key matching no
    council (the message lists the closest names), and a code matching councils of different
    names (the file's codes are then not a council's identity: give the name or the new code).
    """
    if isinstance(la, LocalAuthority):
        return la
    path = data_file(data_dir, REGISTER)
    df = read_csv(path, columns=("geographic_level", "new_la_code", "old_la_code", "la_name"))
    if df.empty:
        raise UnknownCouncilError(f"has no rows (only a header): cannot look up council '{la}'",
                                  path, "download the table again")
    rows = df[df["geographic_level"] == "Local authority"]
    if rows.empty:
        raise UnknownCouncilError("no 'Local authority' rows in column geographic_level: "
                                  f"cannot look up council '{la}'", path)
    if latest and "time_period" in rows.columns:
        rows = rows.sort_values("time_period", ascending=False, kind="stable")
    rows = rows[["la_name", "new_la_code", "old_la_code"]].drop_duplicates().dropna()
    key = _clean_code(la)
    by_code = rows[(rows["new_la_code"].str.upper() == key.upper())
                   | (rows["old_la_code"].map(_clean_code) == key)]
    hit = by_code if not by_code.empty else rows[rows["la_name"].str.casefold() == key.casefold()]
    if hit.empty:
        near = close_names(key, rows["la_name"].unique())
        hint = f"; closest names: {', '.join(near)}" if near else "; no name is close"
        raise UnknownCouncilError(f"no local authority '{la}' in column la_name/new_la_code/"
                                  f"old_la_code{hint}", path, ALLOWED_KEYS)
    if not by_code.empty and hit["la_name"].str.casefold().nunique() > 1:
        which = "; ".join(f"{r.la_name} ({r.new_la_code}, {_clean_code(r.old_la_code)})"
                          for r in hit.itertuples())
        raise AmbiguousCouncilError(f"council code '{la}' is ambiguous: it names {which} in "
                                    "columns new_la_code/old_la_code", path,
                                    "give the council's name or its new code")
    first = hit.iloc[0]
    return LocalAuthority(name=str(first["la_name"]), new_code=str(first["new_la_code"]),
                          old_code=_clean_code(first["old_la_code"]))


def close_names(key: str, names, n: int = 5) -> list[str]:
    """Council names closest to `key`: those containing it (or it them), then difflib's."""
    names = sorted({str(x) for x in names})
    folded = {x.casefold(): x for x in names}
    k = str(key).strip().casefold()
    if not k:
        return []
    inside = [x for x in names if k in x.casefold() or (len(x) > 3 and x.casefold() in k)]
    fuzzy = [folded[m] for m in difflib.get_close_matches(k, list(folded), n=n, cutoff=0.6)]
    out: list[str] = []
    for x in inside + fuzzy:
        if x not in out:
            out.append(x)
    return out[:n]


def la_rows(df: pd.DataFrame, la: LocalAuthority, path, *, by: str = "new_la_code") -> pd.DataFrame:
    """The rows of `df` for `la`, matched on column `by` (a code column holding new or old
    codes, or a name column); DataFileError if there are none."""
    if by not in df.columns:
        raise DataFileError(f"missing column {by}", path)
    if df.empty:
        raise DataFileError(f"no rows to look in for {la} (the table is empty, or has no rows "
                            "of the kind needed)", path, "download the table again")
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
