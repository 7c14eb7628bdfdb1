"""Requests for an EHC needs assessment (EHCNA).

Requests arrive as a Poisson process per single year of age: a rate per 1,000 residents of that
age (ONS projection), times the demand trend, which is itself uncertain (drawn once per
replication). A school-age request is for a pupil already on SEN support with probability
`from_sen_support`; other requests (early years, parents of children not on SEN support, young
people) bring a new child into the model.
"""

from __future__ import annotations

from ..population import REQUESTED, Child
from .assessment import ehcna_request
from .sen_support import take_one


def trend_multiplier(model, t: float) -> float:
    years = (t - model.clock.day(model.params.requests.trend_base_date)) / 365.25
    return (1.0 + model.request_trend) ** years


def generate_requests(model, start: float, end: float) -> int:
    """Schedule the requests made in [start, end); returns how many."""
    p = model.params.requests
    rng = model.streams["requests"]
    mid = 0.5 * (start + end)
    years = (end - start) / 365.25
    factor = trend_multiplier(model, mid) * years / 1000.0
    made = 0
    for age, rate in enumerate(p.rate_per_1000_by_age):
        if rate <= 0:
            continue
        lam = rate * model.population_at_age(age, mid) * factor
        for _ in range(rng.poisson(lam)):
            when = start + (end - start) * rng.u()
            child = requester(model, age, when)
            child.status = REQUESTED
            child.request_day = when
            model.recorder.flow(when, "requests")
            ehcna_request(model, child, when - model.now)
            made += 1
    return made


def requester(model, age: int, when: float) -> Child:
    """The child a request is for: a SEN support pupil of that age, or a new child."""
    rng = model.streams["requests"]
    birth, cohort = model.birth_at_age(age, when, rng)
    ncy_ = model.academic_year - cohort - 5
    from_support = 0 <= ncy_ <= 11 and rng.u() < model.params.requests.from_sen_support
    group = model.sen_support_by_cohort.get(cohort) if from_support else None
    if group:
        model.recorder.flow(when, "sen_support_requested")
        child = take_one(model, group, rng)
        if child is not None:
            return child
        birth = model.birth_in_cohort(cohort, rng)      # a counted pupil becomes a child now
        route = "sen_support_request"
    else:
        route = "early_years_request" if age < 4 else ("post16_request" if age >= 16 else "new_request")
    child = Child(model, birth, cohort, model.draw_need(rng), REQUESTED)
    model.enter(child, route)
    return child


def request_again(model, child) -> None:
    """A refused child requested for again (appeal upheld or a new request), now."""
    if child.status != "refused":
        return
    child.status = REQUESTED
    child.request_day = model.now
    model.recorder.flow(model.now, "requests")
    model.recorder.flow(model.now, "repeat_requests")
    ehcna_request(model, child, 0.0)


__all__ = ["generate_requests", "requester", "request_again"]
