"""Derive an Isle of Wight parameter file, ``experiments/councils/isle_of_wight.toml``.

Run from the repository root::

    python calibration/derive_isle_of_wight.py [--data DIR] [--out PATH]

It starts from Wiltshire's derived parameters (the shipped ``sendsim/councils/wiltshire.toml``,
made by ``calibration/derive_wiltshire.py``) and replaces everything that is specific to a
council with the Isle of Wight's own published figures (LA code E06000046, old code 921). What
the Isle of Wight's data cannot give (behavioural rates: step-ups and step-downs at review,
review ceasing, the phase-transfer tables, SEN support exits, decision and drafting times,
inflation) stays Wiltshire's, and its source line says so. The output is validated
(`Parameters.from_dict`) before it is written, is written atomically, and is the same bytes on
every run; ``tests/calibration/test_derive_isle_of_wight.py`` re-runs this script and fails if the
committed file differs, so edit this script, never the TOML.

History used ends at the January 2023 census (caseload, ``time_period`` 202223) and calendar
2022 (flows), as for Wiltshire. Every value names its source in ``council.sources``; values
that are judgement rather than data start with "assumption:".

Sources (data folder: ``../shared/data`` unless ``--data``; Crown copyright, Open Government
Licence v3.0):

- DfE "Education, health and care plans", 2025 release (``dfe_ehcp_2025_release``), Isle of
  Wight rows: caseload.csv (January 2021-2023 by placement), newplans.csv (2022, by age when
  the plan started and placement), requests.csv and assessments.csv (calendar 2019-2022),
  timeliness_20_week.csv (2022), ceased_plans.csv (2022).
- DfE EHC plans, 2022 release (``dfe_ehcp_2022_release``): sen2_age_caseload.csv (January 2022
  by age group), sen2_mi.csv (assessments in progress at 31 December 2018-2021; mainstream-to-
  special and special-to-mainstream transfers 2019-2021, shown for comparison only).
- ONS 2022-based subnational population projections: the shared folder holds Wiltshire only
  (``snpp2022_5yr_wiltshire_age0_25_persons.csv``), so the Isle of Wight's projection is
  Wiltshire's scaled by the ratio of the two councils' 2-18 populations in the high-needs
  benchmarking table (column c004, ONS mid-2021 projection). A proxy: say so wherever it matters.
- DfE SEND and AP dashboard: percent_pupils_ehcp_3LAs.csv (Isle of Wight SEN support 2022/23),
  dsg_deficit_pct_of_income_all_LAs (2019-20 to 2021-22), DSG_by_year_total_allocation_all_LAs,
  high_needs_benchmarking_outturn_data_202122_all_LAs (section 251 outturn 2021-22 lines, and
  the 2-18 populations above).
- DfE LAIT: % of primary and secondary pupils on SEN support (January 2022), Isle of Wight.
- ESFA DSG allocations 2019-20 to 2023-24 (high needs block before deductions), Isle of Wight.
- Section 251 net high-needs spend 2017-18 to 2022-23 (third-party aggregation; the data README
  calls it a cross-check): it enters the opening balance exactly as in Wiltshire's script.
- Seed 000: Isle of Wight Safety Valve delivery plan (June 2024): unit costs of new specialist
  places (special school satellite 28,671, primary resourced provision 14,579, secondary 15,614,
  medical satellite 19,028), the statutory override ending in 2025-26. It states no Safety
  Valve payment amounts or dates and no schools block transfers, so none are written. Its
  sufficiency programme (201 places) and its 9%/4.5% growth assumptions are a scenario
  (``experiments/isle_of_wight_sufficiency.toml``), not part of this base file.
- Seed 004 (Wiltshire, January 2025): inflation 2.2% a year and HNB growth of 3% a year after
  the last allocation (DfE guidance quoted there); kept, as seed 000 gives neither.

Choices (each also in ``council.sources``):

- Request rates keep Wiltshire's age profile (seed 004's Figure 3 and Wiltshire's new plans by
  age), scaled so that they reproduce the Isle of Wight's 382 requests of 2022; their trend is
  the Isle of Wight's own 2019-2022 growth, not seed 000's 9% (a scenario input).
- EP capacity follows demand: the Isle of Wight's assessments completed kept pace with agreed
  requests in 2019-2022 (67-81% of plans within 20 weeks), so capacity is set each April to
  the agreed requests expected that year at the base trend, times 2022's ratio of completions
  to agreed requests. Wiltshire's agency-EP changes are Wiltshire's history and are dropped.
- No specialist place changes in the base file; Safety Valve payments none (seed 000 has no
  amounts).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
for p in (REPO, Path(__file__).resolve().parent):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

import derive_wiltshire as wilts  # noqa: E402
from derive_wiltshire import (CENSUS, D22, D25, FLOW_YEAR, FLOW_YEARS, PREVIOUS_CENSUS,  # noqa: E402
                              PREVIOUS_CENSUS_YEAR, Sources, gbp, m, r)
from sendsim.codes import AGE_BANDS, SETTINGS  # noqa: E402
from sendsim.councils import default_parameters  # noqa: E402
from sendsim.data import dfe, finance as fin, ons  # noqa: E402
from sendsim.data.files import DataFileError, data_file, find_data_dir, read_csv  # noqa: E402
from sendsim.data.la import la_rows, local_authority  # noqa: E402
from sendsim.data.placements import largest_remainder, rounded_distribution  # noqa: E402

LA = "E06000046"
WILTSHIRE = "E06000054"
DEFAULT_OUT = REPO / "experiments" / "councils" / "isle_of_wight.toml"
WILTSHIRE_FILE = "sendsim/councils/wiltshire.toml"
KEPT = f"kept from Wiltshire ({WILTSHIRE_FILE}, whose council.sources gives the derivation)"

# -- figures quoted in seed 000 (Isle of Wight Safety Valve delivery plan, June 2024) ----------
SEED000_UNIT_COSTS_2024_25 = wilts.SEED000_UNIT_COSTS_2024_25
SEED000_OVERRIDE_END = dt.date(2026, 3, 31)   # "removed in 2025-26 as intended"

# -- assumptions kept from Wiltshire's script (each one also written to council.sources) -------
INFLATION = wilts.SEED004_INFLATION
HNB_GROWTH = wilts.SEED004_HNB_GROWTH
FE_PLACE_FUNDING = wilts.FE_PLACE_FUNDING
REVIEW_CAPACITY_MARGIN = wilts.REVIEW_CAPACITY_MARGIN
EP_CAPACITY_YEARS = range(2023, 2031)      # a capacity step each 1 April over an 8-year run

BENCHMARKING_POP = "c004"                  # 2-18 Population (ONS mid-2021 projection)


def kept(src: Sources, key: str, why: str) -> None:
    src.add(key, f"{KEPT}: {why}")


# -- council and population --------------------------------------------------------------------

def derive_council(la, src: Sources) -> dict:
    return wilts.derive_council(la, src, note=" (as Wiltshire)")


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


def derive_population(data, la, src: Sources) -> tuple[dict, pd.DataFrame, float]:
    wilt = local_authority(WILTSHIRE, data)
    table = ons.population_projection(wilt, data)
    ours, theirs = benchmarking_population(la, data), benchmarking_population(wilt, data)
    ratio = ours / theirs
    scaled = table * ratio
    years = list(scaled.columns)
    src.add("population.projection", f"proxy: the shared ONS 2022-based SNPP folder holds "
            f"Wiltshire only ({Path(table.attrs['path']).name}), so Wiltshire's persons by single "
            f"year of age 0-25, mid-years {years[0]}-{years[-1]}, times {ratio:.5f} = the "
            f"{la.name}'s 2-18 population ({ours:,.0f}) / Wiltshire's ({theirs:,.0f}), both "
            "ONS mid-2021 projections in the high-needs benchmarking table 2021-22 (column "
            "c004). Sizes are the Isle of Wight's; the age shape and its change over time are "
            "Wiltshire's (the island has relatively fewer young adults, so ages 19-25 are "
            "likely overstated). Request rates and SEN support prevalence are derived on this "
            "same population, so the published 2022 counts are reproduced regardless")
    projection = {y: [r(v, 3) for v in scaled[y]] for y in years}
    return {"projection": projection}, scaled, ratio


# -- start state -------------------------------------------------------------------------------

def derive_caseload_by_setting(data, la, src: Sources) -> dict[str, int]:
    table = dfe.caseload_by_setting(la, data)
    row = table.loc[CENSUS]
    raw = dfe.caseload(la, data)
    counts = {s: int(round(row[s])) for s in SETTINGS}
    assert sum(counts.values()) == int(row["total"]), "settings do not add up to ehcplans"
    unknown = int(dfe.value(raw, CENSUS, "placement_unknown"))
    other = int(dfe.value(raw, CENSUS, "other_placement_settings"))
    src.add("start_state.caseload_by_setting", f"{D25}, caseload.csv, {la.name}, time_period "
            f"{CENSUS} (January 2023 census), {int(row['total'])} plans, mapped with "
            "sendsim.data.placements as for Wiltshire: "
            + ", ".join(f"{s} {v}" for s, v in counts.items())
            + f". mainstream includes {unknown} plans with placement not recorded; eotas is the "
            f"{other} in 'other placement settings' (the island recorded no elective home "
            "education, other arrangements or NEET in January 2023, against 29 electively home "
            "educated a year earlier); the ten settings reconcile to ehcplans exactly")
    return counts


def derive_caseload_by_age_band(data, la, total: int, src: Sources) -> dict[str, int]:
    by_age = dfe.caseload_by_age(la, data)
    row = by_age.loc[PREVIOUS_CENSUS_YEAR]
    counts = largest_remainder({b: float(row[b]) for b in AGE_BANDS}, total)
    shown = ", ".join(f"{b} {int(row[b])}" for b in AGE_BANDS)
    src.add("start_state.caseload_by_age_band", f"age shares of {la.name}'s January "
            f"{PREVIOUS_CENSUS_YEAR} caseload ({D22}, sen2_age_caseload.csv: {shown}; the latest "
            f"by age) applied to the {total} plans of January 2023, largest-remainder rounding")
    return counts


# -- SEN support ---------------------------------------------------------------------------------

def derive_sen_support(data, la, pop: pd.DataFrame, src: Sources) -> dict:
    scratch = Sources()
    out = wilts.derive_sen_support(data, la, pop, scratch)
    for line in scratch.lines:
        key, text = line.split(": ", 1)
        if key == "sen_support.prevalence_by_ncy":
            src.add(key, text.replace("ONS mid-2022 population at age NCY+5",
                                      "mid-2022 population at age NCY+5 (population.projection: "
                                      "Wiltshire's ONS age shape at the Isle of Wight's size)"))
        else:
            kept(src, key, text)
    return out


# -- requests ------------------------------------------------------------------------------------

def derive_requests(data, la, pop: pd.DataFrame, base: dict, src: Sources) -> tuple[dict, dict]:
    req = dfe.requests(la, data)
    received = {y: dfe.value(req, y, "requests_received_in_year") for y in FLOW_YEARS}
    n2022 = received[FLOW_YEAR]
    shape = np.array(base["rate_per_1000_by_age"])
    implied = float(np.sum(shape * pop["2022"].to_numpy()) / 1000)
    k = n2022 / implied
    rates = [r(x * k, 4) for x in shape]
    share3 = rates[3] * pop.loc[3, "2022"] / 1000 / n2022
    trend = (n2022 / received["2019"]) ** (1 / 3) - 1
    trend_sd = trend / 1.645
    new_by_age = dfe.new_plans_by_age(la, data)
    new_by_age = new_by_age[new_by_age["time_period"] == FLOW_YEAR]
    under5_new = new_by_age[new_by_age["age_band"] == "under_5"]["new_ehc_plans"].sum()
    new_total = new_by_age["new_ehc_plans"].sum()
    src.add("requests.rate_per_1000_by_age", f"Wiltshire's rates by age (its shape: seed 004 "
            f"Figure 3 and Wiltshire's new plans by age; the Isle of Wight publishes no "
            f"requests by age) times {k:.4f}, so that with this file's mid-2022 population they "
            f"give the {la.name}'s {int(n2022)} requests received in 2022 ({D25}, requests.csv, "
            f"requests_received_in_year); {share3:.1%} of them at age 3, against "
            f"{int(under5_new)} of the island's {int(new_total)} new plans of 2022 started "
            "under 5 (newplans.csv)")
    src.add("requests.trend_base_date", "2022-07-01, the middle of calendar 2022 whose requests "
            "and mid-year population give the rates")
    src.add("requests.trend_per_year", f"{trend:.4f}: the {la.name}'s own growth in requests "
            f"2019-2022 ({int(received['2019'])} to {int(n2022)}, {D25}; "
            + ", ".join(f"{y} {int(v)}" for y, v in received.items())
            + "), data up to the start only. Seed 000 (June 2024) reports EHCP growth 'currently "
            "an average of 9%', planned to fall to 4.5% from September 2025: that is a "
            "scenario input (experiments/isle_of_wight_sufficiency.toml), not used here")
    src.add("requests.trend_sd_per_year", f"{trend_sd:.4f} = trend/1.645, assumption: the same "
            "convention as Wiltshire's, so the 5th percentile of the trend is no growth")
    src.add("requests.trend_changes", "none: the base file carries one trend forward; the "
            "sufficiency scenario sets seed 000's 9% and 4.5% from September 2025")
    kept(src, "requests.from_sen_support", f"assumption: {base['from_sen_support']} of "
         "school-age requests are for pupils already on SEN support")
    kept(src, "requests.parent_share", f"{base['parent_share']}: seed 004 (32% of Wiltshire's "
         "requests from parent carers; a label only)")
    table = dict(base)
    table.update({"rate_per_1000_by_age": rates, "trend_per_year": r(trend, 4),
                  "trend_sd_per_year": r(trend_sd, 4), "trend_base_date": dt.date(2022, 7, 1),
                  "trend_changes": []})
    return table, {"received": received, "trend": r(trend, 4)}


# -- decision to assess and assessment -----------------------------------------------------------

def derive_decide_to_assess(data, la, base: dict, src: Sources) -> tuple[dict, dict]:
    req = dfe.requests(la, data)
    refused = {y: dfe.value(req, y, "requests_decided_not_to_assess") for y in FLOW_YEARS}
    received = {y: dfe.value(req, y, "requests_received_in_year") for y in FLOW_YEARS}
    nta = refused[FLOW_YEAR] / received[FLOW_YEAR]
    src.add("decide_to_assess.no_to_assess", f"{nta:.4f} = {int(refused[FLOW_YEAR])}/"
            f"{int(received[FLOW_YEAR])}, the {la.name}'s requests decided not to assess / "
            f"received in 2022 ({D25} requests.csv); earlier years "
            + ", ".join(f"{y} {refused[y] / received[y]:.1%}" for y in FLOW_YEARS[:-1])
            + " (the latest year is used, as for Wiltshire)")
    kept(src, "decide_to_assess.decision_weeks_min/mode/max", "assumption: triangular "
         f"({base['decision_weeks_min']}, {base['decision_weeks_mode']}, "
         f"{base['decision_weeks_max']}) weeks around the statutory 6-week deadline")
    kept(src, "decide_to_assess.refused_request_again", f"assumption: "
         f"{base['refused_request_again']} of refused children are requested for again")
    kept(src, "decide_to_assess.request_again_after_months", f"assumption: "
         f"{base['request_again_after_months']:g} months on average before the next request")
    table = dict(base)
    table["no_to_assess"] = r(nta, 4)
    return table, {"refused": refused, "received": received, "no_to_assess": r(nta, 4)}


def derive_assessment(data, la, base: dict, request_info: dict, decide_info: dict,
                      src: Sources) -> tuple[dict, list[dict]]:
    ass = dfe.assessments(la, data)
    issued = {y: dfe.value(ass, y, "assess_issued") for y in FLOW_YEARS}
    not_issued = {y: dfe.value(ass, y, "assess_not_issued") for y in FLOW_YEARS}
    completed = {y: issued[y] + not_issued[y] for y in FLOW_YEARS}
    received, refused = decide_info["received"], decide_info["refused"]
    agreed = {y: received[y] - refused[y] for y in FLOW_YEARS}
    nti = not_issued[FLOW_YEAR] / completed[FLOW_YEAR]
    src.add("assessment.no_to_issue", f"{nti:.4f} = {int(not_issued[FLOW_YEAR])}/"
            f"{int(completed[FLOW_YEAR])}, assessments not issued / completed in 2022 ({D25} "
            "assessments.csv); earlier years "
            + ", ".join(f"{y} {not_issued[y] / completed[y]:.1%}" for y in FLOW_YEARS[:-1])
            + " (falling; the latest year is used)")

    # EP capacity: the island's completions kept pace with agreed requests, so capacity follows
    # demand: each 1 April, the agreed requests expected over the year at the base trend, times
    # 2022's ratio of completions to agreed requests.
    capacity = completed[FLOW_YEAR] / 12
    follow = completed[FLOW_YEAR] / agreed[FLOW_YEAR]
    base_date = dt.date(2022, 7, 1)
    trend, nta = request_info["trend"], decide_info["no_to_assess"]

    def demand_per_month(d: dt.date) -> float:
        return received[FLOW_YEAR] * (1 + trend) ** wilts.years_since(d, base_date) * (1 - nta) / 12

    changes = [{"date": dt.date(y, 4, 1),
                "per_month": r(demand_per_month(dt.date(y, 10, 1)) * follow, 1)}
               for y in EP_CAPACITY_YEARS]
    src.add("assessment.ep_advices_per_month", f"{capacity:.2f} = assessments completed in 2022 "
            f"(assess_issued {int(issued[FLOW_YEAR])} + assess_not_issued "
            f"{int(not_issued[FLOW_YEAR])}, {D25} assessments.csv) / 12")
    src.add("assessment.ep_capacity_changes", "assumption: capacity follows demand, as the "
            "island's completions kept pace with agreed requests in 2019-2022 (completed vs "
            "agreed: " + ", ".join(f"{y} {int(completed[y])}/{int(agreed[y])}" for y in FLOW_YEARS)
            + "): each 1 April from 2023 to 2030, the agreed requests expected in the middle of "
            f"that financial year (2022's {int(received[FLOW_YEAR])} requests x (1 + "
            f"requests.trend_per_year)^t x (1 - no_to_assess) / 12) times 2022's completions/"
            f"agreed ratio {follow:.3f}: "
            + ", ".join(f"{c['date'].year} {c['per_month']}" for c in changes)
            + ". Population change is left out (under 1% a year at these ages). Seed 000 says "
            "the Hampshire EP service level agreement ends in January 2025 and an in-house "
            "service must replace it, a risk to 20-week timeliness, but gives no capacity "
            "figures; Wiltshire's agency-EP changes are Wiltshire's history and are not used. "
            "A scenario with faster demand growth keeps these capacities unless it changes them")

    # assessments in progress at the start
    mi = dfe.sen2_mi(la, data)
    stocks = {y: dfe.value(mi, y, "AssnodecisionEHC") for y in ("2018", "2019", "2020", "2021")}
    net = {y: agreed[y] - completed[y] for y in FLOW_YEARS}
    in_progress = int(round(float(np.mean(list(stocks.values())))))
    low = int(stocks["2021"] + net[FLOW_YEAR])
    high = int(stocks["2018"] + sum(net.values()))
    agreed_per_week = agreed[FLOW_YEAR] / (365.25 / 7)
    oldest = in_progress / agreed_per_week
    pct20 = dfe.value(dfe.timeliness(la, data), FLOW_YEAR, "pc_plans_issued_within_20_weeks")
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
    priority = pct20 / 100 / wilts.prob_within_20_weeks()
    src.add("assessment.ep_priority_share", f"{priority:.3f} = the share of 2022 plans issued "
            f"within 20 weeks ({pct20}%, {D25} timeliness_20_week.csv) / the chance a plan with "
            f"no EP queue is issued within 20 weeks ({wilts.prob_within_20_weeks():.3f}), the "
            "rule used for Wiltshire")
    kept(src, "assessment.ep_advice_weeks", f"assumption: {base['ep_advice_weeks']:g}, the "
         "statutory 6-week deadline for advice")
    kept(src, "assessment.drafting_weeks_min/mode/max", f"assumption: triangular "
         f"({base['drafting_weeks_min']}, {base['drafting_weeks_mode']}, "
         f"{base['drafting_weeks_max']}) weeks")
    uncertainty = [{
        "key": "assessment.in_progress_at_start", "low": float(low), "mode": float(in_progress),
        "high": float(high),
        "source": "the three estimates of the Isle of Wight's assessments in progress at the "
                  "start: SEN2's stock at the end of 2021 plus 2022's net flow (low); the mean "
                  "of SEN2's year-end stocks 2018-2021 (mode); the end-2018 stock plus the "
                  "2019-2022 net flows, which ignore withdrawals (high)"}]
    src.add("uncertainty", "parameters drawn once per replication from triangular (low, mode, "
            f"high) ranges: assessment.in_progress_at_start ({low}, {in_progress}, {high}); "
            "Wiltshire's agency-EP range is not carried over (no agency EPs here)")
    table = dict(base)
    table.update({
        "ep_advices_per_month": r(capacity, 2), "ep_capacity_changes": changes,
        "ep_priority_share": r(priority, 3), "no_to_issue": r(nti, 4),
        "in_progress_at_start": in_progress, "oldest_in_progress_weeks": r(oldest, 1),
    })
    return table, uncertainty


# -- placement -----------------------------------------------------------------------------------

def derive_new_plan_mix(data, la, src: Sources) -> dict:
    by_age = dfe.new_plans_by_age_and_setting(la, data, strict=False)
    years = sorted(by_age["time_period"].unique())
    gap = (by_age[list(SETTINGS)].sum(axis=1) - by_age["total"]).abs()
    mix, n = wilts.pooled_new_plan_mix(by_age)
    src.add("placement.new_plan_mix", f"{D25} newplans.csv, 'Age when plan started' rows for "
            f"{la.name} ({', '.join(years)}, the only year with that breakdown), mapped with "
            "sendsim.data.placements, ages grouped into bands (placements counted: "
            + ", ".join(f"{b} {n[b]}" for b in AGE_BANDS)
            + f"); in {int((gap > 0.5).sum())} of the {len(by_age)} age rows the placement "
            f"cells differ from the row's total (by {int(gap.sum())} plans in all: small-number "
            "rounding or suppression), so shares are of the placement cells, not of the totals; "
            "a setting a band cannot hold counted as eotas; shares rounded to 6 dp")
    return mix


def derive_places(caseload: dict[str, int], src: Sources) -> dict:
    return wilts.derive_places(
        caseload, src, label="assumption (Wiltshire's rule)",
        note=". Seed 000's programme of 201 new places (September 2024 to September 2025) is "
             "the sufficiency scenario, not part of this base file")


def derive_placement(data, la, caseload, base: dict, src: Sources) -> dict:
    mix = derive_new_plan_mix(data, la, src)
    places = derive_places(caseload, src)
    src.add("placement.place_changes", "none in the base file (seed 000's 201 places are in "
            "experiments/isle_of_wight_sufficiency.toml)")
    kept(src, "placement.inmss_when_full", "assumption: "
         + ", ".join(f"{s} {v}" for s, v in base["inmss_when_full"].items())
         + " (half of children named for a full special school go to INMSS at once; a child "
         "named for a full resource base or specialist post-16 place waits)")
    return {"new_plan_mix": mix, "places": places, "place_changes": [],
            "inmss_when_full": dict(base["inmss_when_full"])}


# -- reviews, ceasing, transfers -----------------------------------------------------------------

def derive_reviews(data, la, by_age: dict[str, int], base: dict, src: Sources) -> dict:
    plans = sum(by_age.values())
    due = (plans + by_age["under_5"]) / 12
    capacity = due * (1 + REVIEW_CAPACITY_MARGIN)
    src.add("reviews.interval_months", "12, statutory annual review; under5_interval_months 6 "
            "(SEND Code of Practice)")
    src.add("reviews.reviews_per_month", f"assumption (Wiltshire's rule, at the island's size): "
            f"reviews due at the start ({plans} plans + {by_age['under_5']} under-5s reviewed "
            f"twice)/12 = {due:.1f}, plus {REVIEW_CAPACITY_MARGIN:.0%}")
    src.add("reviews.reviews_capacity_changes", "assumption: no dated changes (seed 000 reports "
            "extra SEN caseworkers, 1 senior, 3.5 officers and 1.5 assistants, taken on before "
            "June 2023, but no review counts)")
    kept(src, "reviews.capacity_follows_caseload", f"assumption: {base['capacity_follows_caseload']}"
         ", the casework team grows with the plans it holds")
    mi = dfe.sen2_mi(la, data)
    cases = dfe.caseload(la, data)
    years, censuses = ("2019", "2020", "2021"), ("201819", "201920", "202021")
    m2s = np.mean([dfe.value(mi, y, "MtosiEHC") for y in years])
    s2m = np.mean([dfe.value(mi, y, "SitomEHC") for y in years])
    mainstream = np.mean([dfe.value(cases, c, "mainstream_total") for c in censuses])
    special = np.mean([dfe.value(cases, c, "special_la_maintained")
                       + dfe.value(cases, c, "special_academy_free") for c in censuses])
    kept(src, "reviews.step_up", "behavioural rates. For comparison only, the island's SEN2 "
         f"mainstream-to-special transfers 2019-2021 (mean {m2s:.1f} a year, {D22} sen2_mi.csv "
         f"MtosiEHC) over its mean January mainstream caseload ({mainstream:.0f}) would give "
         f"{m2s / mainstream:.4f} a year, several times Wiltshire's: from counts this small, and "
         "with a 28-place resource base in between, not a reliable one-step rate for the engine")
    kept(src, "reviews.step_down", "behavioural rates. For comparison only, the island's SEN2 "
         f"special-to-mainstream transfers 2019-2021 (mean {s2m:.1f} a year, SitomEHC) over its "
         f"mean maintained special caseload ({special:.0f}) would give {s2m / special:.4f}")
    ceased = dfe.ceased_plans(la, data)
    c = {k: dfe.value(ceased, FLOW_YEAR, k) for k in
         ("needs_met", "he", "employ", "no_engage", "max_age", "total_ceased")}
    kept(src, "reviews.cease_at_review", "behavioural rates (probability per review by age "
         f"band and reason). The island's 2022 ceased plans ({D25} ceased_plans.csv: needs_met "
         f"{int(c['needs_met'])}, he {int(c['he'])}, employ {int(c['employ'])}, no_engage "
         f"{int(c['no_engage'])}, max_age {int(c['max_age'])}, of {int(c['total_ceased'])}) have "
         "no breakdown by age or by review, and its needs_met count is unusually large, so "
         "Wiltshire's per-review probabilities stand")
    table = dict(base)
    table["reviews_per_month"] = r(capacity, 1)
    table["reviews_capacity_changes"] = []
    return table


def derive_phase_transfer(data, la, base: dict, src: Sources) -> dict:
    new = dfe.new_plans_by_age_and_setting(la, data, strict=False)
    reception = new[new["age_label"].isin(["age 4", "age 5"])]
    school = ("mainstream", "resource_base", "special", "inmss")
    counts = reception[list(school)].sum()
    tables = dict(base)
    tables["into_reception"] = {"early_years": rounded_distribution(
        {s: float(counts[s]) for s in school if counts[s] > 0})}
    src.add("phase_transfer.into_reception", "early_years -> the school settings of the "
            f"{la.name}'s new plans started at ages 4 and 5 ({D25} newplans.csv, 2022: "
            + ", ".join(f"{s} {int(counts[s])}" for s in school)
            + "); children already in school settings stay")
    for name in ("into_secondary", "into_post16", "into_post19"):
        kept(src, f"phase_transfer.{name}", "assumption: transition tables (the island publishes "
             "no placement moves at phase transfer); into_post19's ceasing shares are split by "
             "Wiltshire's 2022 ceased-plan reasons")
    return tables


def derive_ceasing(data, la, src: Sources) -> tuple[dict, dict]:
    ceased = dfe.ceased_plans(la, data)
    counts = {k: dfe.value(ceased, FLOW_YEAR, k) for k in ("transfer", "moved_outside_eng",
                                                           "deceased", "total_ceased")}
    cases = dfe.caseload(la, data)
    mean_2022 = (dfe.value(cases, PREVIOUS_CENSUS, "ehcplans") + dfe.value(cases, CENSUS, "ehcplans")) / 2
    rates = {k: {b: r(counts[k] / mean_2022) for b in AGE_BANDS}
             for k in ("transfer", "moved_outside_eng", "deceased")}
    src.add("ceasing.rate_per_year", f"the {la.name}'s 2022 ceased plans ({D25} "
            f"ceased_plans.csv: transfer {int(counts['transfer'])}, moved_outside_eng "
            f"{int(counts['moved_outside_eng'])}, deceased {int(counts['deceased'])}) / mean of "
            f"the January 2022 and January 2023 caseloads ({mean_2022:.1f}); the same rate in "
            "every age band (no age breakdown); one year of small counts, so none moved outside "
            "England or died that year and those rates are 0")
    return {"rate_per_year": rates}, counts


def derive_transfers_in(data, la, by_age: dict[str, int], src: Sources) -> dict:
    return wilts.derive_transfers_in(
        data, la, by_age, src, note="; it also absorbs any recording differences between the "
                                    "census and the flow returns")


# -- finance -------------------------------------------------------------------------------------

def derive_fixed_spend(data, la, src: Sources) -> dict[str, float]:
    bench = fin.high_needs_benchmarking_2122(la, data)
    fixed_2122 = {
        "sen_support_and_inclusion_services": bench["outturn_sen_support_inclusion_services"],
        "alternative_provision": bench["outturn_alternative_provision_services"]
        + bench["outturn_topup_maintained_ap"] + bench["outturn_topup_independent_ap"]
        + bench["outturn_place_ap"] + bench["outturn_hospital_education"],
        "therapies_and_health": bench["outturn_therapies_health"],
    }
    ap_plans = int(dfe.caseload_by_setting(la, data).loc[CENSUS, "ap_pru"])
    src.add("finance.fixed_spend_gbp_per_year", "high-needs benchmarking 2021-22, section 251 "
            f"outturn, {la.name}: SEN support and inclusion services "
            f"{m(fixed_2122['sen_support_and_inclusion_services'])}; alternative provision = AP "
            "services + AP/PRU top-ups + AP place funding + hospital education "
            f"{m(fixed_2122['alternative_provision'])} (AP serves pupils mostly without plans; "
            f"{ap_plans} plans in AP in January 2023 are also costed per child at ap_pru, so "
            f"some overlap); therapies and health {m(fixed_2122['therapies_and_health'])}; "
            f"uplifted {INFLATION:.1%} a year to 2023-24")
    return {k: gbp(v * (1 + INFLATION) ** 2) for k, v in fixed_2122.items()}


def derive_unit_costs(data, la, fixed: dict[str, float], in_year_2223: float,
                      src: Sources) -> dict[str, float]:
    """Cost per child a year by setting, 2023-24 prices: seed 000's own costs of new places for
    special, resource base and AP; the island's 2021-22 outturn per child for mainstream, FE
    and INMSS."""
    i = 1 + INFLATION
    s000 = SEED000_UNIT_COSTS_2024_25
    bench = fin.high_needs_benchmarking_2122(la, data)
    settings = dfe.caseload_by_setting(la, data)
    jan21, jan22, jan23 = settings.loc["202021"], settings.loc[PREVIOUS_CENSUS], settings.loc[CENSUS]
    raw = dfe.caseload(la, data)
    mid = (jan21 + jan22) / 2          # financial year 2021-22 lies between these censuses
    special = s000["special_school_satellite"] / i
    rb = (s000["primary_resourced_provision"] + s000["secondary_resourced_provision"]) / 2 / i
    medical = s000["medical_satellite"] / i
    topup_school = sum(bench[f"outturn_topup_{k}_{p}"] for k in ("maintained", "independent")
                       for p in ("primary", "secondary"))
    n_main = mid["mainstream"] + mid["resource_base"]
    mainstream = topup_school / n_main * i ** 2
    post_school = bench["outturn_topup_maintained_post_school"] + bench["outturn_topup_independent_post_school"]
    n_fe = mid["fe_college"] + mid["specialist_post16"]
    fe = (post_school / n_fe + FE_PLACE_FUNDING) * i ** 2
    inmss_topup = bench["outturn_topup_independent_special"]
    inmss = inmss_topup / mid["inmss"] * i ** 2
    ehe22 = dfe.value(raw, PREVIOUS_CENSUS, "elective_home_education")
    eotas_costed = 1 - ehe22 / jan22["eotas"]
    costs = {
        "early_years": mainstream, "mainstream": mainstream, "resource_base": rb,
        "special": special, "inmss": inmss, "ap_pru": medical, "fe_college": fe,
        "specialist_post16": (special + inmss) / 2, "eotas": special * eotas_costed, "neet": 0.0,
    }
    unit = {s: gbp(costs[s]) for s in SETTINGS}
    notes = {
        "early_years": "assumption: as mainstream",
        "mainstream": f"2021-22 primary and secondary top-ups (benchmarking outturn, maintained "
                      f"+ independent, {m(topup_school)}) per child in mainstream incl. resource "
                      f"bases, mean of January 2021 and 2022 ({n_main:.0f}), uplifted 2 years",
        "resource_base": "seed 000 primary RP 14,579 and secondary RP 15,614 (mean), 2024-25 "
                         "prices, deflated one year",
        "special": "seed 000 special school satellite 28,671 (St Georges, Medina), 2024-25 "
                   "prices, deflated one year",
        "inmss": f"2021-22 independent special top-ups ({m(inmss_topup)}) per INMSS plan, mean "
                 f"of January 2021 and 2022 ({mid['inmss']:.0f}), uplifted 2 years (Wiltshire "
                 "used seed 003's Wiltshire average instead)",
        "ap_pru": "seed 000 ILC medical satellite 19,028, 2024-25 prices, deflated one year",
        "fe_college": f"2021-22 post-school top-ups ({m(post_school)}) per FE/specialist post-16 "
                      f"young person, mean of January 2021 and 2022 ({n_fe:.0f}), + assumption: "
                      f"{FE_PLACE_FUNDING:,.0f} post-16 place funding, uplifted 2 years",
        "specialist_post16": "assumption: midway between special and INMSS",
        "eotas": f"assumption: special-school cost for the {eotas_costed:.0%} of EOTAS not "
                 f"electively home educated in January 2022 ({int(ehe22)} of "
                 f"{int(jan22['eotas'])}; January 2023 recorded none as such, all 148 being "
                 "'other placement settings'), nothing for home education",
        "neet": "assumption: no placement cost",
    }
    check = sum(jan23[s] * unit[s] for s in SETTINGS) + sum(fixed.values())
    dsg = fin.dsg_allocations(la, data)
    gross_2223 = dsg.loc["2022-23", "high_needs_block_before"] + in_year_2223
    mid_2223 = wilts.census_mix_at(dt.date(2022, 10, 1), jan22, jan23)
    model_2223 = (sum(mid_2223[s] * unit[s] for s in SETTINGS) + sum(fixed.values())) / i
    src.add("finance.unit_cost_gbp_per_year", "2023-24 prices, not scaled: "
            + "; ".join(f"{s} {unit[s]:,.0f} ({notes[s]})" for s in SETTINGS)
            + f". Check: January 2023 caseload x unit costs + fixed = {m(check)} a year at "
            "2023-24 prices, against an HNB allocation before deductions of "
            f"{m(dsg.loc['2023-24', 'high_needs_block_before'])} in 2023-24. Cross-check only: "
            "the caseload at 1 October 2022 (interpolated between the January 2022 and 2023 "
            f"censuses) x these costs + fixed, at 2022-23 prices, is {m(model_2223)}, against "
            f"a 2022-23 gross high-needs spend of {m(gross_2223)} estimated from section 251 "
            f"(HNB before deductions + the in-year deficit of opening_cumulative_balance_gbp): "
            f"{model_2223 / gross_2223 - 1:+.0%}; section 251 net spend leaves out the "
            "council's own place funding, so some gap is expected")
    return unit


def derive_hnb_income(data, la, src: Sources) -> dict[str, float]:
    dsg = fin.dsg_allocations(la, data)
    income = {fy: gbp(dsg.loc[fy, "high_needs_block_before"]) for fy in dsg.index}
    fys = list(income)
    growth = (income[fys[-1]] / income[fys[0]]) ** (1 / (len(fys) - 1)) - 1
    src.add("finance.hnb_income_gbp", f"ESFA DSG allocations, {la.name}, high_needs_block_before "
            f"{fys[0]} to {fys[-1]} ({m(income[fys[0]])} to {m(income[fys[-1]])}; as for "
            "Wiltshire, before deductions, since the model counts the place funding the ESFA "
            f"pays directly as spend; 2023-24 after deductions "
            f"{m(dsg.loc['2023-24', 'high_needs_block_after'])}); no later allocation in the "
            "data or seed 000, so later years grow at hnb_growth_per_year")
    kept(src, "finance.hnb_growth_per_year", f"{HNB_GROWTH}: seed 004 (DfE guidance of +3% a "
         f"year quoted in Wiltshire's plan); the island's own allocation grew {growth:.1%} a year "
         f"from {fys[0]} to {fys[-1]}")
    return income


def derive_finance(data, la, src: Sources) -> dict:
    src.add("finance.price_base_fy", "2023-24, the first financial year simulated")
    kept(src, "finance.inflation_per_year", f"{INFLATION}: seed 004 (Wiltshire's 2.2% a year on "
         "unit costs; seed 000 gives no inflation figure); also used to move figures between "
         "years")
    opening, in_year_2223 = wilts.derive_opening_balance(data, la, src)
    fixed = derive_fixed_spend(data, la, src)
    unit = derive_unit_costs(data, la, fixed, in_year_2223, src)
    income = derive_hnb_income(data, la, src)
    src.add("finance.schools_block_transfer_gbp", "none: seed 000 states no schools block "
            "transfer (schools_block_transfer_after_gbp 0)")
    src.add("finance.safety_valve_payments", "none: seed 000 (the Isle of Wight's Safety Valve "
            "delivery plan) gives no payment amounts or dates; it says the agreement originally "
            "ran from 2022-23 to 2026-27, started late, and that 'all up-front monies' were "
            "spent in 2023-24, without figures")
    src.add("finance.la_contribution_gbp", "none: seed 000 states no council contribution")
    src.add("finance.statutory_override_end", f"{SEED000_OVERRIDE_END}: seed 000 (the national "
            "statutory override 'removed in 2025-26 as intended', i.e. at 31 March 2026)")
    return {
        "unit_cost_gbp_per_year": unit,
        "price_base_fy": "2023-24",
        "inflation_per_year": INFLATION,
        "fixed_spend_gbp_per_year": fixed,
        "hnb_income_gbp": income,
        "hnb_growth_per_year": HNB_GROWTH,
        "schools_block_transfer_gbp": {},
        "schools_block_transfer_after_gbp": 0.0,
        "la_contribution_gbp": {},
        "safety_valve_payments": [],
        "opening_cumulative_balance_gbp": gbp(opening),
        "statutory_override_end": SEED000_OVERRIDE_END,
    }


# -- the whole file ------------------------------------------------------------------------------

def derive(data_dir=None) -> dict:
    data = find_data_dir(wilts.checkout_data_dir(data_dir))
    la = local_authority(LA, data)
    base = default_parameters().to_dict()
    src = Sources()
    council = derive_council(la, src)
    population, pop, _ = derive_population(data, la, src)
    by_setting = derive_caseload_by_setting(data, la, src)
    by_age = derive_caseload_by_age_band(data, la, sum(by_setting.values()), src)
    need_mix = wilts.derive_need_mix(data, src)
    sen_support = derive_sen_support(data, la, pop, src)
    requests, request_info = derive_requests(data, la, pop, base["requests"], src)
    decide, decide_info = derive_decide_to_assess(data, la, base["decide_to_assess"], src)
    assessment, uncertainty = derive_assessment(data, la, base["assessment"], request_info,
                                                decide_info, src)
    placement = derive_placement(data, la, by_setting, base["placement"], src)
    phase = derive_phase_transfer(data, la, base["phase_transfer"], src)
    reviews = derive_reviews(data, la, by_age, base["reviews"], src)
    ceasing, _ = derive_ceasing(data, la, src)
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
        "finance": finance, "uncertainty": uncertainty,
    }


HEADER = ("# Isle of Wight parameters for sendsim. GENERATED by calibration/derive_isle_of_wight.py "
          "from ../shared/data, the seed documents\n# and Wiltshire's derived parameters: do not "
          "edit by hand; change the script and re-run it. Sources: council.sources.\n# Contains "
          "public sector information licensed under the Open Government Licence v3.0.\n\n")


def main(argv: list[str] | None = None) -> int:
    return wilts.run_script(argv, "derive_isle_of_wight", __doc__.splitlines()[0], derive, HEADER,
                            DEFAULT_OUT)


if __name__ == "__main__":
    sys.exit(main())
