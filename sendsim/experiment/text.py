"""Summaries a board paper can quote: central value and 90% prediction interval.

The interval is the 5th to 95th percentile of the replications' own outcomes (a prediction
interval), never an interval on the mean; every figure says how many replications back it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sendsim import __version__

LOW, HIGH = 5, 95


def _summarise(df: pd.DataFrame, period_col: str, value: pd.Series, measure: str,
               unit: str) -> pd.DataFrame:
    d = pd.DataFrame({"period": df[period_col].to_numpy(), "value": value.to_numpy()})
    g = d.groupby("period")["value"]
    out = pd.DataFrame({
        "median": g.median(),
        "p05": g.quantile(LOW / 100),
        "p25": g.quantile(0.25),
        "p75": g.quantile(0.75),
        "p95": g.quantile(HIGH / 100),
        "reps": g.count(),
    }).reset_index()
    out.insert(0, "measure", measure)
    out.insert(2, "unit", unit)
    return out


def summary_table(ens) -> pd.DataFrame:
    """The headline measures by period, with medians and 90% prediction intervals."""
    c, y, f = ens.census, ens.calendar_year, ens.financial_year
    parts = [
        _summarise(c, "census_date", c["ehcplans"], "ehc_plans_at_january_census", "plans"),
        _summarise(c, "census_date", 100 * c["independent_and_non_maintained_special"] / c["ehcplans"],
                   "inmss_share_at_january_census", "%"),
    ]
    if len(y):
        y = y[y["whole_year"]]   # a year simulated in part would understate its flows
        parts += [
            _summarise(y, "time_period", y["requests_received_in_year"], "requests_in_calendar_year", "requests"),
            _summarise(y, "time_period", y["pc_plans_issued_within_20_weeks"],
                       "plans_issued_within_20_weeks", "%"),
            _summarise(y, "time_period", y["new_ehc_plans"], "new_plans_in_calendar_year", "plans"),
        ]
    if len(f):
        parts.append(_summarise(f, "financial_year", f["cumulative_balance"] / 1e6,
                                "cumulative_dsg_balance_at_31_march", "GBP m (negative = deficit)"))
        parts.append(_summarise(f, "financial_year", f["in_year_balance"] / 1e6,
                                "in_year_hnb_balance", "GBP m (negative = overspend)"))
        if "net_high_needs_spend" in f:
            parts.append(_summarise(f, "financial_year", f["net_high_needs_spend"] / 1e6,
                                    "net_high_needs_spend", "GBP m (section 251's basis)"))
        if "reserves_less_deficit" in f:
            ended = f[f["override_ended"].astype(bool)]
            if len(ended):
                parts.append(_summarise(ended, "financial_year", ended["reserves_less_deficit"] / 1e6,
                                        "reserves_less_deficit_after_override",
                                        "GBP m (general fund reserves + DSG balance; negative = "
                                        "the deficit exceeds the reserves)"))
            parts.append(_summarise(f, "financial_year", f["capital_new_places"] / 1e6,
                                    "capital_cost_of_new_places", "GBP m (capital, not revenue)"))
    return pd.concat(parts, ignore_index=True)


_TITLES = {
    "ehc_plans_at_january_census": ("EHC plans at the January census", "{:,.0f}"),
    "requests_in_calendar_year": ("Requests for an EHC needs assessment, per calendar year", "{:,.0f}"),
    "plans_issued_within_20_weeks": ("New plans issued within 20 weeks (%)", "{:.1f}"),
    "inmss_share_at_january_census": ("Share of plans in independent or non-maintained special schools (%)", "{:.1f}"),
    "cumulative_dsg_balance_at_31_march": ("Cumulative DSG balance at 31 March (GBP m; negative = deficit)", "{:,.1f}"),
    "reserves_less_deficit_after_override": (
        "General fund reserves less the DSG deficit, once the statutory override has ended (GBP m; "
        "negative = the deficit exceeds the reserves)", "{:,.1f}"),
}


def _period_label(measure: str, period) -> str:
    if measure.endswith("january_census"):
        return f"Jan {pd.Timestamp(period).year}"
    if measure in ("cumulative_dsg_balance_at_31_march", "reserves_less_deficit_after_override"):
        return f"31 Mar {int(str(period)[:4]) + 1}"
    return str(period)


def money_basis_line(cost_basis) -> str:
    """One line saying whose costs the money figures use (`finance.cost_basis`)."""
    lines = dict(x.split(": ", 1) for x in cost_basis if ": " in x)
    borrowed = [k for k, b in lines.items() if b in ("neighbours", "template")]
    if not lines:
        return ("Money: whose costs is not stated in the council file; read the money figures "
                "as indicative only.")
    if borrowed:
        return (f"Money: partly borrowed costs ({', '.join(f'{k}: {lines[k]}' for k in borrowed)}); "
                "the other lines are the council's own section 251 outturn.")
    return "Money: the council's own costs (section 251 outturn by line, reconciled with its net spend)."


def format_summary(table: pd.DataFrame, prov: dict) -> str:
    reps = prov.get("reps", "?")
    lines = [
        f"sendsim {__version__}: {prov.get('council', '')}, {reps} replications of "
        f"{prov.get('years', '?')} years from {prov.get('start_date', '')}, root seed "
        f"{prov.get('seed', {}).get('root', '?')}",
        f"Central value (median) and 90% prediction interval (5th to 95th percentile of the "
        f"{reps} replications).",
    ]
    basis = (prov.get("parameters") or {}).get("finance", {}).get("cost_basis")
    if basis is not None:
        lines.append(money_basis_line(basis))
    for measure, (title, fmt) in _TITLES.items():
        part = table[table["measure"] == measure]
        if part.empty:
            continue
        lines.append("")
        lines.append(title)
        for _, row in part.iterrows():
            if np.isnan(row["median"]):
                continue
            lines.append(f"  {_period_label(measure, row['period']):<12}"
                         f"{fmt.format(row['median']):>10}   ({fmt.format(row['p05'])} to "
                         f"{fmt.format(row['p95'])})")
    return "\n".join(lines)
