"""ONS subnational population projections (2022-based), persons by single year of age 0-25."""

from __future__ import annotations


import pandas as pd

from sendsim.data.files import DataFileError, find_data_dir, read_csv
from sendsim.data.la import local_authority

FOLDER = "ons_snpp_2022based"
AGES = tuple(range(26))


def population_projection(la, data_dir=None) -> pd.DataFrame:
    """Residents at mid-year by single year of age: index age 0..25, columns years as text
    ("2022" ... "2047"). Reads every CSV in ``ons_snpp_2022based/`` and keeps the council's
    ``Population`` / ``persons`` rows."""
    council = local_authority(la, data_dir)
    folder = find_data_dir(data_dir) / FOLDER
    files = sorted(folder.glob("*.csv")) + sorted(folder.glob("*.csv.gz"))
    if not files:
        raise DataFileError("no CSV files in the ONS projection folder", folder)
    frames = []
    for path in files:
        df = read_csv(path, columns=("AREA_CODE", "COMPONENT", "SEX", "AGE_GROUP"))
        rows = df[(df["AREA_CODE"] == council.new_code)
                  & (df["COMPONENT"].str.casefold() == "population")
                  & (df["SEX"].str.casefold() == "persons")]
        if not rows.empty:
            frames.append((path, rows))
    if not frames:
        raise DataFileError(f"no Population/persons rows for {council} in column AREA_CODE of "
                            f"{', '.join(p.name for p in files)}", folder)
    path, rows = frames[0]
    years = [c for c in rows.columns if c.isdigit() and len(c) == 4]
    if not years:
        raise DataFileError("no year columns (e.g. 2022)", path)
    rows = rows.assign(age=pd.to_numeric(rows["AGE_GROUP"], errors="coerce"))
    table = rows[rows["age"].isin(AGES)].set_index("age")[years].sort_index()
    absent = [a for a in AGES if a not in table.index]
    if absent:
        raise DataFileError(f"ages {absent} missing from column AGE_GROUP for {council}", path)
    if table.isna().any().any():
        bad = [y for y in years if table[y].isna().any()]
        raise DataFileError(f"missing counts in year column(s) {', '.join(bad)} for {council}", path)
    table.index = table.index.astype(int)
    table.attrs["path"] = str(path)
    return table.astype(float)
