"""The engine against the vectorised reference model: CPU time and agreement (issue 12, point 3).

On the built-in council (or `--params FILE`, either scaled by `--scale`) over 8 simulated years, in one process, after one
warm-up of each, runs the engine (`sendsim.engine.model.simulate`, tables included) and the reference
(`benchmarks/reference_model.run_reference`) alternately, `--reps` times each, timing each
replication in CPU seconds (`time.process_time`). Prints both medians, the ratio
engine / reference, and how far the means agree: the relative difference of the means of the
caseload at the end, plans issued, total spend and the final cumulative balance, with its
standard error and z (the two cannot share random numbers, so only means are compared).

By default both draw what `simulate(params, seed)` draws (parameter uncertainty and the demand
trend); `--process-noise-only` switches both off in both, for a sharper comparison.

    python benchmarks/bench_vs_reference.py [--reps 10] [--years 8] [--params FILE] [--scale 4]
        [--process-noise-only] [--json OUT]
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scaling import scaled  # noqa: E402
from reference_model import run_reference  # noqa: E402

from sendsim import __version__  # noqa: E402
from sendsim.councils import default_parameters  # noqa: E402
from sendsim.engine.model import simulate  # noqa: E402
from sendsim.parameters import Parameters  # noqa: E402
from sendsim.scenario import Scenario, Sources  # noqa: E402

STATS = ("caseload_end", "plans_issued", "spend_total", "cumulative_balance_end")


def summary(monthly) -> dict[str, float]:
    return {"caseload_end": float(monthly["caseload"].iloc[-1]),
            "plans_issued": float(monthly["plans_issued"].sum()),
            "spend_total": float(monthly["spend_total"].sum()),
            "cumulative_balance_end": float(monthly["cumulative_balance"].iloc[-1])}


def agreement(engine: list[dict], reference: list[dict]) -> dict[str, dict]:
    out = {}
    for k in STATS:
        e = np.array([r[k] for r in engine])
        r = np.array([r[k] for r in reference])
        se = float(np.sqrt(e.var(ddof=1) / e.size + r.var(ddof=1) / r.size)) if e.size > 1 else float("nan")
        diff = float(r.mean() - e.mean())
        out[k] = {"engine_mean": float(e.mean()), "reference_mean": float(r.mean()),
                  "relative_difference": diff / abs(float(e.mean())),
                  "relative_se": se / abs(float(e.mean())),
                  "z": diff / se if se > 0 else float("nan")}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--years", type=float, default=8.0)
    ap.add_argument("--params", help="parameter file (default: the built-in council)")
    ap.add_argument("--scale", type=float, default=1.0,
                    help="the council scaled by this factor, as bench_scaling.py does (4: Kent-sized)")
    ap.add_argument("--process-noise-only", action="store_true",
                    help="no parameter uncertainty and no trend drift, in either model")
    ap.add_argument("--seed", type=int, default=20261207)
    ap.add_argument("--json", help="write the results to this file as JSON")
    args = ap.parse_args(argv)

    params = Parameters.from_toml(args.params) if args.params else default_parameters()
    if args.scale != 1.0:
        params = scaled(params, args.scale)
    full = not args.process_noise_only
    scenario = Scenario.of(params)
    if not full:
        scenario = dataclasses.replace(scenario, sources=Sources(parameters=False, structural=False))
    seeds = np.random.SeedSequence(args.seed).spawn(2 * args.reps + 2)

    def engine(seed):
        result = simulate(scenario, seed, years=args.years)
        return result.monthly, result.provenance["request_trend_drawn"]

    def reference(seed):
        monthly = run_reference(params, seed, years=args.years, parameter_uncertainty=full,
                                structural=full)
        return monthly, monthly.attrs["request_trend_drawn"]

    engine(seeds[-1])                    # warm-up: imports, caches, first allocations
    reference(seeds[-2])
    times = {"engine": [], "reference": []}
    stats = {"engine": [], "reference": []}
    trends = {"engine": [], "reference": []}
    for i in range(args.reps):           # alternate, so drift of the machine hits both alike
        for name, fn, seed in (("engine", engine, seeds[2 * i]),
                               ("reference", reference, seeds[2 * i + 1])):
            gc.collect()
            c0 = time.process_time()
            monthly, trend = fn(seed)
            times[name].append(time.process_time() - c0)
            stats[name].append(summary(monthly))
            trends[name].append(trend)
    med = {k: statistics.median(v) for k, v in times.items()}
    agree = agreement(stats["engine"], stats["reference"])

    print(f"{params.council.name}, {args.years:g} years, {args.reps} replications each "
          f"({'parameter uncertainty and trend drift on' if full else 'process noise only'})")
    for name in ("engine", "reference"):
        v = times[name]
        print(f"  {name:9s} CPU s / replication: median {med[name]:.3f} "
              f"(min {min(v):.3f}, max {max(v):.3f})")
    print(f"  ratio engine / reference: {med['engine'] / med['reference']:.1f}")
    if full:   # the demand trend drawn per replication is the largest source of spread
        t_e, t_r = np.array(trends["engine"]), np.array(trends["reference"])
        se = np.sqrt(t_e.var(ddof=1) / t_e.size + t_r.var(ddof=1) / t_r.size) if args.reps > 1 else np.nan
        print(f"  demand trend drawn, mean: engine {t_e.mean():.4f}, reference {t_r.mean():.4f} "
              f"(z {(t_r.mean() - t_e.mean()) / se:+.2f}; the largest source of spread between "
              "replications)")
    print("  agreement (reference vs engine, relative difference of means, its SE, z):")
    for k, a in agree.items():
        print(f"    {k:24s} engine {a['engine_mean']:>16,.1f}  reference {a['reference_mean']:>16,.1f}"
              f"  {100 * a['relative_difference']:+7.2f}%  (SE {100 * a['relative_se']:.2f}%, "
              f"z {a['z']:+.2f})")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "council": params.council.name, "years": args.years, "reps": args.reps,
            "uncertainty": "parameters and structural" if full else "process noise only",
            "cpu_s_per_replication": {"engine": times["engine"], "reference": times["reference"]},
            "median_cpu_s": med, "ratio_engine_over_reference": med["engine"] / med["reference"],
            "agreement": agree, "request_trend_drawn": trends, "sendsim_version": __version__,
            "python": platform.python_version(), "machine": platform.machine(),
        }, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
