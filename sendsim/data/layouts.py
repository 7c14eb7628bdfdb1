"""Every known column layout of DfE's EHC-plan tables, each read into ONE internal schema.

DfE renames and splits columns between releases. A reader written against one release
would either fail obscurely or, worse, silently read a renamed column as absent (0 after a
sum). Here each table has one internal schema (the column names of the release the rest of
the package was written against) and a registry of the layouts it has been published in.
`read_table` identifies the layout from the file's columns and returns the internal schema;
a file matching no layout is refused with the columns that were not recognised and the ones
expected but absent, so a user sees exactly what changed.

Registered layouts and the renames they absorb:

=========================  ==========================  ============================================
table(s)                   layout / release            columns (file -> internal)
=========================  ==========================  ============================================
caseload, newplans         ``2025 release``            as published (internal schema)
caseload, newplans         ``special split``           ``special_academy`` + ``special_free_school``
                           (later releases)            -> ``special_academy_free`` (sum of the parts
                                                       published; NaN only if all are missing)
caseload                   both                        ``ehc_plans`` -> ``ehcplans`` (the spelling
                                                       of the same total in the 2025 release's own
                                                       ``sen_needs_all_plans.csv``)
newplans                   both                        ``ehc_plans`` -> ``new_ehc_plans`` (as in
                                                       ``sen_need_newplans.csv``)
caseload, newplans         both                        ``await_prov_2022``, ``perm_ex_2022`` optional
                                                       (pre-2023 only; a release whose series starts
                                                       in 2023 drops them); ``ukrlp_provider``,
                                                       ``online_provider``, ``w_settings``,
                                                       ``other_schools``, NEET sub-columns optional
                                                       (2023 collection onwards)
assessments                2025 release                ``number_asssess_mediation_tribunal`` (the
                                                       published typo) or the corrected
                                                       ``number_assess_mediation_tribunal``
send_tribunal_appeal_rate  2025 release (HMCTS/DfE     ``year`` -> ``time_period``; name footnote
                           table) or EES standard      digits stripped (``Dorset6``); ``..`` missing,
                                                       ``-`` nil (0: its ``appeal_rate_pc`` is 0.00);
                                                       the ``Sources:`` footer rows dropped
requests, timeliness_20_-  2025 release                as published
week, ceased_plans
sen2_mi, sen2_age_case-    2022 release (SEN2)         as published
load, sen2_age_new_plans,
sen2_estab_caseload,
sen2_estab_new_plans
=========================  ==========================  ============================================

Every layout: column names match case-insensitively (DfE mixes ``AP_PRU_total_pc`` and
``ap_pru_total``), percentage columns are known but not carried (they are derived figures),
and geography/identifier columns (`METADATA_COLUMNS`) are always allowed. Cells ``x``, ``z``,
``c`` and blanks are missing (NaN), never 0 (`sendsim.data.files.read_csv`). A table with rows
but not one figure in any value column (fully suppressed) is refused; one with a header and no
rows reads as no rows (a folder truncated at an origin has such files).

Time periods (`period_year`): caseload-type 2025-release files use academic years
(``202223`` = January 2023 census); SEN2 caseload files use the census year (``2022`` =
January 2022); flow files use calendar years.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

import numpy as np
import pandas as pd

from sendsim.data import placements
from sendsim.data.files import ID_COLUMNS, DataFileError, read_csv

R2025 = "dfe_ehcp_2025_release"
R2022 = "dfe_ehcp_2022_release"

#: Geography, time and breakdown columns: allowed in every layout, carried as text.
METADATA_COLUMNS: frozenset[str] = frozenset({
    "time_period", "time_identifier", "geographic_level", "country_code", "country_name",
    "region_code", "region_name", "new_la_code", "old_la_code", "la_name", "la_code",
    "lad_code", "lad_name", "opendata_id", "breakdown_topic", "breakdown", "year",
    "characteristic_age", "establishment_type", "establishment_group",
}) | ID_COLUMNS

#: How a table's ``time_period`` counts years (see `period_year`).
ACADEMIC, CENSUS, CALENDAR = "academic", "census", "calendar"


@dataclass(frozen=True)
class Table:
    """One DfE table: where it lives, how its years count, and its internal value columns."""
    name: str
    folder: str
    period: str                       # ACADEMIC, CENSUS or CALENDAR
    values: tuple[str, ...]           # internal value columns, in order


@dataclass(frozen=True)
class Layout:
    """One published layout of a table.

    `columns` maps each internal column to its alternatives; an alternative is a tuple of file
    columns summed (one column for a plain rename). `required` internal columns must be found;
    the others are NaN when absent. `ignored` columns are known (percentages) but not carried.
    """
    table: str
    name: str
    release: str
    columns: Mapping[str, tuple[tuple[str, ...], ...]]
    required: tuple[str, ...]
    ignored: tuple[str, ...] = ()
    missing_markers: tuple[str, ...] = ()     # further cell texts meaning "no figure"
    nil_markers: tuple[str, ...] = ()         # cell texts meaning 0
    clean: Callable[[pd.DataFrame], pd.DataFrame] | None = field(default=None, compare=False)

    def known(self) -> set[str]:
        """Lower-cased file columns this layout recognises."""
        out = {c.lower() for c in self.ignored}
        for alternatives in self.columns.values():
            for alt in alternatives:
                out.update(c.lower() for c in alt)
        return out


# -- the tables --------------------------------------------------------------------------------

PLACEMENT_COUNTS = (
    "mainstream_la_maintained", "mainstream_la_maintained_resourced_provision",
    "mainstream_la_maintained_senunit", "mainstream_academy",
    "mainstream_academy_resourced_provision", "mainstream_academy_senunit",
    "mainstream_free_school", "mainstream_free_school_resourced_provision",
    "mainstream_free_school_senunit", "mainstream_independent", "mainstream_total",
    "special_la_maintained", "special_academy_free", "special_independent",
    "special_non_maintained", "special_total", "ap_pru_academy", "ap_pru_free_school",
    "ap_pru_la_maintained", "ap_pru_total", "general_fe_tertiary_colleges",
    "specialist_post_16_institutions", "ukrlp_provider", "fe_total", "elective_home_education",
    "other_arrangements_la", "other_arrangements_parents", "online_provider", "w_settings",
    "other_schools", "other_placement_settings", "neet", "neet_ntci", "neet_other",
    "neet_other_csa", "ed_elsewhere", "nm_early_years", "placement_unknown", "await_prov_2022",
    "perm_ex_2022",
)
PLACEMENT_PCS = ("mainstream_total_pc", "special_total_pc", "AP_PRU_total_pc", "fe_total_pc",
                 "ed_elsewhere_pc", "nm_early_years_pc", "placement_unknown_pc")

SEN2_MI_VALUES = (
    "NewallEHC", "NewallEHC_AssnoneEHC_sum", "AssnoneEHC", "AssnodecisionEHC", "AssRefusedEHC",
    "Assnone", "Assnodecision", "AssRefused", "Mtosi", "Sitom", "MtoPar", "SitoPar", "Dislea",
    "Dismet", "Disoth", "Disleft", "MtosiEHC", "SitomEHC", "MtoParEHC", "SitoParEHC",
    "DisleaEHC", "DismetEHC", "DisothEHC", "DisleftEHC", "InreqEHC", "InreqryaEHC",
    "TotIncExcEHC", "IncExc20weekEHC", "TotNoExcEHC", "NoExc20weekEHC", "TotIncExc",
    "IncExc26week", "TotNoExc", "NoExc26week", "StatementstoEHC", "StatementstoNoEHC",
    "PersonalBudgets", "OrgArrangements", "DirectPayEducation", "DirectPaySocialCare",
    "DirectPayHealth", "DirectPayIntegrated", "NewEHCMediation", "NewEHCTribunal",
)
SEN2_MI_PCS = ("NewallEHC_pc", "AssnoneEHC_pc", "AssRefusedEHC_pc", "IncExc20weekRate",
               "NoExc20weekRate", "NewEHCTribunal_pc")

TABLES: dict[str, Table] = {t.name: t for t in (
    Table("caseload", R2025, ACADEMIC, ("ehcplans",) + PLACEMENT_COUNTS),
    Table("newplans", R2025, CALENDAR, ("new_ehc_plans",) + PLACEMENT_COUNTS),
    Table("requests", R2025, CALENDAR, (
        "requests_received_in_year", "requests_rya", "requests_decided_to_assess",
        "requests_decided_not_to_assess", "requests_decision_not_made", "requests_withdrawn",
        "request_outcome_six_weeks", "request_outcome_over_6_weeks",
        "mediation_related_request", "tribunal_related_request",
        "tribunal_after_mediation_request")),
    Table("assessments", R2025, CALENDAR, (
        "assess_in_year", "assess_issued", "assess_not_issued", "assess_not_made",
        "assess_withdrawn", "outcome_decision_within_time", "outcome_decision_over_time",
        "number_assess_mediation", "number_assess_tribunal",
        "number_assess_mediation_tribunal", "number_other_mediation", "number_other_tribunal",
        "number_other_mediation_tribunal")),
    Table("timeliness_20_week", R2025, CALENDAR, (
        "plans_issued_den", "plans_issued_den_ex", "plans_issued_within_20_weeks",
        "plans_issued_20_weeks_ex", "plans_issued_gt20weeks_ltYear",
        "plans_issued_gt20weeks_ltYear_ex", "plans_issued_gt_1_year",
        "plans_issued_gt_1_year_ex")),
    Table("ceased_plans", R2025, CALENDAR, (
        "max_age", "needs_met", "he", "employ", "transfer", "no_engage", "moved_outside_eng",
        "deceased", "not_rec", "other", "total_ceased")),
    Table("send_tribunal_appeal_rate", R2025, CALENDAR,
          ("appeals_registered", "appealable_decisions", "appeal_rate_pc")),
    Table("sen2_mi", R2022, CALENDAR, SEN2_MI_VALUES),
    Table("sen2_age_caseload", R2022, CENSUS, ("Total_all", "Total_ehc", "Total_st")),
    Table("sen2_age_new_plans", R2022, CALENDAR, ("Total_new_all", "Total_new_ehc", "Total_new_st")),
    Table("sen2_estab_caseload", R2022, CENSUS, ("Total_all", "Total_ehc", "Total_st")),
    Table("sen2_estab_new_plans", R2022, CALENDAR,
          ("Total_new_all", "Total_new_ehc", "Total_new_st")),
)}

#: Other files of the two releases (no reader here) and how their years count: needed to
#: truncate a data folder at an origin without leaking later rows.
OTHER_FILE_PERIODS: dict[str, str] = {
    "residential_settings": ACADEMIC,       # 201819 = January 2019
    "sen2_wbp_residential_dmo": CENSUS,     # placements at the January census
}


def _same(names) -> dict[str, tuple[tuple[str, ...], ...]]:
    return {n: ((n,),) for n in names}


def _pcs(*stems: str) -> tuple[str, ...]:
    return tuple(stems)


_FOOTNOTE = re.compile(r"\s*\d+$")


def _clean_tribunal(df: pd.DataFrame) -> pd.DataFrame:
    """HMCTS/DfE appeal-rate table: drop the 'Sources:' footer rows (no numeric LA code),
    strip footnote digits from names ('Dorset6'), mark every row a local authority."""
    code = df["old_la_code"].astype(object)
    keep = code.map(lambda v: isinstance(v, str) and v.strip().isdigit())
    out = df[keep.astype(bool)].copy()
    out["la_name"] = out["la_name"].map(lambda v: _FOOTNOTE.sub("", v) if isinstance(v, str) else v)
    if "geographic_level" not in out.columns:
        out["geographic_level"] = "Local authority"
    return out


def _placement_layouts(table: str, total: str, total_alias: str) -> list[Layout]:
    base = _same(PLACEMENT_COUNTS)
    base[total] = ((total,), (total_alias,))
    required = (total,) + placements.REQUIRED_COLUMNS
    split = dict(base)
    split["special_academy_free"] = (("special_academy", "special_free_school"),)
    return [
        Layout(table, "2025 release", "EHC plans 2025 release (Jan 2019 - Jan 2025)", base,
               required, PLACEMENT_PCS),
        Layout(table, "special split", "later release: special academies and special free "
               "schools published separately", split, required, PLACEMENT_PCS),
    ]


def _plain(table: str, release: str, required: tuple[str, ...], ignored=(), **extra) -> Layout:
    cols = _same(TABLES[table].values)
    cols.update(extra.pop("aliases", {}))
    return Layout(table, release.split(" (")[0], release, cols, required, tuple(ignored), **extra)


LAYOUTS: dict[str, list[Layout]] = {
    "caseload": _placement_layouts("caseload", "ehcplans", "ehc_plans"),
    "newplans": _placement_layouts("newplans", "new_ehc_plans", "ehc_plans"),
    "requests": [_plain("requests", "2025 release", (
        "requests_received_in_year", "requests_decided_not_to_assess"), _pcs(
        "request_assess_pc", "request_not_assess_pc", "request_outstanding_pc",
        "request_withdrawn_pc", "request_outcome_six_weeks_pc",
        "request_outcome_over_6_weeks_pc"))],
    "assessments": [_plain("assessments", "2025 release", ("assess_issued", "assess_not_issued"),
                           _pcs("assess_issued_pc", "assess_not_issued_pc", "assess_not_made_pc",
                                "assess_withdrawn_pc", "outcome_decision_within_time_pc",
                                "outcome_decision_over_time_pc"),
                           aliases={"number_assess_mediation_tribunal": (
                               ("number_asssess_mediation_tribunal",),
                               ("number_assess_mediation_tribunal",))})],
    "timeliness_20_week": [_plain("timeliness_20_week", "2025 release", (
        "plans_issued_den", "plans_issued_within_20_weeks"), _pcs(
        "pc_plans_issued_within_20_weeks", "PC_plans_issued_20_weeks_ex",
        "pc_plans_issued_gt20weeks_ltYear", "PC_plans_issued_gt20weeks_ltYear_ex",
        "pc_plans_issued_gt_1_year", "PC_plans_issued_gt_1_year_ex"))],
    "ceased_plans": [_plain("ceased_plans", "2025 release", (
        "max_age", "needs_met", "he", "employ", "transfer", "no_engage", "moved_outside_eng",
        "deceased", "total_ceased"))],
    "send_tribunal_appeal_rate": [_plain(
        "send_tribunal_appeal_rate", "2025 release (HMCTS appeals / DfE appealable decisions)",
        ("appeals_registered", "appealable_decisions"), missing_markers=("..", "nan"),
        nil_markers=("-",), clean=_clean_tribunal)],
    "sen2_mi": [_plain("sen2_mi", "2022 release (SEN2)", (
        "InreqEHC", "AssRefusedEHC", "NewallEHC", "AssnoneEHC", "AssnodecisionEHC"), SEN2_MI_PCS)],
    "sen2_age_caseload": [_plain("sen2_age_caseload", "2022 release (SEN2)", ("Total_all",),
                                 ("Total_all_pc", "Total_ehc_pc", "Total_st_pc"))],
    "sen2_age_new_plans": [_plain("sen2_age_new_plans", "2022 release (SEN2)", ("Total_new_all",),
                                  ("Total_new_all_pc", "Total_new_ehc_pc", "Total_new_st_pc"))],
    "sen2_estab_caseload": [_plain("sen2_estab_caseload", "2022 release (SEN2)", ("Total_all",),
                                   ("Total_all_pc", "Total_ehc_pc", "Total_st_pc"))],
    "sen2_estab_new_plans": [_plain("sen2_estab_new_plans", "2022 release (SEN2)",
                                    ("Total_new_all",),
                                    ("Total_new_all_pc", "Total_new_ehc_pc", "Total_new_st_pc"))],
}

#: Tables whose rows need these identifier columns (besides time_period).
_ROW_KEYS = {
    "sen2_age_caseload": ("characteristic_age",), "sen2_age_new_plans": ("characteristic_age",),
    "sen2_estab_caseload": ("establishment_group", "establishment_type"),
    "sen2_estab_new_plans": ("establishment_group", "establishment_type"),
    "send_tribunal_appeal_rate": ("la_name", "old_la_code"),
}


# -- finding and reading a table ---------------------------------------------------------------

def table_info(table: str) -> Table:
    try:
        return TABLES[table]
    except KeyError:
        raise ValueError(f"unknown table {table!r}; known: {', '.join(TABLES)}") from None


def find_table_file(path: str | Path, table: str) -> Path:
    """The file holding `table`: `path` itself if it is a file, else ``<stem>.csv.gz`` or
    ``<stem>.csv`` where the stem is `path` (without suffix) or, for a folder, the table's name
    inside it (or inside its release subfolder). Both present is refused: one may be stale."""
    table_info(table)
    p = Path(path)
    if p.is_file():
        return p
    if p.is_dir():
        stems = [p / table, p / TABLES[table].folder / table]
    else:
        name = p.name
        for suffix in (".csv.gz", ".csv", ".gz"):
            if name.endswith(suffix):
                name = name[: -len(suffix)]
                break
        stems = [p.with_name(name)]
    for stem in stems:
        found = [c for c in (Path(f"{stem}.csv.gz"), Path(f"{stem}.csv")) if c.is_file()]
        if len(found) == 2:
            raise DataFileError(f"both {found[0].name} and {found[1].name} exist for table "
                                f"{table}: remove the stale one", stem.parent)
        if found:
            return found[0]
    raise DataFileError(f"no {table}.csv.gz or {table}.csv for table {table}", stems[0].parent)


def identify_layout(columns, table: str, path=None) -> Layout:
    """The registered layout of `table` whose columns the file has; DataFileError naming the
    file, the table, the columns not recognised and those expected but absent otherwise."""
    table_info(table)
    present = {str(c).strip().lower() for c in columns}
    meta = {c.lower() for c in METADATA_COLUMNS}
    data_cols = present - meta
    has_time = "time_period" in present or "year" in present
    tried = []
    for layout in LAYOUTS[table]:
        unknown = sorted(data_cols - layout.known())
        missing = [c for c in layout.required if _resolve(layout.columns[c], present) is None]
        if not unknown and not missing and has_time:
            return layout
        tried.append((len(unknown) + len(missing), layout, unknown, missing))
    original = {str(c).strip().lower(): str(c).strip() for c in columns}
    parts = []
    for _, layout, unknown, missing in sorted(tried, key=lambda t: t[0]):
        detail = []
        if unknown:
            detail.append(f"not recognised: {', '.join(original[c] for c in unknown)}")
        if missing:
            want = [" or ".join("+".join(alt) for alt in layout.columns[c]) for c in missing]
            detail.append(f"expected but absent: {', '.join(want)}")
        parts.append(f"against layout '{layout.name}': {'; '.join(detail) or 'columns match'}")
    if not has_time:
        parts.append("no time_period (or year) column")
    raise DataFileError(f"columns match no known layout of table {table}; " + " | ".join(parts),
                        path)


def _resolve(alternatives, present: set[str]):
    for alt in alternatives:
        if all(c.lower() in present for c in alt):
            return alt
    return None


def read_table(path: str | Path, table: str) -> pd.DataFrame:
    """`table` read from `path` (a file, a stem, or a folder holding ``<table>.csv[.gz]``) in
    the internal schema: metadata columns as text, `TABLES[table].values` as float (NaN for
    x/z/c/blank cells and for columns this layout does not publish). attrs: path, table, layout.
    """
    file = find_table_file(path, table)
    stat = file.stat()
    out = _read(str(file.resolve()), stat.st_mtime_ns, stat.st_size, table)
    copy = out.copy()
    copy.attrs.update(out.attrs)
    return copy


@functools.lru_cache(maxsize=32)
def _read(path: str, mtime_ns: int, size: int, table: str) -> pd.DataFrame:
    raw = read_csv(path, id_columns=_ROW_KEYS.get(table, ()))
    layout = identify_layout(raw.columns, table, path)
    by_lower = {c.lower(): c for c in raw.columns}
    if "time_period" not in by_lower and "year" in by_lower:
        raw = raw.rename(columns={by_lower["year"]: "time_period"})
        by_lower["time_period"] = "time_period"
    if layout.clean is not None:
        raw = layout.clean(raw)
    meta = [c for c in raw.columns if c.lower() in {m.lower() for m in METADATA_COLUMNS}
            and c.lower() != "year"]
    out = {c: raw[c] for c in meta}
    present = set(by_lower)
    published = []
    for col in TABLES[table].values:
        alt = _resolve(layout.columns.get(col, ()), present)
        if alt is None:
            out[col] = pd.Series(np.nan, index=raw.index, dtype=float)
            continue
        parts = [_numbers(raw[by_lower[c.lower()]], layout, path) for c in alt]
        out[col] = parts[0] if len(parts) == 1 else pd.concat(parts, axis=1).sum(axis=1, min_count=1)
        published.append(col)
    df = pd.DataFrame(out, index=raw.index).reset_index(drop=True)
    # A table cut at an origin may have no rows (the caller's years are all later); a table
    # with rows but not one figure in any value column is fully suppressed: refused.
    if len(df) and published and not df[published].notna().any().any():
        raise DataFileError(f"fully suppressed: every cell of its value columns ("
                            f"{', '.join(published[:4])}{', ...' if len(published) > 4 else ''}) "
                            f"is x, z, c or blank, so table {table} gives no figure", path,
                            "download the table again")
    df["time_period"] = df["time_period"].map(lambda v: v.strip() if isinstance(v, str) else v)
    df.attrs.update(path=path, table=table, layout=layout.name)
    return df


def _numbers(col: pd.Series, layout: Layout, path) -> pd.Series:
    """A value column as float: layout markers applied, anything else unparseable refused."""
    if col.dtype.kind == "f":
        return col
    text = col.astype(object).map(lambda v: v.strip() if isinstance(v, str) else v)
    if layout.missing_markers:
        text = text.where(~text.isin(layout.missing_markers), np.nan)
    if layout.nil_markers:
        text = text.where(~text.isin(layout.nil_markers), "0")
    numbers = pd.to_numeric(text, errors="coerce")
    bad = text[numbers.isna() & text.notna()]
    if len(bad):
        raise DataFileError(f"column {col.name} has text that is not a number or a known "
                            f"marker: {', '.join(map(repr, sorted(set(bad))[:5]))}", path)
    return numbers.astype(float)


# -- years -------------------------------------------------------------------------------------

def period_kind(stem: str) -> str:
    """How the years of file `stem` (e.g. 'caseload') count; ValueError if unknown."""
    if stem in TABLES:
        return TABLES[stem].period
    if stem in OTHER_FILE_PERIODS:
        return OTHER_FILE_PERIODS[stem]
    raise ValueError(f"no known time-period convention for file {stem!r}")


def period_year(time_period, kind: str) -> int:
    """The year a ``time_period`` stands for: the census year for ACADEMIC ('202223' -> 2023)
    and CENSUS ('2022' -> 2022) files, the calendar year for CALENDAR files."""
    text = str(time_period).strip()
    if text.endswith(".0"):
        text = text[:-2]
    if kind == ACADEMIC:
        if len(text) == 6 and text.isdigit() and int(text[4:]) == (int(text[2:4]) + 1) % 100:
            return int(text[:4]) + 1
        raise ValueError(f"time_period {time_period!r} is not an academic year like 202223")
    if kind in (CENSUS, CALENDAR):
        if len(text) == 4 and text.isdigit():
            return int(text)
        raise ValueError(f"time_period {time_period!r} is not a year like 2022")
    raise ValueError(f"unknown period kind {kind!r}")


__all__ = ["ACADEMIC", "CALENDAR", "CENSUS", "LAYOUTS", "Layout", "METADATA_COLUMNS",
           "OTHER_FILE_PERIODS", "TABLES", "Table", "find_table_file", "identify_layout",
           "period_kind", "period_year", "read_table", "table_info"]
