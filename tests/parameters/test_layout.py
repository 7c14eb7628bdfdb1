"""The parameters package: its public names, the checks table against the schema, and the rules'
order (which problem is reported first)."""

from __future__ import annotations

import dataclasses
import typing

import pytest

import sendsim.parameters as parameters
from sendsim.parameters import ParameterError, Parameters, is_financial_year
from sendsim.parameters.checks import KIND_CHECKS, RULES
from sendsim.parameters.schema import _f
from sendsim.parameters.values import KIND_BOUNDS

from small_council import small_council

#: Every public name of sendsim/parameters.py before it became a package (issue 12).
PUBLIC_BEFORE = [
    "Assessment", "CHILDREN", "CapacityChange", "Ceasing", "Council", "DecideToAssess", "Finance",
    "FrozenMap", "GBP", "GBP_NONNEG", "GROWTH", "MONTHS", "NO_LIMIT", "PER_MONTH", "PLACES", "PROB",
    "ParameterError", "Parameters", "PhaseTransfer", "PlaceChange", "Placement", "Population",
    "RATE_PER_1000", "Requests", "Reviews", "SafetyValvePayment", "SenSupport", "StartState",
    "TransfersIn", "TrendChange", "UNIT_COST", "UncertainParameter", "WEEKS", "allowed",
    "allowed_text", "as_float", "describe", "dotted_items", "number_problem", "read_text_file",
    "read_toml", "validate", "value_range",
]


def test_every_public_name_before_the_split_is_still_importable():
    missing = [name for name in PUBLIC_BEFORE if not hasattr(parameters, name)]
    assert missing == []
    assert set(PUBLIC_BEFORE) | {"is_financial_year"} == set(parameters.__all__)


@pytest.mark.parametrize("label, ok", [
    ("2023-24", True), ("1999-00", True), ("2099-00", True),
    ("2023-25", False), ("2023-2", False), ("2023_24", False), ("23-24", False),
    ("abcd-ef", False), ("", False), ("2023-24 ", False),
])
def test_is_financial_year(label, ok):
    assert is_financial_year(label) is ok


def _kinds(cls=Parameters) -> set[str]:
    out = set()
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if f.metadata.get("kind"):
            out.add(f.metadata["kind"])
        tp = hints[f.name]
        if dataclasses.is_dataclass(tp):
            out |= _kinds(tp)
        elif typing.get_origin(tp) is tuple and dataclasses.is_dataclass(typing.get_args(tp)[0]):
            out |= _kinds(typing.get_args(tp)[0])
    return out


def test_every_kind_of_the_schema_has_a_check_and_every_check_a_field():
    used = _kinds()
    assert used - set(KIND_CHECKS) == set(), "a field's kind has no check"
    assert set(KIND_CHECKS) - used == set(), "a check no field uses"
    assert set(KIND_BOUNDS) <= set(KIND_CHECKS)


def test_a_kind_without_a_natural_range_needs_bounds():
    with pytest.raises(KeyError):
        _f(doc="a rate with no range", kind="nonneg")
    assert _f(doc="ok", kind="nonneg", bounds=(0.0, 1.0)).metadata["high"] == 1.0


def _problems(data) -> list[str]:
    with pytest.raises(ParameterError) as err:
        Parameters.from_dict(data)
    return err.value.problems


def test_rules_report_in_their_order():
    data = small_council()
    data["population"]["projection"] = {"2040": [500.0] * 26}         # the last rule
    d = data["decide_to_assess"]
    d["decision_weeks_min"], d["decision_weeks_max"] = 9.0, 1.0        # the first rule
    problems = _problems(data)
    assert problems[0].startswith("decide_to_assess.decision_weeks_min/mode/max:")
    assert problems[-1].startswith("population.projection: needs a year at or before")
    assert RULES[0].__name__ == "_decision_times_ordered"


def test_uncertain_ends_are_checked_only_when_nothing_else_is_wrong():
    data = small_council()
    # an upper end that takes the occupied special places below the children in them
    data["uncertainty"] = [{"key": "placement.places.special", "low": 0.0, "mode": 1e4,
                            "high": 1e4}]
    alone = _problems(data)
    assert any(p.startswith("uncertainty[0]: placement.places.special = 0.0 is not allowed")
               for p in alone), alone
    # with another problem found first, the ends are not re-checked (nor that problem repeated)
    data["decide_to_assess"]["decision_weeks_min"] = 99.0
    both = _problems(data)
    assert both[0].startswith("decide_to_assess.decision_weeks_min/mode/max:")
    assert not any(p.startswith("uncertainty[0]") for p in both), both
