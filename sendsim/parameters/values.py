"""The values parameters hold: the read-only map, numbers too large for a float, "no limit",
and the range each unit allows.

The bottom of the package: it imports nothing of the rest.
"""

from __future__ import annotations

import math


class FrozenMap(dict):
    """A read-only dict that still pickles (process pools send parameters to workers)."""

    def _refuse(self, *args, **kwargs):
        raise TypeError("parameters are immutable; use Parameters.replace(...)")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _refuse  # type: ignore[assignment]

    def __reduce__(self):
        return (FrozenMap, (dict(self),))

    def __hash__(self):  # frozen dataclasses holding maps stay hashable
        return hash(tuple(sorted(self.items(), key=lambda kv: str(kv[0]))))


def as_float(x) -> float:
    """float(x); a whole number too large for a float is infinite (and refused as such)."""
    try:
        return float(x)
    except OverflowError:
        return math.inf if x > 0 else -math.inf


#: "No limit" for a field that documents it (`no_limit=True`): infinity, written as 1e300
#: (`files.unbuild_value`) so the TOML file stays readable by hand.
NO_LIMIT = 1e300

# Ranges by unit: generous enough for the largest English council (Kent: some 20,000 plans,
# a High Needs Block of about 300m GBP), small enough that a slip of the keyboard is caught.
PROB = (0.0, 1.0)
GBP = (-1e10, 1e10)                 # money: income, spend, transfers, balances
GBP_NONNEG = (0.0, 1e10)
UNIT_COST = (0.0, 2e6)              # one child's place for a year
CHILDREN = (0.0, 1e6)               # counts of children or residents
PLACES = (0.0, 1e5)
PER_MONTH = (0.0, 1e5)              # capacities: advices, reviews a month
WEEKS = (0.0, 520.0)
MONTHS = (0.0, 520.0)
GROWTH = (-0.9, 2.0)                # growth of request rates a year
RATE_PER_1000 = (0.0, 1000.0)

#: The range of a kind whose values have one natural range (fields may still narrow it).
#: The kinds themselves, and what each checks, are in `checks.KIND_CHECKS`.
KIND_BOUNDS = {
    "prob": PROB, "probseq": PROB, "probmap": PROB, "capprobmap": PROB, "probnested": PROB,
    "dist": PROB, "distmap": PROB, "distnested": PROB,
    "costmap": UNIT_COST, "countmap": CHILDREN, "placesmap": PLACES, "popmap": CHILDREN,
    "nonnegmap": GBP_NONNEG, "nonnegseq": RATE_PER_1000,
    "settingcostmap": UNIT_COST, "settingnumbermap": GROWTH,
}
