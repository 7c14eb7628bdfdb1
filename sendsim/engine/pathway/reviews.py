"""Annual reviews: every 12 months (6 for under-5s), when caseworker capacity allows.

Each week the casework team holds the overdue reviews it has capacity for, oldest first. A
review may cease the plan (needs met; into higher education or employment; no longer engaging),
step the child down (INMSS to special, special to resource base, resource base to mainstream)
when a place is free, or step them up; otherwise the plan is maintained. The next review is due
one interval after this one was held.

A week's batch is decided array-at-a-time: due days are an array beside the plan holders, the
batch takes one block of uniforms (exactly two per review, whatever the outcome, so scenarios
compared with common random numbers stay aligned review by review), and only the reviews that
change something (a cease or a step, a few in a hundred) run as Python.
"""

from __future__ import annotations

import numpy as np

from sendsim.calendar import DAYS_PER_MONTH
from sendsim.codes import (AGE_BANDS, CAPACITY_SETTINGS, MAX_AGE, REVIEW_CEASE_REASONS, SETTINGS, STEP_DOWN,
                           STEP_UP, age_band_index)
from sendsim.engine.capacity import ReviewBacklog
from sendsim.engine.pathway import stage
from sendsim.engine.pathway.leaving import cease
from sendsim.engine.pathway.placement import move, place

LATE_AFTER_DAYS = 28        # a review held more than four weeks after its due day is late
_BAND_OF_AGE = np.array([age_band_index(a) for a in range(MAX_AGE + 30)])


def review_gaps(reviews) -> tuple[float, float]:
    """Days from one review to the next: (for an under-5, for everyone else)."""
    return (reviews.under5_interval_months * DAYS_PER_MONTH, reviews.interval_months * DAYS_PER_MONTH)


def cease_thresholds(cease_at_review) -> np.ndarray:
    """Age band x reason: cumulative probabilities of each review-ceasing reason (one uniform
    decides the outcome)."""
    return np.cumsum([[cease_at_review.get(r, {}).get(band, 0.0) for r in REVIEW_CEASE_REASONS]
                      for band in AGE_BANDS], axis=1)


class Reviews(stage.Stage):
    name = section = "reviews"
    FLOWS = ("reviews_held", "reviews_late", "step_downs", "step_ups")
    STOCKS = ("reviews_overdue", "reviews_per_month_capacity")

    def prepare(self) -> None:
        r = self.params
        self.gaps = review_gaps(r)
        self.cease_cum = cease_thresholds(r.cease_at_review)
        # by setting code (index into SETTINGS; the last entry, code -1, is "no setting")
        self.p_down_by_code = np.array([r.step_down.get(s, 0.0) if s in STEP_DOWN else 0.0 for s in SETTINGS] + [0.0])
        self.p_up_by_code = np.array([r.step_up.get(s, 0.0) if s in STEP_UP else 0.0 for s in SETTINGS] + [0.0])
        self.has_step_down = np.array([s in STEP_DOWN for s in SETTINGS] + [False])
        self.backlog = ReviewBacklog(r.reviews_per_month)
        self.base_per_month = r.reviews_per_month

    def start(self) -> None:
        self.start_caseload = len(self.model.plan_holders)

    def calendar(self):
        m = self.model
        for c in self.params.reviews_capacity_changes:
            yield m.clock.day(c.date), stage.REVIEW_CAPACITY, lambda c=c: self.set_capacity(c.per_month)
        for _, day, _ in stage.months(m):
            yield day, stage.REVIEW_STAFFING, self.scale_capacity
        week = 0.0
        while week < m.end_day:
            yield week, stage.WEEKLY_REVIEWS, self.weekly
            week += 7.0

    def stocks(self) -> list:
        m = self.model
        return [self.backlog.overdue(m.now, m.plan_holders.due_days()), self.backlog.per_month]

    # -- capacity -------------------------------------------------------------------------------
    def set_capacity(self, per_month: float) -> None:
        self.base_per_month = per_month
        self.scale_capacity()

    def scale_capacity(self) -> None:
        """Casework capacity, grown with the caseload as far as the parameter says."""
        m = self.model
        follow = self.params.capacity_follows_caseload
        growth = len(m.plan_holders) / self.start_caseload - 1.0 if self.start_caseload else 0.0
        per_month = self.base_per_month * max(0.0, 1.0 + follow * growth)
        if m.levers:
            per_month = m.levers.capacity("review_capacity", per_month)
        self.backlog.per_month = per_month

    # -- scheduling -----------------------------------------------------------------------------
    def schedule_first(self, child) -> None:
        now = self.model.env.now
        self.model.plan_holders.schedule_review(child, now + self.gaps[child.age(now) >= 5])

    # -- the week's reviews ---------------------------------------------------------------------
    def weekly(self) -> None:
        m = self.model
        now = m.env.now
        holders = m.plan_holders
        due = holders.due_days()
        held = self.backlog.due(now, due, holders.schedule_order())
        k = len(held)
        m.recorder.flow(now, "reviews_held", k)
        m.recorder.flow(now, "reviews_late", int(np.count_nonzero(now - due[held] > LATE_AFTER_DAYS)))
        if k == 0:
            return
        u = m.streams["reviews"].block(2 * k).reshape(k, 2)
        u_cease, u_step = u[:, 0], u[:, 1]
        ages = ((now - holders.birth_days()[held]) / 365.25).astype(np.int64)
        reason = (u_cease[:, None] >= self.cease_cum[_BAND_OF_AGE[ages]]).sum(axis=1)
        ceased = reason < len(REVIEW_CEASE_REASONS)
        # maintained or stepped: the next review is due one interval after this one
        kept = ~ceased
        holders.schedule_reviews(held[kept], now + np.where(ages[kept] >= 5, self.gaps[1], self.gaps[0]))
        p_down, p_up = self._step_probabilities(held, kept)
        events = np.flatnonzero(ceased | (kept & (u_step < p_down + p_up))).tolist()
        # the children first: a cease moves the last holder into the leaver's position
        children = [holders.at(i) for i in held[events].tolist()]
        for j, child in zip(events, children):
            if ceased[j]:
                cease(m, child, REVIEW_CEASE_REASONS[reason[j]])
            elif u_step[j] < p_down[j]:
                target = STEP_DOWN[child.setting]
                if target not in CAPACITY_SETTINGS or m.places.has_free(target):
                    m.recorder.flow(now, "step_downs")
                    move(m, child, target)
            else:
                m.recorder.flow(now, "step_ups")   # a decision to step up: the child may wait
                place(m, child, STEP_UP[child.setting])

    def _step_probabilities(self, held: np.ndarray, kept: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each reviewed child's chance of a step down and of a step up (none while waiting
        for a place, or after a cease); interventions on step-downs asked child by child."""
        m = self.model
        holders = m.plan_holders
        codes = holders.setting_codes()[held]
        open_ = kept & ~holders.waiting_flags()[held]
        p_down = np.where(open_, self.p_down_by_code[codes], 0.0)
        p_up = np.where(open_, self.p_up_by_code[codes], 0.0)
        if m.levers:
            for j in np.flatnonzero(open_ & self.has_step_down[codes]).tolist():
                c = holders.at(held[j])
                p_down[j] = m.levers.probability("step_down", p_down[j], setting=c.setting, need=c.need)
        return p_down, p_up
