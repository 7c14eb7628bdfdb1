"""Back-test baselines, scores and charts, checked on small series and tables built by hand."""

import math

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sendsim.backtest import (FORECAST_COLUMNS, average_growth_4y, baseline_forecasts,
                              headline_markdown, headline_table, interval_score, last_growth,
                              last_known_year, linear_trend, no_change, plot_council, plot_coverage,
                              plot_errors, score, summary, summary_by_measure, target_year)
from sendsim.backtest import charts as bt_plots

H = [1, 2, 3, 4]


def geometric(start=2012, end=2022, base=100.0, growth=1.1):
    years = range(start, end + 1)
    return pd.Series([base * growth ** (y - start) for y in years], index=list(years), dtype=float)


def noisy(start=2010, end=2024, seed=3):
    rng = np.random.default_rng(seed)
    years = list(range(start, end + 1))
    return pd.Series(500 * np.exp(np.cumsum(rng.normal(0.07, 0.04, len(years)))), index=years)


def q(df, method, col="q50"):
    return df[df["method"] == method].sort_values("horizon")[col].to_numpy()


# -- years ---------------------------------------------------------------------------------------
def test_caseload_targets_census_years_and_flows_calendar_years():
    assert last_known_year("caseload_total", 2020) == 2020
    assert target_year("caseload_total", 2020, 1) == 2021
    assert target_year("caseload_total", 2020, 3) == 2023
    assert last_known_year("requests", 2020) == 2019
    assert target_year("requests", 2020, 1) == 2020
    assert target_year("plans_issued", 2020, 3) == 2022


# -- baselines: hand-computed values -------------------------------------------------------------
@pytest.mark.parametrize("measure, origin", [("caseload_total", 2022), ("requests", 2023)])
def test_growth_baselines_carry_an_exact_ten_percent_growth(measure, origin):
    s = geometric(end=2022)  # 2022 is the last known year either way
    for f in (last_growth, average_growth_4y):
        out = f(s, origin, measure, H, la_code="E1", la_name="Here")
        assert list(out.columns) == FORECAST_COLUMNS
        np.testing.assert_allclose(out["q50"], s[2022] * 1.1 ** np.array(H), rtol=1e-12)
        assert list(out["year"]) == [2022 + h for h in H]
        assert (out["la_code"] == "E1").all() and (out["origin"] == origin).all()


def test_growth_baselines_use_their_own_base_years():
    s = pd.Series({2018: 100.0, 2019: 110.0, 2020: 121.0, 2021: 125.0, 2022: 150.0})
    lg = last_growth(s, 2022, "caseload_total", [1, 2])
    av = average_growth_4y(s, 2022, "caseload_total", [1, 2])
    np.testing.assert_allclose(lg["q50"], [180.0, 216.0])
    np.testing.assert_allclose(av["q50"], [150 * 1.5 ** 0.25, 150 * 1.5 ** 0.5])


def test_linear_trend_is_exact_on_a_line_and_ignores_years_before_its_window():
    years = list(range(2010, 2023))
    s = pd.Series([50.0 + 7 * (y - 2015) for y in years], index=years)
    s.loc[2010:2017] = [999.0, 1.0, 500.0, 3.0, 2000.0, 7.0, 400.0, 5.0]  # before 2018-2022
    for measure, origin in (("caseload_total", 2022), ("requests", 2023)):
        out = linear_trend(s, origin, measure, H)
        np.testing.assert_allclose(out["q50"], [50 + 7 * (2022 + h - 2015) for h in H], rtol=1e-10)


def test_linear_trend_interval_is_the_ols_prediction_interval():
    s = pd.Series([10.0, 12.0, 11.0, 15.0, 16.0], index=range(2018, 2023))
    out = linear_trend(s, 2022, "caseload_total", [1])
    # by hand: slope 1.5, mean 12.8 at 2020, SSE 4.3 on 3 df, se = s sqrt(1 + 1/5 + 3^2/10)
    point = 12.8 + 3 * 1.5
    se = math.sqrt(4.3 / 3 * 2.1)
    assert out["q50"].iloc[0] == pytest.approx(point)
    assert out["q95"].iloc[0] == pytest.approx(point + stats.t.ppf(0.95, 3) * se)
    assert out["q25"].iloc[0] == pytest.approx(point - stats.t.ppf(0.75, 3) * se)


def test_linear_trend_needs_three_points():
    three = pd.Series([10.0, 12.0, 13.0], index=[2020, 2021, 2022])
    out = linear_trend(three, 2022, "caseload_total", [1])
    assert out[["q05", "q50", "q95"]].notna().all(axis=None)
    out = linear_trend(three.drop(2020), 2022, "caseload_total", [1])
    assert out[["q05", "q25", "q50", "q75", "q95"]].isna().all(axis=None)


def test_growth_intervals_are_log_normal_with_drift_error():
    s = noisy(end=2022)
    rates = np.diff(np.log(s.to_numpy()))
    sd, t95 = np.std(rates, ddof=1), stats.t.ppf(0.95, len(rates) - 1)
    for f, k in ((last_growth, 1), (average_growth_4y, 4)):
        out = f(s, 2022, "caseload_total", H)
        h = np.array(H, dtype=float)
        np.testing.assert_allclose(np.log(out["q95"] / out["q50"]),
                                   t95 * sd * np.sqrt(h + h ** 2 / k))
        np.testing.assert_allclose(out["q05"] * out["q95"], out["q50"] ** 2)
        assert (np.diff(out[["q05", "q25", "q50", "q75", "q95"]].to_numpy(), axis=1) > 0).all()


def test_too_little_history_gives_nan_intervals_not_zero_width():
    s = pd.Series([100.0, 110.0, 125.0], index=[2020, 2021, 2022])  # two growth rates
    out = last_growth(s, 2022, "caseload_total", [1, 2])
    np.testing.assert_allclose(out["q50"], [125 * 125 / 110, 125 * (125 / 110) ** 2])
    assert out[["q05", "q25", "q75", "q95"]].isna().all(axis=None)


def test_a_missing_year_gives_nan_rows_not_an_exception():
    s = noisy(end=2022)
    no_last = baseline_forecasts(s.drop(2021), 2022, "caseload_total", H)
    assert no_last[no_last["method"] == "last_growth"][["q05", "q50", "q95"]].isna().all(axis=None)
    assert no_last[no_last["method"] == "average_growth_4y"]["q50"].notna().all()
    no_base = baseline_forecasts(s.drop(2018), 2022, "caseload_total", H)
    assert no_base[no_base["method"] == "average_growth_4y"]["q50"].isna().all()
    assert no_base[no_base["method"] == "last_growth"]["q50"].notna().all()
    s_nan = s.copy()
    s_nan[2022] = np.nan
    out = baseline_forecasts(s_nan, 2022, "caseload_total", H)
    assert out[out["method"] != "linear_trend"]["q50"].isna().all()
    assert len(out) == 3 * len(H)


def test_quantiles_are_floored_at_zero():
    s = pd.Series([100.0, 80.0, 62.0, 38.0, 21.0], index=range(2018, 2023))
    out = linear_trend(s, 2022, "caseload_total", H)
    assert (out[["q05", "q25", "q50", "q75", "q95"]] >= 0).all(axis=None)
    assert out["q05"].iloc[-1] == 0.0


def test_a_balance_is_not_floored_at_zero_and_no_change_carries_it():
    # DSG balances at 31 March 2019..2022 (year = the year the financial year ends), deficits
    bal = pd.Series([-2e6, -5e6, -9e6, -14e6], index=[2019, 2020, 2021, 2022])
    m = "dsg_cumulative_balance"
    lg = last_growth(bal, 2023, m, [1, 2])          # known to 2022; targets 2024 and 2025
    np.testing.assert_allclose(lg["q50"], [-14e6 - 2 * 5e6, -14e6 - 3 * 5e6])
    assert (lg["q05"] < lg["q50"]).all() and (lg["q95"] < 0).all()
    nc = no_change(bal, 2023, m, [1, 2])
    np.testing.assert_allclose(nc["q50"], [-14e6, -14e6])
    steps = np.diff(bal.to_numpy())                  # 3 changes: an interval, sd x sqrt(2), sqrt(3)
    half = stats.t.ppf(0.95, 2) * np.std(steps, ddof=1) * np.sqrt([2.0, 3.0])
    np.testing.assert_allclose(nc["q95"] - nc["q50"], half)
    np.testing.assert_allclose(nc["q50"] - nc["q05"], half)
    one = no_change(bal.loc[[2020]], 2021, m, [1])    # one published year: a median, no interval
    assert one["q50"].tolist() == [-5e6] and one[["q05", "q95"]].isna().all(axis=None)
    assert no_change(geometric(), 2022, "caseload_total", H).empty   # counts: not a baseline
    assert set(baseline_forecasts(geometric(), 2022, "caseload_total", H)["method"]) == {
        "last_growth", "average_growth_4y", "linear_trend"}


def test_horizons_start_at_one():
    with pytest.raises(ValueError):
        last_growth(geometric(), 2022, "caseload_total", [0, 1])


# -- leakage guard -------------------------------------------------------------------------------
@pytest.mark.parametrize("measure, origin", [("caseload_total", 2019), ("requests", 2020)])
def test_values_after_the_last_known_year_change_no_forecast(measure, origin):
    s = noisy(end=2024)
    base = baseline_forecasts(s, origin, measure, H)
    last = last_known_year(measure, origin)
    assert last == 2019
    later = s.index > last
    for changed in (s.where(~later, s * 3.0), s.where(~later, np.nan), s[~later],
                    pd.concat([s, pd.Series({2030: 1e9})])):
        pd.testing.assert_frame_equal(baseline_forecasts(changed, origin, measure, H), base)
    # and the check can fail: a change at the last known year does move them
    moved = s.copy()
    moved[last] *= 1.5
    assert not baseline_forecasts(moved, origin, measure, H)["q50"].equals(base["q50"])


# -- scores --------------------------------------------------------------------------------------
def test_interval_score_by_hand():
    # interval 90..110 (width 20), alpha 0.1: each unit outside costs 20
    np.testing.assert_allclose(interval_score([90] * 5, [110] * 5, [100, 110, 90, 120, 85], 0.1),
                               [20, 20, 20, 20 + 20 * 10, 20 + 20 * 5])
    assert interval_score(90, 110, 80, 0.5) == pytest.approx(20 + 4 * 10)


def frow(la, year, q05, q25, q50, q75, q95, method="sendsim", horizon=1, measure="caseload_total",
         origin=None):
    return {"la_code": la, "la_name": f"Council {la}", "origin": origin or year - horizon,
            "measure": measure, "horizon": horizon, "year": year, "method": method,
            "q05": q05, "q25": q25, "q50": q50, "q75": q75, "q95": q95}


def test_score_errors_coverage_at_the_bounds_and_interval_score():
    f = pd.DataFrame([frow(la, 2022, 80, 90, 100, 110, 120) for la in "ABCDEF"])
    actuals = pd.DataFrame({"la_code": list("ABCDEF"), "measure": "caseload_total", "year": 2022,
                            "actual": [100.0, 90.0, 110.0, 80.0, 120.0, 125.0]})
    s = score(f, actuals).set_index("la_code")
    assert s["scored"].all()
    np.testing.assert_allclose(s["error_pct"], [0, 100 / 9, -100 / 11, 25, -100 / 6, -20])
    np.testing.assert_allclose(s["abs_error_pct"], s["error_pct"].abs())
    assert list(s["in_50"]) == [True, True, True, False, False, False]   # q25 and q75 inside
    assert list(s["in_90"]) == [True, True, True, True, True, False]     # q05 and q95 inside
    np.testing.assert_allclose(s["interval_score_90"], [40, 40, 40, 40, 40, 40 + 20 * 5])
    assert s.loc["F", "interval_score_90_pct"] == pytest.approx(140 / 125 * 100)
    # just outside the 50% interval
    s2 = score(f.iloc[:1], actuals.iloc[:1].assign(actual=110.0001))
    assert not s2["in_50"].iloc[0] and s2["in_90"].iloc[0]


def test_rows_without_an_actual_are_kept_but_not_scored():
    f = pd.DataFrame([frow(la, 2022, 80, 90, 100, 110, 120) for la in "ABCD"])
    actuals = pd.DataFrame({"la_code": ["A", "B", "C"], "measure": "caseload_total",
                            "year": 2022, "actual": [np.nan, 0.0, 100.0]})  # D has none
    s = score(f, actuals).set_index("la_code")
    assert len(s) == 4
    assert list(s["scored"]) == [False, False, True, False]
    for col in ("error_pct", "abs_error_pct", "interval_score_90", "interval_score_90_pct"):
        assert s[col].drop("C").isna().all() and s.loc["C", col] == pytest.approx(
            {"error_pct": 0, "abs_error_pct": 0, "interval_score_90": 40,
             "interval_score_90_pct": 40}[col])
    assert s["in_50"].drop("C").isna().all() and s["in_90"].drop("C").isna().all()
    summ = summary(score(f, actuals))
    assert summ["n_la"].iloc[0] == 1 and summ["n_scored"].iloc[0] == 1


def test_duplicate_actuals_are_refused():
    f = pd.DataFrame([frow("A", 2022, 80, 90, 100, 110, 120)])
    actuals = pd.DataFrame({"la_code": ["A", "A"], "measure": "caseload_total", "year": 2022,
                            "actual": [1.0, 2.0]})
    with pytest.raises(ValueError):
        score(f, actuals)


def hand_table():
    """sendsim at horizon 1 on A (twice, two origins), B, C, D (no actual); one baseline row
    without an interval; sendsim at horizon 2 on A; a second measure for the by-measure table."""
    nan = np.nan
    f = pd.DataFrame([
        frow("A", 2022, 80, 90, 100, 110, 120),                   # actual 100: 0%, in both
        frow("A", 2021, 80, 90, 100, 110, 120),                   # actual 90: +11.1%, in both
        frow("B", 2022, 80, 90, 100, 110, 120),                   # actual 125: -20%, out of both
        frow("C", 2022, 80, 90, 100, 110, 120),                   # actual 80: +25%, in 90 only
        frow("D", 2022, 80, 90, 100, 110, 120),                   # no actual
        frow("A", 2022, nan, nan, 90, nan, nan, method="last_growth"),   # -10%, no interval
        frow("B", 2022, 100, 110, 120, 130, 140, method="last_growth"),  # actual 125: -4%
        frow("A", 2022, 70, 80, 100, 120, 130, horizon=2),        # actual 100: in both
        frow("A", 2022, 5, 9, 10, 11, 15, measure="requests"),    # actual 8: +25%, in 90 only
    ])
    actuals = pd.DataFrame([
        ("A", "caseload_total", 2022, 100.0), ("A", "caseload_total", 2021, 90.0),
        ("B", "caseload_total", 2022, 125.0), ("C", "caseload_total", 2022, 80.0),
        ("A", "requests", 2022, 8.0)], columns=["la_code", "measure", "year", "actual"])
    return score(f, actuals)


def test_summary_by_method_and_horizon_by_hand():
    summ = summary(hand_table())
    assert list(summ[["method", "horizon"]].itertuples(index=False, name=None)) == [
        ("sendsim", 1), ("sendsim", 2), ("last_growth", 1)]
    s1 = summ.iloc[0]
    # sendsim h1 rows: A 0, A +11.1, B -20, C +25, A requests +25 (D unscored)
    assert s1["n_la"] == 3 and s1["n_scored"] == 5
    assert s1["mdape"] == pytest.approx(20.0)
    assert s1["median_error_pct"] == pytest.approx(100 / 9)
    assert s1["coverage_50"] == pytest.approx(2 / 5)
    assert s1["coverage_90"] == pytest.approx(4 / 5)
    # interval score % (width 40 or 10, only B outside, by 5): A 40, A 40/90, B 140/125,
    # C 40/80, requests 10/8
    is_pct = [40.0, 4000 / 90, 11200 / 125, 50.0, 1000 / 8]
    assert s1["median_interval_score_90_pct"] == pytest.approx(np.median(is_pct))
    lg = summ.iloc[2]
    assert lg["n_la"] == 2 and lg["n_scored"] == 2
    assert lg["mdape"] == pytest.approx(7.0)           # median of 10 and 4
    assert lg["coverage_50"] == pytest.approx(1.0)     # only B has an interval, and it holds
    assert lg["coverage_90"] == pytest.approx(1.0)


def test_summary_by_measure_splits_the_measures():
    summ = summary_by_measure(hand_table())
    req = summ[summ["measure"] == "requests"]
    assert len(req) == 1 and req["mdape"].iloc[0] == pytest.approx(25.0)
    case = summ[(summ["measure"] == "caseload_total") & (summ["method"] == "sendsim")
                & (summ["horizon"] == 1)].iloc[0]
    assert case["n_scored"] == 4 and case["mdape"] == pytest.approx((100 / 9 + 20) / 2)


def test_headline_table_and_markdown():
    summ = summary(hand_table())
    head = headline_table(summ)
    assert list(head.index) == [1, 2]
    assert list(head.columns) == ["LAs", "MdAPE sendsim (%)", "MdAPE last_growth (%)",
                                  "sendsim 50% coverage (%)", "sendsim 90% coverage (%)"]
    assert head.loc[1, "MdAPE last_growth (%)"] == pytest.approx(7.0)
    assert head.loc[1, "sendsim 90% coverage (%)"] == pytest.approx(80.0)
    assert np.isnan(head.loc[2, "MdAPE last_growth (%)"])
    md = headline_markdown(summ)
    assert md.splitlines() == [
        "| horizon | LAs | MdAPE sendsim (%) | MdAPE last_growth (%) | sendsim 50% coverage (%) "
        "| sendsim 90% coverage (%) |",
        "|---:|---:|---:|---:|---:|---:|",
        "| 1 | 3 | 20.0 | 7.0 | 40.0 | 80.0 |",
        "| 2 | 1 | 0.0 | n/a | 100.0 | 100.0 |",
    ]
    with pytest.raises(ValueError):
        headline_table(summary_by_measure(hand_table()))


def test_baselines_score_zero_error_on_the_series_they_assume():
    s = geometric(end=2026)
    f = baseline_forecasts(s, 2022, "caseload_total", H, la_code="E1", la_name="Here")
    actuals = pd.DataFrame({"la_code": "E1", "measure": "caseload_total",
                            "year": s.index, "actual": s.to_numpy()})
    scored = score(f, actuals)
    growth = scored[scored["method"] != "linear_trend"]
    assert growth["scored"].all()
    np.testing.assert_allclose(growth["abs_error_pct"], 0, atol=1e-9)
    assert (scored.loc[scored["method"] == "linear_trend", "error_pct"] < 0).all()  # a line lags


# -- plots ---------------------------------------------------------------------------------------
def png_size(path):
    img = mpimg.imread(path)
    return img.shape[1], img.shape[0]


def expected(figsize):
    return round(figsize[0] * bt_plots.DPI), round(figsize[1] * bt_plots.DPI)


def test_plots_write_readable_pngs_of_the_right_size(tmp_path):
    rows, actual_rows, history = [], [], {}
    for la, start in (("E1", 400.0), ("E2", 900.0)):
        for measure in ("caseload_total", "requests"):
            s = noisy(end=2024, seed=len(rows)) * start / 500
            history[(la, measure)] = s
            for origin in (2019, 2020):
                rows.append(baseline_forecasts(s, origin, measure, H, la_code=la, la_name=la))
                b = rows[-1][rows[-1]["method"] == "average_growth_4y"].copy()
                b["method"] = "sendsim"
                rows.append(b)
            actual_rows += [(la, measure, y, v) for y, v in s.items()]
    forecasts = pd.concat(rows, ignore_index=True)
    actuals = pd.DataFrame(actual_rows, columns=["la_code", "measure", "year", "actual"])
    scored = score(forecasts, actuals)
    assert scored["scored"].all()

    p = plot_errors(scored, tmp_path / "errors.png")
    assert p.stat().st_size > 0 and png_size(p) == expected(bt_plots.FIGSIZE)
    p = plot_coverage(summary(scored), tmp_path / "coverage.png")
    assert p.stat().st_size > 0 and png_size(p) == expected(bt_plots.FIGSIZE)
    e1 = forecasts[forecasts["la_code"] == "E1"]
    hist = {m: history[("E1", m)] for m in ("caseload_total", "requests")}
    p = plot_council(e1, hist, actuals, tmp_path / "council.png")
    w, h = bt_plots.PANEL_SIZE
    assert p.stat().st_size > 0 and png_size(p) == expected((2 * w, h))
    p = plot_council(forecasts, {}, None, tmp_path / "one.png", la_code="E2", origin=2019)
    assert png_size(p) == expected((2 * w, h))
    with pytest.raises(ValueError):
        plot_council(forecasts, hist, actuals, tmp_path / "two.png")
