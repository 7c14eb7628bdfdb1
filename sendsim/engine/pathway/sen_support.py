"""SEN support: pupils identified with SEN who have no plan (reception to Year 11).

The share of pupils on SEN support in each year group is held at its start level (the school
census share): each month, pupils whose needs are met leave (a monthly hazard), and new pupils
are identified to make good the year group's shortfall against that share (pupils requested for
an assessment, those leaving at the end of Year 11 and new reception cohorts are replaced the
same way). A scenario changes identification by changing the prevalence.

Each year group's SEN support pupils are of two kinds. Pupils never yet requested for carry no
state beyond their year group, so they are counted (`unnamed`) and become individual children
(Mesa agents, with a birth date in the year group and a primary need) at the moment a request
is made for them; creating and removing some 40,000 agents that never enter the statutory
pathway cost a quarter of a replication's time. Pupils with a history (refused an assessment or
a plan, back on SEN support) stay individual agents (`named`).
"""

from __future__ import annotations

from sendsim.calendar import DAYS_PER_MONTH
from sendsim.engine.pathway import stage
from sendsim.engine.population import IndexedBag


class SenSupportYearGroup:
    """The SEN support pupils of one academic cohort."""

    __slots__ = ("unnamed", "named")

    def __init__(self, unnamed: int = 0):
        self.unnamed = unnamed
        self.named: IndexedBag = IndexedBag()

    def __len__(self) -> int:
        return self.unnamed + len(self.named)


class SenSupport(stage.Stage):
    name = section = "sen_support"
    FLOWS = ("sen_support_start", "sen_support_identified", "sen_support_exits", "sen_support_returned",
             "sen_support_left_school")
    STOCKS = ("sen_support",)

    def start(self) -> None:
        start_sen_support(self.model)

    def calendar(self):
        m = self.model
        for _, start, end in stage.months(m):
            yield start, stage.SEN_SUPPORT_FLOWS, lambda s=start, e=end: monthly_flows(m, (e - s) / DAYS_PER_MONTH)
        for day, d in zip(m.month_starts, m.month_dates):
            if d.month == 9 and day > 0:
                yield day, stage.END_OF_YEAR11, lambda: end_of_year11(m)

    def stocks(self) -> list:
        return [sum(len(b) for b in self.model.sen_support_by_cohort.values())]


def start_sen_support(model) -> None:
    """The start state's SEN support pupils: prevalence x pupils in each year group."""
    p = model.params.sen_support
    for ncy_ in range(12):
        cohort = model.academic_year - ncy_ - 5
        n = int(round(p.prevalence_by_ncy[ncy_] * model.pupils_in_ncy(ncy_)))
        model.sen_support_of(cohort).unnamed += n
        model.recorder.flow(model.now, "sen_support_start", n)


def take_one(model, group: SenSupportYearGroup, stream):
    """Remove one pupil picked uniformly from the year group: a named child, or None for one of
    the counted pupils (the caller makes them a child if it needs one)."""
    i = stream.index(len(group))
    if i < len(group.named):
        child = group.named.at(i)
        group.named.discard(child)
        return child
    group.unnamed -= 1
    return None


def monthly_flows(model, months: float) -> None:
    """Identify new SEN support pupils and let others' needs be met, for `months` months."""
    p = model.params.sen_support
    rng = model.streams["sen_support"]
    exit_p = min(1.0, p.exit_rate_per_month * months)
    now = model.now
    for ncy_ in range(12):
        cohort = model.academic_year - ncy_ - 5
        group = model.sen_support_of(cohort)
        exits = rng.binomial(len(group), exit_p)
        if exits:
            # which of the leavers are named children: a draw without replacement, then
            # those children picked at random (the counted pupils need no picking)
            named = group.named
            n_named = rng.hypergeometric(len(named), group.unnamed, exits)
            group.unnamed -= exits - n_named
            for _ in range(n_named):
                child = named.at(rng.index(len(named)))
                named.discard(child)
                model.leave(child, "sen_support_needs_met")
        shortfall = p.prevalence_by_ncy[ncy_] * model.pupils_in_ncy(ncy_) - len(group)
        identified = rng.poisson(max(0.0, shortfall) * min(1.0, months))
        group.unnamed += identified
        model.recorder.flow(now, "sen_support_exits", exits)
        model.recorder.flow(now, "sen_support_identified", identified)


def end_of_year11(model) -> None:
    """On 1 September the cohort moving into Year 12 leaves school-age SEN support."""
    year12 = model.academic_year - 12 - 5
    for cohort in [c for c in model.sen_support_by_cohort if c <= year12]:
        group = model.sen_support_by_cohort.pop(cohort)
        model.recorder.flow(model.now, "sen_support_left_school", len(group))
        for child in group.named:
            model.leave(child, "sen_support_left_school")
