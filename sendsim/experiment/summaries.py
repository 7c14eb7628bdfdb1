"""Summaries of many replications for council boards: by financial year, with their precision.

A board asks about financial years (the High Needs Block is set and reported April to March)
and about chances ("will we balance by 2028-29?"), so every table here is per financial year.
Every figure carries how many replications back it and its Monte Carlo standard error: how far
it would move with another set of replications, which is a different thing from the 5th to 95th
percentile spread of outcomes (the prediction interval). Scenarios are compared replication by
replication (same `rep` = same seed = common random numbers), which removes most of the noise
from a difference between scenarios.

Inputs are ensembles (`runner.Ensemble` or anything with the same stacked tables and an integer
`rep` column). Pure pandas and numpy: no files, no plots.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from sendsim.errors import InputError
from sendsim.engine.recorder import FLOWS
from sendsim.scenario.definition import CONDITION_KINDS

#: Two-sided 95% normal quantile (for the median's order-statistic interval and Wilson bounds).
Z95 = 1.959963984540054
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)

#: Money columns are flows too (totals for the month), whatever `FLOWS` says.
FLOW_PREFIXES = ("spend_", "income_", "child_days_")
#: Monthly columns that are the balance at the *close* of the month (the ledger's running
#: balance), not a stock at its first instant: the year-end value is the March row's.
MONTH_END_COLUMNS = ("cumulative_balance",)

LONG_COLUMNS = ["rep", "financial_year", "series", "value", "whole_year"]


# -- by financial year ---------------------------------------------------------------------------
def _fy_label(start_year: int) -> str:
    return f"{start_year}-{str(start_year + 1)[2:]}"


def _fy_start(label: str) -> int:
    return int(str(label)[:4])


def _need_rep(df: pd.DataFrame, table: str) -> None:
    if "rep" not in df.columns:
        raise ValueError(f"the {table} table has no 'rep' column: expected replications stacked "
                         f"with their rep number (as runner.run_replications returns them)")


def monthly_flows_and_stocks(monthly: pd.DataFrame) -> tuple[list[str], list[str], list[str]]:
    """The monthly table's columns as (flows, stocks at the month's start, month-end balances)."""
    numeric = [c for c in monthly.select_dtypes(include="number").columns if c != "rep"]
    flows = [c for c in numeric if c in FLOWS or c.startswith(FLOW_PREFIXES)]
    month_end = [c for c in numeric if c in MONTH_END_COLUMNS and c not in flows]
    stocks = [c for c in numeric if c not in flows and c not in month_end]
    return flows, stocks, month_end


def by_financial_year(ens, series: Iterable[str] | None = None) -> pd.DataFrame:
    """Every monthly series and the financial-year table per (rep, financial year), long form.

    Boards read the budget by financial year, so the monthly table is folded into years:

    - flows (counts in the month, and every ``spend_``, ``income_``, ``child_days_`` column)
      are summed over the year's months;
    - stocks (caseload, places, queues, ``inmss_share``... seen at the month's first instant) are
      taken at the end of the year, i.e. the snapshot on the following 1 April when the run has
      it, else the year's last month in the run (then ``whole_year`` is False);
    - ``cumulative_balance`` in the monthly table is the ledger's balance at the close of the
      month, so its year-end value is the year's last month (March);
    - the ``financial_year`` table's numeric columns (in-year and cumulative balance, income,
      spend lines...) are series too. They are the ledger's own year-end figures, so where a
      series has the same name in both (``spend_total``, ``cumulative_balance``...) they replace
      the figure folded from months for the years the ledger closed.

    ``whole_year`` is False for a financial year with fewer than 12 months in the run (its flows
    understate a year) and for a stock without its 1 April snapshot. Missing values (e.g. the
    balance before the ledger starts) are left out. `series` restricts the output to those names.

    Columns: rep, financial_year, series, value, whole_year.
    """
    m = ens.monthly
    _need_rep(m, "monthly")
    fyt = ens.financial_year
    wanted = None if series is None else list(series)
    flows, stocks, month_end = monthly_flows_and_stocks(m)
    fy_cols = []
    if len(fyt):
        _need_rep(fyt, "financial_year")
        fy_cols = [c for c in fyt.select_dtypes(include="number").columns if c != "rep"]
    if wanted is not None:
        unknown = sorted(set(wanted) - set(flows) - set(stocks) - set(month_end) - set(fy_cols))
        if unknown:
            raise ValueError(f"no series named {unknown} in the monthly or financial_year tables")
        flows, stocks, month_end, fy_cols = ([c for c in cols if c in wanted]
                                             for cols in (flows, stocks, month_end, fy_cols))

    parts = []
    if len(m):
        m = m.sort_values(["rep", "month"], kind="stable")
        key = ["rep", "financial_year"]
        g = m.groupby(key, sort=True)
        n_months = g.size()
        whole = n_months == 12
        if flows:
            parts.append(_long(g[flows].sum(min_count=1), whole))
        last = m.groupby(key, sort=True).tail(1).set_index(key)
        if month_end:
            parts.append(_long(last[month_end], whole))
        if stocks:
            # the 1 April snapshot closes the financial year that ended the day before
            april = m[m["month"].dt.month == 4].copy()
            april["financial_year"] = [_fy_label(d.year - 1) for d in april["month"]]
            snap = april.set_index(key)[stocks].reindex(n_months.index)
            has_snap = pd.Series(n_months.index.isin(april.set_index(key).index), index=n_months.index)
            at_end = snap.where(has_snap, last[stocks].reindex(n_months.index), axis=0)
            parts.append(_long(at_end, whole & has_snap))
    monthly_long = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=LONG_COLUMNS)

    if fy_cols:
        ledger = fyt.set_index(["rep", "financial_year"])[fy_cols].astype(float)
        ledger_long = _long(ledger, pd.Series(True, index=ledger.index))
        dup = monthly_long.set_index(["rep", "financial_year", "series"]).index.isin(
            ledger_long.set_index(["rep", "financial_year", "series"]).index)
        monthly_long = pd.concat([monthly_long[~dup], ledger_long], ignore_index=True)

    out = monthly_long.dropna(subset=["value"])
    out = out.sort_values(["rep", "financial_year", "series"], kind="stable").reset_index(drop=True)
    out["rep"] = out["rep"].astype(int)
    out["value"] = out["value"].astype(float)
    out["whole_year"] = out["whole_year"].astype(bool)
    return out[LONG_COLUMNS]


def _long(wide: pd.DataFrame, whole: pd.Series) -> pd.DataFrame:
    """Wide (rep, financial_year) x series -> long rows, with each row's whole_year flag."""
    w = wide.astype(float)
    w.columns = [str(c) for c in w.columns]
    flag = whole.reindex(w.index).fillna(False).astype(bool)
    w = w.reset_index()
    w["whole_year"] = flag.to_numpy()
    out = w.melt(id_vars=["rep", "financial_year", "whole_year"], var_name="series",
                 value_name="value")
    return out[LONG_COLUMNS]


# -- quantiles and Monte Carlo error ---------------------------------------------------------------
def quantile_name(q: float) -> str:
    """Column name of a quantile: 0.05 -> 'q05', 0.5 -> 'q50', 0.025 -> 'q2_5'."""
    pct = round(q * 100, 6)
    return f"q{int(pct):02d}" if pct == int(pct) else "q" + f"{pct:g}".replace(".", "_")


def median_se(values) -> float:
    """Distribution-free Monte Carlo standard error of a sample median.

    The ranks j = floor(n/2 - 1.96 sqrt(n)/2) and k = ceil(n/2 + 1.96 sqrt(n)/2) (1-based) of the
    sorted sample bound an approximate 95% confidence interval for the median without assuming a
    shape; the SE is its half-width / 1.96. NaN when a rank falls outside 1..n (n < 8): too few
    replications to say.
    """
    x = np.sort(np.asarray(values, dtype=float))
    x = x[~np.isnan(x)]
    n = len(x)
    half = Z95 * math.sqrt(n) / 2
    j, k = math.floor(n / 2 - half), math.ceil(n / 2 + half)
    if n == 0 or j < 1 or k > n:
        return float("nan")
    return float((x[k - 1] - x[j - 1]) / (2 * Z95))


def _describe(groups, quantiles: Sequence[float]) -> pd.DataFrame:
    qs = list(quantiles)
    out = pd.DataFrame({"n_reps": groups.count(), "mean": groups.mean()})
    if qs:
        q = groups.quantile(qs).unstack(level=-1)
        q.columns = [quantile_name(c) for c in q.columns]
        out = out.join(q)
    out["se_median"] = groups.agg(median_se)
    return out


def quantile_table(long: pd.DataFrame, quantiles: Sequence[float] = QUANTILES) -> pd.DataFrame:
    """Per (series, financial_year): replications, mean, quantiles and the median's Monte Carlo SE.

    Quantiles are numpy's default (linear interpolation between order statistics). `se_median`
    follows `median_se` (NaN with fewer than 8 replications). `whole_year` is True only if every
    replication's figure covers a whole year, so a part year is not read as a year.
    """
    d = long.dropna(subset=["value"])
    g = d.groupby(["series", "financial_year"], sort=True)
    out = _describe(g["value"], quantiles)
    if "whole_year" in d:
        out["whole_year"] = g["whole_year"].all()
    return out.reset_index()


def paired_differences(long_a: pd.DataFrame, long_b: pd.DataFrame,
                       quantiles: Sequence[float] = QUANTILES) -> pd.DataFrame:
    """Scenario b minus scenario a, replication by replication (same rep = same random numbers).

    Per (series, financial_year): n_reps paired, mean_difference, se_mean_difference
    (sd / sqrt(n)), the quantiles of the paired differences, se_median_difference (see
    `median_se`), sd_paired (sd of the paired differences) and sd_unpaired (sqrt(var a + var b)
    over the same replications: the sd a difference of independent runs would have). The ratio
    of the two is the noise that pairing removes. Replications in only one scenario are dropped.
    """
    key = ["rep", "financial_year", "series"]
    a = long_a.dropna(subset=["value"])
    b = long_b.dropna(subset=["value"])
    common = sorted(set(a["rep"]) & set(b["rep"]))
    if not common:
        raise ValueError(f"no replication in common to pair: a has reps {_reps_text(a['rep'])}, "
                         f"b has reps {_reps_text(b['rep'])} (pairs need the same rep numbers, "
                         f"i.e. the same root seed)")
    cols = key + ["value"] + (["whole_year"] if "whole_year" in a and "whole_year" in b else [])
    d = a[cols].merge(b[cols], on=key, suffixes=("_a", "_b"), how="inner")
    if d.empty:
        raise ValueError(f"reps {_reps_text(common)} are in both, but no (financial_year, series) "
                         f"is: nothing to pair")
    d["difference"] = d["value_b"] - d["value_a"]
    g = d.groupby(["series", "financial_year"], sort=True)
    desc = _describe(g["difference"], quantiles)
    sd = g["difference"].std(ddof=1)
    out = pd.DataFrame({
        "n_reps": desc["n_reps"],
        "mean_difference": desc["mean"],
        "se_mean_difference": sd / np.sqrt(desc["n_reps"]),
    })
    out = out.join(desc[[quantile_name(q) for q in quantiles]])
    out["se_median_difference"] = desc["se_median"]
    out["sd_paired"] = sd
    out["sd_unpaired"] = np.sqrt(g["value_a"].var(ddof=1) + g["value_b"].var(ddof=1))
    if "whole_year_a" in d:
        out["whole_year"] = (d["whole_year_a"] & d["whole_year_b"]).groupby(
            [d["series"], d["financial_year"]]).all()
    return out.reset_index()


def _reps_text(reps) -> str:
    r = sorted(set(int(x) for x in reps))
    if not r:
        return "none"
    if r == list(range(r[0], r[-1] + 1)) and len(r) > 2:
        return f"{r[0]} to {r[-1]}"
    return ", ".join(str(x) for x in r[:10]) + (" ..." if len(r) > 10 else "")


# -- chances -------------------------------------------------------------------------------------
def wilson_interval(successes: float, n: int, z: float = Z95) -> tuple[float, float]:
    """95% Wilson score interval for a proportion: stays inside [0, 1] and is honest near 0 or 1."""
    if n == 0:
        return float("nan"), float("nan")
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def _years(fyt: pd.DataFrame) -> list[str]:
    return sorted(set(fyt["financial_year"]), key=_fy_start)


def _condition_met(fyt: pd.DataFrame, cond: Mapping) -> pd.Series:
    """Per rep, whether `cond` holds (index rep, bool); reps without that year are left out."""
    missing = [k for k in ("name", "kind", "financial_year") if k not in cond]
    if missing:
        raise InputError("", f"condition {dict(cond)!r} lacks {missing}")
    name, kind, year = cond["name"], cond["kind"], str(cond["financial_year"])
    if kind not in CONDITION_KINDS:
        raise InputError("", f"condition {name!r}: unknown kind {kind!r}; allowed kinds are "
                         f"{', '.join(CONDITION_KINDS)}")
    years = _years(fyt)
    if year not in years:
        raise InputError("", f"condition {name!r}: financial year {year} is not in the run, which "
                         f"covers {', '.join(years) if years else 'no whole financial year'}")
    at = fyt[fyt["financial_year"] == year].set_index("rep")
    if kind == "in_year_balance_in":
        return at["in_year_balance"] >= 0
    if kind == "cumulative_deficit_at_most":
        if "gbp" not in cond:
            raise InputError("", f"condition {name!r}: kind {kind} needs 'gbp' (the largest deficit "
                             f"allowed, in pounds)")
        return -at["cumulative_balance"] <= float(cond["gbp"])
    later = fyt[fyt["financial_year"].map(_fy_start) >= _fy_start(year)]
    held = (later["in_year_balance"] >= 0).groupby(later["rep"]).all()
    return held.reindex(at.index)


def condition_probabilities(ens, conditions: Iterable[Mapping]) -> pd.DataFrame:
    """The chance of each condition a board sets, with its Monte Carlo precision.

    Each condition is a dict with ``name``, ``kind``, ``financial_year`` (and ``gbp`` for one
    kind):

    - ``in_year_balance_from``: in-year HNB balance >= 0 in that year and every later year of
      the run (balanced and held);
    - ``in_year_balance_in``: in-year balance >= 0 in that year;
    - ``cumulative_deficit_at_most``: deficit (minus the cumulative balance) at 31 March of that
      year <= ``gbp`` pounds.

    Columns: name, kind, financial_year, probability, n_reps, se (binomial sqrt(p(1-p)/n)),
    wilson_low, wilson_high (95% Wilson score interval).
    """
    fyt = ens.financial_year
    _need_rep(fyt, "financial_year")
    rows = []
    for cond in conditions:
        met = _condition_met(fyt, cond)
        n = int(met.size)
        k = int(met.sum())
        p = k / n if n else float("nan")
        low, high = wilson_interval(k, n)
        rows.append({"name": cond["name"], "kind": cond["kind"],
                     "financial_year": str(cond["financial_year"]), "probability": p, "n_reps": n,
                     "se": math.sqrt(p * (1 - p) / n) if n else float("nan"),
                     "wilson_low": low, "wilson_high": high})
    return pd.DataFrame(rows, columns=["name", "kind", "financial_year", "probability", "n_reps",
                                       "se", "wilson_low", "wilson_high"])


def first_balance_year_by_rep(ens) -> pd.Series:
    """Per rep, the first financial year the in-year balance is >= 0 and stays so to the end.

    A year that balances and then slips back into overspend does not count: the budget has not
    been brought back into balance. None when a replication never gets there. (The last year of
    a run counts if it balances: the run cannot see further.)
    """
    fyt = ens.financial_year
    _need_rep(fyt, "financial_year")
    d = fyt[["rep", "financial_year", "in_year_balance"]].copy()
    d["start"] = d["financial_year"].map(_fy_start)
    d = d.sort_values(["rep", "start"], ascending=[True, False], kind="stable")
    ok = (d["in_year_balance"] >= 0).astype(int)        # NaN counts as not balanced
    d["held"] = ok.groupby(d["rep"]).cummin().astype(bool)  # from the last year backwards
    first = d[d["held"]].groupby("rep")["start"].min()
    reps = sorted(d["rep"].unique())
    out = pd.Series([_fy_label(int(first[r])) if r in first.index else None for r in reps],
                    index=pd.Index(reps, name="rep"), name="first_balance_year", dtype=object)
    return out


def first_balance_year(ens) -> pd.DataFrame:
    """When the in-year balance is reached and held: the share of replications by year.

    Rows are every financial year of the run in order, then "not by <last year>" for the
    replications that never get there. Columns: financial_year (label), reps, share,
    cumulative_share (reached by that year), se_share (binomial sqrt(p(1-p)/n)).
    """
    by_rep = first_balance_year_by_rep(ens)
    years = _years(ens.financial_year)
    n = len(by_rep)
    never = f"not by {years[-1]}" if years else "not in the run"
    labels = years + [never]
    counts = by_rep.fillna(never).value_counts().reindex(labels, fill_value=0)
    share = counts / n if n else counts * float("nan")
    return pd.DataFrame({
        "financial_year": labels,
        "reps": counts.to_numpy().astype(int),
        "share": share.to_numpy(),
        "cumulative_share": share.cumsum().to_numpy(),
        "se_share": np.sqrt(share * (1 - share) / n).to_numpy() if n else share.to_numpy(),
    })


# -- the board table -----------------------------------------------------------------------------
HEADLINE_COLUMNS = ["scenario", "kind", "versus", "measure", "unit", "financial_year", "estimate",
                    "estimate_is", "p05", "p95", "mean", "n_reps", "mc_se", "whole_year"]

#: measure -> (unit, is a probability, compared with the baseline)
_MEASURES = {
    "ehc_plans_at_31_march": ("plans", False, True),
    "cumulative_deficit_at_31_march": ("GBP m", False, True),
    "in_year_balance_reached_and_held_by": ("probability", True, True),
    "inmss_share_at_31_march": ("% of plans", False, False),
}


def _headline_values(scenario: str, ens, at: str, conditions) -> dict:
    """measure -> (per-rep values indexed by rep, whole_year, financial year, unit, probability?)."""
    fyt = ens.financial_year
    _need_rep(fyt, "financial_year")
    years = _years(fyt)
    if at not in years:
        raise InputError("", f"scenario {scenario!r}: financial year {at} is not in the run, which "
                         f"covers {', '.join(years) if years else 'no whole financial year'}")
    long = by_financial_year(ens, series=["caseload", "inmss_share"])
    long = long[long["financial_year"] == at].set_index("rep")
    plans = long[long["series"] == "caseload"]
    inmss = long[long["series"] == "inmss_share"]
    ledger = fyt[fyt["financial_year"] == at].set_index("rep")
    first = first_balance_year_by_rep(ens)
    reached = first.map(lambda y: y is not None and _fy_start(y) <= _fy_start(at)).astype(bool)
    out = {
        "ehc_plans_at_31_march": (plans["value"], bool(plans["whole_year"].all()), at),
        "cumulative_deficit_at_31_march": (-ledger["cumulative_balance"] / 1e6, True, at),
        "in_year_balance_reached_and_held_by": (reached, True, at),
        "inmss_share_at_31_march": (100 * inmss["value"], bool(inmss["whole_year"].all()), at),
    }
    for cond in conditions:
        out[cond["name"]] = (_condition_met(fyt, cond).astype(bool), True,
                             str(cond["financial_year"]))
    return out


def _row(scenario, kind, versus, measure, unit, year, values: pd.Series, probability: bool,
         whole: bool) -> dict:
    x = values.dropna().astype(float).to_numpy()
    n = len(x)
    row = {"scenario": scenario, "kind": kind, "versus": versus, "measure": measure, "unit": unit,
           "financial_year": year, "n_reps": n, "whole_year": whole, "mean": x.mean() if n else np.nan}
    if probability:
        # 5th/95th percentiles of 0/1 outcomes say nothing; the precision is the SE
        row.update(p05=np.nan, p95=np.nan, estimate=row["mean"])
        if kind == "level":
            p = row["mean"]
            row.update(estimate_is="probability",
                       mc_se=math.sqrt(p * (1 - p) / n) if n else np.nan)
        else:
            row.update(estimate_is="difference in probability",
                       mc_se=x.std(ddof=1) / math.sqrt(n) if n > 1 else np.nan)
    else:
        q = np.quantile(x, [0.05, 0.5, 0.95]) if n else [np.nan] * 3
        row.update(p05=q[0], estimate=q[1], p95=q[2], mc_se=median_se(x),
                   estimate_is="median" if kind == "level" else "median of paired differences")
    return row


def headline(ensembles: Mapping[str, object], baseline: str, at: str = "2028-29",
             conditions: Iterable[Mapping] = ()) -> pd.DataFrame:
    """The board table: where each scenario stands at 31 March of `at`, and how it differs.

    Measures (for every scenario):

    - ``ehc_plans_at_31_march``: EHC plans (the ``caseload`` stock on the following 1 April);
    - ``cumulative_deficit_at_31_march``: cumulative DSG deficit, GBP m, positive = deficit;
    - ``in_year_balance_reached_and_held_by``: probability the in-year balance is reached in
      or before `at` and held in every later year of the run (`first_balance_year_by_rep`);
    - ``inmss_share_at_31_march``: % of plans in independent or non-maintained special schools;
    - one probability per entry of `conditions` (as in `condition_probabilities`).

    Layout, one row per (scenario, kind, measure):

    - ``kind`` is "level" (the scenario's own figures) or "paired difference" (scenario minus
      ``versus`` = the baseline, replication by replication; for every non-baseline scenario,
      on plans, deficit, balance reached and the conditions);
    - ``estimate`` is a median (``estimate_is`` says: "median", "median of paired
      differences") or, for probabilities, the probability / difference in probability;
    - ``p05``, ``p95``: the 5th and 95th percentiles across replications (a 90% prediction
      interval; NaN for probabilities, whose outcomes are 0 or 1);
    - ``mean``, ``n_reps`` (replications, or pairs), ``mc_se``: Monte Carlo SE of the estimate
      (`median_se` for medians; binomial for a probability; sd of the per-rep difference of
      indicators / sqrt(n) for a difference in probability);
    - ``whole_year``: False if a figure had to use a part year (e.g. no 1 April snapshot).

    Baseline first, then the other scenarios in the order given.
    """
    if baseline not in ensembles:
        raise InputError("", f"baseline {baseline!r} is not one of the scenarios "
                         f"{', '.join(map(repr, ensembles))}")
    conditions = list(conditions)
    cond_names = [c.get("name") for c in conditions]
    clash = sorted({str(n) for n in cond_names if n in _MEASURES or cond_names.count(n) > 1})
    if clash:
        raise InputError("", f"condition names must be unique and differ from the headline measures "
                         f"({', '.join(_MEASURES)}): {clash}")
    names = [baseline] + [s for s in ensembles if s != baseline]
    values = {s: _headline_values(s, ensembles[s], at, conditions) for s in names}
    kinds = {**{k: v[:2] for k, v in _MEASURES.items()},
             **{c["name"]: ("probability", True) for c in conditions}}
    compared = [k for k, v in _MEASURES.items() if v[2]] + [c["name"] for c in conditions]
    rows = []
    for s in names:
        for measure, (v, whole, year) in values[s].items():
            unit, prob = kinds[measure]
            rows.append(_row(s, "level", "", measure, unit, year, v, prob, whole))
    for s in names[1:]:
        for measure in compared:
            va, wa, year = values[baseline][measure]
            vb, wb, _ = values[s][measure]
            unit, prob = kinds[measure]
            common = va.index.intersection(vb.index)
            if not len(common):
                raise InputError("", f"scenario {s!r} and baseline {baseline!r} have no replication in "
                                 f"common to pair: reps {_reps_text(vb.index)} against "
                                 f"{_reps_text(va.index)}")
            if prob:
                diff = vb[common].astype(int) - va[common].astype(int)
            else:
                diff = vb[common] - va[common]
            rows.append(_row(s, "paired difference", baseline, measure, unit, year, diff, prob,
                             wa and wb))
    return pd.DataFrame(rows, columns=HEADLINE_COLUMNS)


# -- text for a terminal -------------------------------------------------------------------------
def _title(measure: str, unit: str, year: str) -> str:
    march = f"31 March {_fy_start(year) + 1}"
    return {
        "ehc_plans_at_31_march": f"EHC plans at {march}",
        "cumulative_deficit_at_31_march": f"Cumulative DSG deficit at {march} (GBP m)",
        "in_year_balance_reached_and_held_by":
            f"Chance the in-year HNB balance is reached by {year} and held to the end of the run",
        "inmss_share_at_31_march":
            f"Share of plans in independent or non-maintained special schools at {march}",
    }.get(measure, f"Chance of: {measure} ({year})")


def _number(x: float, unit: str, signed: bool = False) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    sign = "+" if signed else ""
    if unit == "plans":
        return f"{x:{sign},.0f}"
    if unit == "GBP m":
        return f"{x:{sign},.1f}"
    if unit == "% of plans":
        return f"{x:{sign}.1f}%"
    return f"{x:{sign},.2f}"


def _figure(row) -> str:
    diff = row["kind"] != "level"
    if row["unit"] == "probability":
        if diff:
            return (f"{100 * row['estimate']:+.0f} points (SE {100 * row['mc_se']:.1f} points)"
                    if not math.isnan(row["estimate"]) else "n/a")
        return (f"{100 * row['estimate']:.0f}% (SE {100 * row['mc_se']:.1f} points)"
                if not math.isnan(row["estimate"]) else "n/a")
    u = row["unit"]
    text = (f"{_number(row['estimate'], u, diff)} ({_number(row['p05'], u, diff)} to "
            f"{_number(row['p95'], u, diff)})")
    if not math.isnan(row["mc_se"]):
        se = _number(row["mc_se"], u)
        text += f"  [MC SE {se}]"
    return text


def format_headline(table: pd.DataFrame) -> str:
    """The headline table as plain text a strategist can read in a terminal."""
    if table.empty:
        return "No figures."
    width = max(len(str(s)) for s in table["scenario"]) + len(" vs ") + \
        max(len(str(s)) for s in table["versus"])
    lines = ["Median and 90% prediction interval (5th to 95th percentile of replications); "
             "chances as % of replications.",
             "MC SE: Monte Carlo standard error, how far a figure would move with another set of "
             "replications. Differences are paired replication by replication (same seed)."]
    part_year = False
    for measure in dict.fromkeys(table["measure"]):
        part = table[table["measure"] == measure]
        first = part.iloc[0]
        lines += ["", _title(measure, first["unit"], first["financial_year"])]
        for _, row in part.iterrows():
            who = row["scenario"] if row["kind"] == "level" else f"{row['scenario']} vs {row['versus']}"
            mark = "" if row["whole_year"] else " *"
            part_year |= not row["whole_year"]
            lines.append(f"  {who:<{width}}  {_figure(row)}{mark}")
    lines.append("")
    lines.append(_replications_line(table))
    medians = table[table["unit"] != "probability"]
    if medians["mc_se"].isna().any():
        lines.append("MC SE of a median is not shown where fewer than 8 replications back it.")
    if part_year:
        lines.append("* from a part year: the run has no snapshot at the end of that year.")
    return "\n".join(lines)


def _replications_line(table: pd.DataFrame) -> str:
    level = table[table["kind"] == "level"].groupby("scenario", sort=False)["n_reps"]
    pairs = table[table["kind"] != "level"].groupby("scenario", sort=False)["n_reps"]

    def count(g, s) -> str:
        lo, hi = int(g.min()[s]), int(g.max()[s])
        return f"{lo:,}" if lo == hi else f"{lo:,} to {hi:,}"

    parts = []
    for s in level.size().index:
        text = f"{s} {count(level, s)}"
        if s in pairs.size().index:
            text += f" (paired with the baseline on {count(pairs, s)})"
        parts.append(text)
    return "Replications behind each figure: " + "; ".join(parts) + "."
