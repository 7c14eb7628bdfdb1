"""Phase transfers every 1 September: into reception, secondary, post-16 and post-19.

At each key transition the placement is re-decided from the table for that transition: the
setting the child is leaving maps to shares of the settings they move to, or of ceasing there
(a young person leaving school at 19 for employment or higher education). Specialist places are
subject to capacity as at issue. Who is at a transition is read from the plan holders' cohort
array; only they are visited, each with one uniform from the September's block.
"""

from __future__ import annotations

import numpy as np

from sendsim.codes import SETTINGS
from sendsim.engine.pathway import stage
from sendsim.engine.pathway.leaving import cease
from sendsim.engine.pathway.placement import cancel_wait, place
from sendsim.engine.population import PLAN, SETTING_INDEX
from sendsim.engine.streams import cumulative

#: NCY entered -> name of the PhaseTransfer table
TRANSITIONS = {0: "into_reception", 7: "into_secondary", 12: "into_post16", 15: "into_post19"}
_NCY = np.array(sorted(TRANSITIONS))


class PhaseTransfers(stage.Stage):
    name = "transitions"
    section = "phase_transfer"
    FLOWS = tuple(f"phase_transfer_{t}" for t in TRANSITIONS.values())

    def prepare(self) -> None:
        """Each transition's table as arrays by (transition, setting code): cumulative shares
        (padded with infinity), whether the setting has a row, and whether each outcome keeps
        the child where they are, so a September's decisions are taken array-at-a-time."""
        names = list(TRANSITIONS.values())
        rows = {(t, SETTING_INDEX[frm]): cumulative(dict(shares))
                for t, name in enumerate(names) for frm, shares in getattr(self.params, name).items()}
        width = max((len(n) for _, n in rows.values()), default=1)
        shape = (len(names), len(SETTINGS) + 1)          # the last code (-1) is "no setting"
        self.cum = np.full((*shape, width), np.inf)
        self.has_row = np.zeros(shape, dtype=bool)
        self.stays = np.ones((*shape, width), dtype=bool)
        self.n_outcomes = np.ones(shape, dtype=np.int64)
        self.outcomes: dict[tuple[int, int], tuple] = {}
        for (t, code), (cum, outcomes) in rows.items():
            self.cum[t, code, :len(cum)] = cum
            self.has_row[t, code] = True
            self.stays[t, code, :len(outcomes)] = [o == SETTINGS[code] for o in outcomes]
            self.n_outcomes[t, code] = len(outcomes)
            self.outcomes[t, code] = outcomes

    def calendar(self):
        m = self.model
        for day, d in zip(m.month_starts, m.month_dates):
            if d.month == 9 and day > 0:
                yield day, stage.PHASE_TRANSFERS, lambda: phase_transfers(m)


def phase_transfers(model) -> int:
    """Re-decide placements of plan holders at a transition this September; returns moves.

    Every plan holder at a transition takes one uniform from one block drawn for the whole
    September, whether or not their setting has a row in the table: a fixed number of draws
    per decision, so that common random numbers hold. The outcomes are chosen array-at-a-time;
    only those who move or cease run as Python."""
    rng = model.streams["phase_transfer"]
    year = model.academic_year
    st = model.stage("transitions")
    holders = model.plan_holders
    ncy = year - holders.cohort_years() - 5
    positions = np.flatnonzero(np.isin(ncy, _NCY))
    u = rng.block(len(positions))
    if len(positions) == 0:
        return 0
    t = np.searchsorted(_NCY, ncy[positions])
    codes = holders.setting_codes()[positions]
    cum = st.cum[t, codes]
    last = cum[np.arange(len(positions)), st.n_outcomes[t, codes] - 1]
    pick = np.minimum((cum <= (u * last)[:, None]).sum(axis=1), st.n_outcomes[t, codes] - 1)
    changes = st.has_row[t, codes] & ~st.stays[t, codes, pick]
    which = np.flatnonzero(changes)
    movers = [(holders.at(i), int(ti), int(code), int(j)) for i, ti, code, j in
              zip(positions[which].tolist(), t[which], codes[which], pick[which])]
    names = list(TRANSITIONS.values())
    moved = 0
    for child, ti, code, j in movers:
        if child.status != PLAN:
            continue
        target = st.outcomes[ti, code][j]
        if target.startswith("cease_"):
            cease(model, child, target[len("cease_"):])
            continue
        cancel_wait(model, child)
        model.recorder.flow(model.now, f"phase_transfer_{names[ti]}")
        place(model, child, target)
        moved += 1
    return moved
