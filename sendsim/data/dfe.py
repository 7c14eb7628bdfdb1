"""Readers for DfE's "Education, health and care plans" statistics (SEN2), any local authority.

2025 release (``dfe_ehcp_2025_release/``), one row per year:

- `caseload`: EHC plans at each January census by placement (``time_period`` "202223" is the
  January 2023 census), and `caseload_by_setting` mapped to the model's settings.
- `new_plans`, `new_plans_by_age`: new plans in each calendar year by placement (and by age
  when the plan started, 2022 only up to the 2022 data).
- `requests`, `assessments`, `timeliness`, `ceased_plans`: calendar-year flows.

2022 release (``dfe_ehcp_2022_release/``): `caseload_by_age` (January 2010-2022, five DfE age
groups) and `sen2_mi` (the old aggregate return: requests, refusals, plans issued, assessments
still in progress at 31 December, discontinued plans, mainstream/special transfers, 2014-2021).

Each function takes the council (new code, old code or name) and the data folder (default: see
`sendsim.data.files.find_data_dir`) and returns a DataFrame indexed by ``time_period`` (text).
Missing cells (x, z, c) are NaN. A file that is empty (a header, no rows), or whose value
columns are x, z, c or blank in every row (for the whole file or for the council), is refused
(`DataFileError` naming the file, the columns and the council).
"""

from __future__ import annotations

import pandas as pd

from sendsim.codes import AGE_BANDS
from sendsim.data.files import DataFileError, data_file, read_csv, require_figures, require_rows
from sendsim.data.la import la_rows, local_authority
from sendsim.data.placements import age_band_of_label, map_to_settings

R2025 = "dfe_ehcp_2025_release"
R2022 = "dfe_ehcp_2022_release"


def _table(la, data_dir, relative: str, columns: tuple[str, ...], *, topic: str | None = None,
           by: str = "new_la_code") -> pd.DataFrame:
    council = local_authority(la, data_dir)
    path = data_file(data_dir, relative)
    df = read_csv(path, columns=columns + ("time_period",))
    require_rows(df, path)
    values = [c for c in columns if c not in ("breakdown", "characteristic_age")]
    require_figures(df, values, path, each=True)      # a column suppressed in the whole file
    rows = la_rows(df, council, path, by=by)
    if topic is not None:
        if "breakdown_topic" not in rows.columns:
            raise DataFileError("missing column breakdown_topic", path)
        rows = rows[rows["breakdown_topic"] == topic]
        if rows.empty:
            raise DataFileError(f"no rows with breakdown_topic '{topic}' for {council}", path)
    require_figures(rows, values, path, f" for {council}")     # the council's rows suppressed
    rows = rows.sort_values("time_period", kind="stable")
    rows.attrs["path"] = str(path)
    rows.attrs["council"] = council
    return rows


def _by_period(rows: pd.DataFrame) -> pd.DataFrame:
    if rows["time_period"].duplicated().any():
        raise DataFileError("more than one row per time_period (expected one)", rows.attrs.get("path"))
    out = rows.set_index("time_period")
    out.attrs.update(rows.attrs)
    return out


# -- 2025 release ------------------------------------------------------------------------------

def caseload(la, data_dir=None) -> pd.DataFrame:
    """EHC plans at each January census (all placement columns), indexed by time_period."""
    return _by_period(_table(la, data_dir, f"{R2025}/caseload.csv.gz", ("ehcplans",),
                             topic="All EHC plans"))


def caseload_by_setting(la, data_dir=None, *, strict: bool = True) -> pd.DataFrame:
    """January caseload by model setting (see `sendsim.data.placements`), plus ``total``."""
    raw = caseload(la, data_dir)
    out = map_to_settings(raw, "ehcplans", path=raw.attrs.get("path"), strict=strict)
    out.attrs.update(raw.attrs)
    return out


def new_plans(la, data_dir=None) -> pd.DataFrame:
    """New EHC plans each calendar year by placement, indexed by time_period."""
    return _by_period(_table(la, data_dir, f"{R2025}/newplans.csv.gz", ("new_ehc_plans",),
                             topic="New EHC plans"))


def new_plans_by_setting(la, data_dir=None, *, strict: bool = True) -> pd.DataFrame:
    raw = new_plans(la, data_dir)
    out = map_to_settings(raw, "new_ehc_plans", path=raw.attrs.get("path"), strict=strict)
    out.attrs.update(raw.attrs)
    return out


def new_plans_by_age(la, data_dir=None) -> pd.DataFrame:
    """New plans by age when the plan started ("Age when plan started" rows), with columns
    ``age_label`` and ``age_band`` added; one row per (time_period, age)."""
    rows = _table(la, data_dir, f"{R2025}/newplans.csv.gz", ("new_ehc_plans", "breakdown"),
                  topic="Age when plan started")
    rows = rows.copy()
    rows["age_label"] = rows["breakdown"]
    rows["age_band"] = rows["breakdown"].map(age_band_of_label)
    return rows.reset_index(drop=True)


def new_plans_by_age_and_setting(la, data_dir=None, *, strict: bool = True) -> pd.DataFrame:
    """`new_plans_by_age` mapped to settings: columns time_period, age_label, age_band,
    SETTINGS..., total."""
    raw = new_plans_by_age(la, data_dir)
    mapped = map_to_settings(raw, "new_ehc_plans", path=raw.attrs.get("path"), strict=strict)
    out = pd.concat([raw[["time_period", "age_label", "age_band"]], mapped], axis=1)
    out.attrs.update(raw.attrs)
    return out


def requests(la, data_dir=None) -> pd.DataFrame:
    """Requests for an EHC needs assessment each calendar year (received, refused, ...)."""
    return _by_period(_table(la, data_dir, f"{R2025}/requests.csv.gz",
                             ("requests_received_in_year", "requests_decided_not_to_assess"),
                             topic="All requests for EHC needs assessments"))


def assessments(la, data_dir=None) -> pd.DataFrame:
    """EHC needs assessments each calendar year (plan issued / not issued, ...)."""
    return _by_period(_table(la, data_dir, f"{R2025}/assessments.csv.gz",
                             ("assess_issued", "assess_not_issued"),
                             topic="All EHC needs assessments"))


def timeliness(la, data_dir=None) -> pd.DataFrame:
    """Plans issued each calendar year and the share within 20 weeks."""
    return _by_period(_table(la, data_dir, f"{R2025}/timeliness_20_week.csv.gz",
                             ("plans_issued_den", "plans_issued_within_20_weeks",
                              "pc_plans_issued_within_20_weeks"),
                             topic="All EHC plans issued"))


def ceased_plans(la, data_dir=None) -> pd.DataFrame:
    """Plans ceased each calendar year, by reason (columns named as `codes.CEASE_REASONS`)."""
    return _by_period(_table(la, data_dir, f"{R2025}/ceased_plans.csv.gz",
                             ("max_age", "needs_met", "he", "employ", "transfer", "no_engage",
                              "moved_outside_eng", "deceased", "total_ceased"),
                             topic="All ceased EHC plans"))


# -- 2022 release ------------------------------------------------------------------------------

def caseload_by_age(la, data_dir=None) -> pd.DataFrame:
    """Statements and EHC plans at each January census (2010-2022) by DfE age group: index
    time_period (the census year, "2022" = January 2022), columns AGE_BANDS and ``total``."""
    every = _table(la, data_dir, f"{R2022}/sen2_age_caseload.csv.gz",
                   ("characteristic_age", "Total_all"))
    path = every.attrs["path"]
    totals = every[every["characteristic_age"] == "Total"].set_index("time_period")["Total_all"]
    rows = every[every["characteristic_age"] != "Total"].copy()
    rows["age_band"] = rows["characteristic_age"].map(age_band_of_label)
    wide = rows.pivot(index="time_period", columns="age_band", values="Total_all")
    wide = wide.reindex(columns=list(AGE_BANDS))
    wide["total"] = totals.reindex(wide.index)
    wide.attrs["path"] = path
    return wide


def sen2_mi(la, data_dir=None) -> pd.DataFrame:
    """The SEN2 management-information return, 2014-2021, indexed by calendar year."""
    return _by_period(_table(la, data_dir, f"{R2022}/sen2_mi.csv.gz",
                             ("InreqEHC", "AssRefusedEHC", "NewallEHC", "AssnoneEHC",
                              "AssnodecisionEHC")))


def value(df: pd.DataFrame, period: str, column: str) -> float:
    """One published figure, which must exist and be present (not x/z/c)."""
    path = df.attrs.get("path")
    if column not in df.columns:
        raise DataFileError(f"missing column {column}", path)
    if period not in df.index:
        raise DataFileError(f"no row for time_period {period} (have {', '.join(map(str, df.index))})",
                            path)
    v = df.at[period, column]
    if pd.isna(v):
        raise DataFileError(f"{column} for {period} is missing (x, z, c or blank)", path)
    return float(v)
