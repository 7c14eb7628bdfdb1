"""School and financial calendars on the simulation clock.

Simulation time is a Python float counting days since the run's start date (SimPy's clock).
National curriculum year (NCY) is age on 31 August minus 5; the financial year runs April to
March and is labelled like DfE's files, "2023-24".
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
from dataclasses import dataclass

import numpy as np

DAYS_PER_YEAR = 365.25
DAYS_PER_MONTH = DAYS_PER_YEAR / 12
DAYS_PER_WEEK = 7.0


def academic_year_start(d: dt.date) -> int:
    """Calendar year in which the academic year containing `d` began (1 September)."""
    return d.year if d.month >= 9 else d.year - 1


def cohort_of(birth: dt.date) -> int:
    """Academic cohort: the academic year (by its starting calendar year) of birth.

    Children born 1 Sep 2015 to 31 Aug 2016 share cohort 2015 and are in NCY 0 (reception)
    in academic year 2020/21. Keying children by cohort means nobody is re-filed each September.
    """
    return academic_year_start(birth)


def ncy(cohort: int, on: dt.date) -> int:
    """National curriculum year on a date for a cohort (reception = 0, Year 11 = 11)."""
    return academic_year_start(on) - cohort - 5


def age_on(birth: dt.date, on: dt.date) -> int:
    """Age in whole years on a date."""
    years = on.year - birth.year
    if (on.month, on.day) < (birth.month, birth.day):
        years -= 1
    return years


def financial_year(d: dt.date) -> str:
    """DfE-style financial year label, e.g. 2023-04-01 -> '2023-24'."""
    start = d.year if d.month >= 4 else d.year - 1
    return f"{start}-{str(start + 1)[2:]}"


def financial_year_start(label: str) -> dt.date:
    """1 April of a financial year label such as '2023-24'."""
    return dt.date(int(label[:4]), 4, 1)


def add_months(d: dt.date, months: int) -> dt.date:
    """Same day-of-month `months` later (clipped to the month's end)."""
    m = d.month - 1 + months
    y = d.year + m // 12
    m = m % 12 + 1
    for day in (d.day, 30, 29, 28):
        try:
            return dt.date(y, m, day)
        except ValueError:
            continue
    raise ValueError(d)  # pragma: no cover


def first_of_next_month(d: dt.date) -> dt.date:
    return add_months(d.replace(day=1), 1)


def census_date(year: int) -> dt.date:
    """DfE January census day: the third Thursday of January."""
    d = dt.date(year, 1, 1)
    first_thursday = d + dt.timedelta(days=(3 - d.weekday()) % 7)
    return first_thursday + dt.timedelta(days=14)


@dataclass(frozen=True)
class Clock:
    """Converts between calendar dates and simulation days for one run."""

    start: dt.date

    def day(self, d: dt.date) -> float:
        return float((d - self.start).days)

    def date(self, t: float) -> dt.date:
        return self.start + dt.timedelta(days=int(t))

    def cohort(self, t: float) -> int:
        """`cohort_of(self.date(t))` without making a date: every request and new child needs
        one. The 1 September days of the years around the start are worked out once."""
        days, first = self._septembers
        i = bisect.bisect_right(days, float(int(t)))
        if 0 < i < len(days):
            return first + i - 1
        return cohort_of(self.date(t))

    def september(self, year: int) -> float:
        """The simulation day of 1 September `year` (`day(date(year, 9, 1))`, from the table)."""
        days, first = self._septembers
        i = year - first
        return days[i] if 0 <= i < len(days) else self.day(dt.date(year, 9, 1))

    @functools.cached_property
    def _septembers(self) -> tuple[list[float], int]:
        """(simulation day of 1 September, first year) for forty years either side of the start."""
        years = range(self.start.year - 40, self.start.year + 40)
        return [self.day(dt.date(y, 9, 1)) for y in years], years.start

    def cohorts(self, ts: np.ndarray) -> np.ndarray:
        """`cohort` of every day in `ts` at once (the start population)."""
        days, first = self._septembers
        i = np.searchsorted(np.asarray(days), np.trunc(ts), side="right")
        if np.all((i > 0) & (i < len(days))):
            return first + i - 1
        return np.array([self.cohort(t) for t in ts.tolist()], dtype=np.int64)

