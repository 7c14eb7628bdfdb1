"""Typed, immutable parameters for one council, loaded from and saved to TOML.

Every field carries its unit in its name (``_per_month``, ``_weeks``, ``_gbp_per_year``) or in
its ``doc``. Loading is all-or-nothing: unknown keys, wrong types, negative rates, probabilities
outside [0, 1], dates out of order and capacities below the start occupancy are all reported in
one `ParameterError` naming the file and every offending key, and no `Parameters` is returned.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from .errors import InputError
from .codes import AGE_BANDS, CAPACITY_SETTINGS, CEASE_REASONS, NEEDS, PHASE_CEASE_OUTCOMES, SETTINGS


class ParameterError(InputError):
    """Parameters that cannot be used; `problems` lists every one, each naming its key.

    On the command line it is one line, the first problem with the file it is in and how many
    more there are (`sendsim check FILE` lists them all: `lines()`)."""

    def __init__(self, problems: list[str], source: str | None = None):
        self.problems = list(problems) or ["unusable parameters"]
        self.source = source
        more = len(self.problems) - 1
        hint = ""
        if more:
            hint = (f"and {more} more problem{'s' if more > 1 else ''}"
                    + (f" (sendsim check {source} lists them all)" if source else ""))
        first, _, allowed = self.problems[0].partition("; ")
        super().__init__(source or "parameters", first,
                         "; ".join(x for x in (allowed, hint) if x))

    def lines(self) -> list[str]:
        """Every problem on its own line, each naming the file."""
        where = self.source or "parameters"
        return [" ".join(f"{where}: {p}".split()) for p in self.problems]


class FrozenMap(dict):
    """A read-only dict that still pickles (process pools send parameters to workers)."""

    def _refuse(self, *args, **kwargs):
        raise TypeError("parameters are immutable; use Parameters.replace(...)")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _refuse  # type: ignore[assignment]

    def __reduce__(self):
        return (FrozenMap, (dict(self),))

    def __hash__(self):  # frozen dataclasses holding maps stay hashable
        return hash(tuple(sorted(self.items(), key=lambda kv: str(kv[0]))))


# Constraint helpers used in field metadata -------------------------------------------------

#: "No limit" for a field that documents it (`no_limit=True`): infinity, written as 1e300
#: (`_unbuild_value`) so the TOML file stays readable by hand.
NO_LIMIT = 1e300

# Ranges by unit: generous enough for the largest English council (Kent: some 20,000 plans,
# a High Needs Block of about 300m GBP), small enough that a slip of the keyboard is caught.
PROB = (0.0, 1.0)
GBP = (-1e10, 1e10)                 # money: income, spend, transfers, balances
GBP_NONNEG = (0.0, 1e10)
UNIT_COST = (0.0, 2e6)              # one child's place for a year
CHILDREN = (0.0, 1e6)               # counts of children or residents
PLACES = (0.0, 1e5)
PER_MONTH = (0.0, 1e5)              # capacities: advices, reviews a month
WEEKS = (0.0, 520.0)
MONTHS = (0.0, 520.0)
GROWTH = (-0.9, 2.0)                # growth of request rates a year
RATE_PER_1000 = (0.0, 1000.0)

#: The range of a kind whose values have one natural range (fields may still narrow it).
_KIND_BOUNDS = {
    "prob": PROB, "probseq": PROB, "probmap": PROB, "capprobmap": PROB, "probnested": PROB,
    "dist": PROB, "distmap": PROB, "distnested": PROB,
    "costmap": UNIT_COST, "countmap": CHILDREN, "placesmap": PLACES, "popmap": CHILDREN,
    "nonnegmap": GBP_NONNEG, "nonnegseq": RATE_PER_1000,
}


def _f(default=dataclasses.MISSING, *, doc: str, kind: str | None = None, default_factory=None,
       bounds: tuple[float, float] | None = None, no_limit: bool = False):
    """A field with a docstring, a constraint kind and, for numbers, the range allowed.

    kinds: "prob" in [0, 1]; "nonneg" >= 0; "pos" > 0; "number" any number in `bounds`;
    "probmap" values in [0,1]; "dist" values in [0,1] summing to 1; "nonnegmap" values >= 0;
    "nonnegseq" items >= 0. Every kind has a finite range (`bounds`, or the kind's default in
    `_KIND_BOUNDS`): each number in the field must lie in it. `no_limit`: infinity (1e300 in a
    file) is accepted too, meaning "no limit".
    """
    meta = {"doc": doc, "kind": kind}
    if kind is not None:
        low, high = bounds if bounds is not None else _KIND_BOUNDS[kind]
        assert math.isfinite(low) and math.isfinite(high) and low <= high, (low, high)
        meta.update(low=low, high=high, no_limit=no_limit)
    if default_factory is not None:
        return field(default_factory=default_factory, metadata=meta)
    return field(default=default, metadata=meta)


def _bound(x: float) -> str:
    """A range's end as the messages and the docs show it: 100000, 0.5, 1e10."""
    if float(x).is_integer():
        return str(int(x)) if abs(x) < 1e7 else f"{x:g}".replace("e+", "e")
    return repr(float(x))


def allowed_text(low: float, high: float, no_limit: bool = False) -> str:
    """'0 to 520'; with `no_limit`, '0 to 1e10, or inf (1e300) for no limit'."""
    return f"{_bound(low)} to {_bound(high)}" + (", or inf (1e300) for no limit" if no_limit else "")


def _shown_number(x) -> str:
    """A number as written, short: -1.0, 1e+12, inf, nan."""
    if isinstance(x, int):
        return str(x) if abs(x) < 10**15 else "a whole number of more than 15 digits"
    r = repr(x)
    return r if len(r) <= 12 or "e" in r or not math.isfinite(x) else f"{x:.12g}"


def number_problem(x, low: float, high: float, no_limit: bool = False) -> str | None:
    """What is wrong with `x` as a number in [low, high] (None if nothing): not a number,
    not finite, or out of range, with what is allowed."""
    allowed = allowed_text(low, high, no_limit)
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return f"expected a number, got {_show(x)} (allowed: {allowed})"
    if no_limit and x in (math.inf, NO_LIMIT):
        return None
    if isinstance(x, float) and not math.isfinite(x):
        return f"{_shown_number(x)} is not a finite number (allowed: {allowed})"
    if low <= x <= high:
        return None
    if (low, high) == PROB:
        what = "is not a probability"
    elif x < 0 <= low:
        what = "is negative"
    else:
        what = "is out of range"
    return f"{_shown_number(x)} {what} (allowed: {allowed})"


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
        obj = _build(cls, data, "", problems)
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
        return _unbuild(self)

    def to_toml(self) -> str:
        return tomli_w.dumps(self.to_dict())

    def save(self, path: str | Path, overwrite: bool = False) -> Path:
        path = Path(path)
        if path.exists() and not overwrite:
            raise FileExistsError(f"{path} exists; pass overwrite=True to replace it")
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(self.to_toml(), encoding="utf-8")
        tmp.replace(path)
        return path

    def replace(self, **changes: Any) -> "Parameters":
        """A copy with some values changed, validated. Keys are dotted paths:
        ``p.replace(**{"decide_to_assess.no_to_assess": 0.25})``."""
        data = self.to_dict()
        for dotted, value in changes.items():
            node, leaf = _locate(data, dotted)
            # infinity stays infinity here (1e300 is only how files hold it), so a non-finite
            # value is refused as itself and a "no limit" field still takes math.inf
            node[leaf] = value if isinstance(value, float) else _unbuild_value(value)
        return Parameters.from_dict(data)

    def value_at(self, dotted: str):
        """The value at a dotted path (``'assessment.ep_capacity_changes[0].per_month'``)."""
        node, leaf = _locate(self.to_dict(), dotted)
        return node[leaf]


def dotted_items(data: dict, prefix: str = "") -> dict:
    """A parameter dict flattened to dotted key -> value, down to the fields: a table whose
    keys are financial years or dates ({"2025-26": ...}) is one value, not more keys."""
    out = {}
    for k, v in data.items():
        if isinstance(v, dict) and v and not any(str(x)[:1].isdigit() for x in v):
            out.update(dotted_items(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def read_text_file(path: str | Path, error: type[ParameterError] = ParameterError,
                   what: str = "TOML") -> str:
    """The text of a UTF-8 file; `error` naming the file if it cannot be read, is empty, is
    binary, is not UTF-8, or starts with a byte-order mark (refused rather than stripped: TOML
    and the draws' CSV header do not allow one, and a file is read the same way everywhere)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise error([f"cannot read the file: {exc.strerror}"], str(path)) from None
    fix = f"save it as plain UTF-8 {what} text"
    if not raw.strip():
        raise error([f"the file is empty (expected {what} text)"], str(path))
    if raw.startswith(b"\xef\xbb\xbf"):
        raise error([f"the file starts with a UTF-8 byte-order mark (BOM); {fix}, without the "
                     "BOM (in Excel: 'CSV' rather than 'CSV UTF-8'; in an editor: 'UTF-8', "
                     "not 'UTF-8 with BOM')"], str(path))
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise error([f"the file is UTF-16 text; {fix}"], str(path))
    if b"\x00" in raw:
        raise error([f"the file is binary, not {what} text; {fix}"], str(path))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error([f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x} at position "
                     f"{exc.start}); {fix}"], str(path)) from None


def read_toml(path: str | Path, error: type[ParameterError] = ParameterError) -> tuple[dict, str]:
    """(data, text) of a TOML file; `error` naming the file if it cannot be read or parsed, or
    holds nothing."""
    text = read_text_file(path, error)
    try:
        data = tomllib.loads(text)
    except ValueError as exc:    # TOMLDecodeError, or an integer of thousands of digits
        raise error([f"not valid TOML: {exc}"], str(path)) from None
    if not data:
        raise error(["the file holds no TOML keys (only comments or blank lines)"], str(path))
    return data, text


def _locate(data: dict, dotted: str):
    """(container, key) of a dotted path with optional [i] list indexes, or ParameterError."""
    parts = _tokens(dotted)
    if any(t is None or t == -1 for t in parts):
        raise ParameterError([f"{dotted}: an index in [] is not a list index (allowed: [0], [1], ...)"])
    node = data
    for key in parts[:-1]:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            raise ParameterError([f"{dotted}: no such parameter"]) from None
    leaf = parts[-1]
    if isinstance(node, dict) and leaf in node or isinstance(node, list) and isinstance(leaf, int) and leaf < len(node):
        return node, leaf
    raise ParameterError([f"{dotted}: no such parameter"])


# -- generic build / unbuild ------------------------------------------------------------------

_SCALARS = {float: (int, float), int: (int,), str: (str,), dt.date: (dt.date,)}
_TYPE_NAMES = {float: "a number", int: "a whole number", str: "a string", dt.date: "a date (YYYY-MM-DD)"}


def _hints(cls) -> dict:
    return typing.get_type_hints(cls)


def _build(tp, value, key: str, problems: list[str], meta=None):
    """Convert TOML data to `tp`, appending one message per problem to `problems`; `meta`:
    the field's metadata (its range, named in a message about a number)."""
    label = key or "(top level)"
    rng = (f" (allowed: {allowed_text(meta['low'], meta['high'], meta.get('no_limit', False))})"
           if meta and "low" in meta else "")
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            problems.append(f"{label}: expected a table, got {_show(value)}")
            return None
        hints = _hints(tp)
        fields = {f.name: f for f in dataclasses.fields(tp)}
        for k in value:
            if k not in fields:
                allowed = ", ".join(fields)
                problems.append(f"{_join(key, k)}: unknown key (allowed here: {allowed})")
        kwargs = {}
        for name, f in fields.items():
            sub = _join(key, name)
            if name not in value:
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                    problems.append(f"{sub}: missing (required: {f.metadata.get('doc', '')})")
                continue
            kwargs[name] = _build(hints[name], value[name], sub, problems, f.metadata)
        if any(v is None for v in kwargs.values()):
            return None
        try:
            return tp(**kwargs)
        except TypeError as exc:  # pragma: no cover - guarded by checks above
            problems.append(f"{label}: {exc}")
            return None
    origin = typing.get_origin(tp)
    if origin is tuple:
        (item_tp, _) = typing.get_args(tp)
        if not isinstance(value, (list, tuple)):
            problems.append(f"{label}: expected a list, got {_show(value)}")
            return None
        items = [_build(item_tp, v, f"{label}[{i}]", problems,
                        None if dataclasses.is_dataclass(item_tp) else meta)
                 for i, v in enumerate(value)]
        return None if any(i is None for i in items) else tuple(items)
    if tp is FrozenMap:
        if not isinstance(value, dict):
            problems.append(f"{label}: expected a table, got {_show(value)}")
            return None
        return _freeze(value, label, problems)
    if tp in _SCALARS:
        if isinstance(value, bool) or not isinstance(value, _SCALARS[tp]) or (
                tp is dt.date and isinstance(value, dt.datetime)):
            problems.append(f"{label}: expected {_TYPE_NAMES[tp]}, got {_show(value)}{rng}")
            return None
        if tp is float:   # NaN, infinity and the range are checked with the field (validate)
            if isinstance(value, int) and math.isinf(as_float(value)):
                # too large for a float: out of range, not infinity ("no limit" is inf or 1e300)
                problems.append(f"{label}: {_shown_number(value)} is out of range{rng}")
                return None
            value = as_float(value)
        return value
    raise TypeError(f"unsupported parameter type {tp!r} at {label}")  # pragma: no cover


def _freeze(value: dict, label: str, problems: list[str]):
    out = {}
    for k, v in value.items():
        if isinstance(v, dict):
            out[k] = _freeze(v, f"{label}.{k}", problems)
        elif isinstance(v, list):
            if not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v):
                problems.append(f"{label}.{k}: expected a list of numbers")
                out[k] = ()
            else:
                out[k] = tuple(as_float(x) for x in v)
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            out[k] = as_float(v)
        else:
            problems.append(f"{label}.{k}: expected a number, got {_show(v)}")
            out[k] = 0.0
    return FrozenMap(out)


def as_float(x) -> float:
    """float(x); a whole number too large for a float is infinite (and refused as such)."""
    try:
        return float(x)
    except OverflowError:
        return math.inf if x > 0 else -math.inf


def _unbuild(obj) -> dict:
    out = {}
    for f in dataclasses.fields(obj):
        out[f.name] = _unbuild_value(getattr(obj, f.name))
    return out


def _unbuild_value(v):
    if dataclasses.is_dataclass(v):
        return _unbuild(v)
    if isinstance(v, dict):
        return {str(k): _unbuild_value(x) for k, x in v.items()}
    if isinstance(v, (tuple, list)):
        return [_unbuild_value(x) for x in v]
    if isinstance(v, float) and math.isinf(v):
        return 1e300 if v > 0 else -1e300  # TOML has inf, but tomli-w writes it; keep readable
    return v


def _join(key: str, name: str) -> str:
    return f"{key}.{name}" if key else name


def _show(v) -> str:
    if isinstance(v, dict):
        return "a table"
    if isinstance(v, (list, tuple)):
        return "a list"
    r = repr(v) if not isinstance(v, int) or abs(v) < 10**40 else "(a very long whole number)"
    return f"{type(v).__name__} {r[:40]}"


# -- semantic validation ------------------------------------------------------------------

def validate(p: Parameters) -> list[str]:
    """Every problem with a fully typed `Parameters`, as messages naming the key."""
    problems: list[str] = []
    unsound: list[str] = []
    _check_kinds(p, "", problems, unsound)
    if not unsound:   # comparing NaN, infinity or a table as numbers would say nothing true
        _check_semantics(p, problems)
    return problems


def _check_kinds(obj, key: str, problems: list[str], unsound: list[str]) -> None:
    for f in dataclasses.fields(obj):
        v = getattr(obj, f.name)
        k = _join(key, f.name)
        kind = f.metadata.get("kind")
        if dataclasses.is_dataclass(v):
            _check_kinds(v, k, problems, unsound)
            continue
        if isinstance(v, tuple) and v and dataclasses.is_dataclass(v[0]):
            for i, item in enumerate(v):
                _check_kinds(item, f"{k}[{i}]", problems, unsound)
            continue
        if kind is None:
            continue
        _check_kind(kind, f.metadata, v, k, problems, unsound)


def _dist(m, k, problems, allowed: tuple[str, ...], num) -> None:
    ok = True
    for name, x in m.items():
        if name not in allowed:
            problems.append(f"{k}.{name}: unknown name (allowed: {', '.join(allowed)})")
        else:
            ok = num(x, f"{k}.{name}") and ok
    total = sum(x for x in m.values() if isinstance(x, float))
    if ok and m and abs(total - 1.0) > 1e-6:
        problems.append(f"{k}: shares sum to {total:.6f} (allowed: they must sum to 1)")


def _is_capacity_setting(name: str, k: str, problems: list[str]) -> bool:
    if name in CAPACITY_SETTINGS:
        return True
    problems.append(f"{k}.{name}: not a capacity setting (allowed: {', '.join(CAPACITY_SETTINGS)})")
    return False


def _check_kind(kind: str, meta, v, k: str, problems: list[str], unsound: list[str]) -> None:
    def num(x, key: str) -> bool:
        """Whether x is a number inside the field's range; a message naming `key` if not."""
        msg = number_problem(x, meta["low"], meta["high"], meta.get("no_limit", False))
        if msg is None:
            return True
        problems.append(f"{key}: {msg}")
        if isinstance(x, bool) or not isinstance(x, (int, float)) or (
                isinstance(x, float) and not math.isfinite(x)) or (
                isinstance(x, int) and abs(x) > NO_LIMIT):   # no float holds it: sums overflow
            unsound.append(key)
        return False

    if kind in ("prob", "nonneg", "pos", "number"):
        num(v, k)
    elif kind in ("probseq", "nonnegseq"):
        for i, x in enumerate(v):
            num(x, f"{k}[{i}]")
    elif kind in ("nonnegmap", "costmap", "countmap"):
        for name, x in v.items():
            if num(x, f"{k}.{name}") and kind == "countmap" and x != int(x):
                problems.append(f"{k}.{name}: {x} is not a whole number of children")
        allowed = {"costmap": SETTINGS, "countmap": None}.get(kind)
        if kind == "costmap":
            for s in SETTINGS:
                if s not in v:
                    problems.append(f"{k}.{s}: missing (every setting needs a unit cost)")
        if allowed:
            for name in v:
                if name not in allowed:
                    problems.append(f"{k}.{name}: unknown setting (allowed: {', '.join(allowed)})")
    elif kind == "probmap":
        for name, x in v.items():
            if name not in SETTINGS:
                problems.append(f"{k}.{name}: unknown setting (allowed: {', '.join(SETTINGS)})")
            else:
                num(x, f"{k}.{name}")
    elif kind == "dist":
        allowed = NEEDS if k.endswith("need_mix") else AGE_BANDS
        _dist(v, k, problems, allowed, num)
    elif kind == "distmap":
        for band, m in v.items():
            if band not in AGE_BANDS:
                problems.append(f"{k}.{band}: unknown age band (allowed: {', '.join(AGE_BANDS)})")
            elif not isinstance(m, dict):
                problems.append(f"{k}.{band}: expected a table of setting shares")
            else:
                _dist(m, f"{k}.{band}", problems, SETTINGS, num)
        for band in AGE_BANDS:
            if band not in v:
                problems.append(f"{k}.{band}: missing (every age band needs a placement mix)")
    elif kind == "distnested":
        for frm, m in v.items():
            if frm not in SETTINGS:
                problems.append(f"{k}.{frm}: unknown setting (allowed: {', '.join(SETTINGS)})")
            elif not isinstance(m, dict):
                problems.append(f"{k}.{frm}: expected a table of setting shares")
            else:
                _dist(m, f"{k}.{frm}", problems, SETTINGS + PHASE_CEASE_OUTCOMES, num)
    elif kind == "capprobmap":
        for name, x in v.items():
            if _is_capacity_setting(name, k, problems):
                num(x, f"{k}.{name}")
    elif kind in ("probnested", "nonnegnested"):
        for reason, m in v.items():
            if reason not in CEASE_REASONS:
                problems.append(f"{k}.{reason}: unknown reason (allowed: {', '.join(CEASE_REASONS)})")
                continue
            if not isinstance(m, dict):
                problems.append(f"{k}.{reason}: expected a table by age band")
                unsound.append(f"{k}.{reason}")
                continue
            for band, x in m.items():
                if band not in AGE_BANDS:
                    problems.append(f"{k}.{reason}.{band}: unknown age band "
                                    f"(allowed: {', '.join(AGE_BANDS)})")
                else:
                    num(x, f"{k}.{reason}.{band}")
    elif kind == "placesmap":
        for name, x in v.items():
            if _is_capacity_setting(name, k, problems):
                if num(x, f"{k}.{name}") and x != int(x):
                    problems.append(f"{k}.{name}: {x} is not a whole number of places")
        for name in CAPACITY_SETTINGS:
            if name not in v:
                problems.append(f"{k}.{name}: missing (every capacity setting needs places)")
    elif kind == "popmap":
        for year, counts in v.items():
            if not (len(year) == 4 and year.isdigit()):
                problems.append(f"{k}.{year}: expected a year such as '2023'")
            if not isinstance(counts, tuple) or len(counts) != 26:
                problems.append(f"{k}.{year}: expected 26 counts (ages 0 to 25)")
            else:
                for i, x in enumerate(counts):
                    num(x, f"{k}.{year}[{i}]")
        if not v:
            problems.append(f"{k}: at least one year is needed")
    else:  # pragma: no cover
        raise ValueError(kind)


def _check_semantics(p: Parameters, problems: list[str]) -> None:
    d = p.decide_to_assess
    if not d.decision_weeks_min <= d.decision_weeks_mode <= d.decision_weeks_max:
        problems.append("decide_to_assess.decision_weeks_min/mode/max: must satisfy min <= mode <= max")
    a = p.assessment
    if not a.drafting_weeks_min <= a.drafting_weeks_mode <= a.drafting_weeks_max:
        problems.append("assessment.drafting_weeks_min/mode/max: must satisfy min <= mode <= max")
    _check_dates_ordered([c.date for c in a.ep_capacity_changes], "assessment.ep_capacity_changes", problems)
    _check_dates_ordered([c.date for c in p.reviews.reviews_capacity_changes],
                         "reviews.reviews_capacity_changes", problems)
    _check_dates_ordered([c.date for c in p.placement.place_changes], "placement.place_changes", problems)
    _check_dates_ordered([c.date for c in p.finance.safety_valve_payments],
                         "finance.safety_valve_payments", problems)
    start = p.council.start_date
    for name, dates in (("assessment.ep_capacity_changes", [c.date for c in a.ep_capacity_changes]),
                        ("placement.place_changes", [c.date for c in p.placement.place_changes])):
        for i, d_ in enumerate(dates):
            if d_ < start:
                problems.append(f"{name}[{i}].date: {d_} is before council.start_date {start}")
    for i, c in enumerate(p.placement.place_changes):
        if c.setting not in CAPACITY_SETTINGS:
            problems.append(f"placement.place_changes[{i}].setting: '{c.setting}' is not a capacity "
                            f"setting (allowed: {', '.join(CAPACITY_SETTINGS)})")
    # capacities must hold the start occupancy, and stay non-negative after changes
    s = p.start_state
    for setting in CAPACITY_SETTINGS:
        places = p.placement.places.get(setting)
        occupied = s.caseload_by_setting.get(setting, 0.0)
        if places is not None and places < occupied:
            problems.append(f"placement.places.{setting}: {int(places)} places is below the "
                            f"{int(occupied)} children there at the start "
                            f"(start_state.caseload_by_setting.{setting})")
        running = places or 0.0
        for i, c in enumerate(p.placement.place_changes):
            if c.setting == setting:
                running += c.places
                if running < 0:
                    problems.append(f"placement.place_changes[{i}].places: takes {setting} places "
                                    f"below zero")
    for name in s.caseload_by_setting:
        if name not in SETTINGS:
            problems.append(f"start_state.caseload_by_setting.{name}: unknown setting "
                            f"(allowed: {', '.join(SETTINGS)})")
    for name in s.caseload_by_age_band:
        if name not in AGE_BANDS:
            problems.append(f"start_state.caseload_by_age_band.{name}: unknown age band "
                            f"(allowed: {', '.join(AGE_BANDS)})")
    tot_s, tot_a = sum(s.caseload_by_setting.values()), sum(s.caseload_by_age_band.values())
    if abs(tot_s - tot_a) > 0.5:
        problems.append(f"start_state.caseload_by_setting: totals {int(tot_s)} but "
                        f"start_state.caseload_by_age_band totals {int(tot_a)} (they must agree)")
    if len(p.sen_support.prevalence_by_ncy) != 12:
        problems.append("sen_support.prevalence_by_ncy: expected 12 values (NCY 0 to 11)")
    if len(p.requests.rate_per_1000_by_age) != 26:
        problems.append("requests.rate_per_1000_by_age: expected 26 values (ages 0 to 25)")
    for i, c in enumerate(p.requests.trend_changes):
        if c.date <= p.requests.trend_base_date:
            problems.append(f"requests.trend_changes[{i}].date: {c.date} is not after "
                            f"trend_base_date {p.requests.trend_base_date}")
    _check_dates_ordered([c.date for c in p.requests.trend_changes], "requests.trend_changes",
                         problems)
    for reason in p.reviews.cease_at_review:
        if reason not in ("needs_met", "he", "employ", "no_engage"):
            problems.append(f"reviews.cease_at_review.{reason}: not decided at a review "
                            "(allowed: needs_met, he, employ, no_engage)")
    for reason in p.ceasing.rate_per_year:
        if reason not in ("transfer", "moved_outside_eng", "deceased"):
            problems.append(f"ceasing.rate_per_year.{reason}: not an any-time reason "
                            "(allowed: transfer, moved_outside_eng, deceased)")
    # per age band, the review-ceasing probabilities together must not exceed 1
    for band in AGE_BANDS:
        total = sum(m.get(band, 0.0) for m in p.reviews.cease_at_review.values()
                    if isinstance(m, dict))
        if total > 1.0 + 1e-9:
            problems.append(f"reviews.cease_at_review: probabilities for {band} sum to {total:.3f} "
                            "(allowed: at most 1)")
    clean = not problems   # else the whole-set check below would repeat those problems
    base_problems: set[str] | None = None
    for i, u in enumerate(p.uncertainty):
        k = f"uncertainty[{i}]"
        if not u.low <= u.mode <= u.high:
            problems.append(f"{k}: must satisfy low <= mode <= high (got {u.low}, {u.mode}, {u.high})")
        try:
            current = p.value_at(u.key)
        except ParameterError:
            problems.append(f"{k}.key: '{u.key}' is not a parameter")
            continue
        if isinstance(current, bool) or not isinstance(current, (int, float)):
            problems.append(f"{k}.key: '{u.key}' is not a number, so it cannot be drawn")
            continue
        own = value_range(u.key)
        wrong = [(end, number_problem(end, *own)) for end in (u.low, u.high)] if own else []
        for end, msg in wrong:
            if msg:
                problems.append(f"{k}: {u.key} = {end} is not allowed ({msg})")
        if not clean or any(msg for _, msg in wrong):
            continue
        if base_problems is None:     # what is wrong whatever the uncertain values (later checks)
            base_problems = set(_problems_of(_without_uncertainty(p)))
        for end in (u.low, u.high):   # both ends must give valid parameters
            data = _without_uncertainty(p)   # this one value alone (and do not recurse)
            node, leaf = _locate(data, u.key)
            node[leaf] = int(round(end)) if isinstance(current, int) else float(end)
            for q in _problems_of(data):   # only what this end brings, not what is wrong anyway
                if q not in base_problems:
                    problems.append(f"{k}: {u.key} = {end} is not allowed ({q})")
    f = p.finance
    for label in list(f.hnb_income_gbp) + list(f.schools_block_transfer_gbp) + list(f.la_contribution_gbp) + [f.price_base_fy]:
        if not _is_fy(label):
            problems.append(f"finance: '{label}' is not a financial year label such as '2023-24'")
    if not f.hnb_income_gbp:
        problems.append("finance.hnb_income_gbp: at least one year of income is needed")
    if f.statutory_override_end < start:
        problems.append(f"finance.statutory_override_end: {f.statutory_override_end} is before "
                        f"council.start_date {start}")
    if not p.population.projection or not any(
            int(y) <= start.year for y in p.population.projection if y.isdigit()):
        problems.append(f"population.projection: needs a year at or before the start year {start.year}")


def _without_uncertainty(p: Parameters) -> dict:
    data = p.to_dict()
    data["uncertainty"] = []
    return data


def _problems_of(data: dict) -> list[str]:
    try:
        Parameters.from_dict(data)
    except ParameterError as exc:
        return exc.problems
    return []


def _is_fy(label: str) -> bool:
    if len(label) != 7 or label[4] != "-" or not label[:4].isdigit() or not label[5:].isdigit():
        return False
    return (int(label[:4]) + 1) % 100 == int(label[5:])


def _check_dates_ordered(dates: list[dt.date], key: str, problems: list[str]) -> None:
    for i in range(1, len(dates)):
        if dates[i] < dates[i - 1]:
            problems.append(f"{key}[{i}].date: {dates[i]} is before the previous entry's "
                            f"{dates[i - 1]} (allowed: dates in order)")


def _tokens(dotted: str) -> list:
    """'a.b[0].c' -> ['a', 'b', 0, 'c']; '[]' (any entry, as describe() writes it) is -1."""
    out: list = []
    for part in dotted.split("."):
        name, _, rest = part.partition("[")
        out.append(name)
        while rest:
            idx, _, rest = rest.partition("]")
            out.append(-1 if idx == "" else int(idx) if idx.isdigit() else None)
            rest = rest.lstrip("[")
    return out


_FIELDS_AT: dict = {}


def _field_at(dotted: str):
    """(metadata, type, the key's parts inside the field) of the field a dotted key names or
    lies inside (a map's entry, a list's item), or None if no field has that name. Cached:
    a draws file asks once per cell."""
    if dotted not in _FIELDS_AT:
        if len(_FIELDS_AT) > 10_000:
            _FIELDS_AT.clear()
        _FIELDS_AT[dotted] = _find_field(dotted)
    return _FIELDS_AT[dotted]


def _find_field(dotted: str):
    tokens, tp, i = _tokens(dotted), Parameters, 0
    while dataclasses.is_dataclass(tp) and i < len(tokens) and isinstance(tokens[i], str):
        fields = {f.name: f for f in dataclasses.fields(tp)}
        f = fields.get(tokens[i])
        if f is None:
            return None
        ftp, i = _hints(tp)[f.name], i + 1
        args = typing.get_args(ftp)
        if dataclasses.is_dataclass(ftp):
            tp = ftp
        elif typing.get_origin(ftp) is tuple and dataclasses.is_dataclass(args[0]):
            if i < len(tokens) and isinstance(tokens[i], int):
                tp, i = args[0], i + 1
            elif i == len(tokens):
                return f.metadata, ftp, ()
            else:
                return None
        else:
            return f.metadata, ftp, tuple(tokens[i:])
    return None


def value_range(dotted: str) -> tuple[float, float, bool] | None:
    """(low, high, no_limit) of the number at a dotted key (a field, a list item such as
    'requests.rate_per_1000_by_age[3]', a map entry such as 'placement.places.special');
    None if the key names no number of the parameters."""
    found = _field_at(dotted)
    if found is None or "low" not in found[0]:
        return None
    meta, tp, rest = found
    scalar = tp in (int, float) and not rest
    item = typing.get_origin(tp) is tuple and len(rest) == 1 and isinstance(rest[0], int)
    entry = tp is FrozenMap and rest and None not in rest
    if not (scalar or item or entry):
        return None
    return meta["low"], meta["high"], meta.get("no_limit", False)


def allowed(dotted: str) -> str:
    """The range of a field as the docs state it ('0 to 520'); '' for a field that is not a
    number (text, dates, lists of tables)."""
    found = _field_at(dotted)
    if found is None or "low" not in found[0]:
        return ""
    meta = found[0]
    return allowed_text(meta["low"], meta["high"], meta.get("no_limit", False))


def describe() -> list[tuple[str, str, str]]:
    """(key, type, doc) for every parameter: the reference table in docs/model.md."""
    rows: list[tuple[str, str, str]] = []

    def walk(cls, prefix):
        hints = _hints(cls)
        for f in dataclasses.fields(cls):
            tp = hints[f.name]
            key = _join(prefix, f.name)
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
