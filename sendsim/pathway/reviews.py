"""Annual reviews: every 12 months (6 for under-5s), when caseworker capacity allows.

Each week the casework team completes the overdue reviews it has capacity for, oldest first.
A review may cease the plan (needs met; into higher education or employment; no longer engaging),
step the child down (INMSS to special, special to resource base, resource base to mainstream)
when a place is free, or step them up; otherwise the plan is maintained. The next review is
due one interval after this one was held.
"""

from __future__ import annotations

from ..codes import AGE_BANDS, CAPACITY_SETTINGS, REVIEW_CEASE_REASONS, age_band_index
from ..population import PLAN
from .placement import STEP_DOWN, STEP_UP, place


def review_gaps(reviews) -> tuple[float, float]:
    """Days from one review to the next: (for an under-5, for everyone else)."""
    return (reviews.under5_interval_months * 365.25 / 12, reviews.interval_months * 365.25 / 12)


def interval_days(model, child, now: float) -> float:
    return model.review_gaps[child.age(now) >= 5]


def schedule_first(model, child) -> None:
    now = model.env.now
    child.next_review = now + interval_days(model, child, now)
    model.reviews.schedule(child.next_review, child)


def is_current(child, due_day: float) -> bool:
    return child.status == PLAN and child.next_review == due_day


def weekly_reviews(model) -> None:
    """Hold this week's reviews."""
    now = model.env.now
    held = model.reviews.due(now, is_current)
    late = sum(1 for due_day, _ in held if now - due_day > 28)
    model.recorder.flow(now, "reviews_held", len(held))
    model.recorder.flow(now, "reviews_late", late)
    for due_day, child in held:
        annual_review(model, child, now)


def cease_thresholds(cease_at_review) -> list[list[tuple[float, str]]]:
    """Per age band, cumulative probabilities of each review-ceasing reason (one uniform
    decides the outcome)."""
    out = []
    for band in AGE_BANDS:
        acc, row = 0.0, []
        for reason in REVIEW_CEASE_REASONS:
            acc += cease_at_review.get(reason, {}).get(band, 0.0)
            row.append((acc, reason))
        out.append(row)
    return out


def annual_review(model, child, now: float) -> None:
    """One review: cease, step down, step up or maintain; then the next is due."""
    rng = model.streams["reviews"]
    # exactly two draws per review, whatever the outcome, so that scenarios compared with
    # common random numbers stay aligned review by review
    u_cease, u_step = rng.u(), rng.u()
    age = child.age(now)
    for threshold, reason in model.review_cease_thresholds[age_band_index(age)]:
        if u_cease < threshold:
            model.cease(child, reason)
            return
    setting = child.setting
    if child.waiting_for is None and (setting in STEP_DOWN or setting in STEP_UP):
        r = model.params.reviews
        p_down = r.step_down.get(setting, 0.0) if setting in STEP_DOWN else 0.0
        if model.levers and setting in STEP_DOWN:
            p_down = model.levers.probability("step_down", p_down, setting=setting, need=child.need)
        p_up = r.step_up.get(setting, 0.0) if setting in STEP_UP else 0.0
        if u_step < p_down:
            target = STEP_DOWN[setting]
            if target not in CAPACITY_SETTINGS or model.places.has_free(target):
                model.recorder.flow(now, "step_downs")
                model.move(child, target)
        elif u_step < p_down + p_up:
            model.recorder.flow(now, "step_ups")   # a decision to step up: the child may wait
            place(model, child, STEP_UP[setting])
    child.next_review = now + model.review_gaps[age >= 5]
    model.reviews.schedule(child.next_review, child)
