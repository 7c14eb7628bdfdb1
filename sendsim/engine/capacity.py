"""Finite capacity: Educational Psychologists, caseworkers and specialist places.

- `Team` is a light priority queue on the SimPy clock whose number of workers is set from a
  throughput (advices a month) and the time each piece of work holds a worker (Little's law:
  workers = rate x time). Its capacity can change on a date, e.g. when agency EPs are bought.
- `Places` counts the free places of each specialist setting; a child waiting for a place holds
  a `PlaceRequest` (a SimPy event) in a first-come-first-served queue, granted as places fall
  vacant, so no setting ever holds more children than its places.
- `ReviewBacklog` is the casework team's throughput of annual reviews, worked oldest first in
  weekly batches (reviews are too many to be individual events: some 59,000 a replication).
"""

from __future__ import annotations

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


class PlaceRequest(simpy.Event):
    """A child's (or a closure's) turn in the queue for a place: succeeds when the place is
    theirs. `cancel()` leaves the queue (a child who leaves the area, or is re-placed)."""

    def __init__(self, env: simpy.Environment, queue: deque):
        super().__init__(env)
        self._queue = queue

    def cancel(self) -> None:
        if not self.triggered:
            self._queue.remove(self)


class Places:
    """The places in each capacity setting: free places counted, and a first-come-first-served
    queue of `PlaceRequest` events for those waiting.

    Taking a free place, or leaving one that nobody is waiting for, is a change of count: as
    SimPy `Container`s these were an event on the heap each (a fifth of a replication's events),
    though only a vacancy someone is waiting for needs one. That is handed on as a container's
    put would be: the vacancy is an event of this instant, and when it is processed the first in
    the queue is granted the place (their request succeeds, and its callbacks run when that is
    processed). Nobody jumps the queue, and no setting ever holds more children than places.
    """

    def __init__(self, env: simpy.Environment, places: dict[str, float],
                 occupied: dict[str, int]):
        self.env = env
        self.total: dict[str, int] = {}
        self.free: dict[str, int] = {}
        self.queues: dict[str, deque] = {s: deque() for s in CAPACITY_SETTINGS}
        self._pending_closures: dict[str, int] = {s: 0 for s in CAPACITY_SETTINGS}
        for s in CAPACITY_SETTINGS:
            n = int(places.get(s, 0))
            used = occupied.get(s, 0)
            if used > n:
                raise ValueError(f"{s}: {used} children but only {n} places")
            self.total[s] = n
            self.free[s] = n - used

    def has_free(self, setting: str) -> bool:
        """A place nobody is queueing for. A place just vacated is owed to the first in the
        queue even before the vacancy is processed, so the queue is counted."""
        return self.free[setting] >= 1 + len(self.queues[setting])

    def take_now(self, setting: str) -> None:
        """Occupy a free place (caller checked `has_free`)."""
        self._serve(setting)
        if self.free[setting] < 1:
            raise RuntimeError(f"took a {setting} place that was not free")
        self.free[setting] -= 1

    def wait_for(self, setting: str) -> PlaceRequest:
        """A request for the next free place: granted now if one is free, else in turn."""
        queue = self.queues[setting]
        request = PlaceRequest(self.env, queue)
        queue.append(request)
        self._serve(setting)
        return request

    def leave(self, setting: str) -> None:
        self._vacate(setting, 1)

    def waiting(self, setting: str) -> int:
        return len(self.queues[setting]) - (1 if self._pending_closures[setting] else 0)

    def occupied(self, setting: str) -> int:
        return self.total[setting] - self.free[setting]

    def change(self, setting: str, places: int) -> None:
        """Open places now, or close them as they fall vacant (nobody is moved out)."""
        if places == 0:
            return
        if places > 0:
            self.total[setting] += places
            self._vacate(setting, places)
            return
        self.env.process(self._close(setting, -places))

    def _vacate(self, setting: str, n: int) -> None:
        self.free[setting] += n
        if self.queues[setting]:
            vacancy = simpy.Event(self.env)
            vacancy.callbacks.append(lambda _ev: self._serve(setting))
            vacancy.succeed()

    def _serve(self, setting: str) -> None:
        queue = self.queues[setting]
        while queue and self.free[setting] >= 1:
            self.free[setting] -= 1
            queue.popleft().succeed()

    def _close(self, setting: str, n: int):
        # one place at a time, so waiting children keep their turn between closures
        self._pending_closures[setting] += n
        for _ in range(n):
            yield self.wait_for(setting)
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
