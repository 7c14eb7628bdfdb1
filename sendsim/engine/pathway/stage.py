"""What every stage of the pathway owns, and the order of simultaneous events.

A stage names its section of the council's parameters (`section`), declares the monthly flows
it counts (`FLOWS`), builds its lookup tables once per replication (`prepare`), sets up its
part of the start state (`start`), gives its calendar entries (`calendar`), and declares the
monthly stocks it reports (`STOCKS`, read by `stocks`). The model loops over its stages without
naming them, so one stage's module shows everything that stage does.

Calendar entries on the same day run in the order of their `order` key (then in the order the
stages are listed), all before any pathway event of that day. The keys below are the
documented order; a stage uses the key of the kind of entry it adds.
"""

from __future__ import annotations

from typing import Callable, Iterable

#: A census snapshot on a January census day runs first that day.
CENSUS = -1.0
#: Money for the month just ended, then the month's snapshot of stocks.
CLOSE_MONTH, SNAPSHOT = 0.0, 1.0
#: 1 April: close the financial year.
CLOSE_YEAR = 2.0
#: 1 September: the new academic year, then leaving SEN support at 16, then phase transfers.
NEW_ACADEMIC_YEAR, END_OF_YEAR11, PHASE_TRANSFERS = 3.0, 3.1, 3.2
#: Capacity, places and Safety Valve changes on their dates.
EP_CAPACITY, REVIEW_CAPACITY, PLACES, SAFETY_VALVE = 4.0, 4.1, 4.2, 4.3
#: Interventions in force from this month; then the capacities that follow them.
LEVERS, FOLLOW_LEVERS = 4.5, 4.6
#: The month's demand: review capacity follows the caseload; requests; transfers in; SEN
#: support identified and leaving; ceasing at any time; ceasing by intervention; reaching 25.
REVIEW_STAFFING, REQUESTS, TRANSFERS_IN, SEN_SUPPORT_FLOWS, ANYTIME_CEASING, INTERVENTION_CEASING, MAX_AGE = (
    5.0, 5.1, 5.2, 5.3, 5.4, 5.5, 5.6)
#: The week's annual reviews.
WEEKLY_REVIEWS = 6.0

Entry = tuple[float, float, Callable[[], None]]   # (day, order, what happens)


class Stage:
    """One stage of the statutory pathway in one replication."""

    name: str = ""
    section: str = ""                       # the stage's section of `Parameters`
    FLOWS: tuple[str, ...] = ()             # monthly flows the stage counts
    STOCKS: tuple[str, ...] = ()            # monthly stocks the stage reports

    def __init__(self, model):
        self.model = model
        self.params = getattr(model.params, self.section) if self.section else None

    def prepare(self) -> None:
        """Lookup tables built once per replication from the parameters."""

    def start(self) -> None:
        """The stage's part of the start state (after the start population exists)."""

    def calendar(self) -> Iterable[Entry]:
        """The stage's dated entries: `(day, order, fn)`."""
        return ()

    def stocks(self) -> list:
        """The stage's `STOCKS` now, in that order (taken at each month's first instant)."""
        return []


def months(model) -> Iterable[tuple[int, float, float]]:
    """(month number, first day, day after its last) for every month of the run."""
    starts = model.month_starts
    for i, day in enumerate(starts):
        yield i, day, starts[i + 1] if i + 1 < len(starts) else model.end_day
