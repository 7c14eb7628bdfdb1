"""Engine benchmark: the default council over 8 simulated years.

Reports seconds per replication (median of several, after one warm-up), simulated events per
second (SimPy events scheduled), peak memory, and where the time goes (a cProfile of one
replication, grouped by sendsim module). Target (issue 2): at most 1.5 s per replication on a
2-core machine.

    python benchmarks/bench_engine.py [--reps 7] [--years 8] [--params FILE] [--json OUT]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import platform
import pstats
import resource
import statistics
import sys
import time
import tracemalloc
from collections import defaultdict

from sendsim import __version__
from sendsim.engine.model import RunSpec, SendModel
from sendsim.parameters import Parameters
from sendsim.engine.tables import RunResult


def one_rep(params, seed, years):
    c0 = time.process_time()
    t0 = time.perf_counter()
    model = SendModel(params, seed, RunSpec(years))
    t1 = time.perf_counter()
    model.run()
    t2 = time.perf_counter()
    RunResult.from_model(model, seed)
    t3 = time.perf_counter()
    cpu = time.process_time() - c0
    events = next(model.env._eid)     # SimPy numbers every event it schedules
    plans = len(model.plan_holders)
    del model
    gc.collect()
    return {"build_s": t1 - t0, "run_s": t2 - t1, "tables_s": t3 - t2, "total_s": t3 - t0, "cpu_s": cpu,
            "events": events, "plans_at_end": plans}


def profile_by_module(params, years) -> list[tuple[str, float]]:
    prof = cProfile.Profile()
    prof.enable()
    model = SendModel(params, 999, RunSpec(years)).run()
    RunResult.from_model(model, 999)
    prof.disable()
    stats = pstats.Stats(prof)
    by_module: dict[str, float] = defaultdict(float)
    for (filename, _, _), (_, _, tottime, _, _) in stats.stats.items():
        if "sendsim" in filename:
            key = "sendsim/" + filename.split("sendsim/")[-1]
        elif "simpy" in filename:
            key = "simpy"
        elif "mesa" in filename:
            key = "mesa"
        elif "pandas" in filename:
            key = "pandas"
        elif "numpy" in filename:
            key = "numpy"
        else:
            key = "other (builtins, stdlib)"
        by_module[key] += tottime
    total = sum(by_module.values())
    return [(k, v / total) for k, v in sorted(by_module.items(), key=lambda kv: -kv[1])]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--years", type=float, default=8.0)
    ap.add_argument("--params", help="parameter file (default: the built-in council)")
    ap.add_argument("--json", help="also write the figures to this JSON file")
    args = ap.parse_args(argv)
    if args.params:
        params = Parameters.from_toml(args.params)
    else:
        from sendsim.councils import default_parameters
        params = default_parameters()

    one_rep(params, 0, args.years)          # warm-up: imports, caches
    runs = [one_rep(params, seed, args.years) for seed in range(1, args.reps + 1)]
    secs = [r["total_s"] for r in runs]
    events = [r["events"] for r in runs]
    eps = [e / r["run_s"] for e, r in zip(events, runs)]
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    tracemalloc.start()
    one_rep(params, 12345, args.years)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    shares = profile_by_module(params, args.years)
    out = {
        "sendsim_version": __version__, "council": params.council.name, "years": args.years,
        "reps": args.reps, "python": sys.version.split()[0], "machine": platform.machine(),
        "seconds_per_replication_median": statistics.median(secs),
        "seconds_per_replication_min": min(secs), "seconds_per_replication_max": max(secs),
        "cpu_seconds_per_replication_median": statistics.median(r["cpu_s"] for r in runs),
        "build_seconds_median": statistics.median(r["build_s"] for r in runs),
        "run_seconds_median": statistics.median(r["run_s"] for r in runs),
        "tables_seconds_median": statistics.median(r["tables_s"] for r in runs),
        "events_per_replication_median": statistics.median(events),
        "events_per_second_median": statistics.median(eps),
        "peak_rss_mb": rss_mb, "peak_traced_python_mb_one_rep": peak / 2**20,
        "plans_at_end_median": statistics.median(r["plans_at_end"] for r in runs),
        "time_share_by_module": shares[:12],
    }
    print(f"sendsim {__version__} engine benchmark: {params.council.name}, {args.years:g} years, "
          f"{args.reps} replications (after one warm-up)")
    print(f"  seconds per replication  median {out['seconds_per_replication_median']:.3f}  "
          f"(min {out['seconds_per_replication_min']:.3f}, max {out['seconds_per_replication_max']:.3f}); "
          f"target <= 1.5")
    print(f"  CPU seconds per replication median {out['cpu_seconds_per_replication_median']:.3f} "
          "(less sensitive to other load on the machine)")
    print(f"    of which build {out['build_seconds_median']:.3f}, run {out['run_seconds_median']:.3f}, "
          f"tables {out['tables_seconds_median']:.3f}")
    print(f"  simulated events         {out['events_per_replication_median']:,.0f} per replication, "
          f"{out['events_per_second_median']:,.0f} per second of run time")
    print(f"  peak memory              {rss_mb:.0f} MB resident (process), "
          f"{out['peak_traced_python_mb_one_rep']:.0f} MB traced Python allocations in one replication")
    print("  where the time goes (share of profiled self time):")
    for name, share in shares[:12]:
        print(f"    {share:6.1%}  {name}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(out, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
