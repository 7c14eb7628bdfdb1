"""Benchmark: many replications of a scenario, and scaling from 1 to 2 workers.

    python benchmarks/bench_experiment.py                       # 1,000 reps of the baseline
    python benchmarks/bench_experiment.py --reps 100 --scaling 20

Target (issue 3): 1,000 replications of experiments/wiltshire_baseline.toml over 8 years in
under 15 minutes on a 2-core machine. Prints replications per second; with --scaling N, also
the time for N replications on 1 worker and on 2 (speed-up). Results go to a temporary folder
(the same path the command line uses: chunks saved to Parquet as they finish).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

from sendsim.experiment.run import run_experiment
from sendsim.scenario.files import load_scenario

REPO = Path(__file__).resolve().parent.parent


def timed(scenario, reps: int, workers: int, seed: int, years: float) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        run_experiment(scenario, reps=reps, seed=seed, years=years, out=Path(tmp) / "exp",
                       workers=workers, progress=False)
        return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default=str(REPO / "experiments" / "wiltshire_baseline.toml"))
    ap.add_argument("--reps", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--years", type=float, default=8.0)
    ap.add_argument("--seed", type=int, default=20230119)
    ap.add_argument("--scaling", type=int, default=0, metavar="N",
                    help="also time N replications on 1 and on 2 workers")
    args = ap.parse_args()
    scenario = load_scenario(args.scenario)
    out = {"machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
                      f"Python {platform.python_version()}",
           "scenario": scenario.name, "years": args.years}
    if args.scaling:
        one = timed(scenario, args.scaling, 1, args.seed, args.years)
        two = timed(scenario, args.scaling, 2, args.seed, args.years)
        out["scaling"] = {"reps": args.scaling, "seconds_1_worker": round(one, 1),
                          "seconds_2_workers": round(two, 1), "speed_up": round(one / two, 2)}
        print(json.dumps(out["scaling"]), flush=True)
    if args.reps:
        secs = timed(scenario, args.reps, args.workers, args.seed, args.years)
        out["run"] = {"reps": args.reps, "workers": args.workers, "seconds": round(secs, 1),
                      "minutes": round(secs / 60, 2), "reps_per_second": round(args.reps / secs, 3),
                      "target_minutes": 15, "met": secs < 15 * 60}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
