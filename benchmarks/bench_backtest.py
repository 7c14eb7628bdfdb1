"""Benchmark: the back-test of every council, as `sendsim backtest --all --horizon 2 --reps 100`.

    python benchmarks/bench_backtest.py                        # the issue's target run
    python benchmarks/bench_backtest.py --origin 2022-01 --horizon 1 --reps 100
    python benchmarks/bench_backtest.py --councils 10 --reps 20  # a quick look

Target (issue 4): under 60 minutes on this 2-core machine for all councils, horizon 2, 100
replications. Prints the wall time of each stage (calibration, simulation, scoring) and writes
the back-test folder to --out (default: a temporary folder, removed afterwards) and a JSON line
of timings to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

from sendsim.backtest.run import backtest
from sendsim.calibration import origin_year
from sendsim.data.history import councils_with_history


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--origin", default="2021-01")
    ap.add_argument("--horizon", type=int, default=2)
    ap.add_argument("--reps", type=int, default=100)
    ap.add_argument("--councils", type=int, default=0, help="only the first N councils (0: all)")
    ap.add_argument("--data", default=None)
    ap.add_argument("--out", default=None, help="keep the back-test folder here")
    args = ap.parse_args()
    councils = councils_with_history(args.data)
    if args.councils:
        councils = councils[: args.councils]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.out) if args.out else Path(tmp) / "backtest"
        res = backtest(councils, origin_year(args.origin), args.horizon, args.reps,
                       data_dir=args.data, out=out, progress=True)
    wall = time.perf_counter() - started
    print(json.dumps({
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
                   f"Python {platform.python_version()}",
        "origin": args.origin, "horizon": args.horizon, "reps": args.reps,
        "councils": len(councils), "skipped": len(res.skipped),
        "wall_minutes": round(wall / 60, 2), **res.timings}))


if __name__ == "__main__":
    main()
