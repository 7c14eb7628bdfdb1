"""Compare the built-in council's first two years with what Wiltshire published afterwards.

Nothing in the built-in council is fitted to these figures; this is a check, not a calibration.

    python experiments/early_path_check.py [--reps 100] [--seed 1] [--workers N]

Published figures used (none of them is in ../shared/data, whose history ends at January 2023):
- 5,536 EHC plans at the January 2024 census (DfE, "Education, health and care plans" 2024,
  as quoted in issue 2);
- EHCP numbers at the end of April to October 2024 from Wiltshire's Safety Valve update to the
  Children's Select Committee, January 2025 (seed 004): 5,728, 5,815, 5,867, 5,861, 5,932,
  6,051, 6,161.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

import numpy as np

from sendsim.councils import default_parameters
from sendsim.experiment.runner import run_replications

JANUARY_2024 = 5536
SEED004_MONTH_END = {dt.date(2024, 4, 30): 5728, dt.date(2024, 5, 31): 5815,
                     dt.date(2024, 6, 30): 5867, dt.date(2024, 7, 31): 5861,
                     dt.date(2024, 8, 31): 5932, dt.date(2024, 9, 30): 6051,
                     dt.date(2024, 10, 31): 6161}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=None)
    args = ap.parse_args(argv)
    ens = run_replications(default_parameters(), reps=args.reps, seed=args.seed, years=2.0,
                           workers=args.workers)
    print(f"Built-in council, {args.reps} replications, root seed {args.seed}: "
          "median and 90% prediction interval against the published figure")
    c = ens.census[ens.census["time_period"] == 202324]["ehcplans"].to_numpy()
    rows = [("January 2024 census", c, JANUARY_2024)]
    m = ens.monthly
    for month_end, actual in SEED004_MONTH_END.items():
        first = (month_end + dt.timedelta(days=1))
        v = m[m["month"] == np.datetime64(first)]["caseload"].to_numpy()
        rows.append((f"end of {month_end:%b %Y}", v, actual))
    inside = 0
    for label, values, actual in rows:
        lo, med, hi = np.percentile(values, [5, 50, 95])
        ok = lo <= actual <= hi
        inside += ok
        print(f"  {label:<22} model {med:7,.0f} ({lo:,.0f} to {hi:,.0f})   published {actual:,}"
              f"   error of median {100 * (med - actual) / actual:+5.1f}%   "
              f"{'inside' if ok else 'outside'}")
    print(f"  {inside} of {len(rows)} published figures inside the 90% interval")
    return 0


if __name__ == "__main__":
    sys.exit(main())
