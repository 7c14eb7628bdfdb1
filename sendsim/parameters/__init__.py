"""Typed, immutable parameters for one council, loaded from and saved to TOML.

Loading is all-or-nothing: unknown keys, wrong types, negative rates, probabilities outside
[0, 1], dates out of order and capacities below the start occupancy are all reported in one
`ParameterError` naming the file and every offending key, and no `Parameters` is returned.

The modules, each importing only those below it (an import-linter contract in pyproject.toml):

- `schema`: the declared parameters (sections, fields, docs, kinds, ranges, defaults) and
  `Parameters`, which loads, checks, saves and changes them; `describe`, `value_range`, `allowed`.
- `files`: reading TOML files, building typed values from their tables, writing them back.
- `checks`: the validation, one small check per field kind and one per rule across fields.
- `keys`: dotted keys ('assessment.ep_capacity_changes[0].per_month') and the fields they name.
- `problems`: `ParameterError` and the words for a value that is not allowed.
- `values`: `FrozenMap`, "no limit" and the ranges by unit.

Everything the rest of sendsim uses is imported from here.
"""

from .checks import is_financial_year, validate
from .files import read_text_file, read_toml
from .keys import dotted_items
from .problems import ParameterError, allowed_text, number_problem
from .schema import (Assessment, CapacityChange, Ceasing, Council, DecideToAssess, Finance, Parameters,
                     PhaseTransfer, PlaceChange, Placement, Population, Requests, Reviews, SafetyValvePayment,
                     SenSupport, StartState, TransfersIn, TrendChange, UncertainParameter, allowed, describe,
                     value_range)
from .values import (CHILDREN, GBP, GBP_NONNEG, GROWTH, MONTHS, NO_LIMIT, PER_MONTH, PLACES, PROB, RATE_PER_1000,
                     UNIT_COST, WEEKS, FrozenMap, as_float)

__all__ = [
    # the parameters and their sections
    "Parameters", "Council", "Population", "StartState", "SenSupport", "Requests", "TrendChange",
    "DecideToAssess", "Assessment", "CapacityChange", "Placement", "PlaceChange", "Reviews",
    "PhaseTransfer", "Ceasing", "TransfersIn", "Finance", "SafetyValvePayment", "UncertainParameter",
    # what the schema says about a key
    "describe", "value_range", "allowed", "dotted_items",
    # files and checks
    "read_text_file", "read_toml", "validate", "is_financial_year",
    # problems
    "ParameterError", "number_problem", "allowed_text",
    # values and ranges by unit
    "FrozenMap", "as_float", "NO_LIMIT", "PROB", "GBP", "GBP_NONNEG", "UNIT_COST", "CHILDREN", "PLACES",
    "PER_MONTH", "WEEKS", "MONTHS", "GROWTH", "RATE_PER_1000",
]
