"""Interventions in force during a run: what each decision point asks of them.

The pathway asks here rather than reading parameters where an intervention may act
(`no_to_assess`, `step_down`, new INMSS placements...). Effects are evaluated once a month (at
the month's start, before the month's demand) from each intervention's ramp and its effect
drawn for this replication, so a decision costs a short loop over the few interventions on its
target. Interventions that act on flows draw their own randomness from the `interventions`
stream, so the baseline's streams see exactly the same draws in both arms of a comparison
(common random numbers).
"""

from __future__ import annotations

import datetime as dt
import math

from sendsim.parameters import ParameterError
from sendsim.scenario.definition import Intervention


class Levers:
    """The effects of a scenario's interventions on one replication, month by month."""

    def __init__(self, interventions: tuple[Intervention, ...], effects: dict[str, float]):
        # A scenario built in Python may skip Scenario.problems(); an infinite or NaN effect
        # would then spread through every rate it touches, so it stops here instead.
        bad = [name for name, e in effects.items() if not math.isfinite(e)]
        if bad:
            raise ParameterError([f"interventions ({name!r}).effect: {effects[name]} is not a "
                                  "finite number (Scenario.problems() lists what is wrong)"
                                  for name in bad])
        self.interventions = interventions
        self.effects = effects                       # name -> effect drawn for this replication
        self.strength: dict[str, float] = {}         # name -> ramp share in force this month
        self._by_target: dict[str, list[Intervention]] = {}
        for iv in interventions:
            self._by_target.setdefault(iv.target, []).append(iv)

    def __bool__(self) -> bool:
        return bool(self.interventions)

    def update(self, day: dt.date) -> None:
        self.strength = {iv.name: iv.ramp(day) for iv in self.interventions}

    def active(self, target: str):
        """(intervention, ramp share, drawn effect) for each intervention now acting on target."""
        for iv in self._by_target.get(target, ()):
            r = self.strength.get(iv.name, 0.0)
            if r > 0.0:
                yield iv, r, self.effects[iv.name]

    # -- probabilities and capacities ------------------------------------------------------
    @staticmethod
    def _apply(value: float, change: str, r: float, effect: float) -> float:
        if change == "multiply":
            return value * (1.0 + r * (effect - 1.0))
        if change == "add":
            return value + r * effect
        if change == "set":
            return value + r * (effect - value)
        return value

    def probability(self, target: str, base: float, band: str = "", requester: str = "",
                    setting: str = "", need: str = "",
                    per_month_shares: dict[str, float] | None = None) -> float:
        """`base` after the interventions on `target` that apply to this case, in [0, 1].

        `per_month_shares` maps an intervention name to its extra events a month divided by the
        expected number of such decisions a month (worked out by the caller from demand)."""
        p = base
        for iv, r, effect in self.active(target):
            if iv.age_bands and band not in iv.age_bands:
                continue
            if iv.requester and requester != iv.requester:
                continue
            if iv.setting and setting != iv.setting:
                continue
            if iv.needs and need not in iv.needs:
                continue
            if iv.change == "per_month":
                p += (per_month_shares or {}).get(iv.name, 0.0)
            else:
                p = self._apply(p, iv.change, r, effect)
        return min(1.0, max(0.0, p))

    def capacity(self, target: str, base: float) -> float:
        value = base
        for iv, r, effect in self.active(target):
            value = self._apply(value, iv.change, r, effect)
        return max(0.0, value)

    def inmss_factor(self, need: str) -> float:
        """Share of would-be new INMSS placements of a child with this need still made."""
        factor = 1.0
        for iv, r, effect in self.active("inmss_placements"):
            if not iv.needs or need in iv.needs:
                factor *= 1.0 + r * (effect - 1.0)
        return max(0.0, factor)

    # -- flows -----------------------------------------------------------------------------
    def request_keep(self, expected_by_age: list[float], age_bands: list[str]) -> list[float]:
        """Probability each age's requests are still made this month (thinning), given the
        expected requests a month at each age before interventions."""
        keep = [1.0] * len(expected_by_age)
        for iv, r, effect in self.active("requests"):
            ages = [a for a, band in enumerate(age_bands) if not iv.age_bands or band in iv.age_bands]
            if iv.change == "multiply":
                factor = 1.0 + r * (effect - 1.0)
            else:                                   # per_month: that many fewer (or more) a month
                expected = sum(expected_by_age[a] * keep[a] for a in ages)
                factor = 1.0 + r * effect / expected if expected > 0 else 1.0
            for a in ages:
                keep[a] *= max(0.0, factor)
        return keep

    def per_month(self, target: str):
        """(intervention, events a month now) for the flow interventions on `target`."""
        for iv, r, effect in self.active(target):
            if iv.change == "per_month":
                yield iv, r * effect

    # -- money -----------------------------------------------------------------------------
    def unit_cost(self, setting: str) -> tuple[float, float]:
        """(factor, GBP a year added) on the unit cost of `setting` this month."""
        factor, added = 1.0, 0.0
        for iv, r, effect in self.active("unit_cost"):
            if iv.setting != setting:
                continue
            if iv.change == "multiply":
                factor *= 1.0 + r * (effect - 1.0)
            else:
                added += r * effect
        return factor, added

    def running_cost(self, day: dt.date, days: float) -> float:
        """Cost of the interventions running on `day`, for `days` days (their annual cost
        runs from start to end, whatever the ramp)."""
        total = 0.0
        for iv in self.interventions:
            if iv.annual_cost_gbp and iv.start <= day and (iv.end is None or day < iv.end):
                total += iv.annual_cost_gbp * days / 365.25
        return total

