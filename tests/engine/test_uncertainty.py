"""Parameter uncertainty: values drawn once per replication, within their stated ranges."""

import numpy as np
import pytest

from sendsim.engine.model import SendModel, RunSpec, simulate
from sendsim.parameters import ParameterError, Parameters
from sendsim.experiment.runner import run_replications


def with_uncertainty(d, *entries):
    d["uncertainty"] = [dict(zip(("key", "low", "mode", "high"), e)) for e in entries]
    return Parameters.from_dict(d)


def test_draws_are_within_range_and_keep_their_type(council_dict):
    p = with_uncertainty(council_dict, ("assessment.in_progress_at_start", 0, 20, 200),
                         ("assessment.ep_advices_per_month", 3.0, 6.0, 9.0))
    seen = []
    for seed in range(10):
        m = SendModel(p, seed, RunSpec(0.1))
        n = m.params.assessment.in_progress_at_start
        assert isinstance(n, int) and 0 <= n <= 200
        assert 3.0 <= m.params.assessment.ep_advices_per_month <= 9.0
        assert m.parameter_draws["assessment.in_progress_at_start"] == n
        seen.append(n)
    assert len(set(seen)) > 5


def test_list_elements_can_be_uncertain(council_dict):
    council_dict["assessment"]["ep_capacity_changes"] = [
        {"date": __import__("datetime").date(2024, 1, 1), "per_month": 10.0}]
    p = with_uncertainty(council_dict, ("assessment.ep_capacity_changes[0].per_month", 5, 10, 15))
    m = SendModel(p, 1, RunSpec(0.1))
    assert 5 <= m.params.assessment.ep_capacity_changes[0].per_month <= 15
    assert p.value_at("assessment.ep_capacity_changes[0].per_month") == 10.0


@pytest.mark.parametrize("entry, message", [
    (("assessment.no_such", 0, 1, 2), "is not a parameter"),
    (("council.name", 0, 1, 2), "is not a number"),
    (("assessment.no_to_issue", 0.0, 0.5, 1.5), "not a probability"),
    (("assessment.no_to_issue", 0.3, 0.2, 0.4), "low <= mode <= high"),
])
def test_bad_uncertainty_is_refused_with_its_key(council_dict, entry, message):
    with pytest.raises(ParameterError, match=message) as err:
        with_uncertainty(council_dict, entry)
    assert "uncertainty[0]" in str(err.value)


def test_uncertainty_widens_the_spread_of_outcomes(council_dict):
    council_dict["assessment"]["ep_advices_per_month"] = 50.0
    fixed = Parameters.from_dict(council_dict)
    uncertain = with_uncertainty(council_dict, ("assessment.in_progress_at_start", 0, 20, 150))

    def spread(p):
        issued = [simulate(p, s, years=1).plans_issued.shape[0] for s in range(8)]
        return np.std(issued)

    assert spread(uncertain) > 2 * spread(fixed)


def test_draws_are_recorded_and_independent_of_workers(council_dict):
    p = with_uncertainty(council_dict, ("assessment.in_progress_at_start", 0, 20, 200))
    a = run_replications(p, reps=3, seed=9, years=0.5, workers=1, progress=False)
    b = run_replications(p, reps=3, seed=9, years=0.5, workers=2, chunk_size=1, progress=False)
    assert a.provenance["parameters_drawn_by_rep"] == b.provenance["parameters_drawn_by_rep"]
    assert len({d["assessment.in_progress_at_start"] for d in a.provenance["parameters_drawn_by_rep"]}) == 3
