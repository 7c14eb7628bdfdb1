"""Phase transfers every 1 September: into reception, secondary, post-16 and post-19.

At each key transition the placement is re-decided from the table for that transition: the
setting the child is leaving maps to shares of the settings they move to, or of ceasing there
(a young person leaving school at 19 for employment or higher education). Specialist places are
subject to capacity as at issue. Who is at a transition is read from the plan holders' cohort
array; only they are visited, each with one uniform from the September's block.
"""

from __future__ import annotations

import bisect

import numpy as np

from sendsim.engine.pathway import stage
from sendsim.engine.pathway.leaving import cease
from sendsim.engine.pathway.placement import cancel_wait, place
from sendsim.engine.population import PLAN
from sendsim.engine.streams import cumulative

#: NCY entered -> name of the PhaseTransfer table
TRANSITIONS = {0: "into_reception", 7: "into_secondary", 12: "into_post16", 15: "into_post19"}
_NCY = np.array(sorted(TRANSITIONS))


class PhaseTransfers(stage.Stage):
    name = "transitions"
    section = "phase_transfer"
    FLOWS = tuple(f"phase_transfer_{t}" for t in TRANSITIONS.values())

    def prepare(self) -> None:
        self.tables = {name: {frm: cumulative(dict(shares)) for frm, shares in getattr(self.params, name).items()}
                       for name in TRANSITIONS.values()}

    def calendar(self):
        m = self.model
        for day, d in zip(m.month_starts, m.month_dates):
            if d.month == 9 and day > 0:
                yield day, stage.PHASE_TRANSFERS, lambda: phase_transfers(m)


def phase_transfers(model) -> int:
    """Re-decide placements of plan holders at a transition this September; returns moves.

    Every plan holder at a transition takes one uniform from one block drawn for the whole
    September, whether or not their setting has a row in the table: a fixed number of draws
    per decision, so that common random numbers hold."""
    rng = model.streams["phase_transfer"]
    year = model.academic_year
    tables = model.stage("transitions").tables
    holders = model.plan_holders
    ncy = year - holders.cohort_years() - 5
    at_transition = [holders.at(i) for i in np.flatnonzero(np.isin(ncy, _NCY)).tolist()]
    draws = rng.block(len(at_transition)).tolist()
    moved = 0
    for child, u in zip(at_transition, draws):
        if child.status != PLAN:
            continue
        table_name = TRANSITIONS[year - child.cohort - 5]
        cum_names = tables[table_name].get(child.setting)
        if cum_names is None:
            continue
        cum, names = cum_names
        target = names[min(bisect.bisect_right(cum, u * cum[-1]), len(names) - 1)]
        if target == child.setting:
            continue
        if target.startswith("cease_"):
            cease(model, child, target[len("cease_"):])
            continue
        cancel_wait(model, child)
        model.recorder.flow(model.now, f"phase_transfer_{table_name}")
        place(model, child, target)
        moved += 1
    return moved
