"""From request to plan: decide_to_assess, assess (EP advice), decide_to_issue.

The statutory timetable: a request is decided within about six weeks (`decide_to_assess`); if
agreed, the assessment waits for EP advice on the Educational Psychology service's capacity
(a light queue: fast-tracked assessments first), then other advice and drafting, then the
decision to issue, due 20 weeks after the request. Every step is a timed callback on the SimPy
clock; the weeks taken are recorded for every plan issued.

The EP service's capacity changes on dated `assessment.ep_capacity_changes`, and interventions
may add to it month by month. The census finds some assessments already in progress at the
start (`assessment.in_progress_at_start`), the oldest already past the EP queue.
"""

from __future__ import annotations

import numpy as np

from sendsim.calendar import DAYS_PER_MONTH, DAYS_PER_WEEK
from sendsim.engine.capacity import Team
from sendsim.engine.pathway import stage
from sendsim.engine.population import ASSESSING, REFUSED, REQUESTED, SEN_SUPPORT, Child
from sendsim.engine.streams import choose, cumulative

TWENTY_WEEKS_DAYS = 20 * DAYS_PER_WEEK
FAST_TRACK, IN_TURN = 0, 1        # EP queue priorities


class Assessment(stage.Stage):
    name = section = "assessment"
    FLOWS = ("repeat_requests", "no_to_assess", "assessments_started", "plans_issued", "issued_within_20_weeks",
             "no_to_issue")
    STOCKS = ("ep_queue", "ep_in_progress", "ep_advices_per_month_capacity")

    def prepare(self) -> None:
        a = self.params
        self.ep_base = a.ep_advices_per_month
        self.ep_service = Team(self.model.env, a.ep_advices_per_month, a.ep_advice_weeks * DAYS_PER_WEEK)
        self.model.ep_service = self.ep_service

    def start(self) -> None:
        self._in_progress_at_start()

    def calendar(self):
        m = self.model
        for c in self.params.ep_capacity_changes:
            yield m.clock.day(c.date), stage.EP_CAPACITY, lambda c=c: self.set_capacity(c.per_month)
        if m.levers:
            for i, day, _ in stage.months(m):
                yield day, stage.FOLLOW_LEVERS, self.follow_levers

    def stocks(self) -> list:
        ep = self.ep_service
        return [ep.queue_length, ep.count, ep.per_month]

    # -- capacity -------------------------------------------------------------------------------
    def capacity_now(self) -> float:
        """The EP service's capacity: the parameters' (`ep_base`), after any interventions."""
        m = self.model
        return m.levers.capacity("ep_capacity", self.ep_base) if m.levers else self.ep_base

    def set_capacity(self, per_month: float) -> None:
        self.ep_base = per_month
        self.ep_service.set_throughput(self.capacity_now())

    def follow_levers(self) -> None:
        capacity = self.capacity_now()
        if capacity != self.ep_service.per_month:
            self.ep_service.set_throughput(capacity)

    # -- the start state ------------------------------------------------------------------------
    def _in_progress_at_start(self) -> None:
        m, a = self.model, self.params
        n = a.in_progress_at_start
        if n <= 0:
            return
        rng = m.streams["start_population"]
        rates = np.array(m.params.requests.rate_per_1000_by_age) * np.array(
            [m.population_at_age(age, 0.0) for age in range(26)])
        if rates.sum() <= 0:
            return
        cum, ages = cumulative({a_: r for a_, r in enumerate(rates) if r > 0})
        oldest = a.oldest_in_progress_weeks * DAYS_PER_WEEK
        # The census finds the oldest assessments already past the EP queue: as many in drafting
        # as drafting holds at this throughput, then one EP team's worth mid-advice; the rest
        # wait. Otherwise no plan would be issued until the first advice and drafting were done
        # (two to three months of plans missing from every forecast's first year).
        per_day = self.ep_service.per_month / DAYS_PER_MONTH
        drafting_mean = (a.drafting_weeks_min + a.drafting_weeks_mode + a.drafting_weeks_max) / 3
        in_drafting = min(n, round(per_day * drafting_mean * DAYS_PER_WEEK))
        in_advice = min(n - in_drafting, self.ep_service.capacity)
        # four uniforms an assessment (age, fraction of a year, need, share of its stage left),
        # drawn at once in the order one at a time would take them
        u = rng.block(4 * n).reshape(n, 4)
        age_at = np.asarray(ages, dtype=float)[choose(cum, u[:, 0])]
        request_days = -oldest * (1 - np.arange(n) / n)     # oldest first: the EP queue order
        births = request_days - (age_at + u[:, 1]) * 365.25
        cohorts = m.clock.cohorts(births).tolist()
        needs = choose(m._need_cum, u[:, 2]).tolist()
        for i, (request_day, birth, cohort, need, left) in enumerate(zip(
                request_days.tolist(), births.tolist(), cohorts, needs, u[:, 3].tolist())):
            child = Child(m, birth, cohort, m._need_names[need], ASSESSING)
            child.request_day = request_day
            m.enter(child, "assessment_in_progress")
            at = "drafting" if i < in_drafting else "advice" if i < in_drafting + in_advice else None
            assess(m, child, backlog=True, stage_=at, left=left)


def ehcna_request(model, child, delay: float) -> None:
    """A request made `delay` days from now: its decision falls due about six weeks later."""
    ehcna_requests(model, [child], [delay])


def ehcna_requests(model, children: list, delays: list[float]) -> None:
    """`ehcna_request` for each of a month's requests, in order, their decision times drawn
    at once (the same draws one at a time would take)."""
    d = model.params.decide_to_assess
    weeks = model.streams["decide_to_assess"].triangular_many(
        len(children), d.decision_weeks_min, d.decision_weeks_mode, d.decision_weeks_max)
    after = model.after
    for child, delay, decision_days in zip(children, delays, (DAYS_PER_WEEK * weeks).tolist()):
        after(delay + decision_days, decide_to_assess, model, child)


def decide_to_assess(model, child) -> None:
    """No to assess (the child goes back to SEN support, is requested for again, or leaves),
    or start the assessment."""
    if child.status != REQUESTED:   # left the area meanwhile
        return
    rng = model.streams["decide_to_assess"]
    # two draws per decision whatever the outcome, so arms stay aligned (common random numbers)
    u_decision, u_requester = rng.u(), rng.u()
    p = model.no_to_assess
    if model.levers:
        requester = "parent" if u_requester < model.params.requests.parent_share else "school"
        p = model.levers.probability("no_to_assess", p, band=model.age_band(child), requester=requester,
                                     need=child.need,
                                     per_month_shares=model.no_to_assess_per_month_shares(requester))
    if u_decision < p:
        model.recorder.flow(model.now, "no_to_assess")
        refused(model, child, "no_to_assess")
        return
    child.status = ASSESSING
    model.recorder.flow(model.now, "assessments_started")
    assess(model, child)


def assess(model, child, backlog: bool = False, stage_: str | None = None, left: float = 1.0) -> None:
    """EP advice on the EP service's capacity, then drafting, then the decision to issue.

    A share of new assessments is fast-tracked ahead of the queue (`ep_priority_share`);
    assessments already in the backlog at the start wait their turn, except those the census
    finds already mid-advice (`stage_` "advice") or drafting ("drafting"), which have the share
    `left` of that stage still to do."""
    a = model.params.assessment
    rng = model.streams["assessment"]
    fast = rng.u() < a.ep_priority_share and not backlog
    if stage_ == "drafting":
        _draft(model, child, left)
        return
    team = model.ep_service
    hold = team.hold_days * (left if stage_ == "advice" else 1.0)
    team.join(lambda: _draft(model, child), priority=FAST_TRACK if fast else IN_TURN, hold=hold)


def _draft(model, child, left: float = 1.0) -> None:
    """EP advice is in: other advice and drafting, then the decision to issue."""
    a = model.params.assessment
    weeks = model.streams["assessment"].triangular(a.drafting_weeks_min, a.drafting_weeks_mode,
                                                   a.drafting_weeks_max)
    model.after(DAYS_PER_WEEK * weeks * left, _drafted, model, child)


def _drafted(model, child) -> None:
    if child.status == ASSESSING:
        decide_to_issue(model, child)


def refused(model, child, decision: str) -> None:
    """After no to assess or no to issue: requested again later, SEN support, or gone."""
    d = model.params.decide_to_assess
    rng = model.streams["decide_to_assess"]
    if rng.u() < d.refused_request_again:
        child.status = REFUSED
        model.after(rng.exponential(d.request_again_after_months * DAYS_PER_MONTH), request_again, model, child)
        return
    ncy_ = model.academic_year - child.cohort - 5
    if 0 <= ncy_ <= 11:
        child.status = SEN_SUPPORT
        model.sen_support_of(child.cohort).named.add(child)
        model.recorder.flow(model.now, "sen_support_returned")
        return
    model.leave(child, decision)


def request_again(model, child) -> None:
    """A refused child requested for again (appeal upheld or a new request), now."""
    if child.status != REFUSED:
        return
    child.status = REQUESTED
    child.request_day = model.now
    model.recorder.flow(model.now, "requests")
    model.recorder.flow(model.now, "repeat_requests")
    ehcna_request(model, child, 0.0)


def decide_to_issue(model, child) -> None:
    rng = model.streams["assessment"]
    p = model.no_to_issue
    if model.levers:
        p = model.levers.probability("no_to_issue", p, band=model.age_band(child), need=child.need)
    if rng.u() < p:
        model.recorder.flow(model.now, "no_to_issue")
        refused(model, child, "no_to_issue")
        return
    now, recorder = model.now, model.recorder
    days = now - child.request_day
    recorder.plan_issued(child, days)
    recorder.flow(now, "plans_issued")
    if days <= TWENTY_WEEKS_DAYS:
        recorder.flow(now, "issued_within_20_weeks")
    model.start_plan(child)


__all__ = ["Assessment", "ehcna_request", "ehcna_requests", "decide_to_assess", "assess", "decide_to_issue", "refused",
           "request_again"]
