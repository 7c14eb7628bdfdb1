"""Phase transfers every 1 September: into reception, secondary, post-16 and post-19.

At each key transition the placement is re-decided from the table for that transition: the
setting the child is leaving maps to shares of the settings they move to, or of ceasing there
(a young person leaving school at 19 for employment or higher education). Specialist places are
subject to capacity as at issue.
"""

from __future__ import annotations

from ..population import PLAN
from .placement import cancel_wait, place

#: NCY entered -> name of the PhaseTransfer table
TRANSITIONS = {0: "into_reception", 7: "into_secondary", 12: "into_post16", 15: "into_post19"}


def phase_transfers(model) -> int:
    """Re-decide placements of plan holders at a transition this September; returns moves."""
    rng = model.streams["phase_transfer"]
    year = model.academic_year
    moved = 0
    for child in model.plan_holders:
        if child.status != PLAN:
            continue
        table_name = TRANSITIONS.get(year - child.cohort - 5)
        if table_name is None:
            continue
        cum_names = model.transfer_tables[table_name].get(child.setting)
        if cum_names is None:
            continue
        target = rng.choice(*cum_names)
        if target == child.setting:
            continue
        if target.startswith("cease_"):
            model.cease(child, target[len("cease_"):])
            continue
        cancel_wait(model, child)
        model.recorder.flow(model.now, f"phase_transfer_{table_name}")
        place(model, child, target)
        moved += 1
    return moved
