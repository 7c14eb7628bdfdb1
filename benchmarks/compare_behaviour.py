"""Behaviour before and after an engine change: a two-sample comparison of replications.

A change that alters the order of random numbers (vectorised reviews do) loses bit-identity
with the previous engine but must keep its behaviour. This script runs the built-in council
(or a parameter file) for many replications and writes one row per replication of the
quantities a board reads: caseload by setting at the last and a middle January census, plans
issued, the share issued within 20 weeks, and the cumulative balance at the end of each
financial year. `compare` sets two such files side by side: the standardised difference
(difference of means over the pooled standard deviation) and Welch's t-test per quantity.

    python benchmarks/compare_behaviour.py sample --reps 200 --out before.csv
    python benchmarks/compare_behaviour.py compare before.csv after.csv
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
import pandas as pd
from scipy import stats


def replication_row(params, seed: int, years: float) -> dict:
    from sendsim.engine.model import simulate
    r = simulate(params, seed, years=years)
    row: dict = {"seed": seed}
    census = r.census
    for label, i in (("mid", len(census) // 2), ("last", len(census) - 1)):
        snap = census.iloc[i]
        row[f"caseload_{label}"] = snap["ehcplans"]
        for c in census.columns:
            if c.startswith("setting_"):
                row[f"{c}_{label}"] = snap[c]
    plans = r.plans_issued
    row["plans_issued"] = len(plans)
    row["issued_within_20_weeks_share"] = float((plans["weeks_to_issue"] <= 20).mean()) if len(plans) else np.nan
    fy = r.financial_year
    for _, f in fy.iterrows():
        row[f"cumulative_balance_{f['financial_year']}"] = f["cumulative_balance"]
    return row


def sample(args) -> int:
    from sendsim import __version__
    from sendsim.councils import load
    params = load(args.params)
    rows = [replication_row(params, args.first_seed + i, args.years) for i in range(args.reps)]
    df = pd.DataFrame(rows)
    df.attrs["version"] = __version__
    with open(args.out, "w", encoding="utf-8") as fh:
        fh.write(f"# sendsim {__version__}; council {params.council.name}; years {args.years:g}; "
                 f"seeds {args.first_seed}..{args.first_seed + args.reps - 1}\n")
        df.to_csv(fh, index=False)
    print(f"wrote {len(df)} replications to {args.out}")
    return 0


def compare_tables(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    out = []
    for col in a.columns:
        if col == "seed" or col not in b.columns:
            continue
        x, y = a[col].dropna().to_numpy(float), b[col].dropna().to_numpy(float)
        pooled = np.sqrt((x.var(ddof=1) + y.var(ddof=1)) / 2)
        d = (y.mean() - x.mean()) / pooled if pooled > 0 else 0.0
        p = stats.ttest_ind(x, y, equal_var=False).pvalue if pooled > 0 else 1.0
        out.append({"quantity": col, "before_mean": x.mean(), "after_mean": y.mean(),
                    "pooled_sd": pooled, "standardised_difference": d, "welch_p": p})
    return pd.DataFrame(out)


def compare(args) -> int:
    a = pd.read_csv(args.before, comment="#")
    b = pd.read_csv(args.after, comment="#")
    table = compare_tables(a, b)
    with pd.option_context("display.width", 160, "display.max_rows", 200):
        print(table.to_string(index=False, float_format=lambda v: f"{v:,.4g}"))
    worst = table.loc[table["standardised_difference"].abs().idxmax()]
    print(f"\nlargest |standardised difference|: {abs(worst['standardised_difference']):.3f} "
          f"({worst['quantity']}); {len(table)} quantities, "
          f"{(table['welch_p'] < 0.01).sum()} with Welch p < 0.01")
    if args.markdown:
        table.to_markdown(args.markdown, index=False, floatfmt=".4g") if hasattr(table, "to_markdown") else None
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sample")
    s.add_argument("--reps", type=int, default=200)
    s.add_argument("--years", type=float, default=8.0)
    s.add_argument("--first-seed", type=int, default=1)
    s.add_argument("--params", default="wiltshire")
    s.add_argument("--out", required=True)
    c = sub.add_parser("compare")
    c.add_argument("before")
    c.add_argument("after")
    c.add_argument("--markdown")
    args = ap.parse_args(argv)
    return sample(args) if args.cmd == "sample" else compare(args)


if __name__ == "__main__":
    sys.exit(main())
