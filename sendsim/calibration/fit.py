"""Fitting what the published counts do not give directly, with ABC-SMC (pyabc).

Why ABC-SMC: the quantities left after the direct estimates (the demand trend and its
year-to-year drift, EP capacity growth, transfers in, and with them the assessments in progress)
enter the data through a queue and a stock, whose likelihood has no closed form; ABC-SMC needs
only a simulator, and returns a posterior whose width shows what the data cannot pin down (the
engineering notes: Optuna found a point and missed a weakly identified parameter; ABC-SMC's
posterior exposed it). Optuna with count likelihoods would give a point estimate and need a
separate step for uncertainty.

Why not the full simulation inside the fit: thousands of agent-based runs per council would
take hours; the fit uses a yearly stock-and-flow surrogate of the same pathway (requests,
refusals, an EP queue with capacity, plans issued, ceasing, transfers in), run on the
council's own observed inputs, and the agent-based model then carries the posterior forward.

Borrowing strength: the trend's prior is centred on the council's statistical neighbours'
request growth over the same years (England's if it has none), with their spread as its width,
so a council with a short or noisy series is pulled towards its neighbours, and one with a long
clear series is not.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .derive import WINDOW_YEARS, NotCalibratable, assessments_started, smoothed_level

#: ABC-SMC settings, per block of one to three parameters: the simulation-based calibration
#: test (tests/calibration/test_calibration_fit.py) shows calibrated 90% intervals at these sizes, and 150
#: councils calibrate in minutes.
POPULATION = 100
GENERATIONS = 3
#: Posterior rows written for the simulation.
DRAWS = 200
#: Weeks of agreed requests in the pipeline when nothing says how many are in progress.
PIPELINE_WEEKS = 20.0
#: Weeks from request to plan when nobody waits: decision (mode 5), EP advice (6), drafting
#: (mean 5.3), as the template council's times.
PIPELINE_FULL_WEEKS = 16.0
#: Years of EP capacity changes written (1 April each year from the origin).
CAPACITY_YEARS = 12


@dataclass
class Inputs:
    """The observed series the surrogate runs on, aligned by calendar year."""

    years: list[int]
    requests: np.ndarray
    agreed: np.ndarray
    completed: np.ndarray
    new_plans: np.ndarray
    ceased: np.ndarray
    caseload: np.ndarray           # January census at the START of each year (len(years) + 1)
    within_20: float               # share issued within 20 weeks, last year (NaN if unknown)
    backlog_start: float           # assessments in progress at the end of years[0]
    backlog_published: np.ndarray  # in progress at the end of each year (NaN: not published)
    not_issued: float              # share of assessments ending without a plan
    notes: list[str] = field(default_factory=list)


def inputs_from(history, origin: int) -> Inputs:
    """The window of years before `origin` with requests and assessments published."""
    f = history.flows
    c = history.caseload["total"].dropna()
    completed = f["assessed_issued"] + f["assessed_not_issued"].fillna(0.0)
    frame = pd.DataFrame({"requests": f["requests"],
                          "refused": f["requests"] - assessments_started(f),
                          "completed": completed, "issued": f["assessed_issued"],
                          "new_plans": f["new_plans"] if "new_plans" in f else f["assessed_issued"],
                          "ceased": f["ceased"] if "ceased" in f else np.nan})
    frame = frame[frame.index <= origin - 1]
    frame["refused"] = frame["refused"].fillna(frame["refused"].mean())
    frame["new_plans"] = frame["new_plans"].fillna(frame["issued"])
    notes = []
    for col in ("requests", "refused"):      # corrections of published figures (history)
        entry = getattr(history, "sources", {}).get(f"flows.{col}", {})
        notes += [f"{col} {y}: {text}" for y, text in entry.get("notes", {}).items()
                  if int(y) <= origin - 1]
    zero = [int(y) for y in frame.index[frame["requests"] <= 0]]
    if zero:       # the fit's statistics are log changes: a year of 0 requests has none
        frame.loc[frame["requests"] <= 0, "requests"] = np.nan
        notes.append(f"no requests published as received in {', '.join(map(str, zero))} (0): "
                     "left out of the fit's window, which uses log changes")
    frame = frame.dropna(subset=["requests", "completed"]).tail(WINDOW_YEARS)
    years = [int(y) for y in frame.index]
    # keep the trailing run of consecutive years
    while len(years) > 1 and any(b - a != 1 for a, b in zip(years, years[1:])):
        years = years[1:]
    frame = frame.loc[years]
    if len(years) < 2:
        raise NotCalibratable(history.la, "fewer than two consecutive years with both requests "
                              f"and assessments completed published before {origin} (have "
                              f"{', '.join(map(str, years)) or 'none'}): nothing to fit a trend "
                              "to", "flows.requests", "choose a later origin")
    cas = np.array([float(c.get(y, np.nan)) for y in range(years[0], years[-1] + 2)])
    agreed = (frame["requests"] - frame["refused"]).clip(lower=0).to_numpy(float)
    within = np.nan
    if "issued_within_20_weeks" in f and "issued_20_week_den" in f:
        row = f.loc[f.index <= origin - 1, ["issued_within_20_weeks", "issued_20_week_den"]].dropna()
        if not row.empty and row.iloc[-1, 1] > 0:
            within = float(row.iloc[-1, 0] / row.iloc[-1, 1])
    backlog = np.nan
    published = np.array([float(f.at[y, "in_progress_31_dec"]) if "in_progress_31_dec" in f
                          and y in f.index else np.nan for y in years])
    if not np.isnan(published[0]):
        backlog = float(published[0])
    if np.isnan(backlog):
        backlog = agreed[0] * PIPELINE_WEEKS / 52.0
        notes.append(f"assessments in progress at the end of {years[0]} not published: taken as "
                     f"{PIPELINE_WEEKS:.0f} weeks of agreed requests")
    done = frame["completed"].to_numpy(float)
    issued = frame["issued"].to_numpy(float)
    not_issued = float(1 - issued.sum() / done.sum()) if done.sum() > 0 else 0.04
    ceased = frame["ceased"].to_numpy(float)
    return Inputs(years=years, requests=frame["requests"].to_numpy(float), agreed=agreed,
                  completed=done, new_plans=frame["new_plans"].to_numpy(float), ceased=ceased,
                  caseload=cas, within_20=within, backlog_start=backlog,
                  backlog_published=published, not_issued=min(max(not_issued, 0.0), 0.9), notes=notes)


def growth_prior(series: list[pd.Series], years: list[int]) -> tuple[float, float]:
    """Mean and spread of the neighbours' mean log growth of requests over `years`."""
    rates = []
    for s in series:
        s = s.dropna()
        s = s[(s.index >= years[0]) & (s.index <= years[-1])]
        if len(s) >= 2 and (s > 0).all():
            rates.append(float(np.log(s.iloc[-1] / s.iloc[0]) / (s.index[-1] - s.index[0])))
    if not rates:
        return 0.08, 0.08
    mean = float(np.mean(rates))
    sd = float(np.std(rates, ddof=1)) if len(rates) > 1 else 0.08
    return mean, max(sd, 0.03)


# -- the surrogate ------------------------------------------------------------------------------

def queue(agreed: np.ndarray, capacity: np.ndarray, backlog0: float) -> tuple[np.ndarray, np.ndarray]:
    """Assessments completed each year and the backlog at each year end, first year given."""
    done = np.empty_like(agreed)
    backlog = np.empty_like(agreed)
    b = backlog0
    done[0], backlog[0] = np.nan, b
    for i in range(1, len(agreed)):
        available = b + agreed[i]
        done[i] = min(capacity[i], available)
        b = available - done[i]
        backlog[i] = b
    return done, backlog


def within_20_weeks(backlog_end: float, backlog_start: float, completed: float) -> float:
    """Share of plans issued within 20 weeks given the mean wait for an EP (weeks): the 16 weeks
    of decision, advice and drafting leave about 4 weeks of queue; spread as the engine's."""
    wait = 52.0 * 0.5 * (backlog_end + backlog_start) / max(completed, 1.0) - PIPELINE_WEEKS
    return float(1.0 / (1.0 + math.exp(min((wait - 4.0) / 3.0, 50.0))))


def surrogate(theta: dict, x: Inputs, rng: np.random.Generator) -> dict:
    """Summary statistics of one simulated history."""
    n = len(x.years)
    logr = np.log(x.requests[0]) + np.concatenate(
        [[0.0], np.cumsum(theta["trend"] + theta["drift"] * rng.standard_normal(n - 1))])
    diffs = np.diff(logr)
    cap = x.completed[0] * theta["capacity_start"] * np.exp(theta["capacity_growth"] * np.arange(n))
    done, backlog = queue(x.agreed, cap, x.backlog_start * theta["backlog_scale"])
    out = {"growth_mean": float(diffs.mean()),
           "growth_sd": float(diffs.std(ddof=1)) if n > 2 else 0.0}
    for i in range(1, n):
        out[f"completed_{i}"] = float(np.log(max(done[i], 1.0)))
    for i in range(1, n):
        if not np.isnan(x.backlog_published[i]):
            out[f"backlog_{i}"] = float(np.log1p(max(backlog[i], 0.0)))
    if not math.isnan(x.within_20) and n > 1:
        out["within_20"] = within_20_weeks(backlog[-1], backlog[-2], done[-1])
    cas = x.caseload
    if not np.isnan(cas).any() and not np.isnan(x.ceased).any():
        c = cas[0]
        for i in range(n):
            c = c + x.new_plans[i] - x.ceased[i] + theta["transfers_in"]
            out[f"caseload_{i + 1}"] = float(np.log(max(c, 1.0)))
    return out


def observed(x: Inputs) -> dict:
    n = len(x.years)
    diffs = np.diff(np.log(x.requests))
    out = {"growth_mean": float(diffs.mean()),
           "growth_sd": float(diffs.std(ddof=1)) if n > 2 else 0.0}
    for i in range(1, n):
        out[f"completed_{i}"] = float(np.log(max(x.completed[i], 1.0)))
    for i in range(1, n):
        if not np.isnan(x.backlog_published[i]):
            out[f"backlog_{i}"] = float(np.log1p(x.backlog_published[i]))
    if not math.isnan(x.within_20) and n > 1:
        out["within_20"] = x.within_20
    if not np.isnan(x.caseload).any() and not np.isnan(x.ceased).any():
        for i in range(n):
            out[f"caseload_{i + 1}"] = float(np.log(x.caseload[i + 1]))
    return out


def transfers_guess(x: Inputs) -> tuple[float, float]:
    if np.isnan(x.caseload).any() or np.isnan(x.ceased).any():
        return 0.0, 1.0
    vals = np.diff(x.caseload) - x.new_plans + x.ceased
    return float(np.mean(vals)), float(max(np.std(vals), 0.02 * x.caseload[-1], 5.0))


# -- ABC-SMC ------------------------------------------------------------------------------------

@dataclass
class Posterior:
    particles: pd.DataFrame       # resampled, equally weighted rows of theta
    inputs: Inputs
    prior: dict
    simulations: int
    epsilons: list[float]


def fit(x: Inputs, trend_prior: tuple[float, float], seed: int,
        population: int = POPULATION, generations: int = GENERATIONS,
        progress=None) -> Posterior:
    """ABC-SMC posterior of (trend, drift, capacity_start, capacity_growth, backlog_scale,
    transfers_in) given the council's observed inputs."""
    t_mean, t_sd = trend_prior
    tin, tin_sd = transfers_guess(x)
    prior_spec = {
        "trend": ("norm", t_mean, t_sd),
        "drift": ("uniform", 0.005, 0.2),            # sd of yearly log growth, 0.5% to 20.5%
        "capacity_start": ("uniform", 0.9, 0.6),          # first year's capacity / completions
        "capacity_growth": ("norm", 0.05, 0.15),
        "backlog_scale": ("uniform", 0.5, 1.0),          # 0.5 to 1.5 x the stock published
        "transfers_in": ("norm", tin, 2 * tin_sd),
    }
    rng = np.random.default_rng(seed)
    obs = observed(x)
    saved = np.random.get_state()     # pyabc samples with NumPy's global generator: seed it,
    np.random.seed(seed % (2**32))   # and give the caller's state back afterwards
    try:
        return _fit_blocks(x, prior_spec, obs, rng, population, generations, progress)
    finally:
        np.random.set_state(saved)


def _fit_blocks(x, prior_spec, obs, rng, population, generations, progress) -> "Posterior":
    parts, sims, eps = [], 0, []
    for params, prefixes in BLOCKS:
        stats = [k for k in obs if k.split("_")[0] in prefixes]
        if not stats:      # nothing published for this block: the prior stands
            draws = {k: _prior_draws(prior_spec[k], DRAWS, rng) for k in params}
            parts.append(pd.DataFrame(draws))
            continue
        frame, w, n, e = _abc_block(params, stats, prior_spec, x, obs, rng, population, generations)
        if progress is not None:
            progress(f"ABC-SMC {', '.join(params)}: {generations} generations, {n} simulations, "
                     f"final epsilon {e[-1]:.3g}")
        idx = rng.choice(len(frame), size=DRAWS, replace=True, p=w / w.sum())
        parts.append(frame.iloc[idx].reset_index(drop=True)[list(params)])
        sims += n
        eps.extend(e)
    particles = pd.concat(parts, axis=1)[list(prior_spec)]
    return Posterior(particles=particles, inputs=x, prior=prior_spec, simulations=sims,
                     epsilons=eps)


#: The surrogate runs each block on observed inputs (the queue on the agreed requests published,
#: the caseload on the new and ceased plans published), so the posterior factorises into these
#: blocks, each fitted to its own statistics: sharper than one fit in which two request
#: statistics are outweighed by a dozen others, for the same number of simulations.
BLOCKS = (
    (("trend", "drift"), ("growth",)),
    (("capacity_start", "capacity_growth", "backlog_scale"), ("completed", "backlog", "within")),
    (("transfers_in",), ("caseload",)),
)


def _prior_draws(spec, n, rng):
    kind, a, b = spec
    return rng.normal(a, b, n) if kind == "norm" else rng.uniform(a, a + b, n)


def _abc_block(params, stats, prior_spec, x, obs, rng, population, generations):
    import pyabc
    logging.getLogger("ABC").setLevel(logging.WARNING)   # after import: pyabc sets INFO
    fixed = {k: (prior_spec[k][1] + prior_spec[k][2] / 2 if prior_spec[k][0] == "uniform"
                 else prior_spec[k][1]) for k in prior_spec if k not in params}
    prior = pyabc.Distribution(**{k: pyabc.RV(*prior_spec[k]) for k in params})

    def model(theta):
        out = surrogate({**fixed, **dict(theta)}, x, rng)
        return {k: out[k] for k in stats}

    abc = pyabc.ABCSMC(model, prior, pyabc.AdaptivePNormDistance(p=2),
                       population_size=population, sampler=pyabc.sampler.SingleCoreSampler())
    with contextlib.redirect_stderr(io.StringIO()):
        abc.new("sqlite://", {k: obs[k] for k in stats})   # in memory: nothing left on disk
        abc.history.stores_sum_stats = False
        history = abc.run(max_nr_populations=generations, minimum_epsilon=0.0)
        frame, w = history.get_distribution()
        n = int(history.total_nr_simulations)
        e = [float(v) for v in history.get_all_populations()["epsilon"].tolist()]
    return frame.reset_index(drop=True), np.asarray(w, dtype=float), n, e


def draws_table(post: Posterior, origin: int, direct: dict, seed: int) -> pd.DataFrame:
    """Rows of dotted parameter values for the simulation, one per posterior particle.

    `direct` holds the count-based estimates: refused/requests and not_issued/assessed counts
    (Beta posteriors with a uniform prior, drawn independently of the fitted particles).
    """
    rng = np.random.default_rng([seed, 1])
    x = post.inputs
    rows = []
    # At least the agreed requests: capacity that keeps pace with demand from the origin.
    last_done = max(smoothed(x.completed), smoothed(x.agreed))
    for _, th in post.particles.iterrows():
        cap_first = x.completed[0] * th["capacity_start"]
        cap = cap_first * np.exp(th["capacity_growth"] * np.arange(len(x.years)))
        _, backlog = queue(x.agreed, cap, x.backlog_start * th["backlog_scale"])
        in_progress = max(float(backlog[-1]), 0.0)
        if not np.isnan(x.backlog_published[-1]):      # published at the origin: no need to fit
            in_progress = float(x.backlog_published[-1])
        weekly_agreed = max(x.agreed[-1] / 52.0, 0.1)
        # The engine's pipeline from request to plan holds decision, EP advice and drafting
        # (PIPELINE_FULL_WEEKS at the template's times); SEN2's stock "without a decision" is
        # often smaller. Starting with less than the pipeline holds left the first months
        # without plans: 20% fewer new plans in the first year in a development back-test.
        in_progress = max(in_progress, weekly_agreed * PIPELINE_FULL_WEEKS)
        # EP capacity from the origin: last year's throughput or agreed requests, whichever is
        # more (each smoothed), then growing with demand (this row's trend). A council under a
        # 20-week duty adds EP capacity as requests grow (seed 004: agency EPs cleared
        # Wiltshire's backlog in 2023-24); the fitted capacity path, carried forward, would
        # extrapolate the COVID years' dip, and new plans fell 20% short in a development
        # back-test (every fifth council from January 2021) when capacity was held at throughput.
        trend = float(th["trend"])
        row = {
            "requests.trend_per_year": math.expm1(trend),
            "requests.trend_sd_per_year": float(th["drift"]),
            "assessment.ep_advices_per_month": last_done * math.exp(trend * 0.55) / 12.0,
            "assessment.in_progress_at_start": in_progress,
            "assessment.oldest_in_progress_weeks": min(max(in_progress / weekly_agreed, 6.0), 104.0),
            "transfers_in.per_month": max(float(th["transfers_in"]), 0.0) / 12.0,
        }
        for i in range(CAPACITY_YEARS):   # each 1 April from the origin; mid-year is October
            row[f"assessment.ep_capacity_changes[{i}].per_month"] = (
                last_done * math.exp(trend * (i + 1.25)) / 12.0)
        rows.append(row)
    out = pd.DataFrame(rows)
    for key, num, den in (("decide_to_assess.no_to_assess", "refused", "requests"),
                          ("assessment.no_to_issue", "not_issued", "assessed")):
        out[key] = share_draws(direct.get(num, 0.0), direct.get(den, 0.0),
                               direct.get(f"{key}.yearly", ()), len(out), rng)
    spread = direct.get("transfers_in.yearly_sd", 0.0)
    if spread > 0:   # next year's transfers, not their mean: the predictive
        out["transfers_in.per_month"] = np.maximum(
            out["transfers_in.per_month"] + rng.normal(0.0, spread / 12.0, len(out)), 0.0)
    return out.round(6)


def smoothed(values: np.ndarray) -> float:
    """The last value shrunk halfway to the log-linear line through the last five (as
    `derive.smoothed_level`): one year's throughput is a noisy measure of capacity."""
    v = pd.Series(values, index=range(len(values)), dtype=float)
    return smoothed_level(v, len(values) - 1)


def share_draws(num: float, den: float, yearly, n: int, rng) -> np.ndarray:
    """Next year's share (refusals, plans not issued): Beta from the pooled counts, widened to
    the spread between years where three or more years are published (the shares move from
    year to year far more than binomial noise: panels, guidance and staff change)."""
    if den <= 0:
        return np.full(n, np.nan)
    p = rng.beta(num + 1, den - num + 1, n)
    yearly = [v for v in yearly if np.isfinite(v)]
    if len(yearly) >= 3:
        p = p + rng.normal(0.0, float(np.std(yearly, ddof=1)), n)
    return np.clip(p, 0.001, 0.95)


def capacity_dates(origin: int) -> list:
    import datetime as dt
    return [dt.date(origin + i, 4, 1) for i in range(CAPACITY_YEARS)]


def synthetic_inputs(theta: dict, years: list[int], rng: np.random.Generator, *,
                     requests0: float = 1000.0, refused: float = 0.15, not_issued: float = 0.05,
                     caseload0: float = 5000.0, ceased_rate: float = 0.06,
                     backlog0: float = 300.0) -> Inputs:
    """A history simulated by the surrogate from known parameters: the simulation-based
    calibration check fits it and asks whether the known values fall inside the posterior."""
    n = len(years)
    logr = np.log(requests0) + np.concatenate(
        [[0.0], np.cumsum(theta["trend"] + theta["drift"] * rng.standard_normal(n - 1))])
    req = np.round(np.exp(logr))
    agreed = np.round(req * (1 - refused))
    cap = agreed[0] * theta["capacity_start"] * np.exp(theta["capacity_growth"] * np.arange(n))
    done, backlog = queue(agreed, cap, backlog0 * theta["backlog_scale"])
    done[0] = agreed[0]
    new = np.round(done * (1 - not_issued))
    cas = [caseload0]
    ceased = []
    for i in range(n):
        ceased.append(round(cas[-1] * ceased_rate))
        cas.append(cas[-1] + new[i] - ceased[-1] + theta["transfers_in"])
    within = within_20_weeks(backlog[-1], backlog[-2], done[-1]) if n > 1 else float("nan")
    return Inputs(years=list(years), requests=req, agreed=agreed, completed=done, new_plans=new,
                  ceased=np.array(ceased, float), caseload=np.array(cas, float), within_20=within,
                  backlog_start=backlog0, backlog_published=np.full(n, np.nan),
                  not_issued=not_issued)
