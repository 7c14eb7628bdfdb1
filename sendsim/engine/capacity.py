"""Finite capacity: Educational Psychologists, caseworkers and specialist places.

- `Team` is a light priority queue on the SimPy clock whose number of workers is set from a
  throughput (advices a month) and the time each piece of work holds a worker (Little's law:
  workers = rate x time). Its capacity can change on a date, e.g. when agency EPs are bought.
- `Places` holds one SimPy `Container` of free places per specialist setting. Taking a place
  is a `get`, leaving one a `put`; a child waiting for a place is a pending `get`, so places are
  offered first come, first served, and no setting ever holds more children than its places.
- `ReviewBacklog` is the casework team's throughput of annual reviews, worked oldest first in
  weekly batches (reviews are too many to be individual events: some 59,000 a replication).
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np
import simpy

from sendsim.calendar import DAYS_PER_MONTH, DAYS_PER_WEEK
from sendsim.codes import CAPACITY_SETTINGS


class Team:
    """Workers who each hold one piece of work for `hold_days`; throughput set per month.

    A light queue on the SimPy clock: work waits in one first-come-first-served queue per
    priority (lower numbers first, e.g. assessments a service fast-tracks past its backlog);
    when a worker is free it starts, and a timed callback `hold_days` later frees the worker
    and hands the work on. No generator per piece of work and no re-sorted request list: a
    replication has some 10,000 assessments.
    """

    def __init__(self, env: simpy.Environment, per_month: float, hold_days: float, priorities: int = 2):
        self.env = env
        self.hold_days = hold_days
        self.per_month = per_month
        self.capacity = self.slots_for(per_month)
        self.count = 0                                   # work in hand
        self._queues = [deque() for _ in range(priorities)]

    def slots_for(self, per_month: float) -> int:
        """Little's law: workers = throughput x time each piece of work is held."""
        return max(0, round(per_month * self.hold_days / DAYS_PER_MONTH))

    def join(self, on_done, priority: int = 1, hold: float | None = None, on_start=None) -> None:
        """Queue a piece of work; `on_done()` is called when a worker has held it for `hold`
        days (default `hold_days`), `on_start()` (if given) when a worker takes it."""
        self._queues[priority].append((on_done, self.hold_days if hold is None else hold, on_start))
        self._start_waiting()

    def set_throughput(self, per_month: float) -> None:
        """Change capacity from now on. Work in hand finishes; waiting work starts if room."""
        self.per_month = per_month
        self.capacity = self.slots_for(per_month)
        self._start_waiting()

    @property
    def queue_length(self) -> int:
        return sum(len(q) for q in self._queues)

    def _start_waiting(self) -> None:
        queues = self._queues
        while self.count < self.capacity:
            for queue in queues:
                if queue:
                    break
            else:
                return
            on_done, hold, on_start = queue.popleft()
            self.count += 1
            if on_start is not None:
                on_start()
            self.env.timeout(hold).callbacks.append(lambda _ev, f=on_done: self._finish(f))

    def _finish(self, on_done) -> None:
        self.count -= 1
        self._start_waiting()
        on_done()


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
    """The casework team's throughput of annual reviews: at most `per_month` a month, worked in
    weekly batches, oldest due first. The due days themselves are an array beside the plan
    holders (`PlanHolders.due`), so a week's batch is chosen and decided array-at-a-time."""

    def __init__(self, per_month: float):
        self.per_month = per_month
        self._budget = 0.0

    def week_budget(self) -> int:
        """Reviews the team can hold this week (unused capacity carries over by under one)."""
        per_week = self.per_month * DAYS_PER_WEEK / DAYS_PER_MONTH
        self._budget = min(self._budget + per_week, per_week + 1.0)
        return int(self._budget) if self._budget >= 1.0 else 0

    def spend(self, n: int) -> None:
        self._budget -= n

    def due(self, now: float, due_days: np.ndarray, order_keys: np.ndarray) -> np.ndarray:
        """Positions of the reviews held this week: due by `now`, oldest first (ties in the order
        they were scheduled, `order_keys`), as many as the week's budget allows."""
        budget = self.week_budget()
        idx = np.flatnonzero(due_days <= now)
        if len(idx) == 0 or budget == 0:
            return idx[:0]
        order = idx[np.lexsort((order_keys[idx], due_days[idx]))][:budget]
        self.spend(len(order))
        return order

    @staticmethod
    def overdue(now: float, due_days: np.ndarray) -> int:
        """Reviews due by `now` and not yet held."""
        return int(np.count_nonzero(due_days <= now))
