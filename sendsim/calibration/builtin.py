"""The built-in councils' parameter files, from the January 2023 census, the 2022 flows and
each council's own papers.

One pipeline, `derive`, makes every file in ``sendsim/councils/``; the scripts in the top-level
``calibration/`` folder only run it and write the file (`main`). What differs between
councils is a `Council` (``builtin_councils.py``): its figures from its own papers
(`sendsim.calibration.papers`), the built-in council whose behaviour it keeps where its own data
cannot give it (`template`), the rule it follows where councils differ (`rules`, small
functions here) and the words its file uses where they are its own (`wording`, `kept`).

Unlike `sendsim.calibration.derive` (any council at any origin, then fitted), these files are
set from one origin by rules a reader can check against the papers, so every value names its
source in ``council.sources``; values that are judgement rather than data start with
"assumption:". History used ends at the January 2023 census (caseload time_period 202223) and
calendar 2022 (flows), the model's start; the January 2024 caseload is the back-test target
and is not read.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import tomli_w

from ..codes import AGE_BANDS, MAX_AGE, NEEDS, SETTINGS, SETTINGS_BY_AGE_BAND
from ..councils import load
from ..data import dfe, finance as fin, ons, pupils
from ..data.files import (DataDirError, DataFileError, checkout_data_dir, data_file,
                          find_data_dir, read_csv)
from ..data.la import LocalAuthority, la_rows, local_authority
from ..data.placements import largest_remainder, restrict_to_age_band, rounded_distribution
from ..folders import atomic_write
from ..parameters import Parameters
from ..engine.population import AGES_IN_BAND, start_joint_table
from .builtin_councils import COUNCILS, Council
from ..data.history import load_history
from .derive import PLACE_HEADROOM, census_day
from .money import CouncilMoney, council_money

START = census_day(2023)                 # 19 January 2023, the school census day
CENSUS = "202223"                        # caseload time_period of the start census
PREVIOUS_CENSUS = "202122"
PREVIOUS_CENSUS_YEAR = "2022"            # the same census in the 2022 release's age tables
CENSUS_2022_DAY = census_day(2022)
FLOW_YEAR = "2022"                       # last complete calendar year of flows
FLOW_YEARS = ("2019", "2020", "2021", "2022")
#: The 31 August before the start: the census counts age on this day (DfE convention) and the
#: engine draws start ages as whole years on it plus a uniform fraction (sendsim.engine.model).
AUG31_BEFORE_START = dt.date(2022, 8, 31)

D25 = "DfE EHC plans 2025 release"
D22 = "DfE EHC plans 2022 release"

# -- assumptions of a council derived from its own data (each also written to council.sources)
NEED_MIX_ENGLAND = {"ASD": 0.32, "SLCN": 0.21, "SEMH": 0.15, "MLD": 0.10, "SLD": 0.08, "PD": 0.04,
                    "SpLD": 0.03, "PMLD": 0.02, "HI": 0.015, "VI": 0.01, "MSI": 0.005, "OTH": 0.02}
#: Relative SEN support prevalence within each phase, NCY 0 (reception) to 11: low in reception,
#: rising to a peak in Years 4-6, easing through secondary.
SEN_SUPPORT_SHAPE = (0.55, 0.80, 0.95, 1.05, 1.15, 1.20, 1.20, 1.10, 1.05, 1.00, 0.95, 0.90)
SEN_SUPPORT_EXIT_PER_MONTH = 1 / 36
FROM_SEN_SUPPORT = 0.6
DECISION_WEEKS = (2.0, 5.0, 8.0)           # min, mode, max
DRAFTING_WEEKS = (3.0, 5.0, 8.0)
EP_ADVICE_WEEKS = 6.0
REFUSED_REQUEST_AGAIN = 0.2
REQUEST_AGAIN_AFTER_MONTHS = 6.0
AGENCY_EP_START = dt.date(2023, 4, 1)
AGENCY_EP_MONTHS = 18
AGENCY_CLEAR_MONTHS_RANGE = (12, 30)   # assumption: plausible clearing times, for uncertainty
EP_CAPACITY_YEARS = range(2023, 2031)  # capacity following demand: a step each 1 April
INMSS_WHEN_FULL = {"resource_base": 0.0, "special": 0.5, "specialist_post16": 0.0}
REVIEW_CAPACITY_MARGIN = 0.10
STEP_DOWN_ASSUMED = {"inmss": 0.02, "resource_base": 0.01}
STEP_UP_ASSUMED = {"special": 0.02}
AGE19_SHARE_OF_16_19 = 0.25                # one of the band's four single years
SV_INITIAL_SHARE = 0.20
SV_LAST_FY = 2028                          # 2028-29
FE_PLACE_FUNDING = 6_000.0                 # post-16 high-needs place funding (elements 1-2)
BENCHMARKING_POP = "c004"                  # 2-18 Population (ONS mid-2021 projection)

PHASE_TRANSFER_ASSUMED = {
    "into_secondary": {
        "mainstream": {"mainstream": 0.86, "resource_base": 0.05, "special": 0.07, "inmss": 0.02},
        "resource_base": {"mainstream": 0.40, "resource_base": 0.40, "special": 0.17, "inmss": 0.03},
        "special": {"special": 0.94, "inmss": 0.06},
        "inmss": {"inmss": 0.90, "special": 0.10},
        "ap_pru": {"mainstream": 0.50, "special": 0.30, "ap_pru": 0.20},
    },
    "into_post16": {
        "mainstream": {"fe_college": 0.70, "mainstream": 0.18, "specialist_post16": 0.04,
                       "eotas": 0.03, "neet": 0.05},
        "resource_base": {"fe_college": 0.65, "mainstream": 0.10, "specialist_post16": 0.15,
                          "eotas": 0.03, "neet": 0.07},
        "special": {"special": 0.70, "specialist_post16": 0.20, "fe_college": 0.10},
        "inmss": {"inmss": 0.55, "specialist_post16": 0.35, "fe_college": 0.10},
        "ap_pru": {"fe_college": 0.50, "eotas": 0.20, "neet": 0.30},
        "eotas": {"fe_college": 0.40, "eotas": 0.40, "neet": 0.20},
    },
    "into_post19": {      # where those whose plan continues go (ceasing: POST19_CEASE_SHARE)
        "mainstream": {"fe_college": 0.70, "eotas": 0.10, "neet": 0.20},
        "resource_base": {"fe_college": 0.65, "specialist_post16": 0.15, "eotas": 0.05, "neet": 0.15},
        "special": {"specialist_post16": 0.50, "fe_college": 0.35, "eotas": 0.05, "neet": 0.10},
        "inmss": {"specialist_post16": 0.55, "inmss": 0.30, "fe_college": 0.05, "neet": 0.10},
        "ap_pru": {"fe_college": 0.50, "eotas": 0.10, "neet": 0.40},
        "fe_college": {"fe_college": 1.0},
        "specialist_post16": {"specialist_post16": 1.0},
        "eotas": {"eotas": 1.0},
        "neet": {"neet": 1.0},
    },
}
#: Share of young people entering NCY 15 (age 19) whose plan ceases at that transition, by the
#: setting they leave (assumption): most of those finishing a school sixth-form or college course
#: at 19 leave for employment, higher education or no further education; fewer from special
#: schools, INMSS and specialist post-16 institutions, whose 19-25 offer keeps more on a plan.
POST19_CEASE_SHARE = {
    "mainstream": 0.80, "resource_base": 0.70, "fe_college": 0.80, "ap_pru": 0.70,
    "eotas": 0.70, "neet": 0.80, "special": 0.50, "inmss": 0.45, "specialist_post16": 0.50,
}
#: Review ceasing reasons that also happen at the post-19 transition.
POST19_REASONS = ("he", "employ", "no_engage")


class Sources:
    """One line per derived quantity, in the order derived: ``key: where it came from``."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, key: str, text: str) -> None:
        """A source line for `key`; a second for the same key is joined to the first."""
        prefix = f"{key}: "
        for i, line in enumerate(self.lines):
            if line.startswith(prefix):
                self.lines[i] = f"{line}; {text}"
                return
        self.lines.append(prefix + text)


def r(x: float, digits: int = 6) -> float:
    """Round for a stable file (no float noise in the last bits)."""
    return float(round(float(x), digits))


def gbp(x: float) -> float:
    return float(round(float(x)))


def m(x: float) -> str:
    return f"{x / 1e6:.3f}m"


def years_since(d: dt.date, base: dt.date) -> float:
    return (d - base).days / 365.25


@dataclass
class Context:
    """One council's file being derived: its data, its `Council`, the parameters of the
    council whose behaviour it keeps (`template`, None if it keeps none) and the source lines
    so far."""

    data: Path
    la: LocalAuthority
    council: Council
    template: dict | None
    src: Sources = field(default_factory=Sources)
    inflation: float = math.nan     # set by the finance step's first line
    pop_words: str = ""             # how the population of sen_support's weights is described

    @property
    def template_name(self) -> str:
        return self.template["council"]["name"] if self.template else ""

    @property
    def own(self) -> str:
        """'the Isle of Wight's ' where a council keeps another's behaviour, so its own figures
        are told apart from the template's; '' for a council derived from its own data."""
        return f"the {self.la.name}'s " if self.template else ""

    def paper(self, key: str):
        """A figure from the council's papers (`sendsim.calibration.papers`)."""
        return self.council.papers[key].value

    def quotes(self, key: str) -> bool:
        return key in self.council.papers

    def words(self, key: str, default: str, **fields) -> str:
        """The council's own wording for `key` if it has one, else `default`, filled in."""
        return self.council.wording.get(key, default).format(**fields)

    def say(self, key: str, default: str, **fields) -> None:
        self.src.add(key, self.words(key, default, **fields))

    def keep(self, key: str, **fields) -> None:
        """A source line for a value kept from the template: the council's words for it (filled
        in with `fields`), else the template's own source line."""
        text = self.council.kept.get(key)
        if text is None:
            prefix = key + ": "
            text = next((s[len(prefix):] for s in self.template["council"]["sources"]
                         if s.startswith(prefix)), None)
            if text is None:
                raise ValueError(f"{self.council.key} keeps {key} from {self.council.template}, "
                                 "whose file has no source line for it: give its words in kept")
        else:
            text = text.format(**fields)
        self.src.add(key, f"kept from {self.template_name} (sendsim/councils/"
                     f"{self.council.template}.toml, whose council.sources gives the "
                     f"derivation): {text}")


# -- council and population --------------------------------------------------------------------

def derive_council(ctx: Context) -> dict:
    la = ctx.la
    note = f" (as {ctx.template_name})" if ctx.template else ""
    ctx.src.add("council", f"{la.name}, new LA code {la.new_code} (old code {la.old_code}), from "
                f"{D25} caseload.csv; start_date {START} = January 2023 school census day" + note)
    return {"name": la.name, "la_code": la.new_code, "start_date": START}


def population_ons(ctx: Context) -> tuple[dict, pd.DataFrame]:
    """The council's own ONS 2022-based projection, persons by single year of age 0-25."""
    table = ons.population_projection(ctx.la, ctx.data)
    years = list(table.columns)
    ctx.src.add("population.projection", f"ONS 2022-based SNPP (5-year migration variant), "
                f"{Path(table.attrs['path']).name}, persons by single year of age 0-25, "
                f"mid-years {years[0]}-{years[-1]}")
    ctx.pop_words = "ONS mid-2022 population at age NCY+5"
    return {"projection": {y: [r(v, 3) for v in table[y]] for y in years}}, table


def benchmarking_population(la, data) -> float:
    """2-18 population (ONS mid-2021 projection) in the 2021-22 high-needs benchmarking table."""
    path = data_file(data, fin.BENCHMARKING)
    df = read_csv(path)
    by_code = {c.split(":")[0].strip(): c for c in df.columns if ":" in c}
    header = by_code.get(BENCHMARKING_POP, "")
    if "2-18 Population" not in header:
        raise DataFileError(f"column {BENCHMARKING_POP} (2-18 Population) missing or moved; "
                            f"header is {header!r}", path)
    df = df.rename(columns={by_code["c002"]: "la_code"})
    row = la_rows(df, la, path, by="la_code")
    value = pd.to_numeric(row.iloc[0][header], errors="coerce")
    if pd.isna(value):
        raise DataFileError(f"no 2-18 population for {la}", path)
    return float(value)


def population_scaled_from_template(ctx: Context) -> tuple[dict, pd.DataFrame]:
    """The template council's ONS projection times the ratio of the two councils' 2-18
    populations, for a council the shared ONS folder does not hold."""
    la, t = ctx.la, ctx.template_name
    theirs_la = local_authority(ctx.template["council"]["la_code"], ctx.data)
    table = ons.population_projection(theirs_la, ctx.data)
    ours, theirs = benchmarking_population(la, ctx.data), benchmarking_population(theirs_la, ctx.data)
    ratio = ours / theirs
    scaled = table * ratio
    years = list(scaled.columns)
    ctx.src.add("population.projection", f"proxy: the shared ONS 2022-based SNPP folder holds "
                f"{t} only ({Path(table.attrs['path']).name}), so {t}'s persons by single year "
                f"of age 0-25, mid-years {years[0]}-{years[-1]}, times {ratio:.5f} = the "
                f"{la.name}'s 2-18 population ({ours:,.0f}) / {t}'s ({theirs:,.0f}), both ONS "
                "mid-2021 projections in the high-needs benchmarking table 2021-22 (column "
                f"c004). Sizes are the {la.name}'s; the age shape and its change over time are "
                f"{t}'s" + ctx.words("population.projection:shape", "") + ". Request rates and "
                "SEN support prevalence are derived on this same population, so the published "
                "2022 counts are reproduced regardless")
    ctx.pop_words = (f"mid-2022 population at age NCY+5 (population.projection: {t}'s ONS age "
                     f"shape at the {la.name}'s size)")
    return {"projection": {y: [r(v, 3) for v in scaled[y]] for y in years}}, scaled


# -- start state -------------------------------------------------------------------------------

CASELOAD_MAPPING = (
    ": early_years = nm_early_years; resource_base = every *_resourced_provision and *_senunit "
    "column; mainstream = mainstream_total - resource_base + placement_unknown ({unknown}); "
    "special = special_la_maintained + special_academy_free; inmss = special_independent + "
    "special_non_maintained; ap_pru = ap_pru_total; fe_college = general_fe_tertiary_colleges + "
    "ukrlp_provider; specialist_post16 = specialist_post_16_institutions; neet = neet + neet_ntci "
    "+ neet_other + neet_other_csa (all four are NEET and all sit inside ed_elsewhere); eotas = "
    "ed_elsewhere - the NEET columns + other_placement_settings. Missing cells taken as 0 only "
    "because the ten settings reconcile to ehcplans exactly")


def derive_caseload_by_setting(ctx: Context) -> dict[str, int]:
    la = ctx.la
    row = dfe.caseload_by_setting(la, ctx.data).loc[CENSUS]
    raw = dfe.caseload(la, ctx.data)
    counts = {s: int(round(row[s])) for s in SETTINGS}
    assert sum(counts.values()) == int(row["total"]), "settings do not add up to ehcplans"
    figures = {"unknown": int(dfe.value(raw, CENSUS, "placement_unknown")),
               "other": int(dfe.value(raw, CENSUS, "other_placement_settings"))}
    mapping = (CASELOAD_MAPPING.format(**figures) if ctx.template is None else
               f" as for {ctx.template_name}: " + ", ".join(f"{s} {v}" for s, v in counts.items())
               + ". " + ctx.words("start_state.caseload_by_setting", "", **figures))
    ctx.src.add("start_state.caseload_by_setting", f"{D25}, caseload.csv, {la.name}, time_period "
                f"{CENSUS} (January 2023 census), {int(row['total'])} plans, mapped with "
                "sendsim.data.placements" + mapping)
    return counts


def derive_caseload_by_age_band(ctx: Context, total: int) -> dict[str, int]:
    by_age = dfe.caseload_by_age(ctx.la, ctx.data)
    year = max(y for y in by_age.index if y <= FLOW_YEAR and by_age.loc[y, list(AGE_BANDS)].notna().all())
    row = by_age.loc[year]
    counts = largest_remainder({b: float(row[b]) for b in AGE_BANDS}, total)
    shown = ", ".join(f"{b} {int(row[b])}" for b in AGE_BANDS)
    latest = ctx.words("start_state.caseload_by_age_band:latest", "latest by age")
    ctx.src.add("start_state.caseload_by_age_band", f"age shares of {ctx.la.name}'s January "
                f"{year} caseload ({D22}, sen2_age_caseload.csv: {shown}; {latest}) applied to "
                f"the {total} plans of January 2023, largest-remainder rounding")
    return counts


def derive_need_mix(ctx: Context) -> dict[str, float]:
    folder = find_data_dir(ctx.data) / dfe.R2025
    need_files = sorted(p.name for p in folder.glob("*need*"))
    mix = rounded_distribution({n: NEED_MIX_ENGLAND[n] for n in NEEDS})
    ctx.src.add("start_state.need_mix", "assumption: approximate England shares of EHC plans by "
                "primary need (ASD 32%, SLCN 21%, SEMH 15%, MLD 10%, SLD 8%, PD 4%, SpLD 3%, "
                "PMLD 2%, OTH 2%, HI 1.5%, VI 1%, MSI 0.5%); the shared data has no primary-need "
                f"table for a council (files matching *need* in {dfe.R2025}: {need_files or 'none'})")
    return mix


# -- SEN support ---------------------------------------------------------------------------------

def derive_sen_support(ctx: Context, pop: pd.DataFrame) -> dict:
    la, data = ctx.la, ctx.data
    share = pupils.percent_pupils(la, "SEN support", data)
    level = float(share.loc[CENSUS]) / 100
    lait = pupils.lait_sen_support_by_phase(la, data)
    lait_year = max(y for y in lait.index if y <= FLOW_YEAR)
    phase = {"primary": float(lait.loc[lait_year, "primary"]),
             "secondary": float(lait.loc[lait_year, "secondary"])}
    pupils_by_ncy = np.array([pop.loc[n + 5, "2022"] for n in range(12)])
    shape = np.array(SEN_SUPPORT_SHAPE)
    raw = np.empty(12)
    for lo, hi, name in ((0, 7, "primary"), (7, 12, "secondary")):
        w = pupils_by_ncy[lo:hi]
        raw[lo:hi] = phase[name] * shape[lo:hi] / np.average(shape[lo:hi], weights=w)
    scale = level / np.average(raw, weights=pupils_by_ncy)
    prevalence = [r(x * scale) for x in raw]
    ctx.src.add("sen_support.prevalence_by_ncy", f"level: {level:.1%} of pupils on SEN support in "
                f"2022/23 (SEND and AP dashboard, percent_pupils_ehcp_3LAs.csv, {la.name}); phase "
                f"ratio: primary {phase['primary']}% vs secondary {phase['secondary']}% (DfE LAIT "
                f"PrimNoStatements/SecNoStatements, January {lait_year}); assumption: shape within "
                f"phase {list(SEN_SUPPORT_SHAPE)} for NCY 0-11 (low in reception, peak in Years "
                f"4-6); scaled so the mean weighted by {ctx.pop_words} equals {level:.1%}")
    if ctx.template:
        ctx.keep("sen_support.exit_rate_per_month")
        exit_rate = ctx.template["sen_support"]["exit_rate_per_month"]
    else:
        ctx.src.add("sen_support.exit_rate_per_month", "assumption: 1/36 (a pupil's SEN support "
                    "lasts about three years on average when needs are met)")
        exit_rate = r(SEN_SUPPORT_EXIT_PER_MONTH)
    return {"prevalence_by_ncy": prevalence, "exit_rate_per_month": exit_rate}


# -- requests ------------------------------------------------------------------------------------

def requests_received(ctx: Context) -> dict[str, float]:
    req = dfe.requests(ctx.la, ctx.data)
    return {y: dfe.value(req, y, "requests_received_in_year") for y in FLOW_YEARS}


def request_age_shares(ctx: Context) -> tuple[np.ndarray, dict]:
    """Share of requests at each academic age 0..25: the papers' Figure 3 for ages 2-15; the
    2022 new plans by age for ages 16-25 (Figure 3 has no readable cell there)."""
    starts = dfe.new_plans_by_age(ctx.la, ctx.data)
    starts = starts[starts["time_period"] == FLOW_YEAR]
    total = float(dfe.value(dfe.new_plans(ctx.la, ctx.data), FLOW_YEAR, "new_ehc_plans"))
    by_label = dict(zip(starts["age_label"], starts["new_ehc_plans"]))
    post16 = {a: float(by_label.get(f"age {a}", 0.0)) / total for a in (16, 17, 18, 19)}
    over20 = float(by_label.get("age 20 and over", 0.0)) / total
    for a in range(20, 26):
        post16[a] = over20 / 6
    figure3 = {a: float(np.median(v)) for a, v in ctx.paper("request_age_figure3").items()}
    school_share = 1.0 - sum(post16.values())
    shares = np.zeros(26)
    norm = sum(figure3.values())
    for a, v in figure3.items():
        shares[a] = v / norm * school_share
    for a, v in post16.items():
        shares[a] = v
    return shares, {"figure3": figure3, "post16": sum(post16.values())}


def requests_by_own_age_shape(ctx: Context, pop: pd.DataFrame) -> tuple[dict, dict]:
    """2022's requests spread over ages by the papers' Figure 3; the trend carries them to the
    papers' 2024 level."""
    received = requests_received(ctx)
    n2022 = received[FLOW_YEAR]
    shares, info = request_age_shares(ctx)
    rates = [r(n2022 * shares[a] / pop.loc[a, "2022"] * 1000, 4) for a in range(26)]
    per_month_2024 = ctx.paper("requests_per_month_2024")
    trend = (per_month_2024 * 12 / n2022) ** (1 / 2) - 1           # mid-2022 to mid-2024
    growth_1922 = (n2022 / received["2019"]) ** (1 / 3) - 1
    england = (154_000 / 82_000) ** (1 / 5) - 1
    trend_sd = trend / 1.645
    src = ctx.src
    src.add("requests.rate_per_1000_by_age", f"{int(n2022)} requests received in 2022 ({D25}, "
            f"requests.csv, requests_received_in_year) spread over academic ages: ages 2-15 by "
            f"seed 004 Figure 3 (garbled table; median of the readable cells per age, age 3 "
            f"without the 2024 part-year value: age 3 {info['figure3'][3]:.2f}%, peak at 9-10 "
            f"{info['figure3'][9]:.2f}%/{info['figure3'][10]:.2f}%), renormalised to "
            f"{1 - info['post16']:.1%}; ages 16-25 {info['post16']:.1%} in proportion to 2022 new "
            "plans by age when started (newplans.csv; '20 and over' spread evenly over 20-25); "
            "ages 0-1 none; divided by ONS mid-2022 residents of each age")
    trend_base_date_line(ctx)
    src.add("requests.trend_per_year", f"{trend:.4f}: the growth that carries 2022's "
            f"{int(n2022)} requests to seed 004's {per_month_2024} a month "
            f"(12-month rolling average during 2024) over two years; compare {ctx.la.name} "
            f"2019-2022 {growth_1922:.1%}/yr ({int(received['2019'])} to {int(n2022)}, {D25}) and "
            f"England 2019-2024 {england:.1%}/yr (82k to 154k, model.md). Note: uses a 2024 "
            "figure from seed 004; a strict back-test from January 2023 should use the "
            "2019-2022 growth instead")
    src.add("requests.trend_sd_per_year", f"{trend_sd:.4f} = trend/1.645, so the 5th percentile "
            "of the trend is the plateau (no growth) that seed 004 reports since early 2024")
    src.add("requests.trend_changes", "none: the built-in council carries one trend forward; "
            "a scenario may set a council's planning assumptions (e.g. seed 000's 4.5% from "
            "September 2025)")
    src.add("requests.from_sen_support", f"assumption: {FROM_SEN_SUPPORT} of school-age requests "
            "are for pupils already on SEN support")
    parent_share = ctx.paper("parent_share")
    src.add("requests.parent_share", f"{parent_share}: seed 004 (32% of requests from "
            "parent carers)")
    table = {"rate_per_1000_by_age": rates, "trend_per_year": r(trend, 4),
             "trend_sd_per_year": r(trend_sd, 4), "trend_base_date": dt.date(2022, 7, 1),
             "from_sen_support": FROM_SEN_SUPPORT, "parent_share": parent_share}
    return table, {"received": received, "trend": r(trend, 4)}


def trend_base_date_line(ctx: Context) -> None:
    ctx.src.add("requests.trend_base_date", "2022-07-01, the middle of calendar 2022 whose "
                "requests and mid-year population give the rates")


def requests_by_template_age_shape(ctx: Context, pop: pd.DataFrame) -> tuple[dict, dict]:
    """The template's request rates by age, scaled to the council's own 2022 requests; the
    trend is the council's own 2019-2022 growth."""
    la, base, t = ctx.la, ctx.template["requests"], ctx.template_name
    received = requests_received(ctx)
    n2022 = received[FLOW_YEAR]
    shape = np.array(base["rate_per_1000_by_age"])
    implied = float(np.sum(shape * pop["2022"].to_numpy()) / 1000)
    k = n2022 / implied
    rates = [r(x * k, 4) for x in shape]
    share3 = rates[3] * pop.loc[3, "2022"] / 1000 / n2022
    trend = (n2022 / received["2019"]) ** (1 / 3) - 1
    trend_sd = trend / 1.645
    new_by_age = dfe.new_plans_by_age(la, ctx.data)
    new_by_age = new_by_age[new_by_age["time_period"] == FLOW_YEAR]
    under5_new = new_by_age[new_by_age["age_band"] == "under_5"]["new_ehc_plans"].sum()
    new_total = new_by_age["new_ehc_plans"].sum()
    src = ctx.src
    src.add("requests.rate_per_1000_by_age", f"{t}'s rates by age (its shape: seed 004 "
            f"Figure 3 and {t}'s new plans by age; the {la.name} publishes no "
            f"requests by age) times {k:.4f}, so that with this file's mid-2022 population they "
            f"give the {la.name}'s {int(n2022)} requests received in 2022 ({D25}, requests.csv, "
            f"requests_received_in_year); {share3:.1%} of them at age 3, against "
            f"{int(under5_new)} of the island's {int(new_total)} new plans of 2022 started "
            "under 5 (newplans.csv)")
    trend_base_date_line(ctx)
    src.add("requests.trend_per_year", f"{trend:.4f}: the {la.name}'s own growth in requests "
            f"2019-2022 ({int(received['2019'])} to {int(n2022)}, {D25}; "
            + ", ".join(f"{y} {int(v)}" for y, v in received.items())
            + "), data up to the start only" + ctx.words("requests.trend_per_year:papers", ""))
    src.add("requests.trend_sd_per_year", f"{trend_sd:.4f} = trend/1.645, assumption: the same "
            f"convention as {t}'s, so the 5th percentile of the trend is no growth")
    ctx.say("requests.trend_changes", "none: the base file carries one trend forward")
    ctx.keep("requests.from_sen_support", **base)
    ctx.keep("requests.parent_share", **base)
    table = dict(base)
    table.update({"rate_per_1000_by_age": rates, "trend_per_year": r(trend, 4),
                  "trend_sd_per_year": r(trend_sd, 4), "trend_base_date": dt.date(2022, 7, 1),
                  "trend_changes": []})
    return table, {"received": received, "trend": r(trend, 4)}


# -- decision to assess --------------------------------------------------------------------------

def derive_decide_to_assess(ctx: Context) -> tuple[dict, dict]:
    """The refusal rate: the papers' later figure where they give one, else the council's own
    2022 rate; the decision times and re-requests are assumptions, or the template's."""
    req = dfe.requests(ctx.la, ctx.data)
    refused = {y: dfe.value(req, y, "requests_decided_not_to_assess") for y in FLOW_YEARS}
    received = requests_received(ctx)
    latest = refused[FLOW_YEAR] / received[FLOW_YEAR]
    src = ctx.src
    if ctx.quotes("no_to_assess_2023"):
        no_to_assess = ctx.paper("no_to_assess_2023")
        src.add("decide_to_assess.no_to_assess", f"{no_to_assess}: {ctx.council.paper} "
                f"({ctx.la.name} 2023, {no_to_assess:.1%}); {D25} requests.csv gives {int(refused[FLOW_YEAR])}/"
                f"{int(received[FLOW_YEAR])} = {latest:.1%} for 2022")
    else:
        no_to_assess = r(latest, 4)
        src.add("decide_to_assess.no_to_assess", f"{latest:.4f} = {int(refused[FLOW_YEAR])}/"
                f"{int(received[FLOW_YEAR])}, {ctx.own}requests decided not to assess / "
                f"received in 2022 ({D25} requests.csv); earlier years "
                + ", ".join(f"{y} {refused[y] / received[y]:.1%}" for y in FLOW_YEARS[:-1])
                + f" (the latest year is used, as for {ctx.template_name})")
    if ctx.template:
        behaviour = {k: v for k, v in ctx.template["decide_to_assess"].items() if k != "no_to_assess"}
        for key in ("decision_weeks_min/mode/max", "refused_request_again",
                    "request_again_after_months"):
            ctx.keep(f"decide_to_assess.{key}", **behaviour)
    else:
        lo, mode, hi = DECISION_WEEKS
        behaviour = {"decision_weeks_min": lo, "decision_weeks_mode": mode, "decision_weeks_max": hi,
                 "refused_request_again": REFUSED_REQUEST_AGAIN,
                 "request_again_after_months": REQUEST_AGAIN_AFTER_MONTHS}
        src.add("decide_to_assess.decision_weeks_min/mode/max", f"assumption: triangular "
                f"{DECISION_WEEKS} weeks around the statutory 6-week deadline (DfE has no "
                f"{ctx.la.name} decision-time figures before 2023: request_outcome_six_weeks is x)")
        src.add("decide_to_assess.refused_request_again", f"assumption: {REFUSED_REQUEST_AGAIN} "
                "of refused children are requested for again (new request or appeal)")
        src.add("decide_to_assess.request_again_after_months", f"assumption: "
                f"{REQUEST_AGAIN_AFTER_MONTHS:g} months on average before a refused child's next "
                "request")
    table = {"no_to_assess": no_to_assess, **behaviour}
    return table, {"refused": refused, "received": received, "no_to_assess": no_to_assess}


# -- assessment ----------------------------------------------------------------------------------

def triangular_pdf(grid: np.ndarray, lo: float, mode: float, hi: float) -> np.ndarray:
    up = np.where((grid >= lo) & (grid <= mode), 2 * (grid - lo) / ((hi - lo) * (mode - lo)), 0.0)
    down = np.where((grid > mode) & (grid <= hi), 2 * (hi - grid) / ((hi - lo) * (hi - mode)), 0.0)
    return up + down


def prob_within_20_weeks() -> float:
    """P(decision + EP advice + drafting <= 20 weeks) with no EP queue (numerical convolution)."""
    step = 0.001
    grid = np.arange(0, 30, step)
    a = triangular_pdf(grid, *DECISION_WEEKS) * step
    b = triangular_pdf(grid, *DRAFTING_WEEKS) * step
    total = np.convolve(a, b)[: len(grid)]
    return float(total[grid <= 20 - EP_ADVICE_WEEKS].sum())


@dataclass
class Assessments:
    """The council's 2019-2022 assessments (``DfE EHC plans 2025 release``, assessments.csv)."""

    issued: dict[str, float]
    not_issued: dict[str, float]

    @property
    def completed(self) -> dict[str, float]:
        return {y: self.issued[y] + self.not_issued[y] for y in FLOW_YEARS}

    @property
    def capacity(self) -> float:
        """EP advices a month: 2022's assessments completed / 12."""
        return self.completed[FLOW_YEAR] / 12


def assessments_2019_2022(ctx: Context) -> Assessments:
    ass = dfe.assessments(ctx.la, ctx.data)
    return Assessments({y: dfe.value(ass, y, "assess_issued") for y in FLOW_YEARS},
                       {y: dfe.value(ass, y, "assess_not_issued") for y in FLOW_YEARS})


def no_to_issue(ctx: Context, a: Assessments) -> float:
    """The not-issued rate: the papers' later figure where they give one, else 2022's."""
    done, no = a.completed[FLOW_YEAR], a.not_issued[FLOW_YEAR]
    if ctx.quotes("no_to_issue_2023"):
        value = ctx.paper("no_to_issue_2023")
        ctx.src.add("assessment.no_to_issue", f"{value}: {ctx.council.paper} ({ctx.la.name} "
                    f"2023, {value:.1%}); {D25} "
                    f"assessments.csv gives {int(no)}/{int(done)} = {no / done:.1%} for 2022")
        return value
    ctx.src.add("assessment.no_to_issue", f"{no / done:.4f} = {int(no)}/{int(done)}, assessments "
                f"not issued / completed in 2022 ({D25} assessments.csv); earlier years "
                + ", ".join(f"{y} {a.not_issued[y] / a.completed[y]:.1%}" for y in FLOW_YEARS[:-1])
                + " (falling; the latest year is used)")
    return r(no / done, 4)


def ep_advices_line(ctx: Context, a: Assessments, note: str = "") -> None:
    ctx.src.add("assessment.ep_advices_per_month", f"{a.capacity:.2f} = assessments completed "
                f"in 2022 (assess_issued {int(a.issued[FLOW_YEAR])} + assess_not_issued "
                f"{int(a.not_issued[FLOW_YEAR])}, {D25} assessments.csv) / 12" + note)


def timely_share_2022(ctx: Context) -> float:
    """Per cent of 2022's plans issued within 20 weeks."""
    return dfe.value(dfe.timeliness(ctx.la, ctx.data), FLOW_YEAR, "pc_plans_issued_within_20_weeks")


def ep_priority_share(ctx: Context, note: str) -> float:
    pct20 = timely_share_2022(ctx)
    priority = pct20 / 100 / prob_within_20_weeks()
    ctx.src.add("assessment.ep_priority_share", f"{priority:.3f} = the share of 2022 plans issued "
                f"within 20 weeks ({pct20}%, {D25} timeliness_20_week.csv) / the chance a plan "
                f"with no EP queue is issued within 20 weeks ({prob_within_20_weeks():.3f})" + note)
    return r(priority, 3)


def assessment_times(ctx: Context) -> dict:
    """EP advice and drafting times: assumptions, or the template's."""
    if ctx.template:
        base = ctx.template["assessment"]
        for key in ("ep_advice_weeks", "drafting_weeks_min/mode/max"):
            ctx.keep(f"assessment.{key}", **base)
        return {k: base[k] for k in ("ep_advice_weeks", "drafting_weeks_min",
                                     "drafting_weeks_mode", "drafting_weeks_max")}
    ctx.src.add("assessment.ep_advice_weeks", f"assumption: {EP_ADVICE_WEEKS:g}, the statutory "
                "6-week deadline for advice")
    ctx.src.add("assessment.drafting_weeks_min/mode/max", f"assumption: triangular "
                f"{DRAFTING_WEEKS} weeks, so that with no EP queue request-to-issue (decision "
                f"{DECISION_WEEKS} + EP advice {EP_ADVICE_WEEKS:g} + drafting) is within 20 "
                f"weeks with probability {prob_within_20_weeks():.3f}")
    return {"ep_advice_weeks": EP_ADVICE_WEEKS, "drafting_weeks_min": DRAFTING_WEEKS[0],
            "drafting_weeks_mode": DRAFTING_WEEKS[1], "drafting_weeks_max": DRAFTING_WEEKS[2]}


def backlog_from_flows(ctx: Context, received: dict, refused: dict,
                       completed: dict) -> tuple[int, float, tuple[int, int, int]]:
    """Assessments in progress at the start (SEN2's stock at the end of 2018 plus the flows
    since), how old the oldest is, and the (low, central, high) range."""
    mi = dfe.sen2_mi(ctx.la, ctx.data)
    stock_2018 = dfe.value(mi, "2018", "AssnodecisionEHC")
    stock_2021 = dfe.value(mi, "2021", "AssnodecisionEHC")
    net = {y: received[y] - refused[y] - completed[y] for y in FLOW_YEARS}
    in_progress = int(round(stock_2018 + sum(net.values())))
    agreed_per_week = (received[FLOW_YEAR] - refused[FLOW_YEAR]) / (365.25 / 7)
    oldest = in_progress / agreed_per_week
    pct20 = timely_share_2022(ctx)
    ctx.src.add("assessment.in_progress_at_start", f"{in_progress} = assessments in progress at "
                f"31 December 2018 ({int(stock_2018)}, {D22} sen2_mi.csv AssnodecisionEHC) + the "
                "sum over 2019-2022 of (requests - refusals - assessments completed) = "
                + " + ".join(f"{int(net[y])}" for y in FLOW_YEARS)
                + f" ({D25}); withdrawals are not published and are ignored. Range: flows alone "
                f"{int(sum(net.values()))}; SEN2's own stock at 31 December 2021 "
                f"({int(stock_2021)}) plus 2022's flow {int(net[FLOW_YEAR])} = "
                f"{int(stock_2021 + net[FLOW_YEAR])}")
    ctx.src.add("assessment.oldest_in_progress_weeks", f"{oldest:.1f} = in_progress_at_start / "
                f"agreed requests a week in 2022 ({agreed_per_week:.1f}), i.e. the assessments in "
                "progress are the last that many weeks of agreed requests; the front of the queue "
                f"is far past 20 weeks, consistent with {pct20}% of 2022 plans issued within 20 "
                f"weeks ({D25} timeliness_20_week.csv)")
    spread = (int(sum(net.values())), in_progress, int(stock_2021 + net[FLOW_YEAR]))
    return in_progress, oldest, spread


def agency_ep_capacity(requests_2022: float, trend: float, no_to_assess: float, capacity: float,
                       in_progress: int, clear_months: float = AGENCY_EP_MONTHS) -> dict:
    """Agency EPs clear the queue in 18 months from April 2023; then capacity matches demand.
    (`clear_months` varies the clearing time only, for the uncertainty range.)"""
    base = dt.date(2022, 7, 1)

    def demand_per_month(d: dt.date) -> float:
        return requests_2022 * (1 + trend) ** years_since(d, base) * (1 - no_to_assess) / 12

    months_to_agency = years_since(AGENCY_EP_START, START) * 12
    queue_at_agency = in_progress + (demand_per_month(START) - capacity) * months_to_agency
    months = AGENCY_EP_START.month - 1 + AGENCY_EP_MONTHS
    agency_end = dt.date(AGENCY_EP_START.year + months // 12, months % 12 + 1, 1)
    mid_agency = AGENCY_EP_START + (agency_end - AGENCY_EP_START) / 2
    steady = demand_per_month(agency_end)
    working_stock = steady * EP_ADVICE_WEEKS / (365.25 / 7 / 12)
    agency = demand_per_month(mid_agency) + (queue_at_agency - working_stock) / clear_months
    return {"agency": agency, "agency_end": agency_end, "steady": steady, "queue": queue_at_agency,
            "working_stock": working_stock, "mid_demand": demand_per_month(mid_agency)}


def assessment_backlog_cleared_by_agency_eps(ctx: Context, requests: dict,
                                             decide: dict) -> tuple[dict, list[dict]]:
    """The papers say the backlog was cleared with agency Educational Psychologists: capacity
    is 2022's completions, raised from April 2023 to clear the queue, then matching demand."""
    src = ctx.src
    a = assessments_2019_2022(ctx)
    nti = no_to_issue(ctx, a)
    times = assessment_times(ctx)
    ep_advices_line(ctx, a, "; completions were capacity-bound (the backlog grew all year)")
    in_progress, oldest, spread = backlog_from_flows(ctx, requests["received"], decide["refused"],
                                                     a.completed)
    args = (requests["received"][FLOW_YEAR], requests["trend"], decide["no_to_assess"],
            a.capacity, in_progress)
    cap = agency_ep_capacity(*args)
    src.add("assessment.ep_capacity_changes", f"assumption, after seed 004 (backlog cleared with "
            f"agency Educational Psychologists in 2023-24; by late 2024 at its lowest since "
            f"2020): from {AGENCY_EP_START} agency EPs raise capacity to {cap['agency']:.1f} a "
            f"month = demand mid-period ({cap['mid_demand']:.1f}: 2022 requests x "
            f"(1+trend)^t x (1 - no_to_assess) / 12) + the queue expected by then "
            f"({cap['queue']:.0f}, less a working stock of {cap['working_stock']:.0f} in EP "
            f"advice) cleared over {AGENCY_EP_MONTHS} months; from {cap['agency_end']} capacity "
            f"matches demand then ({cap['steady']:.1f} a month)")
    changes = [{"date": AGENCY_EP_START, "per_month": r(cap["agency"], 1)},
               {"date": cap["agency_end"], "per_month": r(cap["steady"], 1)}]
    agency_range = [r(agency_ep_capacity(*args, clear_months=n)["agency"], 1)
                    for n in (AGENCY_CLEAR_MONTHS_RANGE[1], AGENCY_CLEAR_MONTHS_RANGE[0])]
    src.add("uncertainty", "parameters drawn once per replication from triangular (low, mode, "
            "high) ranges, each entry naming its own source: assessment.in_progress_at_start "
            f"{spread} and assessment.ep_capacity_changes[0].per_month "
            f"({agency_range[0]}, {changes[0]['per_month']}, {agency_range[1]})")
    uncertainty = [
        {"key": "assessment.in_progress_at_start", "low": spread[0], "mode": spread[1],
         "high": spread[2],
         "source": "the three estimates of the backlog at the start: 2019-2022 flows alone; "
                   "plus SEN2's stock at the end of 2018 (the central value); SEN2's own stock "
                   "at the end of 2021 plus 2022's flow"},
        {"key": "assessment.ep_capacity_changes[0].per_month", "low": agency_range[0],
         "mode": changes[0]["per_month"], "high": agency_range[1],
         "source": f"the agency EP capacity that clears the queue in "
                   f"{AGENCY_CLEAR_MONTHS_RANGE[1]} (low) to {AGENCY_CLEAR_MONTHS_RANGE[0]} (high) "
                   f"months rather than {AGENCY_EP_MONTHS}: seed 004 says only that the backlog "
                   "was cleared with agency EPs during 2023-24"},
    ]
    priority = ep_priority_share(ctx, ": in 2022 the backlog grew all year, so plans issued on "
                                 "time were ones taken ahead of the queue")
    table = {"ep_advices_per_month": r(a.capacity, 2), "ep_priority_share": priority,
             "ep_capacity_changes": changes, **times, "no_to_issue": nti,
             "in_progress_at_start": in_progress, "oldest_in_progress_weeks": r(oldest, 1)}
    return table, uncertainty


def assessment_capacity_follows_demand(ctx: Context, requests: dict,
                                       decide: dict) -> tuple[dict, list[dict]]:
    """For a council whose completions kept pace with agreed requests: capacity set each April
    to the agreed requests expected that year, times 2022's completions per agreed request;
    the assessments in progress are the mean of SEN2's year-end stocks."""
    la, src, t = ctx.la, ctx.src, ctx.template_name
    a = assessments_2019_2022(ctx)
    completed = a.completed
    received, refused = decide["received"], decide["refused"]
    agreed = {y: received[y] - refused[y] for y in FLOW_YEARS}
    nti = no_to_issue(ctx, a)
    follow = completed[FLOW_YEAR] / agreed[FLOW_YEAR]
    base_date = dt.date(2022, 7, 1)
    trend, nta = requests["trend"], decide["no_to_assess"]

    def demand_per_month(d: dt.date) -> float:
        return received[FLOW_YEAR] * (1 + trend) ** years_since(d, base_date) * (1 - nta) / 12

    changes = [{"date": dt.date(y, 4, 1),
                "per_month": r(demand_per_month(dt.date(y, 10, 1)) * follow, 1)}
               for y in EP_CAPACITY_YEARS]
    ep_advices_line(ctx, a)
    src.add("assessment.ep_capacity_changes", "assumption: capacity follows demand, as the "
            "island's completions kept pace with agreed requests in 2019-2022 (completed vs "
            "agreed: " + ", ".join(f"{y} {int(completed[y])}/{int(agreed[y])}" for y in FLOW_YEARS)
            + f"): each 1 April from {EP_CAPACITY_YEARS[0]} to {EP_CAPACITY_YEARS[-1]}, the "
            "agreed requests expected in the middle of that financial year (2022's "
            f"{int(received[FLOW_YEAR])} requests x (1 + requests.trend_per_year)^t x (1 - "
            f"no_to_assess) / 12) times 2022's completions/agreed ratio {follow:.3f}: "
            + ", ".join(f"{c['date'].year} {c['per_month']}" for c in changes)
            + ". Population change is left out (under 1% a year at these ages)."
            + ctx.words("assessment.ep_capacity_changes:papers", "")
            + f" {t}'s agency-EP changes are {t}'s history and are not used. A scenario with "
            "faster demand growth keeps these capacities unless it changes them")

    mi = dfe.sen2_mi(la, ctx.data)
    stocks = {y: dfe.value(mi, y, "AssnodecisionEHC") for y in ("2018", "2019", "2020", "2021")}
    net = {y: agreed[y] - completed[y] for y in FLOW_YEARS}
    in_progress = int(round(float(np.mean(list(stocks.values())))))
    low = int(stocks["2021"] + net[FLOW_YEAR])
    high = int(stocks["2018"] + sum(net.values()))
    agreed_per_week = agreed[FLOW_YEAR] / (365.25 / 7)
    oldest = in_progress / agreed_per_week
    pct20 = timely_share_2022(ctx)
    src.add("assessment.in_progress_at_start", f"{in_progress} = the mean of SEN2's assessments "
            "in progress at 31 December 2018-2021 ("
            + ", ".join(f"{int(v)}" for v in stocks.values())
            + f", {D22} sen2_mi.csv AssnodecisionEHC), the island having no backlog to speak of "
            f"({pct20}% of 2022 plans within 20 weeks). Range: SEN2's stock at 31 December 2021 "
            f"plus 2022's net flow (requests - refusals - completions, {int(net[FLOW_YEAR])}) = "
            f"{low}; the stock at the end of 2018 plus the 2019-2022 net flows ("
            + " + ".join(f"{int(net[y])}" for y in FLOW_YEARS)
            + f", {D25}; withdrawals unpublished and ignored, so too high) = {high}")
    src.add("assessment.oldest_in_progress_weeks", f"{oldest:.1f} = in_progress_at_start / "
            f"agreed requests a week in 2022 ({agreed_per_week:.2f})")
    priority = ep_priority_share(ctx, f", the rule used for {t}")
    times = assessment_times(ctx)
    uncertainty = [{
        "key": "assessment.in_progress_at_start", "low": float(low), "mode": float(in_progress),
        "high": float(high),
        "source": f"the three estimates of {ctx.own}assessments in progress at the "
                  "start: SEN2's stock at the end of 2021 plus 2022's net flow (low); the mean "
                  "of SEN2's year-end stocks 2018-2021 (mode); the end-2018 stock plus the "
                  "2019-2022 net flows, which ignore withdrawals (high)"}]
    src.add("uncertainty", "parameters drawn once per replication from triangular (low, mode, "
            f"high) ranges: assessment.in_progress_at_start ({low}, {in_progress}, {high}); "
            f"{t}'s agency-EP range is not carried over (no agency EPs here)")
    table = dict(ctx.template["assessment"])
    table.update({
        "ep_advices_per_month": r(a.capacity, 2), "ep_capacity_changes": changes,
        "ep_priority_share": priority, "no_to_issue": nti, **times,
        "in_progress_at_start": in_progress, "oldest_in_progress_weeks": r(oldest, 1),
    })
    return table, uncertainty


# -- placement -----------------------------------------------------------------------------------

def pooled_new_plan_mix(by_age) -> tuple[dict, dict[str, int]]:
    """Shares of new plans by setting within each age band, pooled over the years of
    `dfe.new_plans_by_age_and_setting`, and the plans counted in each band."""
    pooled = by_age.groupby("age_band")[list(SETTINGS)].sum()
    mix = {}
    for band in AGE_BANDS:
        counts = restrict_to_age_band(pooled.loc[band].to_dict(), band)
        mix[band] = rounded_distribution({s: counts[s] for s in SETTINGS if s in counts})
    return mix, {b: int(pooled.loc[b].sum()) for b in AGE_BANDS}


def new_plans_by_age_and_setting(ctx: Context) -> pd.DataFrame:
    """2022's new plans by age when started and placement; a council whose placement cells do
    not add up to each row's total (`Council.new_plans_add_up`) is read without that check."""
    return dfe.new_plans_by_age_and_setting(ctx.la, ctx.data, strict=ctx.council.new_plans_add_up)


NEW_PLAN_MIX_WORDS = (
    "{D25} newplans.csv, 'Age when plan started' rows for {name}, pooled over every year with "
    "that breakdown ({years}); placements mapped with sendsim.data.placements, ages grouped into "
    "bands (plans: {counted}); a setting a band cannot hold (codes.SETTINGS_BY_AGE_BAND, e.g. a "
    "4-year-old recorded NEET) counted as eotas; shares rounded to 6 dp, last fixed to sum to 1")


def derive_new_plan_mix(ctx: Context) -> dict:
    by_age = new_plans_by_age_and_setting(ctx)
    years = sorted(by_age["time_period"].unique())
    gap = (by_age[list(SETTINGS)].sum(axis=1) - by_age["total"]).abs()
    mix, n = pooled_new_plan_mix(by_age)
    ctx.say("placement.new_plan_mix", NEW_PLAN_MIX_WORDS, D25=D25, name=ctx.la.name,
            years=", ".join(years), counted=", ".join(f"{b} {n[b]}" for b in AGE_BANDS),
            rows_off=int((gap > 0.5).sum()), rows=len(by_age), plans_off=int(gap.sum()))
    return mix


def derive_places(ctx: Context, caseload: dict[str, int]) -> dict:
    places = {s: int(math.ceil(caseload[s] * (1 + PLACE_HEADROOM)))
              for s in ("resource_base", "special", "specialist_post16")}
    label = f"assumption ({ctx.template_name}'s rule)" if ctx.template else "assumption"
    ctx.src.add("placement.places", f"{label}: January 2023 occupancy (start_state) plus "
                f"{PLACE_HEADROOM:.0%} headroom, rounded up: "
                + ", ".join(f"{s} {caseload[s]} -> {v}" for s, v in places.items())
                + ctx.words("placement.places:papers", ""))
    return places


def derive_place_changes(ctx: Context) -> list[dict]:
    """The specialist places the council's papers say were delivered or are planned; none
    where its papers' places are a scenario."""
    if not ctx.quotes("special_places_sep_2024"):
        ctx.say("placement.place_changes", "none")
        return []
    melksham = ctx.paper("melksham_house")
    further = ctx.paper("further_special_places")
    sep24, south = ctx.paper("special_places_sep_2024"), ctx.paper("special_school_south_sep_2025")
    changes = [
        {"date": dt.date(2024, 9, 1), "setting": "special", "places": sep24,
         "label": f"{sep24} of 156 new special school places due Sep 2024 delivered (seed 004)"},
        {"date": dt.date(2025, 4, 1), "setting": "special",
         "places": melksham["primary"] + melksham["secondary"],
         "label": f"Melksham House SEMH: {melksham['primary']} primary + {melksham['secondary']} "
                  "secondary (seed 004; opening early 2025)"},
        {"date": dt.date(2025, 9, 1), "setting": "special", "places": south,
         "label": f"New {south}-place special school, south of the county (seed 004)"},
    ] + [{"date": d, "setting": "special", "places": n,
          "label": f"Further special school places, {d:%b %Y} (seed 004)"} for d, n in further.items()]
    cases = dfe.caseload(ctx.la, ctx.data)
    special = {c: dfe.value(cases, c, "special_la_maintained") + dfe.value(cases, c, "special_academy_free")
               for c in ("201819", CENSUS)}
    ctx.src.add("placement.place_changes", "seed 004: 98 special places delivered September 2024 "
                "(of 156 due; the other 58 are left out as undelivered); Melksham House, 50 "
                "primary and 25 secondary SEMH places, treated as special places, assumption: "
                "open 1 April 2025 (seed: Ofsted registration 'hoped to conclude in early 2025'); "
                "the new 120-place special school from September 2025; 25 more special places "
                "September 2025; 50 from September 2028. New secondary resource bases from "
                "September 2025 are left out: seed 004 gives no number of places. None before "
                f"September 2024: seed 002 (July 2024) counts "
                f"{ctx.paper('specialist_places_2020_2024')} specialist school places created "
                "2020-2024, and the maintained and academy special caseload grew by "
                f"{int(special[CENSUS] - special['201819'])} from January 2019 to January 2023 "
                f"({D25}), which with the 98 of September 2024 accounts for them")
    return changes


def derive_placement(ctx: Context, caseload: dict[str, int]) -> dict:
    mix = derive_new_plan_mix(ctx)
    places = derive_places(ctx, caseload)
    changes = derive_place_changes(ctx)
    if ctx.template:
        inmss_when_full = dict(ctx.template["placement"]["inmss_when_full"])
        ctx.keep("placement.inmss_when_full", shares=", ".join(
            f"{s} {v}" for s, v in inmss_when_full.items()))
    else:
        inmss_when_full = dict(INMSS_WHEN_FULL)
        ctx.src.add("placement.inmss_when_full", f"assumption: special "
                    f"{INMSS_WHEN_FULL['special']} (half of children named for a full special "
                    "school go to INMSS at once, half wait in mainstream for a place); "
                    f"resource_base {INMSS_WHEN_FULL['resource_base']} (a child named for a full "
                    "resource base waits in mainstream: an independent special school is not a "
                    "substitute for a resource base); specialist_post16 "
                    f"{INMSS_WHEN_FULL['specialist_post16']} (a young person named for a full "
                    "specialist post-16 institution waits where they are)")
    return {"new_plan_mix": mix, "places": places, "place_changes": changes,
            "inmss_when_full": inmss_when_full}


# -- phase transfers -----------------------------------------------------------------------------

def post19_table(continuing: dict[str, dict[str, float]], mix: dict[str, float]) -> dict:
    """into_post19: from each setting, ceasing (POST19_CEASE_SHARE, split by `mix`) or moving
    on as in `continuing`."""
    table = {}
    for frm, to in continuing.items():
        cease = POST19_CEASE_SHARE.get(frm, 0.0)
        shares = {s: (1 - cease) * x for s, x in to.items()}
        shares.update({f"cease_{k}": cease * mix[k] for k in POST19_REASONS})
        table[frm] = rounded_distribution(shares)
    return table


def ceased_2022(ctx: Context) -> dict[str, float]:
    """2022's ceased plans by reason ({D25} ceased_plans.csv)."""
    ceased = dfe.ceased_plans(ctx.la, ctx.data)
    return {k: dfe.value(ceased, FLOW_YEAR, k) for k in
            ("needs_met", "he", "employ", "no_engage", "transfer", "moved_outside_eng", "deceased",
             "max_age", "total_ceased")}


def derive_phase_transfer(ctx: Context, by_setting: dict[str, int],
                          by_age: dict[str, int]) -> tuple[dict, dict[str, float]]:
    """The transition tables, and the plans expected to cease at the post-19 transition in a
    year by reason (none counted for a council keeping the template's tables and reviews)."""
    new = new_plans_by_age_and_setting(ctx)
    reception = new[new["age_label"].isin(["age 4", "age 5"])]
    school = ("mainstream", "resource_base", "special", "inmss")
    counts = reception[list(school)].sum()
    into_reception = {"early_years": rounded_distribution({s: float(counts[s]) for s in school})}
    ctx.src.add("phase_transfer.into_reception", "early_years -> the school settings of "
                f"{ctx.own}new plans started at ages 4 and 5 ({D25} newplans.csv, 2022: "
                + ", ".join(f"{s} {int(counts[s])}" for s in school)
                + "); children already in school settings stay")
    if ctx.template:
        tables = dict(ctx.template["phase_transfer"])
        tables["into_reception"] = into_reception
        for name in ("into_secondary", "into_post16", "into_post19"):
            ctx.keep(f"phase_transfer.{name}")
        return tables, {}
    tables = {"into_reception": into_reception}
    for name in ("into_secondary", "into_post16"):
        tables[name] = {frm: rounded_distribution(to)
                        for frm, to in PHASE_TRANSFER_ASSUMED[name].items()}
    c = ceased_2022(ctx)
    reasons = {k: c[k] for k in POST19_REASONS}
    mix = {k: v / sum(reasons.values()) for k, v in reasons.items()}
    tables["into_post19"] = post19_table(PHASE_TRANSFER_ASSUMED["into_post19"], mix)
    # consistency: young people go only where their age band can be (or cease at 19)
    for name, band in (("into_post16", "16_19"), ("into_post19", "20_25")):
        allowed = set(SETTINGS_BY_AGE_BAND[band]) | {f"cease_{k}" for k in POST19_REASONS}
        for frm, row in tables[name].items():
            bad = set(row) - allowed
            assert not bad, f"{name}.{frm} sends young people to {sorted(bad)}"
    joint = start_joint_table(dict(by_setting), dict(by_age))
    entering = {s: AGE19_SHARE_OF_16_19 * joint.get(("16_19", s), 0) for s in SETTINGS}
    transition = {k: sum(entering[s] * row.get(f"cease_{k}", 0.0)
                         for s, row in tables["into_post19"].items()) for k in POST19_REASONS}
    n_entering = sum(entering.values())
    by_age_hist = dfe.caseload_by_age(ctx.la, ctx.data)
    jan22_16_19, jan22_20_25 = (int(by_age_hist.loc[PREVIOUS_CENSUS_YEAR, b]) for b in ("16_19", "20_25"))
    growth_20_25 = " and ".join(
        str(int(by_age_hist.loc[y, "20_25"] - by_age_hist.loc[str(int(y) - 1), "20_25"]))
        for y in ("2021", PREVIOUS_CENSUS_YEAR))
    t_total = sum(transition.values())
    src = ctx.src
    src.add("phase_transfer.into_secondary", "assumption: most stay in their type of setting; "
            "some move up at Year 7 (secondary resource base places are scarce: seed 004), a few "
            "INMSS pupils step down at the phase transfer")
    src.add("phase_transfer.into_post16", "assumption informed by the January 2023 caseload "
            "(FE and specialist post-16 = 15.3% of plans, fe_total_pc; about two thirds of the "
            "16-19 band): most mainstream and resource-base pupils move to FE colleges; special "
            "and INMSS pupils mostly stay (school sixth forms) or go to specialist post-16. No "
            "plan ceases at 16: young people stay in education or training to 18, higher "
            "education starts at 18 at the earliest and 'no longer wishes to engage' applies "
            "from 19, so post-16 ceasing before 19 is left to reviews (reviews.cease_at_review)")
    src.add("phase_transfer.into_post19", "assumption: a share of young people entering NCY 15 "
            "(age 19) leave education and their plan ceases there, by the setting they leave: "
            + ", ".join(f"{k} {v:.0%}" for k, v in POST19_CEASE_SHARE.items())
            + " (most of those finishing a sixth-form or college course at 19 leave for work, "
            "higher education or no further education; fewer from special schools, INMSS and "
            "specialist post-16 institutions, whose 19-25 offer keeps more on a plan; "
            f"consistent with how few plans {ctx.la.name} holds past 19: {jan22_20_25} at 20-25, six "
            f"single years of age, against {jan22_16_19} at 16-19, four, in January 2022, the "
            f"20_25 band having grown by {growth_20_25} in the years to January 2021 and 2022, "
            f"{D22} sen2_age_caseload.csv); split "
            f"into cease_he/cease_employ/cease_no_engage as {ctx.la.name}'s 2022 ceased plans for "
            f"those reasons ({D25} ceased_plans.csv: he {int(reasons['he'])}, employ "
            f"{int(reasons['employ'])}, no_engage {int(reasons['no_engage'])}; the file has no "
            "breakdown by setting, so the same split from every setting). Those whose plan "
            "continues: school settings empty into FE, specialist post-16, EOTAS or NEET; INMSS "
            "with 19-25 provision keeps some; FE, specialist post-16, EOTAS and NEET stay. "
            f"Expected ceases at the transition a year: {t_total:.1f} = shares x plan holders "
            f"entering NCY 15 ({n_entering:.0f} = {AGE19_SHARE_OF_16_19:.0%}, one of the four "
            f"single years, of the January 2023 16_19 band of {by_age['16_19']}, by setting as "
            "the engine's start population (sendsim.population.start_joint_table): "
            + ", ".join(f"{s} {v:.1f}" for s, v in entering.items() if v > 0)
            + "); they are taken out of the review ceasing target (reviews.cease_at_review)")
    return tables, transition


# -- reviews -------------------------------------------------------------------------------------

def step_counts(ctx: Context) -> dict[str, float]:
    """SEN2's mainstream-to-special and special-to-mainstream transfers a year 2019-2021 and
    the mean January caseloads they move between."""
    mi = dfe.sen2_mi(ctx.la, ctx.data)
    cases = dfe.caseload(ctx.la, ctx.data)
    years = ("2019", "2020", "2021")
    censuses = ("201819", "201920", "202021")      # the January of each year
    return {
        "m2s": np.mean([dfe.value(mi, y, "MtosiEHC") for y in years]),
        "s2m": np.mean([dfe.value(mi, y, "SitomEHC") for y in years]),
        "mainstream": np.mean([dfe.value(cases, c, "mainstream_total") for c in censuses]),
        "special": np.mean([dfe.value(cases, c, "special_la_maintained")
                            + dfe.value(cases, c, "special_academy_free") for c in censuses]),
    }


def derive_step_rates(ctx: Context, n: dict[str, float]) -> tuple[dict, dict]:
    up = n["m2s"] / n["mainstream"]
    down = n["s2m"] / n["special"]
    step_up = {"mainstream": r(up, 4), "resource_base": r(up, 4),
               "special": STEP_UP_ASSUMED["special"]}
    step_down = {"inmss": STEP_DOWN_ASSUMED["inmss"], "special": r(down, 4),
                 "resource_base": STEP_DOWN_ASSUMED["resource_base"]}
    ctx.src.add("reviews.step_up", f"mainstream and resource_base {up:.4f} = mainstream-to-special "
                f"transfers a year 2019-2021 (mean {n['m2s']:.1f}, {D22} sen2_mi.csv MtosiEHC) / "
                f"mean January mainstream_total incl. resource bases ({n['mainstream']:.0f}, "
                f"{D25}), the same rate used for each one-step move; special: assumption "
                f"{STEP_UP_ASSUMED['special']} (INMSS grew faster than new plans placed there)")
    ctx.src.add("reviews.step_down", f"special {down:.4f} = special-to-mainstream transfers a year "
                f"2019-2021 (mean {n['s2m']:.1f}, sen2_mi.csv SitomEHC) / mean January maintained "
                f"and academy special caseload ({n['special']:.0f}); assumption: inmss "
                f"{STEP_DOWN_ASSUMED['inmss']} (seed 004: step-downs traditionally only at phase "
                f"end), resource_base {STEP_DOWN_ASSUMED['resource_base']}")
    return step_up, step_down


def reviews_in_first_year(by_age: dict[str, int], grid: int = 400) -> dict[str, float]:
    """Reviews of the start caseload expected in its first year, by the age band at the review
    (keys AGE_BANDS), and those held at age 19 (key "age_19"), for plans aged 5 or more.

    The engine gives every start plan its first review at a uniform time in the year after the
    start and decides review ceasing by age at the review; it draws start ages as a whole year
    of age on 31 August 2022 (the census's age, uniform over the band's years) plus a uniform
    fraction. So a review in the first year finds a child 0.39 to 1.39 years older than the age
    the census counts: midpoint sums over both uniforms, without a plan that reaches 25 first.
    """
    offset = (START - AUG31_BEFORE_START).days / 365.25
    mid = (np.arange(grid) + 0.5) / grid
    frac = (mid[:, None] + mid[None, :]).ravel()           # age fraction + time to the review
    out = {b: 0.0 for b in AGE_BANDS} | {"age_19": 0.0}
    edges = np.array([5.0, 11.0, 16.0, 20.0])             # band edges, as in the engine
    for band in AGE_BANDS[1:]:
        ages = AGES_IN_BAND[band]
        weight = by_age[band] / len(ages) / frac.size
        for a in ages:
            age = a + offset + frac
            age = age[age < MAX_AGE]
            counts = np.bincount(np.searchsorted(edges, age, side="right"), minlength=len(AGE_BANDS))
            for i, b in enumerate(AGE_BANDS):
                out[b] += weight * counts[i]
            out["age_19"] += weight * np.count_nonzero((age >= 19) & (age < 20))
    return out


def derive_cease_at_review(ctx: Context, c: dict[str, float], by_age: dict[str, int],
                           transition: dict[str, float]) -> dict:
    """Per-review ceasing probabilities that, with the post-19 transition, reach the papers'
    ceased plans a month."""
    pre16 = ("under_5", "5_10", "11_15")
    post16 = ("16_19", "20_25")
    anytime = c["transfer"] + c["moved_outside_eng"] + c["deceased"]
    per_month = ctx.paper("ceased_per_month_2023")
    baseline = ctx.paper("pre16_needs_met_per_year")
    target = per_month * 12
    pre16_needs_met = min(float(baseline), c["needs_met"])
    post16_2022 = c["needs_met"] - pre16_needs_met + c["he"] + c["employ"] + c["no_engage"]
    scale = (target - anytime - c["max_age"] - pre16_needs_met) / post16_2022
    scaled = {k: c[k] * scale for k in POST19_REASONS}
    scaled["needs_met"] = (c["needs_met"] - pre16_needs_met) * scale
    at_review = {k: scaled[k] - transition.get(k, 0.0) for k in scaled}
    assert all(v >= 0 for v in at_review.values()), "the post-19 transition ceases too many"
    reviews = reviews_in_first_year(by_age)

    def spread(count: float, weights: dict[str, float], denominators: dict[str, float]) -> dict[str, float]:
        total = sum(weights.values())
        return {b: r(count * w / total / denominators[b]) for b, w in weights.items()}

    post16_reviews = {b: reviews[b] for b in post16}
    age19_plus = {"16_19": reviews["age_19"], "20_25": reviews["20_25"]}
    pre16_caseload = {b: float(by_age[b]) for b in pre16}
    cease = {
        "needs_met": {**spread(pre16_needs_met, pre16_caseload, by_age),
                      **spread(at_review["needs_met"], post16_reviews, reviews)},
        "he": spread(at_review["he"], post16_reviews, reviews),
        "employ": spread(at_review["employ"], post16_reviews, reviews),
        "no_engage": spread(at_review["no_engage"], age19_plus, reviews),
    }
    t_total = sum(transition.values())
    ctx.src.add("reviews.cease_at_review", f"{D25} ceased_plans.csv, {ctx.la.name} 2022: needs_met "
                f"{int(c['needs_met'])}, he {int(c['he'])}, employ {int(c['employ'])}, no_engage "
                f"{int(c['no_engage'])} (of {int(c['total_ceased'])}). Target: seed 004's "
                f"{per_month} ceased a month in 2023 ({target} a year; 2022 had "
                f"{int(c['total_ceased'])}, {c['total_ceased'] / 12:.1f} a month) = transfer, "
                f"moved outside England, deceased ({int(anytime)}, ceasing.rate_per_year) + "
                f"max_age ({int(c['max_age'])}) + pre-16 needs_met (seed 004's baseline of "
                f"{baseline} a year) + post-16 needs_met, he, employ and "
                f"no_engage, the 2022 post-16 counts ({int(post16_2022)}) scaled by {scale:.3f} "
                f"to {sum(scaled.values()):.1f}: needs_met {scaled['needs_met']:.1f}, he "
                f"{scaled['he']:.1f}, employ {scaled['employ']:.1f}, no_engage "
                f"{scaled['no_engage']:.1f}. Of these, {t_total:.1f} cease at the post-19 "
                "transition (phase_transfer.into_post19: "
                + ", ".join(f"{k} {transition.get(k, 0.0):.1f}" for k in POST19_REASONS)
                + "), leaving for reviews "
                + ", ".join(f"{k} {at_review[k]:.1f}" for k in ("needs_met",) + POST19_REASONS)
                + ". Each count is divided by the reviews expected in 2023 in the age bands where "
                "it applies (the engine decides review ceasing by age at the review, on average "
                "0.9 years above the census's age on 31 August 2022: start ages uniform within "
                "each band, first reviews uniform over the first year, see "
                "reviews_in_first_year in the script): 16_19 "
                f"{reviews['16_19']:.0f} (of which at 19: {reviews['age_19']:.0f}), 20_25 "
                f"{reviews['20_25']:.0f}, against January 2023 caseloads of {by_age['16_19']} and "
                f"{by_age['20_25']}. needs_met pre-16 over the under_5/5_10/11_15 caseload; "
                "post-16 needs_met, he and employ over 16_19/20_25 reviews; no_engage (19+ only) "
                "over reviews at 19 and over. Reaching 25 (max_age) is the engine's, not a "
                "parameter")
    return cease


def derive_reviews(ctx: Context, by_age: dict[str, int], transition: dict[str, float]) -> dict:
    plans = sum(by_age.values())
    due = (plans + by_age["under_5"]) / 12          # under-5s twice a year
    capacity = due * (1 + REVIEW_CAPACITY_MARGIN)
    ctx.say("reviews.interval_months", "12, statutory annual review; under5_interval_months 6 "
            "(SEND Code of Practice: every 3-6 months for under-5s)")
    ctx.say("reviews.reviews_per_month", "assumption: reviews due at the start ({plans} plans + "
            "{under5} under-5s reviewed twice)/12 = {due:.0f}, plus {margin:.0%}", plans=plans,
            under5=by_age["under_5"], due=due, margin=REVIEW_CAPACITY_MARGIN)
    ctx.say("reviews.reviews_capacity_changes", "assumption: no dated changes (the seeds give no "
            "figures for SEN caseworkers)")
    counts, c = step_counts(ctx), ceased_2022(ctx)
    if ctx.template:
        base = ctx.template["reviews"]
        ctx.keep("reviews.capacity_follows_caseload", **base)
        ctx.keep("reviews.step_up", D22=D22, up=counts["m2s"] / counts["mainstream"], **counts)
        ctx.keep("reviews.step_down", down=counts["s2m"] / counts["special"], **counts)
        ctx.keep("reviews.cease_at_review", D25=D25, **{k: int(v) for k, v in c.items()})
        return {**base, "reviews_per_month": r(capacity, 1), "reviews_capacity_changes": []}
    ctx.src.add("reviews.capacity_follows_caseload", "assumption: 1.0, the casework team grows "
                "in proportion to the plans it holds, so that reviews stay about as timely as at "
                "the start; 0 would hold the team fixed while the caseload grows (a scenario choice)")
    step_up, step_down = derive_step_rates(ctx, counts)
    cease = derive_cease_at_review(ctx, c, by_age, transition)
    return {"interval_months": 12.0, "under5_interval_months": 6.0,
            "reviews_per_month": r(capacity, 1), "capacity_follows_caseload": 1.0,
            "step_down": step_down, "step_up": step_up, "cease_at_review": cease}


# -- ceasing and transfers in --------------------------------------------------------------------

def derive_ceasing(ctx: Context) -> dict:
    c = ceased_2022(ctx)
    cases = dfe.caseload(ctx.la, ctx.data)
    mean_2022 = (dfe.value(cases, PREVIOUS_CENSUS, "ehcplans") + dfe.value(cases, CENSUS, "ehcplans")) / 2
    rates = {k: {b: r(c[k] / mean_2022) for b in AGE_BANDS}
             for k in ("transfer", "moved_outside_eng", "deceased")}
    ctx.src.add("ceasing.rate_per_year", f"{ctx.own}2022 ceased plans ({D25} ceased_plans.csv: "
                f"transfer {int(c['transfer'])}, moved_outside_eng {int(c['moved_outside_eng'])}, "
                f"deceased {int(c['deceased'])}) / mean of the January 2022 and January 2023 "
                f"caseloads ({mean_2022:.1f}); the same rate in every age band "
                + ctx.words("ceasing.rate_per_year:ages", "(the file has no {name} age breakdown)",
                            name=ctx.la.name))
    return {"rate_per_year": rates}


def derive_transfers_in(ctx: Context, by_age: dict[str, int]) -> dict:
    cases = dfe.caseload(ctx.la, ctx.data)
    c22 = dfe.value(cases, PREVIOUS_CENSUS, "ehcplans")
    c23 = dfe.value(cases, CENSUS, "ehcplans")
    new = dfe.value(dfe.new_plans(ctx.la, ctx.data), FLOW_YEAR, "new_ehc_plans")
    ceased = dfe.value(dfe.ceased_plans(ctx.la, ctx.data), FLOW_YEAR, "total_ceased")
    per_year = c23 - c22 - new + ceased
    total = sum(by_age.values())
    mix = rounded_distribution({b: by_age[b] / total for b in AGE_BANDS})
    ctx.src.add("transfers_in.per_month", f"{per_year / 12:.3f} = (caseload Jan 2023 {int(c23)} - "
                f"Jan 2022 {int(c22)} - new plans 2022 {int(new)} + ceased 2022 {int(ceased)}) / "
                "12, from the identity caseload change = new + transferred in - ceased (ceased "
                f"includes plans transferred out) ({D25})"
                + ctx.words("transfers_in.per_month:note", ""))
    ctx.src.add("transfers_in.age_mix", "assumption: the start caseload's age-band shares")
    return {"per_month": r(per_year / 12, 3), "age_mix": mix}


# -- finance -------------------------------------------------------------------------------------

def derive_money(ctx: Context) -> CouncilMoney:
    """Unit costs, place funding, fixed lines, inflation, income after deductions and the
    opening balance: the same pipeline as any calibrated council (`sendsim.calibration.money`),
    at the January 2023 origin. The papers' costs and forecasts are cross-checks, not inputs
    (docs/background/money.md)."""
    history = load_history(ctx.la, ctx.data).until(2023)
    if ctx.template:
        prior = dict(ctx.template["finance"])
        caseload = float(sum(ctx.template["start_state"]["caseload_by_setting"].values()))
    else:
        prior = {"inflation_per_year": ctx.paper("inflation"),
                 "hnb_growth_per_year": ctx.paper("hnb_growth"),
                 "statutory_override_end": ctx.paper("statutory_override_end")}
        caseload = 0.0
    money = council_money(history, 2023, prior, caseload, ctx.data)
    if money.costs_basis != "own outturn":
        raise DataFileError(f"{ctx.la.name}'s 2021-22 benchmarking lines could not be used: "
                            "a built-in council's costs rest on its own outturn", ctx.data)
    for line in money.sources:
        key, _, text = line.partition(": ")
        ctx.src.add(key, text)
    return money


def derive_later_income(ctx: Context, income: dict[str, float]) -> dict[str, float]:
    """The papers' allocations after the ESFA's (2024-25, 2025-26), before deductions, moved to
    after deductions at the 2023-24 ratio of after to before."""
    if not ctx.quotes("hnb_2025_26"):
        return income
    dsg = fin.dsg_allocations(ctx.la, ctx.data)
    ratio = dsg.loc["2023-24", "high_needs_block_after"] / dsg.loc["2023-24", "high_needs_block_before"]
    latest, rise = ctx.paper("hnb_2025_26"), ctx.paper("hnb_rise_2025_26")
    out = dict(income)
    out["2024-25"] = gbp(latest / (1 + rise) * ratio)
    out["2025-26"] = gbp(latest * ratio)
    ctx.src.add("finance.hnb_income_gbp", f"2024-25 and 2025-26 from {ctx.council.paper}: "
                f"{m(latest)} provisional 2025-26 allocation, 7.9% above 2024-25, before "
                f"deductions; x {ratio:.4f}, the 2023-24 ratio of after to before deductions "
                "(ESFA), to stay on the after-deductions basis")
    return out


def derive_schools_block_transfers(ctx: Context) -> tuple[dict[str, float], float]:
    if not ctx.quotes("schools_block_share"):
        ctx.src.add("finance.schools_block_transfer_gbp", f"none: {ctx.council.paper} states no "
                    "schools block transfer (schools_block_transfer_after_gbp 0)")
        return {}, 0.0
    schools_block = fin.dsg_allocations(ctx.la, ctx.data).loc["2023-24", "schools_block_before"]
    transfers = {fy: gbp(share * schools_block) for fy, share in ctx.paper("schools_block_share").items()}
    ctx.src.add("finance.schools_block_transfer_gbp", "seed 004: 1% of the schools block in "
                "2024-25, 0.5% in 2025-26, 1% in later years (schools_block_transfer_after_gbp); "
                f"base: the 2023-24 schools block before deductions ({m(schools_block)}, ESFA), "
                "since a transfer is a share of the whole block; none before 2024-25")
    return transfers, gbp(ctx.paper("schools_block_share_after") * schools_block)


def derive_safety_valve(ctx: Context) -> list[dict]:
    """The DfE's Safety Valve payments: the papers' total, in an assumed profile, with the
    papers' deficit condition on the instalment after it; none where the papers give no amounts."""
    if not ctx.quotes("safety_valve_total"):
        ctx.say("finance.safety_valve_payments", f"none: {ctx.council.paper} gives no payment "
                "amounts or dates")
        return []
    total, limit = ctx.paper("safety_valve_total"), ctx.paper("safety_valve_max_deficit_2024_25")
    initial = total * SV_INITIAL_SHARE
    years = list(range(2024, SV_LAST_FY + 2))            # 31 March 2024 .. 31 March 2029
    rest = (total - initial) / (len(years) - 1)
    payments = []
    for n, year in enumerate(years):
        pay = {"date": dt.date(year, 3, 31), "amount_gbp": gbp(initial if n == 0 else rest)}
        if year == 2026:
            pay["max_cumulative_deficit_gbp"] = limit
        payments.append(pay)
    ctx.src.add("finance.safety_valve_payments", f"seed 004: DfE contributes {m(total)} "
                f"in all (agreement signed March 2024); no payment profile in the seeds, so "
                f"assumption: {SV_INITIAL_SHARE:.0%} on 31 March 2024, the rest in equal "
                f"instalments each 31 March to 2029 (end of 2028-29); the instalment of 31 March "
                f"2026 is paid only if the cumulative deficit at 31 March 2025 is at most 84.5m "
                "(seed 004, condition 2 for 2024-25); the other instalments are unconditional "
                "(max_cumulative_deficit_gbp left out: no limit)")
    return payments


def derive_finance(ctx: Context) -> tuple[dict, list[dict]]:
    """The finance section and its uncertainty entries."""
    money = derive_money(ctx)
    f = dict(money.finance)
    f["hnb_income_gbp"] = derive_later_income(ctx, f["hnb_income_gbp"])
    if ctx.quotes("hnb_growth"):
        f["hnb_growth_per_year"] = ctx.paper("hnb_growth")
        ctx.src.add("finance.hnb_growth_per_year", f"{f['hnb_growth_per_year']}: "
                    f"{ctx.council.paper} (HNB income +3% a year after 2025-26, DfE guidance)")
    if ctx.quotes("inflation"):
        ctx.src.add("finance.inflation_per_year (cross-check)",
                    f"{ctx.council.paper} assumes {ctx.paper('inflation'):.1%} a year on unit "
                    f"costs; the council's own outturn gives {f['inflation_per_year']:.2%}")
    ctx.inflation = f["inflation_per_year"]
    transfers, transfer_after = derive_schools_block_transfers(ctx)
    f["schools_block_transfer_gbp"] = transfers
    f["schools_block_transfer_after_gbp"] = transfer_after
    f["safety_valve_payments"] = derive_safety_valve(ctx)
    ctx.say("finance.la_contribution_gbp", "none: seed 004 mentions a council contribution in "
            "its forecast but gives no amounts")
    override = ctx.paper("statutory_override_end")
    f["statutory_override_end"] = override
    ctx.say("finance.statutory_override_end", "{override}: seed 004", override=override)
    if ctx.quotes("general_fund_reserves"):
        f["general_fund_reserves_gbp"] = ctx.paper("general_fund_reserves")
        ctx.src.add("finance.general_fund_reserves_gbp", f"for this file {m(f['general_fund_reserves_gbp'])}: "
                    f"{ctx.council.paper} (forecast general fund and earmarked reserves)")
    return f, money.uncertainty


#: Where councils differ in method: the rules a `Council` names (``Council.rules``).
RULES = {
    "population": {"ons": population_ons, "scaled_from_template": population_scaled_from_template},
    "requests": {"own_age_shape": requests_by_own_age_shape,
                 "template_age_shape": requests_by_template_age_shape},
    "assessment": {"backlog_cleared_by_agency_eps": assessment_backlog_cleared_by_agency_eps,
                   "capacity_follows_demand": assessment_capacity_follows_demand},
}


# -- the whole file ------------------------------------------------------------------------------

def derive(council: str | Council, data_dir=None) -> dict:
    """A built-in council's parameters (a dictionary for `Parameters.from_dict`) from the data
    folder (`find_data_dir`'s search if None)."""
    council = COUNCILS[council] if isinstance(council, str) else council
    data = find_data_dir(data_dir)
    template = load(council.template).to_dict() if council.template else None
    ctx = Context(data, local_authority(council.la_code, data), council, template)
    rule = {step: RULES[step][name] for step, name in council.rules.items()}
    head = derive_council(ctx)
    population, pop = rule["population"](ctx)
    by_setting = derive_caseload_by_setting(ctx)
    by_age = derive_caseload_by_age_band(ctx, sum(by_setting.values()))
    need_mix = derive_need_mix(ctx)
    sen_support = derive_sen_support(ctx, pop)
    requests, request_info = rule["requests"](ctx, pop)
    decide, decide_info = derive_decide_to_assess(ctx)
    assessment, uncertainty = rule["assessment"](ctx, request_info, decide_info)
    placement = derive_placement(ctx, by_setting)
    phase, transition = derive_phase_transfer(ctx, by_setting, by_age)
    reviews = derive_reviews(ctx, by_age, transition)
    ceasing = derive_ceasing(ctx)
    transfers_in = derive_transfers_in(ctx, by_age)
    finance, money_uncertainty = derive_finance(ctx)
    uncertainty = list(uncertainty) + money_uncertainty
    head["sources"] = ctx.src.lines
    return {
        "council": head, "population": population,
        "start_state": {"caseload_by_setting": by_setting, "caseload_by_age_band": by_age,
                        "need_mix": need_mix},
        "sen_support": sen_support, "requests": requests, "decide_to_assess": decide,
        "assessment": assessment, "placement": placement, "reviews": reviews,
        "phase_transfer": phase, "ceasing": ceasing, "transfers_in": transfers_in,
        "finance": finance, "uncertainty": uncertainty,
    }


def toml_text(params: Parameters) -> str:
    """The parameters as TOML, leaving out Safety Valve deficit limits that are infinite
    (unconditional payments: the field defaults to no limit) rather than writing 1e300; checked
    to load back to the same parameters."""
    data = params.to_dict()
    for pay in data["finance"]["safety_valve_payments"]:
        limit = pay.get("max_cumulative_deficit_gbp")
        if limit is not None and (math.isinf(limit) or limit >= 1e300):
            del pay["max_cumulative_deficit_gbp"]
    text = tomli_w.dumps(data)
    if Parameters.from_dict(tomllib.loads(text)) != params:
        raise AssertionError("the TOML written does not load back to the derived parameters")
    return text


def council_file_text(council: str | Council, data_dir=None) -> str:
    """The whole file: the council's header, then its derived parameters, validated."""
    council = COUNCILS[council] if isinstance(council, str) else council
    params = Parameters.from_dict(derive(council, data_dir), source=council.script)
    return council.header + toml_text(params)


def main(key: str, argv: list[str] | None = None, checkout: Path | None = None) -> int:
    """The command line of ``calibration/derive_<key>.py``: derive the council from the data
    folder and write its file (``sendsim/councils/<key>.toml`` of `checkout` by default)."""
    council = COUNCILS[key]
    prog = Path(council.script).stem
    default_out = (checkout or Path.cwd()) / "sendsim" / "councils" / f"{key}.toml"
    parser = argparse.ArgumentParser(prog=prog, description=f"Derive {council.name}'s parameter "
                                     f"file, sendsim/councils/{key}.toml, from published data.")
    parser.add_argument("--data", help="shared data folder (default: $SENDSIM_DATA, else "
                        "shared/data beside this checkout)")
    parser.add_argument("--out", default=str(default_out), help=f"output TOML (default: {default_out})")
    args = parser.parse_args(argv)
    try:
        text = council_file_text(council, checkout_data_dir(args.data, checkout))
    except (DataDirError, DataFileError) as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(out, text)
    print(f"wrote {out}")
    return 0
