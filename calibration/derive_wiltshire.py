"""Derive Wiltshire's parameter file, ``sendsim/councils/wiltshire.toml``, from published data.

Run from the repository root::

    python calibration/derive_wiltshire.py [--data DIR] [--out PATH]

The output is validated (`Parameters.from_dict`) before it is written, is written atomically,
and is the same bytes on every run. ``tests/calibration/test_derive_wiltshire.py`` re-runs this script and
fails if the shipped file differs, so edit this script, never the TOML.

History used ends at the January 2023 census (caseload, ``time_period`` 202223) and calendar
2022 (flows), the model's start; the January 2024 caseload is the back-test target and is not
read. Every value names its source in ``council.sources``; values that are judgement rather than
data start with "assumption:".

Sources (data folder: ``../shared/data`` unless ``--data``; Crown copyright, Open Government
Licence v3.0):

- DfE "Education, health and care plans", 2025 release (``dfe_ehcp_2025_release``):
  caseload.csv (January 2019-2023 by placement), newplans.csv (2019-2022 by placement; 2022 by
  age when the plan started), requests.csv, assessments.csv, timeliness_20_week.csv and
  ceased_plans.csv (calendar 2019-2022; ceased 2022 only).
- DfE EHC plans, 2022 release (``dfe_ehcp_2022_release``): sen2_age_caseload.csv (January 2022
  by age group), sen2_mi.csv (assessments in progress at 31 December 2018; mainstream-to-special
  and special-to-mainstream transfers 2019-2021).
- ONS 2022-based subnational population projections, Wiltshire, ages 0-25, 2022-2047.
- DfE SEND and AP dashboard: percent_pupils_ehcp_3LAs.csv (SEN support 2022/23),
  dsg_deficit_pct_of_income_all_LAs (2019-20 to 2021-22), DSG_by_year_total_allocation_all_LAs,
  high_needs_benchmarking_outturn_data_202122_all_LAs (section 251 outturn 2021-22 lines).
- DfE LAIT: % of primary and secondary pupils on SEN support (January 2022).
- ESFA DSG allocations 2019-20 to 2023-24 (high needs and schools blocks, before deductions).
- Section 251 net high-needs spend 2017-18 to 2022-23 (third-party aggregation; it equals the
  outturn's top-ups plus central services without place funding). The data README calls it a
  cross-check only: it enters the opening balance (the 2022-23 in-year deficit, for want of any
  other 2022-23 spend figure) and is reported beside the unit costs, which it no longer scales.
- Seed 000: Isle of Wight Safety Valve delivery plan (June 2024): unit costs of new places.
- Seed 002: Wiltshire SEND and Inclusion Strategy 2020-2024 final report (July 2024): 400
  specialist school places created 2020-2024.
- Seed 003: Wiltshire High Needs Budget paper to Schools Forum (January 2020): INMSS £48k.
- Seed 004: Wiltshire Children's Select Committee, Safety Valve update (January 2025): no-to-
  assess 12.0% and no-to-issue 3.9% (2023), 97 requests a month (2024), 32% parent requests, a
  quarter of requests at age 3 (Figure 3), 29 ceased plans a month (2023), 3 pre-16 "needs met"
  ceases a year, the EHCNA backlog cleared with agency EPs, special places delivered and planned,
  HNB income 80.301m (2025-26, +7.9%) and +3% a year, inflation 2.2%, schools block transfers
  1%/0.5%/1%, DfE Safety Valve £67m, cumulative deficit limit 84.5m (2024-25), statutory
  override ending 31 March 2026.

Choices the schema asks for (each also in ``council.sources``):

- Unit costs are the anchors' own values (seed 000's special satellite, resource base and
  medical costs; seed 003's INMSS average, inflated; mainstream and FE top-ups from the 2021-22
  benchmarking outturn), not scaled to the section 251 spend; the 2022-23 spend they imply is
  compared with the section 251 estimate, and the gap explained, in the unit-cost source.
- ``placement.inmss_when_full`` is a table by capacity setting: special 0.5, resource_base 0
  and specialist_post16 0 (assumptions: a resource base or specialist post-16 place is waited
  for, not replaced by an independent special school).
- Most ceasing at 19 happens at the post-19 phase transfer (``phase_transfer.into_post19``,
  young people entering NCY 15), a share by the setting left (assumption) split into he, employ
  and no_engage as Wiltshire's 2022 ceased plans; the expected ceases there in a year (shares x
  the quarter of the January 2023 16_19 band entering NCY 15) are taken out of the 2023 target
  of 29 a month before the review-ceasing probabilities are set. Those are per review, divided
  by the reviews expected in 2023 by age at the review (``reviews_in_first_year``), since the
  engine decides review ceasing by age at the review, not by the census's age on 31 August.
- Safety Valve instalments without a deficit condition are written without
  ``max_cumulative_deficit_gbp`` (the default, no limit) rather than as 1e300.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import sys
import tempfile
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import tomli_w

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from sendsim.codes import AGE_BANDS, MAX_AGE, NEEDS, SETTINGS, SETTINGS_BY_AGE_BAND  # noqa: E402
from sendsim.data import dfe, finance as fin, ons, pupils  # noqa: E402
from sendsim.data.files import DataDirError, DataFileError, find_data_dir  # noqa: E402
from sendsim.data.la import local_authority  # noqa: E402
from sendsim.data.placements import (largest_remainder, restrict_to_age_band,  # noqa: E402
                                     rounded_distribution)
from sendsim.parameters import Parameters  # noqa: E402
from sendsim.engine.population import AGES_IN_BAND, start_joint_table  # noqa: E402


def checkout_data_dir(explicit=None):
    """The data folder for a script of the checkout: `explicit` (--data), else $SENDSIM_DATA
    (None: sendsim's finder reads it), else ``shared/data`` beside the checkout, found from this
    file's location so the script runs from any folder; else None (the finder's search from the
    working folder, and its refusal listing where it looked)."""
    if explicit:
        return explicit
    if os.environ.get("SENDSIM_DATA"):
        return None
    beside = REPO.parent / "shared" / "data"
    return beside if beside.is_dir() else None

LA = "E06000054"
START = dt.date(2023, 1, 19)             # January 2023 school census day
CENSUS = "202223"                        # caseload time_period of the start census
PREVIOUS_CENSUS = "202122"
PREVIOUS_CENSUS_YEAR = "2022"            # the same census in the 2022 release's age tables
CENSUS_2022_DAY = dt.date(2022, 1, 20)   # January 2022 census day
FLOW_YEAR = "2022"                       # last complete calendar year of flows
FLOW_YEARS = ("2019", "2020", "2021", "2022")
DEFAULT_OUT = REPO / "sendsim" / "councils" / "wiltshire.toml"

D25 = "DfE EHC plans 2025 release"
D22 = "DfE EHC plans 2022 release"

# -- figures quoted in the seed documents (../shared/seeds) ------------------------------------
SEED004_NO_TO_ASSESS_2023 = 0.12
SEED004_NO_TO_ISSUE_2023 = 0.039
SEED004_REQUESTS_PER_MONTH_2024 = 97       # 12-month rolling average during 2024
SEED004_PARENT_SHARE = 0.32
SEED004_CEASED_PER_MONTH_2023 = 29
SEED004_PRE16_NEEDS_MET_PER_YEAR = 3
SEED004_HNB_2025_26 = 80_301_000.0
SEED004_HNB_RISE_2025_26 = 0.079           # 2025-26 vs 2024-25
SEED004_HNB_GROWTH = 0.03
SEED004_INFLATION = 0.022
SEED004_SV_TOTAL = 67_000_000.0
SEED004_SV_MAX_DEFICIT_2024_25 = 84_500_000.0
SEED004_OVERRIDE_END = dt.date(2026, 3, 31)
SEED004_SCHOOLS_BLOCK_SHARE = {"2024-25": 0.01, "2025-26": 0.005}
SEED004_SCHOOLS_BLOCK_SHARE_AFTER = 0.01
#: Seed 004, Figure 3 ("Age distribution of new EHCNA requests 2020-2024"): the table is
#: garbled text, columns run together and some cells are lost. These are the percentages that
#: can be read for each academic age 2-15 (all years pooled); ages 16-20 have no readable cell.
#: At age 3 the lowest value (15.23%) is 2024's part year ("the percentage is lower so far this
#: year") and is left out, so age 3 reflects "around a quarter" in the earlier years.
SEED004_FIGURE3 = {
    2: (3.95, 5.01, 3.99, 4.57), 3: (26.39, 23.52, 24.09), 4: (4.80, 4.84, 4.90),
    5: (7.14, 4.86, 5.97, 7.39, 7.51), 6: (8.33, 4.10, 5.97, 7.81, 6.75),
    7: (8.80, 6.62, 8.71, 6.08), 8: (7.74, 6.07, 8.00, 6.54, 7.62),
    9: (9.33, 8.80, 9.81, 10.10, 10.34), 10: (9.13, 12.59, 9.28, 9.34, 7.18), 11: (3.52,),
    12: (3.77, 5.61, 4.90, 5.18, 4.57), 13: (4.40, 4.16, 6.31), 14: (3.19, 3.94, 3.31),
    15: (3.03, 2.56, 2.89, 3.05),
}
SEED003_INMSS_2019_20 = 48_000.0           # 9.6m to the HNB for 205 placements
SEED000_UNIT_COSTS_2024_25 = {             # Isle of Wight sufficiency programme, June 2024
    "special_school_satellite": 28_671.0, "primary_resourced_provision": 14_579.0,
    "secondary_resourced_provision": 15_614.0, "medical_satellite": 19_028.0,
}

# -- assumptions (each one is also written to council.sources) ---------------------------------
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
PLACES_HEADROOM = 0.02
INMSS_WHEN_FULL = {"resource_base": 0.0, "special": 0.5, "specialist_post16": 0.0}
REVIEW_CAPACITY_MARGIN = 0.10
STEP_DOWN_ASSUMED = {"inmss": 0.02, "resource_base": 0.01}
STEP_UP_ASSUMED = {"special": 0.02}
AGE19_SHARE_OF_16_19 = 0.25                # one of the band's four single years
SV_INITIAL_SHARE = 0.20
SV_LAST_FY = 2028                          # 2028-29
FE_PLACE_FUNDING = 6_000.0                 # post-16 high-needs place funding (elements 1-2)

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
#: The 31 August before the start: the census counts age on this day (DfE convention) and the
#: engine draws start ages as whole years on it plus a uniform fraction (sendsim.model).
AUG31_BEFORE_START = dt.date(2022, 8, 31)


class Sources:
    """One line per derived quantity, in the order derived: ``key: where it came from``."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, key: str, text: str) -> None:
        self.lines.append(f"{key}: {text}")


def r(x: float, digits: int = 6) -> float:
    """Round for a stable file (no float noise in the last bits)."""
    return float(round(float(x), digits))


def gbp(x: float) -> float:
    return float(round(float(x)))


def m(x: float) -> str:
    return f"{x / 1e6:.3f}m"


# -- council and population --------------------------------------------------------------------

def derive_council(la, src: Sources, note: str = "") -> dict:
    src.add("council", f"{la.name}, new LA code {la.new_code} (old code {la.old_code}), from {D25} "
            f"caseload.csv; start_date {START} = January 2023 school census day" + note)
    return {"name": la.name, "la_code": la.new_code, "start_date": START}


def derive_population(data, la, src: Sources) -> tuple[dict, pd.DataFrame]:
    table = ons.population_projection(la, data)
    years = list(table.columns)
    src.add("population.projection", f"ONS 2022-based SNPP (5-year migration variant), "
            f"{Path(table.attrs['path']).name}, persons by single year of age 0-25, "
            f"mid-years {years[0]}-{years[-1]}")
    projection = {y: [r(v, 3) for v in table[y]] for y in years}
    return {"projection": projection}, table


# -- start state -------------------------------------------------------------------------------

def derive_caseload_by_setting(data, la, src: Sources) -> dict[str, int]:
    table = dfe.caseload_by_setting(la, data)
    row = table.loc[CENSUS]
    counts = {s: int(round(row[s])) for s in SETTINGS}
    assert sum(counts.values()) == int(row["total"]), "settings do not add up to ehcplans"
    src.add("start_state.caseload_by_setting", f"{D25}, caseload.csv, {la.name}, time_period "
            f"{CENSUS} (January 2023 census), {int(row['total'])} plans, mapped with "
            "sendsim.data.placements: early_years = nm_early_years; resource_base = every "
            "*_resourced_provision and *_senunit column; mainstream = mainstream_total - "
            "resource_base + placement_unknown (5); special = special_la_maintained + "
            "special_academy_free; inmss = special_independent + special_non_maintained; ap_pru "
            "= ap_pru_total; fe_college = general_fe_tertiary_colleges + ukrlp_provider; "
            "specialist_post16 = specialist_post_16_institutions; neet = neet + neet_ntci + "
            "neet_other + neet_other_csa (all four are NEET and all sit inside ed_elsewhere); "
            "eotas = ed_elsewhere - the NEET columns + other_placement_settings. Missing cells "
            "taken as 0 only because the ten settings reconcile to ehcplans exactly")
    return counts


def derive_caseload_by_age_band(data, la, total: int, src: Sources) -> dict[str, int]:
    by_age = dfe.caseload_by_age(la, data)
    year = max(y for y in by_age.index if y <= FLOW_YEAR and by_age.loc[y, list(AGE_BANDS)].notna().all())
    row = by_age.loc[year]
    counts = largest_remainder({b: float(row[b]) for b in AGE_BANDS}, total)
    shown = ", ".join(f"{b} {int(row[b])}" for b in AGE_BANDS)
    src.add("start_state.caseload_by_age_band", f"age shares of {la.name}'s January {year} "
            f"caseload ({D22}, sen2_age_caseload.csv: {shown}; latest by age) applied to the "
            f"{total} plans of January 2023, largest-remainder rounding")
    return counts


def derive_need_mix(data, src: Sources) -> dict[str, float]:
    folder = find_data_dir(data) / dfe.R2025
    need_files = sorted(p.name for p in folder.glob("*need*"))
    mix = rounded_distribution({n: NEED_MIX_ENGLAND[n] for n in NEEDS})
    src.add("start_state.need_mix", "assumption: approximate England shares of EHC plans by "
            "primary need (ASD 32%, SLCN 21%, SEMH 15%, MLD 10%, SLD 8%, PD 4%, SpLD 3%, PMLD "
            "2%, OTH 2%, HI 1.5%, VI 1%, MSI 0.5%); the shared data has no primary-need table "
            f"for a council (files matching *need* in {dfe.R2025}: {need_files or 'none'})")
    return mix


# -- SEN support ---------------------------------------------------------------------------------

def derive_sen_support(data, la, pop: pd.DataFrame, src: Sources) -> dict:
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
    src.add("sen_support.prevalence_by_ncy", f"level: {level:.1%} of pupils on SEN support in "
            f"2022/23 (SEND and AP dashboard, percent_pupils_ehcp_3LAs.csv, {la.name}); phase "
            f"ratio: primary {phase['primary']}% vs secondary {phase['secondary']}% (DfE LAIT "
            f"PrimNoStatements/SecNoStatements, January {lait_year}); assumption: shape within "
            f"phase {list(SEN_SUPPORT_SHAPE)} for NCY 0-11 (low in reception, peak in Years "
            "4-6); scaled so the mean weighted by ONS mid-2022 population at age NCY+5 equals "
            f"{level:.1%}")
    src.add("sen_support.exit_rate_per_month", "assumption: 1/36 (a pupil's SEN support lasts "
            "about three years on average when needs are met)")
    return {"prevalence_by_ncy": prevalence, "exit_rate_per_month": r(SEN_SUPPORT_EXIT_PER_MONTH)}


# -- requests ------------------------------------------------------------------------------------

def request_age_shares(data, la) -> tuple[np.ndarray, dict]:
    """Share of requests at each academic age 0..25: seed 004 Figure 3 for ages 2-15; the 2022
    new plans by age for ages 16-25 (Figure 3 has no readable cell there)."""
    starts = dfe.new_plans_by_age(la, data)
    starts = starts[starts["time_period"] == FLOW_YEAR]
    total = float(dfe.value(dfe.new_plans(la, data), FLOW_YEAR, "new_ehc_plans"))
    by_label = dict(zip(starts["age_label"], starts["new_ehc_plans"]))
    post16 = {a: float(by_label.get(f"age {a}", 0.0)) / total for a in (16, 17, 18, 19)}
    over20 = float(by_label.get("age 20 and over", 0.0)) / total
    for a in range(20, 26):
        post16[a] = over20 / 6
    figure3 = {a: float(np.median(v)) for a, v in SEED004_FIGURE3.items()}
    school_share = 1.0 - sum(post16.values())
    shares = np.zeros(26)
    norm = sum(figure3.values())
    for a, v in figure3.items():
        shares[a] = v / norm * school_share
    for a, v in post16.items():
        shares[a] = v
    return shares, {"figure3": figure3, "post16": sum(post16.values())}


def derive_requests(data, la, pop: pd.DataFrame, src: Sources) -> tuple[dict, dict]:
    req = dfe.requests(la, data)
    received = {y: dfe.value(req, y, "requests_received_in_year") for y in FLOW_YEARS}
    n2022 = received[FLOW_YEAR]
    shares, info = request_age_shares(data, la)
    rates = [r(n2022 * shares[a] / pop.loc[a, "2022"] * 1000, 4) for a in range(26)]
    per_month_2024 = SEED004_REQUESTS_PER_MONTH_2024 * 12
    trend = (per_month_2024 / n2022) ** (1 / 2) - 1           # mid-2022 to mid-2024
    growth_1922 = (n2022 / received["2019"]) ** (1 / 3) - 1
    england = (154_000 / 82_000) ** (1 / 5) - 1
    trend_sd = trend / 1.645
    src.add("requests.rate_per_1000_by_age", f"{int(n2022)} requests received in 2022 ({D25}, "
            f"requests.csv, requests_received_in_year) spread over academic ages: ages 2-15 by "
            f"seed 004 Figure 3 (garbled table; median of the readable cells per age, age 3 "
            f"without the 2024 part-year value: age 3 {info['figure3'][3]:.2f}%, peak at 9-10 "
            f"{info['figure3'][9]:.2f}%/{info['figure3'][10]:.2f}%), renormalised to "
            f"{1 - info['post16']:.1%}; ages 16-25 {info['post16']:.1%} in proportion to 2022 new "
            "plans by age when started (newplans.csv; '20 and over' spread evenly over 20-25); "
            "ages 0-1 none; divided by ONS mid-2022 residents of each age")
    src.add("requests.trend_base_date", "2022-07-01, the middle of calendar 2022 whose requests "
            "and mid-year population give the rates")
    src.add("requests.trend_per_year", f"{trend:.4f}: the growth that carries 2022's "
            f"{int(n2022)} requests to seed 004's {SEED004_REQUESTS_PER_MONTH_2024} a month "
            f"(12-month rolling average during 2024) over two years; compare Wiltshire "
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
    src.add("requests.parent_share", f"{SEED004_PARENT_SHARE}: seed 004 (32% of requests from "
            "parent carers)")
    table = {"rate_per_1000_by_age": rates, "trend_per_year": r(trend, 4),
             "trend_sd_per_year": r(trend_sd, 4), "trend_base_date": dt.date(2022, 7, 1),
             "from_sen_support": FROM_SEN_SUPPORT, "parent_share": SEED004_PARENT_SHARE}
    return table, {"received": received, "trend": r(trend, 4)}


# -- decision to assess and assessment -----------------------------------------------------------

def derive_decide_to_assess(data, la, src: Sources) -> tuple[dict, dict]:
    req = dfe.requests(la, data)
    refused = {y: dfe.value(req, y, "requests_decided_not_to_assess") for y in FLOW_YEARS}
    received = dfe.value(req, FLOW_YEAR, "requests_received_in_year")
    src.add("decide_to_assess.no_to_assess", f"{SEED004_NO_TO_ASSESS_2023}: seed 004 (Wiltshire "
            f"2023, 12.0%); {D25} requests.csv gives {int(refused[FLOW_YEAR])}/{int(received)} = "
            f"{refused[FLOW_YEAR] / received:.1%} for 2022")
    src.add("decide_to_assess.decision_weeks_min/mode/max", f"assumption: triangular "
            f"{DECISION_WEEKS} weeks around the statutory 6-week deadline (DfE has no "
            "Wiltshire decision-time figures before 2023: request_outcome_six_weeks is x)")
    src.add("decide_to_assess.refused_request_again", f"assumption: {REFUSED_REQUEST_AGAIN} of "
            "refused children are requested for again (new request or appeal)")
    src.add("decide_to_assess.request_again_after_months", f"assumption: "
            f"{REQUEST_AGAIN_AFTER_MONTHS:g} months on average before a refused child's next "
            "request")
    lo, mode, hi = DECISION_WEEKS
    return ({"no_to_assess": SEED004_NO_TO_ASSESS_2023, "decision_weeks_min": lo,
             "decision_weeks_mode": mode, "decision_weeks_max": hi,
             "refused_request_again": REFUSED_REQUEST_AGAIN,
             "request_again_after_months": REQUEST_AGAIN_AFTER_MONTHS}, {"refused": refused})


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


def years_since(d: dt.date, base: dt.date) -> float:
    return (d - base).days / 365.25


def derive_backlog(data, la, received: dict, refused: dict, completed: dict,
                   src: Sources) -> tuple[int, float]:
    """Assessments in progress at the start and how old the oldest is."""
    mi = dfe.sen2_mi(la, data)
    stock_2018 = dfe.value(mi, "2018", "AssnodecisionEHC")
    stock_2021 = dfe.value(mi, "2021", "AssnodecisionEHC")
    net = {y: received[y] - refused[y] - completed[y] for y in FLOW_YEARS}
    in_progress = int(round(stock_2018 + sum(net.values())))
    agreed_per_week = (received[FLOW_YEAR] - refused[FLOW_YEAR]) / (365.25 / 7)
    oldest = in_progress / agreed_per_week
    pct20 = dfe.value(dfe.timeliness(la, data), FLOW_YEAR, "pc_plans_issued_within_20_weeks")
    src.add("assessment.in_progress_at_start", f"{in_progress} = assessments in progress at 31 "
            f"December 2018 ({int(stock_2018)}, {D22} sen2_mi.csv AssnodecisionEHC) + the sum "
            "over 2019-2022 of (requests - refusals - assessments completed) = "
            + " + ".join(f"{int(net[y])}" for y in FLOW_YEARS)
            + f" ({D25}); withdrawals are not published and are ignored. Range: flows alone "
            f"{int(sum(net.values()))}; SEN2's own stock at 31 December 2021 ({int(stock_2021)}) "
            f"plus 2022's flow {int(net[FLOW_YEAR])} = {int(stock_2021 + net[FLOW_YEAR])}")
    src.add("assessment.oldest_in_progress_weeks", f"{oldest:.1f} = in_progress_at_start / "
            f"agreed requests a week in 2022 ({agreed_per_week:.1f}), i.e. the assessments in "
            "progress are the last that many weeks of agreed requests; the front of the queue is "
            f"far past 20 weeks, consistent with {pct20}% of 2022 plans issued within 20 weeks "
            f"({D25} timeliness_20_week.csv)")
    derive_backlog.range = (int(sum(net.values())), in_progress,
                            int(stock_2021 + net[FLOW_YEAR]))
    return in_progress, oldest


def derive_ep_capacity_changes(requests_2022: float, trend: float, capacity: float,
                               in_progress: int, src: Sources,
                               clear_months: float = AGENCY_EP_MONTHS) -> list[dict]:
    """Agency EPs clear the queue in 18 months from April 2023; then capacity matches demand.
    (`clear_months` varies the clearing time only, for the uncertainty range.)"""
    base = dt.date(2022, 7, 1)

    def demand_per_month(d: dt.date) -> float:
        return requests_2022 * (1 + trend) ** years_since(d, base) * (
            1 - SEED004_NO_TO_ASSESS_2023) / 12

    months_to_agency = years_since(AGENCY_EP_START, START) * 12
    queue_at_agency = in_progress + (demand_per_month(START) - capacity) * months_to_agency
    months = AGENCY_EP_START.month - 1 + AGENCY_EP_MONTHS
    agency_end = dt.date(AGENCY_EP_START.year + months // 12, months % 12 + 1, 1)
    mid_agency = AGENCY_EP_START + (agency_end - AGENCY_EP_START) / 2
    steady = demand_per_month(agency_end)
    working_stock = steady * EP_ADVICE_WEEKS / (365.25 / 7 / 12)
    agency = demand_per_month(mid_agency) + (queue_at_agency - working_stock) / clear_months
    src.add("assessment.ep_capacity_changes", f"assumption, after seed 004 (backlog cleared with "
            f"agency Educational Psychologists in 2023-24; by late 2024 at its lowest since "
            f"2020): from {AGENCY_EP_START} agency EPs raise capacity to {agency:.1f} a month = "
            f"demand mid-period ({demand_per_month(mid_agency):.1f}: 2022 requests x "
            f"(1+trend)^t x (1 - no_to_assess) / 12) + the queue expected by then "
            f"({queue_at_agency:.0f}, less a working stock of {working_stock:.0f} in EP advice) "
            f"cleared over {AGENCY_EP_MONTHS} months; from {agency_end} capacity matches demand "
            f"then ({steady:.1f} a month)")
    return [{"date": AGENCY_EP_START, "per_month": r(agency, 1)},
            {"date": agency_end, "per_month": r(steady, 1)}]


def derive_assessment(data, la, request_info: dict, decide: dict, src: Sources) -> dict:
    ass = dfe.assessments(la, data)
    issued = {y: dfe.value(ass, y, "assess_issued") for y in FLOW_YEARS}
    not_issued = {y: dfe.value(ass, y, "assess_not_issued") for y in FLOW_YEARS}
    completed = {y: issued[y] + not_issued[y] for y in FLOW_YEARS}
    capacity = completed[FLOW_YEAR] / 12
    src.add("assessment.no_to_issue", f"{SEED004_NO_TO_ISSUE_2023}: seed 004 (Wiltshire 2023, "
            f"3.9%); {D25} assessments.csv gives {int(not_issued[FLOW_YEAR])}/"
            f"{int(completed[FLOW_YEAR])} = {not_issued[FLOW_YEAR] / completed[FLOW_YEAR]:.1%} "
            "for 2022")
    src.add("assessment.ep_advice_weeks", f"assumption: {EP_ADVICE_WEEKS:g}, the statutory "
            "6-week deadline for advice")
    src.add("assessment.drafting_weeks_min/mode/max", f"assumption: triangular {DRAFTING_WEEKS} "
            f"weeks, so that with no EP queue request-to-issue (decision {DECISION_WEEKS} + EP "
            f"advice {EP_ADVICE_WEEKS:g} + drafting) is within 20 weeks with probability "
            f"{prob_within_20_weeks():.3f}")
    src.add("assessment.ep_advices_per_month", f"{capacity:.2f} = assessments completed in 2022 "
            f"(assess_issued {int(issued[FLOW_YEAR])} + assess_not_issued "
            f"{int(not_issued[FLOW_YEAR])}, {D25} assessments.csv) / 12; completions were "
            "capacity-bound (the backlog grew all year)")
    in_progress, oldest = derive_backlog(data, la, request_info["received"], decide["refused"],
                                         completed, src)
    changes = derive_ep_capacity_changes(request_info["received"][FLOW_YEAR],
                                         request_info["trend"], capacity, in_progress, src)
    agency_range = [derive_ep_capacity_changes(request_info["received"][FLOW_YEAR],
                                               request_info["trend"], capacity, in_progress,
                                               Sources(), clear_months=m)[0]["per_month"]
                    for m in (AGENCY_CLEAR_MONTHS_RANGE[1], AGENCY_CLEAR_MONTHS_RANGE[0])]
    src.add("uncertainty", "parameters drawn once per replication from triangular (low, mode, "
            "high) ranges, each entry naming its own source: assessment.in_progress_at_start "
            f"{derive_backlog.range} and assessment.ep_capacity_changes[0].per_month "
            f"({agency_range[0]}, {changes[0]['per_month']}, {agency_range[1]})")
    derive_assessment.uncertainty = [
        {"key": "assessment.in_progress_at_start", "low": derive_backlog.range[0],
         "mode": derive_backlog.range[1], "high": derive_backlog.range[2],
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
    pct20 = dfe.value(dfe.timeliness(la, data), FLOW_YEAR, "pc_plans_issued_within_20_weeks")
    priority = pct20 / 100 / prob_within_20_weeks()
    src.add("assessment.ep_priority_share", f"{priority:.3f} = the share of 2022 plans issued "
            f"within 20 weeks ({pct20}%, {D25} timeliness_20_week.csv) / the chance a plan with "
            f"no EP queue is issued within 20 weeks ({prob_within_20_weeks():.3f}): in 2022 the "
            "backlog grew all year, so plans issued on time were ones taken ahead of the queue")
    return {
        "ep_advices_per_month": r(capacity, 2),
        "ep_priority_share": r(priority, 3),
        "ep_capacity_changes": changes,
        "ep_advice_weeks": EP_ADVICE_WEEKS,
        "drafting_weeks_min": DRAFTING_WEEKS[0], "drafting_weeks_mode": DRAFTING_WEEKS[1],
        "drafting_weeks_max": DRAFTING_WEEKS[2],
        "no_to_issue": SEED004_NO_TO_ISSUE_2023,
        "in_progress_at_start": in_progress,
        "oldest_in_progress_weeks": r(oldest, 1),
    }


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


def derive_new_plan_mix(data, la, src: Sources) -> dict:
    by_age = dfe.new_plans_by_age_and_setting(la, data)
    years = sorted(by_age["time_period"].unique())
    mix, n = pooled_new_plan_mix(by_age)
    src.add("placement.new_plan_mix", f"{D25} newplans.csv, 'Age when plan started' rows for "
            f"{la.name}, pooled over every year with that breakdown ({', '.join(years)}); "
            "placements mapped with sendsim.data.placements, ages grouped into bands (plans: "
            + ", ".join(f"{b} {n[b]}" for b in AGE_BANDS)
            + "); a setting a band cannot hold (codes.SETTINGS_BY_AGE_BAND, e.g. a 4-year-old "
            "recorded NEET) counted as eotas; shares rounded to 6 dp, last fixed to sum to 1")
    return mix


def derive_places(caseload: dict[str, int], src: Sources, label: str = "assumption",
                  note: str = "") -> dict:
    places = {s: int(math.ceil(caseload[s] * (1 + PLACES_HEADROOM)))
              for s in ("resource_base", "special", "specialist_post16")}
    src.add("placement.places", f"{label}: January 2023 occupancy (start_state) plus "
            f"{PLACES_HEADROOM:.0%} headroom, rounded up: "
            + ", ".join(f"{s} {caseload[s]} -> {v}" for s, v in places.items()) + note)
    return places


def derive_place_changes(data, la, src: Sources) -> list[dict]:
    changes = [
        {"date": dt.date(2024, 9, 1), "setting": "special", "places": 98,
         "label": "98 of 156 new special school places due Sep 2024 delivered (seed 004)"},
        {"date": dt.date(2025, 4, 1), "setting": "special", "places": 75,
         "label": "Melksham House SEMH: 50 primary + 25 secondary (seed 004; opening early 2025)"},
        {"date": dt.date(2025, 9, 1), "setting": "special", "places": 120,
         "label": "New 120-place special school, south of the county (seed 004)"},
        {"date": dt.date(2025, 9, 1), "setting": "special", "places": 25,
         "label": "Further special school places, Sep 2025 (seed 004)"},
        {"date": dt.date(2028, 9, 1), "setting": "special", "places": 50,
         "label": "Further special school places, Sep 2028 (seed 004)"},
    ]
    cases = dfe.caseload(la, data)
    special = {c: dfe.value(cases, c, "special_la_maintained") + dfe.value(cases, c, "special_academy_free")
               for c in ("201819", CENSUS)}
    src.add("placement.place_changes", "seed 004: 98 special places delivered September 2024 "
            "(of 156 due; the other 58 are left out as undelivered); Melksham House, 50 primary "
            "and 25 secondary SEMH places, treated as special places, assumption: open 1 April "
            "2025 (seed: Ofsted registration 'hoped to conclude in early 2025'); the new "
            "120-place special school from September 2025; 25 more special places September "
            "2025; 50 from September 2028. New secondary resource bases from September 2025 are "
            "left out: seed 004 gives no number of places. None before September 2024: seed 002 "
            "(July 2024) counts 400 specialist school places created 2020-2024, and the "
            "maintained and academy special caseload grew by "
            f"{int(special[CENSUS] - special['201819'])} from January 2019 to January 2023 "
            f"({D25}), which with the 98 of September 2024 accounts for them")
    return changes


def derive_placement(data, la, caseload, src: Sources) -> dict:
    mix = derive_new_plan_mix(data, la, src)
    places = derive_places(caseload, src)
    changes = derive_place_changes(data, la, src)
    src.add("placement.inmss_when_full", f"assumption: special {INMSS_WHEN_FULL['special']} (half "
            "of children named for a full special school go to INMSS at once, half wait in "
            f"mainstream for a place); resource_base {INMSS_WHEN_FULL['resource_base']} (a child "
            "named for a full resource base waits in mainstream: an independent special school "
            "is not a substitute for a resource base); specialist_post16 "
            f"{INMSS_WHEN_FULL['specialist_post16']} (a young person named for a full specialist "
            "post-16 institution waits where they are)")
    return {"new_plan_mix": mix, "places": places, "place_changes": changes,
            "inmss_when_full": dict(INMSS_WHEN_FULL)}


# -- reviews and ceasing -------------------------------------------------------------------------

def derive_step_rates(data, la, src: Sources) -> tuple[dict, dict]:
    mi = dfe.sen2_mi(la, data)
    cases = dfe.caseload(la, data)
    years = ("2019", "2020", "2021")
    censuses = ("201819", "201920", "202021")      # the January of each year
    m2s = np.mean([dfe.value(mi, y, "MtosiEHC") for y in years])
    s2m = np.mean([dfe.value(mi, y, "SitomEHC") for y in years])
    mainstream = np.mean([dfe.value(cases, c, "mainstream_total") for c in censuses])
    special = np.mean([dfe.value(cases, c, "special_la_maintained")
                       + dfe.value(cases, c, "special_academy_free") for c in censuses])
    up = m2s / mainstream
    down = s2m / special
    step_up = {"mainstream": r(up, 4), "resource_base": r(up, 4),
               "special": STEP_UP_ASSUMED["special"]}
    step_down = {"inmss": STEP_DOWN_ASSUMED["inmss"], "special": r(down, 4),
                 "resource_base": STEP_DOWN_ASSUMED["resource_base"]}
    src.add("reviews.step_up", f"mainstream and resource_base {up:.4f} = mainstream-to-special "
            f"transfers a year 2019-2021 (mean {m2s:.1f}, {D22} sen2_mi.csv MtosiEHC) / mean "
            f"January mainstream_total incl. resource bases ({mainstream:.0f}, {D25}), the same "
            "rate used for each one-step move; special: assumption "
            f"{STEP_UP_ASSUMED['special']} (INMSS grew faster than new plans placed there)")
    src.add("reviews.step_down", f"special {down:.4f} = special-to-mainstream transfers a year "
            f"2019-2021 (mean {s2m:.1f}, sen2_mi.csv SitomEHC) / mean January maintained and "
            f"academy special caseload ({special:.0f}); assumption: inmss "
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


def derive_cease_at_review(data, la, by_age: dict[str, int], transition: dict[str, float],
                           src: Sources) -> tuple[dict, dict]:
    ceased = dfe.ceased_plans(la, data)
    c = {k: dfe.value(ceased, FLOW_YEAR, k) for k in
         ("needs_met", "he", "employ", "no_engage", "transfer", "moved_outside_eng", "deceased",
          "max_age", "total_ceased")}
    pre16 = ("under_5", "5_10", "11_15")
    post16 = ("16_19", "20_25")
    anytime = c["transfer"] + c["moved_outside_eng"] + c["deceased"]
    target = SEED004_CEASED_PER_MONTH_2023 * 12
    pre16_needs_met = min(float(SEED004_PRE16_NEEDS_MET_PER_YEAR), c["needs_met"])
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
    src.add("reviews.cease_at_review", f"{D25} ceased_plans.csv, {la.name} 2022: needs_met "
            f"{int(c['needs_met'])}, he {int(c['he'])}, employ {int(c['employ'])}, no_engage "
            f"{int(c['no_engage'])} (of {int(c['total_ceased'])}). Target: seed 004's "
            f"{SEED004_CEASED_PER_MONTH_2023} ceased a month in 2023 ({target} a year; 2022 had "
            f"{int(c['total_ceased'])}, {c['total_ceased'] / 12:.1f} a month) = transfer, moved "
            f"outside England, deceased ({int(anytime)}, ceasing.rate_per_year) + max_age "
            f"({int(c['max_age'])}) + pre-16 needs_met (seed 004's baseline of "
            f"{SEED004_PRE16_NEEDS_MET_PER_YEAR} a year) + post-16 needs_met, he, employ and "
            f"no_engage, the 2022 post-16 counts ({int(post16_2022)}) scaled by {scale:.3f} to "
            f"{sum(scaled.values()):.1f}: needs_met {scaled['needs_met']:.1f}, he "
            f"{scaled['he']:.1f}, employ {scaled['employ']:.1f}, no_engage "
            f"{scaled['no_engage']:.1f}. Of these, {t_total:.1f} cease at the post-19 transition "
            "(phase_transfer.into_post19: "
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
            f"{by_age['20_25']}. needs_met pre-16 over the under_5/5_10/11_15 caseload; post-16 "
            "needs_met, he and employ over 16_19/20_25 reviews; no_engage (19+ only) over "
            "reviews at 19 and over. Reaching 25 (max_age) is the engine's, not a parameter")
    return cease, c


def derive_reviews(data, la, by_age: dict[str, int], transition: dict[str, float],
                   src: Sources) -> tuple[dict, dict]:
    plans = sum(by_age.values())
    due = (plans + by_age["under_5"]) / 12          # under-5s twice a year
    capacity = due * (1 + REVIEW_CAPACITY_MARGIN)
    src.add("reviews.interval_months", "12, statutory annual review; under5_interval_months 6 "
            "(SEND Code of Practice: every 3-6 months for under-5s)")
    src.add("reviews.reviews_per_month", f"assumption: reviews due at the start ({plans} plans + "
            f"{by_age['under_5']} under-5s reviewed twice)/12 = {due:.0f}, plus "
            f"{REVIEW_CAPACITY_MARGIN:.0%}")
    src.add("reviews.reviews_capacity_changes", "assumption: no dated changes (the seeds give "
            "no figures for SEN caseworkers)")
    src.add("reviews.capacity_follows_caseload", "assumption: 1.0, the casework team grows in "
            "proportion to the plans it holds, so that reviews stay about as timely as at the "
            "start; 0 would hold the team fixed while the caseload grows (a scenario choice)")
    step_up, step_down = derive_step_rates(data, la, src)
    cease, counts = derive_cease_at_review(data, la, by_age, transition, src)
    return ({"interval_months": 12.0, "under5_interval_months": 6.0,
             "reviews_per_month": r(capacity, 1), "capacity_follows_caseload": 1.0,
             "step_down": step_down, "step_up": step_up,
             "cease_at_review": cease}, counts)


def derive_ceasing(data, la, counts: dict, src: Sources) -> dict:
    cases = dfe.caseload(la, data)
    mean_2022 = (dfe.value(cases, PREVIOUS_CENSUS, "ehcplans") + dfe.value(cases, CENSUS, "ehcplans")) / 2
    rates = {k: {b: r(counts[k] / mean_2022) for b in AGE_BANDS}
             for k in ("transfer", "moved_outside_eng", "deceased")}
    src.add("ceasing.rate_per_year", f"2022 ceased plans ({D25} ceased_plans.csv: transfer "
            f"{int(counts['transfer'])}, moved_outside_eng {int(counts['moved_outside_eng'])}, "
            f"deceased {int(counts['deceased'])}) / mean of the January 2022 and January 2023 "
            f"caseloads ({mean_2022:.1f}); the same rate in every age band (the file has no "
            "Wiltshire age breakdown)")
    return {"rate_per_year": rates}


def derive_transfers_in(data, la, by_age: dict[str, int], src: Sources, note: str = "") -> dict:
    cases = dfe.caseload(la, data)
    c22 = dfe.value(cases, PREVIOUS_CENSUS, "ehcplans")
    c23 = dfe.value(cases, CENSUS, "ehcplans")
    new = dfe.value(dfe.new_plans(la, data), FLOW_YEAR, "new_ehc_plans")
    ceased = dfe.value(dfe.ceased_plans(la, data), FLOW_YEAR, "total_ceased")
    per_year = c23 - c22 - new + ceased
    total = sum(by_age.values())
    mix = rounded_distribution({b: by_age[b] / total for b in AGE_BANDS})
    src.add("transfers_in.per_month", f"{per_year / 12:.3f} = (caseload Jan 2023 {int(c23)} - "
            f"Jan 2022 {int(c22)} - new plans 2022 {int(new)} + ceased 2022 {int(ceased)}) / 12, "
            "from the identity caseload change = new + transferred in - ceased (ceased includes "
            f"plans transferred out) ({D25})" + note)
    src.add("transfers_in.age_mix", "assumption: the start caseload's age-band shares")
    return {"per_month": r(per_year / 12, 3), "age_mix": mix}


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


def derive_phase_transfer(data, la, by_setting: dict[str, int], by_age: dict[str, int],
                          src: Sources) -> tuple[dict, dict[str, float]]:
    """The transition tables, and the plans expected to cease at the post-19 transition in a
    year by reason."""
    new = dfe.new_plans_by_age_and_setting(la, data)
    reception = new[new["age_label"].isin(["age 4", "age 5"])]
    school = ("mainstream", "resource_base", "special", "inmss")
    counts = reception[list(school)].sum()
    into_reception = {"early_years": rounded_distribution({s: float(counts[s]) for s in school})}
    tables = {"into_reception": into_reception}
    for name in ("into_secondary", "into_post16"):
        tables[name] = {frm: rounded_distribution(to)
                        for frm, to in PHASE_TRANSFER_ASSUMED[name].items()}
    ceased = dfe.ceased_plans(la, data)
    reasons = {k: dfe.value(ceased, FLOW_YEAR, k) for k in POST19_REASONS}
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
    by_age_hist = dfe.caseload_by_age(la, data)
    jan22_16_19, jan22_20_25 = (int(by_age_hist.loc[PREVIOUS_CENSUS_YEAR, b]) for b in ("16_19", "20_25"))
    growth_20_25 = " and ".join(
        str(int(by_age_hist.loc[y, "20_25"] - by_age_hist.loc[str(int(y) - 1), "20_25"]))
        for y in ("2021", PREVIOUS_CENSUS_YEAR))
    t_total = sum(transition.values())
    src.add("phase_transfer.into_reception", "early_years -> the school settings of new plans "
            f"started at ages 4 and 5 ({D25} newplans.csv, 2022: "
            + ", ".join(f"{s} {int(counts[s])}" for s in school)
            + "); children already in school settings stay")
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
            f"consistent with how few plans Wiltshire holds past 19: {jan22_20_25} at 20-25, six "
            f"single years of age, against {jan22_16_19} at 16-19, four, in January 2022, the "
            f"20_25 band having grown by {growth_20_25} in the years to January 2021 and 2022, "
            f"{D22} sen2_age_caseload.csv); split "
            f"into cease_he/cease_employ/cease_no_engage as Wiltshire's 2022 ceased plans for "
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


# -- finance -------------------------------------------------------------------------------------

def relative_unit_costs(bench: dict, jan2022: pd.Series, jan2023: pd.Series) -> tuple[dict, dict]:
    """Unscaled cost per child a year, 2023-24 prices, and a note on each."""
    i = 1 + SEED004_INFLATION
    s000 = SEED000_UNIT_COSTS_2024_25
    special = s000["special_school_satellite"] / i
    rb = (s000["primary_resourced_provision"] + s000["secondary_resourced_provision"]) / 2 / i
    inmss = SEED003_INMSS_2019_20 * i ** 4
    medical = s000["medical_satellite"] / i
    topup_school = sum(bench[f"outturn_topup_{k}_{p}"] for k in ("maintained", "independent")
                       for p in ("primary", "secondary"))
    mainstream = topup_school / (jan2022["mainstream"] + jan2022["resource_base"]) * i ** 2
    post_school = bench["outturn_topup_maintained_post_school"] + bench["outturn_topup_independent_post_school"]
    fe = (post_school / (jan2022["fe_college"] + jan2022["specialist_post16"]) + FE_PLACE_FUNDING) * i ** 2
    ehe = jan2023.get("elective_home_education", 0.0)
    eotas_share_costed = 1 - ehe / jan2023["eotas"]
    costs = {
        "early_years": mainstream, "mainstream": mainstream, "resource_base": rb,
        "special": special, "inmss": inmss, "ap_pru": medical, "fe_college": fe,
        "specialist_post16": (special + inmss) / 2, "eotas": special * eotas_share_costed,
        "neet": 0.0,
    }
    notes = {
        "early_years": "assumption: as mainstream",
        "mainstream": f"2021-22 primary and secondary top-ups (benchmarking outturn, maintained "
                      f"+ independent, {m(topup_school)}) per child in mainstream incl. resource "
                      f"bases in January 2022 ({int(jan2022['mainstream'] + jan2022['resource_base'])})",
        "resource_base": "seed 000 primary RB 14,579 and secondary RB 15,614 (mean), 2024-25 prices",
        "special": "seed 000 special school satellite 28,671, 2024-25 prices",
        "inmss": "seed 003 INMSS 48k to the HNB in 2019-20",
        "ap_pru": "seed 000 medical (AP) satellite 19,028, 2024-25 prices",
        "fe_college": f"2021-22 post-school top-ups ({m(post_school)}) per FE/specialist post-16 "
                      f"young person in January 2022 + assumption: 6,000 post-16 place funding",
        "specialist_post16": "assumption: midway between special and INMSS",
        "eotas": f"assumption: special-school cost for the {eotas_share_costed:.0%} of EOTAS not "
                 f"electively home educated (January 2023: {int(ehe)} EHE of "
                 f"{int(jan2023['eotas'])}), nothing for EHE",
        "neet": "assumption: no placement cost",
    }
    return costs, notes


def census_mix_at(d: dt.date, c22: pd.Series, c23: pd.Series) -> pd.Series:
    w = (d - CENSUS_2022_DAY).days / (START - CENSUS_2022_DAY).days
    return c22 + w * (c23 - c22)


def derive_opening_balance(data, la, src: Sources) -> tuple[float, float]:
    """Cumulative DSG balance at 31 March 2023 (negative = deficit) and the 2022-23 in-year
    deficit: the dashboard's balance at 31 March 2022 rolled on one year."""
    dsg = fin.dsg_allocations(la, data)
    s251 = fin.s251_net_spend(la, data)["high_needs_send_net"]
    pct = fin.dsg_deficit_pct_of_income(la, data)
    dsg_total = fin.dsg_total_allocation(la, data)
    balance = fin.dsg_cumulative_balance(la, data).to_dict()
    fys = sorted(balance)
    gaps = [(balance[prev] - balance[fy]) - (s251[fy] - dsg.loc[fy, "high_needs_block_after"])
            for prev, fy in zip(fys, fys[1:])]
    gap = float(np.mean(gaps))
    in_year = s251["2022-23"] - dsg.loc["2022-23", "high_needs_block_after"] + gap
    opening = balance[fys[-1]] - in_year
    src.add("finance.opening_cumulative_balance_gbp", f"{m(opening)} at 31 March 2023: the "
            f"dashboard's cumulative DSG balance at 31 March 2022 ({pct[fys[-1]]}% of total DSG "
            f"income {m(dsg_total[fys[-1]])} = {m(balance[fys[-1]])}, dsg_deficit_pct_of_income "
            f"and DSG_by_year_total_allocation) plus the 2022-23 in-year deficit "
            f"{m(in_year)} = s251 net high-needs spend 2022-23 ({m(s251['2022-23'])}) - HNB "
            f"after deductions ({m(dsg.loc['2022-23', 'high_needs_block_after'])}) + "
            f"{m(gap)}, the mean amount by which the dashboard's deficit grew faster than that "
            f"difference in {', '.join(fys[1:])} (place funding paid by the council, other "
            "blocks, transfers). Section 251 is used here although the data README calls it a "
            "cross-check, as the only 2022-23 spend figure in the data; the balance rests on the "
            "accounts, not on the model's unit costs, so it stays as it is now that those are "
            "not scaled to section 251 (finance.unit_cost_gbp_per_year)")
    return opening, in_year


def derive_fixed_spend(data, la, src: Sources) -> dict[str, float]:
    """Spend not tied to plans, 2023-24 prices, from the 2021-22 section 251 outturn."""
    bench = fin.high_needs_benchmarking_2122(la, data)
    fixed_2122 = {
        "sen_support_and_inclusion_services": bench["outturn_sen_support_inclusion_services"],
        "alternative_provision": bench["outturn_alternative_provision_services"]
        + bench["outturn_topup_maintained_ap"] + bench["outturn_topup_independent_ap"]
        + bench["outturn_place_ap"] + bench["outturn_hospital_education"],
        "therapies_and_health": bench["outturn_therapies_health"],
    }
    src.add("finance.fixed_spend_gbp_per_year", "high-needs benchmarking 2021-22, section 251 "
            f"outturn, {la.name}: SEN support and inclusion services "
            f"{m(fixed_2122['sen_support_and_inclusion_services'])}; alternative provision = AP "
            "services + AP/PRU top-ups + AP place funding + hospital education "
            f"{m(fixed_2122['alternative_provision'])} (AP serves pupils mostly without plans; "
            f"1 plan in AP in January 2023); therapies and health "
            f"{m(fixed_2122['therapies_and_health'])}; uplifted 2.2% a year to 2023-24")
    return {k: gbp(v * (1 + SEED004_INFLATION) ** 2) for k, v in fixed_2122.items()}


def derive_unit_costs(data, la, fixed: dict[str, float], in_year_2223: float,
                      src: Sources) -> dict[str, float]:
    """Cost per child a year by setting, 2023-24 prices: the anchors' own values, unscaled.
    The section 251 net spend (a cross-check only, data README) is compared, not matched."""
    i = 1 + SEED004_INFLATION
    dsg = fin.dsg_allocations(la, data)
    hnb_before = dsg.loc["2022-23", "high_needs_block_before"]
    deductions = hnb_before - dsg.loc["2022-23", "high_needs_block_after"]
    bench = fin.high_needs_benchmarking_2122(la, data)
    settings = dfe.caseload_by_setting(la, data)
    jan2022, jan2023 = settings.loc[PREVIOUS_CENSUS], settings.loc[CENSUS]
    jan2023_raw = jan2023.copy()
    jan2023_raw["elective_home_education"] = dfe.value(dfe.caseload(la, data), CENSUS,
                                                       "elective_home_education")
    rel, notes = relative_unit_costs(bench, jan2022, jan2023_raw)
    unit = {s: gbp(rel[s]) for s in SETTINGS}
    check = sum(jan2023[s] * unit[s] for s in SETTINGS) + sum(fixed.values())
    # cross-check against 2022-23 spend estimated from section 251 (opening balance)
    gross_2223 = hnb_before + in_year_2223
    mid_fy = census_mix_at(dt.date(2022, 10, 1), jan2022, jan2023)
    plans_2223 = sum(mid_fy[s] * unit[s] for s in SETTINGS) / i
    model_2223 = plans_2223 + sum(fixed.values()) / i
    k = (gross_2223 - sum(fixed.values()) / i) / plans_2223
    council_places = sum(bench[f"outturn_place_{p}"] for p in
                         ("early_years", "primary", "secondary", "special", "ap", "post_school"))
    special_topup = bench["outturn_topup_maintained_special"] / bench["plans_special"]
    src.add("finance.unit_cost_gbp_per_year", "2023-24 prices, the anchors' own values, not "
            "scaled (factor 1): "
            + "; ".join(f"{s} {unit[s]:,.0f} ({notes[s]})" for s in SETTINGS)
            + f". Check: January 2023 caseload x unit costs + fixed = {m(check)} a year at "
            "2023-24 prices. Cross-check only (the data README calls the section 251 net "
            "file a cross-check): the caseload at the middle of 2022-23 (1 October 2022, "
            "interpolated between the January 2022 and 2023 censuses by setting) x these costs "
            f"+ the fixed lines, at 2022-23 prices, is {m(model_2223)}, against a 2022-23 gross "
            f"high-needs spend of {m(gross_2223)} estimated from section 251 (HNB before "
            f"deductions {m(hnb_before)} + in-year deficit {m(in_year_2223)}, see "
            f"opening_cumulative_balance_gbp): {m(model_2223 - gross_2223)} "
            f"({model_2223 / gross_2223 - 1:.0%}) higher; scaling the plan costs by {k:.3f} "
            "would close it. Why they differ: section 251 net high-needs spend counts top-ups "
            "and central services only, net of income; place funding is outside it: the "
            f"ESFA's ({m(deductions)} in 2022-23, HNB before minus after deductions) is added "
            "back in that estimate, but the council's own place funding for maintained special "
            f"schools and resource bases ({m(council_places)} in the 2021-22 outturn) is not, "
            "beyond what the opening balance's gap term catches; and the anchors are costs of "
            "new places in another council (seed 000, Isle of Wight, 2024-25) and a 2019-20 "
            "INMSS average (seed 003), not Wiltshire's average per existing place: its 2021-22 "
            "outturn has special-school top-ups of "
            f"{m(bench['outturn_topup_maintained_special'])} for "
            f"{int(bench['plans_special'])} special plans ({special_topup:,.0f} each, about "
            f"{special_topup + 10_000:,.0f} with the 10,000 place funding) against seed 000's "
            f"{SEED000_UNIT_COSTS_2024_25['special_school_satellite']:,.0f}")
    return unit


def derive_hnb_income(data, la, src: Sources) -> dict[str, float]:
    dsg = fin.dsg_allocations(la, data)
    income = {fy: gbp(dsg.loc[fy, "high_needs_block_before"]) for fy in dsg.index}
    income["2024-25"] = gbp(SEED004_HNB_2025_26 / (1 + SEED004_HNB_RISE_2025_26))
    income["2025-26"] = gbp(SEED004_HNB_2025_26)
    src.add("finance.hnb_income_gbp", "ESFA DSG allocations, high_needs_block_before "
            f"(2019-20 to 2023-24; 2023-24 {m(income['2023-24'])} matches model.md's 70.9m; the "
            f"'after deductions' figure, {m(dsg.loc['2023-24', 'high_needs_block_after'])}, nets "
            "off academy, FE and independent place funding the ESFA pays directly, which this "
            "model counts as spend); 2024-25 = 80.301m / 1.079 and 2025-26 = 80.301m (seed 004: "
            "provisional 2025-26 allocation, 7.9% above 2024-25)")
    src.add("finance.hnb_growth_per_year", f"{SEED004_HNB_GROWTH}: seed 004 (HNB income +3% a "
            "year after 2025-26, DfE guidance)")
    return income


def derive_schools_block_transfers(data, la, src: Sources) -> tuple[dict[str, float], float]:
    schools_block = fin.dsg_allocations(la, data).loc["2023-24", "schools_block_before"]
    transfers = {fy: gbp(share * schools_block) for fy, share in SEED004_SCHOOLS_BLOCK_SHARE.items()}
    src.add("finance.schools_block_transfer_gbp", "seed 004: 1% of the schools block in "
            "2024-25, 0.5% in 2025-26, 1% in later years (schools_block_transfer_after_gbp); "
            f"base: the 2023-24 schools block before deductions ({m(schools_block)}, ESFA), "
            "since a transfer is a share of the whole block; none before 2024-25")
    return transfers, gbp(SEED004_SCHOOLS_BLOCK_SHARE_AFTER * schools_block)


def derive_finance(data, la, src: Sources) -> dict:
    src.add("finance.price_base_fy", "2023-24, the first financial year simulated")
    src.add("finance.inflation_per_year", f"{SEED004_INFLATION}: seed 004 (inflation on unit "
            "costs 2.2% a year); also used to move every figure in this file between years")
    opening, in_year_2223 = derive_opening_balance(data, la, src)
    fixed = derive_fixed_spend(data, la, src)
    unit = derive_unit_costs(data, la, fixed, in_year_2223, src)
    income = derive_hnb_income(data, la, src)
    transfers, transfer_after = derive_schools_block_transfers(data, la, src)
    payments = derive_safety_valve(src)
    src.add("finance.la_contribution_gbp", "none: seed 004 mentions a council contribution in "
            "its forecast but gives no amounts")
    src.add("finance.statutory_override_end", f"{SEED004_OVERRIDE_END}: seed 004")
    return {
        "unit_cost_gbp_per_year": unit,
        "price_base_fy": "2023-24",
        "inflation_per_year": SEED004_INFLATION,
        "fixed_spend_gbp_per_year": fixed,
        "hnb_income_gbp": income,
        "hnb_growth_per_year": SEED004_HNB_GROWTH,
        "schools_block_transfer_gbp": transfers,
        "schools_block_transfer_after_gbp": transfer_after,
        "la_contribution_gbp": {},
        "safety_valve_payments": payments,
        "opening_cumulative_balance_gbp": gbp(opening),
        "statutory_override_end": SEED004_OVERRIDE_END,
    }


def derive_safety_valve(src: Sources) -> list[dict]:
    initial = SEED004_SV_TOTAL * SV_INITIAL_SHARE
    years = list(range(2024, SV_LAST_FY + 2))            # 31 March 2024 .. 31 March 2029
    rest = (SEED004_SV_TOTAL - initial) / (len(years) - 1)
    payments = []
    for n, year in enumerate(years):
        pay = {"date": dt.date(year, 3, 31), "amount_gbp": gbp(initial if n == 0 else rest)}
        if year == 2026:
            pay["max_cumulative_deficit_gbp"] = SEED004_SV_MAX_DEFICIT_2024_25
        payments.append(pay)
    src.add("finance.safety_valve_payments", f"seed 004: DfE contributes {m(SEED004_SV_TOTAL)} "
            f"in all (agreement signed March 2024); no payment profile in the seeds, so "
            f"assumption: {SV_INITIAL_SHARE:.0%} on 31 March 2024, the rest in equal instalments "
            f"each 31 March to 2029 (end of 2028-29); the instalment of 31 March 2026 is paid only "
            f"if the cumulative deficit at 31 March 2025 is at most 84.5m (seed 004, condition 2 "
            "for 2024-25); the other instalments are unconditional (max_cumulative_deficit_gbp "
            "left out: no limit)")
    return payments


# -- the whole file ------------------------------------------------------------------------------

def derive(data_dir=None) -> dict:
    data = find_data_dir(checkout_data_dir(data_dir))
    la = local_authority(LA, data)
    src = Sources()
    council = derive_council(la, src)
    population, pop = derive_population(data, la, src)
    by_setting = derive_caseload_by_setting(data, la, src)
    by_age = derive_caseload_by_age_band(data, la, sum(by_setting.values()), src)
    need_mix = derive_need_mix(data, src)
    sen_support = derive_sen_support(data, la, pop, src)
    requests, request_info = derive_requests(data, la, pop, src)
    decide, decide_info = derive_decide_to_assess(data, la, src)
    assessment = derive_assessment(data, la, request_info, decide_info, src)
    placement = derive_placement(data, la, by_setting, src)
    phase, transition = derive_phase_transfer(data, la, by_setting, by_age, src)
    reviews, cease_counts = derive_reviews(data, la, by_age, transition, src)
    ceasing = derive_ceasing(data, la, cease_counts, src)
    transfers_in = derive_transfers_in(data, la, by_age, src)
    finance = derive_finance(data, la, src)
    council["sources"] = src.lines
    return {
        "council": council, "population": population,
        "start_state": {"caseload_by_setting": by_setting, "caseload_by_age_band": by_age,
                        "need_mix": need_mix},
        "sen_support": sen_support, "requests": requests, "decide_to_assess": decide,
        "assessment": assessment, "placement": placement, "reviews": reviews,
        "phase_transfer": phase, "ceasing": ceasing, "transfers_in": transfers_in,
        "finance": finance,
        "uncertainty": derive_assessment.uncertainty,
    }


def write_atomically(text: str, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=out.name + ".", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, out)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


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


HEADER = ("# Wiltshire parameters for sendsim. GENERATED by calibration/derive_wiltshire.py from "
          "../shared/data and the seed documents:\n# do not edit by hand; change the script and "
          "re-run it. Sources: council.sources. Contains public sector information licensed\n"
          "# under the Open Government Licence v3.0.\n\n")


def run_script(argv, prog: str, description: str, derive_fn, header: str, default_out: Path) -> int:
    """The command line of a derivation script: derive from the data folder, write the TOML."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--data", help="shared data folder (default: $SENDSIM_DATA, else "
                        "shared/data beside this checkout)")
    parser.add_argument("--out", default=str(default_out), help=f"output TOML (default: {default_out})")
    args = parser.parse_args(argv)
    try:
        params = Parameters.from_dict(derive_fn(args.data), source=prog)
    except (DataDirError, DataFileError) as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out)
    write_atomically(header + toml_text(params), out)
    print(f"wrote {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    return run_script(argv, "derive_wiltshire", __doc__.splitlines()[0], derive, HEADER, DEFAULT_OUT)


if __name__ == "__main__":
    sys.exit(main())
