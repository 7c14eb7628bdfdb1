"""The recording machinery the engine's speed relies on gives what the plain versions give."""

import datetime as dt

import numpy as np
import pytest

from sendsim.engine.model import RunSpec, SendModel, simulate
from sendsim.engine.recorder import FLOWS, Recorder
from sendsim.engine.streams import Streams
from sendsim.engine.uncertainty import draw_parameters
from sendsim.parameters import ParameterError, Parameters


def test_residents_of_every_age_at_once_equal_each_age_interpolated(params):
    m = SendModel(params, 1, RunSpec(1))
    for t in (-400.0, 0.0, 10.5, 181.0, 700.0, 2000.0, 40_000.0):
        assert m.population_by_age(t) == [m.population_at_age(a, t) for a in range(26)]


def test_plan_dates_are_the_clock_dates_of_their_days(params):
    r = simulate(params, 4, years=2)
    m = SendModel(params, 4, RunSpec(2))
    assert len(r.plans_issued) > 0
    for _, row in r.plans_issued.iterrows():
        assert row["request_date"] == m.clock.date(row["request_day"])
        assert row["issue_date"] == m.clock.date(row["issue_day"])
        assert isinstance(row["issue_date"], dt.date)


def test_an_undeclared_flow_is_refused_when_counted():
    rec = Recorder([0.0, 31.0], ())
    rec.flow(3.0, FLOWS[0], 2)
    assert rec.flow_in(0, FLOWS[0]) == 2
    with pytest.raises(RuntimeError, match="undeclared flow 'not_a_flow'"):
        rec.flow(3.0, "not_a_flow")


def test_the_agent_set_holds_exactly_the_children_present(params):
    m = SendModel(params, 2, RunSpec(2)).run()
    ids = sorted(a.unique_id for a in m.agents)
    entered = {e[0] for e in m.recorder.entries}
    left = {e[0] for e in m.recorder.exits}
    assert ids == sorted(entered - left)
    assert len(ids) == m.present
    assert list(m.agents_by_type) == m.agent_types == [type(next(iter(m.agents)))]


def test_drawn_values_that_combine_badly_are_still_refused(council_dict):
    """Each range's ends are valid alone, but two draws near their tops sum past 1."""
    council_dict["uncertainty"] = [
        {"key": "reviews.cease_at_review.he.20_25", "low": 0.5, "mode": 0.59, "high": 0.6},
        {"key": "reviews.cease_at_review.employ.20_25", "low": 0.5, "mode": 0.59, "high": 0.6}]
    p = Parameters.from_dict(council_dict)       # each end alone: at most 0.6 + 0.05 + 0.15 + 0.01
    with pytest.raises(ParameterError, match="probabilities for 20_25 sum to"):
        draw_parameters(p, Streams(np.random.SeedSequence(1))["parameters"])


def test_drawn_parameters_keep_their_uncertainty_entries(council_dict):
    council_dict["uncertainty"] = [
        {"key": "reviews.cease_at_review.he.20_25", "low": 0.02, "mode": 0.05, "high": 0.1}]
    params = Parameters.from_dict(council_dict)
    drawn, values = draw_parameters(params, Streams(np.random.SeedSequence(3))["parameters"])
    assert drawn.uncertainty == params.uncertainty
    assert values and all(drawn.value_at(k) == v for k, v in values.items())


def test_a_run_leaves_the_callers_frozen_heap_alone_and_freezes_nothing_for_good(params):
    """A worker freezes what it holds before its first replication (so the collection after
    each one is cheap); a run must not thaw it, and a run on its own must not leave its start
    population frozen (it would never be freed)."""
    import gc
    gc.unfreeze()
    SendModel(params, 1, RunSpec(1)).run()
    assert gc.get_freeze_count() == 0
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        SendModel(params, 1, RunSpec(1)).run()
        assert gc.get_freeze_count() > 0.9 * frozen   # still frozen (a few freed by refcount)
    finally:
        gc.unfreeze()
