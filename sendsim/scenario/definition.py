"""A scenario: a council's parameters, plus interventions, a capacity programme, the sources of
uncertainty switched on, and the Safety Valve conditions it is judged against.

These are plain immutable data the engine reads (model.md section 5). Reading them from TOML
files, with `extends` and error messages that name the file and key, is `sendsim.scenario.files`.

An intervention moves one *target* (a rate, probability, capacity, cost or flow) from its
`start`, ramping linearly to full effect at `full_effect`, until an optional `end`. Its effect
size is uncertain: drawn once per replication from a triangular (low, mode, high) distribution
when structural uncertainty is on, its mode otherwise. What the effect means depends on
`change`:

- ``per_month``: so many more (or, negative, fewer) events a month in the target flow,
- ``multiply``: the target rate or capacity times this factor,
- ``add``: this added to the target probability or capacity,
- ``set``: the target probability moved to this value.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from dataclasses import dataclass, field

from sendsim.codes import AGE_BANDS, CAPACITY_SETTINGS, NEEDS, REVIEW_CEASE_REASONS, SETTINGS, STEP_DOWN
from sendsim.parameters import (GBP_NONNEG, MONTHS, PLACES, PROB, UNIT_COST, FrozenMap, ParameterError,
                         Parameters, number_problem, value_range)

#: What each target is, which changes it accepts, and which filters apply (for docs and checks).
TARGETS: dict[str, dict] = {
    "requests": {
        "doc": "Requests for an EHC needs assessment (a flow).",
        "changes": ("per_month", "multiply"), "filters": ("age_bands",)},
    "no_to_assess": {
        "doc": "Probability a request is refused assessment; `per_month` = extra refusals a month.",
        "changes": ("set", "add", "multiply", "per_month"),
        "filters": ("age_bands", "needs", "requester")},
    "no_to_issue": {
        "doc": "Probability an assessment ends without a plan.",
        "changes": ("set", "add", "multiply"), "filters": ("age_bands", "needs")},
    "ceasing": {
        "doc": "Extra plans ceased a month (at once, with `reason`), among plan holders of the "
               "age bands and setting given.",
        "changes": ("per_month",), "filters": ("age_bands", "needs", "setting")},
    "inmss_placements": {
        "doc": "New placements in independent special schools (INMSS): `multiply` 0.9 = one in "
               "ten placed in a state special school instead (resource base, then mainstream, "
               "if full).",
        "changes": ("multiply",), "filters": ("needs",)},
    "step_down": {
        "doc": "Probability an annual review steps the child down from `setting` (required).",
        "changes": ("set", "add", "multiply"), "filters": ("setting", "needs")},
    "ep_capacity": {
        "doc": "Educational Psychology advices a month.",
        "changes": ("add", "multiply"), "filters": ()},
    "review_capacity": {
        "doc": "Annual reviews the casework team can hold a month.",
        "changes": ("add", "multiply"), "filters": ()},
    "unit_cost": {
        "doc": "Cost of a place in `setting` (required): `multiply`, or `add` GBP a year.",
        "changes": ("multiply", "add"), "filters": ("setting",)},
}

REQUESTERS = ("parent", "school")

#: Ranges of a scenario's numbers (docs/reference/scenario-file.md): generous for any council,
#: but a slip of the keyboard (a unit cost cut by 1e9, a factor of 1e12) is refused.
FACTOR = (0.0, 10.0)                   # `multiply`
PER_MONTH_EVENTS = (-1e5, 1e5)         # `per_month`: events a month, more or fewer
ADD_RANGES = {"ep_capacity": (-1e5, 1e5), "review_capacity": (-1e5, 1e5),
              "unit_cost": (-UNIT_COST[1], UNIT_COST[1])}    # `add`; else probability points
ANNUAL_COST = GBP_NONNEG
DELAY_MONTHS = MONTHS
#: Rows of a draws file checked before the rest are summed up in one message.
MAX_CELL_PROBLEMS = 20


def effect_range(target: str, change: str) -> tuple[float, float]:
    """The range of an intervention's effect (each of low, mode, high)."""
    if change == "set":
        return PROB
    if change == "multiply":
        return FACTOR
    if change == "add":
        return ADD_RANGES.get(target, (-1.0, 1.0))
    return PER_MONTH_EVENTS


@dataclass(frozen=True, kw_only=True)
class Effect:
    """An uncertain effect size: triangular(low, mode, high); a fixed value has all three equal."""

    low: float
    mode: float
    high: float

    @classmethod
    def fixed(cls, value: float) -> "Effect":
        return cls(low=value, mode=value, high=value)


@dataclass(frozen=True, kw_only=True)
class Intervention:
    """One lever pulled from a date, with an uncertain effect and an annual cost."""

    name: str
    target: str
    change: str
    effect: Effect
    start: dt.date
    full_effect: dt.date | None = None
    end: dt.date | None = None
    age_bands: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    requester: str = ""
    setting: str = ""
    reason: str = "needs_met"
    annual_cost_gbp: float = 0.0
    source: str = ""

    def ramp(self, day: dt.date) -> float:
        """Share of the full effect in force on `day`: 0 before start, linear to 1 at
        full_effect, 1 until end, 0 after."""
        if day < self.start or (self.end is not None and day >= self.end):
            return 0.0
        full = self.full_effect or self.start
        if day >= full:
            return 1.0
        return (day - self.start).days / max(1, (full - self.start).days)


@dataclass(frozen=True, kw_only=True)
class CapacityProject:
    """New specialist places with a planned opening date and a risk of opening late."""

    name: str
    setting: str
    places: int
    opens: dt.date
    unit_cost_gbp_per_year: float | None = None
    capital_cost_gbp: float | None = None       # None: places x finance.capital_cost_gbp_per_place
    slip_probability: float = 0.0
    delay_months: Effect = Effect.fixed(0.0)
    source: str = ""


@dataclass(frozen=True, kw_only=True)
class Sources:
    """Which sources of uncertainty vary between replications (model.md section 6)."""

    process_noise: bool = True      # who requests, when, which outcome
    parameters: bool = True         # [[uncertainty]] ranges, or rows of a posterior file
    structural: bool = True         # demand-trend drift, intervention effects, slippage

    def describe(self) -> str:
        on = [n for n in ("process_noise", "parameters", "structural") if getattr(self, n)]
        return ", ".join(on) if on else "none (every replication identical)"


CONDITION_KINDS = ("in_year_balance_from", "in_year_balance_in", "cumulative_deficit_at_most")


@dataclass(frozen=True, kw_only=True)
class Condition:
    """A Safety Valve condition the runs are judged against."""

    name: str
    kind: str
    financial_year: str
    gbp: float | None = None

    def as_dict(self) -> dict:
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}


@dataclass(frozen=True, kw_only=True)
class Scenario:
    """Everything that defines one arm of an experiment."""

    name: str
    parameters: Parameters
    title: str = ""
    interventions: tuple[Intervention, ...] = ()
    capacity_programme: tuple[CapacityProject, ...] = ()
    sources: Sources = Sources()
    posterior_draws: tuple[FrozenMap, ...] = ()
    conditions: tuple[Condition, ...] = ()
    text: str = field(default="", compare=False)     # the file(s) it was read from, verbatim
    path: str = field(default="", compare=False)
    #: What the scenario was built on, for the board paper's assumptions: the base council
    #: (``builtin:wiltshire`` or a parameter file), its parameters before the scenario's
    #: changes, and which file set each changed parameter (dotted key -> file name).
    base: str = field(default="", compare=False)
    base_parameters: Parameters | None = field(default=None, compare=False, repr=False)
    parameter_files: FrozenMap = field(default_factory=lambda: FrozenMap({}), compare=False,
                                       repr=False)

    @classmethod
    def of(cls, params: Parameters, name: str = "parameters", text: str = "",
           path: str = "") -> "Scenario":
        """A scenario that is just a parameter set (no interventions); a scenario made from it
        with other parameters lists them against these in its assumptions."""
        return cls(name=name, parameters=params, text=text, path=path, base=path,
                   base_parameters=params)

    def problems(self, end: dt.date | None = None) -> list[str]:
        """Everything wrong with the scenario (keys named as in the file); `end` is the last
        simulated day, for checking that dates fall inside the horizon."""
        return check(self, end)


def _effect_parts(e: Effect, key: str) -> list[tuple[str, float]]:
    """(key, value) of an effect's numbers: one for a fixed effect, else low, mode, high."""
    if all(x == e.low or (x != x and e.low != e.low) for x in (e.mode, e.high)):   # NaN too
        return [(key, e.low)]
    return [(f"{key}.low", e.low), (f"{key}.mode", e.mode), (f"{key}.high", e.high)]


def _range_problems(e: Effect, key: str, bounds: tuple[float, float]) -> list[str]:
    return [f"{k}: {msg}" for k, x in _effect_parts(e, key) if (msg := number_problem(x, *bounds))]


def _finite(e: Effect) -> bool:
    return all(math.isfinite(x) for x in (e.low, e.mode, e.high))


def draws_problems(params: Parameters, rows, column_where: str, row_where) -> list[str]:
    """Posterior draws that cannot be used: a column that is not a number of `params`, a cell
    that is not a finite number inside its parameter's range (parameters.value_range).
    `column_where` prefixes column problems; `row_where(i)` names row i (0-based)."""
    out: list[str] = []
    columns = list(dict.fromkeys(k for r in rows for k in r))
    ranges = {}
    for name in columns:
        try:
            current = params.value_at(name)
        except ParameterError:
            out.append(f"{column_where}: column {name!r} is not a parameter")
            continue
        bounds = value_range(name)
        if bounds is None or isinstance(current, bool) or not isinstance(current, (int, float)):
            out.append(f"{column_where}: column {name!r} is not a number of the parameters, so "
                       "it cannot be drawn")
            continue
        ranges[name] = bounds
    bad = 0
    for i, row in enumerate(rows):
        for name, bounds in ranges.items():
            x = row.get(name)
            if hasattr(x, "item") and not isinstance(x, (int, float)):
                x = x.item()        # a NumPy number, from a calibration's table
            msg = "missing" if name not in row else number_problem(x, *bounds)
            if msg:
                bad += 1
                if bad <= MAX_CELL_PROBLEMS:
                    out.append(f"{row_where(i)}, column {name}: {msg}")
    if bad > MAX_CELL_PROBLEMS:
        out.append(f"{column_where}: and {bad - MAX_CELL_PROBLEMS} more cells like these "
                   f"({bad} in all)")
    return out


def _effect_problems(iv: Intervention, key: str) -> list[str]:
    """Effects the engine could not carry out, rather than silently doing nothing."""
    e, out = iv.effect, []
    if iv.change == "multiply" and e.low < 0:
        out.append(f"{key}.effect: a factor cannot be negative (low={e.low})")
    if iv.change == "set" and not (0 <= e.low and e.high <= 1):
        out.append(f"{key}.effect: a probability must lie in [0, 1]")
    if iv.target in ("requests", "inmss_placements") and (
            (iv.change == "multiply" and e.high > 1) or (iv.change == "per_month" and e.high > 0)):
        out.append(f"{key}.effect: an intervention can only reduce {iv.target} (a factor up to "
                   "1, or a negative number a month); raise demand through the parameters "
                   "(requests.trend_per_year, requests.rate_per_1000_by_age)")
    if iv.target == "ceasing" and e.low < 0:
        out.append(f"{key}.effect: extra ceasing cannot be negative (low={e.low})")
    return out


def _keyed(items, section: str, out: list[str]):
    """Each item with the key its messages name, noting a name used twice (names identify
    items in reports and in `extends`)."""
    names = [i.name for i in items]
    for k, item in enumerate(items):
        key = f"{section}[{k}] ({item.name!r})"
        if names.count(item.name) > 1:
            out.append(f"{key}: name used twice; names must be unique")
        yield item, key


def check(s: Scenario, end: dt.date | None = None) -> list[str]:
    out: list[str] = []
    start = s.parameters.council.start_date

    def date_ok(d: dt.date | None, key: str) -> None:
        if d is None:
            return
        if d < start or (end is not None and d > end):
            out.append(f"{key}: {d} is outside the simulated horizon {start} to "
                       f"{end if end else '...'}")

    def effect_ok(e: Effect, key: str) -> None:
        if not e.low <= e.mode <= e.high:
            out.append(f"{key}: need low <= mode <= high (got low={e.low}, mode={e.mode}, "
                       f"high={e.high})")

    for iv, key in _keyed(s.interventions, "interventions", out):
        spec = TARGETS.get(iv.target)
        if spec is None:
            out.append(f"{key}.target: {iv.target!r} is not a target; allowed: {', '.join(TARGETS)}")
            continue
        if iv.change not in spec["changes"]:
            out.append(f"{key}.change: {iv.change!r} is not allowed for target {iv.target!r}; "
                       f"allowed: {', '.join(spec['changes'])}")
            effect_ok(iv.effect, f"{key}.effect")
        else:
            bounds = _range_problems(iv.effect, f"{key}.effect",
                                     effect_range(iv.target, iv.change))
            if not _finite(iv.effect):
                out.extend(bounds)
            else:            # the specific message first; the range only if it says nothing
                n = len(out)
                out.extend(_effect_problems(iv, key))
                effect_ok(iv.effect, f"{key}.effect")
                if len(out) == n:
                    out.extend(bounds)
        date_ok(iv.start, f"{key}.start")
        date_ok(iv.full_effect, f"{key}.full_effect")
        date_ok(iv.end, f"{key}.end")
        if iv.full_effect is not None and iv.full_effect < iv.start:
            out.append(f"{key}.full_effect: {iv.full_effect} is before start {iv.start}")
        if iv.end is not None and iv.end <= iv.start:
            out.append(f"{key}.end: {iv.end} is not after start {iv.start}")
        for band in iv.age_bands:
            if band not in AGE_BANDS:
                out.append(f"{key}.age_bands: {band!r} is not an age band; allowed: {', '.join(AGE_BANDS)}")
        for need in iv.needs:
            if need not in NEEDS:
                out.append(f"{key}.needs: {need!r} is not a primary need; allowed: {', '.join(NEEDS)}")
        if iv.needs and "needs" not in spec["filters"]:
            out.append(f"{key}.needs: target {iv.target!r} cannot be restricted by need")
        if iv.age_bands and "age_bands" not in spec["filters"]:
            out.append(f"{key}.age_bands: target {iv.target!r} cannot be restricted by age")
        if iv.requester and ("requester" not in spec["filters"] or iv.requester not in REQUESTERS):
            out.append(f"{key}.requester: {iv.requester!r} not allowed here; allowed for "
                       f"no_to_assess: {', '.join(REQUESTERS)}")
        if iv.setting and "setting" not in spec["filters"]:
            out.append(f"{key}.setting: target {iv.target!r} cannot be restricted by setting")
        elif iv.setting and iv.setting not in SETTINGS:
            out.append(f"{key}.setting: {iv.setting!r} is not a setting; allowed: {', '.join(SETTINGS)}")
        if iv.target in ("step_down", "unit_cost") and not iv.setting:
            out.append(f"{key}.setting: required for target {iv.target!r}")
        if iv.target == "step_down" and iv.setting and iv.setting not in STEP_DOWN:
            out.append(f"{key}.setting: no step down from {iv.setting!r}; allowed: "
                       f"{', '.join(STEP_DOWN)}")
        if iv.target == "ceasing" and iv.reason not in REVIEW_CEASE_REASONS:
            out.append(f"{key}.reason: {iv.reason!r} not allowed; allowed: {', '.join(REVIEW_CEASE_REASONS)}")
        if iv.annual_cost_gbp < 0:
            out.append(f"{key}.annual_cost_gbp: must be >= 0 (got {iv.annual_cost_gbp})")
        elif msg := number_problem(iv.annual_cost_gbp, *ANNUAL_COST):
            out.append(f"{key}.annual_cost_gbp: {msg}")

    for pr, key in _keyed(s.capacity_programme, "capacity_programme", out):
        if pr.setting not in CAPACITY_SETTINGS:
            out.append(f"{key}.setting: {pr.setting!r} is not a capacity setting; allowed: "
                       f"{', '.join(CAPACITY_SETTINGS)}")
        if pr.places < 0:
            out.append(f"{key}.places: capacity cannot be negative (got {pr.places})")
        elif msg := number_problem(pr.places, *PLACES):
            out.append(f"{key}.places: {msg}")
        date_ok(pr.opens, f"{key}.opens")
        if msg := number_problem(pr.slip_probability, *PROB):
            out.append(f"{key}.slip_probability: {msg}")
        delay = _range_problems(pr.delay_months, f"{key}.delay_months", DELAY_MONTHS)
        if not _finite(pr.delay_months):
            out.extend(delay)
        else:
            n = len(out)
            effect_ok(pr.delay_months, f"{key}.delay_months")
            if pr.delay_months.low < 0:
                out.append(f"{key}.delay_months: a delay cannot be negative")
            if len(out) == n:
                out.extend(delay)
        capital = pr.capital_cost_gbp
        if capital is not None and (capital < 0 or (msg := number_problem(capital, *GBP_NONNEG))):
            out.append(f"{key}.capital_cost_gbp: " + ("must be >= 0" if capital < 0 else msg))
        cost = pr.unit_cost_gbp_per_year
        if cost is not None and cost < 0:
            out.append(f"{key}.unit_cost_gbp_per_year: must be >= 0")
        elif cost is not None and (msg := number_problem(cost, *UNIT_COST)):
            out.append(f"{key}.unit_cost_gbp_per_year: {msg}")

    for c, key in _keyed(s.conditions, "conditions", out):
        if c.kind not in CONDITION_KINDS:
            out.append(f"{key}.kind: {c.kind!r} is not a condition; allowed: {', '.join(CONDITION_KINDS)}")
        if c.kind == "cumulative_deficit_at_most" and (c.gbp is None or c.gbp < 0):
            out.append(f"{key}.gbp: a non-negative deficit limit is required")
        elif c.gbp is not None and (msg := number_problem(c.gbp, *GBP_NONNEG)):
            out.append(f"{key}.gbp: {msg}")
        fy = c.financial_year
        if not (len(fy) == 7 and fy[4] == "-" and fy[:4].isdigit() and fy[5:].isdigit()):
            out.append(f"{key}.financial_year: {fy!r} is not like '2028-29'")
        elif end is not None and not (start.year - 1 <= int(fy[:4]) < end.year):
            out.append(f"{key}.financial_year: {fy} is outside the simulated horizon")

    if s.posterior_draws:
        out.extend(draws_problems(s.parameters, s.posterior_draws, "parameter_draws",
                                  lambda i: f"parameter_draws: row {i + 1}"))
    return out


__all__ = ["TARGETS", "Effect", "Intervention", "CapacityProject", "Sources", "Condition",
           "Scenario", "CONDITION_KINDS", "REQUESTERS", "check", "effect_range", "draws_problems"]
