"""The built-in Wiltshire's money beside the figures its papers published: cross-checks, not inputs.

    python experiments/money_cross_checks.py [--reps 100] [--overwrite]

Runs `--reps` replications of the built-in council (no interventions: the papers' "unmitigated"
position, Safety Valve payments and schools block transfers included) from 19 January 2023 to
1 April 2029, and writes `docs/money_cross_checks.csv`: one row per check, with the paper's
figure, where it is said (`sendsim.calibration.papers.WILTSHIRE_CROSS_CHECKS`) and the model's
median and 90% range. `docs/background/money.md` shows the table `markdown` makes of it
(`python experiments/money_cross_checks.py --page` rewrites that block from the CSV).

Contains public sector information licensed under the Open Government Licence v3.0.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
CSV = ROOT / "docs" / "money_cross_checks.csv"
PAGE = ROOT / "docs" / "background" / "money.md"
SEED = 20230119
YEARS = 6.19


def step_down_gap(params) -> float:
    """What one step-down from INMSS to a special school saves a year in the model, at 2022-23
    prices: the two unit costs' difference (the council's own place funding included, since it
    pays it)."""
    f = params.finance
    years = 2022 - int(f.price_base_fy[:4])
    cost = f.unit_cost_gbp_per_year
    return (cost["inmss"] - cost["special"]) * (1 + f.inflation_per_year) ** years


def checks(fy: pd.DataFrame, params) -> pd.DataFrame:
    from sendsim.calibration.papers import WILTSHIRE_CROSS_CHECKS as Q
    sv = fy.assign(sv=fy["income_safety_valve"]).groupby("rep")["sv"].cumsum()
    fy = fy.assign(balance_without_sv=fy["cumulative_balance"] - sv)

    def q(values) -> dict:
        v = np.asarray(values, float)
        return {"model_p50": float(np.median(v)), "model_p05": float(np.quantile(v, 0.05)),
                "model_p95": float(np.quantile(v, 0.95))}

    at = fy[fy["financial_year"] == "2025-26"]
    y2425 = fy[fy["financial_year"] == "2024-25"]
    saving = Q["step_down_saving_2022_23"].value / Q["step_downs_2022_23"].value
    gap = step_down_gap(params)
    rows = [
        {"check": "step-down saving a year, INMSS to special school (2022-23 prices)",
         "paper": saving, "where": "seed 002: 92 step-downs saving 3,479,479",
         **{"model_p50": gap, "model_p05": gap, "model_p95": gap}},
        {"check": "cumulative deficit at 31 March 2026, unmitigated",
         "paper": Q["unmitigated_deficit_march_2026"].value,
         "where": "seed 004, cover report paragraph 5", **q(-at["cumulative_balance"])},
        {"check": "the same without the Safety Valve payments",
         "paper": Q["unmitigated_deficit_march_2026"].value,
         "where": "seed 004, cover report paragraph 5", **q(-at["balance_without_sv"])},
        {"check": "in-year DSG overspend 2024-25 (before its Safety Valve payment)",
         "paper": Q["forecast_overspend_2024_25"].value,
         "where": "seed 004, Sustainability Plan Evolution",
         **q(-(y2425["in_year_balance"] - y2425["income_safety_valve"]))},
        {"check": "general fund reserves less the deficit at 31 March 2026",
         "paper": params.finance.general_fund_reserves_gbp - Q["unmitigated_deficit_march_2026"].value,
         "where": "seed 004: reserves 90m, deficit 117.0m", **q(at["reserves_less_deficit"])},
    ]
    return pd.DataFrame(rows)


def markdown(table: pd.DataFrame) -> str:
    m = lambda v: f"{v / 1e6:,.1f}m" if abs(v) >= 1e5 else f"{v:,.0f}"     # noqa: E731
    lines = ["| check | paper | where | model: median (90%) |", "|---|---:|---|---:|"]
    for _, r in table.iterrows():
        same = r["model_p05"] == r["model_p95"]
        model = m(r["model_p50"]) + ("" if same else f" ({m(r['model_p05'])} to {m(r['model_p95'])})")
        lines.append(f"| {r['check']} | {m(r['paper'])} | {r['where']} | {model} |")
    return "\n".join(lines)


def write_block(page: Path, name: str, text: str) -> None:
    """Replace the block between <!-- name:start --> and <!-- name:end --> of `page`."""
    body = page.read_text(encoding="utf-8")
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    head, _, rest = body.partition(start)
    _, _, tail = rest.partition(end)
    page.write_text(f"{head}{start}\n{text}\n{end}{tail}", encoding="utf-8")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=100)
    ap.add_argument("--overwrite", action="store_true")
    ap.add_argument("--page", action="store_true", help="only rewrite the page's table from the CSV")
    args = ap.parse_args(argv)
    if args.page:
        write_block(PAGE, "cross-checks", markdown(pd.read_csv(CSV)))
        return 0
    if CSV.exists() and not args.overwrite:
        print(f"refusing to replace {CSV}: pass --overwrite", file=sys.stderr)
        return 2
    from sendsim.councils import default_parameters
    from sendsim.experiment.run import run_experiment
    from sendsim.scenario.definition import Scenario
    params = default_parameters()
    sc = Scenario.of(params, name="builtin")
    res = run_experiment([sc], reps=args.reps, seed=SEED, years=YEARS, workers=1, progress=False)
    table = checks(res[sc.name].financial_year, params)
    table.to_csv(CSV, index=False, float_format="%.1f")
    write_block(PAGE, "cross-checks", markdown(table))
    print(markdown(table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
