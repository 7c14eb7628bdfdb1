"""Parameter uncertainty: values drawn once per replication.

Process noise alone gives intervals far too narrow (model.md section 6: a council plan was 650
plans out within seven months). Each replication either takes one row of a file of posterior
draws (a calibration's output), or draws each `UncertainParameter` from its triangular
distribution, or both (rows first; ranges for keys the rows do not give). Draws come from the
replication's own `parameters` stream, so they are the same for the same root seed whatever the
number of workers, and the same in every scenario compared with it.
"""

from __future__ import annotations

import dataclasses

from sendsim.parameters import Parameters
from sendsim.engine.streams import Stream


def draw_parameters(params: Parameters, stream: Stream,
                    posterior: tuple = ()) -> tuple[Parameters, dict[str, float]]:
    """This replication's parameters, and the values drawn (for provenance)."""
    if not params.uncertainty and not posterior:
        return params, {}
    changes: dict[str, float] = {}
    if posterior:
        row = posterior[stream.index(len(posterior))]
        changes.update(row)
    current = params.values_at(dict.fromkeys([*(u.key for u in params.uncertainty), *changes]))
    for u in params.uncertainty:
        value = stream.triangular(u.low, u.mode, u.high)   # drawn even if a row gives it: aligned
        if u.key in changes:
            continue
        changes[u.key] = value
    for key, value in changes.items():
        if isinstance(current[key], int) and not isinstance(value, int):
            changes[key] = int(round(value))
    # The drawn set is checked whole (draws within their ranges can still combine badly), but
    # without re-checking its `uncertainty` entries: those were checked when `params` was made,
    # and checking each range's ends re-validates the whole set twice per entry (four fifths of
    # a replication's set-up time). The entries are put back unchanged.
    drawn = params.replace(uncertainty=(), **changes)
    return dataclasses.replace(drawn, uncertainty=params.uncertainty), changes
