"""Face validity: Wiltshire forecast from January 2023 beside what seed 004 published for 2023-24.

    python experiments/face_validity_wiltshire.py [--reps 100] [--data DIR] [--overwrite]

1. `sendsim calibrate --la Wiltshire --origin 2023-01` in a temporary folder: the council
   calibrated on the data published by the January 2023 census only (blind to 2023 onwards);
2. `--reps` replications of that scenario and of the built-in council (`default_parameters()`),
   from the census of 19 January 2023 to 1 April 2025, one process;
3. the figures Wiltshire published afterwards in its Safety Valve update to the Children's
   Select Committee, January 2025 (seed 004, `../shared/seeds/004_248edb8f388b09ce.txt`), from
   the table `SEED004` below, each with its page or section;
4. writes `docs/img/face_validity_wiltshire.png` (the chart) and `docs/face_validity_wiltshire.csv`
   (the numbers behind it), refusing to replace them without `--overwrite`, and prints the
   forecast-vs-published table that `docs/background/face-validity.md` shows.

The built-in council is NOT a blind forecast: `calibration/derive_wiltshire.py` sets its request
trend so that 2022's requests reach seed 004's 97 a month in 2024, takes its 2023 refusal,
not-issued and ceasing rates from seed 004, and raises EP capacity from April 2023 because
seed 004 says the assessment backlog was cleared with agency Educational Psychologists.

CSV columns (one row per calendar month `month`, YYYY-MM):
- `<run>_caseload_end_p05|p25|p50|p75|p95`: EHC plans held at the end of the month (the engine's
  stock at the first instant of the next month), quantiles over replications; `<run>` is
  `calibrated` or `builtin`;
- `<run>_requests_p05..p95`: requests for an EHC needs assessment made in the month;
- `<run>_requests_12m_p05..p95`: the 12-month rolling average of requests a month ending in the
  month (from January 2024: the run starts on 19 January 2023, so January 2023 is part-month);
- `<run>_plans_added_p05..p95`, `<run>_plans_added_12m_p05..p95`: plans added in the month
  (new plans issued + plans transferred in from other councils), and its 12-month average;
- `<run>_plans_issued_p50`, `<run>_ep_queue_end_p50`: new plans issued in the month, and
  assessments waiting for EP advice at its end (medians);
- `seed004_*`: the published figures for that month (empty where seed 004 gives none).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
PNG_NAME = "img/face_validity_wiltshire.png"
CSV_NAME = "face_validity_wiltshire.csv"
SEED = 20230119
#: 2.19 years from 19 January 2023: runs end on the 1 April after the nominal end, so 2.19 ends on
#: 1 April 2025 (2.2 would pass 1 April 2025 by a day and run on to April 2026).
YEARS = 2.19
QUANTILES = (5, 25, 50, 75, 95)
CALIBRATE = ["calibrate", "--la", "Wiltshire", "--origin", "2023-01"]

_TABLE = ("p. 23: Appendix 2 (DfE Monitoring Update Nov 24), Condition 3.1, "
          "table 'EHCP Numbers'")
_DASHBOARD = ("Appendix 1 (SV Dashboard Jan 25), Portfolio Summary, 'Number of EHCPs: "
              "Forecast to date: 5707 (+650)', 'SEND Data last refreshed: 07/01/2025' "
              "(page number not in the text); cover report para 16: 'The system is now "
              "650 EHCPs ahead of the forecast'")
_FIG2 = ("Appendix 3 (Changes to the plan), 'Confidence in the mainstream inclusion offer', "
         "text under Figure 2 (12 month rolling average of EHCNA requests)")
_TARGET = ("Appendix 3, 'Short term interventions: Target system', table 'Per month', row "
           "'Wiltshire 2023' (p. 36-37; the page footer after it reads 'Page 37')")

#: What seed 004 publishes that a forecast from January 2023 can be set beside:
#: (measure, month YYYY-MM or year, value, kind, where in seed 004).
#: kind: "actual" (quoted), "plan" (the council's own Safety Valve forecast, quoted),
#: "derived" (arithmetic on quoted figures, said how), "range_low"/"range_high" (a quoted range).
SEED004: list[tuple[str, str, float, str, str]] = [
    # EHCP numbers at the end of each month (month-end: Figure 7 dates its monthly INMSS rows
    # 30/04/24, 31/05/24, ..., and 345 INMSS at 6.02% on 30/04/24 is 5,731 plans).
    ("caseload_end", "2024-04", 5728, "actual", _TABLE + ", row 'Actual', Apr '24"),
    ("caseload_end", "2024-05", 5815, "actual", _TABLE + ", row 'Actual', May '24"),
    ("caseload_end", "2024-06", 5867, "actual", _TABLE + ", row 'Actual', Jun '24"),
    ("caseload_end", "2024-07", 5861, "actual", _TABLE + ", row 'Actual', Jul '24"),
    ("caseload_end", "2024-08", 5932, "actual", _TABLE + ", row 'Actual', Aug '24"),
    ("caseload_end", "2024-09", 6051, "actual", _TABLE + ", row 'Actual', Sep '24"),
    ("caseload_end", "2024-10", 6161, "actual", _TABLE + ", row 'Actual', Oct '24"),
    ("caseload_end", "2024-04", 5562, "plan", _TABLE + ", row 'SV Forecast', Apr '24"),
    ("caseload_end", "2024-05", 5586, "plan", _TABLE + ", row 'SV Forecast', May '24"),
    ("caseload_end", "2024-06", 5609, "plan", _TABLE + ", row 'SV Forecast', Jun '24"),
    ("caseload_end", "2024-07", 5632, "plan", _TABLE + ", row 'SV Forecast', Jul '24"),
    ("caseload_end", "2024-08", 5645, "plan", _TABLE + ", row 'SV Forecast', Aug '24"),
    ("caseload_end", "2024-09", 5649, "plan", _TABLE + ", row 'SV Forecast', Sep '24"),
    ("caseload_end", "2024-10", 5669, "plan", _TABLE + ", row 'SV Forecast', Oct '24"),
    # Dashboard refreshed 7 January 2025, taken as the end of December 2024.
    ("caseload_end", "2024-12", 5707, "plan", _DASHBOARD),
    ("caseload_end", "2024-12", 6357, "derived", _DASHBOARD + "; 6357 = 5707 + 650"),
    # Requests a month, 12-month rolling average.
    ("requests_12m", "2024-01", 99, "actual",
     _FIG2 + ": 'peaking at 99 requests per month in January 2024'"),
    ("requests_12m", "2024", 95, "range_low",
     _FIG2 + ": 'since then start of 2024 ... levelling out at 95 - 99 requests a month on "
     "average'"),
    ("requests_12m", "2024", 99, "range_high", _FIG2 + ": same sentence"),
    ("requests_12m", "2024", 97, "actual",
     _TARGET + ", 'EHCNA request 97*'; footnote: '97 EHCNA requests a month represents the "
     "12 month rolling average during 2024'"),
    # Calendar 2023, per month (the same table).
    ("ceased_per_month", "2023", 29, "actual", _TARGET + ", 'Ceased plans 29'"),
    ("no_to_assess_pct", "2023", 12.0, "actual", _TARGET + ", 'No to assess 12.0%'"),
    ("no_to_issue_pct", "2023", 3.9, "actual", _TARGET + ", 'No to issue 3.9%'"),
    ("net_growth_per_year", "2023", 636, "actual", _TARGET + ", 'Net annual growth 636'"),
    # Plans added a month in 2023 (new plans + transfers in), implied by the same row:
    # net growth + ceased = added, (636 + 12 x 29) / 12 = 82.
    ("plans_added", "2023", 82, "derived",
     _TARGET + "; 82 = (636 + 12 x 29) / 12, net annual growth plus ceased plans"),
]

RUNS = ("calibrated", "builtin")


def seed_value(measure: str, period: str, kind: str) -> float | None:
    for m, p, v, k, _ in SEED004:
        if (m, p, k) == (measure, period, kind):
            return float(v)
    return None


def outputs(docs: Path) -> list[Path]:
    return [docs / PNG_NAME, docs / CSV_NAME]


# -- running --------------------------------------------------------------------------------------

def calibrate_wiltshire(folder: Path, data: Path) -> Path:
    out = folder / "wiltshire_2023.toml"
    cmd = [sys.executable, "-m", "sendsim", *CALIBRATE, "--data", str(data), "--out", str(out),
           "--quiet"]
    print("$ sendsim " + " ".join(cmd[3:]), flush=True)
    subprocess.run(cmd, check=True)
    return out


def run_both(scenario_file: Path, reps: int) -> dict[str, pd.DataFrame]:
    from sendsim.councils import default_parameters
    from sendsim.experiment.run import run_experiment
    from sendsim.scenario.definition import Scenario
    from sendsim.scenario.files import load_scenario

    calibrated = load_scenario(scenario_file)
    builtin = Scenario.of(default_parameters(), name="builtin")
    out = {}
    for run, sc in zip(RUNS, (calibrated, builtin)):
        res = run_experiment([sc], reps=reps, seed=SEED, years=YEARS, workers=1, progress=False)
        out[run] = res[sc.name].monthly
        print(f"{run}: {res[sc.name].reps} replications", flush=True)
    return out


# -- tables ---------------------------------------------------------------------------------------

def per_rep(monthly: pd.DataFrame) -> pd.DataFrame:
    """One row per (rep, calendar month): end-of-month stocks, flows, 12-month averages."""
    m = monthly.sort_values(["rep", "month"]).copy()
    m["period"] = m["month"].dt.strftime("%Y-%m")
    g = m.groupby("rep")
    m["caseload_end"] = g["caseload"].shift(-1)       # stock at the first instant of next month
    m["ep_queue_end"] = g["ep_queue"].shift(-1)
    m["plans_added"] = m["plans_issued"] + m["transfers_in"]
    for flow in ("requests", "plans_added"):
        m[f"{flow}_12m"] = m.groupby("rep")[flow].transform(lambda s: s.rolling(12).mean())
        m.loc[m["month"] < pd.Timestamp("2024-01-01"), f"{flow}_12m"] = np.nan   # part Jan 2023
    return m


def chart_table(runs: dict[str, pd.DataFrame]) -> pd.DataFrame:
    cols = {}
    for run, monthly in runs.items():
        m = per_rep(monthly)
        g = m.groupby("period")
        for measure in ("caseload_end", "requests", "requests_12m", "plans_added", "plans_added_12m"):
            for q in QUANTILES:
                cols[f"{run}_{measure}_p{q:02d}"] = g[measure].quantile(q / 100)
        cols[f"{run}_plans_issued_p50"] = g["plans_issued"].median()
        cols[f"{run}_ep_queue_end_p50"] = g["ep_queue_end"].median()
    t = pd.DataFrame(cols)
    t = t[t[f"{RUNS[0]}_caseload_end_p50"].notna()]   # the last month has no end stock
    for measure, kind in (("caseload_end", "actual"), ("caseload_end", "plan"),
                          ("caseload_end", "derived"), ("requests_12m", "actual")):
        t[f"seed004_{measure}_{kind}"] = [seed_value(measure, p, kind) for p in t.index]
    t["seed004_plans_added_derived"] = [seed_value("plans_added", p[:4], "derived")
                                        for p in t.index]
    in_2024 = [p.startswith("2024") for p in t.index]
    for kind in ("range_low", "range_high"):
        t[f"seed004_requests_12m_{kind}"] = np.where(in_2024, seed_value("requests_12m", "2024", kind),
                                                     np.nan)
    t.index.name = "month"
    return t.reset_index()


def year_figures(monthly: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per replication: the model's value of each yearly figure seed 004 quotes."""
    m = per_rep(monthly)
    # "2023": the 12 months February 2023 - January 2024, the nearest whole 12 months to calendar
    # 2023 (the run starts on 19 January 2023); the caseload change is from the start to 1 Jan 2024.
    y2023 = m[(m["month"] >= "2023-02-01") & (m["month"] <= "2024-01-01")].groupby("rep")
    cal_2024 = m[(m["month"] >= "2024-01-01") & (m["month"] <= "2024-12-01")].groupby("rep")
    start = m[m["month"] == "2023-01-01"].set_index("rep")["caseload"]
    jan_2024 = m[m["month"] == "2024-01-01"].set_index("rep")["caseload"]
    s = y2023[["requests", "no_to_assess", "no_to_issue", "plans_issued"]].sum()
    return {
        "requests_2024": cal_2024["requests"].mean().to_numpy(),
        "ceased_per_month_2023": y2023["ceased"].mean().to_numpy(),
        "plans_added_2023": y2023["plans_added"].mean().to_numpy(),
        "no_to_assess_pct_2023": (100 * s["no_to_assess"] / s["requests"]).to_numpy(),
        "no_to_issue_pct_2023": (100 * s["no_to_issue"] / (s["no_to_issue"] + s["plans_issued"])).to_numpy(),
        "net_growth_2023": (jan_2024 - start).to_numpy(),
    }


def _fmt(v: float, pct: bool) -> str:
    return f"{v:.1f}%" if pct else f"{v:,.0f}"


def _cell(values: np.ndarray, pct: bool = False) -> str:
    lo, med, hi = np.percentile(values, [5, 50, 95])
    return f"{_fmt(med, pct)} ({_fmt(lo, pct)} to {_fmt(hi, pct)})"


TABLE_HEAD = ("| seed 004 figure | published | council's SV forecast | calibrated from Jan 2023, "
              "median (90%) | built-in council, median (90%) |\n|---|---|---|---|---|")

#: The yearly rows: (label, key in `year_figures`, measure in SEED004, period, percent?).
YEAR_ROWS = (
    ("requests a month, average of 2024", "requests_2024", "requests_12m", "2024", False),
    ("plans ceased a month, 2023", "ceased_per_month_2023", "ceased_per_month", "2023", False),
    ("no to assess, 2023", "no_to_assess_pct_2023", "no_to_assess_pct", "2023", True),
    ("no to issue, 2023", "no_to_issue_pct_2023", "no_to_issue_pct", "2023", True),
    ("net growth in plans, 2023", "net_growth_2023", "net_growth_per_year", "2023", False),
    ("plans added a month (new + transferred in), 2023", "plans_added_2023", "plans_added",
     "2023", False),
)


def published_cell(measure: str, period: str, pct: bool = False) -> str:
    v = seed_value(measure, period, "actual")
    if v is not None:
        return _fmt(v, pct)
    return f"{_fmt(seed_value(measure, period, 'derived'), pct)} (derived: (636 + 12 x 29) / 12)"


def monthly_rows(table: pd.DataFrame) -> list[str]:
    """The table's rows that come from the CSV alone (the test rebuilds them from it)."""
    rows = []
    t = table.set_index("month")
    for period in t.index:
        actual = t.at[period, "seed004_caseload_end_actual"]
        derived = t.at[period, "seed004_caseload_end_derived"]
        if np.isnan(actual) and np.isnan(derived):
            continue
        label = pd.Timestamp(period + "-01").strftime("%b %Y")
        pub = f"{actual:,.0f}" if not np.isnan(actual) else f"{derived:,.0f} (5,707 + 650)"
        plan = t.at[period, "seed004_caseload_end_plan"]
        cells = [f"{t.at[period, f'{r}_caseload_end_p50']:,.0f} "
                 f"({t.at[period, f'{r}_caseload_end_p05']:,.0f} to "
                 f"{t.at[period, f'{r}_caseload_end_p95']:,.0f})" for r in RUNS]
        rows.append(f"| EHC plans, end of {label} | {pub} | {plan:,.0f} | {cells[0]} | {cells[1]} |")
    p = "2024-01"
    cells = [f"{t.at[p, f'{r}_requests_12m_p50']:.0f} ({t.at[p, f'{r}_requests_12m_p05']:.0f} to "
             f"{t.at[p, f'{r}_requests_12m_p95']:.0f})" for r in RUNS]
    rows.append(f"| requests a month, 12-month average to Jan 2024 | "
                f"{published_cell('requests_12m', p)} | - | {cells[0]} | {cells[1]} |")
    return rows


def markdown_table(table: pd.DataFrame, runs: dict[str, pd.DataFrame]) -> str:
    """Forecast vs published, in the form docs/background/face-validity.md shows (medians, 90% intervals)."""
    rows = [TABLE_HEAD] + monthly_rows(table)
    figures = {r: year_figures(runs[r]) for r in RUNS}
    for label, key, measure, period, pct in YEAR_ROWS:
        rows.append(f"| {label} | {published_cell(measure, period, pct)} | - | "
                    f"{_cell(figures['calibrated'][key], pct)} | {_cell(figures['builtin'][key], pct)} |")
    return "\n".join(rows)


# -- chart ----------------------------------------------------------------------------------------

_LEGEND = dict(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, fontsize=7.5, frameon=False)


def _flow_panel(ax, t, end, mid, flow: str, title: str, ylabel: str) -> None:
    """Monthly median (thin) and the 12-month average's bands, calibrated vs built-in."""
    c = f"calibrated_{flow}_12m"
    ok = t[f"{c}_p50"].notna()
    whole = t["month"] > "2023-01"      # January 2023 is a part month (start 19 January)
    ax.plot(mid[whole], t.loc[whole, f"calibrated_{flow}_p50"], color="tab:blue", lw=0.8,
            alpha=0.5, label="calibrated: median in the month")
    ax.plot(mid[whole], t.loc[whole, f"builtin_{flow}_p50"], color="tab:orange", lw=0.8,
            alpha=0.5, ls="--", label="built-in: median in the month")
    ax.fill_between(end[ok], t.loc[ok, f"{c}_p05"], t.loc[ok, f"{c}_p95"], color="tab:blue",
                    alpha=0.15, label="calibrated 12-month average: 90% band")
    ax.fill_between(end[ok], t.loc[ok, f"{c}_p25"], t.loc[ok, f"{c}_p75"], color="tab:blue",
                    alpha=0.3, label="calibrated 12-month average: 50% band")
    ax.plot(end[ok], t.loc[ok, f"{c}_p50"], color="tab:blue", label="calibrated 12-month average: median")
    ax.plot(end[ok], t.loc[ok, f"builtin_{flow}_12m_p50"], color="tab:orange", ls="--",
            label="built-in 12-month average: median")
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    top = float(np.nanmax(t.loc[whole, [f"calibrated_{flow}_p50", f"builtin_{flow}_p50",
                                        f"{c}_p95"]].to_numpy()))
    ax.set_ylim(0, top * 1.1)
    ax.grid(alpha=0.3)


def chart(table: pd.DataFrame, path: Path, reps: int) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = table.copy()
    # month-end stocks at the last day of the month; flows at the middle of the month
    end = pd.to_datetime(t["month"] + "-01") + pd.offsets.MonthEnd(0)
    mid = pd.to_datetime(t["month"] + "-15")
    fig, axes = plt.subplots(1, 3, figsize=(19, 6.6))

    ax = axes[0]
    c = "calibrated_caseload_end"
    ax.fill_between(end, t[f"{c}_p05"], t[f"{c}_p95"], color="tab:blue", alpha=0.15,
                    label="calibrated on data to Jan 2023: 90% band")
    ax.fill_between(end, t[f"{c}_p25"], t[f"{c}_p75"], color="tab:blue", alpha=0.3,
                    label="calibrated: 50% band")
    ax.plot(end, t[f"{c}_p50"], color="tab:blue", label="calibrated: median")
    ax.plot(end, t["builtin_caseload_end_p50"], color="tab:orange", ls="--",
            label="built-in council: median (not blind: uses seed 004)")
    plan = t["seed004_caseload_end_plan"].notna() & (t["month"] <= "2024-10")
    ax.plot(end[plan], t.loc[plan, "seed004_caseload_end_plan"], color="tab:green", marker="s",
            ms=4, label="council's Safety Valve forecast, Apr-Oct 2024 (seed 004, p. 23)")
    dash = t["seed004_caseload_end_plan"].notna() & (t["month"] > "2024-10")
    ax.plot(end[dash], t.loc[dash, "seed004_caseload_end_plan"], color="tab:green", marker="s",
            ms=6, ls="none", mfc="none", label="SV 'forecast to date' 5,707, dashboard 7 Jan 2025")
    act = t["seed004_caseload_end_actual"].notna()
    ax.plot(end[act], t.loc[act, "seed004_caseload_end_actual"], "ko",
            label="actual EHCPs, Apr-Oct 2024 (seed 004, p. 23)")
    der = t["seed004_caseload_end_derived"].notna()
    ax.plot(end[der], t.loc[der, "seed004_caseload_end_derived"], "ko", mfc="none", ms=7,
            label="actual implied by the dashboard: 5,707 + 650")
    ax.set_title("EHC plans held at the end of each month")
    ax.set_ylabel("plans")
    ax.legend(**_LEGEND)
    ax.grid(alpha=0.3)

    ax = axes[1]
    _flow_panel(ax, t, end, mid, "requests", "Requests for an EHC needs assessment a month",
                "requests a month")
    rng = t["seed004_requests_12m_range_low"].notna()
    ax.fill_between(end[rng], t.loc[rng, "seed004_requests_12m_range_low"],
                    t.loc[rng, "seed004_requests_12m_range_high"], color="0.2", alpha=0.15,
                    hatch="//", label="seed 004: 'levelling out at 95-99' in 2024")
    act = t["seed004_requests_12m_actual"].notna()
    ax.plot(end[act], t.loc[act, "seed004_requests_12m_actual"], "ko",
            label="seed 004: 12-month average peaked at 99, Jan 2024")
    ax.legend(**_LEGEND)

    ax = axes[2]
    _flow_panel(ax, t, end, mid, "plans_added",
                "Plans added a month (new plans issued + transfers in)", "plans a month")
    der = t["seed004_plans_added_derived"].notna()
    ax.plot(mid[der], t.loc[der, "seed004_plans_added_derived"], color="k", ls=":",
            label="seed 004, implied for 2023: (636 + 12 x 29) / 12 = 82")
    ax.legend(**_LEGEND)

    fig.suptitle("Wiltshire from the January 2023 census: forecast beside the Safety Valve update "
                 f"of January 2025 (seed 004); {reps} replications each", fontsize=11)
    fig.autofmt_xdate()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


# -- main -----------------------------------------------------------------------------------------

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=100, help="replications of each council (default 100)")
    ap.add_argument("--data", metavar="DIR", help="data folder (default: $SENDSIM_DATA, else "
                    "shared/data beside this checkout)")
    ap.add_argument("--docs", metavar="DIR", default=str(ROOT / "docs"),
                    help="where docs/img/face_validity_wiltshire.png and the CSV go (default: docs/)")
    ap.add_argument("--overwrite", action="store_true", help="replace the chart and CSV")
    args = ap.parse_args(argv)
    targets = outputs(Path(args.docs))
    existing = [str(p) for p in targets if p.exists()]
    if existing and not args.overwrite:
        print("refusing to overwrite " + ", ".join(existing) + " (pass --overwrite)", file=sys.stderr)
        return 2
    if args.reps < 1:
        ap.error("--reps must be at least 1")
    from sendsim.data.files import checkout_data_dir, find_data_dir
    data = find_data_dir(checkout_data_dir(args.data, ROOT))
    with tempfile.TemporaryDirectory(prefix="face_validity_") as tmp:
        scenario_file = calibrate_wiltshire(Path(tmp), data)
        runs = run_both(scenario_file, args.reps)
    table = chart_table(runs).round(2)    # as the CSV holds it, so the page's table rebuilds from it
    text = markdown_table(table, runs)
    png, csv = targets
    chart(table, png, args.reps)
    csv.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(csv, index=False)
    print(f"wrote {png} and {csv}\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
