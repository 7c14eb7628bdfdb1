"""Parameter uncertainty: values drawn once per replication.

Process noise alone gives intervals far too narrow (model.md section 6: a council plan was 650
plans out within seven months). Each `UncertainParameter` is drawn once per replication from a
triangular distribution, from the replication's own structural stream, so draws are the same
for the same root seed whatever the number of workers.
"""

from __future__ import annotations

from .parameters import Parameters
from .streams import Stream


def draw_parameters(params: Parameters, stream: Stream) -> tuple[Parameters, dict[str, float]]:
    """This replication's parameters, and the values drawn (for provenance)."""
    if not params.uncertainty:
        return params, {}
    changes: dict[str, float] = {}
    for u in params.uncertainty:
        value = stream.triangular(u.low, u.mode, u.high)
        if isinstance(params.value_at(u.key), int):
            value = int(round(value))
        changes[u.key] = value
    return params.replace(**changes), changes
