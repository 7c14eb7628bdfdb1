"""A vectorised NumPy reference implementation of sendsim's dynamics (issue 12, point 3).

What it is
----------
A second, independent implementation of the same council model the engine (`sendsim.engine.model`,
SimPy clock + Mesa agents) simulates, written array-at-a-time: the children are rows of NumPy
arrays (birth day, academic cohort, setting, the setting waited for, next review due), stepped
on a timeline of *ticks* (every month start, every week of annual reviews, every dated change),
with the new plan holders of each interval between two ticks placed in one batch. It reads the
same `Parameters` (the same council file), runs the same horizon (the start date plus `years`,
on to the next 1 April) and returns a monthly table with the engine's column names, so that
the two can be compared statistic by statistic (`tests/test_reference_model.py`) and timed side
by side (`benchmarks/bench_vs_reference.py`).

Why it exists
-------------
- A cross-check of the engine: the rules were re-derived from the engine's documented
  behaviour and re-implemented without its code structure (no processes, no event objects, no
  agents), so an error in either one shows as a disagreement of means beyond the noise.
- A speed yardstick: how fast the same dynamics can go without a discrete-event engine.

The processes, as in the engine
-------------------------------
- Start state: the census caseload by setting and by age band, joined by iterative
  proportional fitting over the cells a band can hold; single years of age within a band
  thinned for survival past 19 (post-19 transfer ceasing) and within 20-25 (review ceasing);
  first reviews uniform over one review interval; assessments in progress at the start spread
  evenly over the last `oldest_in_progress_weeks` (the oldest already drafting, then a team's
  worth mid-advice, the rest queueing for an EP).
- Requests: Poisson per month and single year of age, rate per 1,000 x ONS population
  (interpolated at mid-month) x the demand trend (one draw per replication when structural
  uncertainty is on; `trend_changes` with the replication's drift).
- Decide to assess after a triangular number of weeks (`no_to_assess`); a refused child is
  requested for again after an exponential delay with probability `refused_request_again`.
- EP advice: a team of round(advices a month x advice weeks / month) EPs, each holding one
  advice for `ep_advice_weeks`; fast-tracked assessments (`ep_priority_share`) go ahead of the
  queue, the rest first come first served; dated changes of throughput. Then drafting
  (triangular) and the decision to issue (`no_to_issue`, with the same repeat requests).
- Placement at issue (and for transfers in) from the new-plan mix of the child's age band; a
  capacity setting with no place free beyond those owed to its waiting list sends the child to
  INMSS with probability `inmss_when_full`, else the child waits in mainstream (early years
  under 4) on a first-come-first-served list; a child already placed waits where they are.
  Places freed go to the head of the list at once; places opened or closed on their dates
  (closures take places as they fall vacant, in turn with the waiting children).
- Annual reviews in weekly batches, oldest due first, within the casework budget (a week's
  throughput, at most one review of carry-over), the team scaled monthly with the caseload
  (`capacity_follows_caseload`): cease by reason and age band, else step down (if a place is
  free) or step up (placed as at issue), then the next review one interval on (6 months under 5).
- 1 September: phase transfers into reception, secondary, post-16 and post-19 from the tables,
  ceasing at the transition included; monthly any-time ceasing (transfer out, moved outside
  England, death) at the band's rate; ceasing at the 25th birthday (checked monthly); plans
  transferred in (Poisson a month, age from the band mix).
- Money: exact child-days per setting per month (rows enter and change setting only at known
  times) x unit cost per day of the financial year (uplifted each April), fixed lines per day,
  income per day (HNB allocation, extrapolated; schools block transfer; council contribution),
  Safety Valve instalments on their dates if the deficit at the last 31 March was within the
  limit, and the cumulative balance from the first 1 April, closed each financial year.
- Parameter uncertainty: each `[[uncertainty]]` entry drawn once per replication (triangular),
  as the engine does for a plain parameter set (`simulate(params, seed)`); switchable.

What it simplifies (and why the means should still agree)
--------------------------------------------------------
- SEN support is a count per year group, not a set of pupils: pupils leave (monthly exit
  rate) and are identified to make good the prevalence, requests take pupils out and refused
  children come back, at month granularity. Nothing on the plan pathway depends on it (a
  request from SEN support brings the same kind of child as any other request), so it is a
  side output only (`sen_support`).
- Any-time ceasing is one Bernoulli draw per plan holder a month at the summed hazard of the
  band (the engine thins Poisson picks among holders: the same expected number).
- Within a September, the transitions that share places (from or into a capacity setting, or
  of a child on a waiting list) are taken in a random order; the engine takes holders in its
  registry's order, which is arbitrary rather than random (in the first September, the start
  population sorted by age band and setting, so entrants to post-16 come before leavers at 19).
  Occupancy does not depend on the order, but the waiting-list flows do (a child who joins the
  list and gets a leaver's place a moment later, or gets it directly), and so could INMSS
  placements of children named for a full setting (`inmss_when_full`).
- Within one instant (a week's reviews, a September, a month's ceasing) a place freed is owed
  at once to the head of its waiting list, who moves when the batch is over, as in the engine
  (where the waiting child's process resumes after the batch's callback).
- Interventions, capacity programmes and posterior draws (scenario features) are not modelled:
  the reference reads a council's `Parameters` only.
- Loops over individual children remain only where children queue or share places one at a
  time: the EP queue (a priority queue, O(n log n) over assessments, a few thousand a year),
  the reviews of a week that cease from or step into a capacity setting (a few a week), and
  the September transitions that touch a capacity setting (a few hundred a year).

Use: ``run_reference(params, seed, years=8.0)`` -> DataFrame of monthly rows (``month``,
``caseload``, ``caseload_<setting>``, ``plans_issued``, ``spend_total``, ``cumulative_balance``
...); ``run_reference(..., tables=True)`` also returns the financial-year table.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import heapq
import math
from collections import deque

import numpy as np
import pandas as pd

from sendsim.codes import (AGE_BANDS, ANYTIME_CEASE_REASONS, CAPACITY_SETTINGS, CEASE_REASONS,
                           REVIEW_CEASE_REASONS, SETTINGS, SETTINGS_BY_AGE_BAND)
from sendsim.parameters import FrozenMap, Parameters
from sendsim.parameters.keys import key_parts

YEAR = 365.25
MONTH = YEAR / 12
WEEK = 7.0
MAX_AGE_DAYS = 25 * YEAR

SI = {s: i for i, s in enumerate(SETTINGS)}
NS = len(SETTINGS)
EY, MAIN, INMSS = SI["early_years"], SI["mainstream"], SI["inmss"]
IS_CAP = np.array([s in CAPACITY_SETTINGS for s in SETTINGS])
CAP_IDX = [SI[s] for s in CAPACITY_SETTINGS]
#: one step down / up the ladder of provision, by setting index (-1: no step)
_DOWN = {"inmss": "special", "special": "resource_base", "resource_base": "mainstream"}
_UP = {"mainstream": "resource_base", "resource_base": "special", "special": "inmss"}
STEP_DOWN = np.array([SI[_DOWN[s]] if s in _DOWN else -1 for s in SETTINGS])
STEP_UP = np.array([SI[_UP[s]] if s in _UP else -1 for s in SETTINGS])
#: outcomes of a phase transfer: a setting (0..9) or ceasing for a reason (10..)
OUTCOMES = list(SETTINGS) + ["cease_he", "cease_employ", "cease_no_engage", "cease_needs_met"]
TRANSITIONS = {0: "into_reception", 7: "into_secondary", 12: "into_post16", 15: "into_post19"}
BAND_UPPER = np.array([4, 10, 15, 19])         # whole years: <=4 under_5, ... , >19 20_25
BAND_AGES = {"under_5": (2, 3, 4), "5_10": tuple(range(5, 11)), "11_15": tuple(range(11, 16)),
             "16_19": tuple(range(16, 20)), "20_25": tuple(range(20, 25))}

# monthly flows recorded by the reference (the engine's names)
FLOW_NAMES = (["requests", "repeat_requests", "no_to_assess", "assessments_started",
               "plans_issued", "issued_within_20_weeks", "no_to_issue", "ceased"]
              + [f"ceased_{r}" for r in CEASE_REASONS]
              + ["transfers_in", "reviews_held", "step_downs", "step_ups"]
              + [f"inmss_because_full_{s}" for s in CAPACITY_SETTINGS]
              + [f"joined_waiting_list_{s}" for s in CAPACITY_SETTINGS]
              + [f"placed_from_waiting_list_{s}" for s in CAPACITY_SETTINGS]
              + [f"phase_transfer_{n}" for n in TRANSITIONS.values()]
              + ["income_safety_valve", "safety_valve_paid", "safety_valve_withheld_gbp"])
FI = {n: i for i, n in enumerate(FLOW_NAMES)}


# -- small helpers ------------------------------------------------------------------------------

def triangular(u: np.ndarray, lo: float, mode: float, hi: float) -> np.ndarray:
    """Inverse-CDF triangular draws from uniforms `u`."""
    u = np.asarray(u, dtype=float)
    if hi <= lo:
        return np.full(u.shape, float(lo))
    c = (mode - lo) / (hi - lo)
    return np.where(u < c, lo + np.sqrt(u * (hi - lo) * (mode - lo)),
                    hi - np.sqrt((1.0 - u) * (hi - lo) * (hi - mode)))


def band_of_age(age) -> np.ndarray:
    """Age band index of whole years of age."""
    return np.searchsorted(BAND_UPPER, age, side="left")


def _cum_table(shares: dict, names: list[str]) -> np.ndarray:
    """Cumulative probabilities over `names` (in that order), normalised to end at 1."""
    v = np.array([float(shares.get(n, 0.0)) for n in names])
    c = np.cumsum(v)
    return c / c[-1] if c[-1] > 0 else c


def _pick(cum_rows: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Row-wise inverse CDF: the first column whose cumulative share exceeds u."""
    k = (u[:, None] < cum_rows).argmax(axis=1)
    return np.minimum(k, cum_rows.shape[1] - 1)


def _set_at(obj, toks: list, value):
    head, rest = toks[0], toks[1:]
    if isinstance(head, int):
        seq = list(obj)
        seq[head] = _set_at(seq[head], rest, value) if rest else value
        return tuple(seq)
    if isinstance(obj, dict):
        d = dict(obj)
        d[head] = _set_at(d[head], rest, value) if rest else value
        return FrozenMap(d)
    cur = getattr(obj, head)
    if not rest:
        value = int(round(value)) if isinstance(cur, int) and not isinstance(cur, bool) else float(value)
    return dataclasses.replace(obj, **{head: _set_at(cur, rest, value) if rest else value})


def draw_uncertain(params: Parameters, rng: np.random.Generator) -> tuple[Parameters, dict]:
    """This replication's parameters: each `[[uncertainty]]` entry drawn from its triangle
    (values stay inside the ranges the parameter file was validated for)."""
    drawn = {}
    for u in params.uncertainty:
        drawn[u.key] = float(triangular(rng.random(), u.low, u.mode, u.high))
    for key, v in drawn.items():
        params = _set_at(params, key_parts(key), v)
    return params, drawn


# -- the calendar -------------------------------------------------------------------------------

class Calendar:
    """Simulation days since the start date; months, weeks, financial years of one run."""

    def __init__(self, p: Parameters, years: float):
        self.start = p.council.start_date
        nominal = self.start + dt.timedelta(days=round(years * YEAR))
        april = dt.date(nominal.year, 4, 1)
        self.end_date = april if april >= nominal else dt.date(nominal.year + 1, 4, 1)
        self.end = self.day(self.end_date)
        months = [self.start]
        d = dt.date(self.start.year + self.start.month // 12, self.start.month % 12 + 1, 1)
        while d < self.end_date:
            months.append(d)
            d = dt.date(d.year + d.month // 12, d.month % 12 + 1, 1)
        self.month_dates = months
        self.month_starts = np.array([self.day(m) for m in months])
        self.month_ends = np.append(self.month_starts[1:], self.end)
        s = self.start
        fin = dt.date(s.year, 4, 1)
        self.finance_start = self.day(fin if fin >= s else dt.date(s.year + 1, 4, 1))
        self.academic_year0 = s.year if s.month >= 9 else s.year - 1
        self._base = np.datetime64(self.start, "D")

    def day(self, d: dt.date) -> float:
        return float((d - self.start).days)

    def month_of(self, t) -> np.ndarray:
        return np.searchsorted(self.month_starts, t, side="right") - 1

    def ymd(self, t):
        """(year, month, day-of-year) of the calendar day holding time t (days truncated
        toward zero, as the engine's clock does)."""
        d = self._base + np.trunc(np.asarray(t, dtype=float)).astype("int64").astype("timedelta64[D]")
        y = d.astype("datetime64[Y]")
        year = y.astype(int) + 1970
        month = d.astype("datetime64[M]").astype(int) % 12 + 1
        yday = (d - y.astype("datetime64[D]")).astype(int) + 1
        return year, month, yday

    def cohort(self, t) -> np.ndarray:
        """Academic cohort (the academic year of birth) of birth days t."""
        year, month, _ = self.ymd(t)
        return year - (month < 9)


def population(p: Parameters, cal: Calendar, t: np.ndarray) -> np.ndarray:
    """Residents of each age 0..25 at times t (rows), interpolated between mid-year values."""
    years = sorted(p.population.projection, key=int)
    px = np.array([int(y) for y in years], dtype=float)
    pv = np.array([p.population.projection[y] for y in years], dtype=float)
    yr, _, yday = cal.ymd(t)
    x = yr + (yday - 182) / YEAR
    return np.stack([np.interp(x, px, pv[:, a]) for a in range(26)], axis=-1)


def trend_multiplier(p: Parameters, cal: Calendar, trend: float, t: np.ndarray) -> np.ndarray:
    """Request rates at times t relative to trend_base_date (piecewise-constant growth)."""
    r = p.requests
    drift = trend - r.trend_per_year
    knots = [cal.day(r.trend_base_date)] + [cal.day(c.date) for c in r.trend_changes] + [np.inf]
    rates = [trend] + [max(-0.99, c.per_year + drift) for c in r.trend_changes]
    t = np.asarray(t, dtype=float)
    log_m = np.zeros_like(t)
    for i, g in enumerate(rates):      # segment i: from knot i (or the distant past) to knot i+1
        lower = -np.inf if i == 0 else knots[i]
        log_m += math.log1p(g) * (np.clip(t, lower, knots[i + 1]) - knots[i]) / YEAR
    return np.exp(log_m)


# -- the front end: requests to plans issued -----------------------------------------------------

class _Events:
    """Times of the pathway's flows, binned into months at the end."""

    def __init__(self):
        self.times: dict[str, list] = {}

    def add(self, name: str, t) -> None:
        self.times.setdefault(name, []).append(np.atleast_1d(np.asarray(t, dtype=float)))


class FrontEnd:
    """Requests, decisions to assess, the EP queue, drafting and decisions to issue.

    Nothing here depends on the plan holders, so the whole horizon is done before them:
    the result is the list of plans issued (issue day, birth day) and the flows' times."""

    def __init__(self, p: Parameters, cal: Calendar, trend: float, rng: np.random.Generator):
        self.p, self.cal, self.rng = p, cal, rng
        self.ev = _Events()
        self.trend = trend
        d = p.decide_to_assess
        a = p.assessment
        self.hold = a.ep_advice_weeks * WEEK
        self.again_mean = d.request_again_after_months * MONTH
        # jobs (assessments): arrival at the EP queue, fast-track flag, birth, request day
        self.j_arr: list = []
        self.j_fast: list = []
        self.j_birth: list = []
        self.j_req: list = []
        self.j_stage: list = []        # None, or ("advice"|"drafting", share left) at the start
        self.issued_t: list = []
        self.issued_birth: list = []
        self.issued_req: list = []
        self.sen_support_returns: list = []   # (times, births) of refused children back on support

    # requests and decisions to assess, vectorised over a batch
    def requests(self, t_req: np.ndarray, birth: np.ndarray, repeat: bool) -> None:
        p, rng, end = self.p, self.rng, self.cal.end
        keep = t_req < end
        t_req, birth = t_req[keep], birth[keep]
        while t_req.size:
            self.ev.add("requests", t_req)
            if repeat:
                self.ev.add("repeat_requests", t_req)
            d = p.decide_to_assess
            u = rng.random((4, t_req.size))
            t_dec = t_req + WEEK * triangular(u[0], d.decision_weeks_min, d.decision_weeks_mode,
                                              d.decision_weeks_max)
            live = t_dec < end
            refuse = live & (u[1] < d.no_to_assess)
            agree = live & ~refuse
            self.ev.add("no_to_assess", t_dec[refuse])
            self.ev.add("assessments_started", t_dec[agree])
            n = int(agree.sum())
            self.j_arr.extend(t_dec[agree].tolist())
            self.j_fast.extend((u[2][agree] < p.assessment.ep_priority_share).tolist())
            self.j_birth.extend(birth[agree].tolist())
            self.j_req.extend(t_req[agree].tolist())
            self.j_stage.extend([None] * n)
            # refused: requested for again later, or back to SEN support / gone
            t_again, b_again = self.refused(t_dec[refuse], birth[refuse], u[3][refuse])
            t_req, birth, repeat = t_again, b_again, True

    def refused(self, t: np.ndarray, birth: np.ndarray, u: np.ndarray):
        """Refused children: (request days, births) of those requested for again."""
        p = self.p
        again = u < p.decide_to_assess.refused_request_again
        delay = self.rng.exponential(self.again_mean, int(again.sum()))
        rest = ~again
        if rest.any():
            self.sen_support_returns.append((t[rest], birth[rest]))
        t_new = t[again] + delay
        ok = t_new < self.cal.end
        return t_new[ok], birth[again][ok]

    def backlog(self) -> None:
        """Assessments in progress at the start (oldest first: the queue order)."""
        p, rng, cal = self.p, self.rng, self.cal
        a = p.assessment
        n = a.in_progress_at_start
        if n <= 0:
            return
        rates = np.array(p.requests.rate_per_1000_by_age) * population(p, cal, np.array([0.0]))[0]
        if rates.sum() <= 0:
            return
        oldest = a.oldest_in_progress_weeks * WEEK
        slots = self.slots(a.ep_advices_per_month)
        drafting_mean = (a.drafting_weeks_min + a.drafting_weeks_mode + a.drafting_weeks_max) / 3
        in_drafting = min(n, round(a.ep_advices_per_month / MONTH * drafting_mean * WEEK))
        in_advice = min(n - in_drafting, slots)
        i = np.arange(n)
        req = -oldest * (1 - i / n)
        cum = np.cumsum(rates) / rates.sum()
        age = np.minimum(np.searchsorted(cum, rng.random(n), side="right"), 25)
        birth = req - (age + rng.random(n)) * YEAR
        left = rng.random(n)
        for k in range(n):
            stage = ("drafting" if k < in_drafting else "advice" if k < in_drafting + in_advice
                     else None)
            self.j_arr.append(-1e-9)          # in the queue before the first snapshot
            self.j_fast.append(False)
            self.j_birth.append(float(birth[k]))
            self.j_req.append(float(req[k]))
            self.j_stage.append((stage, float(left[k])) if stage else None)

    def slots(self, per_month: float) -> int:
        return max(0, round(per_month * self.hold / MONTH))

    def run(self) -> None:
        p, cal, rng = self.p, self.cal, self.rng
        a = p.assessment
        end = cal.end
        self.backlog()
        # first requests, every month of the horizon at once
        r = p.requests
        rates = np.array(r.rate_per_1000_by_age, dtype=float)
        s, e = cal.month_starts, cal.month_ends
        mid = 0.5 * (s + e)
        months = (e - s) / MONTH
        lam = (rates[None, :] * population(p, cal, mid)
               * (trend_multiplier(p, cal, self.trend, mid) * months / 12 / 1000)[:, None])
        counts = rng.poisson(np.maximum(lam, 0.0))
        cell = np.repeat(np.arange(counts.size), counts.ravel())
        m, age = cell // 26, cell % 26
        when = s[m] + (e - s)[m] * rng.random(cell.size)
        birth = when - (age + rng.random(cell.size)) * YEAR
        self._request_cohorts = (when, m, cal.cohort(birth))    # for the SEN support counts
        self.requests(when, birth, repeat=False)

        # the EP queue: a team of `slots` EPs, fast-tracked first, first come first served
        n0 = len(self.j_arr)
        draft = list(WEEK * triangular(rng.random(n0), a.drafting_weeks_min, a.drafting_weeks_mode,
                                       a.drafting_weeks_max))
        u_issue = list(rng.random(n0))
        u_again = list(rng.random(n0))
        arrivals = [(t, j) for j, t in enumerate(self.j_arr) if self.j_stage[j] is None]
        heapq.heapify(arrivals)
        changes = [(cal.day(c.date), self.slots(c.per_month)) for c in a.ep_capacity_changes]
        changes = [c for c in changes if c[0] < end]
        ci, n_changes = 0, len(changes)
        j_fast = self.j_fast
        cap = self.slots(a.ep_advices_per_month)
        users: list = []
        fastq: deque = deque()
        normq: deque = deque()
        start = [math.inf] * n0
        completions = []                      # (time EP advice done, job)
        for j in range(n0):
            st = self.j_stage[j]
            if st is None:
                continue
            start[j] = -1e-9                  # past the queue before the first snapshot
            if st[0] == "advice":
                heapq.heappush(users, (self.hold * st[1], j))
            else:                             # drafting: a share `left` of drafting to do
                draft[j] *= st[1]
                completions.append((0.0, j))
        seq_new = []                          # jobs created by repeat requests inside the loop
        refused_t: list = []

        def complete(t: float, j: int) -> None:
            td = t + draft[j]
            if td >= end:
                return
            if u_issue[j] < self.no_to_issue:
                refused_t.append(td)
                t_again, b_again = self.refused(np.array([td]), np.array([self.j_birth[j]]),
                                                np.array([u_again[j]]))
                before = len(self.j_arr)
                self.requests(t_again, b_again, repeat=True)
                for k in range(before, len(self.j_arr)):
                    seq_new.append(k)
                return
            self.issued_t.append(td)
            self.issued_birth.append(self.j_birth[j])
            self.issued_req.append(self.j_req[j])

        self.no_to_issue = a.no_to_issue
        for t, j in completions:
            complete(t, j)
        self._absorb_new(seq_new, arrivals, draft, u_issue, u_again, start)
        while True:
            tf = users[0][0] if users else math.inf
            ta = arrivals[0][0] if arrivals else math.inf
            tc = changes[ci][0] if ci < n_changes else math.inf
            if tc <= tf and tc <= ta:         # calendar first on its day
                if tc >= end:
                    break
                t = tc
                cap = changes[ci][1]
                ci += 1
            elif tf <= ta:
                t = tf
                if t >= end:
                    break
                _, j = heapq.heappop(users)
                complete(t, j)
                if seq_new:
                    self._absorb_new(seq_new, arrivals, draft, u_issue, u_again, start)
            else:
                t = ta
                if t >= end:
                    break
                _, j = heapq.heappop(arrivals)
                (fastq if j_fast[j] else normq).append(j)
            while len(users) < cap and (fastq or normq):
                j = fastq.popleft() if fastq else normq.popleft()
                start[j] = t
                heapq.heappush(users, (t + self.hold, j))
        # (backlog jobs still waiting were put in `arrivals` with time -1e-9 and the lowest job
        # numbers, so the heap gave them the queue ahead of every later arrival, in order)
        self.ev.add("no_to_issue", refused_t)
        it = np.array(self.issued_t)
        self.ev.add("plans_issued", it)
        self.ev.add("issued_within_20_weeks", it[it - np.array(self.issued_req) <= 20 * WEEK])
        self.ep_arrivals = np.array(self.j_arr)
        self.ep_starts = np.array(start)

    def _absorb_new(self, seq_new, arrivals, draft, u_issue, u_again, start) -> None:
        """Jobs created by repeat requests after a refusal to issue: their draws, and a place in
        the arrival heap (their arrival is later than now: a request and a decision come first)."""
        if not seq_new:
            return
        a = self.p.assessment
        n = len(seq_new)
        u = self.rng.random((3, n))
        draft.extend(WEEK * triangular(u[0], a.drafting_weeks_min, a.drafting_weeks_mode,
                                       a.drafting_weeks_max))
        u_issue.extend(u[1])
        u_again.extend(u[2])
        start.extend([math.inf] * n)
        for k in seq_new:
            heapq.heappush(arrivals, (self.j_arr[k], k))
        seq_new.clear()


def transfers_in(p: Parameters, cal: Calendar, rng: np.random.Generator):
    """(arrival day, birth day) of plans transferred in from other LAs."""
    t = p.transfers_in
    s, e = cal.month_starts, cal.month_ends
    n = rng.poisson(t.per_month * (e - s) / MONTH)
    m = np.repeat(np.arange(s.size), n)
    when = s[m] + (e - s)[m] * rng.random(m.size)
    bands = list(t.age_mix)
    cum = _cum_table(dict(t.age_mix), bands)
    b = np.minimum(np.searchsorted(cum, rng.random(m.size), side="right"), len(bands) - 1)
    first = np.array([BAND_AGES[x][0] for x in bands])        # each band: consecutive ages
    width = np.array([len(BAND_AGES[x]) for x in bands])
    ages = first[b] + np.minimum((rng.random(m.size) * width[b]).astype(int), width[b] - 1)
    birth = when - (ages + rng.random(m.size)) * YEAR
    return when, birth


# -- the start state ----------------------------------------------------------------------------

def start_cells(p: Parameters) -> dict[tuple[int, int], int]:
    """Plans by (age band, setting) with both census margins, by iterative proportional fitting
    over the cells a band can hold, then whole numbers by largest remainders."""
    s = p.start_state
    bands = [i for i, b in enumerate(AGE_BANDS) if s.caseload_by_age_band.get(b, 0) > 0]
    sets = [i for i, x in enumerate(SETTINGS) if s.caseload_by_setting.get(x, 0) > 0]
    rows = np.array([s.caseload_by_age_band[AGE_BANDS[i]] for i in bands], dtype=float)
    cols = np.array([s.caseload_by_setting[SETTINGS[j]] for j in sets], dtype=float)
    m = np.array([[SETTINGS[j] in SETTINGS_BY_AGE_BAND[AGE_BANDS[i]] for j in sets] for i in bands],
                 dtype=float)
    for _ in range(200):
        m *= np.divide(rows, m.sum(1), out=np.zeros_like(rows), where=m.sum(1) > 0)[:, None]
        m *= np.divide(cols, m.sum(0), out=np.zeros_like(cols), where=m.sum(0) > 0)[None, :]
    out = np.floor(m).astype(int)
    need_c = cols.astype(int) - out.sum(0)
    need_r = rows.astype(int) - out.sum(1)
    for flat in np.argsort(-(m - out), axis=None, kind="stable"):
        i, j = divmod(int(flat), len(sets))
        if need_c[j] > 0 and need_r[i] > 0 and m[i, j] > 0:
            out[i, j] += 1
            need_c[j] -= 1
            need_r[i] -= 1
    for j in range(len(sets)):                # leftovers: any allowed cell whose row has room
        while need_c[j] > 0:
            i = int(np.argmax(np.where(m[:, j] > 0, need_r, -10**9)))
            out[i, j] += 1
            need_c[j] -= 1
            need_r[i] -= 1
    return {(bands[i], sets[j]): int(out[i, j]) for i in range(len(bands)) for j in range(len(sets))
            if out[i, j] > 0}


def age_weights(p: Parameters) -> dict[int, np.ndarray]:
    """Weights of the single years of age within each band at the start: 19 thinned by the
    average share ceasing at the post-19 transfer, 20-25 further by review ceasing a year."""
    post19 = p.phase_transfer.into_post19
    shares = [sum(v for k, v in t.items() if k.startswith("cease_")) for t in post19.values()]
    survive = 1.0 - (float(np.mean(shares)) if shares else 0.0)
    cease20 = sum(m.get("20_25", 0.0) for m in p.reviews.cease_at_review.values())
    out = {}
    for i, b in enumerate(AGE_BANDS):
        ages = BAND_AGES[b]
        w = np.ones(len(ages))
        if b == "16_19":
            w[ages.index(19)] = survive
        if b == "20_25":
            w = survive * (1.0 - cease20) ** (np.array(ages) - 20.0)
        out[i] = w
    return out


# -- the back end: plan holders --------------------------------------------------------------------

class PlanHolders:
    """Every child who holds a plan during the run, one row each (start population first, then
    arrivals in time order), and the places of the capacity settings."""

    def __init__(self, p, cal, rng, birth, cohort, setting, next_review, flows, n_months):
        self.p, self.cal, self.rng = p, cal, rng
        self.birth, self.cohort = birth, cohort
        self.setting = setting                   # -1: not (or no longer) holding a plan
        self.waiting = np.full(birth.size, -1)   # capacity setting waited for, or -1
        self.next_review = next_review           # inf: no review due (not a holder)
        self.counts = np.bincount(setting[setting >= 0], minlength=NS).astype(np.int64)
        self.total = {s: int(p.placement.places.get(SETTINGS[s], 0)) for s in CAP_IDX}
        self.queue = {s: deque() for s in CAP_IDX}    # child rows, or -1 for a place closing
        self.closing = {s: 0 for s in CAP_IDX}
        self.flows = flows
        self.month = 0
        self._defer = 0                          # inside a batch: waiting lists served after it
        self._pending: set = set()
        self.p_inmss = np.zeros(NS)
        for s, v in p.placement.inmss_when_full.items():
            self.p_inmss[SI[s]] = v

    # places
    def free_beyond_queue(self, s: int) -> int:
        return self.total[s] - int(self.counts[s]) - len(self.queue[s])

    def has_free(self, s: int) -> bool:
        return self.free_beyond_queue(s) >= 1

    def flow(self, name: str, n: float = 1.0) -> None:
        self.flows[self.month, FI[name]] += n

    def begin(self) -> None:
        """Start a batch decided in one instant (a week's reviews, a September, a month's
        ceasing): a place freed meanwhile is owed to the head of its waiting list at once (no
        one else may take it), but the child moves only when the batch is over, so every
        decision in the batch sees the children where they were."""
        self._defer += 1

    def end(self) -> None:
        self._defer -= 1
        if self._defer == 0:
            while self._pending:
                self.serve(self._pending.pop())

    def serve(self, s: int) -> None:
        """Places free in `s` go to the head of its waiting list (children, or closures)."""
        if self._defer:
            self._pending.add(s)
            return
        q = self.queue[s]
        while q and self.total[s] - self.counts[s] >= 1:
            j = q.popleft()
            if j < 0:                            # a place closing as it falls vacant
                self.total[s] -= 1
                self.closing[s] -= 1
                if self.closing[s] > 0:
                    q.append(-1)
                continue
            self.waiting[j] = -1
            self.flow(f"placed_from_waiting_list_{SETTINGS[s]}")
            self.move(j, s)

    def change_places(self, s: int, n: int) -> None:
        if n > 0:
            self.total[s] += n
            self.serve(s)
        elif n < 0:
            if self.closing[s] == 0:
                self.queue[s].append(-1)
            self.closing[s] += -n
            self.serve(s)

    def move(self, j: int, new: int) -> None:
        old = self.setting[j]
        if old == new:
            return
        if old >= 0:
            self.counts[old] -= 1
        self.counts[new] += 1
        self.setting[j] = new
        if old >= 0 and IS_CAP[old]:
            self.serve(old)

    def cancel_wait(self, j: int) -> None:
        s = self.waiting[j]
        if s >= 0:
            self.queue[s].remove(j)
            self.waiting[j] = -1

    def place(self, j: int, target: int, age: int) -> None:
        """Put holder j in `target`, or INMSS / a waiting list if it is full."""
        if self.setting[j] == target:
            return
        if not IS_CAP[target] or self.has_free(target):
            self.move(j, target)
            return
        if self.rng.random() < self.p_inmss[target]:
            self.flow(f"inmss_because_full_{SETTINGS[target]}")
            self.move(j, INMSS)
            return
        cur = self.setting[j]
        if cur < 0 or (cur == EY and age >= 4):
            self.move(j, EY if age < 4 else MAIN)
        self.waiting[j] = target
        self.queue[target].append(j)
        self.flow(f"joined_waiting_list_{SETTINGS[target]}")

    def cease_one(self, j: int, reason: str) -> None:
        """End one plan now (the scalar path of `cease`)."""
        if self.waiting[j] >= 0:
            self.cancel_wait(j)
        old = int(self.setting[j])
        self.counts[old] -= 1
        self.setting[j] = -1
        self.next_review[j] = np.inf
        row = self.flows[self.month]
        row[FI["ceased"]] += 1
        row[FI[f"ceased_{reason}"]] += 1
        if IS_CAP[old]:
            self.serve(old)

    def cease(self, rows: np.ndarray, reasons) -> None:
        """End the plans of `rows` now (reasons: one name, or one per row)."""
        if rows.size == 0:
            return
        if rows.size == 1:
            self.cease_one(int(rows[0]), reasons if isinstance(reasons, str) else str(reasons[0]))
            return
        for j in rows[self.waiting[rows] >= 0]:
            self.cancel_wait(int(j))
        old = self.setting[rows]
        self.counts -= np.bincount(old, minlength=NS)
        self.setting[rows] = -1
        self.next_review[rows] = np.inf
        self.flow("ceased", rows.size)
        if isinstance(reasons, str):
            self.flow(f"ceased_{reasons}", rows.size)
        else:
            for r, n in zip(*np.unique(reasons, return_counts=True)):
                self.flow(f"ceased_{r}", n)
        for s in CAP_IDX:
            if (old == s).any():
                self.serve(s)

    # arrivals: a batch of new plan holders between two ticks
    def arrive(self, rows: np.ndarray, t: np.ndarray) -> None:
        rng = self.rng
        age = ((t - self.birth[rows]) / YEAR).astype(int)
        band = band_of_age(age)
        target = _pick(self.mix[band], rng.random(rows.size))
        self.next_review[rows] = t + np.where(age >= 5, self.gap_adult, self.gap_under5)
        capped = IS_CAP[target]
        plain = rows[~capped]
        self.setting[plain] = target[~capped]
        self.counts += np.bincount(target[~capped], minlength=NS)
        for s in CAP_IDX:
            mine = np.flatnonzero(target == s)     # in time order
            if mine.size == 0:
                continue
            k = max(0, min(mine.size, self.free_beyond_queue(s)))
            self.setting[rows[mine[:k]]] = s
            self.counts[s] += k
            rest = mine[k:]
            if rest.size == 0:
                continue
            to_inmss = rng.random(rest.size) < self.p_inmss[s]
            self.flow(f"inmss_because_full_{SETTINGS[s]}", int(to_inmss.sum()))
            self.setting[rows[rest[to_inmss]]] = INMSS
            self.counts[INMSS] += int(to_inmss.sum())
            for i in rest[~to_inmss]:
                j = int(rows[i])
                w = EY if age[i] < 4 else MAIN
                self.setting[j] = w
                self.counts[w] += 1
                self.waiting[j] = s
                self.queue[s].append(j)
                self.flow(f"joined_waiting_list_{SETTINGS[s]}")

    # annual reviews of one week
    def reviews(self, t: float, budget: float) -> float:
        due = np.flatnonzero(self.next_review <= t)
        k = min(due.size, int(budget)) if budget >= 1.0 else 0
        if k == 0:
            return budget
        order = np.argsort(self.next_review[due], kind="stable")[:k]
        sel = due[order]
        budget -= k
        self.flow("reviews_held", k)
        age = ((t - self.birth[sel]) / YEAR).astype(int)
        band = band_of_age(age)
        u = self.rng.random((2, k))
        thr = self.review_cease[band]                 # (k, reasons) cumulative
        ceasing = u[0] < thr[:, -1]
        reason = np.array(REVIEW_CEASE_REASONS)[(u[0][:, None] < thr).argmax(1)]
        s = self.setting[sel]
        waiting = self.waiting[sel] >= 0
        p_down, p_up = self.p_down[s], self.p_up[s]
        can_step = ~ceasing & ~waiting
        down = can_step & (u[1] < p_down)
        up = can_step & ~down & (u[1] < p_down + p_up)
        # next review one interval on, for every plan that goes on
        self.next_review[sel[~ceasing]] = t + np.where(age[~ceasing] >= 5, self.gap_adult,
                                                       self.gap_under5)
        tangled = (ceasing & (IS_CAP[s] | waiting)) | down | up
        plain = ceasing & ~tangled
        self.begin()
        self.cease(sel[plain], reason[plain])
        for i in np.flatnonzero(tangled):             # in review order: they share places
            j = int(sel[i])
            if ceasing[i]:
                self.cease_one(j, str(reason[i]))
            elif down[i]:
                target = STEP_DOWN[s[i]]
                if not IS_CAP[target] or self.has_free(target):
                    self.flow("step_downs")
                    self.move(j, int(target))
            else:
                self.flow("step_ups")
                self.place(j, int(STEP_UP[s[i]]), int(age[i]))
        self.end()
        return budget

    def phase_transfers(self, t: float, academic_year: int) -> None:
        """1 September: every holder entering NCY 0, 7, 12 or 15 re-placed from the table of the
        setting they are in (or their plan ceases there). Transitions that touch no place (from
        and to uncapped settings, not waiting) are applied at once; the others share places, so
        they are taken one at a time in a random order (the engine's order is its registry's)."""
        rows = np.flatnonzero(self.setting >= 0)
        ncy = academic_year - self.cohort[rows] - 5
        rng = self.rng
        picked_rows, picked_out, picked_name = [], [], []
        for k, name in TRANSITIONS.items():
            r = rows[ncy == k]
            if r.size == 0:
                continue
            table = self.transfer[name]
            s = self.setting[r]
            has = table["has"][s]
            r, s = r[has], s[has]
            if r.size == 0:
                continue
            out = _pick(table["cum"][s], rng.random(r.size))
            move = out != s
            picked_rows.append(r[move])
            picked_out.append(out[move])
            picked_name.append(np.full(int(move.sum()), k))
        if not picked_rows:
            return
        r = np.concatenate(picked_rows)
        out = np.concatenate(picked_out)
        which = np.concatenate(picked_name)
        ceasing = out >= NS
        src = self.setting[r]
        touches = IS_CAP[src] | (self.waiting[r] >= 0) | (~ceasing & IS_CAP[np.minimum(out, NS - 1)])
        for k, name in TRANSITIONS.items():
            self.flow(f"phase_transfer_{name}", int(((which == k) & ~ceasing).sum()))
        self.begin()
        # untouched by capacity: ceasing from uncapped settings, moves between uncapped settings
        plain = ~touches
        c = plain & ceasing
        self.cease(r[c], np.array([OUTCOMES[o][len("cease_"):] for o in out[c]]))
        mv = plain & ~ceasing
        if mv.any():
            self.counts -= np.bincount(src[mv], minlength=NS)
            self.counts += np.bincount(out[mv], minlength=NS)
            self.setting[r[mv]] = out[mv]
        for i in rng.permutation(np.flatnonzero(touches)):
            j, o = int(r[i]), int(out[i])
            if o >= NS:
                self.cease_one(j, OUTCOMES[o][len("cease_"):])
                continue
            self.cancel_wait(j)
            self.place(j, o, int((t - self.birth[j]) / YEAR))
        self.end()


def _prepare(h: PlanHolders, p: Parameters) -> None:
    """Lookup tables the holders' processes read, as arrays."""
    h.mix = np.stack([_cum_table(dict(p.placement.new_plan_mix[b]), list(SETTINGS)) for b in AGE_BANDS])
    r = p.reviews
    h.gap_under5 = r.under5_interval_months * MONTH
    h.gap_adult = r.interval_months * MONTH
    h.review_cease = np.cumsum(np.array([[r.cease_at_review.get(x, {}).get(b, 0.0)
                                          for x in REVIEW_CEASE_REASONS] for b in AGE_BANDS]), axis=1)
    h.p_down = np.array([r.step_down.get(s, 0.0) if STEP_DOWN[i] >= 0 else 0.0
                         for i, s in enumerate(SETTINGS)])
    h.p_up = np.array([r.step_up.get(s, 0.0) if STEP_UP[i] >= 0 else 0.0
                       for i, s in enumerate(SETTINGS)])
    h.transfer = {}
    for name in TRANSITIONS.values():
        table = getattr(p.phase_transfer, name)
        cum = np.zeros((NS, len(OUTCOMES)))
        has = np.zeros(NS, dtype=bool)
        for frm, shares in table.items():
            cum[SI[frm]] = _cum_table(dict(shares), OUTCOMES)
            has[SI[frm]] = True
        h.transfer[name] = {"cum": cum, "has": has}
    rates = p.ceasing.rate_per_year
    h.anytime = np.array([[rates.get(x, {}).get(b, 0.0) for x in ANYTIME_CEASE_REASONS]
                          for b in AGE_BANDS])      # (band, reason) a year
    h.anytime_cum = np.cumsum(h.anytime, axis=1)


# -- SEN support, as counts ---------------------------------------------------------------------

class SenSupportCounts:
    """Pupils on SEN support by cohort (counts only): exits, identification to the prevalence,
    requests out, refused children back."""

    def __init__(self, p, cal, rng):
        self.p, self.cal, self.rng = p, cal, rng
        self.by_cohort: dict[int, int] = {}
        self._pop_at = dict(zip(cal.month_starts.tolist(), population(p, cal, cal.month_starts)))
        ay = cal.academic_year0
        for ncy in range(12):
            self.by_cohort[ay - ncy - 5] = int(round(p.sen_support.prevalence_by_ncy[ncy]
                                                     * self.pupils(ncy, 0.0)))

    def pupils(self, ncy: int, t: float) -> float:
        pop = population(self.p, self.cal, np.array([t]))[0]
        return 0.5 * (pop[ncy + 4] + pop[ncy + 5])

    def month(self, t: float, months: float, ay: int, requested: np.ndarray, returned: np.ndarray):
        s = self.p.sen_support
        for c, n in zip(*np.unique(requested, return_counts=True)):
            if self.by_cohort.get(int(c), 0) > 0:
                self.by_cohort[int(c)] = max(0, self.by_cohort[int(c)] - int(n))
        for c in returned:
            if 0 <= ay - int(c) - 5 <= 11:
                self.by_cohort[int(c)] = self.by_cohort.get(int(c), 0) + 1
        pop = self._pop_at.get(t)
        if pop is None:
            pop = population(self.p, self.cal, np.array([t]))[0]
        exit_p = min(1.0, s.exit_rate_per_month * months)
        for ncy in range(12):
            c = ay - ncy - 5
            n = self.by_cohort.get(c, 0)
            n -= self.rng.binomial(n, exit_p) if n > 0 and exit_p > 0 else 0
            short = s.prevalence_by_ncy[ncy] * 0.5 * (pop[ncy + 4] + pop[ncy + 5]) - n
            n += self.rng.poisson(max(0.0, short) * min(1.0, months))
            self.by_cohort[c] = n

    def september(self, ay: int) -> None:
        for c in [c for c in self.by_cohort if c <= ay - 17]:
            del self.by_cohort[c]

    def total(self) -> int:
        return int(sum(self.by_cohort.values()))


# -- money ----------------------------------------------------------------------------------------

def _fy_label(d: dt.date) -> str:
    y = d.year if d.month >= 4 else d.year - 1
    return f"{y}-{str(y + 1)[2:]}"


def _fy_days(label: str) -> int:
    y = int(label[:4])
    return (dt.date(y + 1, 4, 1) - dt.date(y, 4, 1)).days


def _hnb(f, label: str) -> float:
    known = {int(k[:4]): v for k, v in f.hnb_income_gbp.items()}
    y = int(label[:4])
    if y in known:
        return known[y]
    lo, hi = min(known), max(known)
    if y < lo:
        return known[lo] / (1 + f.hnb_growth_per_year) ** (lo - y)
    return known[hi] * (1 + f.hnb_growth_per_year) ** (y - hi)


def money(p: Parameters, cal: Calendar, child_days: np.ndarray, flows: np.ndarray) -> dict:
    """Spend, income and the cumulative balance by month; the financial-year table."""
    f = p.finance
    base = int(f.price_base_fy[:4])
    M = len(cal.month_dates)
    days = cal.month_ends - cal.month_starts
    labels = [_fy_label(d) for d in cal.month_dates]
    unit = np.array([f.unit_cost_gbp_per_year[s] for s in SETTINGS], dtype=float)
    fixed = float(sum(f.fixed_spend_gbp_per_year.values()))
    out = {"spend_" + s: np.zeros(M) for s in SETTINGS}
    out.update(spend_fixed=np.zeros(M), income_hnb=np.zeros(M),
               income_schools_block_transfer=np.zeros(M), income_la_contribution=np.zeros(M))
    sbt = {int(k[:4]): v for k, v in f.schools_block_transfer_gbp.items()}
    for i, lab in enumerate(labels):
        y = int(lab[:4])
        n = _fy_days(lab)
        uplift = (1.0 + f.inflation_per_year) ** (y - base)
        spend = child_days[i] * unit * uplift / n
        for k, s in enumerate(SETTINGS):
            out["spend_" + s][i] = spend[k]
        out["spend_fixed"][i] = fixed * uplift / n * days[i]
        out["income_hnb"][i] = _hnb(f, lab) / n * days[i]
        transfer = sbt.get(y, f.schools_block_transfer_after_gbp if sbt and y > max(sbt) else 0.0)
        out["income_schools_block_transfer"][i] = transfer / n * days[i]
        out["income_la_contribution"][i] = f.la_contribution_gbp.get(lab, 0.0) / n * days[i]
    spend_total = sum(out["spend_" + s] for s in SETTINGS) + out["spend_fixed"]
    # Safety Valve instalments and the balance, month by month (the condition looks at the
    # cumulative balance closed at the last 31 March)
    closed = f.opening_cumulative_balance_gbp
    sv = sorted(f.safety_valve_payments, key=lambda x: x.date)
    income_sv = np.zeros(M)
    cum = np.full(M, np.nan)
    fy_rows = []
    fy_in = fy_out = 0.0
    for i in range(M):
        t0 = cal.month_starts[i]
        if i > 0 and cal.month_dates[i].month == 4 and t0 > cal.finance_start:
            fy_rows.append({"financial_year": labels[i - 1], "opening_balance": closed,
                            "income_total": fy_in, "spend_total": fy_out,
                            "in_year_balance": fy_in - fy_out,
                            "cumulative_balance": closed + fy_in - fy_out})
            closed += fy_in - fy_out
            fy_in = fy_out = 0.0
        for pay in sv:
            d = cal.day(pay.date)
            if t0 <= d < cal.month_ends[i] and 0 <= d < cal.end:
                if -closed <= pay.max_cumulative_deficit_gbp:
                    income_sv[i] += pay.amount_gbp
                    flows[i, FI["income_safety_valve"]] += pay.amount_gbp
                    flows[i, FI["safety_valve_paid"]] += 1
                else:
                    flows[i, FI["safety_valve_withheld_gbp"]] += pay.amount_gbp
        income = (out["income_hnb"][i] + out["income_schools_block_transfer"][i]
                  + out["income_la_contribution"][i] + income_sv[i])
        if t0 >= cal.finance_start:
            fy_in += income
            fy_out += spend_total[i]
            cum[i] = closed + fy_in - fy_out
    if cal.end_date.month == 4 and cal.end_date.day == 1 and cal.end > cal.finance_start:
        fy_rows.append({"financial_year": labels[-1], "opening_balance": closed,
                        "income_total": fy_in, "spend_total": fy_out,
                        "in_year_balance": fy_in - fy_out,
                        "cumulative_balance": closed + fy_in - fy_out})
    out["spend_total"] = spend_total
    out["income_total"] = (out["income_hnb"] + out["income_schools_block_transfer"]
                           + out["income_la_contribution"] + income_sv)
    out["cumulative_balance"] = cum
    return {"monthly": out, "financial_year": pd.DataFrame(fy_rows)}


# -- one replication ------------------------------------------------------------------------------

def run_reference(params: Parameters, seed, years: float = 8.0, *,
                  parameter_uncertainty: bool = True, structural: bool = True,
                  tables: bool = False):
    """One replication of the reference model: the monthly table (a DataFrame, one row per
    month, stocks at the month's first instant, flows and money over the month), or with
    `tables` a dict with it and the financial-year table.

    `seed`: an int or a `numpy.random.SeedSequence`. `parameter_uncertainty` / `structural`:
    draw the `[[uncertainty]]` ranges and the demand trend once per replication, as
    `sendsim.engine.model.simulate(params, seed)` does by default."""
    rng = np.random.default_rng(seed)
    p = params
    drawn = {}
    if parameter_uncertainty and p.uncertainty:
        p, drawn = draw_uncertain(p, rng)
    r = p.requests
    trend = float(rng.normal(r.trend_per_year, r.trend_sd_per_year)) if (
        structural and r.trend_sd_per_year > 0) else r.trend_per_year
    cal = Calendar(p, years)
    M = len(cal.month_dates)
    flows = np.zeros((M, len(FLOW_NAMES)))

    # front end: every plan issued over the horizon, and the flows' times
    fe = FrontEnd(p, cal, trend, rng)
    fe.run()
    t_in, b_in = transfers_in(p, cal, rng)
    arr_t = np.concatenate([np.array(fe.issued_t), t_in])
    arr_b = np.concatenate([np.array(fe.issued_birth), b_in])
    order = np.argsort(arr_t, kind="stable")
    arr_t, arr_b = arr_t[order], arr_b[order]
    keep = arr_t < cal.end
    arr_t, arr_b = arr_t[keep], arr_b[keep]
    for name, chunks in fe.ev.times.items():
        t = np.concatenate(chunks)
        t = t[(t >= 0) & (t < cal.end)]
        flows[:, FI[name]] += np.bincount(cal.month_of(t), minlength=M)[:M]
    flows[:, FI["transfers_in"]] += np.bincount(cal.month_of(t_in[t_in < cal.end]), minlength=M)[:M]

    # start population
    cells = start_cells(p)
    weights = age_weights(p)
    ay = cal.academic_year0
    aug31 = cal.day(dt.date(ay, 8, 31))
    births, sets, ages = [], [], []
    for (b, s), n in sorted(cells.items()):
        band_ages = np.array(BAND_AGES[AGE_BANDS[b]], dtype=float)
        cum = np.cumsum(weights[b]) / weights[b].sum()
        k = np.minimum(np.searchsorted(cum, rng.random(n), side="right"), len(band_ages) - 1)
        age = band_ages[k] + rng.random(n)
        births.append(aug31 - age * YEAR)
        sets.append(np.full(n, s))
        ages.append(age)
    b0 = np.concatenate(births)
    s0 = np.concatenate(sets)
    a0 = np.concatenate(ages)
    gaps = (p.reviews.under5_interval_months * MONTH, p.reviews.interval_months * MONTH)
    nr0 = rng.random(b0.size) * np.where(a0 >= 5, gaps[1], gaps[0])
    n0, na = b0.size, arr_t.size
    birth = np.concatenate([b0, arr_b])
    h = PlanHolders(p, cal, rng, birth, cal.cohort(birth),
                    np.concatenate([s0, np.full(na, -1)]),
                    np.concatenate([nr0, np.full(na, np.inf)]), flows, M)
    _prepare(h, p)
    start_caseload = n0
    ss = SenSupportCounts(p, cal, rng)
    req_when, req_month, req_cohort = fe._request_cohorts
    ret_t = np.concatenate([x[0] for x in fe.sen_support_returns]) if fe.sen_support_returns else np.zeros(0)
    ret_c = (cal.cohort(np.concatenate([x[1] for x in fe.sen_support_returns]))
             if fe.sen_support_returns else np.zeros(0, int))
    ret_m = cal.month_of(ret_t)

    # the timeline: month starts, weeks of reviews, dated changes
    week_days = np.arange(0.0, cal.end, WEEK)
    place_changes: dict[float, list] = {}
    for c in p.placement.place_changes:
        place_changes.setdefault(cal.day(c.date), []).append((SI[c.setting], c.places))
    review_changes = {cal.day(c.date): c.per_month for c in p.reviews.reviews_capacity_changes}
    ticks = np.unique(np.concatenate([cal.month_starts, week_days,
                                      np.array(list(place_changes) + list(review_changes), float)]))
    ticks = ticks[(ticks >= 0) & (ticks < cal.end)]
    bounds = np.append(ticks, cal.end)
    month_at = {float(t): i for i, t in enumerate(cal.month_starts)}
    is_week = np.isin(ticks, week_days)
    first_arrival = np.searchsorted(arr_t, bounds, side="left")

    snap = {"caseload": np.zeros(M, int), "sen_support": np.zeros(M, int),
            "reviews_overdue": np.zeros(M, int), "ep_queue": np.zeros(M, int)}
    for s in SETTINGS:
        snap["caseload_" + s] = np.zeros(M, int)
    for s in CAPACITY_SETTINGS:
        snap["places_" + s] = np.zeros(M, int)
        snap["waiting_for_" + s] = np.zeros(M, int)
    child_days = np.zeros((M, NS))
    review_base = p.reviews.reviews_per_month
    review_cap = review_base
    budget = 0.0
    follow = p.reviews.capacity_follows_caseload
    ep_arr = np.sort(fe.ep_arrivals)
    ep_start = np.sort(fe.ep_starts)

    def scale_reviews(n_holders: int) -> float:
        growth = n_holders / start_caseload - 1.0 if start_caseload else 0.0
        return review_base * max(0.0, 1.0 + follow * growth)

    for k, t in enumerate(ticks):
        t = float(t)
        i = month_at.get(t)
        if i is not None:
            h.month = i
            snap["caseload"][i] = int(h.counts.sum())
            for s in SETTINGS:
                snap["caseload_" + s][i] = h.counts[SI[s]]
            for s in CAPACITY_SETTINGS:
                snap["places_" + s][i] = h.total[SI[s]]
                snap["waiting_for_" + s][i] = sum(1 for j in h.queue[SI[s]] if j >= 0)
            snap["sen_support"][i] = ss.total()
            snap["reviews_overdue"][i] = int((h.next_review <= t).sum())
            snap["ep_queue"][i] = (np.searchsorted(ep_arr, t, "left")
                                   - np.searchsorted(ep_start, t, "left"))
            if cal.month_dates[i].month == 9 and i > 0:
                ay = cal.month_dates[i].year
                ss.september(ay)
                h.phase_transfers(t, ay)
        for s, n in place_changes.get(t, ()):
            h.change_places(s, n)
        if t in review_changes:
            review_base = review_changes[t]
            review_cap = scale_reviews(int(h.counts.sum()))
        if i is not None:
            months = (cal.month_ends[i] - cal.month_starts[i]) / MONTH
            review_cap = scale_reviews(int(h.counts.sum()))
            ss.month(t, months, ay, _support_requests(p, req_cohort, req_month, i, ay, h.rng),
                     ret_c[ret_m == i - 1] if i > 0 else ret_c[:0])
            # any-time ceasing, then the 25th birthdays
            h.begin()
            rows = np.flatnonzero(h.setting >= 0)
            age = ((t - h.birth[rows]) / YEAR).astype(int)
            cum = h.anytime_cum * (months / 12.0)                    # (band, reasons)
            band = band_of_age(age)
            u = h.rng.random(rows.size)
            gone = u < cum[band, -1]
            if gone.any():
                why = np.array(ANYTIME_CEASE_REASONS)[(u[gone][:, None] < cum[band[gone]]).argmax(1)]
                h.cease(rows[gone], why)
            old = np.flatnonzero((h.setting >= 0) & (t - h.birth >= MAX_AGE_DAYS))
            h.cease(old, "max_age")
            h.end()
        if is_week[k]:
            w = review_cap * WEEK / MONTH
            budget = min(budget + w, w + 1.0)
            budget = h.reviews(t, budget)
        # until the next tick: the counts hold, and new plan holders arrive in time order
        nxt = bounds[k + 1]
        m = h.month
        child_days[m] += h.counts * (nxt - t)
        a, b = first_arrival[k], first_arrival[k + 1]
        if b > a:
            rows = np.arange(n0 + a, n0 + b)
            h.arrive(rows, arr_t[a:b])
            child_days[m] += np.bincount(h.setting[rows], weights=nxt - arr_t[a:b], minlength=NS)

    cash = money(p, cal, child_days, flows)
    table = pd.DataFrame({"month": pd.to_datetime([d.replace(day=1) for d in cal.month_dates])})
    for name, col in snap.items():
        table[name] = col
    for name, col in cash["monthly"].items():
        table[name] = col
    for n in FLOW_NAMES:
        table[n] = flows[:, FI[n]]
    table["inmss_share"] = table["caseload_inmss"] / table["caseload"].where(table["caseload"] > 0)
    table.attrs["parameters_drawn"] = drawn
    table.attrs["request_trend_drawn"] = trend
    if tables:
        return {"monthly": table, "financial_year": cash["financial_year"]}
    return table


def _support_requests(p, req_cohort, req_month, i, ay, rng) -> np.ndarray:
    """Cohorts of this month's school-age requests made for a pupil on SEN support."""
    c = req_cohort[req_month == i]
    ncy = ay - c - 5
    c = c[(ncy >= 0) & (ncy <= 11)]
    return c[rng.random(c.size) < p.requests.from_sen_support]


__all__ = ["run_reference", "draw_uncertain", "Calendar", "FLOW_NAMES"]
