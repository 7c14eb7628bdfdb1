"""Validation of typed parameters: what the values must satisfy once their types are right.

Two passes, each a table of small checks:

- `KIND_CHECKS`: by a field's kind (its `kind` in the schema), the numbers in the field and the
  names of a table's entries. A number that is not finite, or not a number at all, makes the
  parameters *unsound*: the second pass would compare it as if it were one, so it is skipped.
- `RULES`: rules across fields (min <= mode <= max, dates in order, capacities that hold the
  start occupancy, ...), in order: the order in which problems are reported.

Every problem is a message naming its key; a message's text is part of the interface (the
docs and the tests quote them). Checks know the schema only through the object they are given
(`type(p)` is the class that loads parameters), so `schema.py` can call `validate`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

from ..codes import AGE_BANDS, CAPACITY_SETTINGS, CEASE_REASONS, NEEDS, PHASE_CEASE_OUTCOMES, SETTINGS
from .keys import join_key, locate, range_at
from .problems import ParameterError, number_problem
from .values import NO_LIMIT


def validate(p) -> list[str]:
    """Every problem with a fully typed `Parameters`, as messages naming the key."""
    problems: list[str] = []
    unsound: list[str] = []
    _check_kinds(p, "", problems, unsound)
    if not unsound:   # comparing NaN, infinity or a table as numbers would say nothing true
        for rule in RULES:
            rule(p, problems)
    return problems


def is_financial_year(label: str) -> bool:
    """Whether `label` names a financial year (April to March) as the files write it: '2023-24'."""
    if len(label) != 7 or label[4] != "-" or not label[:4].isdigit() or not label[5:].isdigit():
        return False
    return (int(label[:4]) + 1) % 100 == int(label[5:])


# -- pass 1: each field by its kind -------------------------------------------------------------

def _check_kinds(obj, key: str, problems: list[str], unsound: list[str]) -> None:
    """Each field of `obj` that has a kind, by its kind; sections and lists of tables in turn."""
    for f in dataclasses.fields(obj):
        v = getattr(obj, f.name)
        k = join_key(key, f.name)
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
        check = KIND_CHECKS.get(kind)
        if check is None:  # pragma: no cover - every kind of the schema has a check (tested)
            raise ValueError(kind)
        check(v, _Field(f.metadata, k, problems, unsound))


class _Field:
    """One field being checked: its key, its range, and where its problems go."""

    def __init__(self, meta, key: str, problems: list[str], unsound: list[str]):
        self.meta, self.key, self.problems, self.unsound = meta, key, problems, unsound

    def problem(self, message: str) -> None:
        self.problems.append(message)

    def number(self, x, key: str) -> bool:
        """Whether x is a number inside the field's range; a message naming `key` if not."""
        meta = self.meta
        msg = number_problem(x, meta["low"], meta["high"], meta.get("no_limit", False))
        if msg is None:
            return True
        self.problems.append(f"{key}: {msg}")
        if isinstance(x, bool) or not isinstance(x, (int, float)) or (
                isinstance(x, float) and not math.isfinite(x)) or (
                isinstance(x, int) and abs(x) > NO_LIMIT):   # no float holds it: sums overflow
            self.unsound.append(key)
        return False

    def capacity_setting(self, name: str) -> bool:
        """Whether `name` is a capacity setting; a message if not."""
        if name in CAPACITY_SETTINGS:
            return True
        self.problem(f"{self.key}.{name}: not a capacity setting "
                     f"(allowed: {', '.join(CAPACITY_SETTINGS)})")
        return False

    def shares(self, m, key: str, allowed: tuple[str, ...]) -> None:
        """Shares of known names, each in range, together 1 (when every share is a number)."""
        ok = True
        for name, x in m.items():
            if name not in allowed:
                self.problem(f"{key}.{name}: unknown name (allowed: {', '.join(allowed)})")
            else:
                ok = self.number(x, f"{key}.{name}") and ok
        total = sum(x for x in m.values() if isinstance(x, float))
        if ok and m and abs(total - 1.0) > 1e-6:
            self.problem(f"{key}: shares sum to {total:.6f} (allowed: they must sum to 1)")


def _one_number(v, c: _Field) -> None:
    """prob, nonneg, pos, number: one number, inside the field's range."""
    c.number(v, c.key)


def _number_list(v, c: _Field) -> None:
    """probseq, nonnegseq: every item in range (how many items is a rule: `_list_lengths`)."""
    for i, x in enumerate(v):
        c.number(x, f"{c.key}[{i}]")


def _number_map(v, c: _Field) -> None:
    """nonnegmap: every value in range; the names are financial years or spend lines (the years
    are a rule: `_financial_year_labels`)."""
    for name, x in v.items():
        c.number(x, f"{c.key}.{name}")


def _count_map(v, c: _Field) -> None:
    """countmap: children are counted whole; the names are a rule (`_start_caseload_names`),
    as the same kind counts by setting and by age band."""
    for name, x in v.items():
        if c.number(x, f"{c.key}.{name}") and x != int(x):
            c.problem(f"{c.key}.{name}: {x} is not a whole number of children")


def _cost_map(v, c: _Field) -> None:
    """costmap: a unit cost for every setting (a child can be placed in any of them, and every
    place is priced), and no other names."""
    for name, x in v.items():
        c.number(x, f"{c.key}.{name}")
    for s in SETTINGS:
        if s not in v:
            c.problem(f"{c.key}.{s}: missing (every setting needs a unit cost)")
    for name in v:
        if name not in SETTINGS:
            c.problem(f"{c.key}.{name}: unknown setting (allowed: {', '.join(SETTINGS)})")


def _by_setting(v, c: _Field) -> None:
    """settingcostmap, settingnumbermap: numbers for some settings (a setting left out takes the
    general value); a misspelt name would price no child."""
    for name, x in v.items():
        if name not in SETTINGS:
            c.problem(f"{c.key}.{name}: unknown setting (allowed: {', '.join(SETTINGS)})")
        else:
            c.number(x, f"{c.key}.{name}")


def _setting_probabilities(v, c: _Field) -> None:
    """probmap: a probability per known setting (a misspelt name would match no child)."""
    for name, x in v.items():
        if name not in SETTINGS:
            c.problem(f"{c.key}.{name}: unknown setting (allowed: {', '.join(SETTINGS)})")
        else:
            c.number(x, f"{c.key}.{name}")


def _shares_by_name(v, c: _Field) -> None:
    """dist: shares that sum to 1, of primary needs (a need mix) or else of age bands."""
    allowed = NEEDS if c.key.endswith("need_mix") else AGE_BANDS
    c.shares(v, c.key, allowed)


def _placement_mix(v, c: _Field) -> None:
    """distmap: for every age band, the shares of settings new plans are placed in (every band
    needs one: a child of any age can get a plan)."""
    for band, m in v.items():
        if band not in AGE_BANDS:
            c.problem(f"{c.key}.{band}: unknown age band (allowed: {', '.join(AGE_BANDS)})")
        elif not isinstance(m, dict):
            c.problem(f"{c.key}.{band}: expected a table of setting shares")
        else:
            c.shares(m, f"{c.key}.{band}", SETTINGS)
    for band in AGE_BANDS:
        if band not in v:
            c.problem(f"{c.key}.{band}: missing (every age band needs a placement mix)")


def _transition_table(v, c: _Field) -> None:
    """distnested: setting left -> shares of settings moved to, or of ceasing at the transition;
    a setting may be missing (its children stay)."""
    for frm, m in v.items():
        if frm not in SETTINGS:
            c.problem(f"{c.key}.{frm}: unknown setting (allowed: {', '.join(SETTINGS)})")
        elif not isinstance(m, dict):
            c.problem(f"{c.key}.{frm}: expected a table of setting shares")
        else:
            c.shares(m, f"{c.key}.{frm}", SETTINGS + PHASE_CEASE_OUTCOMES)


def _capacity_probabilities(v, c: _Field) -> None:
    """capprobmap: a probability per capacity setting (only those can be full)."""
    for name, x in v.items():
        if c.capacity_setting(name):
            c.number(x, f"{c.key}.{name}")


def _by_reason_and_band(v, c: _Field) -> None:
    """probnested, nonnegnested: ceasing reason -> age band -> number. A reason whose value is
    not a table makes the parameters unsound: the rules read it by age band."""
    for reason, m in v.items():
        if reason not in CEASE_REASONS:
            c.problem(f"{c.key}.{reason}: unknown reason (allowed: {', '.join(CEASE_REASONS)})")
            continue
        if not isinstance(m, dict):
            c.problem(f"{c.key}.{reason}: expected a table by age band")
            c.unsound.append(f"{c.key}.{reason}")
            continue
        for band, x in m.items():
            if band not in AGE_BANDS:
                c.problem(f"{c.key}.{reason}.{band}: unknown age band "
                          f"(allowed: {', '.join(AGE_BANDS)})")
            else:
                c.number(x, f"{c.key}.{reason}.{band}")


def _places(v, c: _Field) -> None:
    """placesmap: whole places for every capacity setting (the capacity the engine queues on)."""
    for name, x in v.items():
        if c.capacity_setting(name):
            if c.number(x, f"{c.key}.{name}") and x != int(x):
                c.problem(f"{c.key}.{name}: {x} is not a whole number of places")
    for name in CAPACITY_SETTINGS:
        if name not in v:
            c.problem(f"{c.key}.{name}: missing (every capacity setting needs places)")


def _population(v, c: _Field) -> None:
    """popmap: year -> 26 resident counts (ages 0 to 25, every age a plan can be held at); at
    least one year."""
    for year, counts in v.items():
        if not (len(year) == 4 and year.isdigit()):
            c.problem(f"{c.key}.{year}: expected a year such as '2023'")
        if not isinstance(counts, tuple) or len(counts) != 26:
            c.problem(f"{c.key}.{year}: expected 26 counts (ages 0 to 25)")
        else:
            for i, x in enumerate(counts):
                c.number(x, f"{c.key}.{year}[{i}]")
    if not v:
        c.problem(f"{c.key}: at least one year is needed")


#: kind (a field's `kind` in the schema) -> the check of a field of that kind.
KIND_CHECKS = {
    "prob": _one_number, "nonneg": _one_number, "pos": _one_number, "number": _one_number,
    "probseq": _number_list, "nonnegseq": _number_list,
    "nonnegmap": _number_map, "countmap": _count_map, "costmap": _cost_map,
    "probmap": _setting_probabilities,
    "settingcostmap": _by_setting, "settingnumbermap": _by_setting,
    "dist": _shares_by_name, "distmap": _placement_mix, "distnested": _transition_table,
    "capprobmap": _capacity_probabilities,
    "probnested": _by_reason_and_band, "nonnegnested": _by_reason_and_band,
    "placesmap": _places,
    "popmap": _population,
}


# -- pass 2: rules across fields -----------------------------------------------------------------

def _decision_times_ordered(p, problems: list[str]) -> None:
    """The decision to assess takes a triangular time: without min <= mode <= max it cannot be
    drawn."""
    d = p.decide_to_assess
    if not d.decision_weeks_min <= d.decision_weeks_mode <= d.decision_weeks_max:
        problems.append("decide_to_assess.decision_weeks_min/mode/max: must satisfy min <= mode <= max")


def _drafting_times_ordered(p, problems: list[str]) -> None:
    """Drafting takes a triangular time too: min <= mode <= max."""
    a = p.assessment
    if not a.drafting_weeks_min <= a.drafting_weeks_mode <= a.drafting_weeks_max:
        problems.append("assessment.drafting_weeks_min/mode/max: must satisfy min <= mode <= max")


def _check_dates_ordered(dates: list, key: str, problems: list[str]) -> None:
    for i in range(1, len(dates)):
        if dates[i] < dates[i - 1]:
            problems.append(f"{key}[{i}].date: {dates[i]} is before the previous entry's "
                            f"{dates[i - 1]} (allowed: dates in order)")


def _changes_in_date_order(p, problems: list[str]) -> None:
    """A list of dated changes reads as a timeline, and is checked as one (the running count of
    places below adds the changes in file order): an entry out of order is most likely a slip."""
    _check_dates_ordered([c.date for c in p.assessment.ep_capacity_changes],
                         "assessment.ep_capacity_changes", problems)
    _check_dates_ordered([c.date for c in p.reviews.reviews_capacity_changes],
                         "reviews.reviews_capacity_changes", problems)
    _check_dates_ordered([c.date for c in p.placement.place_changes], "placement.place_changes", problems)
    _check_dates_ordered([c.date for c in p.finance.safety_valve_payments],
                         "finance.safety_valve_payments", problems)


def _changes_after_start(p, problems: list[str]) -> None:
    """EP capacity and places at the start are given (assessment.ep_advices_per_month,
    placement.places) as the position on the start date: a change dated before it has no place
    in the run."""
    start = p.council.start_date
    for name, dates in (("assessment.ep_capacity_changes", [c.date for c in p.assessment.ep_capacity_changes]),
                        ("placement.place_changes", [c.date for c in p.placement.place_changes])):
        for i, d_ in enumerate(dates):
            if d_ < start:
                problems.append(f"{name}[{i}].date: {d_} is before council.start_date {start}")


def _place_changes_have_capacity(p, problems: list[str]) -> None:
    """Only a capacity setting has a number of places to open or close."""
    for i, c in enumerate(p.placement.place_changes):
        if c.setting not in CAPACITY_SETTINGS:
            problems.append(f"placement.place_changes[{i}].setting: '{c.setting}' is not a capacity "
                            f"setting (allowed: {', '.join(CAPACITY_SETTINGS)})")


def _places_hold_the_caseload(p, problems: list[str]) -> None:
    """Capacities must hold the start occupancy (the children are there on the start date), and
    closures must not take a setting's places below zero."""
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


def _start_caseload_names(p, problems: list[str]) -> None:
    """The start caseload counts children by setting and by age band: a name that is neither
    would be children the run cannot place."""
    s = p.start_state
    for name in s.caseload_by_setting:
        if name not in SETTINGS:
            problems.append(f"start_state.caseload_by_setting.{name}: unknown setting "
                            f"(allowed: {', '.join(SETTINGS)})")
    for name in s.caseload_by_age_band:
        if name not in AGE_BANDS:
            problems.append(f"start_state.caseload_by_age_band.{name}: unknown age band "
                            f"(allowed: {', '.join(AGE_BANDS)})")


def _start_caseload_totals_agree(p, problems: list[str]) -> None:
    """The two start counts are the same children counted two ways: their totals must agree."""
    s = p.start_state
    tot_s, tot_a = sum(s.caseload_by_setting.values()), sum(s.caseload_by_age_band.values())
    if abs(tot_s - tot_a) > 0.5:
        problems.append(f"start_state.caseload_by_setting: totals {int(tot_s)} but "
                        f"start_state.caseload_by_age_band totals {int(tot_a)} (they must agree)")


def _list_lengths(p, problems: list[str]) -> None:
    """One value per year group NCY 0..11, and one rate per age 0..25: the engine indexes them
    by year group and by age."""
    if len(p.sen_support.prevalence_by_ncy) != 12:
        problems.append("sen_support.prevalence_by_ncy: expected 12 values (NCY 0 to 11)")
    if len(p.requests.rate_per_1000_by_age) != 26:
        problems.append("requests.rate_per_1000_by_age: expected 26 values (ages 0 to 25)")


def _trend_changes_follow_the_base(p, problems: list[str]) -> None:
    """Request rates grow from trend_base_date, then at each later rate from its date, in turn
    (engine/pathway/requests.py): a change must come after the base date, and after the one
    before it."""
    r = p.requests
    for i, c in enumerate(r.trend_changes):
        if c.date <= r.trend_base_date:
            problems.append(f"requests.trend_changes[{i}].date: {c.date} is not after "
                            f"trend_base_date {r.trend_base_date}")
    _check_dates_ordered([c.date for c in r.trend_changes], "requests.trend_changes", problems)


def _ceasing_reasons_where_decided(p, problems: list[str]) -> None:
    """A review decides some ceasing reasons (needs met, higher education, employment, no
    engagement); the others happen whenever life does (ceasing.rate_per_year). A reason in the
    wrong table would never be used."""
    for reason in p.reviews.cease_at_review:
        if reason not in ("needs_met", "he", "employ", "no_engage"):
            problems.append(f"reviews.cease_at_review.{reason}: not decided at a review "
                            "(allowed: needs_met, he, employ, no_engage)")
    for reason in p.ceasing.rate_per_year:
        if reason not in ("transfer", "moved_outside_eng", "deceased"):
            problems.append(f"ceasing.rate_per_year.{reason}: not an any-time reason "
                            "(allowed: transfer, moved_outside_eng, deceased)")


def _review_ceasing_at_most_one(p, problems: list[str]) -> None:
    """A review ceases a plan for one reason at most, drawn from the reasons' probabilities
    together: per age band they must not sum to more than 1."""
    for band in AGE_BANDS:
        total = sum(m.get(band, 0.0) for m in p.reviews.cease_at_review.values()
                    if isinstance(m, dict))
        if total > 1.0 + 1e-9:
            problems.append(f"reviews.cease_at_review: probabilities for {band} sum to {total:.3f} "
                            "(allowed: at most 1)")


def _uncertain_ranges(p, problems: list[str]) -> None:
    """Each replication draws an uncertain parameter from (low, mode, high): its key must name a
    number, the range must be ordered and inside the key's own range, and both ends must give
    usable parameters. Whether the ends bring a problem of their own is asked only of
    parameters with no problem so far (else the whole set's problems would be repeated)."""
    clean = not problems
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
        if _ends_out_of_range(p, u, k, problems) or not clean:
            continue
        if base_problems is None:     # what is wrong whatever the uncertain values (later checks)
            base_problems = set(_problems_of(type(p), _without_uncertainty(p)))
        _ends_bring_no_problem(p, u, k, current, base_problems, problems)


def _ends_out_of_range(p, u, k: str, problems: list[str]) -> bool:
    """Whether an end of `u`'s range lies outside its key's own range (a message for each)."""
    own = range_at(type(p), u.key)
    wrong = [(end, number_problem(end, *own)) for end in (u.low, u.high)] if own else []
    for end, msg in wrong:
        if msg:
            problems.append(f"{k}: {u.key} = {end} is not allowed ({msg})")
    return any(msg for _, msg in wrong)


def _ends_bring_no_problem(p, u, k: str, current, base_problems: set[str],
                           problems: list[str]) -> None:
    """Parameters with `u`'s key set to each end of its range, alone, checked whole; what they
    bring beyond `base_problems` is a problem of `u`."""
    for end in (u.low, u.high):   # both ends must give valid parameters
        data = _without_uncertainty(p)   # this one value alone (and do not recurse)
        node, leaf = locate(data, u.key)
        node[leaf] = int(round(end)) if isinstance(current, int) else float(end)
        for q in _problems_of(type(p), data):   # only what this end brings, not what is wrong anyway
            if q not in base_problems:
                problems.append(f"{k}: {u.key} = {end} is not allowed ({q})")


def _without_uncertainty(p) -> dict:
    data = p.to_dict()
    data["uncertainty"] = []
    return data


def _problems_of(cls, data: dict) -> list[str]:
    """The problems `cls.from_dict(data)` reports (none if it loads)."""
    try:
        cls.from_dict(data)
    except ParameterError as exc:
        return exc.problems
    return []


def _financial_year_labels(p, problems: list[str]) -> None:
    """Money is kept by financial year (April to March), each named like '2023-24': any other
    label could not be matched to a year of the run."""
    f = p.finance
    for label in (list(f.hnb_income_gbp) + list(f.schools_block_transfer_gbp)
                  + list(f.la_contribution_gbp) + [f.price_base_fy]
                  + ([f.opening_balance_fy] if f.opening_balance_fy else [])):
        if not is_financial_year(label):
            problems.append(f"finance: '{label}' is not a financial year label such as '2023-24'")


def _income_given(p, problems: list[str]) -> None:
    """The HNB allocation of a year not given grows from the nearest year given
    (hnb_growth_per_year): it needs one year at least."""
    if not p.finance.hnb_income_gbp:
        problems.append("finance.hnb_income_gbp: at least one year of income is needed")


def _override_ends_after_start(p, problems: list[str]) -> None:
    """The financial-year table flags the years after the statutory override ends; an end before
    the start date would flag every year, more likely a mistyped date than a position."""
    f, start = p.finance, p.council.start_date
    if f.statutory_override_end < start:
        problems.append(f"finance.statutory_override_end: {f.statutory_override_end} is before "
                        f"council.start_date {start}")


def _population_covers_the_start(p, problems: list[str]) -> None:
    """Residents are interpolated between projection years and held flat outside them: the
    projection must begin at or before the start year, or the start would be an unmarked guess."""
    start = p.council.start_date
    if not p.population.projection or not any(
            int(y) <= start.year for y in p.population.projection if y.isdigit()):
        problems.append(f"population.projection: needs a year at or before the start year {start.year}")


def opening_balance_date(fy_label: str):
    """The 31 March at the end of a financial year such as '2021-22'."""
    return dt.date(int(fy_label[:4]) + 1, 3, 31)


def _opening_balance_in_the_year_before(p, problems: list[str]) -> None:
    """An opening balance before the start is rolled on to the start by pricing the caseload
    between the census a year before and the start: the balance must stand within that year,
    and that census must be given."""
    f, start = p.finance, p.council.start_date
    for pay in f.safety_valve_payments:
        if pay.date < start:
            problems.append(f"finance.safety_valve_payments: an instalment dated {pay.date} is "
                            f"before council.start_date {start} (allowed: on or after it; "
                            "an instalment already paid belongs in opening_cumulative_balance_gbp)")
    if not f.opening_balance_fy or not is_financial_year(f.opening_balance_fy):
        return
    end = opening_balance_date(f.opening_balance_fy)
    year_before = start.replace(year=start.year - 1)
    if not year_before <= end <= start:
        problems.append(f"finance.opening_balance_fy: '{f.opening_balance_fy}' ends on {end} "
                        f"(allowed: a financial year ending between {year_before} and the start "
                        f"date {start})")
    elif end < start and not f.previous_census_by_setting:
        problems.append("finance.previous_census_by_setting: missing (needed when "
                        "opening_balance_fy ends before council.start_date: the months between "
                        "are priced on the caseload between the two censuses)")
    for name in f.previous_census_by_setting:
        if name not in SETTINGS:
            problems.append(f"finance.previous_census_by_setting.{name}: unknown setting "
                            f"(allowed: {', '.join(SETTINGS)})")


#: What a money line can rest on (`finance.cost_basis`).
COST_BASES = ("own outturn", "neighbours", "template", "seed", "assumption")


def _cost_basis_words(p, problems: list[str]) -> None:
    """Reports read `finance.cost_basis` to say whose costs a figure uses: each entry must be
    'line: basis' with a basis they know."""
    for i, entry in enumerate(p.finance.cost_basis):
        line, sep, basis = entry.partition(": ")
        if not sep or not line or basis not in COST_BASES:
            problems.append(f"finance.cost_basis[{i}]: {entry!r} (allowed: 'line: basis', basis "
                            f"one of {', '.join(COST_BASES)})")


def _place_funding_within_unit_cost(p, problems: list[str]) -> None:
    """Place funding is the part of a unit cost section 251 leaves out: never more than it."""
    f = p.finance
    for s, v in f.place_funding_gbp_per_year.items():
        cost = f.unit_cost_gbp_per_year.get(s)
        if isinstance(v, float) and isinstance(cost, float) and v > cost:
            problems.append(f"finance.place_funding_gbp_per_year.{s}: {v:,.0f} is more than "
                            f"the setting's unit cost {cost:,.0f} (allowed: 0 to the unit cost)")


#: The rules across fields, in the order their problems are reported. `_uncertain_ranges`
#: looks at the problems found before it, so it must stay after every rule about the values
#: it re-checks.
RULES = (
    _decision_times_ordered,
    _drafting_times_ordered,
    _changes_in_date_order,
    _changes_after_start,
    _place_changes_have_capacity,
    _places_hold_the_caseload,
    _start_caseload_names,
    _start_caseload_totals_agree,
    _list_lengths,
    _trend_changes_follow_the_base,
    _ceasing_reasons_where_decided,
    _review_ceasing_at_most_one,
    _uncertain_ranges,
    _financial_year_labels,
    _income_given,
    _override_ends_after_start,
    _opening_balance_in_the_year_before,
    _place_funding_within_unit_cost,
    _cost_basis_words,
    _population_covers_the_start,
)
