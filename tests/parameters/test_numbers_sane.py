"""Every number that enters sendsim is finite and inside a documented range.

- every numeric parameter field has a finite range, and both shipped councils lie inside them;
- NaN, infinities, 1e300, 10**400 and values just outside a bound are refused naming the key
  and the range, the bound itself is accepted (a "no limit" field takes inf and 1e300);
- for any field and any float, `from_dict` accepts a value in range or names the key, and
  never raises anything else;
- scenario values (effects, places, conditions, parameter changes) and posterior-draws CSV
  cells are refused naming the file, the key (row and column), and `sendsim check` lists them;
- the parameter table in docs/reference/parameters.md states the ranges the code enforces;
- an [[uncertainty]] entry re-reports no problem that is not about its own key.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import math
import re
import typing
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sendsim.cli import main
from sendsim.councils import default_parameters
from sendsim.parameters import (FrozenMap, ParameterError, Parameters, allowed, describe,
                                value_range)
from sendsim.parameters.keys import key_parts
from sendsim.scenario.files import ScenarioError, load_scenario

from small_council import small_council

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
INF = math.inf
NAN = math.nan


# -- helpers ------------------------------------------------------------------------------------

def _parts(dotted: str) -> list:
    return key_parts(dotted)


def set_at(data: dict, dotted: str, value) -> dict:
    node = data
    parts = _parts(dotted)
    for p in parts[:-1]:
        node = node[p]
    node[parts[-1]] = value
    return data


def leaves(value, prefix: str = ""):
    """(dotted key, number) of every number in a parameter dict (to_dict form)."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from leaves(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from leaves(v, f"{prefix}[{i}]")
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield prefix, value


def refusal(data: dict) -> list[str]:
    with pytest.raises(ParameterError) as err:
        Parameters.from_dict(data)
    return err.value.problems


def names(problem: str, key: str) -> bool:
    """Whether a problem is about `key`: it names the key, its table (two parts or more), or
    the min/mode/max triple it belongs to."""
    if key in problem:
        return True
    triple = re.sub(r"_(min|mode|max)$", "_min/mode/max", key)
    if triple != key and triple in problem:
        return True
    cut = [m.start() for m in re.finditer(r"[.\[]", key)]
    return any(key[:c] in problem for c in cut if key[:c].count(".") >= 1)


NUMERIC = (int, float)


def _numeric_type(tp) -> bool:
    if tp in NUMERIC or tp is FrozenMap:      # every FrozenMap of the parameters holds numbers
        return True
    if typing.get_origin(tp) is tuple:
        return typing.get_args(tp)[0] in NUMERIC
    return False


def numeric_fields(cls=Parameters, prefix: str = ""):
    """(dotted key as describe() writes it, field) of every field holding numbers."""
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        tp, key = hints[f.name], f"{prefix}{f.name}"
        if dataclasses.is_dataclass(tp):
            yield from numeric_fields(tp, key + ".")
        elif typing.get_origin(tp) is tuple and dataclasses.is_dataclass(typing.get_args(tp)[0]):
            yield from numeric_fields(typing.get_args(tp)[0], key + "[].")
        elif _numeric_type(tp):
            yield key, f


# -- 1. every numeric field has a finite range; the councils lie inside ------------------------

def test_every_numeric_field_has_a_finite_range():
    fields = dict(numeric_fields())
    described = {k for k, _, _ in describe()}
    assert len(fields) > 60
    assert set(fields) <= described, set(fields) - described
    for key, f in fields.items():
        assert allowed(key), f"{key}: no allowed range"
        low, high = f.metadata["low"], f.metadata["high"]
        assert math.isfinite(low) and math.isfinite(high) and low <= high, key
    # and nothing that is not a number claims a range
    for key, kind, _ in describe():
        if key not in fields and kind in ("str", "date", "list of tables"):
            assert allowed(key) == "", key


@pytest.mark.parametrize("which", ["builtin", "small"])
def test_the_councils_lie_inside_every_range(which):
    data = default_parameters().to_dict() if which == "builtin" else \
        Parameters.from_dict(small_council()).to_dict()
    data.pop("uncertainty", None)      # low/mode/high: checked against their key below
    seen = 0
    for key, x in leaves(data):
        if key.startswith("council."):
            continue
        rng = value_range(key)
        assert rng is not None, f"{key}: no range"
        low, high, no_limit = rng
        assert (no_limit and x in (INF, 1e300)) or (math.isfinite(x) and low <= x <= high), \
            f"{key} = {x} outside {low} to {high}"
        seen += 1
    assert seen > 100
    if which == "builtin":
        for u in default_parameters().uncertainty:
            low, high, _ = value_range(u.key)
            assert low <= u.low <= u.mode <= u.high <= high, u


# -- 2. representative fields of each kind -----------------------------------------------------

def _dist_setter(other: str):
    def prepare(data, key, v):
        parent, _, name = key.rpartition(".")
        sane = isinstance(v, (int, float)) and 0 <= v < 1
        set_at(data, parent, {name: v, other: 1.0 - v} if sane else {name: v})
    return prepare


def _plain(data, key, v):
    set_at(data, key, v)


@dataclasses.dataclass
class Case:
    key: str
    low: float
    high: float
    text: str                    # the allowed range as the message must state it
    whole: bool = False          # an int field
    no_limit: bool = False
    accept: tuple = ()           # bounds that must be accepted (others may break other checks)
    prepare: typing.Callable = _plain
    setup: typing.Callable | None = None


def _with_capacity_change(d):
    d["assessment"]["ep_capacity_changes"] = [{"date": dt.date(2024, 1, 1), "per_month": 10.0}]
    d["requests"]["trend_changes"] = [{"date": dt.date(2025, 1, 1), "per_year": 0.02}]


CASES = [
    Case("decide_to_assess.no_to_assess", 0, 1, "0 to 1", accept=(0, 1)),              # prob
    Case("transfers_in.per_month", 0, 1e4, "0 to 10000", accept=(0, 1e4)),             # nonneg
    Case("decide_to_assess.request_again_after_months", 0.1, 520, "0.1 to 520",        # pos
         accept=(0.1, 520)),
    Case("requests.trend_per_year", -0.9, 2.0, "-0.9 to 2", accept=(-0.9, 2.0)),       # number
    Case("finance.inflation_per_year", -0.2, 0.5, "-0.2 to 0.5", accept=(-0.2, 0.5)),
    Case("finance.opening_cumulative_balance_gbp", -1e10, 1e10, "-1e10 to 1e10",
         accept=(-1e10, 1e10)),
    Case("requests.trend_sd_per_year", 0, 1, "0 to 1", accept=(0, 1)),
    Case("assessment.in_progress_at_start", 0, 10**6, "0 to 1000000", whole=True,
         accept=(0, 10**6)),
    Case("assessment.ep_capacity_changes[0].per_month", 0, 1e5, "0 to 100000",
         accept=(0, 1e5), setup=_with_capacity_change),
    Case("requests.trend_changes[0].per_year", -0.9, 2.0, "-0.9 to 2", accept=(-0.9, 2.0),
         setup=_with_capacity_change),
    Case("sen_support.prevalence_by_ncy[3]", 0, 1, "0 to 1", accept=(0, 1)),          # sequences
    Case("requests.rate_per_1000_by_age[5]", 0, 1000, "0 to 1000", accept=(0, 1000)),
    Case("reviews.step_down.special", 0, 1, "0 to 1", accept=(0, 1)),                 # maps
    Case("placement.inmss_when_full.special", 0, 1, "0 to 1", accept=(0, 1)),
    Case("transfers_in.age_mix.5_10", 0, 1, "0 to 1", accept=(0, 1),
         prepare=_dist_setter("11_15")),
    Case("placement.new_plan_mix.5_10.mainstream", 0, 1, "0 to 1", accept=(0, 1),     # nested
         prepare=_dist_setter("special")),
    Case("phase_transfer.into_post16.special.special", 0, 1, "0 to 1", accept=(0, 1),
         prepare=_dist_setter("specialist_post16")),
    Case("reviews.cease_at_review.needs_met.5_10", 0, 1, "0 to 1", accept=(0, 1)),
    Case("ceasing.rate_per_year.transfer.5_10", 0, 1, "0 to 1", accept=(0, 1)),
    Case("start_state.caseload_by_setting.special", 0, 1e6, "0 to 1000000"),
    Case("placement.places.special", 0, 1e5, "0 to 100000", accept=(1e5,)),
    Case("finance.hnb_income_gbp.2023-24", 0, 1e10, "0 to 1e10", accept=(0, 1e10)),
    Case("finance.fixed_spend_gbp_per_year.central_sen_services", 0, 1e10, "0 to 1e10",
         accept=(0, 1e10)),
    Case("population.projection.2022[3]", 0, 1e6, "0 to 1000000", accept=(0, 1e6)),   # population
    Case("finance.unit_cost_gbp_per_year.special", 0, 2e6, "0 to 2000000",            # unit costs
         accept=(0, 2e6)),
    Case("placement.place_changes[0].places", -1e5, 1e5, "-100000 to 100000",         # changes
         whole=True, accept=(10**5,)),
    Case("finance.safety_valve_payments[0].amount_gbp", 0, 1e10, "0 to 1e10", accept=(0, 1e10)),
    Case("finance.safety_valve_payments[0].max_cumulative_deficit_gbp", 0, 1e10,       # no limit
         "0 to 1e10, or inf (1e300) for no limit", no_limit=True,
         accept=(0, 1e10, 1e300, INF)),
]


def _data(case: Case) -> dict:
    d = small_council()
    if case.setup:
        case.setup(d)
    return d


def _bad_values(case: Case) -> list:
    if case.whole:
        values = [NAN, INF, -INF, 1e300, 2.5, int(case.low) - 1, int(case.high) + 1, 10**400,
                  -10**400]
    else:
        values = [NAN, -INF, math.nextafter(case.low, -INF), math.nextafter(case.high, INF),
                  10**400, -10**400, -1e300]
        if not case.no_limit:
            values += [INF, 1e300]
        else:
            values += [1e301, 1e299]      # only inf and exactly 1e300 mean "no limit"
    return values


BAD = [(c, v) for c in CASES for v in _bad_values(c)]


@pytest.mark.parametrize("case, value", BAD, ids=[f"{c.key}={v!r:.12}" for c, v in BAD])
def test_a_bad_number_is_refused_naming_the_key_and_the_range(case, value):
    d = _data(case)
    case.prepare(d, case.key, value)
    problems = refusal(d)
    mine = [p for p in problems if p.startswith(f"{case.key}:")]
    assert mine, problems
    assert any(f"(allowed: {case.text})" in p for p in mine), mine


@pytest.mark.parametrize("case", CASES, ids=[c.key for c in CASES])
def test_the_range_is_the_documented_one_and_its_bounds_are_accepted(case):
    assert value_range(case.key) == (case.low, case.high, case.no_limit)
    assert allowed(case.key) == case.text
    for bound in case.accept:
        d = _data(case)
        case.prepare(d, case.key, bound)
        p = Parameters.from_dict(d)
        got = p.value_at(case.key)
        assert got == bound or (bound in (1e300, INF) and got in (1e300, INF)), (bound, got)


def test_no_limit_survives_a_round_trip_through_toml(tmp_path):
    d = small_council()
    d["finance"]["safety_valve_payments"][0]["max_cumulative_deficit_gbp"] = INF
    p = Parameters.from_dict(d)
    again = Parameters.from_toml(p.save(tmp_path / "p.toml"))
    assert again.finance.safety_valve_payments[0].max_cumulative_deficit_gbp in (INF, 1e300)


def test_a_huge_integer_in_a_toml_file_is_refused_naming_the_file(tmp_path):
    text = Parameters.from_dict(small_council()).to_toml()
    text = re.sub(r"(?m)^no_to_assess = .*$", "no_to_assess = " + "9" * 400, text)
    path = tmp_path / "p.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ParameterError) as err:
        Parameters.from_toml(path)
    line = str(err.value)
    assert str(path) in line and "decide_to_assess.no_to_assess" in line and "0 to 1" in line
    assert "9" * 30 not in line          # not the 400 digits


# -- 3. Hypothesis: any float into any field ---------------------------------------------------

_BASE = small_council()
_BASE["assessment"]["ep_capacity_changes"] = [{"date": dt.date(2024, 1, 1), "per_month": 10.0}]
_KEYS = sorted(k for k, _ in leaves(Parameters.from_dict(copy.deepcopy(_BASE)).to_dict())
               if not k.startswith("council."))
_BASE_P = Parameters.from_dict(copy.deepcopy(_BASE))
_WHOLE = {k for k in _KEYS if type(_BASE_P.value_at(k)) is int}


@st.composite
def field_and_value(draw):
    key = draw(st.sampled_from(_KEYS))
    low, high, _ = value_range(key)
    x = draw(st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.floats(min_value=low - 1, max_value=high + 1),
        st.sampled_from([low, high, math.nextafter(low, -INF), math.nextafter(high, INF),
                         1e300, -1e300, 1e308, INF, -INF, NAN, 0.0, -0.0]),
    ))
    if key in _WHOLE and math.isfinite(x) and x == int(x) and draw(st.booleans()):
        x = int(x)
    return key, x


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field_and_value())
def test_any_float_into_any_field_is_accepted_in_range_or_refused_naming_the_key(kv):
    key, x = kv
    d = set_at(copy.deepcopy(_BASE), key, x)
    try:
        p = Parameters.from_dict(d)
    except ParameterError as exc:
        assert any(names(q, key) for q in exc.problems), (key, x, exc.problems)
        return
    got = p.value_at(key)
    low, high, no_limit = value_range(key)
    if no_limit and got in (INF, 1e300):
        return
    assert math.isfinite(got) and low <= got <= high, (key, x, got)


def test_the_names_helper_can_say_no():
    assert not names("finance.inflation_per_year: 3.0 is out of range", "requests.trend_per_year")
    assert names("transfers_in.age_mix: shares sum to 1.2", "transfers_in.age_mix.5_10")


# -- 4. scenario values ------------------------------------------------------------------------

HEAD = """
[scenario]
name = "s"
base = "builtin:wiltshire"
"""


def intervention(target: str, change: str, effect: str, extra: str = "") -> str:
    from helpers import intervention as named
    return named("lever", target, change, effect, extra)


def project(extra: str) -> str:
    return f"""
[[capacity_programme]]
name = "school"
setting = "special"
opens = 2025-09-01
{extra}
"""


def condition(gbp: str) -> str:
    return f"""
[[conditions]]
name = "limit"
kind = "cumulative_deficit_at_most"
financial_year = "2027-28"
gbp = {gbp}
"""


SCENARIO_CASES = [
    (intervention("no_to_assess", "add", "inf"), "interventions[0] ('lever').effect", "finite"),
    (intervention("no_to_assess", "add", "nan"), "interventions[0] ('lever').effect", "finite"),
    (intervention("no_to_assess", "multiply", "-inf"), "interventions[0] ('lever').effect",
     "finite"),
    (intervention("ep_capacity", "multiply", "1e300"), "interventions[0] ('lever').effect",
     "allowed: 0 to 10"),
    (intervention("ep_capacity", "add", "1e12"), "interventions[0] ('lever').effect",
     "allowed: -100000 to 100000"),
    (intervention("no_to_assess", "per_month", "1e12"), "interventions[0] ('lever').effect",
     "allowed: -100000 to 100000"),
    (intervention("requests", "multiply", "{ low = 0.5, mode = 0.8, high = nan }"),
     "interventions[0] ('lever').effect.high", "finite"),
    (intervention("ep_capacity", "add", str(10**400)), "interventions[0] ('lever').effect",
     "allowed"),
    (intervention("unit_cost", "add", "-1e9", 'setting = "special"'),
     "interventions[0] ('lever').effect", "allowed: -2000000 to 2000000"),
    (intervention("ep_capacity", "add", "1.0", "annual_cost_gbp = inf"),
     "interventions[0] ('lever').annual_cost_gbp", "finite"),
    (intervention("ep_capacity", "add", "1.0", "annual_cost_gbp = 1e300"),
     "interventions[0] ('lever').annual_cost_gbp", "allowed: 0 to 1e10"),
    (project("places = 1000000000000"), "capacity_programme[0] ('school').places",
     "allowed: 0 to 100000"),
    (project("places = 1e12"), "capacity_programme[0] ('school').places", "whole number"),
    (project("places = 10\nslip_probability = nan"),
     "capacity_programme[0] ('school').slip_probability", "finite"),
    (project("places = 10\ndelay_months = inf"),
     "capacity_programme[0] ('school').delay_months", "finite"),
    (project("places = 10\nunit_cost_gbp_per_year = 1e300"),
     "capacity_programme[0] ('school').unit_cost_gbp_per_year", "allowed: 0 to 2000000"),
    (project("places = " + "9" * 400), "capacity_programme[0] ('school').places",
     "allowed: 0 to 100000"),
    (project("places = 10\ndelay_months = { low = 0.0, mode = 2.0, high = 1e300 }"),
     "capacity_programme[0] ('school').delay_months.high", "allowed: 0 to 520"),
    (condition("9" * 400), "conditions[0] ('limit').gbp", "finite"),
    (condition("inf"), "conditions[0] ('limit').gbp", "finite"),
    (condition("nan"), "conditions[0] ('limit').gbp", "finite"),
    (condition("1e300"), "conditions[0] ('limit').gbp", "allowed: 0 to 1e10"),
    ("[parameters]\nfinance.inflation_per_year = inf\n",
     "parameters.finance.inflation_per_year", "finite"),
    ("[parameters]\nfinance.inflation_per_year = 1e300\n",
     "parameters.finance.inflation_per_year", "allowed: -0.2 to 0.5"),
    ("[parameters]\ndecide_to_assess.no_to_assess = nan\n",
     "parameters.decide_to_assess.no_to_assess", "finite"),
    ("[parameters]\nfinance.unit_cost_gbp_per_year.special = -1e9\n",
     "parameters.finance.unit_cost_gbp_per_year.special", "allowed: 0 to 2000000"),
    ("[parameters]\nrequests.rate_per_1000_by_age = [" + ", ".join(["1.0"] * 25 + ["inf"]) + "]\n",
     "parameters.requests.rate_per_1000_by_age[25]", "finite"),
]


@pytest.mark.parametrize("body, key, what", SCENARIO_CASES,
                         ids=[f"{k}:{i}" for i, (_, k, _) in enumerate(SCENARIO_CASES)])
def test_a_bad_scenario_number_is_refused_naming_the_file_and_key(tmp_path, body, key, what):
    path = tmp_path / "s.toml"
    path.write_text(HEAD + body, encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    lines = err.value.lines()
    assert all(line.startswith(f"{path}: ") for line in lines), lines
    mine = [line for line in lines if f"{path}: {key}" in line]
    assert mine and any(what in line for line in mine), lines


def test_a_scenario_with_sane_numbers_loads(tmp_path):
    """The cases above are refused for their numbers, not for their form."""
    body = (intervention("unit_cost", "add", "-1000.0", 'setting = "special"')
            + project("places = 100\nslip_probability = 0.2\ndelay_months = 3")
            + condition("1e9") + "[parameters]\nfinance.inflation_per_year = 0.5\n")
    path = tmp_path / "s.toml"
    path.write_text(HEAD + body, encoding="utf-8")
    s = load_scenario(path)
    assert s.parameters.finance.inflation_per_year == 0.5
    assert s.capacity_programme[0].places == 100


# -- 5. posterior draws ------------------------------------------------------------------------

A, B = "decide_to_assess.no_to_assess", "assessment.in_progress_at_start"


def draws_scenario(tmp_path, csv_text: str | bytes) -> tuple[Path, Path]:
    draws = tmp_path / "draws.csv"
    if isinstance(csv_text, bytes):
        draws.write_bytes(csv_text)
    else:
        draws.write_text(csv_text, encoding="utf-8", newline="")
    scen = tmp_path / "s.toml"
    scen.write_text(HEAD + '\n[uncertainty_sources]\nparameter_draws = "draws.csv"\n',
                    encoding="utf-8")
    return scen, draws


def draws_problems(tmp_path, csv_text) -> tuple[list[str], Path, Path]:
    scen, draws = draws_scenario(tmp_path, csv_text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(scen)
    lines = err.value.lines()
    assert all(line.startswith(f"{scen}: ") for line in lines), lines
    return lines, scen, draws


GOOD = f"{A},{B}\n0.1,500\n0.2,600\n"

CELL_CASES = [   # (csv, line, column, what)
    (f"{A},{B}\n0.1,500\ninf,600\n", 3, A, "inf is not a finite number (allowed: 0 to 1)"),
    (f"{A},{B}\n0.1,500\n0.2,nan\n", 3, B, "nan is not a finite number (allowed: 0 to 1000000)"),
    (f"{A},{B}\n0.1,-inf\n", 2, B, "not a finite number"),
    (f"{A},{B}\n,500\n", 2, A, "an empty cell is not a number"),
    (f"{A},{B}\n0.1,500\n0.2,lots\n", 3, B, "'lots' is not a number"),
    (f"{A},{B}\n0.1,500\n\n1.5,600\n", 4, A, "1.5 is not a probability (allowed: 0 to 1)"),
    (f"{A},{B}\n0.1,1e300\n", 2, B, "allowed: 0 to 1000000"),
    (f"{A},{B}\n0.1,{'9' * 400}\n", 2, B, "allowed: 0 to 1000000"),
]


@pytest.mark.parametrize("csv_text, line, column, what", CELL_CASES,
                         ids=[w[:20] for _, _, _, w in CELL_CASES])
def test_a_bad_draws_cell_is_refused_naming_file_row_and_column(tmp_path, csv_text, line,
                                                                column, what):
    lines, _, draws = draws_problems(tmp_path, csv_text)
    mine = [x for x in lines if str(draws) in x and f"row {line}, column {column}:" in x]
    assert mine and any(what in x for x in mine), lines


@pytest.mark.parametrize("csv_text, what", [
    (f"{A},nosuch.key\n0.1,3\n", "column 'nosuch.key' is not a parameter"),
    (f"{A},council.name\n0.1,3\n", "column 'council.name' is not a number of the parameters"),
    (f"{A},{B}\n0.1,500,7\n", "row 2: 3 cells, but the header has 2 columns"),
    (f"{A},{B}\n0.1,500\n0.1\n", "row 3: 1 cells, but the header has 2 columns"),
    (f"{A},{B}\n", "a header but no rows of draws"),
    (f"{A},{A}\n0.1,0.2\n", f"column {A} appears twice"),
    (f"{A},,{B}\n0.1,2,500\n", "column 2 of the header has no name"),
    ("", "the file is empty"),
    ("\n\n", "the file is empty"),
    (b"\xef\xbb\xbf" + GOOD.encode(), "byte-order mark"),
    (b"\xff\xfe" + GOOD.encode("utf-16-le"), "UTF-16"),
    (b"PK\x03\x04\x00\x00binary", "binary"),
    (b"caf\xe9,x\n1,2\n", "not UTF-8"),
])
def test_a_bad_draws_file_is_refused_naming_it(tmp_path, csv_text, what):
    lines, _, draws = draws_problems(tmp_path, csv_text)
    assert any(str(draws) in x and what in x for x in lines), lines


def test_check_lists_every_bad_draw_and_exits_2(tmp_path, capsys):
    scen, draws = draws_scenario(tmp_path, f"{A},{B},nosuch\n0.1,inf,1\nnan,500,1\n2.0,5,1\n")
    assert main(["check", str(scen)]) == 2
    err = capsys.readouterr().err
    lines = [x for x in err.splitlines() if x.strip()]
    for needle in ("column 'nosuch' is not a parameter", f"row 2, column {B}: inf",
                   f"row 3, column {A}: nan", f"row 4, column {A}: 2.0 is not a probability"):
        assert any(str(draws) in x and needle in x for x in lines), (needle, err)
    assert len(lines) == 4, err

    scen, draws = draws_scenario(tmp_path, f"{A},{B}\n,500\n0.1,many\n0.1\n")
    assert main(["check", str(scen)]) == 2
    err = capsys.readouterr().err
    for needle in (f"row 2, column {A}: an empty cell", f"row 3, column {B}: 'many'",
                   "row 4: 1 cells"):
        assert needle in err and str(draws) in err, (needle, err)


def test_many_bad_cells_are_summed_up(tmp_path):
    rows = "".join(f"inf,{i}\n" for i in range(40))
    lines, _, _ = draws_problems(tmp_path, f"{A},{B}\n{rows}")
    assert len(lines) <= 25
    assert any("more cells like these (40 in all)" in x for x in lines), lines


def test_a_valid_draws_file_passes_check_and_runs(tmp_path, capsys):
    scen, _ = draws_scenario(tmp_path, GOOD)
    assert main(["check", str(scen)]) == 0, capsys.readouterr().err
    assert "valid" in capsys.readouterr().out
    s = load_scenario(scen)
    assert [dict(r) for r in s.posterior_draws] == [{A: 0.1, B: 500.0}, {A: 0.2, B: 600.0}]
    assert main(["run", str(scen), "--reps", "1", "--years", "1", "--out",
                 str(tmp_path / "out"), "--quiet"]) == 0, capsys.readouterr().err
    assert (tmp_path / "out").is_dir()


# -- 6. the docs state the ranges the code enforces --------------------------------------------

def _generator():
    from helpers import load_generator
    return load_generator()


def test_the_parameter_table_states_every_range():
    rows = _generator().rows()
    numeric = dict(numeric_fields())
    assert {r[0] for r in rows} == {k for k, _, _ in describe()}
    for key, _, _, shown, _ in rows:
        assert shown == (allowed(key) or "-"), key
        if key in numeric:
            f = numeric[key]
            assert shown != "-" and shown.split(",")[0].count(" to ") == 1, key
            low, high = (float(x) for x in shown.split(",")[0].split(" to "))
            assert (low, high) == (f.metadata["low"], f.metadata["high"]), key
    # and docs/reference/parameters.md holds that column as generated
    text = (DOCS / "reference" / "parameters.md").read_text(encoding="utf-8")
    text = text.split("<!-- parameters:start -->", 1)[1].split("<!-- parameters:end -->", 1)[0]
    in_doc = {}
    for line in text.splitlines():
        m = re.match(r"^\| `([^`]+)` \|", line)
        if m:
            cells = re.split(r"(?<!\\)\|", line)[1:-1]
            in_doc[m.group(1)] = cells[3].strip()
    for key, _, _, shown, _ in rows:
        assert in_doc.get(key) == shown.replace("|", "\\|"), key


# -- 7. uncertainty ends report only their own key's problems ----------------------------------

def _uncertain(d, *entries):
    d["uncertainty"] = [dict(zip(("key", "low", "mode", "high"), e)) for e in entries]
    return d


def test_an_unrelated_problem_is_not_reported_again_for_each_uncertainty_end(council_dict):
    d = _uncertain(council_dict, ("assessment.in_progress_at_start", 10, 20, 40),
                   ("transfers_in.per_month", 1.0, 1.5, 2.0))
    d["finance"]["statutory_override_end"] = dt.date(2020, 3, 31)
    problems = refusal(d)
    assert problems == ["finance.statutory_override_end: 2020-03-31 is before "
                        "council.start_date 2023-01-19"]


def test_a_bad_probability_is_the_only_problem_with_uncertainty_present(council_dict):
    d = _uncertain(council_dict, ("assessment.in_progress_at_start", 10, 20, 40))
    d["decide_to_assess"]["no_to_assess"] = 1.5
    problems = refusal(d)
    assert len(problems) == 1 and problems[0].startswith("decide_to_assess.no_to_assess:"), problems


def test_an_uncertainty_end_that_breaks_its_own_key_is_still_reported(council_dict):
    # decision weeks min 3, mode 5, max 6: a min drawn up to 5.5 passes the mode
    d = _uncertain(council_dict, ("decide_to_assess.decision_weeks_min", 2.0, 3.0, 5.5),
                   ("transfers_in.per_month", 1.0, 1.5, 2.0))
    d["finance"]["statutory_override_end"] = dt.date(2020, 3, 31)
    problems = refusal(d)
    assert any(p.startswith("uncertainty[0]: decide_to_assess.decision_weeks_min = 5.5")
               and "min <= mode <= max" in p for p in problems), problems
    assert not any(p.startswith("uncertainty[0]") and "2.0" in p.split("(")[0] for p in problems)
    assert not any(p.startswith("uncertainty[1]") for p in problems), problems
    assert sum("statutory_override_end" in p for p in problems) == 1, problems


def test_the_builtin_council_with_a_bad_probability_gives_one_problem(tmp_path, capsys):
    text = (ROOT / "sendsim/councils/wiltshire.toml").read_text(encoding="utf-8")
    assert "[[uncertainty]]" in text
    for old, new, key in [(r"(?m)^no_to_assess = .*$", "no_to_assess = 1.5",
                           "decide_to_assess.no_to_assess"),
                          (r"(?m)^statutory_override_end = .*$",
                           "statutory_override_end = 2020-03-31", "finance.statutory_override_end")]:
        path = tmp_path / "w.toml"
        path.write_text(re.sub(old, new, text), encoding="utf-8")
        assert main(["check", str(path)]) == 2
        err = [x for x in capsys.readouterr().err.splitlines() if x.strip()]
        assert len(err) == 1 and f"{path}: {key}:" in err[0], err


def test_levers_refuse_a_non_finite_effect_from_a_scenario_built_in_python():
    from sendsim.engine.levers import Levers
    from sendsim.scenario.definition import Effect, Intervention
    iv = Intervention(name="eps", target="ep_capacity", change="add", effect=Effect.fixed(1.0),
                      start=dt.date(2025, 1, 1))
    assert Levers((iv,), {"eps": 2.0}).effects == {"eps": 2.0}
    for bad in (INF, -INF, NAN):
        with pytest.raises(ParameterError, match="'eps'"):
            Levers((iv,), {"eps": bad})


def test_a_missing_draws_file_is_named(tmp_path):
    scen, draws = draws_scenario(tmp_path, GOOD)
    draws.unlink()
    with pytest.raises(ScenarioError) as err:
        load_scenario(scen)
    assert any(str(draws) in x and "cannot read the file" in x for x in err.value.lines())
