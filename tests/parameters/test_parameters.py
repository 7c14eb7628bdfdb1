"""Parameters: typed, immutable, round-trip through TOML, and refuse bad input clearly."""

import datetime as dt
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sendsim.parameters import FrozenMap, ParameterError, Parameters


def test_round_trip_through_toml(params, tmp_path):
    path = params.save(tmp_path / "p.toml")
    again = Parameters.from_toml(path)
    assert again == params
    assert again.to_toml() == params.to_toml()


def test_save_refuses_to_overwrite(params, tmp_path):
    path = params.save(tmp_path / "p.toml")
    with pytest.raises(FileExistsError):
        params.save(path)
    params.save(path, overwrite=True)


def test_immutable_and_picklable(params):
    with pytest.raises(Exception):
        params.decide_to_assess.no_to_assess = 0.5  # frozen dataclass
    with pytest.raises(TypeError):
        params.placement.places["special"] = 1
    assert pickle.loads(pickle.dumps(params)) == params
    assert isinstance(pickle.loads(pickle.dumps(params)).placement.places, FrozenMap)


def _problems(d, source=None):
    with pytest.raises(ParameterError) as err:
        Parameters.from_dict(d, source=source)
    return err.value


def test_unknown_key_named_with_allowed_keys(council_dict):
    council_dict["decide_to_assess"]["no_to_asess"] = 0.2
    err = _problems(council_dict, "scenario.toml")
    assert "scenario.toml" in str(err)
    assert "decide_to_assess.no_to_asess: unknown key" in str(err)
    assert "no_to_assess" in str(err)  # the allowed keys are listed


def test_wrong_type_named(council_dict):
    council_dict["assessment"]["ep_advices_per_month"] = "fifty"
    assert "assessment.ep_advices_per_month: expected a number" in str(_problems(council_dict))


def test_probability_outside_unit_interval(council_dict):
    council_dict["decide_to_assess"]["no_to_assess"] = 1.2
    err = _problems(council_dict)
    assert "decide_to_assess.no_to_assess: 1.2 is not a probability (allowed: 0 to 1)" in str(err)


def test_negative_rate(council_dict):
    council_dict["transfers_in"]["per_month"] = -1
    assert "transfers_in.per_month: -1.0 is negative" in str(_problems(council_dict))


def test_dates_out_of_order(council_dict):
    council_dict["placement"]["place_changes"] = [
        {"date": dt.date(2025, 9, 1), "setting": "special", "places": 5},
        {"date": dt.date(2024, 9, 1), "setting": "special", "places": 5},
    ]
    assert "placement.place_changes[1].date" in str(_problems(council_dict))


def test_capacity_below_start_occupancy(council_dict):
    council_dict["placement"]["places"]["special"] = 100  # 120 children there at the start
    err = str(_problems(council_dict))
    assert "placement.places.special: 100 places is below the 120 children" in err


def test_shares_must_sum_to_one(council_dict):
    council_dict["placement"]["new_plan_mix"]["5_10"]["mainstream"] = 0.9
    assert "placement.new_plan_mix.5_10: shares sum to 1.2" in str(_problems(council_dict))


def test_every_problem_reported_at_once(council_dict):
    council_dict["decide_to_assess"]["no_to_assess"] = -0.1
    council_dict["assessment"]["no_to_issue"] = 2
    council_dict["bogus"] = {}
    err = _problems(council_dict)
    assert len(err.problems) == 3


def test_missing_required_key(council_dict):
    del council_dict["finance"]["opening_cumulative_balance_gbp"]
    assert "finance.opening_cumulative_balance_gbp: missing" in str(_problems(council_dict))


def test_file_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("this is = = not toml")
    with pytest.raises(ParameterError, match="bad.toml"):
        Parameters.from_toml(bad)
    with pytest.raises(ParameterError, match="cannot read"):
        Parameters.from_toml(tmp_path / "absent.toml")


def test_replace_changes_one_value_and_validates(params):
    p2 = params.replace(**{"decide_to_assess.no_to_assess": 0.25})
    assert p2.decide_to_assess.no_to_assess == 0.25
    assert params.decide_to_assess.no_to_assess == 0.15
    with pytest.raises(ParameterError, match="not a probability"):
        params.replace(**{"decide_to_assess.no_to_assess": 1.5})
    with pytest.raises(ParameterError, match="no such parameter"):
        params.replace(**{"decide_to_assess.nope": 1})


@settings(max_examples=40, deadline=None)
@given(p=st.floats(min_value=-5, max_value=5, allow_nan=False))
def test_any_probability_accepted_iff_in_unit_interval(p):
    from small_council import small_council
    d = small_council()
    d["placement"]["inmss_when_full"] = {"special": p}
    if 0 <= p <= 1:
        assert Parameters.from_dict(d).placement.inmss_when_full["special"] == p
    else:
        with pytest.raises(ParameterError, match="placement.inmss_when_full"):
            Parameters.from_dict(d)
