"""From request to plan: decide_to_assess, assess (EP advice), decide_to_issue.

The statutory timetable: a request is decided within about six weeks (`decide_to_assess`, a
timed callback: a decision needs no waiting of its own); if agreed, one SimPy process per
assessment waits for EP advice on the Educational Psychology service's capacity, then other
advice and drafting, then the decision to issue, due 20 weeks after the request. The weeks
taken are recorded for every plan issued.
"""

from __future__ import annotations

from ..calendar import DAYS_PER_WEEK
from ..population import ASSESSING, REQUESTED

TWENTY_WEEKS_DAYS = 20 * DAYS_PER_WEEK


def ehcna_request(model, child, delay: float) -> None:
    """A request made `delay` days from now: its decision falls due about six weeks later."""
    d = model.params.decide_to_assess
    decision_days = DAYS_PER_WEEK * model.streams["decide_to_assess"].triangular(
        d.decision_weeks_min, d.decision_weeks_mode, d.decision_weeks_max)
    model.after(delay + decision_days, lambda: decide_to_assess(model, child))


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
        model.refused(child, "no_to_assess")
        return
    child.status = ASSESSING
    model.recorder.flow(model.now, "assessments_started")
    model.env.process(assess(model, child))


def assess(model, child, backlog: bool = False, stage: str | None = None, left: float = 1.0):
    """EP advice on the EP service's capacity, then drafting, then the decision to issue.

    A share of new assessments is fast-tracked ahead of the queue (`ep_priority_share`);
    assessments already in the backlog at the start wait their turn, except those the census
    finds already mid-advice (`stage` "advice") or drafting ("drafting"), which have the share
    `left` of that stage still to do."""
    a = model.params.assessment
    rng = model.streams["assessment"]
    fast = rng.u() < a.ep_priority_share and not backlog
    if stage != "drafting":
        with model.ep_service.request(priority=0 if fast else 1) as turn:
            yield turn
            yield model.env.timeout(model.ep_service.hold_days * (left if stage == "advice" else 1.0))
    drafting_days = DAYS_PER_WEEK * rng.triangular(a.drafting_weeks_min, a.drafting_weeks_mode,
                                                   a.drafting_weeks_max)
    yield model.env.timeout(drafting_days * (left if stage == "drafting" else 1.0))
    if child.status != ASSESSING:
        return
    decide_to_issue(model, child)


def decide_to_issue(model, child) -> None:
    rng = model.streams["assessment"]
    p = model.no_to_issue
    if model.levers:
        p = model.levers.probability("no_to_issue", p, band=model.age_band(child), need=child.need)
    if rng.u() < p:
        model.recorder.flow(model.now, "no_to_issue")
        model.refused(child, "no_to_issue")
        return
    days = model.now - child.request_day
    model.recorder.plan_issued(child, days)
    model.recorder.flow(model.now, "plans_issued")
    if days <= TWENTY_WEEKS_DAYS:
        model.recorder.flow(model.now, "issued_within_20_weeks")
    model.start_plan(child)


__all__ = ["ehcna_request", "decide_to_assess", "assess", "decide_to_issue"]
