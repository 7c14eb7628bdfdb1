"""Engine cost against council size: is it linear in plan-days, and what does Kent cost?

A council of a given size is the built-in council scaled by a factor: its population, start
caseload, places, EP and casework capacity, assessments in progress, transfers in and money
are multiplied, its rates and shares kept. A factor of 4.0 gives a council of about 19,000
plans, the size of Kent (18,960 plans in January 2023). Each size is run for 8 years; the
figures are CPU seconds (median of --reps after a warm-up) and plan-days simulated, and the
cost per million plan-days should be about constant if cost is linear in plan-days.

Target (issue 12): a Kent-sized council at most 1.5 CPU s for 8 years.

    python benchmarks/bench_scaling.py [--factors 0.5 1 2 4] [--reps 5] [--json OUT]
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import statistics
import sys
import time

from sendsim.councils import default_parameters
from sendsim.engine.model import simulate
from sendsim.parameters import Parameters


def scaled(params: Parameters, factor: float) -> Parameters:
    """The council `factor` times the size: every count and amount scaled, every rate kept."""
    d = copy.deepcopy(params.to_dict())
    d["council"]["name"] = f"{d['council']['name']} x{factor:g}"
    d["population"]["projection"] = {y: [v * factor for v in ages] for y, ages in d["population"]["projection"].items()}
    for key in ("caseload_by_setting", "caseload_by_age_band"):
        d["start_state"][key] = {k: round(v * factor) for k, v in d["start_state"][key].items()}
    # keep the two margins equal after rounding
    gap = sum(d["start_state"]["caseload_by_setting"].values()) - sum(d["start_state"]["caseload_by_age_band"].values())
    bands = d["start_state"]["caseload_by_age_band"]
    biggest = max(bands, key=bands.get)
    bands[biggest] += gap
    a = d["assessment"]
    a["ep_advices_per_month"] *= factor
    a["in_progress_at_start"] = round(a["in_progress_at_start"] * factor)
    for c in a["ep_capacity_changes"]:
        c["per_month"] *= factor
    r = d["reviews"]
    r["reviews_per_month"] *= factor
    for c in r["reviews_capacity_changes"]:
        c["per_month"] *= factor
    pl = d["placement"]
    pl["places"] = {k: round(v * factor) for k, v in pl["places"].items()}
    for c in pl["place_changes"]:
        c["places"] = round(c["places"] * factor)
    d["transfers_in"]["per_month"] *= factor
    f = d["finance"]
    for key in ("fixed_spend_gbp_per_year", "hnb_income_gbp", "schools_block_transfer_gbp", "la_contribution_gbp"):
        f[key] = {k: v * factor for k, v in f[key].items()}
    f["schools_block_transfer_after_gbp"] *= factor
    f["opening_cumulative_balance_gbp"] *= factor
    for pay in f["safety_valve_payments"]:
        pay["amount_gbp"] *= factor
        if pay["max_cumulative_deficit_gbp"] < 1e300:     # 1e300 is how a file holds "no limit"
            pay["max_cumulative_deficit_gbp"] *= factor
    return Parameters.from_dict(d)


def cpu_of(params, seed: int, years: float) -> tuple[float, float, int]:
    gc.collect()
    c0 = time.process_time()
    r = simulate(params, seed, years=years)
    cpu = time.process_time() - c0
    m = r.monthly
    plan_days = float((m["caseload"] * m["month"].dt.days_in_month).sum())
    return cpu, plan_days, int(r.census["ehcplans"].iloc[0])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--factors", type=float, nargs="+", default=[0.5, 1.0, 2.0, 4.0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--years", type=float, default=8.0)
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    base = default_parameters()
    rows = []
    for factor in args.factors:
        p = scaled(base, factor)
        cpu_of(p, 0, args.years)                      # warm-up
        runs = [cpu_of(p, seed, args.years) for seed in range(1, args.reps + 1)]
        cpu = statistics.median(r[0] for r in runs)
        plan_days = statistics.median(r[1] for r in runs)
        rows.append({"factor": factor, "plans_at_start": runs[0][2], "cpu_s_median": cpu,
                     "plan_days_millions": plan_days / 1e6, "cpu_s_per_million_plan_days": cpu / (plan_days / 1e6)})
        print(f"x{factor:<4g} {runs[0][2]:>6} plans at start  {cpu:6.3f} CPU s  "
              f"{plan_days / 1e6:6.1f} M plan-days  {cpu / (plan_days / 1e6):.4f} CPU s per M plan-days")
    kent = [r for r in rows if r["factor"] == 4.0]
    if kent:
        print(f"Kent-sized (x4, {kent[0]['plans_at_start']} plans): {kent[0]['cpu_s_median']:.3f} CPU s; target <= 1.5")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(rows, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
