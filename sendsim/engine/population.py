"""Children and young people (Mesa agents) and the start population.

A child is a `mesa.Agent` held by the Mesa model's agent set. Besides Mesa's set, the model keeps
fast registries (SEN support pupils by academic cohort, plan holders) so that picking a random
SEN support pupil of a given year group, or every plan holder, costs O(1) per child.
"""

from __future__ import annotations

from typing import Generic, Iterator, TypeVar

import mesa
import numpy as np

from sendsim.codes import AGE_BANDS, SETTINGS, SETTINGS_BY_AGE_BAND

SETTING_INDEX = {s: i for i, s in enumerate(SETTINGS)}

# Statuses on the statutory pathway
SEN_SUPPORT = "sen_support"
REQUESTED = "requested"        # request made, decision to assess pending
ASSESSING = "assessing"        # agreed to assess, waiting for or in EP advice, or drafting
PLAN = "plan"                  # holds an EHC plan
REFUSED = "refused"            # refused, will be requested for again later
GONE = "gone"                  # left the model (the exit log says how)

T = TypeVar("T")


class IndexedBag(Generic[T]):
    """A set with O(1) add, remove and uniform random pick."""

    __slots__ = ("_items", "_pos")

    def __init__(self):
        self._items: list[T] = []
        self._pos: dict[T, int] = {}

    def add(self, x: T) -> None:
        if x in self._pos:
            return
        self._pos[x] = len(self._items)
        self._items.append(x)

    def discard(self, x: T) -> None:
        i = self._pos.pop(x, None)
        if i is None:
            return
        last = self._items.pop()
        if i < len(self._items):
            self._items[i] = last
            self._pos[last] = i

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, x) -> bool:
        return x in self._pos

    def __iter__(self) -> Iterator[T]:
        return iter(list(self._items))

    def at(self, i: int) -> T:
        return self._items[i]


class PlanHolders(IndexedBag):
    """Plan holders, with arrays kept in step with the bag (position i is the i-th holder):
    birth days and academic cohorts, for monthly age counts, the 25th-birthday check and the
    September transfers; and each plan's next annual review (due day, and the order reviews
    were scheduled in), so that a week's reviews are chosen and decided array-at-a-time."""

    __slots__ = ("births", "cohorts", "due", "scheduled", "settings", "waiting", "_next_seq")
    _ARRAYS = ("births", "cohorts", "due", "scheduled", "settings", "waiting")

    def __init__(self):
        super().__init__()
        self.births = np.empty(1024, dtype=float)
        self.cohorts = np.empty(1024, dtype=np.int64)
        self.due = np.empty(1024, dtype=float)
        self.scheduled = np.empty(1024, dtype=np.int64)
        self.settings = np.empty(1024, dtype=np.int64)    # index into SETTINGS, -1 for none
        self.waiting = np.empty(1024, dtype=bool)         # waiting for a specialist place
        self._next_seq = 0

    def add(self, x) -> None:
        pos = self._pos
        if x in pos:
            return
        n = len(self._items)
        self._reserve(n + 1)
        self.births[n] = x.birth_day
        self.cohorts[n] = x.cohort
        self.due[n] = np.inf              # no review due until one is scheduled
        self.scheduled[n] = 0
        self.settings[n] = SETTING_INDEX.get(x.setting, -1)
        self.waiting[n] = x.waiting_for is not None
        pos[x] = n
        self._items.append(x)

    def add_many(self, children: list, due_days: np.ndarray) -> None:
        """Add new holders at once (the start population), each with its first review due on
        `due_days`, scheduled in list order: what `add` then `schedule_review` would do."""
        pos = self._pos
        for c in children:
            if c in pos:
                raise ValueError(f"child {c.unique_id} is already a plan holder")
        n0, k = len(self._items), len(children)
        self._reserve(n0 + k)
        end = n0 + k
        self.births[n0:end] = [c.birth_day for c in children]
        self.cohorts[n0:end] = [c.cohort for c in children]
        self.due[n0:end] = due_days
        self.scheduled[n0:end] = np.arange(self._next_seq, self._next_seq + k)
        self._next_seq += k
        self.settings[n0:end] = [SETTING_INDEX.get(c.setting, -1) for c in children]
        self.waiting[n0:end] = [c.waiting_for is not None for c in children]
        pos.update(zip(children, range(n0, end)))
        self._items.extend(children)

    def _reserve(self, n: int) -> None:
        """Room for `n` holders in every array (doubling, so adds stay O(1) on average)."""
        while n > len(self.births):
            for name in self._ARRAYS:
                a = getattr(self, name)
                setattr(self, name, np.concatenate([a, np.empty_like(a)]))

    def discard(self, x) -> None:
        i = self._pos.get(x)
        if i is None:
            return
        last = len(self._items) - 1
        for name in self._ARRAYS:
            a = getattr(self, name)
            a[i] = a[last]
        super().discard(x)

    def schedule_review(self, x, due_day: float) -> None:
        i = self._pos[x]
        self.due[i] = due_day
        self.scheduled[i] = self._next_seq
        self._next_seq += 1

    def schedule_reviews(self, positions: np.ndarray, due_days: np.ndarray) -> None:
        """Next reviews of many holders at once, scheduled in the order of `positions`."""
        k = len(positions)
        self.due[positions] = due_days
        self.scheduled[positions] = np.arange(self._next_seq, self._next_seq + k)
        self._next_seq += k

    def moved(self, x, setting: str | None) -> None:
        """`x` is now in `setting` (a no-op for a child without a plan)."""
        i = self._pos.get(x)
        if i is not None:
            self.settings[i] = SETTING_INDEX.get(setting, -1)

    def set_waiting(self, x, waiting: bool) -> None:
        i = self._pos.get(x)
        if i is not None:
            self.waiting[i] = waiting

    def setting_codes(self) -> np.ndarray:
        return self.settings[:len(self._items)]

    def waiting_flags(self) -> np.ndarray:
        return self.waiting[:len(self._items)]

    def birth_days(self) -> np.ndarray:
        return self.births[:len(self._items)]

    def cohort_years(self) -> np.ndarray:
        return self.cohorts[:len(self._items)]

    def due_days(self) -> np.ndarray:
        return self.due[:len(self._items)]

    def schedule_order(self) -> np.ndarray:
        return self.scheduled[:len(self._items)]


class Child(mesa.Agent):
    """A child or young person with special educational needs.

    Times are simulation days (floats). `cohort` is the academic year of birth, so NCY is
    derived from the date rather than stored and re-filed every September.
    """

    # Until set on a child, these read the class's None: a replication makes some 15,000
    # children, and writing five Nones into each was a tenth of making one.
    setting: str | None = None        # where the child is educated while holding a plan
    plan_start: float | None = None
    request_day: float | None = None
    waiting_for: str | None = None    # specialist setting the child waits for
    waiting_request = None            # the `PlaceRequest` to cancel on leaving

    def __init__(self, model, birth_day: float, cohort: int, need: str, status: str):
        super().__init__(model)
        self.birth_day = birth_day
        self.cohort = cohort
        self.need = need
        self.status = status

    def age(self, t: float) -> int:
        return int((t - self.birth_day) / 365.25)

    def remove(self) -> None:
        """Leave the model's agents (Mesa's `remove` without its guard against a second
        removal, which `SendModel.leave` refuses outright)."""
        self.model.deregister_agent(self)


def start_joint_table(by_setting: dict[str, float], by_band: dict[str, float],
                      iterations: int = 200) -> dict[tuple[str, str], int]:
    """Children by (age band, setting) matching both census margins exactly.

    Iterative proportional fitting over the cells that make sense (no under-5s in FE...), then
    integer rounding that keeps both margins. The census gives the margins, not the joint table.
    """
    bands = [b for b in AGE_BANDS if by_band.get(b, 0) > 0]
    settings = [s for s in SETTINGS if by_setting.get(s, 0) > 0]
    m = np.array([[1.0 if s in SETTINGS_BY_AGE_BAND[b] else 0.0 for s in settings] for b in bands])
    row_t = np.array([by_band[b] for b in bands], dtype=float)
    col_t = np.array([by_setting[s] for s in settings], dtype=float)
    for _ in range(iterations):
        rs = m.sum(axis=1)
        m *= np.divide(row_t, rs, out=np.zeros_like(rs), where=rs > 0)[:, None]
        cs = m.sum(axis=0)
        m *= np.divide(col_t, cs, out=np.zeros_like(cs), where=cs > 0)[None, :]
    # integerise: floor, then hand out the remainder by largest fractions within column totals
    out = np.floor(m).astype(int)
    frac = m - out
    col_short = col_t.astype(int) - out.sum(axis=0)
    row_short = row_t.astype(int) - out.sum(axis=1)
    order = np.dstack(np.unravel_index(np.argsort(-frac, axis=None), frac.shape))[0]
    for i, j in order:
        if col_short[j] > 0 and row_short[i] > 0 and m[i, j] > 0:
            out[i, j] += 1
            col_short[j] -= 1
            row_short[i] -= 1
    # anything left (tiny cases) goes to any allowed cell with room in its row
    for j in range(len(settings)):
        while col_short[j] > 0:
            i = int(np.argmax(np.where(m[:, j] > 0, row_short, -1)))
            out[i, j] += 1
            col_short[j] -= 1
            row_short[i] -= 1
    return {(bands[i], settings[j]): int(out[i, j])
            for i in range(len(bands)) for j in range(len(settings)) if out[i, j] > 0}


#: Single years of age in each band, for drawing a date of birth within a band.
AGES_IN_BAND: dict[str, tuple[int, ...]] = {
    "under_5": (2, 3, 4), "5_10": tuple(range(5, 11)), "11_15": tuple(range(11, 16)),
    "16_19": tuple(range(16, 20)), "20_25": tuple(range(20, 25)),
}
