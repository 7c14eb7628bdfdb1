"""Replications of one council's parameters: the simple case of an experiment.

`run_replications` runs one set of parameters (no interventions) through
`sendsim.experiment.run.run_experiment`, so it shares its seeding (one root `SeedSequence`, a seed
per replication index: identical results on any number of workers), chunking and progress bar,
and returns the stacked tables with each replication's draws in the provenance.
"""

from __future__ import annotations

from sendsim.experiment.run import Ensemble, ExperimentError, run_experiment
from sendsim.parameters import Parameters
from sendsim.engine.tables import RunResult, provenance
from sendsim.scenario.definition import Scenario


def run_replications(params: Parameters, reps: int, seed: int, years: float = 8.0,
                     workers: int | None = None, chunk_size: int | None = None,
                     progress: bool = True) -> Ensemble:
    """Run `reps` replications from root `seed`; identical output for any `workers`."""
    if reps < 1:
        raise ValueError(f"reps must be at least 1 (got {reps})")
    scenario = Scenario.of(params, name="parameters")
    try:
        result = run_experiment(scenario, reps=reps, seed=seed, years=years, workers=workers,
                                chunk_size=chunk_size, progress=progress)
    except ExperimentError as exc:
        raise ValueError(str(exc)) from None
    ens = result[scenario.name]
    draws = ens.provenance.pop("replications", [])
    prov = provenance(params, seed)
    prov.update({"reps": reps, "years": years, "seed": {"root": int(seed)},
                 "request_trend_by_rep": [d["request_trend"] for d in draws],
                 "parameters_drawn_by_rep": [d["parameters_drawn"] for d in draws],
                 "timing_seconds": result.manifest["runs"][-1]["seconds"]})
    ens.provenance = prov
    return ens


__all__ = ["Ensemble", "run_replications", "RunResult"]
