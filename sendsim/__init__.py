"""sendsim: a child-level simulation of one English council's SEND system and High Needs Block.

The engine (parameters, population, pathway processes, capacity, finance) knows nothing of
files, the command line or clusters; those live in `councils`, `runner`, `results`, `cli`.
"""

__version__ = "0.2.0"
