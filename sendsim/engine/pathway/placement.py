"""Placement at issue, under the capacity of specialist settings, and moving between settings.

When the setting named for a child is a specialist setting with no free place, the child either
goes to an independent or non-maintained special school (INMSS) at once, with the probability
`inmss_when_full` gives for that setting, or waits for a place, educated in mainstream (early
years for under-4s) meanwhile; a child already placed waits where they are. Waiting children
are served first come, first served as places fall vacant. Places open and close on their dates
(`placement.place_changes`) and as a scenario's capacity programme delivers them (on time, or
late if a project slips).
"""

from __future__ import annotations

import datetime as dt

from sendsim.codes import AGE_BANDS, CAPACITY_SETTINGS, age_band_index
from sendsim.engine.capacity import Places
from sendsim.engine.pathway import stage
from sendsim.engine.streams import cumulative
from sendsim.parameters import PlaceChange


class Placement(stage.Stage):
    name = section = "placement"
    FLOWS = (*(f"inmss_because_full_{s}" for s in CAPACITY_SETTINGS),
             *(f"joined_waiting_list_{s}" for s in CAPACITY_SETTINGS),
             *(f"placed_from_waiting_list_{s}" for s in CAPACITY_SETTINGS),
             *(f"places_opened_{s}" for s in CAPACITY_SETTINGS),
             "inmss_diverted", "moved_into_inmss")
    STOCKS = tuple(f"{kind}_{s}" for s in CAPACITY_SETTINGS for kind in ("places", "waiting_for"))

    def prepare(self) -> None:
        self.new_plan_mix = [cumulative(dict(self.params.new_plan_mix[b])) for b in AGE_BANDS]
        self.programme_openings = self._programme_openings()

    def start(self) -> None:
        m = self.model
        m.places = Places(m.env, dict(self.params.places), {k: m.counts[k] for k in CAPACITY_SETTINGS})

    def calendar(self):
        m = self.model
        for c in self.params.place_changes:
            yield m.clock.day(c.date), stage.PLACES, lambda c=c: self.change_places(c)
        for project, opens in self.programme_openings:
            change = PlaceChange(date=opens, setting=project.setting, places=project.places,
                                 label=project.name)
            yield m.clock.day(opens), stage.PLACES, lambda c=change: self.change_places(c)

    def stocks(self) -> list:
        places = self.model.places
        out = []
        for s in CAPACITY_SETTINGS:
            out += [places.total[s], places.waiting(s)]
        return out

    def _programme_openings(self) -> list:
        """(project, date it opens in this replication): on time, or late if it slips."""
        m = self.model
        rng = m.streams["capacity_programme"]
        structural = m.scenario.sources.structural
        out = []
        for project in m.scenario.capacity_programme:
            u_slip = rng.u()
            d = project.delay_months
            delay = rng.triangular(d.low, d.mode, d.high)
            opens = project.opens
            if structural and u_slip < project.slip_probability and delay > 0:
                opens = opens + dt.timedelta(days=round(delay * 365.25 / 12))
            out.append((project, opens))
        return out

    def change_places(self, change) -> None:
        m = self.model
        m.places.change(change.setting, change.places)
        m.recorder.flow(m.now, f"places_opened_{change.setting}", max(0, change.places))


def setting_at_issue(model, child) -> str:
    rng = model.streams["placement"]
    cum, names = model.stage("placement").new_plan_mix[age_band_index(child.age(model.now))]
    return rng.choice(cum, names)


def move(model, child, setting: str | None, place_already_taken: bool = False) -> None:
    """Move a child between settings; the money and the places follow."""
    old = child.setting
    if old == setting:
        if place_already_taken and setting in CAPACITY_SETTINGS:
            model.places.leave(setting)   # already there: hand the extra place back
        return
    t = model.now
    ledger, counts = model.ledger, model.counts
    if old is not None:
        ledger.before_change(old, t)
        counts[old] -= 1
        if old in CAPACITY_SETTINGS:
            model.places.leave(old)
    if setting is not None:
        ledger.before_change(setting, t)
        counts[setting] += 1
        if setting == "inmss":
            model.recorder.flow(t, "moved_into_inmss")
        if setting in CAPACITY_SETTINGS and not place_already_taken:
            model.places.take_now(setting)
    child.setting = setting
    model.plan_holders.moved(child, setting)


def place(model, child, setting: str) -> None:
    """Put a plan holder in `setting`, or INMSS / a wait if it is full."""
    if setting == "inmss" and model.levers and diverted_from_inmss(model, child):
        return
    if setting not in CAPACITY_SETTINGS or model.places.has_free(setting):
        move(model, child, setting)
        return
    if model.streams["placement"].u() < model.params.placement.inmss_when_full.get(setting, 0.0):
        if model.levers and diverted_from_inmss(model, child):
            return
        model.recorder.flow(model.now, f"inmss_because_full_{setting}")
        move(model, child, "inmss")
        return
    # a child with no setting yet (new plan) or leaving early years waits in mainstream (early
    # years for under-4s); a child already placed waits where they are
    age = child.age(model.now)
    if child.setting is None or (child.setting == "early_years" and age >= 4):
        move(model, child, "early_years" if age < 4 else "mainstream")
    # join the queue now: a child who leaves in the same instant must be able to cancel it
    request = model.places.wait_for(setting)
    child.waiting_for = setting
    child.waiting_request = request
    model.plan_holders.set_waiting(child, True)
    model.recorder.flow(model.now, f"joined_waiting_list_{setting}")
    request.callbacks.append(lambda _ev: placed_from_waiting_list(model, child, setting, request))


def diverted_from_inmss(model, child) -> bool:
    """An intervention on new INMSS placements keeps this child in the state sector: a free
    special school place, else a free resource base place, else where they are (mainstream or
    early years for a new plan). True if diverted."""
    factor = model.levers.inmss_factor(child.need)
    if factor >= 1.0 or model.streams["interventions"].u() < factor:
        return False
    model.recorder.flow(model.now, "inmss_diverted")
    for setting in ("special", "resource_base"):
        if child.setting == setting:
            return True
        if model.places.has_free(setting):
            move(model, child, setting)
            return True
    if child.setting is None or child.setting == "early_years":
        move(model, child, "early_years" if child.age(model.now) < 4 else "mainstream")
    return True


def placed_from_waiting_list(model, child, setting: str, request) -> None:
    """A place in `setting` has come to the front of the queue: move there."""
    if child.waiting_request is not request or child.status != "plan":
        # the wait was cancelled (the child left or was re-placed) as the place came
        model.places.leave(setting)
        return
    child.waiting_for = None
    child.waiting_request = None
    model.plan_holders.set_waiting(child, False)
    model.recorder.flow(model.now, f"placed_from_waiting_list_{setting}")
    move(model, child, setting, place_already_taken=True)


def cancel_wait(model, child) -> None:
    """The child leaves or is re-placed: stop waiting, returning a place offered meanwhile."""
    request = child.waiting_request
    if request is None:
        return
    if not request.triggered:
        request.cancel()
    # a request already granted is handed back by placed_from_waiting_list when it is processed
    child.waiting_for = None
    child.waiting_request = None
    model.plan_holders.set_waiting(child, False)
