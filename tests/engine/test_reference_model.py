"""The engine against an independent vectorised reference model (issue 12, point 3).

`benchmarks/reference_model.py` re-implements the engine's dynamics array-at-a-time with NumPy
(no SimPy, no Mesa). On the small council, 40 replications of each (different seeds, as the two
cannot share random numbers), the means of five statistics must agree:

=================  ===============================================  =========
statistic          what                                             tolerance
=================  ===============================================  =========
caseload_end       plans held at the last month's start (Mar 2031)  3.5%
caseload_mid       plans held at the middle month's start           3.0%
plans_issued       plans issued over the run                        5.5%
spend_total        High Needs Block spend over the run              2.5%
issue_rate         plans issued / assessments decided (DfE's        1.5%
                   assess_issued / (issued + not issued))
=================  ===============================================  =========

Each tolerance is a relative difference of means, |mean_ref / mean_engine - 1|, set before
this test's seeds were run as 4 standard errors of that difference at 40 replications a side,
from a pilot of 100 replications a side on other seeds (per-replication SDs, engine /
reference: caseload_end 18.6 / 21.3 plans, caseload_mid 17.3 / 16.0, plans_issued 14.4 / 13.6,
spend_total 1.97m / 2.21m GBP, issue_rate 0.0119 / 0.0112; 4 SE = 3.30%, 2.61%, 5.43%, 2.27%,
1.08%), rounded up to the next 0.5%. So two correct implementations fail a given statistic with
probability about 6e-5 (a normal tail beyond 4 SE), and a difference of 4 to 5 SE or more in
the means is caught.

What that can see: a difference in the caseload of about 3%, in plans issued of about 5.5%, in
spend of about 2.5%, in the share of assessments ending in a plan of about 1.5%. Doubling
`no_to_issue` (0.04 -> 0.08) in one model alone moves plans issued by only 4% (below 5.5%) but
the issue rate by 4.3% (about 16 SE), so the comparison fails on the issue rate:
`test_detects_doubled_no_to_issue` checks exactly that; `test_detects_fewer_plans` and
`test_detects_costlier_special_places` check that the caseload, plans and money tolerances
bite as well (a money-only change leaves the caseload agreeing). The cumulative balance is not
compared: income is the same in both (checked exactly below), so it is the spend again.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sendsim.engine.model import simulate
from sendsim.parameters import Parameters

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from reference_model import run_reference  # noqa: E402

from small_council import small_council  # noqa: E402

REPS = 40
TOLERANCE = {"caseload_end": 0.035, "caseload_mid": 0.030, "plans_issued": 0.055,
             "spend_total": 0.025, "issue_rate": 0.015}
ENGINE_SEED, REFERENCE_SEED = 7_100_000, 7_200_000


def statistics(monthly: pd.DataFrame) -> dict[str, float]:
    plans = monthly["plans_issued"].sum()
    return {"caseload_end": monthly["caseload"].iloc[-1],
            "caseload_mid": monthly["caseload"].iloc[len(monthly) // 2],
            "plans_issued": plans,
            "spend_total": monthly["spend_total"].sum(),
            "issue_rate": plans / (plans + monthly["no_to_issue"].sum())}


def relative_differences(engine: pd.DataFrame, reference: pd.DataFrame) -> dict[str, float]:
    return {k: reference[k].mean() / engine[k].mean() - 1.0 for k in TOLERANCE}


def disagreements(engine: pd.DataFrame, reference: pd.DataFrame) -> dict[str, float]:
    return {k: round(d, 4) for k, d in relative_differences(engine, reference).items()
            if abs(d) > TOLERANCE[k]}


@pytest.fixture(scope="module")
def small():
    return Parameters.from_dict(small_council())


@pytest.fixture(scope="module")
def engine_runs(small):
    return [simulate(small, ENGINE_SEED + i).monthly for i in range(REPS)]


@pytest.fixture(scope="module")
def engine_stats(engine_runs):
    return pd.DataFrame([statistics(m) for m in engine_runs])


def reference_stats(params: Parameters, seed: int = REFERENCE_SEED) -> pd.DataFrame:
    return pd.DataFrame([statistics(run_reference(params, seed + i)) for i in range(REPS)])


@pytest.fixture(scope="module")
def reference_baseline(small):
    return reference_stats(small)


def test_reference_agrees_with_engine(engine_stats, reference_baseline):
    assert disagreements(engine_stats, reference_baseline) == {}, (
        relative_differences(engine_stats, reference_baseline))


def test_detects_doubled_no_to_issue(small, engine_stats):
    doubled = small.replace(**{"assessment.no_to_issue": 2 * small.assessment.no_to_issue})
    found = disagreements(engine_stats, reference_stats(doubled, REFERENCE_SEED + 1000))
    assert "issue_rate" in found, found


def test_detects_fewer_plans(small, engine_stats):
    fewer = small.replace(**{"assessment.no_to_issue": 0.3})
    found = disagreements(engine_stats, reference_stats(fewer, REFERENCE_SEED + 2000))
    assert {"plans_issued", "caseload_end", "issue_rate"} <= set(found), found


def test_detects_costlier_special_places(small, engine_stats, reference_baseline):
    costs = dict(small.finance.unit_cost_gbp_per_year)
    dearer = small.replace(**{"finance.unit_cost_gbp_per_year.special": costs["special"] * 1.2})
    # the same seeds as the baseline: the children do the same; only the money differs
    found = disagreements(engine_stats, reference_stats(dearer))
    assert set(found) == {"spend_total"}, found


def test_same_calendar_and_income(small, engine_runs):
    """Same months, same horizon, and income (set by the parameters, not by the children:
    allocations, growth, transfers, the Safety Valve paid here) equal to the penny."""
    e = engine_runs[0]
    r = run_reference(small, REFERENCE_SEED)
    assert list(r["month"]) == list(e["month"])
    assert np.allclose(r["income_total"], e["income_total"], rtol=1e-12, atol=1e-6)
    assert r["caseload"].iloc[0] == e["caseload"].iloc[0]
    for col in ("caseload_special", "caseload_inmss", "caseload_mainstream"):
        assert r[col].iloc[0] == e[col].iloc[0]
    assert np.isnan(r["cumulative_balance"].iloc[0]) == np.isnan(e["cumulative_balance"].iloc[0])


def test_reference_is_a_function_of_its_seed(small):
    a, b = run_reference(small, 11), run_reference(small, 11)
    pd.testing.assert_frame_equal(a, b)
    assert not run_reference(small, 12)["caseload"].equals(a["caseload"])
