"""Replications: many runs of one council, in parallel, reproducibly.

Every replication's seed is spawned from one root `SeedSequence` by its index, so results are
identical whether run on one worker or many. Workers receive parameters and seeds and return
tables (SimPy models hold generators and cannot be pickled). On one machine a process pool
beats Dask or Ray (engineering notes); replications are sent in chunks.
"""

from __future__ import annotations

import gc
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import pandas as pd
from tqdm.auto import tqdm

from .model import simulate
from .parameters import Parameters
from .results import RunResult, Tables, provenance
from .streams import replication_seeds

TABLES = Tables.NAMES


@dataclass
class Ensemble(Tables):
    """The tables of all replications, stacked, each row tagged with its `rep`."""

    @property
    def reps(self) -> int:
        return int(self.census["rep"].nunique()) if len(self.census) else 0


def _run_chunk(params: Parameters, seeds: list, years: float, first_rep: int) -> list[dict]:
    out = []
    for i, seed in enumerate(seeds):
        r = simulate(params, seed, years)
        out.append({name: getattr(r, name).assign(rep=first_rep + i) for name in TABLES}
                   | {"request_trend": r.provenance.get("request_trend_drawn"),
                      "parameters_drawn": r.provenance.get("parameters_drawn", {})})
        del r
        gc.collect()   # garbage from one replication slows the next by ~40% (engineering notes)
    return out


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def run_replications(params: Parameters, reps: int, seed: int, years: float = 8.0,
                     workers: int | None = None, chunk_size: int | None = None,
                     progress: bool = True) -> Ensemble:
    """Run `reps` replications from root `seed`; identical output for any `workers`."""
    if reps < 1:
        raise ValueError(f"reps must be at least 1 (got {reps})")
    workers = default_workers() if workers is None else max(1, workers)
    seeds = replication_seeds(seed, reps)
    if chunk_size is None:
        chunk_size = max(1, min(25, reps // (workers * 2) or 1))
    chunks = [(i, seeds[i:i + chunk_size]) for i in range(0, reps, chunk_size)]
    results: dict[int, list[dict]] = {}
    bar = tqdm(total=reps, desc="replications", unit="rep", disable=not progress)
    try:
        if workers == 1:
            for first, chunk in chunks:
                results[first] = _run_chunk(params, chunk, years, first)
                bar.update(len(chunk))
        else:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                futures = {pool.submit(_run_chunk, params, chunk, years, first): (first, len(chunk))
                           for first, chunk in chunks}
                for fut in _as_completed(futures):
                    first, n = futures[fut]
                    results[first] = fut.result()
                    bar.update(n)
    finally:
        bar.close()
    ordered = [r for first in sorted(results) for r in results[first]]
    tables = {name: pd.concat([r[name] for r in ordered], ignore_index=True) for name in TABLES}
    prov = provenance(params, seed)
    prov.update({"reps": reps, "years": years, "seed": {"root": int(seed)},
                 "request_trend_by_rep": [r["request_trend"] for r in ordered],
                 "parameters_drawn_by_rep": [r["parameters_drawn"] for r in ordered]})
    return Ensemble(**tables, provenance=prov)


def _as_completed(futures):
    from concurrent.futures import as_completed
    return as_completed(futures)


__all__ = ["Ensemble", "run_replications", "RunResult"]
