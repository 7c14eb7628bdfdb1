"""Placement at issue, under the capacity of specialist settings, and moving between settings.

When the setting named for a child is a specialist setting with no free place, the child either
goes to an independent or non-maintained special school (INMSS) at once, with the probability
`inmss_when_full` gives for that setting, or waits for a place, educated in mainstream (early
years for under-4s) meanwhile; a child already placed waits where they are. Waiting children are served first come, first served as places fall vacant.
"""

from __future__ import annotations

from ..codes import CAPACITY_SETTINGS, age_band_index

#: One step down / up the ladder of specialist provision.
STEP_DOWN = {"inmss": "special", "special": "resource_base", "resource_base": "mainstream"}
STEP_UP = {"mainstream": "resource_base", "resource_base": "special", "special": "inmss"}


def setting_at_issue(model, child) -> str:
    rng = model.streams["placement"]
    band = age_band_index(child.age(model.now))
    cum, names = model.new_plan_mix[band]
    return rng.choice(cum, names)


def place(model, child, setting: str) -> None:
    """Put a plan holder in `setting`, or INMSS / a wait if it is full."""
    if setting == "inmss" and model.levers and diverted_from_inmss(model, child):
        return
    if setting not in CAPACITY_SETTINGS or model.places.has_free(setting):
        model.move(child, setting)
        return
    if model.streams["placement"].u() < model.params.placement.inmss_when_full.get(setting, 0.0):
        if model.levers and diverted_from_inmss(model, child):
            return
        model.recorder.flow(model.now, f"inmss_because_full_{setting}")
        model.move(child, "inmss")
        return
    # a child with no setting yet (new plan) or leaving early years waits in mainstream (early
    # years for under-4s); a child already placed waits where they are
    age = child.age(model.now)
    if child.setting is None or (child.setting == "early_years" and age >= 4):
        model.move(child, "early_years" if age < 4 else "mainstream")
    # join the queue now, not when SimPy first runs the process: a child who leaves in the
    # same instant must be able to cancel the request
    request = model.places.wait_for(setting)
    child.waiting_for = setting
    child.waiting_request = request
    model.recorder.flow(model.now, f"joined_waiting_list_{setting}")
    model.env.process(wait_for_place(model, child, setting, request))


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
            model.move(child, setting)
            return True
    if child.setting is None or child.setting == "early_years":
        model.move(child, "early_years" if child.age(model.now) < 4 else "mainstream")
    return True


def wait_for_place(model, child, setting: str, request):
    """Wait in the queue for a place in `setting`, then move there."""
    yield request
    if child.waiting_request is not request or child.status != "plan":
        # the wait was cancelled (the child left or was re-placed) as the place came
        model.places.leave(setting)
        return
    child.waiting_for = None
    child.waiting_request = None
    model.recorder.flow(model.now, f"placed_from_waiting_list_{setting}")
    model.move(child, setting, place_already_taken=True)


def cancel_wait(model, child) -> None:
    """The child leaves or is re-placed: stop waiting, returning a place offered meanwhile."""
    request = child.waiting_request
    if request is None:
        return
    if not request.triggered:
        request.cancel()
    # a request already granted is handed back by wait_for_place when it resumes
    child.waiting_for = None
    child.waiting_request = None
