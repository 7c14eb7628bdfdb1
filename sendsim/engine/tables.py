"""The tables of one run, with their provenance.

- `monthly`: one row per month (model.md section 8): stocks at the month's first instant, flows
  during the month, money for the month.
- `census`: one row per January census, laid out like DfE's caseload file (same column names
  where a quantity exists in both: ``ehcplans``, ``mainstream_total``, ``special_total``...).
- `calendar_year`: one row per calendar year, laid out like DfE's requests, assessments,
  timeliness and ceased-plans files.
- `financial_year`: income, spend by line, in-year and cumulative balance, April to March.
- `plans_issued`: one row per plan issued, with the weeks it took.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sendsim import __version__
from sendsim.calendar import financial_year
from sendsim.codes import AGE_BANDS, CEASE_REASONS, SETTING_TABLE, SETTINGS
from sendsim.engine.recorder import FLOWS

#: Our placement groups -> DfE caseload column names (where DfE has the same quantity).
DFE_CASELOAD_COLUMNS = {s.name: s.dfe_census_column for s in SETTING_TABLE if s.dfe_census_column}


@dataclass
class Tables:
    """The output tables (of one run, or of many stacked with a `rep` column)."""

    monthly: pd.DataFrame
    census: pd.DataFrame
    calendar_year: pd.DataFrame
    financial_year: pd.DataFrame
    plans_issued: pd.DataFrame
    provenance: dict = field(default_factory=dict)

    NAMES = ("monthly", "census", "calendar_year", "financial_year", "plans_issued")


@dataclass
class RunResult(Tables):
    """One replication's tables, with its entry and exit logs (for conservation checks)."""

    entries: list = field(default_factory=list, repr=False)
    exits: list = field(default_factory=list, repr=False)
    present_ids: list = field(default_factory=list, repr=False)

    @classmethod
    def from_model(cls, model, seed) -> "RunResult":
        rec = model.recorder
        clock = model.clock
        p = model.params
        monthly = _monthly_table(model)
        census = _census_table(rec.census, clock, p)
        cal = _calendar_year_table(monthly, p)
        fy = pd.DataFrame(rec.financial_years)
        if not fy.empty:
            spend_cols = [c for c in monthly.columns if c.startswith(("spend_", "income_"))]
            by_fy = monthly.groupby("financial_year")[spend_cols].sum()
            early = rec.before_start
            if early and early["financial_year"] in by_fy.index:
                lines = [c for c in spend_cols if c in early]
                by_fy.loc[early["financial_year"], lines] += [early[c] for c in lines]
            fy = fy.merge(by_fy.drop(columns=["spend_total", "income_total"]), left_on="financial_year",
                          right_index=True, how="left")
        plans = pd.DataFrame(rec.plans_issued, columns=["child_id", "request_day", "issue_day", "age", "need"])
        plans["request_date"] = _dates(clock, plans["request_day"])
        plans["issue_date"] = _dates(clock, plans["issue_day"])
        plans["weeks_to_issue"] = (plans["issue_day"] - plans["request_day"]) / 7.0
        present = model.present_ids()
        return cls(monthly=monthly, census=census, calendar_year=cal, financial_year=fy,
                   plans_issued=plans, provenance=provenance(p, seed, model),
                   entries=rec.entries, exits=rec.exits, present_ids=present)


def _dates(clock, days: pd.Series) -> np.ndarray:
    """`clock.date(t)` for every day in `days` at once (`datetime.date` objects)."""
    whole = days.to_numpy(dtype=float).astype(np.int64).astype("timedelta64[D]")
    return (np.datetime64(clock.start, "D") + whole).astype(object)


def _monthly_table(model) -> pd.DataFrame:
    """One row a month, built column-wise: the month, its stocks, its money, its flows."""
    rec = model.recorder
    n = len(rec.stocks)
    months = [d.replace(day=1) for d in model.month_dates[:n]]
    stocks = pd.DataFrame(rec.stocks, columns=list(rec.stock_names))
    money = pd.DataFrame(rec.finance[:n]).reindex(range(n))
    money = money.drop(columns=[c for c in money.columns if c == "financial_year" or c in FLOWS])
    flows = pd.DataFrame(rec.flows[:n], columns=list(FLOWS))
    monthly = pd.concat([stocks, money, flows], axis=1)
    monthly["inmss_share"] = monthly["caseload_inmss"] / monthly["caseload"].where(monthly["caseload"] > 0)
    monthly.insert(0, "month", pd.to_datetime(months))
    monthly.insert(1, "financial_year", [financial_year(d) for d in months])
    return monthly


def _census_table(snaps, clock, p) -> pd.DataFrame:
    rows = []
    for s in snaps:
        d = clock.date(s["day"])
        row = {
            "time_period": int(f"{d.year - 1}{str(d.year)[2:]}"),
            "time_identifier": "Academic year",
            "census_date": d,
            "la_name": p.council.name,
            "new_la_code": p.council.la_code,
            "ehcplans": s["caseload"],
            # DfE's mainstream_total includes resourced provision and SEN units
            "mainstream_total": s["mainstream"] + s["resource_base"],
            "resourced_provision_and_sen_units": s["resource_base"],
            "special_total": s["special"] + s["inmss"],
            "special_state_funded": s["special"],
            "independent_and_non_maintained_special": s["inmss"],
            "fe_total": s["fe_college"] + s["specialist_post16"],
            "general_fe_and_other": s["fe_college"],
            "ed_elsewhere": s["eotas"] + s["neet"],
        }
        for ours, dfe in DFE_CASELOAD_COLUMNS.items():
            row[dfe] = s[ours]
        row["eotas_and_other_arrangements"] = s["eotas"]
        for band in AGE_BANDS:
            row[f"age_{band}"] = s[f"age_{band}"]
        for setting in SETTINGS:
            row[f"setting_{setting}"] = s[setting]
        rows.append(row)
    return pd.DataFrame(rows)


def _calendar_year_table(monthly: pd.DataFrame, p) -> pd.DataFrame:
    """One row a calendar year the run touches, with DfE's column names; a year simulated only
    in part says so (`whole_year`). Built from arrays: the months are in order, so each year is
    one run of rows."""
    months = monthly["month"]
    year_of = months.dt.year.to_numpy()
    years, first_row, n_months = np.unique(year_of, return_index=True, return_counts=True)
    first_month = months.to_numpy()[first_row]
    start = np.datetime64(p.council.start_date, "ns")
    whole = (n_months == 12) & (pd.DatetimeIndex(first_month).month == 1) & (first_month >= start)

    def total(name):
        if name not in monthly:
            return np.zeros(len(years))
        return np.add.reduceat(monthly[name].to_numpy(dtype=float), first_row)

    issued = total("plans_issued")
    within = total("issued_within_20_weeks")
    cols = {
        "time_period": years.tolist(),
        "time_identifier": "Calendar year",
        "whole_year": whole.tolist(),
        "la_name": p.council.name,
        "new_la_code": p.council.la_code,
        "requests_received_in_year": total("requests"),
        "requests_decided_not_to_assess": total("no_to_assess"),
        "assess_issued": issued,
        "assess_not_issued": total("no_to_issue"),
        "new_ehc_plans": issued.copy(),
        "plans_issued_within_20_weeks": within,
        "pc_plans_issued_within_20_weeks": 100.0 * within / np.where(issued > 0, issued, np.nan),
        **{reason: total(f"ceased_{reason}") for reason in CEASE_REASONS},
        "total_ceased": total("ceased"),
        "transfers_in": total("transfers_in"),
    }
    return pd.DataFrame(cols)


def provenance(params, seed, model=None) -> dict:
    """Version, parameters, seed and sources: enough to reproduce and to cite a run."""
    if isinstance(seed, np.random.SeedSequence):
        seed_desc = {"entropy": int(seed.entropy), "spawn_key": list(seed.spawn_key)}
    else:
        seed_desc = {"entropy": int(seed), "spawn_key": []}
    out = {
        "sendsim_version": __version__,
        "council": params.council.name,
        "start_date": params.council.start_date.isoformat(),
        "seed": seed_desc,
        "parameters": json.loads(json.dumps(params.to_dict(), default=str)),
        "sources": list(params.council.sources),
    }
    if model is not None:
        out["end_date"] = model.end_date.isoformat()
        out["request_trend_drawn"] = model.request_trend
        out["parameters_drawn"] = dict(model.parameter_draws)
        out["scenario"] = model.scenario.name
        out["uncertainty_sources"] = model.scenario.sources.describe()
        out["intervention_effects_drawn"] = dict(model.levers.effects)
        out["capacity_programme_opens"] = {p.name: d.isoformat() for p, d in model.programme_openings}
    return out
