"""The shipped Wiltshire parameter file: it loads, it is what its script derives from the
published data today (byte for byte), and its start state is the January 2023 census.

Data-backed checks recompute figures straight from the CSV files with plain pandas, so they do
not share code with the derivation they check.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sendsim.codes import AGE_BANDS, SETTINGS
from sendsim.councils import default_parameters, load
from sendsim.parameters import Parameters

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "calibration" / "derive_wiltshire.py"
SHIPPED = REPO / "sendsim" / "councils" / "wiltshire.toml"
#: What derives it: the script runs the pipeline every built-in council goes through.
DERIVATION = [SCRIPT] + [REPO / "sendsim" / "calibration" / f for f in
                         ("builtin.py", "builtin_councils.py", "papers.py")]
WILTSHIRE = "E06000054"


# `shared_data` (the published statistics, or skip with a reason) comes from conftest.py


@pytest.fixture(scope="module")
def shipped() -> Parameters:
    return Parameters.from_toml(SHIPPED)


def _csv(shared_data: Path, relative: str) -> pd.DataFrame:
    return pd.read_csv(shared_data / relative, dtype=str, keep_default_na=False)


def _n(x) -> float:
    """A census cell as a count; x/z/c count as 0 here only because the test then checks that
    the ten settings still add up to the published total."""
    return float(x) if x not in ("", "x", "z", "c") else 0.0


# -- always run -------------------------------------------------------------------------------

def test_shipped_file_loads_and_validates(shipped):
    assert default_parameters() == shipped
    assert load("wiltshire") == shipped and load(SHIPPED) == shipped
    assert shipped.council.la_code == WILTSHIRE
    assert shipped.council.start_date == dt.date(2023, 1, 19)
    s = shipped.start_state
    assert sum(s.caseload_by_setting.values()) == sum(s.caseload_by_age_band.values())
    assert set(s.caseload_by_setting) == set(SETTINGS)
    assert set(s.caseload_by_age_band) == set(AGE_BANDS)
    assert sorted(shipped.population.projection) == [str(y) for y in range(2022, 2048)]


def test_every_derived_quantity_names_its_source(shipped):
    sources = shipped.council.sources
    keys = [line.split(":", 1)[0] for line in sources]
    assert len(keys) == len(set(keys)), "one entry per derived quantity"
    for group in ("council", "population", "start_state", "sen_support", "requests",
                  "decide_to_assess", "assessment", "placement", "reviews", "phase_transfer",
                  "ceasing", "transfers_in", "finance"):
        assert any(k == group or k.startswith(group + ".") for k in keys), group
    for key in ("start_state.caseload_by_setting", "start_state.need_mix",
                "requests.trend_per_year", "assessment.in_progress_at_start",
                "finance.unit_cost_gbp_per_year", "finance.opening_cumulative_balance_gbp"):
        assert key in keys
    assumptions = [line for line in sources if "assumption" in line]
    assert any(line.startswith("start_state.need_mix: assumption:") for line in sources)
    assert len(assumptions) >= 10


def test_derivation_does_not_read_the_january_2024_census():
    for path in DERIVATION:
        text = path.read_text(encoding="utf-8")
        assert "202324" not in text and "5536" not in text and "5,536" not in text, path


# -- shared data --------------------------------------------------------------------------------

def test_script_reproduces_the_shipped_file_byte_for_byte(shared_data, tmp_path):
    out = tmp_path / "wiltshire.toml"
    run = subprocess.run([sys.executable, str(SCRIPT), "--data", str(shared_data), "--out", str(out)],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert out.read_bytes() == SHIPPED.read_bytes(), (
        "sendsim/councils/wiltshire.toml differs from what calibration/derive_wiltshire.py "
        "derives (sendsim.calibration.builtin): re-run the script and commit its output")


def test_start_state_is_the_january_2023_census(shipped, shared_data):
    raw = _csv(shared_data, "dfe_ehcp_2025_release/caseload.csv.gz")
    row = raw[(raw.new_la_code == WILTSHIRE) & (raw.time_period == "202223")].iloc[0]
    c = {k: _n(row[k]) for k in row.index
         if k.startswith(("mainstream_", "special_", "neet", "general_fe", "ukrlp", "specialist",
                          "nm_early", "ap_pru_total", "ed_elsewhere", "other_placement",
                          "placement_unknown", "fe_total", "ehcplans")) and not k.endswith("_pc")}
    rb = sum(c[f"mainstream_{t}_{k}"] for t in ("la_maintained", "academy", "free_school")
             for k in ("resourced_provision", "senunit"))
    neet = c["neet"] + c["neet_ntci"] + c["neet_other"] + c["neet_other_csa"]
    census = {
        "early_years": c["nm_early_years"], "resource_base": rb,
        "mainstream": c["mainstream_total"] - rb + c["placement_unknown"],
        "special": c["special_la_maintained"] + c["special_academy_free"],
        "inmss": c["special_independent"] + c["special_non_maintained"],
        "ap_pru": c["ap_pru_total"],
        "fe_college": c["general_fe_tertiary_colleges"] + c["ukrlp_provider"],
        "specialist_post16": c["specialist_post_16_institutions"], "neet": neet,
        "eotas": c["ed_elsewhere"] - neet + c["other_placement_settings"],
    }
    got = shipped.start_state.caseload_by_setting
    assert sum(got.values()) == c["ehcplans"] == 4760
    assert dict(got) == census
    # DfE's own group totals, for the groups that map one-to-one or sum up
    assert got["special"] + got["inmss"] == c["special_total"]
    assert got["fe_college"] + got["specialist_post16"] == c["fe_total"]
    assert got["mainstream"] + got["resource_base"] == c["mainstream_total"] + c["placement_unknown"]
    assert got["neet"] + got["eotas"] == c["ed_elsewhere"] + c["other_placement_settings"]


def test_age_bands_follow_the_latest_census_by_age(shipped, shared_data):
    raw = _csv(shared_data, "dfe_ehcp_2022_release/sen2_age_caseload.csv.gz")
    rows = raw[(raw.new_la_code == WILTSHIRE) & (raw.time_period == "2022")]
    jan22 = dict(zip(rows.characteristic_age, rows.Total_all.astype(float)))
    names = {"under_5": "Under 5", "5_10": "Age 5 to 10", "11_15": "Age 11 to 15",
             "16_19": "Age 16 to 19", "20_25": "Age 20 to 25"}
    got = shipped.start_state.caseload_by_age_band
    total = sum(got.values())
    for band, label in names.items():
        assert abs(got[band] - jan22[label] / jan22["Total"] * total) < 1


def test_new_plan_mix_is_the_2022_new_plans_by_age(shipped, shared_data):
    raw = _csv(shared_data, "dfe_ehcp_2025_release/newplans.csv.gz")
    rows = raw[(raw.new_la_code == WILTSHIRE) & (raw.breakdown_topic == "Age when plan started")]
    under5 = rows[rows.breakdown.isin(["age 2 and under", "age 3", "age 4"])]
    total = under5.new_ehc_plans.astype(float).sum()
    ey = under5.nm_early_years.astype(float).sum()
    special = (under5.special_la_maintained.astype(float) + under5.special_academy_free.astype(float)).sum()
    mix = shipped.placement.new_plan_mix["under_5"]
    assert mix["early_years"] == pytest.approx(ey / total, abs=1e-6)
    assert mix["special"] == pytest.approx(special / total, abs=1e-6)
    for band in AGE_BANDS:
        assert sum(shipped.placement.new_plan_mix[band].values()) == pytest.approx(1, abs=1e-9)


def test_request_rates_reproduce_2022_requests(shipped, shared_data):
    raw = _csv(shared_data, "dfe_ehcp_2025_release/requests.csv.gz")
    received = float(raw[(raw.new_la_code == WILTSHIRE) & (raw.time_period == "2022")]
                     .requests_received_in_year.iloc[0])
    pop = shipped.population.projection["2022"]
    implied = sum(r * p / 1000 for r, p in zip(shipped.requests.rate_per_1000_by_age, pop))
    assert implied == pytest.approx(received, abs=1.0)
    rates = shipped.requests.rate_per_1000_by_age
    share3 = rates[3] * pop[3] / 1000 / received
    assert 0.2 < share3 < 0.3                       # seed 004: about a quarter at age 3
    assert max(range(5, 16), key=lambda a: rates[a] * pop[a]) in (9, 10)   # transfer peak


def test_flow_identities(shipped, shared_data):
    def value(relative, period, column):
        raw = _csv(shared_data, relative)
        rows = raw[(raw.new_la_code == WILTSHIRE) & (raw.time_period == period)
                   & (raw.breakdown_topic == raw.breakdown)]          # the all-plans row
        assert len(rows) == 1
        return float(rows[column].iloc[0])

    case = "dfe_ehcp_2025_release/caseload.csv.gz"
    c22, c23 = value(case, "202122", "ehcplans"), value(case, "202223", "ehcplans")
    new = value("dfe_ehcp_2025_release/newplans.csv.gz", "2022", "new_ehc_plans")
    ceased = value("dfe_ehcp_2025_release/ceased_plans.csv.gz", "2022", "total_ceased")
    assert shipped.transfers_in.per_month * 12 == pytest.approx(c23 - c22 - new + ceased, abs=0.01)
    transfer = value("dfe_ehcp_2025_release/ceased_plans.csv.gz", "2022", "transfer")
    assert shipped.ceasing.rate_per_year["transfer"]["5_10"] == pytest.approx(
        transfer / ((c22 + c23) / 2), abs=1e-6)
    issued = value("dfe_ehcp_2025_release/assessments.csv.gz", "2022", "assess_issued")
    not_issued = value("dfe_ehcp_2025_release/assessments.csv.gz", "2022", "assess_not_issued")
    assert shipped.assessment.ep_advices_per_month == pytest.approx((issued + not_issued) / 12, abs=0.01)


def test_finance_matches_the_allocations(shipped, shared_data):
    raw = _csv(shared_data, "esfa_dsg_allocations/dsg_allocations_summary_2019-20_to_2023-24_all_LAs.csv")
    rows = raw[raw.la_code == "865"].set_index("financial_year")
    income = shipped.finance.hnb_income_gbp
    for fy in rows.index:      # after deductions: the basis of section 251's spend
        assert income[fy] == pytest.approx(float(rows.loc[fy, "high_needs_block_after"]), abs=1)
    ratio = (float(rows.loc["2023-24", "high_needs_block_after"])
             / float(rows.loc["2023-24", "high_needs_block_before"]))
    assert income["2025-26"] == pytest.approx(80_301_000 * ratio, abs=1)      # seed 004, after
    assert income["2025-26"] / income["2024-25"] == pytest.approx(1.079, abs=1e-6)
    assert shipped.finance.schools_block_transfer_gbp["2024-25"] == pytest.approx(
        0.01 * float(rows.loc["2023-24", "schools_block_before"]), abs=1)
    assert sum(p.amount_gbp for p in shipped.finance.safety_valve_payments) == pytest.approx(67e6)
    assert shipped.finance.opening_cumulative_balance_gbp < 0       # a deficit
    assert set(shipped.finance.unit_cost_gbp_per_year) == set(SETTINGS)
    cost = shipped.finance.unit_cost_gbp_per_year
    assert cost["inmss"] > cost["special"] > cost["resource_base"] > cost["mainstream"]


# -- choices the schema asks for ------------------------------------------------------------------

def test_every_parameter_names_a_source(shipped):
    import importlib.util
    spec = importlib.util.spec_from_file_location("gen_parameter_table",
                                                  REPO / "docs" / "gen_parameter_table.py")
    table = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(table)
    from sendsim.parameters import describe
    sources = list(shipped.council.sources)
    missing = [key for key, _, _ in describe() if not table.source_numbers(key, sources)]
    assert missing == []


def test_inmss_when_full_by_capacity_setting(shipped):
    assert dict(shipped.placement.inmss_when_full) == {
        "resource_base": 0.0, "special": 0.5, "specialist_post16": 0.0}


def test_unit_costs_are_the_councils_own_outturn(shipped, shared_data):
    """Special schools: the 2021-22 top-ups and place funding over the special placements,
    scaled by the reconciliation with section 251 (the scale is in the source line)."""
    from sendsim.data import finance as fin
    f = shipped.finance
    assert f.price_base_fy == "2021-22" and f.opening_balance_fy == "2021-22"
    b = fin.high_needs_benchmarking_2122("E06000054", shared_data)
    per_plan = (b["outturn_topup_maintained_special"] + b["outturn_place_special"]) / b["plans_special"]
    source = next(s for s in shipped.council.sources
                  if s.startswith("finance.unit_cost_gbp_per_year:"))
    scale = float(source.split("scaled by ", 1)[1].split(" ", 1)[0])
    # shrunk a little towards the neighbours (923 placements against 25), then scaled
    assert f.unit_cost_gbp_per_year["special"] == pytest.approx(per_plan * scale, rel=0.03)
    place = b["outturn_place_special"] / (b["outturn_topup_maintained_special"] + b["outturn_place_special"])
    assert f.place_funding_gbp_per_year["special"] == pytest.approx(
        place * f.unit_cost_gbp_per_year["special"], rel=1e-3)


def test_unconditional_safety_valve_payments_are_written_without_a_limit(shipped):
    import math
    text = SHIPPED.read_text(encoding="utf-8")
    assert "1e+300" not in text and "1e300" not in text
    limits = {p.date.year: p.max_cumulative_deficit_gbp for p in shipped.finance.safety_valve_payments}
    assert limits.pop(2026) == 84_500_000
    assert all(math.isinf(x) for x in limits.values())


def test_most_ceasing_at_19_is_at_the_post19_transition(shipped):
    post19 = shipped.phase_transfer.into_post19

    def ceases(frm):
        return sum(x for k, x in post19[frm].items() if k.startswith("cease_"))

    for frm in ("mainstream", "fe_college"):
        assert ceases(frm) >= 0.5
    for frm in ("special", "inmss", "specialist_post16"):
        assert ceases(frm) < ceases("fe_college")
    for frm, row in post19.items():           # a young person of 20 cannot be at school
        assert not {"mainstream", "resource_base", "special", "ap_pru"} & set(row), frm
    assert not any(k.startswith("cease_") for row in shipped.phase_transfer.into_post16.values()
                   for k in row)
    review = shipped.reviews.cease_at_review
    assert review["no_engage"]["20_25"] < 0.25        # most no_engage ceasing moved to 19
