"""The built-in council as the engine runs it: it starts at the January 2023 census."""

from __future__ import annotations

import gzip
import pandas as pd
import pytest

from sendsim.councils import default_parameters
from sendsim.engine.model import RunSpec, SendModel, simulate


@pytest.fixture(scope="module")
def published_jan2023(shared_data):
    with gzip.open(shared_data / "dfe_ehcp_2025_release" / "caseload.csv.gz", "rt") as fh:
        df = pd.read_csv(fh, dtype=str)
    return df[(df["new_la_code"] == "E06000054") & (df["time_period"] == "202223")].iloc[0]


@pytest.fixture(scope="module")
def start_census():
    params = default_parameters()
    model = SendModel(params, 1, RunSpec(1))
    from sendsim.engine.tables import _census_table
    return _census_table(model.recorder.census[:1], model.clock, params).iloc[0]


def test_default_council_is_wiltshire_from_the_january_2023_census():
    p = default_parameters()
    assert p.council.name == "Wiltshire" and p.council.start_date.isoformat() == "2023-01-19"
    assert sum(p.start_state.caseload_by_setting.values()) == 4760


def test_engine_start_state_matches_published_census(start_census, published_jan2023):
    # columns whose meaning is the same in DfE's file and ours
    for col in ("ehcplans", "special_total", "fe_total", "ed_elsewhere", "nm_early_years",
                "specialist_post_16_institutions", "ap_pru_total"):
        assert start_census[col] == int(published_jan2023[col]), col
    # ours puts the few 'placement unknown' plans in mainstream
    unknown = int(published_jan2023["placement_unknown"])
    assert start_census["mainstream_total"] == int(published_jan2023["mainstream_total"]) + unknown
    inmss = int(published_jan2023["special_independent"]) + int(published_jan2023["special_non_maintained"])
    assert start_census["independent_and_non_maintained_special"] == inmss


def test_january_2024_is_plausible_next_to_published():
    """A guard, not a fit: nothing is tuned to the published 5,536 plans of January 2024.

    Fails if the default council's central January 2024 caseload is more than 10% away."""
    p = default_parameters()
    totals = []
    for seed in range(4):
        r = simulate(p, seed, years=1.05)
        c = r.census.set_index("time_period")
        totals.append(int(c.loc[202324, "ehcplans"]))
    median = sorted(totals)[len(totals) // 2]
    assert abs(median - 5536) / 5536 < 0.10, totals
