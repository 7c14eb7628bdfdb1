"""One object holding a council's published EHC-plan history, from both DfE releases.

Back-tests need, for ~150 councils, the same figures laid out the same way: January caseload
by setting, calendar-year flows, ages, and what was known at an origin date. `load_history`
builds a `CouncilHistory` from the 2025 release (caseload Jan 2019-2023, flows 2019-2022) and
the 2022 release's SEN2 tables (caseload 2010-2022, flows 2009/2014-2021). Where both give a
figure for a year the 2025 release wins (per cell: a 2025 ``x`` does not hide an SEN2 figure);
`CouncilHistory.sources` records which file and years every column came from, which years of
the 2022 release were superseded, and every correction made.

Years. ``caseload`` and ``caseload_by_age`` are indexed by census year (2023 = the January 2023
census, time_period 202223 in the 2025 release, "2023" in SEN2 files); ``flows`` and
``new_plans_by_age`` by calendar year. `CouncilHistory.until` keeps what was published by an
origin census: census years <= origin, flow years <= origin - 1.

Caseload settings before 2019 (SEN2 ``sen2_estab_caseload``, mapped to `sendsim.codes.SETTINGS`;
the same mapping serves ``sen2_estab_new_plans``):

=================  ========================================================================
early_years        Non-maintained early years
mainstream         Mainstream school total - resource_base; NaN before 2017 (academy and free
                   school resourced provision/SEN units were not published separately)
resource_base      the six Mainstream "Resourced provision" and "SEN unit" types; NaN before 2017
special            Special school total - Independent - Non-maintained (LA maintained, hospital
                   schools, academies and free schools: DfE's 2025 ``special_la_maintained``
                   includes hospital schools)
inmss              Special - Independent + Special - Non-maintained
ap_pru             Alternative provision/PRU total
fe_college         Further education total - specialist post-16 + "Unknown" group (work-based
                   learning 2015-16: apprenticeships and traineeships are the 2025 release's
                   UKRLP providers); NaN before 2015 (no FE rows: post-16 plans were LDAs)
specialist_post16  Specialist post-16 institutions (2016+) / Independent specialist providers (2015)
neet, eotas        NEET total; Educated elsewhere total + Other. NaN before 2019: NEET and
                   "Other" were not collected and where those young people were counted is not
                   known, so neither can be separated (their group "other" can)
=================  ========================================================================

The caseload ``total`` before 2019 is the published total of ``sen2_age_caseload`` (DfE's
headline: 319,819 in January 2018), not the sum of the establishment rows: those add up to
7,193 less in 2018 (a part not broken down by establishment until NEET and "Other" were
collected in 2019) and 215 more in 2016 (a work-based-learning group the age table leaves out).
Each such year is noted in ``sources["caseload.total"]["notes"]``: there the placement
groups do not add up to the total.

Placement groups (`PLACEMENT_GROUPS`) are published further back than some of their settings,
so ``caseload_groups`` holds them: the sum of the settings where all are known, else the SEN2
group totals (mainstream = early years + mainstream school total; other = AP/PRU + educated
elsewhere + NEET + Other; post16 = FE + work-based learning, NaN before 2015).

Flows (``flows`` columns, `FLOW_COLUMNS`); 2025 release first, then SEN2 (``sen2_mi`` unless
said otherwise):

- requests: requests_received_in_year / InreqEHC (not collected 2014-15);
  refused: requests_decided_not_to_assess / AssRefusedEHC;
  assessed_issued, assessed_not_issued: assess_issued, assess_not_issued / NewallEHC, AssnoneEHC;
  in_progress_31_dec: assess_not_made / AssnodecisionEHC. These follow the EHC assessment
  pathway only (statement columns are not added: statements were no longer issued).
- new_plans: new_ehc_plans / sen2_estab_new_plans Total_new_all (new statements and EHC plans,
  as the caseload counts both); new_plans_<setting>: placements mapped as for caseload.
- ceased: total_ceased / the sum of the Dis* columns; ceased_<reason> for
  `sendsim.codes.CEASE_REASONS`. SEN2 maps Dislea -> transfer, Dismet -> needs_met, and
  Disleft (left school at or after the end of compulsory schooling: max age, HE, employment or
  disengagement, not separable) + Disoth -> ceased_other; the other reasons are NaN before 2022.
  In 2022 ceased_other = not_rec + other. Statements discontinued (2014-2018) are added to EHC
  plans discontinued, because the caseload they leave counts both; ``z`` (not applicable)
  parts add nothing.
- issued_within_20_weeks, issued_20_week_den: plans_issued_within_20_weeks, plans_issued_den /
  IncExc20weekEHC, TotIncExcEHC (both including exceptions).
- mainstream_to_special, special_to_mainstream: MtosiEHC + Mtosi, SitomEHC + Sitom (SEN2 only).
- tribunal_appeals, appealable_decisions: send_tribunal_appeal_rate (no England row: NaN).

Corrections of published errors (each recorded in ``sources[...]["notes"]``):

- newplans 2022: every Yorkshire and the Humber council's ``new_ehc_plans`` equals the regional
  total (6,078). Such a total is replaced by the sum of its placements, or, for the one council
  without placements (Wakefield, an aggregate-only return), by the regional total less the other
  councils (462, equal to its ``assess_issued``).
- newplans 2022: ``ed_elsewhere`` already includes ``other_placement_settings``, which the
  placement mapping adds again; where ed_elsewhere equals its listed parts plus that column, it
  is taken out of eotas once.
- newplans 2019-2021 publish NEET as ``x`` inside ``ed_elsewhere``: new_plans_neet and
  new_plans_eotas are NaN there from the 2025 release (the SEN2 return gives them).
- New plans by age from the 2025 release are kept only where the ages add up to the year's total
  within one plan or 1% (Wakefield 2022's characteristics cover 112 of 462 plans: NaN).
- Placement cells missing while the row does not add up (suppressed, ``c``) make the settings
  they belong to NaN; a column that is ``x`` for a whole year was not collected and counts 0,
  as `sendsim.data.placements` establishes from the totals. England's 2022 new-plan settings
  stay 350 short of its total (Wakefield's placements are missing from the National row).
- requests 2022: West Berkshire publishes 0 requests received and 0 refused in a year in which
  it completed 178 assessments and issued 176 new plans. Requests (and refusals) published as 0
  in a year with at least `ZERO_REQUESTS_CHECK` assessments completed are read as not published
  (NaN): a zero there is a missing return, not a year without requests. Genuine zeros of tiny
  councils (the Isles of Scilly 2019: no requests, no assessments) are kept.

Other quirks of the data (not corrected):

- Councils are found by new OR old code, so recodings keep one history (Buckinghamshire 825,
  Gateshead 390, Northumberland 929). Reorganised councils are not stitched to predecessors:
  Bournemouth, Christchurch and Poole and the Dorset unitary start at the January 2020 census
  (flows 2019), North and West Northamptonshire at January 2022 (flows 2021); Bournemouth,
  Poole, the Dorset county (835) and Northamptonshire (928) load by code. A name that named two
  councils ("Dorset") means the latest.
- send_tribunal_appeal_rate: no England row; its codes are misprinted for Nottingham (891),
  Nottinghamshire (928) and Northamptonshire (892), so rows are matched by name (`name_key`),
  then code; ``-`` is nil (its rate is 0.00), ``..`` missing; its ``year`` is taken as the
  calendar year it is labelled with.
- Requests were not collected in 2014-2015 (InreqEHC ``x``); the 2025 release publishes
  ``assess_not_made`` (in progress) as ``x`` for 2019-2022, so in_progress_31_dec ends in 2021.
- dfe_statistical_neighbours is post-April 2023: Cumberland and Westmorland and Furness replace
  Cumbria (which has no column); five councils lose one of their ten neighbours to them.
"""

from __future__ import annotations

import functools
import re
import shutil
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from sendsim.codes import AGE_BANDS, CEASE_REASONS, FORECAST_GROUPS, SETTING_TABLE, SETTINGS
from sendsim.data import finance, layouts, ons
from sendsim.data.files import DataFileError, find_data_dir, read_csv
from sendsim.data.la import (AmbiguousCouncilError, LocalAuthority, UnknownCouncilError, close_names,
                 local_authority)
from sendsim.data.layouts import ACADEMIC, CALENDAR, CENSUS, R2022, R2025, period_kind, period_year, read_table
from sendsim.data.placements import MAPPING, NEET_COLUMNS, age_band_of_label, map_to_settings

#: The whole country, as a council-like key (National rows of every file).
ENGLAND = LocalAuthority("England", "E92000001", "")

#: Placement groups used as forecast targets: group -> settings.
PLACEMENT_GROUPS: dict[str, tuple[str, ...]] = {
    g: tuple(s.name for s in SETTING_TABLE if s.forecast_group == g) for g in FORECAST_GROUPS}

#: Money forecast targets, by financial year labelled by the calendar year it ends in (2021-22
#: is 2022): ``high_needs_spend``, net high-needs spend (section 251 outturn, as aggregated in
#: `s251_high_needs_net_derived`; top-ups and central services, without place funding), and
#: ``dsg_cumulative_balance``, the DSG cumulative balance at 31 March (the SEND and AP
#: dashboard's % of income x the income; negative = deficit).
MONEY_MEASURES: tuple[str, ...] = ("high_needs_spend", "dsg_cumulative_balance")
#: Measures that can be negative: their baselines and errors are additive, not on the log scale.
SIGNED_MEASURES: tuple[str, ...] = ("dsg_cumulative_balance",)

#: Forecast targets of the back-tests (`CouncilHistory.series`).
MEASURES: tuple[str, ...] = tuple(f"caseload_{g}" for g in ("total",) + tuple(PLACEMENT_GROUPS)) + (
    "requests", "new_plans", "ceased_plans") + MONEY_MEASURES

FLOW_COLUMNS: tuple[str, ...] = (
    ("requests", "refused", "assessed_issued", "assessed_not_issued", "in_progress_31_dec",
     "new_plans") + tuple(f"new_plans_{s}" for s in SETTINGS)
    + ("ceased",) + tuple(f"ceased_{r}" for r in CEASE_REASONS) + ("ceased_other",)
    + ("issued_within_20_weeks", "issued_20_week_den", "mainstream_to_special",
       "special_to_mainstream", "tribunal_appeals", "appealable_decisions"))

CASELOAD_COLUMNS: tuple[str, ...] = ("total",) + SETTINGS

STAT_NEIGHBOURS = "dfe_statistical_neighbours/stat_neighbours.csv"

#: Assessments completed in a year above which requests published as 0 that year are read as a
#: missing return (NaN), not as no requests (see "Corrections" in the module docstring).
ZERO_REQUESTS_CHECK = 10


class UnmatchedNameWarning(UserWarning):
    """Council names in a file that match no council in DfE's register."""


# -- the history object ------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class CouncilHistory:
    """A council's published EHC-plan history (see the module docstring for every column).

    ``sources`` maps "<frame>.<column>" (e.g. "flows.requests") to {"census": bool, "files":
    {file: [years used]}, "superseded": {file: [years also published but not used]}, "notes":
    {year: correction}}; "population" marks the ONS projection. ``caseload_groups`` (census
    year x `PLACEMENT_GROUPS`) reaches back further than the settings it groups.
    """
    la: LocalAuthority
    caseload: pd.DataFrame
    caseload_by_age: pd.DataFrame
    flows: pd.DataFrame
    new_plans_by_age: pd.DataFrame
    population: pd.DataFrame | None
    sources: dict
    caseload_groups: pd.DataFrame | None = None   # census year x PLACEMENT_GROUPS
    money: pd.DataFrame | None = None             # financial year (the year it ends) x MONEY_MEASURES

    def __post_init__(self):
        if self.caseload_groups is None:
            object.__setattr__(self, "caseload_groups", _groups_from_settings(self.caseload))
        if self.money is None:
            object.__setattr__(self, "money", pd.DataFrame(columns=list(MONEY_MEASURES), dtype=float))

    def until(self, origin) -> "CouncilHistory":
        """What was published by the origin census: census years <= origin, flow years <=
        origin - 1. The population projection is an input, not history: kept as it is."""
        year = parse_origin(origin)
        if year is None:
            raise ValueError("until() needs an origin (a census year such as 2021 or '2021-01')")
        return replace(
            self,
            caseload=self.caseload[self.caseload.index <= year],
            caseload_groups=self.caseload_groups[self.caseload_groups.index <= year],
            caseload_by_age=self.caseload_by_age[self.caseload_by_age.index <= year],
            flows=self.flows[self.flows.index <= year - 1],
            new_plans_by_age=self.new_plans_by_age[self.new_plans_by_age.index <= year - 1],
            # a financial year's outturn is published in the year after it ends: at the January
            # census of `year` the last known is the one that ended in March of `year - 1`
            money=self.money[self.money.index <= year - 1],
            sources=_sources_until(self.sources, year),
        )

    def series(self, measure: str) -> pd.Series:
        """A forecast target (`MEASURES`) as a float Series by year, missing years dropped."""
        if measure == "caseload_total":
            s = self.caseload["total"]
        elif measure.startswith("caseload_") and measure[9:] in PLACEMENT_GROUPS:
            s = self.caseload_groups[measure[9:]]
        elif measure in ("requests", "new_plans"):
            s = self.flows[measure]
        elif measure == "ceased_plans":
            s = self.flows["ceased"]
        elif measure in MONEY_MEASURES:
            s = self.money[measure]
        else:
            raise ValueError(f"unknown measure {measure!r}; known: {', '.join(MEASURES)}")
        return s.astype(float).dropna().rename(measure)

    def equals(self, other: "CouncilHistory") -> bool:
        """Same council, same figures, same sources (DataFrames compared exactly)."""
        def same(a, b):
            if a is None or b is None:
                return a is None and b is None
            return a.equals(b) and list(a.columns) == list(b.columns)
        return (self.la == other.la and self.sources == other.sources
                and all(same(getattr(self, f), getattr(other, f)) for f in (
                    "caseload", "caseload_groups", "caseload_by_age", "flows",
                    "new_plans_by_age", "population", "money")))


def _groups_from_settings(caseload: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=caseload.index)
    for group, settings in PLACEMENT_GROUPS.items():
        out[group] = caseload[list(settings)].sum(axis=1, min_count=len(settings))
    return out


def _sources_until(sources: dict, year: int) -> dict:
    out = {}
    for key, entry in sources.items():
        if entry.get("projection"):
            out[key] = entry
            continue
        cut = year if entry.get("census") else year - 1
        files = {f: [y for y in ys if y <= cut] for f, ys in entry["files"].items()}
        files = {f: ys for f, ys in files.items() if ys}
        if not files:
            continue
        new = dict(entry, files=files)
        sup = {f: [y for y in ys if y <= cut] for f, ys in entry.get("superseded", {}).items()}
        new["superseded"] = {f: ys for f, ys in sup.items() if ys}
        new["notes"] = {y: t for y, t in entry.get("notes", {}).items() if y <= cut}
        out[key] = new
    return out


# -- origins -----------------------------------------------------------------------------------

_ORIGIN_TEXT = re.compile(r"^(\d{4})-(\d{2})$")


def parse_origin(origin) -> int | None:
    """An origin census year: None, an int year (2021) or "YYYY-MM" text for January only."""
    if origin is None:
        return None
    if isinstance(origin, (bool, np.bool_)):
        raise ValueError(f"origin must be a census year such as 2021 or '2021-01', not {origin!r}")
    if isinstance(origin, (int, np.integer)):
        year = int(origin)
    elif isinstance(origin, str) and _ORIGIN_TEXT.match(origin.strip()):
        y, m = _ORIGIN_TEXT.match(origin.strip()).groups()
        if int(m) != 1:
            raise ValueError(f"origin {origin!r}: histories start at a January census; "
                             f"use '{y}-01'")
        year = int(y)
    else:
        raise ValueError(f"origin must be a census year such as 2021 or 'YYYY-01' text, "
                         f"not {origin!r}")
    if not 2000 <= year <= 2100:
        raise ValueError(f"origin {origin!r} is not a plausible census year")
    return year


# -- prepared tables (all areas at once, cached per data folder version) ------------------------

_TOTAL_TOPIC = {"caseload": "All EHC plans", "newplans": "New EHC plans",
                "requests": "All requests for EHC needs assessments",
                "assessments": "All EHC needs assessments",
                "timeliness_20_week": "All EHC plans issued",
                "ceased_plans": "All ceased EHC plans"}
_AGE_TOPIC = "Age when plan started"
_KEYS = ("geographic_level", "new_la_code", "old_la_code", "la_name", "region_name")


class _Area:
    """Rows of one prepared table, found by council code (new or old), name key or National."""

    def __init__(self, df: pd.DataFrame, file: str, *, by_name: bool = False):
        self.df = df.reset_index(drop=True)
        self.file = file
        level = self.df["geographic_level"].fillna("")
        self.national = np.flatnonzero(level.eq("National").to_numpy())
        la = level.eq("Local authority").to_numpy()
        self.by_code: dict[str, list[int]] = {}
        cols = ("new_la_code", "old_la_code") if not by_name else ("name_key", "old_la_code")
        for col in cols:
            if col not in self.df.columns:
                continue
            for i, v in zip(np.flatnonzero(la), self.df[col].to_numpy()[la]):
                if isinstance(v, str) and v:
                    v = v if col == "name_key" else _code(v)
                    self.by_code.setdefault(f"{col}:{v}", []).append(i)
        self.by_name = by_name

    def rows(self, la: LocalAuthority) -> pd.DataFrame:
        if la.new_code == ENGLAND.new_code:
            idx = self.national
        elif self.by_name:
            idx = self.by_code.get(f"name_key:{name_key(la.name)}") or self.by_code.get(
                f"old_la_code:{la.old_code}", [])
        else:
            idx = sorted(set(self.by_code.get(f"new_la_code:{la.new_code.upper()}", []))
                         | set(self.by_code.get(f"old_la_code:{la.old_code}", [])))
        out = self.df.iloc[list(idx)]
        if out["year"].duplicated().any():
            dup = sorted(set(out.loc[out["year"].duplicated(), "year"]))
            raise DataFileError(f"more than one row for {la} in year(s) {dup}", self.file)
        return out.set_index("year").sort_index()


def _code(v: str) -> str:
    v = v.strip().upper()
    return v[:-2] if v.endswith(".0") else v


_NAME_DROP = re.compile(r",\s*(city|county) of$|^county\s+|\s+borough$")


def name_key(name: str) -> str:
    """A council name reduced for matching across files: case, footnote digits, '&', full stops,
    ', City of' / ', County of' / 'County ' / ' Borough' ignored ('Bedford Borough' = 'Bedford',
    'Durham' = 'County Durham', 'Herefordshire' = 'Herefordshire, County of')."""
    text = re.sub(r"\s*\d+$", "", str(name)).strip().casefold().replace("&", "and")
    text = _NAME_DROP.sub("", " ".join(text.replace(".", "").split()))
    return " ".join(text.replace(",", " ").split())


@dataclass
class _Prepared:
    root: Path
    tables: dict = field(default_factory=dict)     # name -> _Area
    notes: dict = field(default_factory=dict)      # (table, area key, year) -> text


def _signature(root: Path) -> tuple:
    sig = []
    for folder in (R2025, R2022):
        for stem in [t for t, info in layouts.TABLES.items() if info.folder == folder]:
            for suffix in (".csv.gz", ".csv"):
                p = root / folder / f"{stem}{suffix}"
                if p.is_file():
                    st = p.stat()
                    sig.append((str(p), st.st_mtime_ns, st.st_size))
    return tuple(sig)


def _prepared(data_dir) -> _Prepared:
    root = find_data_dir(data_dir)
    return _build(root, _signature(root))


@functools.lru_cache(maxsize=4)
def _build(root: Path, signature: tuple) -> _Prepared:
    prep = _Prepared(root)
    t = prep.tables

    def rel(df) -> str:
        return str(Path(df.attrs["path"]).relative_to(root.resolve()))

    def load(table):
        folder = root / layouts.TABLES[table].folder
        if not any((folder / f"{table}{sfx}").is_file() for sfx in (".csv.gz", ".csv")):
            return None              # an absent table: its columns stay NaN
        return read_table(folder, table)

    def totals(df, table):
        if df is None:
            return None
        if "breakdown_topic" in df.columns:
            df = df[df["breakdown_topic"].eq(_TOTAL_TOPIC[table])]
        return df

    def with_year(df, kind, file):
        df = df.copy()
        try:
            df["year"] = [period_year(v, kind) for v in df["time_period"]]
        except ValueError as exc:
            raise DataFileError(f"column time_period: {exc}", root / file) from None
        return df

    # caseload, 2025 release
    raw = load("caseload")
    if raw is not None:
        file, raw = rel(raw), totals(raw, "caseload")
        settings, _ = _settings_2025(raw, "ehcplans")
        df = _unknown_where_short(pd.concat([_keys(raw), settings], axis=1), raw)
        t["caseload"] = _Area(with_year(df, ACADEMIC, file), file)

    # new plans, 2025 release: totals corrected, settings, ages
    raw_all = load("newplans")
    if raw_all is not None:
        raw = totals(raw_all, "newplans")
        settings, _ = _settings_2025(raw, "new_ehc_plans")
        df = with_year(pd.concat([_keys(raw), settings], axis=1), CALENDAR, rel(raw_all))
        df, notes = _fix_regional_totals(df)
        df = _unknown_where_short(df, raw)
        t["newplans"] = _Area(df, rel(raw_all))
        prep.notes.update({("newplans",) + k: v for k, v in notes.items()})
        if "breakdown_topic" in raw_all.columns:
            ages = raw_all[raw_all["breakdown_topic"].eq(_AGE_TOPIC)]
            t["newplans_age"] = _Area(_age_bands_2025(ages, df), rel(raw_all))

    for table in ("requests", "assessments", "timeliness_20_week", "ceased_plans"):
        raw = load(table)
        if raw is not None:
            file = rel(raw)
            t[table] = _Area(with_year(totals(raw, table), CALENDAR, file), file)

    raw = load("send_tribunal_appeal_rate")
    if raw is not None:
        raw = raw.assign(name_key=raw["la_name"].map(name_key))
        t["tribunal"] = _Area(with_year(raw, CALENDAR, rel(raw)), rel(raw), by_name=True)

    # 2022 release (SEN2)
    raw = load("sen2_mi")
    if raw is not None:
        t["sen2_mi"] = _Area(with_year(raw, CALENDAR, rel(raw)), rel(raw))
    for table, value, kind in (("sen2_estab_caseload", "Total_all", CENSUS),
                               ("sen2_estab_new_plans", "Total_new_all", CALENDAR)):
        raw = load(table)
        if raw is not None:
            t[table] = _Area(with_year(_sen2_estab_settings(raw, value), kind, rel(raw)), rel(raw))
    for table, value, kind in (("sen2_age_caseload", "Total_all", CENSUS),
                               ("sen2_age_new_plans", "Total_new_all", CALENDAR)):
        raw = load(table)
        if raw is not None:
            t[table] = _Area(with_year(_sen2_age_bands(raw, value), kind, rel(raw)), rel(raw))
    return prep


def _keys(df: pd.DataFrame) -> pd.DataFrame:
    cols = [c for c in _KEYS + ("time_period",) if c in df.columns]
    return df[cols]


def _settings_2025(df: pd.DataFrame, total: str) -> tuple[pd.DataFrame, pd.Series]:
    """`placements.map_to_settings` with what it cannot know made NaN: a setting none of whose
    columns is published; eotas and neet where the NEET columns are all ``x``; and
    other_placement_settings counted once where ed_elsewhere already holds it (newplans 2022)."""
    out = map_to_settings(df, total, strict=False)
    zsum = out[list(SETTINGS)].sum(axis=1)          # missing cells as 0, as the mapping takes them

    def known(cols):
        present = [c for c in cols if c in df.columns]
        if not present:
            return pd.Series(False, index=df.index)
        return df[present].notna().any(axis=1)

    for setting in SETTINGS:
        plus, minus = MAPPING[setting]
        ok = known(plus)
        if minus:
            ok &= known(minus)
        out[setting] = out[setting].where(ok)
    neet_known = known(NEET_COLUMNS)
    out["neet"] = out["neet"].where(neet_known)
    out["eotas"] = out["eotas"].where(neet_known)
    parts = ["other_arrangements_la", "other_arrangements_parents", "elective_home_education",
             "online_provider", "w_settings", "other_schools", *NEET_COLUMNS]
    zero = lambda c: df[c].fillna(0.0) if c in df.columns else 0.0   # noqa: E731
    inside = sum(zero(c) for c in parts)
    ops = zero("other_placement_settings")
    twice = neet_known & (ops > 0) & ((zero("ed_elsewhere") - inside - ops).abs() < 0.5)
    out.loc[twice, "eotas"] = out.loc[twice, "eotas"] - ops[twice]
    out["_zsum"] = zsum - ops.where(twice, 0.0)
    return out[["total", *SETTINGS, "_zsum"]], twice


def _unknown_where_short(out: pd.DataFrame, raw: pd.DataFrame) -> pd.DataFrame:
    """Missing cells count as 0 only where a row still adds up to its total; otherwise a
    setting with a missing (suppressed) column is unknown, not smaller."""
    out = out.copy()
    gap = (out.pop("_zsum") - out["total"]).abs() > 0.5
    rows = raw.loc[out.index]
    # a cell is "missing" only if its column is published for other rows of that year (x for
    # a whole year means not collected then, which the totals show to be 0)
    year = rows["time_period"]
    for setting in SETTINGS:
        plus, minus = MAPPING[setting]
        cols = [c for c in plus + minus if c in rows.columns]
        collected = rows[cols].notna().groupby(year).transform("any")
        missing = (rows[cols].isna() & collected).any(axis=1)
        out.loc[gap & missing, setting] = np.nan
    return out


def _fix_regional_totals(df: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Council totals equal to their region's total (newplans 2022, Yorkshire and the Humber):
    the sum of the council's placements, or the region less the other councils."""
    df = df.copy()
    notes = {}
    reg = df[df["geographic_level"].eq("Regional")].set_index(["year", "region_name"])["total"]
    la = df["geographic_level"].eq("Local authority")
    for (year, region), idx in df[la].groupby(["year", "region_name"]).groups.items():
        if (year, region) not in reg.index or len(idx) < 2:
            continue
        rtotal = reg.loc[(year, region)]
        bad = [i for i in idx if df.at[i, "total"] == rtotal]
        if not bad:
            continue
        for i in bad:
            s = df.loc[i, list(SETTINGS)]
            df.at[i, "total"] = s.sum() if s.notna().all() else np.nan
            how = "the sum of its placements" if s.notna().all() else None
            notes[(_area_key(df.loc[i]), year)] = (
                f"published new_ehc_plans {rtotal:g} equals the {region} total; replaced by "
                + (how or "the regional total less the other councils"))
        unknown = [i for i in idx if pd.isna(df.at[i, "total"])]
        if len(unknown) == 1:
            others = df.loc[[i for i in idx if i != unknown[0]], "total"].sum()
            df.at[unknown[0], "total"] = rtotal - others
    return df, notes


def _area_key(row) -> str:
    if row["geographic_level"] == "National":
        return "national"
    return f"{row.get('old_la_code')}"


def _age_bands_2025(ages: pd.DataFrame, totals: pd.DataFrame) -> pd.DataFrame:
    """New plans by age when the plan started -> AGE_BANDS, kept where the ages add up to the
    year's (corrected) total within one plan or 1% (England 2022 is 0.5% short: Wakefield)."""
    keys = [c for c in _KEYS + ("time_period",) if c in ages.columns]
    if ages.empty:
        return pd.DataFrame(columns=keys + list(AGE_BANDS) + ["year"])
    df = ages[keys + ["breakdown", "new_ehc_plans"]].copy()
    df[keys] = df[keys].fillna("")
    df["band"] = df["breakdown"].map(age_band_of_label)
    summed = df.groupby(keys + ["band"])["new_ehc_plans"].sum(min_count=1)
    complete = df.groupby(keys + ["band"])["new_ehc_plans"].count() == df.groupby(
        keys + ["band"])["new_ehc_plans"].size()
    wide = summed.where(complete).unstack("band").reindex(columns=list(AGE_BANDS)).reset_index()
    tot = totals[keys + ["total"]].copy()
    tot[keys] = tot[keys].fillna("")
    wide = wide.merge(tot, on=keys, how="left", validate="one_to_one")
    gap = (wide[list(AGE_BANDS)].sum(axis=1, min_count=len(AGE_BANDS)) - wide["total"]).abs()
    wide.loc[~(gap <= np.maximum(1.0, 0.01 * wide["total"])), list(AGE_BANDS)] = np.nan
    wide = wide.drop(columns="total").replace({c: {"": np.nan} for c in keys})
    wide["year"] = [period_year(v, CALENDAR) for v in wide["time_period"]]
    return wide


_RB_TYPES = ("Mainstream - LA maintained - Resourced provision",
             "Mainstream - LA maintained - SEN unit", "Mainstream - Academy - Resourced Provision",
             "Mainstream - Academy - SEN unit", "Mainstream - Free school - Resourced provision",
             "Mainstream - Free school - SEN unit")


def _sen2_estab_settings(raw: pd.DataFrame, value: str) -> pd.DataFrame:
    """SEN2 rows by establishment type -> total, the ten settings and the five groups (see
    the module docstring for what cannot be separated)."""
    keys = [c for c in _KEYS + ("time_period",) if c in raw.columns]
    df = raw[keys + ["establishment_group", "establishment_type", value]].copy()
    df[keys] = df[keys].fillna("")
    if df.duplicated(keys + ["establishment_group", "establishment_type"]).any():
        raise DataFileError("more than one row per council, year and establishment type",
                            raw.attrs.get("path"))
    wide = df.set_index(keys + ["establishment_group", "establishment_type"])[value].unstack(
        ["establishment_group", "establishment_type"])

    def g(group, typ="Total"):
        if (group, typ) in wide.columns:
            return wide[(group, typ)]
        return pd.Series(np.nan, index=wide.index)

    out = pd.DataFrame(index=wide.index)
    out["total"] = g("Total")
    out["early_years"] = g("Non-maintained early years")
    rb = sum(g("Mainstream school", t) for t in _RB_TYPES)          # NaN if any is absent
    out["resource_base"] = rb
    out["mainstream"] = g("Mainstream school") - rb
    inmss = g("Special school", "Special - Independent") + g("Special school", "Special - Non-maintained")
    out["special"] = g("Special school") - inmss
    out["inmss"] = inmss
    out["ap_pru"] = g("Alternative provision/Pupil referral unit")
    fe = g("Further education")
    spi = pd.concat([g("Further education", "Specialist post-16 institutions"),
                     g("Further education", "Independent specialist providers")],
                    axis=1).sum(axis=1, min_count=1)
    wbl = g("Unknown").fillna(0.0)
    out["specialist_post16"] = spi.where(fe.notna()).fillna(0.0).where(fe.notna())
    out["fe_college"] = fe - out["specialist_post16"] + wbl
    neet = g("NEET")
    out["neet"] = neet
    out["eotas"] = (g("Educated elsewhere") + g("Other").fillna(0.0)).where(neet.notna())
    groups = pd.DataFrame(index=wide.index)
    groups["g_mainstream"] = out["early_years"] + g("Mainstream school")
    groups["g_special"] = out["special"]
    groups["g_independent"] = inmss
    groups["g_post16"] = fe + wbl
    groups["g_other"] = (out["ap_pru"] + g("Educated elsewhere") + g("Other").fillna(0.0)
                         + neet.fillna(0.0))
    out = pd.concat([out[["total", *SETTINGS]], groups], axis=1).reset_index()
    return out.replace({c: {"": np.nan} for c in keys})


def _sen2_age_bands(raw: pd.DataFrame, value: str) -> pd.DataFrame:
    keys = [c for c in _KEYS + ("time_period",) if c in raw.columns]
    df = raw[keys + ["characteristic_age", value]].copy()
    df[keys] = df[keys].fillna("")
    df["band"] = [("total" if str(a).strip().lower() == "total" else age_band_of_label(a))
                  for a in df["characteristic_age"]]
    if df.duplicated(keys + ["band"]).any():
        raise DataFileError("more than one row per council, year and age group",
                            raw.attrs.get("path"))
    wide = df.set_index(keys + ["band"])[value].unstack("band")
    wide = wide.reindex(columns=list(AGE_BANDS) + ["total"]).reset_index()
    return wide.replace({c: {"": np.nan} for c in keys})


# -- assembling one council ------------------------------------------------------------------

class _Columns:
    """Builds a year-indexed frame column by column, with provenance for `sources`. Plain
    dicts, not pandas, inside: it runs ~60 times per council."""

    def __init__(self, prefix: str, census: bool):
        self.prefix, self.census = prefix, census
        self.cols: dict[str, dict[int, float]] = {}
        self.sources: dict[str, dict] = {}

    def put(self, name: str, *parts, notes: dict | None = None):
        """parts: (series, file) in priority order; each later part fills only the years the
        earlier ones left missing (so the 2025 release wins)."""
        value: dict[int, float] = {}
        files: dict[str, list[int]] = {}
        superseded: dict[str, list[int]] = {}
        for series, file in parts:
            if series is None:
                continue
            for y, v in zip(series.index.to_numpy(), series.to_numpy(dtype=float)):
                if v != v:                       # NaN: not published
                    continue
                y = int(y)
                if y in value:
                    superseded.setdefault(file, []).append(y)
                else:
                    value[y] = float(v)
                    files.setdefault(file, []).append(y)
        self.cols[name] = value
        if files:
            self.sources[f"{self.prefix}.{name}"] = {
                "census": self.census, "files": {f: sorted(y) for f, y in files.items()},
                "superseded": {f: sorted(y) for f, y in superseded.items()},
                "notes": {y: t for y, t in sorted((notes or {}).items()) if y in value}}

    def frame(self, columns) -> pd.DataFrame:
        years = sorted(set().union(*self.cols.values())) if self.cols else []
        data = {c: np.array([self.cols.get(c, {}).get(y, np.nan) for y in years], dtype=float)
                for c in columns}
        return pd.DataFrame(data, index=pd.Index(years, dtype=int, name="year"))


def _part(prep: _Prepared, table: str, la: LocalAuthority, column=None):
    """(rows or series, file) of `table` for `la`; (None, None) if the table is absent."""
    area = prep.tables.get(table)
    if area is None:
        return None, None
    rows = area.rows(la)
    if column is None:
        return rows, area.file
    return (rows[column] if column in rows.columns else None), area.file


def _sum_present(rows: pd.DataFrame | None, cols) -> pd.Series | None:
    """Statement + EHC parts: the sum of the parts published (``z`` parts add nothing)."""
    if rows is None:
        return None
    return rows[list(cols)].sum(axis=1, min_count=1)


def _notes_for(prep: _Prepared, table: str, la: LocalAuthority) -> dict:
    key = "national" if la.new_code == ENGLAND.new_code else la.old_code
    return {y: text for (t, k, y), text in prep.notes.items() if t == table and k == key}


def _history(prep: _Prepared, la: LocalAuthority, data_dir) -> CouncilHistory:
    # caseload
    c25, f25 = _part(prep, "caseload", la)
    cs2, fs2 = _part(prep, "sen2_estab_caseload", la)
    ag, fag = _part(prep, "sen2_age_caseload", la)
    cl = _Columns("caseload", census=True)
    short = {}
    if cs2 is not None and ag is not None:
        diff = (cs2["total"] - ag["total"].reindex(cs2.index)).dropna()
        short = {int(y): (f"sen2_estab_caseload types add up to {cs2.at[y, 'total']:g} "
                          f"({d:+g} against the published total in sen2_age_caseload): the "
                          "placement groups do not add up to the total")
                 for y, d in diff.items() if abs(d) > 0.5}
    cl.put("total", (None if c25 is None else c25["total"], f25),
           (None if ag is None else ag["total"], fag),
           (None if cs2 is None else cs2["total"], fs2), notes=short)
    for col in SETTINGS:
        cl.put(col, (None if c25 is None else c25[col], f25), (None if cs2 is None else cs2[col], fs2))
    caseload = cl.frame(CASELOAD_COLUMNS)
    gr = _Columns("caseload_groups", census=True)
    settings_groups = _groups_from_settings(c25[list(SETTINGS)]) if c25 is not None else None
    for group in PLACEMENT_GROUPS:
        gr.put(group, (None if settings_groups is None else settings_groups[group], f25),
               (None if cs2 is None else cs2[f"g_{group}"], fs2))
    groups = gr.frame(tuple(PLACEMENT_GROUPS)).reindex(caseload.index)

    # caseload by age
    ca = _Columns("caseload_by_age", census=True)
    for col in AGE_BANDS + ("total",):
        ca.put(col, (None if ag is None else ag[col], fag))
    by_age = ca.frame(AGE_BANDS + ("total",))

    # flows
    fl = _Columns("flows", census=False)
    req, freq = _part(prep, "requests", la)
    ass, fass = _part(prep, "assessments", la)
    tim, ftim = _part(prep, "timeliness_20_week", la)
    cea, fcea = _part(prep, "ceased_plans", la)
    npl, fnpl = _part(prep, "newplans", la)
    mi, fmi = _part(prep, "sen2_mi", la)
    ens, fens = _part(prep, "sen2_estab_new_plans", la)
    tri, ftri = _part(prep, "tribunal", la)

    def col(rows, name):
        return None if rows is None or name not in rows.columns else rows[name]

    fl.put("requests", (col(req, "requests_received_in_year"), freq), (col(mi, "InreqEHC"), fmi))
    fl.put("refused", (col(req, "requests_decided_not_to_assess"), freq),
           (col(mi, "AssRefusedEHC"), fmi))
    fl.put("assessed_issued", (col(ass, "assess_issued"), fass), (col(mi, "NewallEHC"), fmi))
    fl.put("assessed_not_issued", (col(ass, "assess_not_issued"), fass),
           (col(mi, "AssnoneEHC"), fmi))
    fl.put("in_progress_31_dec", (col(ass, "assess_not_made"), fass),
           (col(mi, "AssnodecisionEHC"), fmi))
    fl.put("new_plans", (col(npl, "total"), fnpl), (col(ens, "total"), fens),
           notes=_notes_for(prep, "newplans", la))
    for s in SETTINGS:
        fl.put(f"new_plans_{s}", (col(npl, s), fnpl), (col(ens, s), fens))
    dis = {"transfer": ("DisleaEHC", "Dislea"), "needs_met": ("DismetEHC", "Dismet")}
    other = ("DisleftEHC", "Disleft", "DisothEHC", "Disoth")
    fl.put("ceased", (col(cea, "total_ceased"), fcea),
           (_sum_present(mi, sum(dis.values(), ()) + other), fmi))
    for r in CEASE_REASONS:
        fl.put(f"ceased_{r}", (col(cea, r), fcea),
               (_sum_present(mi, dis[r]) if r in dis else None, fmi))
    fl.put("ceased_other", (_sum_present(cea, ("not_rec", "other")), fcea),
           (_sum_present(mi, other), fmi))
    fl.put("issued_within_20_weeks", (col(tim, "plans_issued_within_20_weeks"), ftim),
           (col(mi, "IncExc20weekEHC"), fmi))
    fl.put("issued_20_week_den", (col(tim, "plans_issued_den"), ftim),
           (col(mi, "TotIncExcEHC"), fmi))
    fl.put("mainstream_to_special", (_sum_present(mi, ("MtosiEHC", "Mtosi")), fmi))
    fl.put("special_to_mainstream", (_sum_present(mi, ("SitomEHC", "Sitom")), fmi))
    fl.put("tribunal_appeals", (col(tri, "appeals_registered"), ftri))
    fl.put("appealable_decisions", (col(tri, "appealable_decisions"), ftri))
    flows = fl.frame(FLOW_COLUMNS)
    flows = _zero_requests_unpublished(flows, fl.sources)

    # new plans by age
    na25, fna25 = _part(prep, "newplans_age", la)
    nas2, fnas2 = _part(prep, "sen2_age_new_plans", la)
    na = _Columns("new_plans_by_age", census=False)
    for band in AGE_BANDS:
        na.put(band, (col(na25, band), fna25), (col(nas2, band), fnas2))
    new_by_age = na.frame(AGE_BANDS)

    population = None
    if la.new_code != ENGLAND.new_code:
        try:
            population = ons.population_projection(la, data_dir)
        except DataFileError:
            population = None
    sources = {**cl.sources, **gr.sources, **ca.sources, **fl.sources, **na.sources}
    if population is not None:
        p = Path(population.attrs.get("path", ""))
        try:
            p = p.relative_to(prep.root.resolve())
        except ValueError:
            pass
        sources["population"] = {"census": True, "files": {str(p): []}, "superseded": {},
                                 "notes": {}, "projection": True}
    if caseload["total"].isna().all():
        raise DataFileError(
            f"no published caseload for {la} in either release: looked in "
            f"{R2025}/caseload (column ehcplans) and {R2022}/sen2_age_caseload and "
            f"sen2_estab_caseload (column Total_all); the council has no rows there, or every "
            "figure is x, z, c or blank", prep.root)
    money = _money(la, data_dir, sources)
    return CouncilHistory(la=la, caseload=caseload, caseload_by_age=by_age, flows=flows,
                          new_plans_by_age=new_by_age, population=population, sources=sources,
                          caseload_groups=groups, money=money)


def _money(la: LocalAuthority, data_dir, sources: dict) -> pd.DataFrame:
    """The council's money history (`MONEY_MEASURES`) by the year each financial year ends;
    empty where the file has no row for it (England; councils the file does not list)."""
    out = pd.DataFrame(columns=list(MONEY_MEASURES), dtype=float)
    series = {}
    try:
        net = finance.s251_net_spend(la, data_dir)
        years = [int(finance.fy_label(k)[:4]) + 1 for k in net.index]
        series["high_needs_spend"] = pd.Series(
            pd.to_numeric(net["high_needs_send_net"], errors="coerce").to_numpy(float), index=years)
    except (DataFileError, UnknownCouncilError, AmbiguousCouncilError):
        pass
    try:
        bal = finance.dsg_cumulative_balance(la, data_dir)
        series["dsg_cumulative_balance"] = pd.Series(
            bal.to_numpy(float), index=[int(finance.fy_label(k)[:4]) + 1 for k in bal.index])
    except (DataFileError, UnknownCouncilError, AmbiguousCouncilError, KeyError):
        pass
    if not series:
        return out
    out = pd.DataFrame(series).reindex(columns=list(MONEY_MEASURES))
    out.index.name = "year"
    out = out.sort_index().astype(float)
    files = {"high_needs_spend": [finance.S251],
             "dsg_cumulative_balance": [finance.DSG_DEFICIT, finance.DSG_TOTAL]}
    for measure in MONEY_MEASURES:
        known = [int(y) for y, v in out[measure].items() if not pd.isna(v)]
        if known:
            sources[f"money.{measure}"] = {"census": False,
                                           "files": {f: known for f in files[measure]},
                                           "superseded": {}, "notes": {}}
    return out


def _zero_requests_unpublished(flows: pd.DataFrame, sources: dict) -> pd.DataFrame:
    """Requests and refusals published as 0 in a year with at least `ZERO_REQUESTS_CHECK`
    assessments completed: NaN, and a note in sources (the module docstring)."""
    done = flows["assessed_issued"] + flows["assessed_not_issued"].fillna(0.0)
    bad = flows.index[(flows["requests"] == 0) & (done >= ZERO_REQUESTS_CHECK)]
    if len(bad) == 0:
        return flows
    flows = flows.copy()
    for col in ("requests", "refused"):
        entry = sources.get(f"flows.{col}")
        for y in bad:
            if col == "refused" and flows.at[y, col] != 0:
                continue
            flows.at[y, col] = np.nan
            if entry is None:
                continue
            entry["files"] = {f: [v for v in ys if v != int(y)] for f, ys in entry["files"].items()}
            entry["files"] = {f: ys for f, ys in entry["files"].items() if ys}
            entry["notes"] = dict(sorted({**entry["notes"], int(y): (
                f"published as 0 while {done[y]:g} assessments were completed that year: read "
                "as not published")}.items()))
    return flows


# -- public API --------------------------------------------------------------------------------

def resolve_council(la, data_dir=None) -> LocalAuthority:
    """A council by new code, old code or name (the current council where a name was reused),
    or England ("England" / "E92000001")."""
    if isinstance(la, LocalAuthority):
        return la
    if str(la).strip().casefold() in ("england", ENGLAND.new_code.casefold()):
        return ENGLAND
    try:
        return local_authority(la, data_dir, latest=True)
    except AmbiguousCouncilError:
        raise
    except DataFileError as exc:
        # a folder cut before the 2025 release starts: look the council up in SEN2 instead
        key = _code(str(la))
        every = _council_rows(data_dir, include_abolished=True)
        by_code = [c for c in every if key in (c.new_code.upper(), c.old_code)]
        hit = by_code or [c for c in every if c.name.casefold() == key.casefold()]
        if not hit:
            if isinstance(exc, UnknownCouncilError) and "closest names" not in exc.what:
                near = close_names(key, [c.name for c in every])
                if near:
                    raise UnknownCouncilError(f"{exc.what}; closest names: {', '.join(near)}",
                                              exc.path, exc.allowed) from None
            raise exc
        if by_code and len({c.name.casefold() for c in by_code}) > 1:
            which = "; ".join(str(c) for c in by_code)
            raise AmbiguousCouncilError(f"council code '{la}' is ambiguous: it names {which}",
                                        _prepared(data_dir).root, "give the council's name or its "
                                        "new code") from None
        return hit[-1]


def load_history(la, data_dir=None, origin=None) -> CouncilHistory:
    """The council's history (`la`: new code, old code or name), cut at `origin` if given
    (a census year int or 'YYYY-01'). Files are parsed once per process and version."""
    year = parse_origin(origin)
    council = resolve_council(la, data_dir)
    hist = _history(_prepared(data_dir), council, data_dir)
    return hist if year is None else hist.until(year)


def england_history(data_dir=None, origin=None) -> CouncilHistory:
    """England's history from the National rows (no tribunal figures: that table has none)."""
    return load_history(ENGLAND, data_dir, origin)


def councils_with_history(data_dir=None, *, include_abolished: bool = False) -> list[LocalAuthority]:
    """Every council with a published caseload at the latest census in the data (2025 release).

    Skipped: councils whose caseload total is missing (none in the 2025 release: City of London,
    21 plans in January 2023, and the Isles of Scilly, 15, are published and kept; callers who
    want a minimum size must filter). Abolished councils (Bournemouth, Poole and the Dorset
    county to 2019, Northamptonshire to 2021) are left out unless `include_abolished`; on a
    folder truncated at an origin, "latest" is that origin, so the list is the councils that
    existed then. Councils recoded without reorganisation (Buckinghamshire 825) appear once,
    under their latest code. Sorted by name.
    """
    out = _council_rows(data_dir, include_abolished=include_abolished)
    seen: dict[str, LocalAuthority] = {}
    for c in out:                      # latest last: one entry per old code, its latest code
        seen[c.old_code] = c
    return sorted(seen.values(), key=lambda c: c.name)


def _council_rows(data_dir, *, include_abolished: bool) -> list[LocalAuthority]:
    """Councils with a published caseload total (2025 release, else SEN2), oldest year first;
    without `include_abolished` only those of the latest census in the folder."""
    prep = _prepared(data_dir)
    frames = [prep.tables[t].df for t in ("caseload", "sen2_estab_caseload") if t in prep.tables]
    if not frames:
        raise DataFileError("no caseload table", prep.root / R2025)
    df = pd.concat([f[["geographic_level", "la_name", "new_la_code", "old_la_code", "year",
                       "total"]] for f in frames], ignore_index=True)
    df = df[df["geographic_level"].eq("Local authority") & df["total"].notna()
            & df["new_la_code"].notna() & df["old_la_code"].notna()]
    if not include_abolished:
        df = df[df["year"] == df["year"].max()]
    df = df.sort_values("year", kind="stable").drop_duplicates(
        ["la_name", "new_la_code", "old_la_code"], keep="last")
    return [LocalAuthority(str(r.la_name), str(r.new_la_code), _code(str(r.old_la_code)))
            for r in df.itertuples()]


def statistical_neighbours(la, data_dir=None, *, strict: bool = False) -> list[LocalAuthority]:
    """The council's ten DfE statistical neighbours, closest first.

    stat_neighbours.csv: the header row is the council names, each column lists that council's
    neighbours. Names are matched by `name_key` (case, 'Bedford Borough', 'Durham',
    'Herefordshire' spellings). Names matching no council in DfE's register (Cumberland and
    Westmorland and Furness, created April 2023 after this data ends) are skipped with an
    `UnmatchedNameWarning` naming them, or refused (DataFileError) with `strict`.
    """
    council = resolve_council(la, data_dir)
    if council.new_code == ENGLAND.new_code:
        raise ValueError("England has no statistical neighbours")
    path = find_data_dir(data_dir) / STAT_NEIGHBOURS
    table = read_csv(path)
    header = {name_key(c): c for c in table.columns}
    column = header.get(name_key(council.name))
    if column is None:
        registered = {name_key(c.name) for c in councils_with_history(data_dir, include_abolished=True)}
        strange = [c for k, c in header.items() if k not in registered]
        raise DataFileError(f"no column for {council.name} in the header row (header names "
                            f"matching no council in DfE's register: {', '.join(strange) or 'none'})",
                            path)
    register = _register(data_dir)
    out, unmatched = [], []
    for name in table[column].dropna():
        hit = register.get(name_key(name))
        (out if hit is not None else unmatched).append(hit if hit is not None else name)
    if unmatched:
        message = (f"{path}: statistical neighbour(s) of {council.name} matching no council in "
                   f"DfE's register: {', '.join(unmatched)}")
        if strict:
            raise DataFileError(message.split(": ", 1)[1], path)
        warnings.warn(message, UnmatchedNameWarning, stacklevel=2)
    return out


def _register(data_dir) -> dict[str, LocalAuthority]:
    """name_key -> council (the council of the latest census where a name was reused)."""
    return {name_key(c.name): c for c in _council_rows(data_dir, include_abolished=True)}


def truncate_data_dir(src, dst, origin) -> Path:
    """Copy data folder `src` to `dst` as it stood at `origin`: in the two EHC-plan release
    folders every row after the origin is removed (census years > origin, flow years > origin -
    1; the time convention of each file is `layouts.period_kind`), every other file is copied
    unchanged. For leakage tests: a back-test on `dst` must equal one on `src` after
    ``until(origin)``. Refuses an existing non-empty `dst`, and any release CSV whose time
    convention is unknown (it cannot be cut safely). The section 251 spend file is cut to the
    financial years published by the origin (ended by March of the year before), and so are the
    dashboard's DSG balances; the ESFA allocations and the dashboard's DSG totals keep the years
    announced by the origin (starting by its April); the 2021-22 benchmarking outturn is left out
    before January 2023. The ESFA's .ods workbooks are copied whole: nothing reads them."""
    year = parse_origin(origin)
    if year is None:
        raise ValueError("truncate_data_dir needs an origin")
    src, dst = find_data_dir(src), Path(dst)
    if dst.exists() and (not dst.is_dir() or any(dst.iterdir())):
        raise FileExistsError(f"{dst} exists and is not empty: refusing to write into it")
    dst.mkdir(parents=True, exist_ok=True)
    for path in sorted(p for p in src.rglob("*") if p.is_file()):
        rel = path.relative_to(src)
        target = dst / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if rel.parts[0] in (R2025, R2022) and len(rel.parts) == 2 and (
                path.name.endswith(".csv") or path.name.endswith(".csv.gz")):
            _truncate_file(path, target, year)
        elif rel.as_posix() in (finance.S251, finance.DSG_DEFICIT):
            _truncate_financial_years(path, target, year)
        elif rel.as_posix() in (finance.ESFA_SUMMARY, finance.DSG_TOTAL):
            _truncate_financial_years(path, target, year, announced=True)
        elif rel.as_posix() == finance.BENCHMARKING:
            if year - 1 >= 2022:                      # the 2021-22 outturn, ended March 2022
                shutil.copy2(path, target)
        else:
            shutil.copy2(path, target)
    return dst


def _truncate_financial_years(path: Path, target: Path, year: int, announced: bool = False) -> None:
    """Keep the financial years published by the January census of `year`: outturns (spend,
    balances) that ended by March of `year - 1`; with `announced`, allocations of years starting
    by April of `year` (the ESFA announces them in the December before). Column
    ``financial_year`` ("2019-20") or ``time_period`` ("201920")."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[], encoding="utf-8-sig")
    col = next((c for c in ("financial_year", "time_period") if c in raw.columns), None)
    if col is None:
        raise DataFileError("no financial_year or time_period column: cannot truncate", path)
    starts = raw[col].map(lambda v: int(finance.fy_label(v)[:4]))
    keep = starts <= year if announced else starts + 1 <= year - 1
    raw[keep].to_csv(target, index=False)


def _truncate_file(path: Path, target: Path, year: int) -> None:
    stem = path.name[:-7] if path.name.endswith(".csv.gz") else path.name[:-4]
    try:
        kind = period_kind(stem)
    except ValueError as exc:
        raise DataFileError(f"{exc}: add it to sendsim.data.layouts before truncating", path) from None
    with open(path, "rb") as f:
        gz = f.read(2) == b"\x1f\x8b"
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[], encoding="utf-8-sig",
                      compression="gzip" if gz else None)
    tcol = "time_period" if "time_period" in raw.columns else "year" if "year" in raw.columns else None
    if tcol is None:
        raise DataFileError("no time_period or year column: cannot truncate", path)
    cut = year if kind in (ACADEMIC, CENSUS) else year - 1
    try:
        years = [period_year(v, kind) for v in raw[tcol]]
    except ValueError as exc:
        raise DataFileError(f"column {tcol}: {exc}", path) from None
    kept = raw[[y <= cut for y in years]]
    kept.to_csv(target, index=False, compression="gzip" if gz else None)


__all__ = ["CASELOAD_COLUMNS", "CouncilHistory", "ENGLAND", "FLOW_COLUMNS", "MEASURES", "MONEY_MEASURES", "SIGNED_MEASURES",
           "PLACEMENT_GROUPS", "UnmatchedNameWarning", "councils_with_history",
           "england_history", "load_history", "name_key", "parse_origin", "resolve_council",
           "statistical_neighbours", "truncate_data_dir"]
