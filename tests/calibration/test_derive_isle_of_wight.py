"""The Isle of Wight parameter file: it loads, it is what its script derives from the published
data and Wiltshire's parameters today (byte for byte), and its council-specific values are the
island's own published figures.

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
from sendsim.parameters import Parameters

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "calibration" / "derive_isle_of_wight.py"
SHIPPED = REPO / "sendsim" / "councils" / "isle_of_wight.toml"
#: What derives it: the script runs the pipeline every built-in council goes through.
DERIVATION = [SCRIPT] + [REPO / "sendsim" / "calibration" / f for f in
                         ("builtin.py", "builtin_councils.py", "papers.py")]
IOW, IOW_OLD = "E06000046", "921"


# `shared_data` (the published statistics, or skip with a reason) comes from conftest.py


@pytest.fixture(scope="module")
def iow() -> Parameters:
    return Parameters.from_toml(SHIPPED)


def _csv(shared_data: Path, relative: str) -> pd.DataFrame:
    return pd.read_csv(shared_data / relative, dtype=str, keep_default_na=False)


def _all_row(shared_data: Path, relative: str, period: str) -> pd.Series:
    """The island's all-plans row of a 2025-release file for one time_period."""
    raw = _csv(shared_data, relative)
    rows = raw[(raw.new_la_code == IOW) & (raw.time_period == period)
               & (raw.breakdown_topic == raw.breakdown)]
    assert len(rows) == 1
    return rows.iloc[0]


def _n(x) -> float:
    """A census cell as a count; x/z/c count as 0 here only because the test then checks that
    the ten settings still add up to the published total."""
    return float(x) if x not in ("", "x", "z", "c") else 0.0


# -- always run -------------------------------------------------------------------------------

def test_file_loads_and_describes_the_isle_of_wight(iow):
    assert iow.council.name == "Isle of Wight" and iow.council.la_code == IOW
    assert iow.council.start_date == dt.date(2023, 1, 19)      # January 2023 census day
    s = iow.start_state
    assert sum(s.caseload_by_setting.values()) == sum(s.caseload_by_age_band.values())
    assert set(s.caseload_by_setting) == set(SETTINGS)
    assert set(s.caseload_by_age_band) == set(AGE_BANDS)
    assert iow.placement.place_changes == ()                    # seed 000's places: a scenario
    assert iow.finance.safety_valve_payments == ()             # seed 000 states no amounts


def test_it_is_a_built_in_council(iow):
    from sendsim.councils import available, load
    assert "isle_of_wight" in available()
    assert load("isle_of_wight") == iow and load("Isle_of_Wight") == iow


def test_every_derived_quantity_names_its_source(iow):
    sources = iow.council.sources
    keys = [line.split(":", 1)[0] for line in sources]
    assert len(keys) == len(set(keys)), "one entry per derived quantity"
    for group in ("council", "population", "start_state", "sen_support", "requests",
                  "decide_to_assess", "assessment", "placement", "reviews", "phase_transfer",
                  "ceasing", "transfers_in", "finance"):
        assert any(k == group or k.startswith(group + ".") for k in keys), group
    kept = [k for k, line in zip(keys, sources) if "kept from Wiltshire" in line]
    for key in ("reviews.step_up", "reviews.step_down", "reviews.cease_at_review",
                "phase_transfer.into_post19"):
        assert key in kept, f"{key} is Wiltshire's and must say so"
    assert "proxy" in next(s for s in sources if s.startswith("population.projection:"))


def test_derivation_does_not_read_the_january_2024_census():
    for path in DERIVATION:
        assert "202324" not in path.read_text(encoding="utf-8"), path


# -- shared data --------------------------------------------------------------------------------

def test_script_reproduces_the_committed_file_byte_for_byte(shared_data, tmp_path):
    out = tmp_path / "isle_of_wight.toml"
    run = subprocess.run([sys.executable, str(SCRIPT), "--data", str(shared_data), "--out", str(out)],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert out.read_bytes() == SHIPPED.read_bytes(), (
        "sendsim/councils/isle_of_wight.toml differs from what "
        "calibration/derive_isle_of_wight.py derives (from the data and the shipped Wiltshire "
        "file, by sendsim.calibration.builtin): re-run the script and commit its output")


def test_start_caseload_is_the_january_2023_census(iow, shared_data):
    c = {k: _n(v) for k, v in _all_row(shared_data, "dfe_ehcp_2025_release/caseload.csv.gz",
                                       "202223").items() if not str(k).endswith("_pc")
         and k not in ("time_identifier", "geographic_level", "country_code", "country_name",
                       "region_code", "region_name", "new_la_code", "old_la_code", "la_name",
                       "breakdown_topic", "breakdown", "time_period")}
    got = iow.start_state.caseload_by_setting
    assert sum(got.values()) == c["ehcplans"] == 1493
    assert got["special"] + got["inmss"] == c["special_total"]
    assert got["fe_college"] + got["specialist_post16"] == c["fe_total"]
    assert got["mainstream"] + got["resource_base"] == c["mainstream_total"] + c["placement_unknown"]
    assert got["ap_pru"] == c["ap_pru_total"]
    # specialist places at the start hold the start occupancy
    for setting, places in iow.placement.places.items():
        assert got[setting] <= places <= got[setting] * 1.02 + 1


def test_age_bands_follow_the_january_2022_census_by_age(iow, shared_data):
    raw = _csv(shared_data, "dfe_ehcp_2022_release/sen2_age_caseload.csv.gz")
    rows = raw[(raw.new_la_code == IOW) & (raw.time_period == "2022")]
    jan22 = dict(zip(rows.characteristic_age, rows.Total_all.astype(float)))
    names = {"under_5": "Under 5", "5_10": "Age 5 to 10", "11_15": "Age 11 to 15",
             "16_19": "Age 16 to 19", "20_25": "Age 20 to 25"}
    got = iow.start_state.caseload_by_age_band
    total = sum(got.values())
    for band, label in names.items():
        assert abs(got[band] - jan22[label] / jan22["Total"] * total) < 1


def test_request_rates_reproduce_the_islands_2022_requests(iow, shared_data):
    row = _all_row(shared_data, "dfe_ehcp_2025_release/requests.csv.gz", "2022")
    received, refused = float(row.requests_received_in_year), float(row.requests_decided_not_to_assess)
    pop = iow.population.projection["2022"]
    implied = sum(r * p / 1000 for r, p in zip(iow.requests.rate_per_1000_by_age, pop))
    assert received == 382
    assert implied == pytest.approx(received, abs=1.0)
    assert iow.decide_to_assess.no_to_assess == pytest.approx(refused / received, abs=1e-4)
    first = float(_all_row(shared_data, "dfe_ehcp_2025_release/requests.csv.gz", "2019")
                  .requests_received_in_year)
    assert iow.requests.trend_per_year == pytest.approx((received / first) ** (1 / 3) - 1, abs=1e-4)


def test_assessment_and_flow_identities(iow, shared_data):
    ass = _all_row(shared_data, "dfe_ehcp_2025_release/assessments.csv.gz", "2022")
    issued, not_issued = float(ass.assess_issued), float(ass.assess_not_issued)
    assert iow.assessment.no_to_issue == pytest.approx(not_issued / (issued + not_issued), abs=1e-4)
    assert iow.assessment.ep_advices_per_month == pytest.approx((issued + not_issued) / 12, abs=0.01)
    case = "dfe_ehcp_2025_release/caseload.csv.gz"
    c22 = float(_all_row(shared_data, case, "202122").ehcplans)
    c23 = float(_all_row(shared_data, case, "202223").ehcplans)
    new = float(_all_row(shared_data, "dfe_ehcp_2025_release/newplans.csv.gz", "2022").new_ehc_plans)
    ceased = _all_row(shared_data, "dfe_ehcp_2025_release/ceased_plans.csv.gz", "2022")
    assert iow.transfers_in.per_month * 12 == pytest.approx(
        c23 - c22 - new + float(ceased.total_ceased), abs=0.01)
    assert iow.ceasing.rate_per_year["transfer"]["11_15"] == pytest.approx(
        float(ceased.transfer) / ((c22 + c23) / 2), abs=1e-6)


def test_income_is_the_islands_high_needs_block(iow, shared_data):
    raw = _csv(shared_data, "esfa_dsg_allocations/dsg_allocations_summary_2019-20_to_2023-24_all_LAs.csv")
    rows = raw[raw.la_code == IOW_OLD].set_index("financial_year")
    assert len(rows) == 5
    income = iow.finance.hnb_income_gbp
    assert set(income) == set(rows.index)
    for fy in rows.index:      # after deductions: the basis of section 251's spend
        assert income[fy] == pytest.approx(float(rows.loc[fy, "high_needs_block_after"]), abs=1)
    assert iow.finance.opening_cumulative_balance_gbp < 0            # a deficit
    assert iow.finance.opening_balance_fy == "2021-22"               # the last published
    cost = iow.finance.unit_cost_gbp_per_year
    assert cost["inmss"] > cost["special"] > cost["resource_base"] > cost["mainstream"]
