import datetime as dt

from sendsim.calendar import (add_months, age_on, census_date, cohort_of, financial_year,
                              financial_year_start, ncy)


def test_census_day_is_third_thursday_of_january():
    assert census_date(2023) == dt.date(2023, 1, 19)   # DfE's January 2023 census
    assert census_date(2024) == dt.date(2024, 1, 18)
    for y in range(2020, 2035):
        d = census_date(y)
        assert d.weekday() == 3 and 15 <= d.day <= 21


def test_national_curriculum_year():
    # born 1 Sep 2015 and 31 Aug 2016 are both in reception in 2020/21
    for birth in (dt.date(2015, 9, 1), dt.date(2016, 8, 31)):
        assert ncy(cohort_of(birth), dt.date(2021, 1, 15)) == 0
        assert ncy(cohort_of(birth), dt.date(2021, 9, 1)) == 1
    # model.md: NCY = age on 31 August (end of the academic year) minus 5
    birth = dt.date(2010, 3, 3)
    assert ncy(cohort_of(birth), dt.date(2022, 1, 1)) == age_on(birth, dt.date(2022, 8, 31)) - 5


def test_financial_year_labels():
    assert financial_year(dt.date(2024, 3, 31)) == "2023-24"
    assert financial_year(dt.date(2024, 4, 1)) == "2024-25"
    assert financial_year(dt.date(1999, 4, 1)) == "1999-00"
    assert financial_year_start("2025-26") == dt.date(2025, 4, 1)


def test_add_months_clips_to_month_end():
    assert add_months(dt.date(2023, 1, 31), 1) == dt.date(2023, 2, 28)
    assert add_months(dt.date(2023, 11, 15), 3) == dt.date(2024, 2, 15)


def test_clock_cohorts_agree_with_cohort_of_the_date_at_every_edge():
    """The array form (the start population) and the scalar form (every request) give the
    cohort of the date a day falls on, including either side of 1 September and days before
    the start (children born before it), and beyond the clock's table of Septembers."""
    import numpy as np

    from sendsim.calendar import Clock

    clock = Clock(dt.date(2023, 1, 19))
    septembers = [clock.day(dt.date(y, 9, 1)) for y in (1990, 2000, 2012, 2016, 2022, 2023, 2030)]
    days = np.array([d + e for d in septembers for e in (-1.5, -1.0, -0.5, 0.0, 0.25, 0.999, 1.0)]
                    + [-30_000.0, -0.5, 0.0, 40_000.0])
    expected = [cohort_of(clock.date(t)) for t in days.tolist()]
    assert clock.cohorts(days).tolist() == expected
    assert [clock.cohort(t) for t in days.tolist()] == expected


def test_clock_september_is_the_day_of_1_september_inside_and_beyond_its_table():
    from sendsim.calendar import Clock

    clock = Clock(dt.date(2021, 1, 14))
    for year in (1900, 1981, 1990, 2020, 2021, 2060, 2061, 2200):
        assert clock.september(year) == clock.day(dt.date(year, 9, 1)), year
