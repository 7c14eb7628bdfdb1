"""The plan holders' registry and the start population drawn array-at-a-time."""

import numpy as np
import pytest

from sendsim.codes import SETTINGS
from sendsim.engine.model import SendModel
from sendsim.engine.population import PlanHolders
from sendsim.parameters import Parameters
from small_council import small_council


class _Child:
    """What the registry reads of a child (hashable by identity, as agents are)."""

    def __init__(self, i, setting=None, waiting=None):
        self.unique_id, self.birth_day, self.cohort = i, -100.0 * i, 2010 + i % 7
        self.setting, self.waiting_for = setting, waiting


_child = _Child


def test_add_many_is_add_then_schedule_review_one_at_a_time():
    kids = [_child(i, SETTINGS[i % len(SETTINGS)] if i % 5 else None, "special" if i % 9 == 0 else None)
            for i in range(1, 3000)]                     # more than the first allocation
    due = np.linspace(0.0, 365.0, len(kids))
    one, many = PlanHolders(), PlanHolders()
    one.add(kids[0])
    many.add(kids[0])
    one.schedule_review(kids[0], 5.0)
    many.schedule_review(kids[0], 5.0)
    for c, d in zip(kids[1:], due[1:]):
        one.add(c)
        one.schedule_review(c, float(d))
    many.add_many(kids[1:], due[1:])
    assert one._items == many._items and one._pos == many._pos
    for name in PlanHolders._ARRAYS:
        n = len(one)
        assert np.array_equal(getattr(one, name)[:n], getattr(many, name)[:n]), name
    one.add(_child(99_999))
    many.add(_child(99_999))
    assert one._next_seq == many._next_seq
    before = (list(many._items), dict(many._pos), many._next_seq)
    with pytest.raises(ValueError, match="already a plan holder"):
        many.add_many([_child(123_456), kids[3]], np.array([1.0, 2.0]))
    assert (list(many._items), dict(many._pos), many._next_seq) == before   # nothing half-added


def test_start_population_matches_the_census_margins_and_the_registries():
    p = Parameters.from_dict(small_council())
    m = SendModel(p, 7)
    holders = m.plan_holders
    start = list(holders._items)             # before the run every holder is from the census
    assert all(-2 * 365.25 <= c.plan_start <= 0 for c in start)
    assert len(holders) == sum(p.start_state.caseload_by_setting.values())
    by_setting = {s: 0 for s in SETTINGS}
    for c in start:
        by_setting[c.setting] += 1
    for s, n in p.start_state.caseload_by_setting.items():
        assert by_setting[s] == n, s
    # the arrays beside the bag say what each child says
    n = len(holders)
    assert holders.birth_days().tolist() == [c.birth_day for c in holders._items]
    assert holders.cohort_years().tolist() == [c.cohort for c in holders._items]
    assert all(m.clock.cohort(c.birth_day) == c.cohort for c in holders._items)
    assert holders.setting_codes().tolist() == [SETTINGS.index(c.setting) for c in holders._items]
    assert np.all(np.isfinite(holders.due_days()[:n])) and np.all(holders.due_days()[:n] >= 0)
    # each first review falls within one review interval, shorter for the under-5s
    gaps = m.stage("reviews").gaps
    ages = (0.0 - holders.birth_days()) / 365.25
    assert np.all(holders.due_days() <= np.where(ages >= 5, gaps[1], gaps[0]))
    assert m.counts == {s: by_setting[s] for s in SETTINGS}
    assert sum(m.plans_by_need.values()) == n
    assert [e for e in m.recorder.entries if e[2] == "start"] == [(c.unique_id, 0, "start") for c in start]


def test_running_counts_agree_with_the_plan_holders_arrays_throughout_a_run():
    """`SendModel.counts` (plans by setting), `plans_by_need` and the places' occupancy are
    running tallies kept beside the registry: checked against it every quarter of a run with
    waiting lists, closures and step-downs."""
    from sendsim.codes import CAPACITY_SETTINGS

    d = small_council()
    # every specialist place full at the start, so that children wait for places
    d["placement"]["places"] = {k: d["start_state"]["caseload_by_setting"][k] for k in d["placement"]["places"]}
    p = Parameters.from_dict(d)
    m = SendModel(p, 11)
    checked = seen_waiting = 0
    for day in np.arange(91.0, m.end_day, 91.0):
        m.env.run(until=float(day))
        holders = m.plan_holders
        codes = holders.setting_codes()
        tally = np.bincount(codes[codes >= 0], minlength=len(SETTINGS))
        assert {s: int(n) for s, n in zip(SETTINGS, tally)} == m.counts
        assert not np.any(codes < 0)                      # every plan holder is somewhere
        need = {}
        for c in holders._items:
            need[c.need] = need.get(c.need, 0) + 1
        assert {k: v for k, v in m.plans_by_need.items() if v} == need
        for s in CAPACITY_SETTINGS:
            assert m.places.occupied(s) == m.counts[s] <= m.places.total[s], s
        waiting = sum(1 for c in holders._items if c.waiting_for is not None)
        assert waiting == int(holders.waiting_flags().sum())
        seen_waiting += waiting
        checked += 1
    assert checked >= 8 and seen_waiting > 0
