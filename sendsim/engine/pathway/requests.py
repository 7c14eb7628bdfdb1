"""Requests for an EHC needs assessment (EHCNA).

Requests arrive as a Poisson process per single year of age: a rate per 1,000 residents of that
age (ONS projection), times the demand trend, which is itself uncertain (drawn once per
replication). A school-age request is for a pupil already on SEN support with probability
`from_sen_support`; other requests (early years, parents of children not on SEN support, young
people) bring a new child into the model. Each month's requests are drawn at the month's start
from the month's own stream, and each becomes an `ehcna_request` on its day.
"""

from __future__ import annotations

import math

from sendsim.codes import AGE_BANDS, MAX_AGE, age_band_index
from sendsim.engine.pathway import stage
from sendsim.engine.pathway.assessment import ehcna_requests
from sendsim.engine.pathway.sen_support import take_one
from sendsim.engine.population import REQUESTED, Child


class Requests(stage.Stage):
    name = section = "requests"
    FLOWS = ("requests", "requests_prevented", "sen_support_requested")

    def calendar(self):
        for i, start, end in stage.months(self.model):
            yield start, stage.REQUESTS, lambda i=i, s=start, e=end: generate_requests(self.model, s, e, i)


def trend_multiplier(model, t: float) -> float:
    """Request rates at time t relative to `trend_base_date`: growth at the replication's trend,
    then at each later planning rate (`trend_changes`) plus the replication's drift."""
    p = model.params.requests
    base = model.clock.day(p.trend_base_date)
    drift = model.request_trend - p.trend_per_year
    log_m, day, rate = 0.0, base, model.request_trend
    for change in p.trend_changes:
        at = model.clock.day(change.date)
        if t <= at:
            break
        log_m += math.log1p(rate) * (at - day) / 365.25
        day, rate = at, max(-0.99, change.per_year + drift)
    return math.exp(log_m + math.log1p(rate) * (t - day) / 365.25)


def generate_requests(model, start: float, end: float, month: int) -> int:
    """Schedule the requests made in [start, end) (month number `month`); returns how many.

    Each month's requests draw from their own stream, so two scenarios compared with common
    random numbers see the same requests month by month. Interventions on requests thin them
    (each request kept with a probability, drawn from the interventions stream)."""
    p = model.params.requests
    rng = model.streams.monthly("requests", month)
    mid = 0.5 * (start + end)
    months = (end - start) / (365.25 / 12)
    factor = trend_multiplier(model, mid) * months / 12 / 1000.0
    residents = model.population_by_age(mid)
    lams = [rate * residents[age] * factor if rate > 0 else 0.0
            for age, rate in enumerate(p.rate_per_1000_by_age)]
    levers = model.levers
    keep = None
    if levers:
        per_month = [lam / months for lam in lams]
        keep = levers.request_keep(per_month, AGE_BAND_OF_AGE)
        model.expected_requests_by_band = _by_band([x * k for x, k in zip(per_month, keep)])
    thin = model.streams["interventions"]
    flow, u, now, span = model.recorder.flow, rng.u, model.now, end - start
    children, delays = [], []
    for age, count in enumerate(rng.poisson_many(lams)):
        for _ in range(count):
            when = start + span * u()
            if keep is not None and keep[age] < 1.0 and thin.u() >= keep[age]:
                flow(when, "requests_prevented")
                continue
            child = requester(model, age, when, rng)
            child.status = REQUESTED
            child.request_day = when
            flow(when, "requests")
            children.append(child)
            delays.append(when - now)
    ehcna_requests(model, children, delays)
    return len(children)


AGE_BAND_OF_AGE = [AGE_BANDS[age_band_index(a)] for a in range(MAX_AGE + 1)]


def _by_band(per_age: list[float]) -> dict[str, float]:
    out = dict.fromkeys(AGE_BANDS, 0.0)
    for age, x in enumerate(per_age):
        out[AGE_BAND_OF_AGE[age]] += x
    return out


def requester(model, age: int, when: float, rng) -> Child:
    """The child a request is for: a SEN support pupil of that age, or a new child."""
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


__all__ = ["Requests", "generate_requests", "requester", "trend_multiplier"]
