"""How far the DSG balance forecast can be trusted, beside what the published figures allow.

    python experiments/balance_identity.py BACKTEST_FOLDER [--data DIR]

Reads a January 2021 back-test's `scores_by_council.csv` and, for every council whose balance
at 31 March 2022 was scored, sets three forecasts of that balance beside the dashboard's:

- `sendsim`: the back-test's median;
- `no_change`: the balance at 31 March 2020 (the baseline of the same name);
- `published spend`: the 31 March 2020 balance plus, for 2020-21 and 2021-22, the High Needs
  Block after deductions less section 251 net spend less the place funding the council pays
  (the 2021-22 benchmarking line, for both years). This is the engine's own identity fed the
  outturns it is trying to forecast: the best its structure could do with a perfect spend
  forecast, and what the other DSG blocks and transfers leave unexplained.

Prints a markdown table (median absolute % error, median signed % error, median absolute error
in GBP m) for `docs/background/backtesting.md`.

Contains public sector information licensed under the Open Government Licence v3.0.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import pandas as pd

from sendsim.data import finance
from sendsim.data.files import find_data_dir

YEARS = ("2020-21", "2021-22")


def rows(scores: pd.DataFrame, data_dir) -> pd.DataFrame:
    b = scores[(scores["measure"] == "dsg_cumulative_balance") & (scores["method"] == "sendsim")
               & (scores["horizon"] == 1) & scores["scored"].astype(bool)]
    if b.empty or set(b["origin"]) != {2021}:
        raise SystemExit("the folder has no scored DSG balance from a January 2021 origin")
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for r in b.itertuples():
            bal = finance.dsg_cumulative_balance(r.la_code, data_dir)
            income = finance.dsg_allocations(r.la_code, data_dir)["high_needs_block_after"]
            net = finance.s251_net_spend(r.la_code, data_dir)["high_needs_send_net"]
            net.index = [finance.fy_label(k) for k in net.index]
            place = finance.high_needs_benchmarking_2122(r.la_code, data_dir)["outturn_place_special_and_ap"]
            change = sum(income[y] - net[y] - place for y in YEARS)
            out.append({"la_name": r.la_name, "actual": r.actual, "sendsim": r.q50,
                        "no_change": bal["2019-20"], "published spend": bal["2019-20"] + change})
    return pd.DataFrame(out)


def table(d: pd.DataFrame) -> str:
    lines = ["| forecast of the balance at 31 March 2022 | councils | MdAPE | median signed error | "
             "median absolute error (GBP m) | closer than no_change |",
             "|---|---:|---:|---:|---:|---:|"]
    for col in ("sendsim", "no_change", "published spend"):
        ok = d[col].notna()
        err = (d.loc[ok, col] - d.loc[ok, "actual"]) / d.loc[ok, "actual"].abs() * 100
        gbp = (d.loc[ok, col] - d.loc[ok, "actual"]).abs()
        closer = (gbp < (d.loc[ok, "no_change"] - d.loc[ok, "actual"]).abs()).mean() * 100
        lines.append(f"| {col} | {int(ok.sum())} | {err.abs().median():.1f} | {err.median():+.1f} | "
                     f"{gbp.median() / 1e6:.1f} | {'-' if col == 'no_change' else f'{closer:.0f}%'} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path, help="a back-test folder from January 2021")
    ap.add_argument("--data", type=Path, default=None, help="data folder (default: $SENDSIM_DATA, else ../shared/data)")
    a = ap.parse_args(argv)
    path = a.folder / "scores_by_council.csv"
    if not path.is_file():
        raise SystemExit(f"{path}: no such file; give a folder `sendsim backtest` wrote")
    d = rows(pd.read_csv(path), find_data_dir(a.data))
    sys.stdout.write(table(d))
    return 0


if __name__ == "__main__":
    sys.exit(main())
