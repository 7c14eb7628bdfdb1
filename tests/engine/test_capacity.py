"""Capacity: the EP team as a queue checked against queueing theory; places never overfilled."""

import math

import numpy as np
import pytest
import simpy

from sendsim.calendar import DAYS_PER_MONTH
from sendsim.engine.capacity import Places, ReviewBacklog, Team


def erlang_c_wait(lam: float, mu: float, c: int) -> float:
    """Mean wait in queue of an M/M/c queue (Erlang C)."""
    a = lam / mu
    rho = a / c
    top = a ** c / math.factorial(c) / (1 - rho)
    p_wait = top / (sum(a ** k / math.factorial(k) for k in range(c)) + top)
    return p_wait / (c * mu - lam)


def test_team_queue_matches_erlang_c():
    c, lam, mu, n = 3, 1.8, 1.0, 100_000
    env = simpy.Environment()
    team = Team(env, per_month=c, hold_days=DAYS_PER_MONTH)   # Little's law: c slots
    assert team.capacity == c
    rng = np.random.default_rng(7)
    waits = []

    def customer(service):
        arrive = env.now
        team.join(lambda: None, hold=service, on_start=lambda: waits.append(env.now - arrive))

    def arrivals():
        for gap, service in zip(rng.exponential(1 / lam, n).tolist(), rng.exponential(1 / mu, n).tolist()):
            yield env.timeout(gap)
            customer(service)

    env.process(arrivals())
    env.run()
    simulated = float(np.mean(waits[2000:]))   # drop the warm-up
    theory = erlang_c_wait(lam, mu, c)
    assert abs(simulated - theory) / theory < 0.07, (simulated, theory)


def test_team_throughput_change_admits_waiting_work():
    env = simpy.Environment()
    team = Team(env, per_month=1, hold_days=DAYS_PER_MONTH)  # one slot
    started = []

    def job(i):
        team.join(lambda: None, hold=100, on_start=lambda: started.append((i, env.now)))

    for i in range(3):
        job(i)
    env.run(until=1)
    assert [i for i, _ in started] == [0]
    team.set_throughput(3)          # agency EPs: three slots from day 1
    env.run(until=2)
    assert sorted(i for i, _ in started) == [0, 1, 2]
    assert all(t >= 1 for i, t in started if i > 0)


def test_places_first_come_first_served_and_never_overfilled():
    env = simpy.Environment()
    places = Places(env, {"special": 2, "resource_base": 0, "specialist_post16": 0},
                    {"special": 2})
    assert not places.has_free("special")
    got = []

    def waiter(name):
        yield places.wait_for("special")
        got.append((name, env.now))

    for name in "abc":
        env.process(waiter(name))
    env.run(until=1)
    assert places.waiting("special") == 3 and got == []

    def vacancies():
        yield env.timeout(5)
        places.leave("special")
        yield env.timeout(5)
        places.change("special", 2)       # two new places open

    env.process(vacancies())
    env.run(until=20)
    assert got == [("a", 6), ("b", 11), ("c", 11)]   # started at day 1
    assert places.occupied("special") <= places.total["special"]


def test_closing_places_waits_for_vacancies():
    env = simpy.Environment()
    places = Places(env, {"special": 3, "resource_base": 0, "specialist_post16": 0},
                    {"special": 3})
    places.change("special", -2)           # close two places; nobody is moved out
    env.run(until=1)
    assert places.total["special"] == 3
    places.leave("special")
    env.run(until=2)
    assert places.total["special"] == 2 and places.occupied("special") == 2
    places.leave("special")
    env.run(until=3)
    assert places.total["special"] == 1 and places.occupied("special") == 1


def test_review_backlog_oldest_first_within_capacity():
    backlog = ReviewBacklog(per_month=DAYS_PER_MONTH / 7 * 2)   # two reviews a week
    names = ["c", "a", "b", "later"]
    due = np.array([3.0, 1.0, 2.0, 50.0])
    order = np.arange(4)
    done = backlog.due(7.0, due, order)
    assert [names[i] for i in done] == ["a", "b"]
    due[done] = np.inf                             # held: not due again until rescheduled
    done = backlog.due(14.0, due, order)
    assert [names[i] for i in done] == ["c"]          # "later" is not due yet
    due[done] = np.inf
    assert backlog.overdue(60.0, due) == 1


def test_review_backlog_ties_go_in_the_order_scheduled():
    backlog = ReviewBacklog(per_month=DAYS_PER_MONTH / 7 * 2)
    due = np.array([5.0, 5.0, 5.0])
    scheduled = np.array([2, 0, 1])
    assert backlog.due(7.0, due, scheduled).tolist() == [1, 2]


def test_team_serves_fast_tracked_work_first():
    env = simpy.Environment()
    team = Team(env, per_month=1, hold_days=DAYS_PER_MONTH)   # one worker
    order = []
    for name, priority in [("first", 1), ("in turn", 1), ("fast", 0)]:
        team.join(lambda n=name: order.append(n), priority=priority, hold=1.0)
    env.run()
    assert order == ["first", "fast", "in turn"]


def test_a_vacancy_is_owed_to_the_queue_and_a_cancelled_wait_gives_up_its_turn():
    env = simpy.Environment()
    places = Places(env, {"special": 1, "resource_base": 0, "specialist_post16": 0},
                    {"special": 1})
    first, second = places.wait_for("special"), places.wait_for("special")
    granted = []
    second.callbacks.append(lambda ev: granted.append("second"))
    first.cancel()                                  # the first child leaves the area
    assert places.waiting("special") == 1
    places.leave("special")
    # vacated, not yet handed on: still nobody else may take it
    assert not places.has_free("special")
    with pytest.raises(RuntimeError, match="not free"):
        places.take_now("special")
    env.run(until=1)
    assert granted == ["second"] and not first.triggered
    assert places.occupied("special") == 1 and places.waiting("special") == 0
    places.leave("special")                         # nobody waiting: free at once
    assert places.has_free("special")
    places.take_now("special")
    assert places.occupied("special") == 1
