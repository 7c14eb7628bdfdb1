"""docs/background/money.md cannot drift from the scripts and CSVs behind its tables.

- each table block is exactly what its script makes from its committed CSV;
- the step-down cross-check is the shipped Wiltshire's own unit costs (re-run the script when
  the built-in council changes);
- the face-validity councils are Kent, Wokingham and the median council by January 2023
  caseload, and each rests on its own outturn;
- the chart the page shows is committed.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "background" / "money.md"


def _module(path: Path):
    sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def block(name: str) -> str:
    text = PAGE.read_text(encoding="utf-8")
    start, end = f"<!-- {name}:start -->\n", f"\n<!-- {name}:end -->"
    assert start in text and end in text, name
    return text.split(start, 1)[1].split(end, 1)[0]


@pytest.fixture(scope="module")
def cross():
    return _module(ROOT / "experiments" / "money_cross_checks.py")


@pytest.fixture(scope="module")
def face():
    return _module(ROOT / "experiments" / "face_validity_money.py")


def test_each_table_is_its_scripts_output_from_its_csv(cross, face):
    recon = _module(ROOT / "benchmarks" / "money_reconciliation.py")
    assert block("reconciliation") == recon.summary(pd.read_csv(ROOT / "docs" / "money_reconciliation.csv"))
    assert block("cross-checks") == cross.markdown(pd.read_csv(cross.CSV))
    assert block("face-validity") == face.markdown(pd.read_csv(ROOT / "docs" / face.CSV_NAME))
    assert (ROOT / "docs" / face.PNG_NAME).is_file()
    assert f"../{face.PNG_NAME}" in PAGE.read_text(encoding="utf-8")


def test_the_step_down_check_is_the_shipped_councils_own_costs(cross):
    from sendsim.councils import load
    table = pd.read_csv(cross.CSV).set_index("check")
    row = table.loc["step-down saving a year, INMSS to special school (2022-23 prices)"]
    assert row["model_p50"] == pytest.approx(cross.step_down_gap(load("wiltshire")), abs=0.1)
    assert row["paper"] == pytest.approx(3_479_479 / 92, abs=0.1)


def test_the_face_validity_councils(face, shared_data):
    table = pd.read_csv(ROOT / "docs" / face.CSV_NAME)
    names = list(dict.fromkeys(table["council"]))
    assert names == [*face.NAMED, face.median_council(shared_data)]
    assert table["cost_basis"].str.startswith("own outturn").all()
    # 2022-23 is the one published year after the origin: its published spend is the data's
    from sendsim.data.history import load_history
    for name, t in table.groupby("council"):
        got = t.set_index("financial_year").loc["2022-23", "published_spend"]
        assert got == pytest.approx(load_history(name, shared_data).money["high_needs_spend"][2023])
