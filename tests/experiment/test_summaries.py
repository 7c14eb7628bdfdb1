"""Board summaries of many replications, checked on small ensembles built by hand."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sendsim.experiment.summaries import (by_financial_year, condition_probabilities, first_balance_year,
                               first_balance_year_by_rep, format_headline, headline,
                               paired_differences, quantile_table)

YEARS = ["2023-24", "2024-25", "2025-26"]


def fy_label(d: pd.Timestamp) -> str:
    start = d.year if d.month >= 4 else d.year - 1
    return f"{start}-{str(start + 1)[2:]}"


def ensemble(reps=(0, 1), months=16, start="2023-01-01", ledger=None, caseload_shift=0):
    """Monthly rows from `start` (value = month index i, so sums and snapshots are easy to
    work out), and a financial-year table from `ledger`: {rep: [(in_year, cumulative), ...]}
    for consecutive years from 2023-24."""
    rows = []
    for r in reps:
        for i, month in enumerate(pd.date_range(start, periods=months, freq="MS")):
            rows.append({"month": month, "financial_year": fy_label(month),
                         "caseload": 1000 * (r + 1) + 10 * i + caseload_shift,
                         "caseload_inmss": 10 + i,
                         "inmss_share": (10 + i) / (1000 * (r + 1) + 10 * i + caseload_shift),
                         "requests": float(i + 100 * r),
                         "spend_special": 1000.0 * (i + 1),
                         "cumulative_balance": -1e6 * (i + 1),   # balance at the month's close
                         "rep": r})
    if ledger is None:
        ledger = {r: [(-5e6, -40e6)] for r in reps}
    fy_rows = []
    for r, years in ledger.items():
        for y, (in_year, cumulative) in zip(YEARS, years):
            fy_rows.append({"financial_year": y, "opening_balance": cumulative - in_year,
                            "in_year_balance": in_year, "cumulative_balance": cumulative,
                            "override_ended": False, "rep": r})
    return SimpleNamespace(monthly=pd.DataFrame(rows), financial_year=pd.DataFrame(fy_rows),
                           census=pd.DataFrame(), calendar_year=pd.DataFrame())


def value(long, rep, year, series):
    hit = long[(long["rep"] == rep) & (long["financial_year"] == year) & (long["series"] == series)]
    assert len(hit) == 1, (rep, year, series)
    return hit.iloc[0]


# -- by financial year ---------------------------------------------------------------------------
def test_flows_are_summed_over_the_financial_years_months():
    long = by_financial_year(ensemble())
    # months 0..2 are Jan-Mar 2023 (2022-23), 3..14 are Apr 2023 - Mar 2024, 15 is Apr 2024
    assert value(long, 1, "2023-24", "requests")["value"] == sum(i + 100 for i in range(3, 15))
    assert value(long, 1, "2023-24", "requests")["whole_year"]
    assert value(long, 0, "2022-23", "spend_special")["value"] == 1000.0 * (1 + 2 + 3)
    assert not value(long, 0, "2022-23", "spend_special")["whole_year"]
    assert value(long, 0, "2024-25", "requests")["value"] == 15
    assert not value(long, 0, "2024-25", "requests")["whole_year"]


def test_stocks_are_taken_at_the_following_1_april():
    long = by_financial_year(ensemble())
    end_2324 = value(long, 1, "2023-24", "caseload")
    assert end_2324["value"] == 2000 + 10 * 15          # the 1 April 2024 row, not March's
    assert end_2324["whole_year"]
    # 2022-23 is in the run for three months only: its 1 April 2023 snapshot, but not a whole year
    assert value(long, 0, "2022-23", "caseload")["value"] == 1000 + 10 * 3
    assert not value(long, 0, "2022-23", "caseload")["whole_year"]
    # no 1 April 2025 in the run: the last month there is, flagged
    last = value(long, 0, "2024-25", "inmss_share")
    assert last["value"] == pytest.approx(25 / 1150) and not last["whole_year"]


def test_ledger_figures_are_series_and_replace_the_monthly_balance():
    long = by_financial_year(ensemble())
    bal = value(long, 0, "2023-24", "cumulative_balance")
    assert bal["value"] == -40e6 and bal["whole_year"]   # the ledger's 31 March figure
    assert value(long, 0, "2023-24", "in_year_balance")["value"] == -5e6
    # years the ledger did not close: the monthly balance at the close of the year's last month
    assert value(long, 0, "2022-23", "cumulative_balance")["value"] == -3e6
    assert value(long, 0, "2024-25", "cumulative_balance")["value"] == -16e6
    assert "override_ended" not in set(long["series"])
    assert not long.duplicated(["rep", "financial_year", "series"]).any()


def test_by_financial_year_can_be_restricted_and_refuses_unknown_series():
    long = by_financial_year(ensemble(), series=["caseload", "in_year_balance"])
    assert set(long["series"]) == {"caseload", "in_year_balance"}
    with pytest.raises(ValueError, match="no_such_series"):
        by_financial_year(ensemble(), series=["no_such_series"])


# -- quantiles -----------------------------------------------------------------------------------
def long_from(values_by_year: dict, series="x") -> pd.DataFrame:
    return pd.DataFrame([{"rep": r, "financial_year": y, "series": series, "value": v,
                          "whole_year": True}
                         for y, values in values_by_year.items() for r, v in enumerate(values)])


def test_quantiles_match_numpys():
    rng = np.random.default_rng(3)
    data = {"2023-24": rng.normal(100, 10, 37), "2024-25": rng.lognormal(3, 1, 37)}
    q = quantile_table(long_from(data)).set_index("financial_year")
    for year, x in data.items():
        row = q.loc[year]
        assert row["n_reps"] == 37
        assert row["mean"] == pytest.approx(x.mean())
        for p, name in [(0.05, "q05"), (0.25, "q25"), (0.5, "q50"), (0.75, "q75"), (0.95, "q95")]:
            assert row[name] == pytest.approx(np.quantile(x, p))


def test_median_se_comes_from_order_statistics():
    x = np.arange(1.0, 21.0)[::-1]          # n = 20: ranks floor(10 - 4.38) = 5, ceil(14.38) = 15
    q = quantile_table(long_from({"2023-24": x, "2024-25": x[:7], "2025-26": x[:8]}))
    se = q.set_index("financial_year")["se_median"]
    assert se["2023-24"] == pytest.approx((15 - 5) / (2 * 1.959964))
    assert np.isnan(se["2024-25"])            # 7 replications: too few to say
    assert not np.isnan(se["2025-26"])


# -- paired differences --------------------------------------------------------------------------
def test_a_constant_shift_is_found_exactly_and_pairing_removes_the_noise():
    rng = np.random.default_rng(5)
    a = long_from({"2023-24": rng.normal(50, 8, 30), "2024-25": rng.normal(60, 8, 30)})
    b = a.assign(value=a["value"] + 7.0)
    extra = pd.DataFrame([{"rep": 99, "financial_year": "2023-24", "series": "x", "value": 1e9,
                           "whole_year": True}])
    d = paired_differences(a, pd.concat([b, extra], ignore_index=True)).set_index("financial_year")
    for year in ("2023-24", "2024-25"):
        row = d.loc[year]
        assert row["n_reps"] == 30            # rep 99 has no partner
        assert row["mean_difference"] == pytest.approx(7.0)
        assert row[["q05", "q25", "q50", "q75", "q95"]].to_numpy() == pytest.approx([7.0] * 5)
        assert row["sd_paired"] == pytest.approx(0.0, abs=1e-9)
        assert row["se_mean_difference"] == pytest.approx(0.0, abs=1e-9)
        sd_a = a[a["financial_year"] == year]["value"].std(ddof=1)
        assert row["sd_unpaired"] == pytest.approx(np.sqrt(2) * sd_a)


def test_paired_differences_need_reps_in_common():
    a = long_from({"2023-24": [1.0, 2.0, 3.0]})
    b = a.assign(rep=a["rep"] + 10)
    with pytest.raises(ValueError, match="no replication in common"):
        paired_differences(a, b)


# -- chances -------------------------------------------------------------------------------------
# in-year balance (GBP m) by year 2023-24, 2024-25, 2025-26, and cumulative balance
LEDGER = {
    0: [(-1e6, -20e6), (1e6, -5e6), (1e6, -4e6)],     # balances from 2024-25 and holds
    1: [(-1e6, -20e6), (1e6, -12e6), (-1e6, -13e6)],  # balances in 2024-25, then slips back
    2: [(1e6, -10e6), (1e6, 0.0), (2e6, 2e6)],        # balanced throughout
    3: [(-1e6, -20e6), (-1e6, -10e6), (1e6, -9e6)],   # balances in the last year only
}


def test_condition_probabilities_and_their_wilson_bounds():
    conditions = [
        {"name": "balanced 2024-25", "kind": "in_year_balance_in", "financial_year": "2024-25"},
        {"name": "deficit at most 10m", "kind": "cumulative_deficit_at_most",
         "financial_year": "2024-25", "gbp": 10e6},
        {"name": "balanced from 2024-25", "kind": "in_year_balance_from", "financial_year": "2024-25"},
    ]
    out = condition_probabilities(ensemble(reps=LEDGER, ledger=LEDGER), conditions).set_index("name")
    assert out["probability"].to_dict() == {"balanced 2024-25": 0.75, "deficit at most 10m": 0.75,
                                            "balanced from 2024-25": 0.5}
    assert (out["n_reps"] == 4).all()
    row = out.loc["balanced 2024-25"]
    assert row["se"] == pytest.approx(np.sqrt(0.75 * 0.25 / 4))
    assert row["wilson_low"] < 0.75 < row["wilson_high"]
    ci = stats.binomtest(3, 4).proportion_ci(0.95, method="wilson")
    assert (row["wilson_low"], row["wilson_high"]) == pytest.approx((ci.low, ci.high), abs=1e-6)


@pytest.mark.parametrize("condition, message", [
    ({"name": "c1", "kind": "balance_by", "financial_year": "2024-25"},
     "unknown kind 'balance_by'.*in_year_balance_from, in_year_balance_in, cumulative_deficit_at_most"),
    ({"name": "c2", "kind": "in_year_balance_in", "financial_year": "2030-31"},
     "'c2'.*2030-31.*2023-24, 2024-25, 2025-26"),
    ({"name": "c3", "kind": "cumulative_deficit_at_most", "financial_year": "2024-25"}, "'c3'.*gbp"),
])
def test_bad_conditions_are_refused_by_name(condition, message):
    with pytest.raises(ValueError, match=message):
        condition_probabilities(ensemble(reps=LEDGER, ledger=LEDGER), [condition])


def test_a_year_followed_by_a_dip_is_not_when_balance_was_reached():
    ledger = {**LEDGER, 4: [(1e6, -10e6), (-1e6, -11e6), (1e6, -10e6)]}
    first = first_balance_year_by_rep(ensemble(reps=ledger, ledger=ledger))
    assert first.to_dict() == {0: "2024-25", 1: None, 2: "2023-24", 3: "2025-26", 4: "2025-26"}


def test_first_balance_year_table():
    t = first_balance_year(ensemble(reps=LEDGER, ledger=LEDGER))
    assert t["financial_year"].tolist() == YEARS + ["not by 2025-26"]
    assert t["reps"].tolist() == [1, 1, 1, 1]
    assert t["share"].tolist() == [0.25] * 4
    assert t["cumulative_share"].tolist() == pytest.approx([0.25, 0.5, 0.75, 1.0])
    assert t["se_share"].tolist() == pytest.approx([np.sqrt(0.25 * 0.75 / 4)] * 4)


# -- the board table -----------------------------------------------------------------------------
def scenarios():
    base = ensemble(reps=LEDGER, ledger=LEDGER, months=28)          # Jan 2023 to Apr 2025
    better = {r: [(i + 2e6, c + 3e6) for i, c in years] for r, years in LEDGER.items()}
    return base, ensemble(reps=LEDGER, ledger=better, months=28, caseload_shift=-50)


def test_headline_levels_and_paired_differences():
    base, better = scenarios()
    h = headline({"plan": better, "baseline": base}, "baseline", at="2024-25")
    assert h["scenario"].iloc[0] == "baseline"
    level = h[h["kind"] == "level"].set_index(["scenario", "measure"])
    plans = level.loc[("baseline", "ehc_plans_at_31_march")]
    at_1_april_2025 = [1000 * (r + 1) + 10 * 27 for r in range(4)]
    assert plans["estimate"] == pytest.approx(np.median(at_1_april_2025))
    assert plans["p05"] == pytest.approx(np.quantile(at_1_april_2025, 0.05))
    assert plans["n_reps"] == 4 and plans["whole_year"]
    deficit = level.loc[("baseline", "cumulative_deficit_at_31_march")]
    assert deficit["estimate"] == pytest.approx(np.median([5, 12, 0, 10]))   # GBP m, positive
    reached = level.loc[("baseline", "in_year_balance_reached_and_held_by")]
    assert reached["estimate"] == 0.5                                # reps 0 and 2
    assert reached["mc_se"] == pytest.approx(np.sqrt(0.5 * 0.5 / 4))
    assert level.loc[("plan", "in_year_balance_reached_and_held_by")]["estimate"] == 1.0

    diff = h[h["kind"] == "paired difference"].set_index("measure")
    assert set(diff["scenario"]) == {"plan"} and set(diff["versus"]) == {"baseline"}
    assert diff.loc["ehc_plans_at_31_march", ["estimate", "p05", "p95"]].tolist() == [-50] * 3
    assert diff.loc["cumulative_deficit_at_31_march", "estimate"] == pytest.approx(-3.0)
    p = diff.loc["in_year_balance_reached_and_held_by"]
    assert p["estimate"] == 0.5
    assert p["mc_se"] == pytest.approx(np.std([0, 1, 0, 1], ddof=1) / 2)
    assert "inmss_share_at_31_march" not in diff.index


def test_headline_refuses_an_unknown_baseline_or_year():
    base, better = scenarios()
    with pytest.raises(ValueError, match="baseline 'nope'"):
        headline({"baseline": base, "plan": better}, "nope", at="2024-25")
    with pytest.raises(ValueError, match="'baseline'.*2028-29.*2023-24, 2024-25, 2025-26"):
        headline({"baseline": base, "plan": better}, "baseline", at="2028-29")


def test_format_headline_rounds_for_a_reader():
    base, better = scenarios()
    h = headline({"baseline": base, "plan": better}, "baseline", at="2024-25")
    plans = (h["kind"] == "level") & (h["measure"] == "ehc_plans_at_31_march") & \
        (h["scenario"] == "baseline")
    h.loc[plans, ["estimate", "p05", "p95", "n_reps"]] = [5420.2, 5360.4, 5499.3, 1000]
    text = format_headline(h)
    assert "5,420 (5,360 to 5,499)" in text
    assert "EHC plans at 31 March 2025" in text
    assert "50%" in text                         # chance the balance is reached, baseline
    assert "-3.0 (-3.0 to -3.0)" in text         # deficit difference, GBP m to 1 decimal
    assert "Replications behind each figure" in text and "1,000" in text
