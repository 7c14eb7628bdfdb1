"""SEN support: pupils identified with SEN who have no plan (reception to Year 11).

The share of pupils on SEN support in each year group is held at its start level (the school
census share): each month, pupils whose needs are met leave (a monthly hazard), and new pupils
are identified to make good the year group's shortfall against that share (pupils requested for
an assessment, those leaving at the end of Year 11 and new reception cohorts are replaced the
same way). A scenario changes identification by changing the prevalence.
"""

from __future__ import annotations

from ..population import SEN_SUPPORT, Child, IndexedBag


def add_pupil(model, cohort: int, route: str) -> Child:
    """A new SEN support pupil of a cohort."""
    rng = model.streams["sen_support"]
    birth = model.birth_in_cohort(cohort, rng)
    child = Child(model, birth, cohort, model.draw_need(rng), SEN_SUPPORT)
    child.entry_route = route
    model.enter(child, route)
    model.sen_support_of(cohort).add(child)
    return child


def start_sen_support(model) -> None:
    """The start state's SEN support pupils: prevalence x pupils in each year group."""
    p = model.params.sen_support
    for ncy_ in range(12):
        cohort = model.academic_year - ncy_ - 5
        pupils = model.pupils_in_ncy(ncy_)
        n = int(round(p.prevalence_by_ncy[ncy_] * pupils))
        for _ in range(n):
            add_pupil(model, cohort, "start")


def monthly_flows(model, months: float) -> None:
    """Identify new SEN support pupils and let others' needs be met, for `months` months."""
    p = model.params.sen_support
    rng = model.streams["sen_support"]
    exit_p = min(1.0, p.exit_rate_per_month * months)
    for ncy_ in range(12):
        cohort = model.academic_year - ncy_ - 5
        bag = model.sen_support_of(cohort)
        for _ in range(rng.binomial(len(bag), exit_p)):
            child = bag.at(rng.index(len(bag)))
            bag.discard(child)
            model.leave(child, "sen_support_needs_met")
        shortfall = p.prevalence_by_ncy[ncy_] * model.pupils_in_ncy(ncy_) - len(bag)
        for _ in range(rng.poisson(max(0.0, shortfall) * min(1.0, months))):
            add_pupil(model, cohort, "identified")


def end_of_year11(model) -> None:
    """On 1 September the cohort moving into Year 12 leaves school-age SEN support."""
    cohort = model.academic_year - 12 - 5
    bag = model.sen_support_by_cohort.pop(cohort, IndexedBag())
    for child in bag:
        model.leave(child, "sen_support_left_school")
    # cohorts older than that are empty already; drop any stragglers defensively
    for old in [c for c in model.sen_support_by_cohort if c < cohort]:
        for child in model.sen_support_by_cohort.pop(old):
            model.leave(child, "sen_support_left_school")
