"""docs/background/face-validity.md cannot drift from experiments/face_validity_wiltshire.py or its CSV.

- the script's seed 004 table has the EHCP numbers (actual and Safety Valve forecast) for every
  month April-October 2024, each with its page, and they are the figures printed in seed 004;
- the CSV has the columns and months the script writes, ordered quantiles, and the seed figures
  of the script's table;
- every forecast-vs-published row of the page that comes from the CSV is exactly what the script
  builds from the committed CSV, and the page's published column is the script's table;
- the script refuses to replace its outputs without --overwrite (before running anything);
- the runs behind the CSV start from Wiltshire's published January 2023 census.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

# `shared_data` (the published statistics, or skip with a reason) comes from conftest.py

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "experiments" / "face_validity_wiltshire.py"
PAGE = ROOT / "docs" / "background" / "face-validity.md"
CSV = ROOT / "docs" / "face_validity_wiltshire.csv"
PNG = ROOT / "docs" / "img" / "face_validity_wiltshire.png"
SEED_004 = ROOT.parent / "shared" / "seeds" / "004_248edb8f388b09ce.txt"
MONTHS_2024 = [f"2024-{m:02d}" for m in range(4, 11)]


@pytest.fixture(scope="module")
def fv():
    spec = importlib.util.spec_from_file_location("face_validity_wiltshire", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def table():
    return pd.read_csv(CSV, dtype={"month": str})


@pytest.fixture(scope="module")
def page():
    return PAGE.read_text(encoding="utf-8")


def _seed(fv, measure, kind):
    return {p: v for m, p, v, k, _ in fv.SEED004 if m == measure and k == kind}


# -- the seed table -----------------------------------------------------------------------------

def test_seed_table_has_april_to_october_2024(fv):
    for kind in ("actual", "plan"):
        rows = _seed(fv, "caseload_end", kind)
        assert [p for p in rows if p.startswith("2024") and p <= "2024-10"] == MONTHS_2024, kind
    for m, p, v, k, where in fv.SEED004:
        assert where.strip(), f"{m} {p}: no page or section"
        if m == "caseload_end" and p in MONTHS_2024:
            assert "p. 23" in where


def test_seed_table_is_what_seed_004_prints(fv):
    if not SEED_004.is_file():
        pytest.skip(f"seed 004 not available at {SEED_004}")
    text = SEED_004.read_text(encoding="utf-8")
    actual = " ".join(str(int(v)) for p, v in _seed(fv, "caseload_end", "actual").items()
                      if p in MONTHS_2024)
    plan = "\t".join(str(int(v)) for p, v in _seed(fv, "caseload_end", "plan").items()
                     if p in MONTHS_2024)
    # the extract prints the row 'Actual' with the last two cells after tabs
    assert re.search(r"Actual\s+" + r"\s+".join(actual.split()), text)
    assert "SV Forecast\t" + plan in text
    for quoted in ("Forecast to date: 5707 (+650)", "peaking at 99 requests per month in January 2024",
                   "levelling out at 95", "Wiltshire 2023\t97*\t12.0%\t3.9%\t29\t636",
                   "97} EHCNA requests a month represents the 12 month rolling average during 2024"):
        assert quoted in text, quoted


# -- the CSV --------------------------------------------------------------------------------------

def test_csv_columns_and_months(fv, table):
    expected = {"month"}
    for run in fv.RUNS:
        for measure in ("caseload_end", "requests", "requests_12m", "plans_added", "plans_added_12m"):
            expected |= {f"{run}_{measure}_p{q:02d}" for q in fv.QUANTILES}
        expected |= {f"{run}_plans_issued_p50", f"{run}_ep_queue_end_p50"}
    expected |= {"seed004_caseload_end_actual", "seed004_caseload_end_plan",
                 "seed004_caseload_end_derived", "seed004_requests_12m_actual",
                 "seed004_requests_12m_range_low", "seed004_requests_12m_range_high",
                 "seed004_plans_added_derived"}
    assert set(table.columns) == expected
    months = pd.PeriodIndex(table["month"], freq="M")
    assert months[0] == pd.Period("2023-01", "M")
    assert (np.diff(months.asi8) == 1).all(), "months are not consecutive"
    assert months[-1] >= pd.Period("2024-12", "M"), "the runs must reach the dashboard's month"
    for run in fv.RUNS:
        for measure in ("caseload_end", "requests", "requests_12m", "plans_added", "plans_added_12m"):
            q = table[[f"{run}_{measure}_p{q:02d}" for q in fv.QUANTILES]].dropna().to_numpy()
            assert len(q) and (np.diff(q, axis=1) >= 0).all(), f"{run} {measure}: quantiles out of order"
    # 12-month averages only from January 2024: January 2023 is a part month
    assert table.loc[table["month"] < "2024-01", "calibrated_requests_12m_p50"].isna().all()
    assert table.loc[table["month"] >= "2024-01", "calibrated_requests_12m_p50"].notna().all()


def test_csv_carries_the_seed_table(fv, table):
    t = table.set_index("month")
    for kind in ("actual", "plan", "derived"):
        seed = _seed(fv, "caseload_end", kind)
        col = t[f"seed004_caseload_end_{kind}"].dropna()
        assert col.to_dict() == {p: float(v) for p, v in seed.items()}, kind
    assert t["seed004_requests_12m_actual"].dropna().to_dict() == {"2024-01": 99.0}
    r = t.loc[[p for p in t.index if p.startswith("2024")]]
    assert (r["seed004_requests_12m_range_low"] == 95).all()
    assert (r["seed004_requests_12m_range_high"] == 99).all()


# -- the page -------------------------------------------------------------------------------------

def test_page_rows_rebuild_from_the_csv(fv, table, page):
    assert fv.TABLE_HEAD in page
    for row in fv.monthly_rows(table):
        assert row in page, f"docs/background/face-validity.md lacks (or has an old version of):\n{row}"


def test_page_published_column_is_the_seed_table(fv, page):
    cells = {}
    for line in page.splitlines():
        parts = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(parts) == 5:
            cells[parts[0]] = parts[1:]
    for p in MONTHS_2024:
        label = "EHC plans, end of " + pd.Timestamp(p + "-01").strftime("%b %Y")
        published, plan = cells[label][:2]
        assert published == f"{_seed(fv, 'caseload_end', 'actual')[p]:,.0f}", label
        assert plan == f"{_seed(fv, 'caseload_end', 'plan')[p]:,.0f}", label
    for label, _key, measure, period, pct in fv.YEAR_ROWS:
        assert label in cells, f"the page has no row '{label}'"
        assert cells[label][0] == fv.published_cell(measure, period, pct), label


def test_page_shows_the_chart_and_the_command(page):
    assert "![" in page and "(../img/face_validity_wiltshire.png)" in page
    assert PNG.is_file() and PNG.stat().st_size > 10_000
    assert "sendsim calibrate --la Wiltshire --origin 2023-01" in page
    assert "python experiments/face_validity_wiltshire.py" in page


# -- the script -----------------------------------------------------------------------------------

def test_refuses_to_overwrite_without_the_flag(fv, tmp_path, capsys):
    for path in fv.outputs(tmp_path):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("old")
    assert fv.main(["--docs", str(tmp_path), "--reps", "1"]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert all(p.read_text() == "old" for p in fv.outputs(tmp_path))


def test_runs_start_from_the_published_january_2023_census(table, shared_data):
    data = shared_data
    files = sorted((data / "dfe_ehcp_2025_release").glob("caseload.csv*"))
    if not files:
        pytest.skip(f"no caseload table in {data / 'dfe_ehcp_2025_release'}")
    c = pd.read_csv(files[0], dtype=str, usecols=["time_period", "new_la_code", "breakdown",
                                                   "ehcplans"])
    row = c[(c["time_period"] == "202223") & (c["new_la_code"] == "E06000054")
            & (c["breakdown"] == "All EHC plans")]
    assert len(row) == 1
    census = float(row["ehcplans"].iloc[0])
    assert census == 4760
    first = table.set_index("month").loc["2023-01"]
    for run in ("calibrated", "builtin"):   # end of January 2023: 12 days after the census
        assert abs(first[f"{run}_caseload_end_p50"] - census) < 0.02 * census, run
