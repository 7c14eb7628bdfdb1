"""What a run observes, as plain Python records (turned into tables by `tables`).

Flows are counted in the calendar month their event falls in, whatever order same-day events
run in, into a month-by-flow grid allocated at the start. Monthly stocks are taken as one row
per month at its first instant; census snapshots on each January census day; both before any
other event that day.
"""

from __future__ import annotations

import bisect
from sendsim.engine.ledger import HighNeedsBlock
from sendsim.engine.pathway import STAGES

#: Every monthly flow, so that a table always has every column (zero when nothing happened):
#: each stage's own (declared in its module), then the High Needs Block's.
FLOWS: tuple[str, ...] = tuple(dict.fromkeys(
    [f for s in STAGES for f in s.FLOWS] + list(HighNeedsBlock.FLOWS)))
FLOW_INDEX: dict[str, int] = {f: i for i, f in enumerate(FLOWS)}


class Recorder:
    def __init__(self, month_starts: list[float], stock_names: tuple[str, ...]):
        self.month_starts = month_starts          # day each monthly period begins
        self.flows: list[list[float]] = [[0.0] * len(FLOWS) for _ in month_starts]
        self.stock_names = stock_names            # the columns of each row of `stocks`
        self.stocks: list[list] = []              # one row per month, at its first instant
        self.census: list[dict] = []              # one per January census day (and the start)
        self.finance: list[dict] = []             # one per monthly period, once closed
        self.financial_years: list[dict] = []     # one per closed financial year
        self.before_start: dict = {}              # money from the opening balance to the start
        self.plans_issued: list[tuple] = []       # (child id, request day, issue day, age, need)
        self.entries: list[tuple] = []            # (child id, day, route)
        self.exits: list[tuple] = []              # (child id, day, route)
        self._last, self._span = 0, (float("inf"), float("-inf"))

    def month_of(self, t: float) -> int:
        lo, hi = self._span            # most flows fall in the month last looked up
        if lo <= t < hi:
            return self._last
        i = max(0, bisect.bisect_right(self.month_starts, t) - 1)
        self._last = i
        self._span = (self.month_starts[i], self.month_starts[i + 1] if i + 1 < len(self.month_starts) else float("inf"))
        return i

    def flow(self, t: float, name: str, n: float = 1.0) -> None:
        """Count `n` of flow `name` (one of FLOWS) in the month of time t."""
        lo, hi = self._span
        try:
            self.flows[self._last if lo <= t < hi else self.month_of(t)][FLOW_INDEX[name]] += n
        except KeyError:   # a process counted a flow nobody declared: fail loudly, not silently
            raise RuntimeError(f"undeclared flow {name!r}: add it to its stage's FLOWS") from None

    def flow_in(self, month: int, name: str) -> float:
        """How much of flow `name` month number `month` has counted so far."""
        return self.flows[month][FLOW_INDEX[name]]

    def plan_issued(self, child, days: float) -> None:
        self.plans_issued.append((child.unique_id, child.request_day, child.request_day + days,
                                  child.age(child.request_day + days), child.need))

    def entered(self, child, t: float, route: str) -> None:
        self.entries.append((child.unique_id, t, route))

    def entered_many(self, children, t: float, route: str) -> None:
        self.entries.extend((c.unique_id, t, route) for c in children)

    def exited(self, child, t: float, route: str) -> None:
        self.exits.append((child.unique_id, t, route))
