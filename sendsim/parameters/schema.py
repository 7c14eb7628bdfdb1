"""The declared parameters: one frozen dataclass per section, each field with its doc, its kind
(what `checks.KIND_CHECKS` checks it as), its range and its default; and `Parameters`, the root,
which loads, checks, saves and changes them.

Every field carries its unit in its name (``_per_month``, ``_weeks``, ``_gbp_per_year``) or in
its ``doc``. `Parameters` ties the rest of the package together: `files.build` makes it from
TOML data, `checks.validate` checks it, `files.unbuild` and `files.save_toml` write it back.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .checks import validate
from .files import build, read_toml, save_toml, toml_text, unbuild, unbuild_value
from .keys import allowed_at, field_hints, join_key, locate, range_at
from .problems import ParameterError
from .values import CHILDREN, GBP, GBP_NONNEG, GROWTH, KIND_BOUNDS, MONTHS, PER_MONTH, PLACES, WEEKS, FrozenMap


def _f(default=dataclasses.MISSING, *, doc: str, kind: str | None = None, default_factory=None,
       bounds: tuple[float, float] | None = None, no_limit: bool = False):
    """A field with a docstring, a constraint kind and, for numbers, the range allowed.

    kinds: "prob" in [0, 1]; "nonneg" >= 0; "pos" > 0; "number" any number in `bounds`;
    "probmap" values in [0,1]; "dist" values in [0,1] summing to 1; "nonnegmap" values >= 0;
    "nonnegseq" items >= 0; the rest are in `checks.KIND_CHECKS`. Every kind has a finite range
    (`bounds`, or the kind's default in `values.KIND_BOUNDS`): each number in the field must lie
    in it. `no_limit`: infinity (1e300 in a file) is accepted too, meaning "no limit".
    """
    meta = {"doc": doc, "kind": kind}
    if kind is not None:
        low, high = bounds if bounds is not None else KIND_BOUNDS[kind]
        assert math.isfinite(low) and math.isfinite(high) and low <= high, (low, high)
        meta.update(low=low, high=high, no_limit=no_limit)
    if default_factory is not None:
        return field(default_factory=default_factory, metadata=meta)
    return field(default=default, metadata=meta)


# Parameter groups ----------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class Council:
    name: str = _f(doc="Local authority name, as in DfE files.")
    la_code: str = _f(doc="New LA code (ONS), e.g. E06000054.")
    start_date: dt.date = _f(doc="Date of the start state: a January census day.")
    sources: tuple[str, ...] = _f(default=(), doc="Where the values in this file came from.")


@dataclass(frozen=True, kw_only=True)
class Population:
    """Resident population by single year of age (ONS subnational projections, mid-year)."""

    projection: FrozenMap = _f(doc="Map 'YYYY' -> 26 counts, ages 0 to 25 at mid-year.",
                               kind="popmap")


@dataclass(frozen=True, kw_only=True)
class SenSupport:
    """Pupils with SEN but no plan (school census 'SEN support'), reception to Year 11."""

    prevalence_by_ncy: tuple[float, ...] = _f(
        doc="Share of pupils on SEN support at each NCY 0..11 (12 values), at the start.",
        kind="probseq")
    exit_rate_per_month: float = _f(
        doc="Monthly probability a SEN support pupil's needs are met and support ends.",
        kind="prob")


@dataclass(frozen=True, kw_only=True)
class TrendChange:
    """A new central growth rate of request rates from a date (a council's planning assumption)."""

    date: dt.date = _f(doc="From this date.")
    per_year: float = _f(kind="number", bounds=GROWTH,
                         doc="Central growth per year from this date (0.045 = +4.5%/yr).")


@dataclass(frozen=True, kw_only=True)
class Requests:
    """Requests for an EHC needs assessment (EHCNA)."""

    rate_per_1000_by_age: tuple[float, ...] = _f(
        doc="Requests a year per 1,000 residents of each age 0..25 (26 values), at trend_base_date.",
        kind="nonnegseq")
    trend_per_year: float = _f(kind="number", bounds=GROWTH,
                               doc="Central growth of request rates per year (0.05 = +5%/yr).")
    trend_sd_per_year: float = _f(
        default=0.0, kind="nonneg", bounds=(0.0, 1.0),
        doc="Standard deviation of the trend across replications (structural uncertainty).")
    trend_base_date: dt.date = _f(doc="Date at which rate_per_1000_by_age applies.")
    trend_changes: tuple[TrendChange, ...] = _f(
        default=(),
        doc="Later central growth rates, each from its date (dates after trend_base_date, in "
            "order); a replication's drift from trend_per_year carries over to each.")
    from_sen_support: float = _f(
        kind="prob",
        doc="Share of school-age requests made for a pupil already on SEN support.")
    parent_share: float = _f(
        default=0.32, kind="prob",
        doc="Share of requests made by parents or young people (seed 004: 32%); a label only.")


@dataclass(frozen=True, kw_only=True)
class DecideToAssess:
    """The 6-week decision whether to carry out an EHCNA."""

    no_to_assess: float = _f(kind="prob", doc="Probability a request is refused.")
    decision_weeks_min: float = _f(kind="nonneg", bounds=WEEKS,
                                   doc="Fastest decision, weeks after request.")
    decision_weeks_mode: float = _f(kind="nonneg", bounds=WEEKS,
                                    doc="Most common decision time, weeks.")
    decision_weeks_max: float = _f(kind="nonneg", bounds=WEEKS, doc="Slowest decision, weeks.")
    refused_request_again: float = _f(
        default=0.0, kind="prob",
        doc="Probability a refused child is requested for again later (appeal or new request).")
    request_again_after_months: float = _f(
        default=6.0, kind="pos", bounds=(0.1, MONTHS[1]),
        doc="Mean months before a refused child's next request.")


@dataclass(frozen=True, kw_only=True)
class CapacityChange:
    """A step change in a team's throughput from a date (e.g. agency EPs bought for a year)."""

    date: dt.date = _f(doc="From this date.")
    per_month: float = _f(kind="nonneg", bounds=PER_MONTH,
                          doc="Throughput from this date, per month.")


@dataclass(frozen=True, kw_only=True)
class Assessment:
    """EHC needs assessment: EP advice (queued on EP capacity), other advice, drafting."""

    ep_advices_per_month: float = _f(kind="nonneg", bounds=PER_MONTH,
                                     doc="EP advices the service completes a month at the start.")
    ep_capacity_changes: tuple[CapacityChange, ...] = _f(
        default=(), doc="Dated changes to EP advices per month (agency EPs, vacancies).")
    ep_advice_weeks: float = _f(kind="pos", bounds=(0.1, WEEKS[1]),
                                doc="Weeks an EP takes over one advice once started.")
    drafting_weeks_min: float = _f(kind="nonneg", bounds=WEEKS,
                                   doc="Fastest time from EP advice to the decision to issue, weeks.")
    drafting_weeks_mode: float = _f(kind="nonneg", bounds=WEEKS,
                                    doc="Most common drafting time, weeks.")
    drafting_weeks_max: float = _f(kind="nonneg", bounds=WEEKS, doc="Slowest drafting time, weeks.")
    no_to_issue: float = _f(kind="prob", doc="Probability an assessment ends without a plan.")
    ep_priority_share: float = _f(
        default=0.0, kind="prob",
        doc="Share of assessments whose EP advice is taken ahead of the queue (fast-tracked); "
            "the rest wait first come, first served.")
    in_progress_at_start: int = _f(
        default=0, kind="nonneg", bounds=CHILDREN,
        doc="Assessments already agreed and waiting for or in EP advice at the start date.")
    oldest_in_progress_weeks: float = _f(
        default=20.0, kind="nonneg", bounds=WEEKS,
        doc="Age of the oldest assessment in progress at the start (requests spread evenly).")


@dataclass(frozen=True, kw_only=True)
class PlaceChange:
    """Specialist places opening (positive) or closing (negative) on a date."""

    date: dt.date = _f(doc="When the places open or close.")
    setting: str = _f(doc="One of the capacity settings.")
    places: int = _f(kind="number", bounds=(-PLACES[1], PLACES[1]),
                     doc="Places added (negative: removed as they fall vacant).")
    label: str = _f(default="", doc="Project name, e.g. '120-place special school, south'.")


@dataclass(frozen=True, kw_only=True)
class Placement:
    """Placement at issue and capacity of specialist settings."""

    new_plan_mix: FrozenMap = _f(
        kind="distmap",
        doc="Age band -> setting -> share of new plans placed there (each band sums to 1).")
    places: FrozenMap = _f(kind="placesmap",
                           doc="Setting -> places at the start, for the capacity settings.")
    place_changes: tuple[PlaceChange, ...] = _f(default=(), doc="Dated openings and closures.")
    inmss_when_full: FrozenMap = _f(
        kind="capprobmap",
        doc="Capacity setting -> probability a child named for it when it is full goes to INMSS "
            "at once rather than waiting (in mainstream meanwhile) for a place; missing = 0.")


@dataclass(frozen=True, kw_only=True)
class Reviews:
    """Annual reviews, completed by SEN caseworkers in weekly batches, oldest first."""

    interval_months: float = _f(kind="pos", bounds=(1.0, MONTHS[1]),
                                doc="Months between reviews (statutory 12).")
    under5_interval_months: float = _f(kind="pos", bounds=(1.0, MONTHS[1]),
                                       doc="Months between reviews for under-5s (6).")
    reviews_per_month: float = _f(kind="nonneg", bounds=PER_MONTH,
                                  doc="Reviews the casework team completes a month.")
    reviews_capacity_changes: tuple[CapacityChange, ...] = _f(
        default=(), doc="Dated changes to reviews per month.")
    capacity_follows_caseload: float = _f(
        default=0.0, kind="prob",
        doc="How far the casework team grows with the caseload: 0 = a fixed team, 1 = reviews "
            "per month grow in proportion to plans held (checked monthly).")
    step_down: FrozenMap = _f(
        kind="probmap",
        doc="Setting -> probability a review moves the child one step down "
            "(inmss->special->resource_base->mainstream), when a place is free.")
    step_up: FrozenMap = _f(
        kind="probmap",
        doc="Setting -> probability a review moves the child one step up "
            "(mainstream->resource_base->special->inmss).")
    cease_at_review: FrozenMap = _f(
        kind="probnested",
        doc="Reason (needs_met, he, employ, no_engage) -> age band -> probability a review ceases "
            "the plan for that reason.")


@dataclass(frozen=True, kw_only=True)
class PhaseTransfer:
    """Placement re-decided at the key transitions, every 1 September.

    Each table maps the setting a child is leaving to the shares of settings they move to,
    or of ceasing at the transition (cease_he, cease_employ, cease_no_engage, cease_needs_met);
    a setting missing from a table means the child stays where they are.
    """

    into_reception: FrozenMap = _f(kind="distnested", doc="Children entering NCY 0.")
    into_secondary: FrozenMap = _f(kind="distnested", doc="Children entering NCY 7.")
    into_post16: FrozenMap = _f(kind="distnested", doc="Young people entering NCY 12.")
    into_post19: FrozenMap = _f(kind="distnested", doc="Young people entering NCY 15 (age 19).")


@dataclass(frozen=True, kw_only=True)
class Ceasing:
    """Ceasing that happens whenever life does (not tied to a review)."""

    rate_per_year: FrozenMap = _f(
        kind="nonnegnested", bounds=(0.0, 1.0),
        doc="Reason (transfer, moved_outside_eng, deceased) -> age band -> plans ceased a year "
            "per plan held.")


@dataclass(frozen=True, kw_only=True)
class TransfersIn:
    """Plans arriving from other LAs."""

    per_month: float = _f(kind="nonneg", bounds=(0.0, 1e4), doc="Plans transferred in a month.")
    age_mix: FrozenMap = _f(kind="dist", doc="Age band -> share of transfers in.")


@dataclass(frozen=True, kw_only=True)
class SafetyValvePayment:
    """A DfE Safety Valve instalment, paid only if the deficit is on track."""

    date: dt.date = _f(doc="Payment date.")
    amount_gbp: float = _f(kind="nonneg", bounds=GBP_NONNEG, doc="Instalment, GBP.")
    max_cumulative_deficit_gbp: float = _f(
        default=math.inf, kind="nonneg", bounds=GBP_NONNEG, no_limit=True,
        doc="Paid only if the cumulative deficit at the last 31 March was not above this "
            "(infinity, written 1e300: no limit, the default).")


@dataclass(frozen=True, kw_only=True)
class Finance:
    """Unit costs, income and the opening balance of the High Needs Block (HNB)."""

    unit_cost_gbp_per_year: FrozenMap = _f(
        kind="costmap", doc="Setting -> HNB cost of one child's place for a year, at price_base_fy.")
    price_base_fy: str = _f(doc="Financial year the unit costs are priced in, e.g. '2023-24'.")
    inflation_per_year: float = _f(kind="number", bounds=(-0.2, 0.5),
                                   doc="Uplift of unit costs and fixed lines each April.")
    fixed_spend_gbp_per_year: FrozenMap = _f(
        kind="nonnegmap",
        doc="Spend not tied to individual plans (central SEN services, outreach, AP), GBP a year "
            "at price_base_fy.")
    hnb_income_gbp: FrozenMap = _f(
        kind="nonnegmap", doc="Financial year -> HNB allocation after deductions, GBP.")
    hnb_growth_per_year: float = _f(kind="number", bounds=(-0.5, 1.0),
                                    doc="Growth of the HNB allocation after the last year given.")
    schools_block_transfer_gbp: FrozenMap = _f(
        default_factory=lambda: FrozenMap(), kind="nonnegmap",
        doc="Financial year -> transfer from the schools block, GBP.")
    schools_block_transfer_after_gbp: float = _f(
        default=0.0, kind="nonneg", bounds=GBP_NONNEG,
        doc="Transfer each year after the last year given, GBP.")
    la_contribution_gbp: FrozenMap = _f(
        default_factory=lambda: FrozenMap(), kind="nonnegmap",
        doc="Financial year -> council contribution to the DSG deficit, GBP.")
    safety_valve_payments: tuple[SafetyValvePayment, ...] = _f(default=(),
                                                               doc="DfE instalments.")
    opening_cumulative_balance_gbp: float = _f(
        kind="number", bounds=GBP,
        doc="Cumulative DSG balance at 31 March before the first simulated financial year "
            "(negative = deficit).")
    statutory_override_end: dt.date = _f(
        doc="Date the statutory override (deficits held off the council's books) ends.")
    opening_balance_fy: str = _f(
        default="",
        doc="Financial year at whose end (31 March) opening_cumulative_balance_gbp stands, e.g. "
            "'2021-22': the last balance published before the start. Every financial year after "
            "it is simulated; the months before the start date are priced on the caseload "
            "interpolated between previous_census_by_setting and the start. Empty: the balance "
            "stands at the 31 March before the first whole financial year after the start.")
    previous_census_by_setting: FrozenMap = _f(
        default_factory=lambda: FrozenMap(), kind="countmap",
        doc="Setting -> plans at the January census a year before the start (needed when "
            "opening_balance_fy is before the start).")
    place_funding_gbp_per_year: FrozenMap = _f(
        default_factory=lambda: FrozenMap(), kind="settingcostmap",
        doc="Setting -> the part of its unit cost that is place funding the council pays "
            "(maintained special schools, units, FE), GBP a year at price_base_fy. Section 251 "
            "net high-needs spend leaves it out, so `net_high_needs_spend` does too.")
    inflation_by_setting: FrozenMap = _f(
        default_factory=lambda: FrozenMap(), kind="settingnumbermap", bounds=(-0.2, 0.5),
        doc="Setting -> uplift of its unit cost each April where it is not inflation_per_year "
            "(independent fees do not rise as maintained top-ups do).")
    cost_level: float = _f(
        default=1.0, kind="pos", bounds=(0.1, 10.0),
        doc="Multiplies every unit cost and fixed line: a council's cost level as a whole, so "
            "that its uncertainty can be drawn once per replication (1: as given).")
    general_fund_reserves_gbp: float = _f(
        default=0.0, kind="nonneg", bounds=GBP_NONNEG,
        doc="The council's usable general fund reserves, set against the cumulative deficit when "
            "the statutory override ends (0: not given).")
    cost_basis: tuple[str, ...] = _f(
        default=(),
        doc="What each money line rests on, as 'line: basis' (a setting or fixed line; basis: "
            "own outturn, neighbours, template, seed or assumption). Reports show it beside "
            "every money figure.")
    capital_cost_gbp_per_place: FrozenMap = _f(
        default_factory=lambda: FrozenMap(), kind="settingcostmap", bounds=(0.0, 2e6),
        doc="Setting -> capital cost of building one new place, GBP (kept apart from the High "
            "Needs Block's revenue; a project's own capital_cost_gbp overrides it).")


@dataclass(frozen=True, kw_only=True)
class StartState:
    """The caseload at the start date, by setting and by age band (January census)."""

    caseload_by_setting: FrozenMap = _f(kind="countmap", doc="Setting -> plans at the start.")
    caseload_by_age_band: FrozenMap = _f(kind="countmap", doc="Age band -> plans at the start.")
    need_mix: FrozenMap = _f(kind="dist", doc="Primary need -> share of plans and requests.")


@dataclass(frozen=True, kw_only=True)
class UncertainParameter:
    """A parameter whose value is not known exactly: each replication draws it once from a
    triangular distribution (low, mode, high), so intervals carry parameter uncertainty too."""

    key: str = _f(doc="Dotted path of a numeric parameter, e.g. 'assessment.in_progress_at_start' "
                      "or 'assessment.ep_capacity_changes[0].per_month'.")
    low: float = _f(kind="number", bounds=GBP, doc="Lowest value (within the key's own range).")
    mode: float = _f(kind="number", bounds=GBP, doc="Most likely value.")
    high: float = _f(kind="number", bounds=GBP, doc="Highest value.")
    source: str = _f(default="", doc="Why this range.")


@dataclass(frozen=True, kw_only=True)
class Parameters:
    """Everything one council's simulation needs. Immutable; change with `replace`."""

    council: Council
    population: Population
    start_state: StartState
    sen_support: SenSupport
    requests: Requests
    decide_to_assess: DecideToAssess
    assessment: Assessment
    placement: Placement
    reviews: Reviews
    phase_transfer: PhaseTransfer
    ceasing: Ceasing
    transfers_in: TransfersIn
    finance: Finance
    uncertainty: tuple[UncertainParameter, ...] = _f(
        default=(), doc="Parameters drawn once per replication (parameter uncertainty).")

    # -- construction ------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: dict, source: str | None = None) -> "Parameters":
        problems: list[str] = []
        obj = build(cls, data, "", problems)
        if obj is not None:   # typed well enough to check the values too: report everything
            problems.extend(validate(obj))
        if problems:
            raise ParameterError(problems, source)
        return obj

    @classmethod
    def from_toml(cls, path: str | Path) -> "Parameters":
        data, _ = read_toml(path)
        return cls.from_dict(data, source=str(path))

    def to_dict(self) -> dict:
        return unbuild(self)

    def to_toml(self) -> str:
        return toml_text(self.to_dict())

    def save(self, path: str | Path, overwrite: bool = False) -> Path:
        return save_toml(path, self.to_dict(), overwrite)

    def replace(self, **changes: Any) -> "Parameters":
        """A copy with some values changed, validated. Keys are dotted paths:
        ``p.replace(**{"decide_to_assess.no_to_assess": 0.25})``."""
        data = self.to_dict()
        for dotted, value in changes.items():
            node, leaf = locate(data, dotted)
            # infinity stays infinity here (1e300 is only how files hold it), so a non-finite
            # value is refused as itself and a "no limit" field still takes math.inf
            node[leaf] = value if isinstance(value, float) else unbuild_value(value)
        return Parameters.from_dict(data)

    def value_at(self, dotted: str):
        """The value at a dotted path (``'assessment.ep_capacity_changes[0].per_month'``)."""
        return self.values_at([dotted])[dotted]

    def values_at(self, keys) -> dict:
        """`value_at` of several keys, from one conversion to a dict (a replication asks for
        every uncertain key's type)."""
        data = self.to_dict()
        out = {}
        for dotted in keys:
            node, leaf = locate(data, dotted)
            out[dotted] = node[leaf]
        return out


# -- what the schema says about a key -----------------------------------------------------------

def value_range(dotted: str) -> tuple[float, float, bool] | None:
    """(low, high, no_limit) of the number at a dotted key (a field, a list item such as
    'requests.rate_per_1000_by_age[3]', a map entry such as 'placement.places.special');
    None if the key names no number of the parameters."""
    return range_at(Parameters, dotted)


def allowed(dotted: str) -> str:
    """The range of a field as the docs state it ('0 to 520'); '' for a field that is not a
    number (text, dates, lists of tables)."""
    return allowed_at(Parameters, dotted)


def describe() -> list[tuple[str, str, str]]:
    """(key, type, doc) for every parameter: the reference table in docs/reference/parameters.md."""
    rows: list[tuple[str, str, str]] = []

    def walk(cls, prefix):
        hints = field_hints(cls)
        for f in dataclasses.fields(cls):
            tp = hints[f.name]
            key = join_key(prefix, f.name)
            if dataclasses.is_dataclass(tp):
                walk(tp, key)
                continue
            if typing.get_origin(tp) is tuple and dataclasses.is_dataclass(typing.get_args(tp)[0]):
                rows.append((key, "list of tables", f.metadata.get("doc", "")))
                walk(typing.get_args(tp)[0], key + "[]")
                continue
            rows.append((key, getattr(tp, "__name__", str(tp)), f.metadata.get("doc", "")))

    walk(Parameters, "")
    return rows
