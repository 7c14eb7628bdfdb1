"""What a scenario assumes beyond its base council, as rows a board paper can print.

A committee reading a forecast needs every assumption that was not simply carried over from
the calibrated council: each parameter the scenario changed (with the value it replaced and the
file that changed it), each intervention and capacity project (with the source the scenario
cites), and any source of uncertainty switched off. Written into the experiment's manifest
when the experiment starts, because only then are the scenario objects at hand.
"""

from __future__ import annotations

from sendsim.parameters import dotted_items
from sendsim.scenario.definition import Scenario

COLUMNS = ["kind", "item", "value", "base_value", "source"]


def council_details(s: Scenario) -> dict:
    """The council a scenario runs, for the report's title and for reading its history."""
    c = s.parameters.council
    return {"name": c.name, "la_code": c.la_code, "start_date": c.start_date.isoformat(),
            "base": s.base or "", "sources": list(c.sources),
            "cost_basis": list(s.parameters.finance.cost_basis)}


def scenario_assumptions(s: Scenario) -> list[dict]:
    """One row per assumption (`COLUMNS`): base council, changed parameters, interventions,
    capacity projects, calibration draws and uncertainty switched off."""
    c = s.parameters.council
    rows = [_row("base council", s.base or "parameters given directly",
                 f"{c.name} ({c.la_code}), from {c.start_date:%d %B %Y}", "",
                 f"the council file names the source of each value ({len(c.sources)} "
                 f"entries; listed under Method and provenance)")]
    if s.base_parameters is not None:
        here = dotted_items(s.parameters.to_dict())
        base = dotted_items(s.base_parameters.to_dict())
        for key in sorted(set(here) | set(base)):
            if here.get(key) != base.get(key):
                rows.append(_row("parameter", key, _show(here.get(key)), _show(base.get(key)),
                                 _file_of(key, s.parameter_files)))
    for iv in s.interventions:
        e = iv.effect
        when = f"from {iv.start:%d %b %Y}" + (f", full effect {iv.full_effect:%d %b %Y}"
                                             if iv.full_effect else "")
        when += f", until {iv.end:%d %b %Y}" if iv.end else ""
        who = [f"{k} {', '.join(v) if isinstance(v, tuple) else v}" for k, v in
               (("ages", iv.age_bands), ("needs", iv.needs), ("requester", iv.requester),
                ("setting", iv.setting)) if v]
        value = (f"{iv.target}: {iv.change} {_num(e.mode)} (range {_num(e.low)} to "
                 f"{_num(e.high)}) {when}" + (f"; {'; '.join(who)}" if who else "")
                 + (f"; costs GBP {iv.annual_cost_gbp:,.0f} a year" if iv.annual_cost_gbp else ""))
        rows.append(_row("intervention", iv.name, value, "", iv.source))
    for p in s.capacity_programme:
        value = f"{p.places} {p.setting} places opening {p.opens:%d %b %Y}"
        if p.slip_probability:
            d = p.delay_months
            value += (f"; {100 * p.slip_probability:.0f}% chance of opening late by "
                      f"{_num(d.low)} to {_num(d.high)} months (most likely {_num(d.mode)})")
        if p.unit_cost_gbp_per_year is not None:
            value += f"; GBP {p.unit_cost_gbp_per_year:,.0f} a place a year"
        rows.append(_row("capacity project", p.name, value, "", p.source))
    if s.posterior_draws:
        rows.append(_row("calibration", "posterior draws",
                         f"{len(s.posterior_draws)} draws of "
                         f"{', '.join(sorted(s.posterior_draws[0]))}", "",
                         "sendsim calibrate (each replication samples one draw)"))
    for flag in ("process_noise", "parameters", "structural"):
        if not getattr(s.sources, flag):
            rows.append(_row("uncertainty", flag, "switched off", "on", "scenario file"))
    return rows


def _row(kind, item, value, base_value, source) -> dict:
    return dict(zip(COLUMNS, (kind, item, value, base_value, source)))


def _file_of(key: str, files) -> str:
    for k in (key, *(key.rsplit(".", n)[0] for n in range(1, key.count(".") + 1))):
        if k in files:
            return files[k]
    return ""


def _show(v) -> str:
    """A parameter value as a person reads it: lists of tables one item a line, no JSON."""
    if v is None:
        return "(not set)"
    if isinstance(v, bool) or not isinstance(v, (list, tuple, dict, float)):
        return str(v)
    if isinstance(v, float):
        return _num(v)
    if isinstance(v, dict):
        return "; ".join(f"{k}: {_show(x)}" for k, x in v.items()) or "(none)"
    if v and all(isinstance(x, dict) for x in v):
        return "; ".join(", ".join(f"{k.replace('_', ' ')} {_show(x)}" for k, x in item.items()
                                   if not (isinstance(x, float) and x >= NO_LIMIT))
                         for item in v)
    return ", ".join(_show(x) for x in v) or "(none)"


#: Values at or above this mean "no limit" in the parameter files (e.g. 1e300).
NO_LIMIT = 1e299


def _num(x: float) -> str:
    if not isinstance(x, float):
        return str(x)
    return f"{x:,.0f}" if abs(x) >= 1e5 else f"{x:.6g}"
