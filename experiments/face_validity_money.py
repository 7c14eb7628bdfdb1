"""Face validity of the money: Kent, Wokingham and the median council by caseload, calibrated
from January 2023, their forecast spend and DSG balance beside their published figures.

    python experiments/face_validity_money.py [--reps 100] [--data DIR] [--overwrite]

1. `sendsim calibrate --la X --origin 2023-01` for each council in a temporary folder (only what
   was published by the January 2023 census: the 2021-22 outturn lines, net spend to 2021-22,
   the balance at 31 March 2022);
2. `--reps` replications of each, from the census to 1 April 2029, one process;
3. the published figures from `../shared/data`: section 251 net high-needs spend (2017-18 to
   2022-23; 2022-23 ended after the origin, so it is the one out-of-sample year), the DSG
   cumulative balance at 31 March (2019-20 to 2021-22) and the High Needs Block after deductions;
4. writes `docs/img/face_validity_money.png` and `docs/face_validity_money.csv`, refusing to
   replace them without `--overwrite`, and prints the table `docs/background/money.md` shows.

CSV columns (one row per council and financial year `financial_year`, labelled "2022-23"):
`council`, `la_code`, `plans_jan_2023`, `spend_p05|p50|p95` (net high-needs spend, section 251's
basis, GBP), `balance_p05|p50|p95` (DSG cumulative balance at 31 March, GBP, negative = deficit),
`published_spend`, `published_balance`, `cost_basis` (what the unit costs rest on).

Contains public sector information licensed under the Open Government Licence v3.0.
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
PAGE = ROOT / "docs" / "background" / "money.md"
sys.path.insert(0, str(ROOT / "experiments"))
from money_cross_checks import write_block  # noqa: E402  (one way of writing a page's block)
PNG_NAME = "img/face_validity_money.png"
CSV_NAME = "face_validity_money.csv"
SEED = 20230119
YEARS = 6.19            # 19 January 2023 to 1 April 2029 (runs end on the next 1 April)
QUANTILES = (5, 50, 95)
NAMED = ("Kent", "Wokingham")


def median_council(data: Path) -> str:
    """The council whose January 2023 caseload is the median of England's councils."""
    from sendsim.data.history import councils_with_history, load_history
    sizes = {}
    for la in councils_with_history(data):
        try:
            c = load_history(la, data).caseload["total"]
        except Exception:   # noqa: BLE001 - a council without a 2023 census is left out
            continue
        if 2023 in c.index and not np.isnan(c[2023]):
            sizes[la.name] = float(c[2023])
    ranked = sorted(sizes, key=lambda k: (sizes[k], k))
    return ranked[len(ranked) // 2]


def calibrate(name: str, folder: Path, data: Path) -> Path:
    out = folder / f"{name.lower().replace(' ', '_')}_2023.toml"
    cmd = [sys.executable, "-m", "sendsim", "calibrate", "--la", name, "--origin", "2023-01",
           "--data", str(data), "--out", str(out), "--quiet"]
    print("$ sendsim " + " ".join(cmd[3:]), flush=True)
    subprocess.run(cmd, check=True)
    return out


def forecast(scenario_file: Path, reps: int) -> tuple[pd.DataFrame, object]:
    from sendsim.experiment.run import run_experiment
    from sendsim.scenario.files import load_scenario
    sc = load_scenario(scenario_file)
    res = run_experiment([sc], reps=reps, seed=SEED, years=YEARS, workers=1, progress=False)
    return res[sc.name].financial_year, sc.parameters


def rows_for(name: str, fy: pd.DataFrame, params, data: Path) -> pd.DataFrame:
    from sendsim.data.history import load_history
    h = load_history(name, data)
    spend, balance = h.money["high_needs_spend"], h.money["dsg_cumulative_balance"]
    basis = dict(x.split(": ", 1) for x in params.finance.cost_basis)
    borrowed = sorted(k for k, b in basis.items() if b in ("neighbours", "template"))
    g = fy.groupby("financial_year")
    out = pd.DataFrame({
        **{f"spend_p{q:02d}": g["net_high_needs_spend"].quantile(q / 100) for q in QUANTILES},
        **{f"balance_p{q:02d}": g["cumulative_balance"].quantile(q / 100) for q in QUANTILES},
    })
    end = [int(y[:4]) + 1 for y in out.index]
    out["published_spend"] = [spend.get(e, np.nan) for e in end]
    out["published_balance"] = [balance.get(e, np.nan) for e in end]
    out["cost_basis"] = "own outturn" + (f"; borrowed: {', '.join(borrowed)}" if borrowed else "")
    out.insert(0, "plans_jan_2023", int(h.caseload.loc[2023, "total"]))
    out.insert(0, "la_code", h.la.new_code)
    out.insert(0, "council", h.la.name)
    out.index.name = "financial_year"
    return out.reset_index()


def chart(table: pd.DataFrame, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    councils = list(dict.fromkeys(table["council"]))
    fig, axes = plt.subplots(2, len(councils), figsize=(4.2 * len(councils), 6.4), squeeze=False)
    for j, name in enumerate(councils):
        t = table[table["council"] == name]
        x = [int(y[:4]) + 1 for y in t["financial_year"]]
        for i, (what, label) in enumerate((("spend", "net high-needs spend, £m"),
                                            ("balance", "DSG balance at 31 March, £m"))):
            ax = axes[i][j]
            ax.fill_between(x, t[f"{what}_p05"] / 1e6, t[f"{what}_p95"] / 1e6, color="#0072b2",
                            alpha=0.25, label="90% of simulated futures")
            ax.plot(x, t[f"{what}_p50"] / 1e6, color="#0072b2", label="median forecast")
            h = load_published(name, what)
            ax.plot(list(h.index), h.values / 1e6, "o-", color="#d55e00", label="published")
            ax.axvline(2023, color="grey", lw=0.8, ls=":")
            ax.set_title(f"{name}: {label}", fontsize=9)
            ax.set_xlabel("financial year ending in March")
            if what == "balance":
                ax.axhline(0, color="black", lw=0.5)
            if i == 0 and j == 0:
                ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


_PUBLISHED: dict = {}


def load_published(name: str, what: str) -> pd.Series:
    return _PUBLISHED[(name, what)]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=100)
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--overwrite", action="store_true")
    ap.add_argument("--page", action="store_true", help="only rewrite the page's table from the CSV")
    args = ap.parse_args(argv)
    docs = ROOT / "docs"
    if args.page:
        write_block(PAGE, "face-validity", markdown(pd.read_csv(docs / CSV_NAME)))
        return 0
    targets = [docs / PNG_NAME, docs / CSV_NAME]
    existing = [t for t in targets if t.exists()]
    if existing and not args.overwrite:
        print(f"refusing to replace {', '.join(map(str, existing))}: pass --overwrite", file=sys.stderr)
        return 2
    data = Path(args.data)
    from sendsim.data.history import load_history
    names = [*NAMED, median_council(data)]
    parts = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            fy, params = forecast(calibrate(name, Path(tmp), data), args.reps)
            parts.append(rows_for(name, fy, params, data))
            h = load_history(name, data).money
            _PUBLISHED[(parts[-1]["council"].iloc[0], "spend")] = h["high_needs_spend"].dropna()
            _PUBLISHED[(parts[-1]["council"].iloc[0], "balance")] = h["dsg_cumulative_balance"].dropna()
    table = pd.concat(parts, ignore_index=True)
    table.to_csv(docs / CSV_NAME, index=False, float_format="%.0f")
    chart(table, docs / PNG_NAME)
    write_block(PAGE, "face-validity", markdown(table))
    print(markdown(table))
    return 0


def markdown(table: pd.DataFrame) -> str:
    """The page's table: 2022-23 spend (out of sample) and the balance at 31 March 2023 and
    2029, forecast beside published."""
    m = lambda v: "–" if pd.isna(v) else f"{v / 1e6:,.1f}"          # noqa: E731
    lines = ["| Council | Plans, Jan 2023 | Costs rest on | Spend 2022-23: forecast (90%) | "
             "published | error | Balance 31 Mar 2023: forecast (90%) | Balance 31 Mar 2029: "
             "forecast (90%) |", "|---|---:|---|---:|---:|---:|---:|---:|"]
    for name, t in table.groupby("council", sort=False):
        t = t.set_index("financial_year")
        a, z = t.loc["2022-23"], t.iloc[-1]
        err = (a["spend_p50"] / a["published_spend"] - 1) * 100
        lines.append(f"| {name} | {int(a['plans_jan_2023']):,} | {a['cost_basis']} | "
                     f"{m(a['spend_p50'])} ({m(a['spend_p05'])} to {m(a['spend_p95'])}) | "
                     f"{m(a['published_spend'])} | {err:+.1f}% | {m(a['balance_p50'])} "
                     f"({m(a['balance_p05'])} to {m(a['balance_p95'])}) | {m(z['balance_p50'])} "
                     f"({m(z['balance_p05'])} to {m(z['balance_p95'])}) |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
