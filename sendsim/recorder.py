"""What a run observes, as plain Python records (turned into tables by `results`).

Flows are counted in the calendar month their event falls in, whatever order same-day events
run in. Stocks are snapshots taken at the first instant of each month (and on each January
census day), before any other event of that day.
"""

from __future__ import annotations

import bisect
from collections import defaultdict


class Recorder:
    def __init__(self, month_starts: list[float]):
        self.month_starts = month_starts          # day each monthly period begins
        self.flows: list[defaultdict] = [defaultdict(float) for _ in month_starts]
        self.snapshots: list[dict] = []           # one per month start, in order
        self.census: list[dict] = []              # one per January census day (and the start)
        self.finance: list[dict] = []             # one per monthly period, once closed
        self.financial_years: list[dict] = []     # one per closed financial year
        self.plans_issued: list[tuple] = []       # (child id, request day, issue day, age, need)
        self.entries: list[tuple] = []            # (child id, day, route)
        self.exits: list[tuple] = []              # (child id, day, route)

    def month_of(self, t: float) -> int:
        return max(0, bisect.bisect_right(self.month_starts, t) - 1)

    def flow(self, t: float, name: str, n: float = 1.0) -> None:
        self.flows[self.month_of(t)][name] += n

    def plan_issued(self, child, days: float) -> None:
        self.plans_issued.append((child.unique_id, child.request_day, child.request_day + days,
                                  child.age(child.request_day + days), child.need))

    def entered(self, child, t: float, route: str) -> None:
        self.entries.append((child.unique_id, t, route))

    def exited(self, child, t: float, route: str) -> None:
        self.exits.append((child.unique_id, t, route))
