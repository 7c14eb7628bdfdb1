"""A council's money from its own lines: unit costs worked by hand on fixture tables (including a
suppressed line, a zero line and an implausible one), partial pooling towards neighbours, and the
reconciliation with section 251 net spend."""

import math

import numpy as np
import pandas as pd
import pytest

from sendsim.calibration import money
from sendsim.codes import SETTINGS

NAT = {"mainstream": 5000.0, "early_years": 5000.0, "resource_base": 12000.0, "special": 20000.0,
       "inmss": 50000.0, "fe_college": 3000.0, "specialist_post16": 20000.0,
       "fe_share_of_post16": 0.8}
PLANS = {"plans_mainstream": 100.0, "plans_resourced_provision": 20.0, "plans_special": 50.0,
         "plans_nmss_independent": 10.0, "plans_post16": 40.0, "plans_total": 250.0}


def bench_row(index: dict[str, float], place_share: float = 0.25, plans=None) -> dict:
    """A benchmarking row whose groups cost `index` x national: the group's money on its first
    top-up line, `place_share` of it (special, post-16) on its first place line."""
    row = {name: 0.0 for name in money.fin.BENCHMARKING_COLUMNS}
    row.update(plans or PLANS)
    expected = {
        "schools": row["plans_mainstream"] * NAT["mainstream"]
        + row["plans_resourced_provision"] * NAT["resource_base"],
        "special": row["plans_special"] * NAT["special"],
        "inmss": row["plans_nmss_independent"] * NAT["inmss"],
        "post16": row["plans_post16"] * (0.8 * NAT["fe_college"] + 0.2 * NAT["specialist_post16"]),
    }
    for group, (_, tops, places, _) in money.GROUPS.items():
        total = index[group] * expected[group]
        if places and group != "schools":
            row[places[0]] = place_share * total
            row[tops[0]] = (1 - place_share) * total
        else:
            row[tops[0]] = total
    row["outturn_sen_support_inclusion_services"] = 1.0e6
    return row


NEIGHBOURS = [bench_row({"schools": a, "special": a, "inmss": b, "post16": a})
              for a, b in ((1.0, 0.8), (1.1, 1.0), (1.3, 1.2))]


def test_a_groups_index_is_its_lines_over_its_placements_at_national_costs():
    k, n, share = money.group_index(bench_row({"schools": 1.2, "special": 1.1, "inmss": 1,
                                               "post16": 1}), "special", NAT)
    assert k == pytest.approx(1.1) and n == 50 and share == pytest.approx(0.25)


def test_unit_costs_by_hand_with_a_suppressed_a_zero_and_an_own_line():
    row = bench_row({"schools": 1.2, "special": 1.1, "inmss": 1.0, "post16": 1.0})
    row["outturn_topup_independent_special"] = float("nan")          # suppressed
    row["outturn_topup_maintained_post_school"] = 0.0                 # 0 with 40 placements
    row["outturn_place_post_school"] = 0.0
    row["outturn_topup_independent_post_school"] = 0.0
    c = money.unit_costs_from_outturn(row, NEIGHBOURS, NAT)
    # own lines, shrunk towards the neighbours' median (1.1) by n / (n + 25)
    w = 120 / 145
    k_schools = math.exp(w * math.log(1.2) + (1 - w) * math.log(1.1))
    assert c.unit["mainstream"].value == pytest.approx(k_schools * 5000)
    assert c.unit["resource_base"].value == pytest.approx(k_schools * 12000)
    assert c.unit["early_years"].value == c.unit["mainstream"].value
    assert c.unit["mainstream"].basis == "own outturn"
    w = 50 / 75                                  # special: own 1.1, neighbours' median 1.1
    assert c.unit["special"].value == pytest.approx(1.1 * 20000)
    assert c.place["special"] == pytest.approx(0.25 * 1.1 * 20000)
    # suppressed: the neighbours' median (1.0); zero line with placements: theirs (1.1)
    assert c.unit["inmss"].value == pytest.approx(50000) and c.unit["inmss"].basis == "neighbours"
    assert c.unit["fe_college"].value == pytest.approx(1.1 * 3000)
    assert c.unit["specialist_post16"].basis == "neighbours"
    assert "not reported separately" in c.unit["fe_college"].note
    # neighbours' spread is the uncertainty of a borrowed cost; none is left for unpriced ones
    assert c.unit["inmss"].log_sd == pytest.approx(np.std(np.log([0.8, 1.0, 1.2]), ddof=1))
    assert {s: c.unit[s].value for s in money.UNPRICED} == {"ap_pru": 0.0, "eotas": 0.0, "neet": 0.0}
    assert set(c.unit) == set(SETTINGS)
    assert c.fixed["sen_support_and_inclusion_services"].value == 1.0e6


def test_an_implausible_line_is_replaced_by_the_neighbours():
    row = bench_row({"schools": 1.0, "special": 5.0, "inmss": 1.0, "post16": 1.0})
    c = money.unit_costs_from_outturn(row, NEIGHBOURS, NAT)
    assert c.unit["special"].value == pytest.approx(1.1 * 20000)
    assert c.unit["special"].basis == "neighbours" and "implausible" in c.unit["special"].note
    # 2.9 times the neighbours is kept (shrunk), not replaced
    row = bench_row({"schools": 1.0, "special": 3.1, "inmss": 1.0, "post16": 1.0})
    c = money.unit_costs_from_outturn(row, NEIGHBOURS, NAT)
    assert c.unit["special"].basis == "own outturn"
    assert 1.1 * 20000 < c.unit["special"].value < 3.1 * 20000


def test_a_missing_fixed_line_is_the_neighbours_median_per_plan():
    row = bench_row({"schools": 1.0, "special": 1.0, "inmss": 1.0, "post16": 1.0})
    row["outturn_therapies_health"] = float("nan")
    nbrs = [dict(r, outturn_therapies_health=v) for r, v in zip(NEIGHBOURS, (250.0, 500.0, 2500.0))]
    c = money.unit_costs_from_outturn(row, nbrs, NAT)
    assert c.fixed["therapies_and_health"].value == pytest.approx(2.0 * 250)   # 500 / 250 plans
    assert c.fixed["therapies_and_health"].basis == "neighbours"


def _caseload(years, growth=0.0):
    rows = {y: {s: 100.0 * (1 + growth) ** (y - years[0]) for s in SETTINGS} for y in years}
    return pd.DataFrame.from_dict(rows, orient="index")


def test_reconciliation_finds_the_level_and_the_councils_own_inflation():
    """Published spend = 1.3 x the model's, growing 5% a year on a flat caseload: the level at
    the last year is 1.3 and the own inflation close to 5% (shrunk a little towards 2%)."""
    costs = money.Costs("2021-22", {s: money.Line(1000.0, "own outturn", "") for s in SETTINGS},
                        {}, {"x": money.Line(0.0, "own outturn", "")})
    caseload = _caseload(range(2016, 2024))
    model = 1000.0 * 100 * len(SETTINGS)
    spend = pd.Series({y: 1.3 * model * 1.05 ** (y - 2022) for y in range(2018, 2024)})
    rec = money.reconcile(costs, caseload, spend, origin=2023, prior_inflation=0.02)
    assert rec.years == [2018, 2019, 2020, 2021, 2022]         # 2022-23 not published in Jan 2023
    assert rec.level == pytest.approx(1.3, rel=1e-9)
    assert 0.04 < rec.inflation < 0.0501
    # the line's scatter (at its floor: the ratios lie on it) and a year's drift of cost levels
    assert rec.level_sd == pytest.approx(math.sqrt(
        money.MIN_LEVEL_SD ** 2 * (1 + 1 / 5 + 4 / 10) + 1.2 * money.LEVEL_DRIFT_SD ** 2))


def test_reconciliation_prices_the_caseload_at_the_middle_of_each_year():
    costs = money.Costs("2021-22", {s: money.Line(1000.0, "own outturn", "") for s in SETTINGS},
                        {"special": 400.0}, {})
    caseload = _caseload(range(2020, 2023), growth=0.1)
    kids = money.mid_year_caseload(caseload, 2022)
    w = (money.dt.date(2021, 10, 1) - money.census_day(2021)).days / (
        money.census_day(2022) - money.census_day(2021)).days
    assert kids["special"] == pytest.approx(110 + w * 11)
    # net of the council's place funding, as section 251 counts
    assert money.model_net_spend(costs, kids) == pytest.approx(
        sum(kids) * 1000 - kids["special"] * 400)


def test_outturns_and_allocations_known_at_an_origin():
    assert money.outturn_known("2019-20", 2021) and not money.outturn_known("2020-21", 2021)
    assert money.allocation_known("2021-22", 2021) and not money.allocation_known("2022-23", 2021)
