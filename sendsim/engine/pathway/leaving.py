"""Leaving and arriving: ceasing at any time, reaching 25, and plans transferred in.

Plans transferred to another LA, moves outside England and deaths happen whenever life does: a
monthly hazard per plan by age band (drawn by thinning, so the cost is per event, not per
child). Plans cease on the holder's 25th birthday. Plans arrive from other LAs at a steady rate,
placed like new plans.
"""

from __future__ import annotations

import numpy as np

from sendsim.calendar import DAYS_PER_MONTH
from sendsim.codes import AGE_BANDS, ANYTIME_CEASE_REASONS, CEASE_REASONS, MAX_AGE, age_band_index
from sendsim.engine.pathway import stage
from sendsim.engine.pathway.placement import cancel_wait, move
from sendsim.engine.population import AGES_IN_BAND, PLAN, Child
from sendsim.engine.streams import cumulative

MAX_AGE_DAYS = (MAX_AGE) * 365.25


class Leaving(stage.Stage):
    name = "leaving"
    section = "ceasing"
    FLOWS = ("ceased", *(f"ceased_{r}" for r in CEASE_REASONS), "transfers_in", "ceased_by_intervention")

    def prepare(self) -> None:
        t = self.model.params.transfers_in
        self.transfer_age_mix = cumulative(dict(t.age_mix))

    def calendar(self):
        m = self.model
        for _, start, end in stage.months(m):
            months = (end - start) / DAYS_PER_MONTH
            yield start, stage.TRANSFERS_IN, lambda s=start, e=end: transfers_in(m, s, e)
            yield start, stage.ANYTIME_CEASING, lambda n=months: anytime_ceasing(m, n)
            if m.levers:
                yield start, stage.INTERVENTION_CEASING, lambda n=months: intervention_ceasing(m, n)
            yield start, stage.MAX_AGE, lambda: reached_max_age(m)


def cease(model, child, reason: str) -> None:
    """The plan ends (`reason`, one of CEASE_REASONS or an intervention's): the child leaves."""
    cancel_wait(model, child)
    move(model, child, None)
    model.plan_holders.discard(child)
    model.plans_by_need[child.need] -= 1
    model.recorder.flow(model.now, f"ceased_{reason}")
    model.recorder.flow(model.now, "ceased")
    model.leave(child, f"ceased_{reason}")


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
                cease(model, child, reason)


def reached_max_age(model) -> int:
    """Cease the plans of young people who have turned 25."""
    holders = model.plan_holders
    if len(holders) == 0:
        return 0
    idx = np.flatnonzero(model.now - holders.birth_days() >= MAX_AGE_DAYS)
    leaving = [holders.at(i) for i in idx]
    for child in leaving:
        cease(model, child, "max_age")
    return len(leaving)


def transfers_in(model, start: float, end: float) -> None:
    """Plans arriving from other LAs during [start, end)."""
    t = model.params.transfers_in
    rng = model.streams["transfers_in"]
    cum, bands = model.stage("leaving").transfer_age_mix
    for _ in range(rng.poisson(t.per_month * (end - start) / (365.25 / 12))):
        when = start + (end - start) * rng.u()
        band = rng.choice(cum, bands)
        model.after(when - model.now, arrive, model, band)


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
                    cease(model, child, iv.reason)
                    break
