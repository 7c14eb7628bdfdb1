"""Finite capacity: Educational Psychologists, caseworkers and specialist places.

- `Team` is a SimPy `PriorityResource` whose capacity is set from a throughput (advices a month) and
  the elapsed time each piece of work holds a worker (Little's law: slots = rate x time). Its
  capacity can change on a date, e.g. when agency EPs are bought for a period.
- `Places` holds one SimPy `Container` of free places per specialist setting. Taking a place
  is a `get`, leaving one a `put`; a child waiting for a place is a pending `get`, so places are
  offered first come, first served, and no setting ever holds more children than its places.
- `ReviewBacklog` is the casework team's queue of annual reviews, worked oldest first in weekly
  batches up to the team's throughput (reviews are too many to be individual SimPy requests
  within the engine's time budget; the batch keeps the same capacity semantics).
"""

from __future__ import annotations

import bisect
import heapq
import math

import simpy

from .calendar import DAYS_PER_MONTH, DAYS_PER_WEEK
from .codes import CAPACITY_SETTINGS


class _InsortQueue(list):
    """SimPy's sorted request queue, kept sorted by insertion (O(log n) search) rather than by
    re-sorting the whole list on every request; equal keys keep arrival order."""

    def __init__(self, maxlen=None):
        super().__init__()
        self.maxlen = maxlen

    def append(self, item) -> None:
        bisect.insort_right(self, item, key=lambda e: e.key)


class Team(simpy.PriorityResource):
    """Workers who each hold one piece of work for `hold_days`; throughput set per month.

    Requests with a lower `priority` number are served first (first come, first served within
    a priority), e.g. assessments a service fast-tracks past its backlog."""

    PutQueue = _InsortQueue

    def __init__(self, env: simpy.Environment, per_month: float, hold_days: float):
        self.hold_days = hold_days
        super().__init__(env, capacity=1)          # SimPy refuses 0; a team may have none
        self._capacity = self.slots_for(per_month)
        self.per_month = per_month

    def slots_for(self, per_month: float) -> int:
        return max(0, round(per_month * self.hold_days / DAYS_PER_MONTH))

    @property
    def capacity(self) -> int:  # SimPy reads this on every request
        return self._capacity

    def set_throughput(self, per_month: float) -> None:
        """Change capacity from now on. Work in hand finishes; waiting work starts if room."""
        self.per_month = per_month
        self._capacity = self.slots_for(per_month)
        # SimPy admits one waiting request per trigger; admit as many as the new slots allow
        while self.put_queue and len(self.users) < self._capacity:
            before = len(self.put_queue)
            self._trigger_put(None)
            if len(self.put_queue) == before:
                break

    @property
    def queue_length(self) -> int:
        return len(self.queue)


class Places:
    """Free places in each capacity setting, as SimPy containers."""

    def __init__(self, env: simpy.Environment, places: dict[str, float],
                 occupied: dict[str, int]):
        self.env = env
        self.total: dict[str, int] = {}
        self.free: dict[str, simpy.Container] = {}
        self._pending_closures: dict[str, int] = {s: 0 for s in CAPACITY_SETTINGS}
        for s in CAPACITY_SETTINGS:
            n = int(places.get(s, 0))
            used = occupied.get(s, 0)
            if used > n:
                raise ValueError(f"{s}: {used} children but only {n} places")
            self.total[s] = n
            self.free[s] = simpy.Container(env, capacity=math.inf, init=n - used)

    def has_free(self, setting: str) -> bool:
        """A place nobody is queueing for. A place just vacated is owed to the first in the
        queue even before SimPy processes the vacancy, so queued requests are counted."""
        c = self.free[setting]
        return c.level >= 1 + len(c.get_queue)     # every request here is for one place

    def take_now(self, setting: str) -> None:
        """Occupy a free place (caller checked `has_free`)."""
        if not self.free[setting].get(1).triggered:
            raise RuntimeError(f"took a {setting} place that was not free")

    def wait_for(self, setting: str) -> simpy.events.Event:
        """A request for the next free place; yield it."""
        return self.free[setting].get(1)

    def leave(self, setting: str) -> None:
        self.free[setting].put(1)

    def waiting(self, setting: str) -> int:
        return len(self.free[setting].get_queue) - (1 if self._pending_closures[setting] else 0)

    def occupied(self, setting: str) -> int:
        return self.total[setting] - int(self.free[setting].level)

    def change(self, setting: str, places: int) -> None:
        """Open places now, or close them as they fall vacant (nobody is moved out)."""
        if places == 0:
            return
        if places > 0:
            self.total[setting] += places
            self.free[setting].put(places)
            return
        self.env.process(self._close(setting, -places))

    def _close(self, setting: str, n: int):
        # one place at a time, so waiting children keep their turn between closures
        self._pending_closures[setting] += n
        for _ in range(n):
            yield self.free[setting].get(1)
            self.total[setting] -= 1
            self._pending_closures[setting] -= 1


class ReviewBacklog:
    """Annual reviews due, worked oldest first, at most `per_month` a month."""

    def __init__(self, per_month: float):
        self.per_month = per_month
        self._heap: list[tuple[float, int, object]] = []
        self._seq = 0
        self._budget = 0.0

    def schedule(self, due_day: float, child) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (due_day, self._seq, child))

    def due(self, now: float, is_current) -> list:
        """The reviews the team completes this week: due by `now`, oldest first.

        `is_current(child, due_day)` filters out reviews cancelled since they were scheduled
        (the child left or was re-scheduled).
        """
        self._budget = min(self._budget + self.per_month * DAYS_PER_WEEK / DAYS_PER_MONTH,
                           self.per_month * DAYS_PER_WEEK / DAYS_PER_MONTH + 1.0)
        done = []
        heap, pop, budget = self._heap, heapq.heappop, self._budget
        while heap and heap[0][0] <= now and budget >= 1.0:
            due_day, _, child = pop(heap)
            if is_current(child, due_day):
                done.append((due_day, child))
                budget -= 1.0
        self._budget = budget
        return done

    def overdue(self, now: float, is_current) -> int:
        """Reviews due by `now` and not yet held (walks only the due part of the heap)."""
        heap, n, stack = self._heap, 0, [0] if self._heap else []
        while stack:
            i = stack.pop()
            d, _, c = heap[i]
            if d > now:
                continue            # heap order: nothing below is due either
            n += is_current(c, d)
            stack.extend(j for j in (2 * i + 1, 2 * i + 2) if j < len(heap))
        return n
