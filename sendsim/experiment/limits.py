"""Bounds on a run's size, shared by the experiment runner and the command line's options.

A module of its own, importing nothing, so that `sendsim --help` and argument parsing do not
load the engine (NumPy, pandas, SimPy, Mesa) for three numbers.
"""

#: Beyond these a run is a mistake rather than an experiment.
MAX_REPS = 100_000
MAX_YEARS = 30.0
MAX_SEED = 2**63 - 1
