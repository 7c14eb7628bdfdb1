"""Naive forecasts a model must beat: last year's growth, four-year growth, a straight line,
and for a balance, no change.

A back-test is only worth reading beside what a council analyst would get from a spreadsheet,
so each baseline here is one such rule, with an interval so its coverage and interval score can
be set beside the model's. Every function takes one council's history of one measure (a Series
of floats indexed by int year, missing years dropped) and returns forecast-table rows.

Years: a caseload measure (named ``caseload_*``) is a January census, so at origin ``o`` the
forecaster knows census years up to ``o`` and horizon ``h`` targets census ``o + h``; any other
measure is a calendar-year flow, known up to ``o - 1`` (the year is not over at the census),
with horizon ``h`` targeting ``o + h - 1``; a money measure is a financial year labelled by the
year it ends, known up to ``o - 1`` and with horizon ``h`` targeting ``o + h`` (from January
2021, horizon 1 is 2021-22), so its forecasts reach one year further than the last known. Values after `last_known_year` are cut off before a
baseline sees the series (the leakage guard), so a later figure cannot change a forecast.

Intervals (one rule for the two growth baselines, the textbook one for the line):

- ``last_growth`` and ``average_growth_4y`` are random walks with drift in log y whose drift is
  estimated from the last k = 1 or 4 yearly log growth rates. An h-step forecast is then off by
  h future shocks plus h times the drift's error, so its log error has variance
  s^2 (h + h^2 / k), where s is the sd of the yearly log growth rates known at the origin. The
  quantiles are log-normal around the point forecast (its median), with Student t quantiles
  (s has m - 1 degrees of freedom from m rates) since m is small. The h^2/k term matters:
  without it (sd x sqrt(h)) last year's growth, one noisy rate carried h years, would get
  intervals far too narrow and lose on coverage for a wrong interval rather than a wrong point.
- ``linear_trend`` is an OLS line, so it gets the OLS prediction interval (t with n - 2
  degrees of freedom; wide with 3 points, as it should be).

An alternative, the spread of each method's own past h-step errors, was not used: at an origin
it needs k + h + several years of history per horizon, which SEND series starting in the
mid-2010s lack, so most longer horizons would have no interval or one from two or three errors.

Quantiles are NaN, never zero-width by default, when there is too little history (fewer than
`MIN_GROWTH_RATES` growth rates, fewer than 3 points for the line); a forecast is all NaN when
a year it needs is missing or not positive (growth needs logs). Counts cannot be negative, so
quantiles are floored at 0.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd
from scipy import stats

from sendsim.data.history import MONEY_MEASURES, SIGNED_MEASURES

#: Long-form forecast table columns (one row per la/origin/measure/horizon/method).
FORECAST_COLUMNS = ["la_code", "la_name", "origin", "measure", "horizon", "year", "method",
                    "q05", "q25", "q50", "q75", "q95"]
QUANTILE_COLUMNS = ["q05", "q25", "q50", "q75", "q95"]
QUANTILE_LEVELS = (0.05, 0.25, 0.5, 0.75, 0.95)

#: Fewest yearly log growth rates whose sd gives a growth baseline an interval.
MIN_GROWTH_RATES = 3
#: The straight line is fitted through at most this many latest years, and at least 3 points.
TREND_YEARS = 5
TREND_MIN_POINTS = 3


# -- years -----------------------------------------------------------------------------------------
def is_caseload(measure: str) -> bool:
    """Caseload measures are census stocks (``caseload_*``); anything else is a yearly flow."""
    return str(measure).startswith("caseload_")


def is_money(measure: str) -> bool:
    """Money measures (`MONEY_MEASURES`) are financial years, labelled by the year they end."""
    return str(measure) in MONEY_MEASURES


def is_signed(measure: str) -> bool:
    """A measure that can be negative (a DSG balance): baselines and errors are additive."""
    return str(measure) in SIGNED_MEASURES


def last_known_year(measure: str, origin: int) -> int:
    """The latest year of `measure` known at `origin`: that census, the calendar year before,
    or the financial year that ended in March of the year before (its outturn is published in
    the autumn after it ends)."""
    return int(origin) if is_caseload(measure) else int(origin) - 1


def target_year(measure: str, origin: int, horizon: int) -> int:
    """The year horizon h forecasts: census ``origin + h``, calendar year ``origin + h - 1``, or
    the financial year ending in ``origin + h`` (from January 2021, horizon 1 is 2021-22: the
    first financial year to start after the origin)."""
    if is_money(measure):
        return int(origin) + int(horizon)
    return last_known_year(measure, origin) + int(horizon)


def known_history(series: pd.Series, measure: str, origin: int) -> pd.Series:
    """The part of `series` a forecaster at `origin` could have seen: years <= last_known_year.

    Missing values are dropped and the index made int, so the baselines only ever see this.
    """
    last = last_known_year(measure, origin)
    s = pd.Series(series, dtype=float).dropna()
    s.index = s.index.astype(int)
    s = s[s.index <= last].sort_index()
    assert s.empty or s.index.max() <= last, "leakage: a value after the last known year"
    return s


def _horizons(horizons: Iterable[int]) -> list[int]:
    hs = [int(h) for h in horizons]
    if any(h < 1 for h in hs):
        raise ValueError(f"horizons must be 1 or more, got {hs}")
    return hs


def _rows(method: str, measure: str, origin: int, horizons: list[int], quantiles: np.ndarray,
          la_code, la_name) -> pd.DataFrame:
    """Forecast-table rows from a (len(horizons), 5) array of q05..q95, floored at 0 for a
    count (a balance can be negative)."""
    q = np.asarray(quantiles, dtype=float).reshape(len(horizons), 5)
    if not is_signed(measure):
        q = np.maximum(q, 0.0)
    out = pd.DataFrame({
        "la_code": [la_code] * len(horizons), "la_name": [la_name] * len(horizons),
        "origin": int(origin), "measure": measure, "horizon": horizons,
        "year": [target_year(measure, origin, h) for h in horizons], "method": method})
    for j, col in enumerate(QUANTILE_COLUMNS):
        out[col] = q[:, j]
    out["origin"] = out["origin"].astype(int)
    out["horizon"] = out["horizon"].astype(int)
    out["year"] = out["year"].astype(int)
    return out[FORECAST_COLUMNS]


def _log_growth_rates(known: pd.Series) -> np.ndarray:
    """log(y_t / y_{t-1}) for every pair of consecutive years, both positive."""
    prev = known.reindex(known.index - 1).to_numpy()
    cur = known.to_numpy()
    ok = (prev > 0) & (cur > 0)
    return np.log(cur[ok] / prev[ok])


def _yearly_changes(known: pd.Series) -> np.ndarray:
    """y_t - y_{t-1} for every pair of consecutive years (a signed measure's steps)."""
    years = known.index.to_numpy()
    return np.diff(known.to_numpy(float))[years[1:] - years[:-1] == 1]


def _growth_forecast(method: str, k: int, series, origin, measure, horizons, la_code, la_name):
    """y_T * (y_T / y_{T-k})^(h/k) with log-normal quantiles of variance s^2 (h + h^2/k); for a
    signed measure, y_T + h/k (y_T - y_{T-k}) with normal quantiles of the yearly changes."""
    hs = _horizons(horizons)
    known = known_history(series, measure, origin)
    t = last_known_year(measure, origin)
    y_t, y_base = known.get(t, np.nan), known.get(t - k, np.nan)
    q = np.full((len(hs), 5), np.nan)
    if is_signed(measure):
        if np.isfinite(y_t) and np.isfinite(y_base):
            h = np.asarray([target_year(measure, origin, x) - t for x in hs], dtype=float)
            median = y_t + h / k * (y_t - y_base)
            steps = _yearly_changes(known)
            if len(steps) >= MIN_GROWTH_RATES:
                z = stats.t.ppf(QUANTILE_LEVELS, df=len(steps) - 1)
                sd = np.std(steps, ddof=1) * np.sqrt(h + h ** 2 / k)
                q = median[:, None] + sd[:, None] * z[None, :]
            q[:, 2] = median
        return _rows(method, measure, origin, hs, q, la_code, la_name)
    if y_t > 0 and y_base > 0:
        # years from the last known to the target (h, or h + 1 for money: see target_year)
        h = np.asarray([target_year(measure, origin, x) - t for x in hs], dtype=float)
        log_median = np.log(y_t) + h / k * np.log(y_t / y_base)
        rates = _log_growth_rates(known)
        if len(rates) >= MIN_GROWTH_RATES:
            s = np.std(rates, ddof=1)
            z = stats.t.ppf(QUANTILE_LEVELS, df=len(rates) - 1)
            sd = s * np.sqrt(h + h ** 2 / k)
            q = np.exp(log_median[:, None] + sd[:, None] * z[None, :])
        q[:, 2] = np.exp(log_median)
    return _rows(method, measure, origin, hs, q, la_code, la_name)


# -- the baselines -------------------------------------------------------------------------------
def last_growth(series: pd.Series, origin: int, measure: str, horizons: Iterable[int], *,
                la_code=None, la_name=None) -> pd.DataFrame:
    """Last year's growth rate carried forward: y_T * (y_T / y_{T-1})^h."""
    return _growth_forecast("last_growth", 1, series, origin, measure, horizons, la_code, la_name)


def average_growth_4y(series: pd.Series, origin: int, measure: str, horizons: Iterable[int], *,
                      la_code=None, la_name=None) -> pd.DataFrame:
    """The four-year geometric average growth rate carried forward: y_T * (y_T / y_{T-4})^(h/4)."""
    return _growth_forecast("average_growth_4y", 4, series, origin, measure, horizons,
                            la_code, la_name)


def linear_trend(series: pd.Series, origin: int, measure: str, horizons: Iterable[int], *,
                 la_code=None, la_name=None) -> pd.DataFrame:
    """An OLS line through the known values of the last `TREND_YEARS` years, extrapolated.

    The window is the years T-4..T (T = last known year); whichever of them are present are
    fitted, at least `TREND_MIN_POINTS`, else the row is NaN. Quantiles are the OLS prediction
    interval, t with n - 2 degrees of freedom.
    """
    hs = _horizons(horizons)
    known = known_history(series, measure, origin)
    t = last_known_year(measure, origin)
    window = known[known.index > t - TREND_YEARS]
    q = np.full((len(hs), 5), np.nan)
    n = len(window)
    if n >= TREND_MIN_POINTS:
        x = window.index.to_numpy(dtype=float)
        y = window.to_numpy()
        slope, intercept = np.polyfit(x, y, 1)
        x0 = np.array([target_year(measure, origin, h) for h in hs], dtype=float)
        point = intercept + slope * x0
        resid = y - (intercept + slope * x)
        s = np.sqrt(np.sum(resid ** 2) / (n - 2))
        sxx = np.sum((x - x.mean()) ** 2)
        se = s * np.sqrt(1 + 1 / n + (x0 - x.mean()) ** 2 / sxx)
        z = stats.t.ppf(QUANTILE_LEVELS, df=n - 2)
        q = point[:, None] + se[:, None] * z[None, :]
        q[:, 2] = point
    return _rows("linear_trend", measure, origin, hs, q, la_code, la_name)


def no_change(series: pd.Series, origin: int, measure: str, horizons: Iterable[int], *,
              la_code=None, la_name=None) -> pd.DataFrame:
    """A balance stays where it was last published: y_T at every horizon; no rows for counts.

    For a signed measure (a DSG balance) the change rules need two published years and the
    dashboard gives one by January 2021, so this is the only forecast an analyst could make
    then. Its interval uses the yearly changes as `last_growth` does (sd x sqrt(h)), so it has
    none until `MIN_GROWTH_RATES` changes are known. For counts the growth rules already carry
    the last value, so it would only pad the tables.
    """
    hs = _horizons(horizons)
    if not is_signed(measure):
        return pd.DataFrame(columns=FORECAST_COLUMNS)
    known = known_history(series, measure, origin)
    t = last_known_year(measure, origin)
    y_t = known.get(t, np.nan)
    q = np.full((len(hs), 5), np.nan)
    if np.isfinite(y_t):
        h = np.asarray([target_year(measure, origin, x) - t for x in hs], dtype=float)
        steps = _yearly_changes(known)
        if len(steps) >= MIN_GROWTH_RATES:
            z = stats.t.ppf(QUANTILE_LEVELS, df=len(steps) - 1)
            q = y_t + np.std(steps, ddof=1) * np.sqrt(h)[:, None] * z[None, :]
        q[:, 2] = y_t
    return _rows("no_change", measure, origin, hs, q, la_code, la_name)


#: The baselines by method name, in the order tables and charts show them.
BASELINES: dict[str, Callable[..., pd.DataFrame]] = {
    "last_growth": last_growth,
    "average_growth_4y": average_growth_4y,
    "linear_trend": linear_trend,
    "no_change": no_change,
}


def baseline_forecasts(series: pd.Series, origin: int, measure: str, horizons: Iterable[int], *,
                       la_code=None, la_name=None) -> pd.DataFrame:
    """Every baseline's forecast rows for one council, measure and origin."""
    hs = _horizons(horizons)
    rows = [f(series, origin, measure, hs, la_code=la_code, la_name=la_name)
            for f in BASELINES.values()]
    return pd.concat([r for r in rows if len(r)], ignore_index=True)
