"""Scores of back-test forecasts against what was published, and their summary tables.

Each forecast row is joined to its actual (same council, measure and target year) and scored on
its median (signed and absolute percentage error) and on its intervals (whether the 50% and 90%
intervals hold the actual, and the interval score of the 90% one). Percentages are of the
actual, so councils of very different sizes can be pooled in one median; for a measure that can
be negative (a DSG balance) they are of its size, and a balance of exactly 0 is not scored.

The interval score (Gneiting and Raftery 2007, eq. 43) rewards a narrow interval and charges
2/alpha per unit the actual falls outside it, so a method cannot win by being vague (wide
intervals always cover) or overconfident (narrow ones often miss): lower is better.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sendsim.backtest.baselines import BASELINES, FORECAST_COLUMNS
from sendsim.data.history import SIGNED_MEASURES

MODEL_METHOD = "sendsim"
ACTUAL_COLUMNS = ["la_code", "measure", "year", "actual"]
SCORE_COLUMNS = ["actual", "scored", "error_pct", "abs_error_pct", "in_50", "in_90",
                 "interval_score_90", "interval_score_90_pct"]
SUMMARY_BY = ("method", "horizon")
SUMMARY_BY_MEASURE = ("measure", "method", "horizon")
SUMMARY_COLUMNS = ["n_la", "n_scored", "mdape", "median_error_pct", "coverage_50",
                   "coverage_90", "median_interval_score_90_pct"]


def _require(df: pd.DataFrame, columns: Sequence[str], table: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"the {table} table has no {missing} column(s)")


def method_order(methods) -> list[str]:
    """The model first, then the baselines in their own order, then anything else by name."""
    present = list(dict.fromkeys(methods))
    known = [MODEL_METHOD, *BASELINES]
    return [m for m in known if m in present] + sorted(m for m in present if m not in known)


def interval_score(lower, upper, actual, alpha: float):
    """Gneiting and Raftery's interval score of the central (1 - alpha) interval [lower, upper].

    (u - l) + (2/alpha)(l - y)[y < l] + (2/alpha)(y - u)[y > u]; NaN where any input is NaN.
    """
    lo, up, y = (np.asarray(v, dtype=float) for v in (lower, upper, actual))
    return (up - lo) + (2 / alpha) * np.maximum(lo - y, 0) + (2 / alpha) * np.maximum(y - up, 0)


def _within(lower: pd.Series, upper: pd.Series, actual: pd.Series, ok: pd.Series) -> pd.Series:
    """lower <= actual <= upper (bounds included) where scorable, else <NA>."""
    flag = pd.Series((lower <= actual) & (actual <= upper), dtype="boolean")
    return flag.where(ok & lower.notna() & upper.notna(), pd.NA)


def score(forecasts: pd.DataFrame, actuals: pd.DataFrame) -> pd.DataFrame:
    """Every forecast row with its actual and scores (see `SCORE_COLUMNS`).

    `actuals` has one row per (la_code, measure, year). A row is ``scored`` when it has a
    positive actual (percentages need one) and a median; others are kept, with NaN scores, so
    missing publications stay visible. Interval columns are also <NA>/NaN where a method gave
    no interval (a baseline with too little history).
    """
    _require(forecasts, FORECAST_COLUMNS, "forecast")
    _require(actuals, ACTUAL_COLUMNS, "actuals")
    act = actuals[ACTUAL_COLUMNS].copy()
    act["year"] = act["year"].astype(int)
    act["actual"] = act["actual"].astype(float)
    dup = act.duplicated(["la_code", "measure", "year"], keep=False)
    if dup.any():
        raise ValueError(f"actuals has more than one row for {act[dup].head(3).to_dict('records')}")
    f = forecasts.copy()
    f["year"] = f["year"].astype(int)
    out = f.merge(act, on=["la_code", "measure", "year"], how="left", validate="many_to_one")
    y = out["actual"]
    signed = out["measure"].isin(SIGNED_MEASURES)
    ok = y.notna() & ((y > 0) | (signed & (y != 0))) & out["q50"].notna()
    out["scored"] = ok.astype(bool)
    err = ((out["q50"] - y) / y.abs() * 100).where(ok)
    out["error_pct"] = err.astype(float)
    out["abs_error_pct"] = err.abs().astype(float)
    out["in_50"] = _within(out["q25"], out["q75"], y, ok)
    out["in_90"] = _within(out["q05"], out["q95"], y, ok)
    is90 = pd.Series(interval_score(out["q05"], out["q95"], y, alpha=0.1), index=out.index)
    out["interval_score_90"] = is90.where(ok).astype(float)
    out["interval_score_90_pct"] = (out["interval_score_90"] / y.abs() * 100).where(ok).astype(float)
    return out


def summary(scored: pd.DataFrame, by: Sequence[str] = SUMMARY_BY) -> pd.DataFrame:
    """Per group (method x horizon by default): how many councils, errors and coverage.

    Over the group's scored rows (several origins and measures of one council each count):
    ``n_la`` councils and ``n_scored`` rows scored, ``mdape`` the median absolute % error,
    ``median_error_pct`` the median signed % error (above 0: forecasts too high), ``coverage_50``
    and ``coverage_90`` the share of rows with an interval whose interval held the actual
    (nominally 0.5 and 0.9), ``median_interval_score_90_pct``. Every group in `scored` appears,
    with 0 councils and NaN figures when none of its rows was scored.
    """
    keys = list(by)
    _require(scored, [*keys, "la_code", "scored", "abs_error_pct", "error_pct", "in_50", "in_90",
                      "interval_score_90_pct"], "scored")
    d = scored[keys].copy()
    ok = scored["scored"].astype(bool)
    d["la"] = scored["la_code"].where(ok)
    d["ok"] = ok.astype(int)
    for col in ("abs_error_pct", "error_pct", "interval_score_90_pct"):
        d[col] = scored[col].where(ok).astype(float)
    for col in ("in_50", "in_90"):
        d[col] = scored[col].astype("Float64").where(ok).astype(float)
    g = d.groupby(keys, sort=True)
    out = pd.DataFrame({
        "n_la": g["la"].nunique(),
        "n_scored": g["ok"].sum(),
        "mdape": g["abs_error_pct"].median(),
        "median_error_pct": g["error_pct"].median(),
        "coverage_50": g["in_50"].mean(),
        "coverage_90": g["in_90"].mean(),
        "median_interval_score_90_pct": g["interval_score_90_pct"].median(),
    }).reset_index()
    if "method" in keys:
        order = {m: i for i, m in enumerate(method_order(out["method"]))}
        out = out.sort_values(keys, key=lambda c: c.map(order) if c.name == "method" else c,
                              kind="stable").reset_index(drop=True)
    return out[[*keys, *SUMMARY_COLUMNS]]


def summary_by_measure(scored: pd.DataFrame) -> pd.DataFrame:
    """`summary` per measure x method x horizon."""
    return summary(scored, by=SUMMARY_BY_MEASURE)


def headline_table(summ: pd.DataFrame) -> pd.DataFrame:
    """One row per horizon: councils scored, each method's MdAPE and sendsim's coverage (%).

    Takes the method x horizon `summary` (pooled over measures); filter a by-measure summary to
    one measure and drop its column first.
    """
    if "measure" in summ.columns and summ["measure"].nunique() > 1:
        raise ValueError("headline_table takes the method x horizon summary (one row per method "
                         "and horizon), not one per measure")
    _require(summ, ["method", "horizon", "n_la", "mdape", "coverage_50", "coverage_90"], "summary")
    methods = method_order(summ["method"])
    wide = summ.pivot(index="horizon", columns="method")
    out = pd.DataFrame(index=wide.index.astype(int))
    counted = MODEL_METHOD if MODEL_METHOD in methods else None
    n_la = wide["n_la"][counted] if counted else wide["n_la"].max(axis=1)
    out["LAs"] = n_la.fillna(0).astype(int)
    for m in methods:
        out[f"MdAPE {m} (%)"] = wide["mdape"][m]
    if MODEL_METHOD in methods:
        out[f"{MODEL_METHOD} 50% coverage (%)"] = wide["coverage_50"][MODEL_METHOD] * 100
        out[f"{MODEL_METHOD} 90% coverage (%)"] = wide["coverage_90"][MODEL_METHOD] * 100
    out.index.name = "horizon"
    return out


def markdown(df: pd.DataFrame, decimals: int = 1, index: bool = True) -> str:
    """A GitHub markdown table (no tabulate needed): numbers right-aligned, NaN as 'n/a'."""
    d = df.reset_index() if index else df
    def cell(v) -> str:
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            return "n/a"
        if isinstance(v, (bool, np.bool_)):
            return str(bool(v))
        if isinstance(v, (int, np.integer)):
            return str(int(v))
        if isinstance(v, (float, np.floating)):
            return f"{v:.{decimals}f}"
        return str(v).replace("|", "\\|")
    numeric = [pd.api.types.is_numeric_dtype(d[c]) and not pd.api.types.is_bool_dtype(d[c])
               for c in d.columns]
    lines = ["| " + " | ".join(str(c) for c in d.columns) + " |",
             "|" + "|".join("---:" if n else ":---" for n in numeric) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |"
              for row in d.itertuples(index=False, name=None)]
    return "\n".join(lines) + "\n"


def headline_markdown(summ: pd.DataFrame, decimals: int = 1) -> str:
    """`headline_table` as a markdown table for a README or an issue."""
    return markdown(headline_table(summ), decimals=decimals)
