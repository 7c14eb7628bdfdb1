"""The board paper's content: every figure taken from an experiment's summary tables.

`build_report` turns a `ReportInput` (the summary tables of one experiment, or of several
combined) into a plain dictionary that `sendsim.reports.html` lays out. Each number is a `Fig`
that remembers the table, row and column it came from, so the HTML can carry that address
beside the number and a test (or a sceptical reader) can trace it back. Nothing here draws,
writes files or knows about HTML.

Order of the paper (issue 5, after what Wiltshire's Children's Select Committee asked for in
January 2025: a RAG rating up front, trend data readable without specialist knowledge, graphs
beside the raw figures, the same table layout throughout, arrows for direction, a glossary).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sendsim.codes import SETTING_TABLE
from sendsim.errors import InputError
from sendsim import __version__
from sendsim.reports.svg_charts import fan_chart_svg
from sendsim.reports.glossary import GLOSSARY
from sendsim.reports.inputs import ReportInput, is_variant

#: Default RAG thresholds on the chance a condition is met: Green at 80% or more, Amber at 50%
#: or more, Red below. A board may set its own (`sendsim report --rag GREEN,AMBER`).
RAG_GREEN = 0.80
RAG_AMBER = 0.50
#: A difference in a chance smaller than this many Monte Carlo standard errors is shown as "no
#: clear change": another set of replications could reverse it.
CLEAR_CHANGE_SE = 1.96

MINUS = "\u2212"


# -- numbers ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Fig:
    """A number as printed, with its value and its address in the summary tables."""

    text: str
    value: float
    source: str            # table file name, or "published" for history
    key: tuple             # (column, value) pairs that pick the row
    column: str
    scale: float = 1.0     # the number printed = the table's cell times this

    def address(self) -> str:
        return json.dumps(dict(self.key), default=str)


def fmt(value: float, unit: str, signed: bool = False) -> str:
    """UK formats: £ and millions with one decimal, thousands with commas, one-decimal %."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    neg = value < 0
    mag = abs(value)
    if unit == "gbp_m":
        body = f"£{mag:,.1f}m"
    elif unit == "count":
        body = f"{mag:,.0f}"
    elif unit in ("percent", "probability"):
        body = f"{mag * (100 if unit == 'probability' else 1):,.1f}%"
    elif unit == "points":
        body = f"{mag:,.1f} points"
    else:
        body = f"{mag:,.2f}"
    if body.strip("£m%, points0.") == "":      # rounds to zero: no sign
        return body
    return (MINUS if neg else ("+" if signed else "")) + body


#: Row lookups of the tables in use, by (table id, key columns); emptied by `build_report`.
_INDEXES: dict = {}


def fig(table: pd.DataFrame, source: str, key: dict, column: str, unit: str, scale: float = 1.0,
        signed: bool = False) -> Fig:
    """The figure in `column` of the one row of `table` matching `key`."""
    cols = tuple(key)
    index = _INDEXES.get((id(table), cols))
    if index is None:            # one pass over the table per set of key columns
        index = {}
        for pos, values in enumerate(zip(*(table[c].astype(str) for c in cols))):
            index.setdefault(values, []).append(pos)
        _INDEXES[(id(table), cols)] = index
    rows = index.get(tuple(str(v) for v in key.values()), [])
    if len(rows) != 1:
        raise KeyError(f"{source}: {len(rows)} rows match {key}")
    value = float(table[column].iat[rows[0]]) * scale
    shown = scale * (100 if unit == "probability" else 1)
    return Fig(fmt(value, unit, signed), value, source, tuple(key.items()), column, shown)


# -- the report ------------------------------------------------------------------------------------
def build_report(inp: ReportInput, *, history: dict | None = None, previous: dict | None = None,
                 backtest: dict | None = None, rag: tuple[float, float] = (RAG_GREEN, RAG_AMBER),
                 title: str | None = None, today: dt.date | None = None) -> dict:
    """Everything the paper shows, section by section (see the module docstring)."""
    _INDEXES.clear()
    try:
        return _build(inp, history, previous, backtest, rag, title, today)
    finally:
        _INDEXES.clear()


def _build(inp, history, previous, backtest, rag, title, today) -> dict:
    green, amber = rag
    if not 0 <= amber <= green <= 1:
        raise InputError("", f"RAG thresholds must satisfy 0 <= amber <= green <= 1 (got green "
                         f"{green}, amber {amber})")
    m = inp.manifest
    council = next(iter(m.get("councils", {}).values()), {})
    titles = m.get("titles", {})
    scenarios = [{"name": s, "title": titles.get(s) or s, "is_baseline": s == inp.baseline}
                 for s in inp.scenarios]
    at_end = int(inp.at[:4]) + 1
    report = {
        "title": title or (f"{council.get('name', 'Council')} High Needs Block forecast: "
                           + (" and ".join(x["title"] for x in scenarios[1:])
                              + f", compared with {scenarios[0]['title']}"
                              if len(scenarios) > 1 else scenarios[0]["title"])),
        "council": council,
        "start": _long_date(council.get("start_date", "")),
        "scenarios": scenarios,
        "baseline": inp.baseline,
        "at": inp.at,
        "at_end": f"31 March {at_end}",
        "reps": int(m.get("reps", 0)),
        "generated": (today or dt.date.today()).strftime("%-d %B %Y"),
        "version": __version__,
        "rag": {"green": green, "amber": amber},
    }
    report["money_basis"] = {sc: money_basis((m.get("councils") or {}).get(sc, {}))
                             for sc in inp.scenarios}
    report["headline"] = _headline(inp, green, amber, previous)
    report["key_figures"] = _key_figures(inp)
    report["charts"] = _charts(inp, history or {})
    report["finance"] = _finance(inp)
    report["comparison"] = _comparison(inp)
    report["assumptions"] = _assumptions(inp)
    report["method"] = _method(inp, history or {}, backtest)
    report["glossary"] = GLOSSARY
    report["figures_json"] = _figures_json(report)
    return report


#: What a money line can rest on (`finance.cost_basis`), as a report says it.
BASIS_WORDS = {"own outturn": "the council's own outturn", "neighbours": "statistical neighbours' costs",
               "template": "another council's costs (a template)", "seed": "the council's papers",
               "assumption": "an assumption"}


def money_basis(council: dict) -> dict:
    """Whose costs the money rests on, from the council file's `finance.cost_basis`: every line
    with its basis, the lines that rest on borrowed values, and one sentence for the first
    page. A file that does not say (written by hand, or before sendsim 0.3) is flagged."""
    lines = dict(line.split(": ", 1) for line in council.get("cost_basis", []) if ": " in line)
    borrowed = [k for k, b in lines.items() if b in ("neighbours", "template")]
    if not lines:
        summary = ("Whose costs the money figures use is not stated in the council file (a file "
                   "written by hand or by an older sendsim): read every money figure as "
                   "indicative only.")
        status = "not stated"
    elif borrowed:
        by = sorted({lines[k] for k in borrowed})
        summary = (f"Money rests partly on borrowed costs: {', '.join(borrowed)} "
                   f"{'is' if len(borrowed) == 1 else 'are'} priced on "
                   f"{' and '.join(BASIS_WORDS[b] for b in by)}, not the council's own outturn; "
                   "the other lines are its own section 251 outturn.")
        status = "partly borrowed"
    else:
        summary = ("Money rests on the council's own costs: its section 251 outturn by line, "
                   "reconciled with its published net high-needs spend.")
        status = "own outturn"
    return {"status": status, "summary": summary, "lines": lines, "borrowed": borrowed}


def _line_basis(series: str, lines: dict) -> str:
    """The basis of a finance-table row ('' where the row is not a cost line)."""
    if series.startswith("spend_fixed_"):
        name = series[len("spend_fixed_"):]
    elif series.startswith("spend_") and not series.endswith("_total"):
        name = series[len("spend_"):]
    else:
        return ""
    return lines.get(name, "")


def _long_date(iso: str) -> str:
    try:
        return dt.date.fromisoformat(iso).strftime("%-d %B %Y")
    except ValueError:
        return iso


# -- 1. headline panel -----------------------------------------------------------------------------
def _conditions_table(inp: ReportInput, scenario: str) -> tuple[str, pd.DataFrame] | None:
    name = f"{scenario}__conditions.csv"
    return (name, inp.tables[name]) if name in inp.tables else None


def rag_rating(p: float, green: float, amber: float) -> str:
    if p is None or math.isnan(p):
        return "Not known"
    return "Green" if p >= green else "Amber" if p >= amber else "Red"


def arrow(diff: float, se: float, against: str, shown: Fig | None = None,
          lead: str = "") -> dict:
    """Direction of a change in the chance of meeting a condition (up is better). `shown` is
    the figure printed beside it (after `lead`), traced to its table."""
    shown = shown or Fig(fmt(100 * diff, "points", signed=True), diff, "computed", (), "", 100)
    if diff is None or math.isnan(diff):
        return {"lead": lead, "direction": "none", "symbol": "", "words": f"no figure for {against}",
                "fig": None}
    clear = abs(diff) > CLEAR_CHANGE_SE * (0 if math.isnan(se) else se) and abs(diff) > 0
    if not clear:
        return {"lead": lead, "direction": "same", "symbol": "\u25C6", "fig": shown,
                "words": f"no clear change against {against}"}
    if diff > 0:
        return {"lead": lead, "direction": "up", "symbol": "\u25B2", "words": f"better than {against}",
                "fig": shown}
    return {"lead": lead, "direction": "down", "symbol": "\u25BC", "words": f"worse than {against}",
            "fig": shown}


def _headline(inp: ReportInput, green: float, amber: float, previous: dict | None) -> dict:
    rows = []
    names: list[str] = []
    for s in inp.scenarios:
        ct = _conditions_table(inp, s)
        if ct is not None:
            names += [n for n in ct[1]["name"] if n not in names]
    head = inp.tables.get("headline.csv")
    prev = (previous or {}).get("conditions", {})
    for cond in names:
        cells = []
        year = ""
        for s in inp.scenarios:
            source, table = _conditions_table(inp, s) or (None, None)
            if table is None or cond not in set(table["name"]):
                cells.append(None)
                continue
            row = table[table["name"] == cond].iloc[0]
            year = row["financial_year"]
            p = fig(table, source, {"name": cond}, "probability", "probability")
            cell = {"probability": p, "rag": rag_rating(p.value, green, amber), "arrow": None,
                    "n_reps": int(row["n_reps"]),
                    "wilson": (fig(table, source, {"name": cond}, "wilson_low", "probability"),
                               fig(table, source, {"name": cond}, "wilson_high", "probability"))}
            if s != inp.baseline and head is not None:
                d = head[(head["scenario"] == s) & (head["kind"] == "paired difference")
                         & (head["measure"] == cond)]
                if len(d):
                    key = {"scenario": s, "kind": "paired difference", "measure": cond}
                    shown = fig(head, "headline.csv", key, "estimate", "points", 100, signed=True)
                    cell["arrow"] = arrow(float(d.iloc[0]["estimate"]), float(d.iloc[0]["mc_se"]),
                                          inp.baseline, shown)
            elif cond in prev.get(s, {}):
                p0, n0 = prev[s][cond]["probability"], prev[s][cond]["n_reps"]
                n = cell["n_reps"]
                se = math.sqrt(p.value * (1 - p.value) / n + p0 * (1 - p0) / n0)
                was = Fig(fmt(p0, "probability"), p0, "previous report",
                          (("scenario", s), ("condition", cond)), "probability", 100)
                cell["arrow"] = arrow(p.value - p0, se, "the previous report", was, lead="then ")
            cells.append(cell)
        rows.append({"condition": cond, "financial_year": year, "cells": cells})
    return {"rows": rows, "has_previous": bool(prev)}


# -- 2. key figures --------------------------------------------------------------------------------
_KEY = (
    # measure in headline.csv, unit, words
    ("cumulative_deficit_at_31_march", "gbp_m", "Cumulative DSG deficit at {at_end}"),
    ("ehc_plans_at_31_march", "count", "EHC plans at {at_end}"),
    ("inmss_share_at_31_march", "percent",
     "Share of EHC plans in independent or non-maintained special schools at {at_end}"),
)


def _interval_sentence(label: str, est: Fig, low: Fig, high: Fig, paired: bool = False) -> list:
    futures = "paired simulated futures" if paired else "simulated futures"
    return [f"{label}: ", est, f" (9 in 10 {futures} between ", low, " and ", high, ")."]


def _key_figures(inp: ReportInput) -> dict:
    head = inp.tables.get("headline.csv")
    at_end = f"31 March {int(inp.at[:4]) + 1}"
    out = []
    if head is None:
        return {"scenarios": [], "missing": f"the run does not reach financial year {inp.at}"}
    for s in inp.scenarios:
        lines = []
        for measure, unit, words in _KEY:
            key = {"scenario": s, "kind": "level", "measure": measure}
            lines.append(_interval_sentence(
                words.format(at_end=at_end),
                fig(head, "headline.csv", key, "estimate", unit),
                fig(head, "headline.csv", key, "p05", unit),
                fig(head, "headline.csv", key, "p95", unit)))
        key = {"scenario": s, "kind": "level", "measure": "in_year_balance_reached_and_held_by"}
        lines.append([f"Chance the in-year High Needs balance is reached by {inp.at} and held "
                      "in every later year of the run: ",
                      fig(head, "headline.csv", key, "estimate", "probability"),
                      " of simulated futures."])
        hm_name = f"{s}__headline_measures.csv"
        hm = inp.tables.get(hm_name)
        if hm is not None:
            for measure, period, unit, words in (
                    ("in_year_hnb_balance", inp.at, "gbp_m",
                     f"In-year High Needs balance in {inp.at} (negative = overspend)"),
                    ("requests_in_calendar_year", str(int(inp.at[:4])), "count",
                     f"Requests for an EHC needs assessment in {int(inp.at[:4])}"),
                    ("plans_issued_within_20_weeks", str(int(inp.at[:4])), "percent",
                     f"New EHC plans issued within 20 weeks in {int(inp.at[:4])}")):
                key = {"measure": measure, "period": period}
                rows = hm[(hm["measure"] == measure) & (hm["period"].astype(str) == period)]
                if len(rows) == 1 and not math.isnan(float(rows.iloc[0]["median"])):
                    lines.append(_interval_sentence(
                        words, fig(hm, hm_name, key, "median", unit),
                        fig(hm, hm_name, key, "p05", unit), fig(hm, hm_name, key, "p95", unit)))
        out.append({"scenario": s, "lines": lines})
    return {"scenarios": out, "missing": ""}


# -- 3. fan charts with their tables ---------------------------------------------------------------
#: (id, title, headline_measures measure, unit, history key, x kind, y label, zero line)
CHARTS = (
    ("caseload", "EHC plans at the January census", "ehc_plans_at_january_census", "count",
     "caseload", "census", "plans", False),
    ("requests", "Requests for an EHC needs assessment, by calendar year",
     "requests_in_calendar_year", "count", "requests", "calendar", "requests", False),
    ("timeliness", "New EHC plans issued within 20 weeks, by calendar year",
     "plans_issued_within_20_weeks", "percent", "timeliness", "calendar", "% of new plans", False),
    ("inmss", "Share of EHC plans in independent or non-maintained special schools (INMSS)",
     "inmss_share_at_january_census", "percent", "inmss_share", "census", "% of plans", False),
    ("in_year_balance", "In-year High Needs balance, by financial year", "in_year_hnb_balance",
     "gbp_m", None, "financial", "£ million (negative = overspend)", True),
    ("cumulative_balance", "Cumulative DSG balance at 31 March", "cumulative_dsg_balance_at_31_march",
     "gbp_m", "cumulative_balance", "financial", "£ million (negative = deficit)", True),
)


def _period(kind: str, period) -> tuple[float, str]:
    """(x position on the chart, label in the table) of a period."""
    if kind == "census":      # a census date, or a census year for published figures
        year = int(period) if isinstance(period, (int, float)) or str(period).isdigit() \
            else pd.Timestamp(period).year
        return float(year), f"Jan {year}"
    if kind == "calendar":
        year = int(float(period))
        return year + 0.5, str(year)
    start = int(str(period)[:4])
    return start + 1.25, str(period)


def _charts(inp: ReportInput, history: dict) -> list[dict]:
    charts = []
    first_period = None
    for cid, title, measure, unit, hist_key, kind, ylabel, zero in CHARTS:
        forecasts, rows_by_label = {}, {}
        for s in inp.scenarios:
            name = f"{s}__headline_measures.csv"
            hm = inp.tables.get(name)
            if hm is None:
                continue
            part = hm[hm["measure"] == measure].dropna(subset=["median"])
            q = {}
            for _, r in part.iterrows():
                x, label = _period(kind, r["period"])
                key = {"measure": measure, "period": str(r["period"])}
                q[x] = {c: float(r[c]) for c in ("median", "p05", "p25", "p75", "p95")}
                rows_by_label.setdefault((x, label), {})[s] = {
                    c: fig(hm, name, key, c, unit) for c in ("median", "p05", "p95")}
            if q:
                forecasts[s] = pd.DataFrame.from_dict(q, orient="index").sort_index()
        if not forecasts:
            continue
        start = min(float(f.index.min()) for f in forecasts.values())
        first_period = first_period if first_period is not None else start
        hist = history.get(hist_key) if hist_key else None
        hist_series = None
        if hist is not None and len(hist["values"]):
            pts = {}
            for period, value in hist["values"].items():
                x, label = _period(kind, period)
                pts[x] = value
                rows_by_label.setdefault((x, label), {})["published"] = Fig(
                    fmt(value, unit), value, "published", (("measure", hist_key),
                                                           ("period", str(period))), "value")
            hist_series = pd.Series(pts).sort_index()
        svg = fan_chart_svg(title, ylabel, hist_series, forecasts, start_x=start,
                            zero_line=zero, percent=unit == "percent")
        rows = [{"label": label, "x": x, "cells": cells} for (x, label), cells in
                sorted(rows_by_label.items())]
        charts.append({
            "id": cid, "title": title, "unit": unit,
            "svg_base64": base64.b64encode(svg.encode("utf-8")).decode("ascii"),
            "alt": _alt_text(title, unit, hist_series, forecasts, kind, hist is not None),
            "rows": rows, "has_history": hist_series is not None,
            "history_note": "" if hist_key is None else
            ("" if hist_series is not None else "Published figures not shown: "
             + (history.get("_why") or "none found for this council")),
            "history_source": (hist or {}).get("source", ""),
            "sources": sorted({f"{s}__headline_measures.csv" for s in forecasts}),
        })
    return charts


def _label_at(kind: str, x: float) -> str:
    if kind == "census":
        return f"January {int(x)}"
    if kind == "calendar":
        return str(int(x))
    return f"{int(x - 1.25)}-{str(int(x - 0.25))[2:]}"


def _alt_text(title: str, unit: str, hist, forecasts: dict, kind: str, wanted: bool) -> str:
    """A sentence or three that say what the chart shows, for a screen reader."""
    parts = [f"Fan chart: {title}."]
    if hist is not None and len(hist):
        parts.append(f"Published figures go from {fmt(hist.iloc[0], unit)} in "
                     f"{_label_at(kind, hist.index[0])} to {fmt(hist.iloc[-1], unit)} in "
                     f"{_label_at(kind, hist.index[-1])}.")
    for s, q in forecasts.items():
        last = q.iloc[-1]
        parts.append(f"{s}: simulated median {fmt(q['median'].iloc[0], unit)} in "
                     f"{_label_at(kind, q.index[0])}, {fmt(last['median'], unit)} in "
                     f"{_label_at(kind, q.index[-1])}, with 9 in 10 simulated futures between "
                     f"{fmt(last['p05'], unit)} and {fmt(last['p95'], unit)} then.")
    parts.append("The figures are in the table beside the chart.")
    return " ".join(parts)


# -- 4. the DSG management plan table --------------------------------------------------------------
FINANCE_LINES = (
    ("Income", [
        ("income_hnb", "High Needs Block allocation"),
        ("income_schools_block_transfer", "Transfer from the schools block"),
        ("income_la_contribution", "Local authority contribution"),
        ("income_safety_valve", "Safety Valve payments from the DfE"),
        ("income_total", "Total income")]),
    ("Expenditure", [
        *((f"spend_{s.name}", s.label) for s in SETTING_TABLE),
        ("spend_fixed_*", None),
        ("spend_interventions", "Running costs of interventions"),
        ("spend_new_places_price_difference", "New places: price difference"),
        ("spend_total", "Total expenditure")]),
    ("Balance", [
        ("in_year_balance", "In-year balance"),
        ("opening_balance", "Cumulative balance brought forward (1 April)"),
        ("cumulative_balance", "Cumulative balance carried forward (31 March)")]),
)


def _finance(inp: ReportInput) -> list[dict]:
    out = []
    for s in inp.scenarios:
        name = f"{s}__quantiles_by_financial_year.csv"
        q = inp.tables.get(name)
        if q is None:
            continue
        years = sorted({fy for fy in q.loc[q["series"] == "cumulative_balance", "financial_year"]},
                       key=lambda y: int(str(y)[:4]))
        part_year = {fy: not bool(q[(q["series"] == "spend_total") & (q["financial_year"] == fy)]
                                  ["whole_year"].all()) for fy in years}
        groups = []
        for group, lines in FINANCE_LINES:
            rows = []
            for series, label in lines:
                names = sorted(x for x in set(q["series"]) if x.startswith("spend_fixed_")) \
                    if series.endswith("*") else [series]
                for ser in names:
                    part = q[q["series"] == ser]
                    if part.empty or (part[["q05", "q50", "q95"]].abs().max().max() == 0
                                      and not ser.endswith("_total")):
                        continue   # a line that is zero in every year and replication
                    cells = []
                    for fy in years:
                        key = {"series": ser, "financial_year": fy}
                        if not len(part[part["financial_year"] == fy]):
                            cells.append(None)
                            continue
                        cells.append({c: fig(q, name, key, c, "gbp_m", 1e-6)
                                      for c in ("q50", "q05", "q95")})
                    rows.append({"label": label or _fixed_label(ser), "series": ser,
                                 "basis": _line_basis(ser, money_basis(
                                     (inp.manifest.get("councils") or {}).get(s, {}))["lines"]),
                                 "total": ser.endswith("_total") or group == "Balance",
                                 "cells": cells})
            groups.append({"group": group, "rows": rows})
        out.append({"scenario": s, "years": years, "part_year": part_year, "groups": groups,
                    "source": name})
    return out


def _fixed_label(series: str) -> str:
    words = series[len("spend_fixed_"):].replace("_", " ")
    return f"Central: {words}"


# -- 5. scenario comparison ------------------------------------------------------------------------
COMPARED_SERIES = (
    ("cumulative_balance", "Cumulative DSG balance at 31 March", "gbp_m", 1e-6),
    ("in_year_balance", "In-year High Needs balance", "gbp_m", 1e-6),
    ("caseload", "EHC plans at 31 March", "count", 1.0),
    ("inmss_share", "Share of plans in INMSS (percentage points)", "points", 100.0),
)


def _comparison(inp: ReportInput) -> list[dict]:
    head = inp.tables.get("headline.csv")
    out = []
    for s in inp.scenarios[1:]:
        item = {"scenario": s, "versus": inp.baseline, "sentences": [], "by_year": None,
                "contributions": None}
        if head is not None:
            at_end = f"31 March {int(inp.at[:4]) + 1}"
            for measure, unit, words in (
                    ("cumulative_deficit_at_31_march", "gbp_m",
                     f"Change in the cumulative DSG deficit at {at_end}"),
                    ("ehc_plans_at_31_march", "count",
                     f"Change in the number of EHC plans at {at_end}")):
                key = {"scenario": s, "kind": "paired difference", "measure": measure}
                rows = head[(head["scenario"] == s) & (head["kind"] == "paired difference")
                            & (head["measure"] == measure)]
                if len(rows):
                    item["sentences"].append(_interval_sentence(
                        words, fig(head, "headline.csv", key, "estimate", unit, signed=True),
                        fig(head, "headline.csv", key, "p05", unit, signed=True),
                        fig(head, "headline.csv", key, "p95", unit, signed=True), paired=True))
        name = f"paired__{s}__minus__{inp.baseline}.csv"
        pdiff = inp.tables.get(name)
        if pdiff is not None:
            years = sorted(set(pdiff.loc[pdiff["series"] == "cumulative_balance", "financial_year"]),
                           key=lambda y: int(str(y)[:4]))
            rows = []
            for fy in years:
                cells = []
                for series, _, unit, scale in COMPARED_SERIES:
                    key = {"series": series, "financial_year": fy}
                    if len(pdiff[(pdiff["series"] == series) & (pdiff["financial_year"] == fy)]):
                        cells.append({c: fig(pdiff, name, key, c, unit, scale, signed=True)
                                      for c in ("q50", "q05", "q95")})
                    else:
                        cells.append(None)
                rows.append({"year": fy, "cells": cells})
            item["by_year"] = {"columns": [c[1] for c in COMPARED_SERIES], "rows": rows,
                               "source": name}
        cname = f"contributions__{s}.csv"
        if cname in inp.tables:
            item["contributions"] = _contributions(inp.tables[cname], cname)
        out.append(item)
    return out


def _contributions(table: pd.DataFrame, name: str) -> dict:
    out = {"source": name, "measures": []}
    for measure, unit, words in (("cumulative_deficit_at_31_march", "gbp_m",
                                  "cumulative DSG deficit"),
                                 ("ehc_plans_at_31_march", "count", "EHC plans")):
        part = table[table["measure"] == measure]
        if part.empty:
            continue
        rows = []
        for _, r in part.iterrows():
            key = {"measure": measure, "part_key": r["part_key"]}
            interval = not math.isnan(float(r["p05"]))
            rows.append({
                "label": r["label"], "kind": r["kind"], "part_key": r["part_key"],
                "median": fig(table, name, key, "contribution_median", unit, signed=True)
                if interval else None,
                "p05": fig(table, name, key, "p05", unit, signed=True) if interval else None,
                "p95": fig(table, name, key, "p95", unit, signed=True) if interval else None,
                "mean": fig(table, name, key, "mean", unit, signed=True),
            })
        out["measures"].append({"measure": measure, "words": words,
                                "financial_year": str(part.iloc[0]["financial_year"]),
                                "rows": rows})
    return out


# -- 6. assumptions --------------------------------------------------------------------------------
def _assumptions(inp: ReportInput) -> list[dict]:
    out = []
    for s in inp.scenarios:
        name = f"{s}__assumptions.csv"
        if name in inp.tables:
            rows = inp.tables[name].astype(object).fillna("").to_dict("records")
            out.append({"scenario": s, "rows": rows, "source": name})
    return out


# -- 7. method and provenance ----------------------------------------------------------------------
def _method(inp: ReportInput, history: dict, backtest: dict | None) -> dict:
    m = inp.manifest
    runs = m.get("runs", [])
    texts = m.get("scenario_text", {})
    scenario_rows = []
    for s in inp.scenarios:
        text = texts.get(s) or ""
        scenario_rows.append({
            "name": s, "file": (m.get("scenario_files") or {}).get(s) or "(built in Python)",
            "sha256": hashlib.sha256(text.encode()).hexdigest()[:16] if text else "",
            "uncertainty": (m.get("uncertainty_sources") or {}).get(s, ""),
            "council": (m.get("councils") or {}).get(s, {})})
    council = next(iter(m.get("councils", {}).values()), {})
    base = council.get("base", "")
    calibrated = base and not base.startswith("builtin:")
    return {
        "reps": int(m.get("reps", 0)),
        "root_seed": m.get("root_seed"),
        "years": m.get("years"),
        "version": m.get("sendsim_version"),
        "report_version": __version__,
        "folders": [str(f) for f in inp.folders],
        "computed": inp.computed,
        "table_source": inp.table_source,
        "seconds": sum(float(r.get("seconds") or 0) for r in runs),
        "executors": sorted({str(r.get("executor")) for r in runs if r.get("executor")}),
        "scenarios": scenario_rows,
        "variants": sorted(n for n in m.get("scenarios", {}) if is_variant(n)),
        "start_date": council.get("start_date", ""),
        "base": base,
        "calibrated": bool(calibrated),
        "calibration": _calibration_summary(base) if calibrated else None,
        "council_sources": council.get("sources", []),
        "history_sources": sorted({h["source"] for k, h in history.items()
                                   if not k.startswith("_") and h.get("source")}),
        "history_note": history.get("_why", ""),
        "backtest": backtest,
    }


def _calibration_summary(base: str) -> dict | None:
    """The calibration's own summary, when the base council file came from `sendsim
    calibrate` and its folder is still beside it."""
    path = Path(base)
    for candidate in (path.with_name(path.name.replace(".council.toml", "") + ".calibration")
                      / "summary.json", path.with_suffix("").with_suffix(".calibration")
                      / "summary.json"):
        if candidate.is_file():
            try:
                data = json.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):
                return None
            keep = {k: data[k] for k in ("council", "la_code", "origin", "seed",
                                         "sendsim_version", "abc_simulations") if k in data}
            for name, (low, mid, high) in (data.get("fitted") or {}).items():
                keep[f"fitted {name}"] = f"{mid:g} (90% of the posterior {low:g} to {high:g})"
            keep["file"] = str(candidate)
            return keep
    return None


# -- the machine-readable figures (for --previous and for checking) --------------------------------
def _figures_json(report: dict) -> str:
    conditions: dict = {}
    for row in report["headline"]["rows"]:
        for s, cell in zip(report["scenarios"], row["cells"]):
            if cell is not None:
                conditions.setdefault(s["name"], {})[row["condition"]] = {
                    "probability": cell["probability"].value, "n_reps": cell["n_reps"]}
    data = {"sendsim_report": 1, "sendsim_version": report["version"],
            "generated": report["generated"], "at": report["at"], "reps": report["reps"],
            "scenarios": [s["name"] for s in report["scenarios"]], "conditions": conditions}
    # safe inside <script>: no "</" can close the element early
    return json.dumps(data, indent=1).replace("</", "<\\/")


def read_previous(path: str | Path) -> dict:
    """The figures a previous report embedded (for the headline's arrows)."""
    import re
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"--previous {path}", f"cannot be read as a report ({type(exc).__name__})",
                         "give the HTML file an earlier `sendsim report` wrote") from None
    found = re.search(r'<script type="application/json" id="sendsim-figures">(.*?)</script>',
                      text, re.S)
    if not found:
        raise InputError("", f"--previous {path}: not a sendsim report (no embedded figures); give "
                         "the HTML file an earlier `sendsim report` wrote")
    try:
        data = json.loads(found.group(1).replace("<\\/", "</"))
    except ValueError:
        data = None
    if not isinstance(data, dict) or data.get("sendsim_report") != 1:
        raise InputError(f"--previous {path}", "its embedded figures are damaged or of a report "
                         "format this version does not read (it reads format 1)",
                         "give a report written by this version of sendsim")
    return data
