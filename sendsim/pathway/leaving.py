"""Leaving and arriving: ceasing at any time, reaching 25, and plans transferred in.

Plans transferred to another LA, moves outside England and deaths happen whenever life does: a
monthly hazard per plan by age band (drawn by thinning, so the cost is per event, not per
child). Plans cease on the holder's 25th birthday. Plans arrive from other LAs at a steady rate,
placed like new plans.
"""

from __future__ import annotations

import numpy as np

from ..codes import AGE_BANDS, ANYTIME_CEASE_REASONS, MAX_AGE, age_band_index
from ..population import AGES_IN_BAND, PLAN, Child
from ..streams import cumulative

MAX_AGE_DAYS = (MAX_AGE) * 365.25


def anytime_ceasing(model, months: float) -> None:
    rates = model.params.ceasing.rate_per_year
    bag = model.plan_holders
    n = len(bag)
    if n == 0:
        return
    rng = model.streams["ceasing"]
    for reason in ANYTIME_CEASE_REASONS:
        by_band = rates.get(reason, {})
        top = max(by_band.values(), default=0.0)
        if top <= 0:
            continue
        for _ in range(rng.poisson(top * months / 12.0 * n)):
            if len(bag) == 0:
                return
            child = bag.at(rng.index(len(bag)))
            band = AGE_BANDS[age_band_index(child.age(model.now))]
            if rng.u() * top < by_band.get(band, 0.0) and child.status == PLAN:
                model.cease(child, reason)


def reached_max_age(model) -> int:
    """Cease the plans of young people who have turned 25."""
    holders = model.plan_holders
    if len(holders) == 0:
        return 0
    idx = np.flatnonzero(model.now - holders.birth_days() >= MAX_AGE_DAYS)
    leaving = [holders.at(i) for i in idx]
    for child in leaving:
        model.cease(child, "max_age")
    return len(leaving)


def transfers_in(model, start: float, end: float) -> None:
    """Plans arriving from other LAs during [start, end)."""
    t = model.params.transfers_in
    rng = model.streams["transfers_in"]
    cum, bands = cumulative(dict(t.age_mix))
    for _ in range(rng.poisson(t.per_month * (end - start) / (365.25 / 12))):
        when = start + (end - start) * rng.u()
        band = rng.choice(cum, bands)
        model.after(when - model.now, lambda band=band: arrive(model, band))


def arrive(model, band: str) -> None:
    """A plan transferred in from another LA arrives now."""
    rng = model.streams["transfers_in"]
    ages = AGES_IN_BAND[band]
    age = ages[rng.index(len(ages))]
    birth, cohort = model.birth_at_age(age, model.now, rng)
    child = Child(model, birth, cohort, model.draw_need(rng), PLAN)
    model.enter(child, "transfer_in")
    model.recorder.flow(model.now, "transfers_in")
    model.start_plan(child)


def intervention_ceasing(model, months: float) -> None:
    """Extra ceasing an intervention brings about (e.g. post-16 plans ceased as outcomes are
    met): so many a month, among plan holders of its age bands and setting, chosen at random."""
    rng = model.streams["interventions"]
    bag = model.plan_holders
    for iv, per_month in model.levers.per_month("ceasing"):
        for _ in range(rng.poisson(max(0.0, per_month) * months)):
            for _try in range(200):      # rejection sampling: eligible holders are not indexed
                if len(bag) == 0:
                    return
                child = bag.at(rng.index(len(bag)))
                if ((not iv.age_bands or model.age_band(child) in iv.age_bands)
                        and (not iv.setting or child.setting == iv.setting)
                        and (not iv.needs or child.need in iv.needs)):
                    model.recorder.flow(model.now, "ceased_by_intervention")
                    model.cease(child, iv.reason)
                    break
