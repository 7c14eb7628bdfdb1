"""Shares of pupils with SEN: the SEND and AP dashboard and DfE's LAIT rows.

- `percent_pupils`: % of pupils on SEN support or with an EHC plan, by academic year
  ("202223" = January 2023 census), from the dashboard's ``percent_pupils_ehcp`` table.
- `lait_sen_support_by_phase`: LAIT's % of primary and of secondary pupils on SEN support
  (without a statement or plan), by census year ("2022" = January 2022).
"""

from __future__ import annotations

import pandas as pd

from sendsim.data.files import DataFileError, data_file, read_csv
from sendsim.data.la import la_rows, local_authority

PERCENT_PUPILS = "dfe_send_ap_inclusion_dashboard/percent_pupils_ehcp_3LAs.csv"
LAIT = "dfe_lait/lait_sen_measures_3LAs.csv"


def percent_pupils(la, provision: str = "SEN support", data_dir=None) -> pd.Series:
    """% of pupils with `provision` ("SEN support" or "EHC plan"), index time_period text."""
    council = local_authority(la, data_dir)
    path = data_file(data_dir, PERCENT_PUPILS)
    df = read_csv(path, columns=("time_period", "new_la_code", "SEN provision", "% of pupils"))
    rows = la_rows(df, council, path, by="new_la_code")
    rows = rows[rows["SEN provision"].str.casefold() == provision.casefold()]
    if rows.empty:
        raise DataFileError(f"no '{provision}' rows in column 'SEN provision' for {council}", path)
    periods = [str(t)[:-2] if str(t).endswith(".0") else str(t) for t in rows["time_period"]]
    out = pd.Series(rows["% of pupils"].values, index=periods, name=provision).sort_index()
    out.attrs["path"] = str(path)
    return out


def lait_sen_support_by_phase(la, data_dir=None) -> pd.DataFrame:
    """% of pupils on SEN support in primary and secondary schools (LAIT ``PrimNoStatements``,
    ``SecNoStatements``): index census year text, columns ``primary`` and ``secondary``."""
    council = local_authority(la, data_dir)
    path = data_file(data_dir, LAIT)
    df = read_csv(path, columns=("Short Desc", "Years", "LA and Regions", "Values", "LA Number"),
                  id_columns=("Short Desc", "Values"))
    rows = la_rows(df, council, path, by="LA and Regions")
    out = {}
    for phase, code in (("primary", "PrimNoStatements"), ("secondary", "SecNoStatements")):
        r = rows[rows["Short Desc"] == code]
        if r.empty:
            raise DataFileError(f"no '{code}' rows in column 'Short Desc' for {council}", path)
        out[phase] = pd.Series(pd.to_numeric(r["Values"], errors="coerce").values,
                               index=r["Years"].astype(str).values)
    table = pd.DataFrame(out).sort_index()
    table.attrs["path"] = str(path)
    return table
