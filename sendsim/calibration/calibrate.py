"""Calibrate one council at one origin: direct estimates, the ABC-SMC fit, posterior draws.

`calibrate` is pure (history in, parameters and draws out) so back-tests can call it for every
council in worker processes; `write_calibration` puts it on disk as files `sendsim run` and
`sendsim compare` read: a scenario file naming the council's parameter file and its posterior
draws, plus the posterior-predictive charts and a provenance record.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import math
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sendsim import __version__
from sendsim.data import history as hist
from sendsim.engine.model import simulate
from sendsim.errors import OutputError, UsageError
from sendsim.folders import (MARKER, OutputExistsError, marker, move_into_place, read_marker, sweep,
                      temp_name, writable_parent)
from sendsim.parameters import Parameters
from sendsim.scenario.definition import Scenario, Sources
from sendsim.calibration import fit as abc
from sendsim.calibration.derive import Derivation, check_calibratable, scaled_ceasing, with_starts


@dataclass
class Calibration:
    """A council's parameters at the origin and the posterior draws that go with them."""

    la_name: str
    la_code: str
    origin: int
    seed: int
    parameters: Parameters
    draws: pd.DataFrame
    posterior: "abc.Posterior"
    trend_prior: tuple[float, float]
    neighbours: list[str]
    facts: dict
    seconds: float

    def summary(self) -> dict:
        p = self.posterior.particles
        q = lambda s: [round(float(v), 5) for v in np.quantile(s, [0.05, 0.5, 0.95])]   # noqa: E731
        return {
            "council": self.la_name, "la_code": self.la_code, "origin": f"{self.origin}-01",
            "seed": self.seed, "sendsim_version": __version__,
            "fitted": {k: q(p[k]) for k in p.columns},
            "draws": {k: q(self.draws[k]) for k in self.draws.columns
                      if not k.startswith("assessment.ep_capacity_changes")},
            "trend_prior_mean_sd": [round(v, 5) for v in self.trend_prior],
            "prior": {k: list(v) for k, v in self.posterior.prior.items()},
            "neighbours_for_prior": self.neighbours,
            "abc_simulations": self.posterior.simulations,
            "abc_epsilons": [round(e, 5) for e in self.posterior.epsilons],
            "window_years": self.posterior.inputs.years,
            "notes": self.posterior.inputs.notes,
            "seconds": round(self.seconds, 2),
        }


def neighbour_prior(history, origin: int, years: list[int], data_dir=None) -> tuple[tuple[float, float], list[str]]:
    """Trend prior from statistical neighbours' request growth (England's when none usable)."""
    series, names = [], []
    try:
        neighbours = hist.statistical_neighbours(history.la, data_dir)
    except Exception:   # noqa: BLE001 - a council missing from the neighbours table uses England
        neighbours = []
    for n in neighbours:
        try:
            h = hist.load_history(n, data_dir, origin=origin)
        except Exception:   # noqa: BLE001 - a neighbour without figures is skipped
            continue
        series.append(h.flows["requests"])
        names.append(n.name)
    if len(series) < 3:
        england = hist.england_history(data_dir, origin=origin)
        mean, _ = abc.growth_prior([england.flows["requests"]], years)
        return (mean, 0.08), ["England"]
    return abc.growth_prior(series, years), names


def calibrate(history, origin: int, seed: int = 2023, data_dir=None, *,
              population: int = abc.POPULATION, generations: int = abc.GENERATIONS,
              progress=None) -> Calibration:
    """Calibrate `history` (a `CouncilHistory`) on what was published by January `origin`.
    `progress`, if given, is called with a line of text as each step finishes.

    Refuses (`NotCalibratable`, an InputError naming the council and the series) a council too
    small to calibrate (`derive.MIN_CASELOAD` plans, `derive.MIN_REQUESTS_PER_YEAR` requests a
    year) or whose caseload or requests are not published by the origin: see
    `derive.check_calibratable` for why it refuses rather than borrowing neighbours' priors."""
    import time
    start = time.perf_counter()
    history = history.until(origin)
    check_calibratable(history, origin)        # NotCalibratable: too small or not published
    d = Derivation(history, origin, data_dir=data_dir)
    base = d.parameters()
    say = progress or (lambda text: None)
    say(f"direct estimates from the counts: January {origin} caseload "
        f"{d.facts['caseload']:.0f}, {d.facts['requests_last']:.0f} requests in "
        f"{d.facts['requests_year']:.0f}")
    if "leaving_per_year" in d.facts:
        factor = tune_leaving(base, d.t, d.facts["leaving_per_year"], d.facts["leaving_factor"],
                              seed)
        d = Derivation(history, origin, data_dir=data_dir)
        base = d.parameters(leaving_factor=factor)
        say(f"ceasing tuned by two pilot years of the engine: factor {factor:.3f}")
    x = abc.inputs_from(history, origin)
    prior, names = neighbour_prior(history, origin, x.years, data_dir)
    ss = np.random.SeedSequence([seed, origin, int(history.la.new_code[1:]) if history.la.new_code[1:].isdigit() else 0])
    post_seed, draw_seed = (int(s.generate_state(1)[0]) for s in ss.spawn(2))
    say(f"trend prior N({prior[0]:.3f}, {prior[1]:.3f}) from {len(names)} council(s): "
        f"{', '.join(names[:4])}{'...' if len(names) > 4 else ''}")
    post = abc.fit(x, prior, post_seed, population=population, generations=generations,
                   progress=say)
    facts = d.facts
    draws = abc.draws_table(post, origin, direct_estimates(history, origin, facts), draw_seed)
    # The parameter file holds the posterior medians, and the dated capacity steps the rows fill.
    med = draws.median()
    base["assessment"]["ep_capacity_changes"] = [
        {"date": day, "per_month": round(float(med[f"assessment.ep_capacity_changes[{i}].per_month"]), 3)}
        for i, day in enumerate(abc.capacity_dates(origin))]
    for key, value in med.items():
        if key.startswith("assessment.ep_capacity_changes"):
            continue
        section, _, leaf = key.partition(".")
        v = float(value)
        base[section][leaf] = int(round(v)) if leaf == "in_progress_at_start" else round(v, 6)
    base["council"]["sources"] = d.sources + [
        f"fit: ABC-SMC (pyabc), {post.simulations} surrogate simulations, window "
        f"{x.years[0]}-{x.years[-1]}; trend prior N({prior[0]:.4f}, {prior[1]:.4f}) from "
        f"{', '.join(names)}; this file holds the posterior medians, the draws file the rows"] + [
        f"fit note: {n}" for n in x.notes]
    params = Parameters.from_dict(base, source=f"calibration of {history.la.name} at {origin}")
    return Calibration(la_name=history.la.name, la_code=history.la.new_code, origin=origin,
                       seed=seed, parameters=params, draws=draws, posterior=post,
                       trend_prior=prior, neighbours=names, facts=facts,
                       seconds=time.perf_counter() - start)


def direct_estimates(history, origin: int, facts: dict) -> dict:
    """Counts for the Beta draws, and the year-to-year spread that widens them."""
    f = with_starts(history.flows)
    f = f[f.index <= origin - 1].tail(4)
    yearly_refused = (f["not_started"] / f["requests"]).dropna().tolist()
    done = f["assessed_issued"] + f["assessed_not_issued"]
    yearly_not_issued = (f["assessed_not_issued"] / done).dropna().tolist()
    tin = facts.get("transfers_in_values", [])
    return {"refused": facts.get("refused", 0.0), "requests": facts.get("requests_2y", 0.0),
            "not_issued": facts.get("not_issued", 0.0), "assessed": facts.get("assessed_2y", 0.0),
            "decide_to_assess.no_to_assess.yearly": yearly_refused,
            "assessment.no_to_issue.yearly": yearly_not_issued,
            "transfers_in.yearly_sd": float(np.std(tin, ddof=1)) if len(tin) >= 2 else 0.0}


def tune_leaving(base: dict, template: dict, target: float, factor: float, seed: int,
                 rounds: int = 2) -> float:
    """The ceasing factor at which the engine itself ceases `target` plans a year for reasons
    other than moving away: the template's review and post-19 ceasing scale with it, but not in
    proportion (it depends on the council's ages and settings), so a pilot year of the engine
    is run and the factor corrected by target / simulated, `rounds` times."""
    moving = ("transfer", "moved_outside_eng", "deceased")
    for i in range(rounds):
        d = copy.deepcopy(base)
        d["reviews"]["cease_at_review"], d["phase_transfer"]["into_post19"] = scaled_ceasing(
            template, factor)
        params = Parameters.from_dict(d)
        scenario = Scenario(name="pilot", parameters=params,
                            sources=Sources(process_noise=True, parameters=False, structural=False))
        first = simulate(scenario, np.random.SeedSequence(seed, spawn_key=(99, i)), years=1.0).calendar_year.iloc[0]
        start = params.council.start_date
        days = (dt.date(start.year + 1, 1, 1) - start).days
        leaving = (float(first["total_ceased"]) - sum(float(first[m]) for m in moving)) * 365.0 / days
        if leaving <= 0:
            break
        factor = min(max(factor * target / leaving, 0.05), 5.0)
    return factor


# -- on disk ------------------------------------------------------------------------------------

def scenario_text(cal: Calibration, council_file: str, draws_file: str) -> str:
    return f'''# {cal.la_name}: calibrated by `sendsim calibrate` (sendsim {__version__}) on data published
# by January {cal.origin}, seed {cal.seed}. Run it with `sendsim run {{this file}}`, or extend it in a
# scenario (`extends = "this file"`) and compare. Each replication takes one row of the posterior
# draws; the parameter file holds the posterior medians.

[scenario]
name = "{_slug(cal.la_name)}_{cal.origin}"
title = "{cal.la_name}, calibrated to January {cal.origin}"
base = "{council_file}"

[uncertainty_sources]
process_noise = true
parameters = true
structural = true
parameter_draws = "{draws_file}"
'''


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name.lower()).strip("_")


def output_paths(out: str | Path, overwrite: bool = False) -> list[Path]:
    """The four paths `write_calibration` writes: the scenario file `out`, and beside it
    ``<stem>.council.toml``, ``<stem>.draws.csv`` and ``<stem>.calibration/``. Refused before
    any work if `out` is not a .toml name in a writable place, or if any of them exists and is
    not (with `overwrite`) a calibration sendsim wrote and nobody has changed since."""
    out = Path(out)
    if out.suffix != ".toml" or len(out.name) <= 5:
        raise OutputError(f"--out {out}", "is not a .toml file name",
                          "give the scenario file to write, e.g. councils/iow_2023.toml")
    if out.is_dir():
        raise OutputError(f"--out {out}", "is a folder", "give a .toml file name")
    writable_parent(out)
    stem = out.name[:-5]
    targets = [out, out.with_name(f"{stem}.council.toml"), out.with_name(f"{stem}.draws.csv"),
               out.with_name(f"{stem}.calibration")]
    existing = [t for t in targets if t.exists() or t.is_symlink()]
    if existing and not overwrite:
        raise OutputExistsError(f"--out {out}", f"{', '.join(str(t) for t in existing)} "
                                "already exist(s)", "choose another name, or pass --overwrite "
                                "to replace a calibration sendsim wrote")
    if existing:
        _check_owned(targets)
    return targets


def _check_owned(targets: list[Path]) -> None:
    """Every existing target is the file this calibration's marker recorded, unchanged."""
    folder = targets[3]
    found = read_marker(folder) if folder.is_dir() else None
    if found is None or found["kind"] != "calibration":
        raise OutputError(f"--out {targets[0]}", f"{folder} is not a calibration sendsim wrote, "
                          "so its files will not be replaced", "choose another name")
    recorded = found.get("files", {})
    for t in targets[:3]:
        if not (t.exists() or t.is_symlink()):
            continue
        if t.is_symlink() or not t.is_file() or t.name not in recorded or \
                hashlib.sha256(t.read_bytes()).hexdigest() != recorded[t.name]:
            raise OutputError(f"--out {targets[0]}", f"{t} has changed since sendsim wrote it "
                              "(or sendsim did not write it), so it will not be replaced",
                              "move it aside, or choose another name")
    foreign = [p.name for p in folder.iterdir() if p.name not in (MARKER, "summary.json")
               and not p.name.endswith(".png")]
    if foreign:
        raise OutputError(f"--out {targets[0]}", f"{folder} holds files sendsim did not write "
                          f"({', '.join(sorted(foreign)[:5])})", "move them out, or choose "
                          "another name")


def write_calibration(cal: Calibration, out: str | Path, history=None, overwrite: bool = False) -> list[Path]:
    """Write `out` (the scenario file) and, beside it, ``<stem>.council.toml``,
    ``<stem>.draws.csv`` and ``<stem>.calibration/`` (summary.json, posterior-predictive
    charts, and the marker recording each file's SHA-256). Everything is made in the system's
    temporary folder first; only finished files are moved beside `out`, each by a rename, the
    scenario file last. Refuses to replace anything but an unchanged calibration of sendsim's."""
    out = Path(out)
    targets = output_paths(out, overwrite)
    root = Path(tempfile.gettempdir())
    sweep(root)
    sweep(out.parent)          # files a killed calibration left half-moved beside its output
    tmp = Path(tempfile.mkdtemp(prefix=temp_name("calibration") + "-", dir=root))
    try:
        header = (f"# {cal.la_name} parameters at January {cal.origin}, written by sendsim calibrate "
                  f"(sendsim {__version__}). Sources: council.sources. Contains public sector "
                  "information licensed under the Open Government Licence v3.0.\n")
        (tmp / targets[1].name).write_text(header + cal.parameters.to_toml(), encoding="utf-8")
        cal.draws.to_csv(tmp / targets[2].name, index=False)
        (tmp / targets[0].name).write_text(scenario_text(cal, targets[1].name, targets[2].name),
                                           encoding="utf-8")
        folder = tmp / targets[3].name
        folder.mkdir()
        (folder / "summary.json").write_text(json.dumps(cal.summary(), indent=2, default=str),
                                             encoding="utf-8")
        posterior_predictive_plots(cal, folder)
        files = {t.name: hashlib.sha256((tmp / t.name).read_bytes()).hexdigest()
                 for t in targets[:3]}
        (folder / MARKER).write_text(json.dumps(marker("calibration", files=files), indent=2),
                                     encoding="utf-8")
        out.parent.mkdir(parents=True, exist_ok=True)
        for t in (targets[3], targets[2], targets[1], targets[0]):   # the scenario file last
            near = t.with_name(temp_name() + "-" + t.name[:40])
            try:
                if (tmp / t.name).is_dir():
                    shutil.copytree(tmp / t.name, near)
                else:
                    shutil.copy2(tmp / t.name, near)
                move_into_place(near, t)
            finally:
                if near.exists():
                    shutil.rmtree(near, ignore_errors=True) if near.is_dir() else near.unlink()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return targets


def posterior_predictive_plots(cal: Calibration, folder: Path) -> list[Path]:
    """The surrogate's posterior predictive beside the published figures: requests, assessments
    completed, caseload; and the posterior of each fitted parameter against its prior."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = cal.posterior.inputs
    rng = np.random.default_rng(cal.seed)
    sims = {"requests": [], "completed": [], "caseload": []}
    for _, th in cal.posterior.particles.iterrows():
        n = len(x.years)
        logr = np.log(x.requests[0]) + np.concatenate(
            [[0.0], np.cumsum(th["trend"] + th["drift"] * rng.standard_normal(n - 1))])
        sims["requests"].append(np.exp(logr))
        cap = x.completed[0] * th["capacity_start"] * np.exp(th["capacity_growth"] * np.arange(n))
        done, _ = abc.queue(x.agreed, cap, x.backlog_start * th["backlog_scale"])
        done[0] = x.completed[0]
        sims["completed"].append(done)
        if not np.isnan(x.caseload).any() and not np.isnan(x.ceased).any():
            c = [x.caseload[0]]
            for i in range(n):
                c.append(c[-1] + x.new_plans[i] - x.ceased[i] + th["transfers_in"])
            sims["caseload"].append(np.array(c[1:]))
    observed = {"requests": (x.years, x.requests), "completed": (x.years, x.completed),
                "caseload": ([y + 1 for y in x.years], x.caseload[1:])}
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    for ax, key in zip(axes, ("requests", "completed", "caseload")):
        yrs, obs = observed[key]
        if sims[key]:
            arr = np.vstack(sims[key])
            lo, mid, hi = np.nanquantile(arr, [0.05, 0.5, 0.95], axis=0)
            ax.fill_between(yrs, lo, hi, alpha=0.3, label="posterior predictive 90%")
            ax.plot(yrs, mid, label="median")
        ax.plot(yrs, obs, "ko", label="published")
        ax.set_title({"requests": "Requests a year", "completed": "Assessments completed a year",
                      "caseload": "January caseload"}[key])
        ax.set_xticks(list(yrs))
    axes[0].legend(fontsize=8)
    fig.suptitle(f"{cal.la_name}: fit to data published by January {cal.origin}")
    fig.tight_layout()
    paths = [folder / "posterior_predictive.png"]
    fig.savefig(paths[0], dpi=100)
    plt.close(fig)
    p = cal.posterior.particles
    fig, axes = plt.subplots(1, len(p.columns), figsize=(2.6 * len(p.columns), 2.6))
    for ax, col in zip(np.atleast_1d(axes), p.columns):
        ax.hist(p[col], bins=25, density=True, alpha=0.7)
        ax.set_title(col, fontsize=9)
    fig.tight_layout()
    paths.append(folder / "posterior_parameters.png")
    fig.savefig(paths[1], dpi=100)
    plt.close(fig)
    return paths


def origin_year(text: str | int) -> int:
    """'2021-01' or 2021 -> 2021; only January origins (the census) are meaningful."""
    if isinstance(text, int):
        return text
    s = str(text).strip()
    try:
        d = dt.datetime.strptime(s, "%Y-%m")
    except ValueError:
        try:
            return int(s) if len(s) == 4 else _bad_origin(s)
        except ValueError:
            return _bad_origin(s)
    if d.month != 1:
        raise UsageError("", f"--origin {s}: origins are January census dates (YYYY-01): the "
                         "caseload is published only for January")
    return d.year


def _bad_origin(s: str) -> int:
    raise UsageError("", f"--origin {s!r}: expected YYYY-MM, e.g. 2021-01")


del math
