"""One council's SEND system, child by child, on one SimPy clock.

`SendModel` is a Mesa `Model` (it holds the children as agents, with Mesa's seeded generator)
that owns a SimPy `Environment` (time, the EP queue, the queues for specialist places). The
pathway's stages live in `sendsim.engine.pathway`, each owning its parameters, lookup tables,
calendar entries and flows; the money lives in `ledger`. This module builds the start
population, keeps the registries every stage shares, and runs the stages' calendars.

Monthly stocks are one row a month of each stage's declared `STOCKS` (`_take_stocks`). The order
of simultaneous events is documented in `sendsim.engine.pathway.stage`.
"""

from __future__ import annotations

import datetime as dt
import gc
from dataclasses import dataclass

import mesa
import numpy as np
import simpy
from simpy.core import URGENT

from sendsim.calendar import Clock, academic_year_start, census_date, first_of_next_month
from sendsim.codes import AGE_BANDS, NEEDS, SETTINGS, age_band_index
from sendsim.engine.ledger import HighNeedsBlock
from sendsim.engine.levers import Levers
from sendsim.engine.pathway import STAGES, stage
from sendsim.engine.pathway.placement import place, setting_at_issue
from sendsim.engine.pathway.sen_support import SenSupportYearGroup
from sendsim.engine.population import AGES_IN_BAND, GONE, PLAN, Child, PlanHolders, start_joint_table
from sendsim.engine.recorder import Recorder
from sendsim.engine.streams import Streams, choose, cumulative
from sendsim.engine.tables import RunResult
from sendsim.engine.uncertainty import draw_parameters
from sendsim.parameters import Parameters
from sendsim.scenario.definition import Scenario


@dataclass(frozen=True)
class RunSpec:
    """How long to run: `years` from the start date, then on to the next 1 April so that
    every financial year the run touches is whole."""

    years: float = 8.0

    def end_date(self, start: dt.date) -> dt.date:
        nominal = start + dt.timedelta(days=round(self.years * 365.25))
        april = dt.date(nominal.year, 4, 1)
        return april if april >= nominal else dt.date(nominal.year + 1, 4, 1)


class SendModel(mesa.Model):
    """The SEN system of one local authority for one replication."""

    def __init__(self, scenario: Scenario | Parameters, seed: np.random.SeedSequence | int,
                 run: RunSpec = RunSpec(), process_seed: np.random.SeedSequence | None = None):
        if isinstance(scenario, Parameters):
            scenario = Scenario.of(scenario)
        if isinstance(seed, (int, np.integer)):
            seed = np.random.SeedSequence(int(seed))
        self.scenario = scenario
        sources = scenario.sources
        self.streams = Streams(seed, process_seed)
        super().__init__(rng=self.streams.mesa_seed)
        params = scenario.parameters
        self.parameter_draws: dict = {}
        if sources.parameters:
            params, self.parameter_draws = draw_parameters(params, self.streams["parameters"],
                                                           scenario.posterior_draws)
        # The trend is drawn around this replication's parameters, so that a posterior row's
        # trend_per_year and trend_sd_per_year (a calibration's output) take effect.
        r = params.requests
        self.request_trend = (self.streams["structural"].normal(r.trend_per_year, r.trend_sd_per_year)
                              if sources.structural else r.trend_per_year)
        self.params = params
        self.levers = Levers(scenario.interventions,
                             self._draw_effects(scenario.interventions, sources.structural))
        self.expected_requests_by_band: dict[str, float] = {}
        self.clock = Clock(params.council.start_date)
        self.env = simpy.Environment()
        self.end_date = run.end_date(params.council.start_date)
        self.end_day = self.clock.day(self.end_date)
        self.academic_year = academic_year_start(params.council.start_date)
        self._build_months()

        # decisions that interventions may change during a run
        self.no_to_assess = params.decide_to_assess.no_to_assess
        self.no_to_issue = params.assessment.no_to_issue

        # registries every stage shares
        self.recorder = Recorder(self.month_starts, self._stock_names())
        self.sen_support_by_cohort: dict = {}
        self.plan_holders = PlanHolders()
        self.counts: dict[str, int] = {s: 0 for s in SETTINGS}
        self.plans_by_need: dict[str, int] = {n: 0 for n in NEEDS}
        self.present = 0
        self._pop_years, self._pop = self._population_table()
        self._population_now: tuple[float, list[float]] = (-1.0, [])   # (day, residents by age)
        self._need_cum, self._need_names = cumulative(dict(params.start_state.need_mix))

        self.stages = {cls.name: cls(self) for cls in STAGES}
        for s in self.stages.values():
            s.prepare()
        self._age_counts_cache: tuple[float, list[int]] = (-1.0, [])
        self.hnb = HighNeedsBlock(self)
        self.ledger = self.hnb.ledger
        self._build_start_population()
        for s in self.stages.values():
            s.start()
        self.recorder.census.append(self._census_snapshot(0.0))
        self._schedule_calendar()

    def stage(self, name: str):
        """The stage of the pathway called `name` (e.g. "reviews")."""
        return self.stages[name]

    # -- the agent population ------------------------------------------------------------------
    # Mesa registers each agent in a dict, in two weak-keyed AgentSets (all agents; agents by
    # type) and formats a debug message for it. A replication makes about 17,000 children and
    # removes about 5,600, and reads the whole population only once, at the end: the dict is
    # kept, and the AgentSets are made from it when asked for.
    def register_agent(self, agent) -> None:
        self._agents[agent] = None

    def deregister_agent(self, agent) -> None:
        del self._agents[agent]

    @property
    def agents(self) -> mesa.agent.AgentSet:
        return mesa.agent.AgentSet(list(self._agents), random=self.random)

    @property
    def agents_by_type(self) -> dict:
        by_type: dict = {}
        for a in self._agents:
            by_type.setdefault(type(a), []).append(a)
        return {t: mesa.agent.AgentSet(v, random=self.random) for t, v in by_type.items()}

    def present_ids(self) -> list[int]:
        """The ids of the children in the model now (without building an AgentSet)."""
        return [a.unique_id for a in self._agents]

    @property
    def agent_types(self) -> list:
        return list(dict.fromkeys(type(a) for a in self._agents))

    # -- time ------------------------------------------------------------------------------
    @property
    def now(self) -> float:
        return self.env._now      # SimPy's own `now` is a property too: one call, not two

    def date(self, t: float | None = None) -> dt.date:
        return self.clock.date(self.now if t is None else t)

    def run(self) -> "SendModel":
        # SimPy allocates an event object per step, almost all freed by reference counting; a
        # higher young-generation threshold stops the cycle collector rescanning them over and
        # over (engineering notes: collector work slowed replications markedly). Restored
        # afterwards.
        thresholds = gc.get_threshold()
        gc.set_threshold(50_000, 50, 100)
        # The start population is long-lived: keep it out of every collection during the run,
        # unless the caller has already frozen what it holds (a worker between replications).
        froze = gc.get_freeze_count() == 0
        if froze:
            gc.freeze()
        try:
            self.env.run(until=self.end_day)
            self.hnb.close_run()
        finally:
            gc.set_threshold(*thresholds)
            if froze:
                gc.unfreeze()
            # Mesa 3 counts agent ids in a class-level dict keyed by model, which keeps every
            # model (and all its children) alive for the life of the process: one replication's
            # worth of memory leaked per run, and ever slower collections. No agent is made after
            # the run, so let go of it.
            mesa.Agent._ids.pop(self, None)
        return self

    def after(self, delay: float, fn, *args) -> None:
        """Call `fn(*args)` `delay` days from now, as an ordinary event (a step of the pathway
        that needs no process of its own)."""
        self.env.timeout(delay).callbacks.append(lambda _ev: fn(*args))

    # -- population helpers ------------------------------------------------------------------
    def _population_table(self) -> tuple[np.ndarray, np.ndarray]:
        projection = self.params.population.projection
        years = sorted(projection, key=int)
        return (np.array([int(y) for y in years], dtype=float),
                np.array([projection[y] for y in years], dtype=float))

    def population_at_age(self, age: int, t: float) -> float:
        """Residents of one age at time t, interpolated between mid-year projections."""
        d = self.clock.date(t)
        year = d.year + (d.timetuple().tm_yday - 182) / 365.25
        return float(np.interp(year, self._pop_years, self._pop[:, age]))

    def population_by_age(self, t: float) -> list[float]:
        """Residents of every age at time t: `population_at_age` for all ages at once (the
        same arithmetic as `numpy.interp`, one age per column)."""
        d = self.clock.date(t)
        year = d.year + (d.timetuple().tm_yday - 182) / 365.25
        years, pop = self._pop_years, self._pop
        if len(years) == 1 or year <= years[0]:
            return pop[0].tolist()
        if year >= years[-1]:
            return pop[-1].tolist()
        j = int(np.searchsorted(years, year, side="right")) - 1
        slope = (pop[j + 1] - pop[j]) / (years[j + 1] - years[j])
        return (slope * (year - years[j]) + pop[j]).tolist()

    def pupils_in_ncy(self, ncy_: int) -> float:
        t, residents = self._population_now
        if t != self.now:
            residents = self.population_by_age(self.now)
            self._population_now = (self.now, residents)
        return 0.5 * (residents[ncy_ + 4] + residents[ncy_ + 5])

    def birth_in_cohort(self, cohort: int, stream) -> float:
        """A birth day (simulation days) uniformly within the cohort's year of birth
        (1 September to 31 August), so date of birth and year group always agree."""
        first, last = self.clock.september(cohort), self.clock.september(cohort + 1)
        return first + (last - first) * stream.u()

    def birth_at_age(self, age: int, t: float, stream) -> tuple[float, int]:
        """(birth day, cohort) of a child `age` whole years old at time t."""
        birth = t - (age + stream.u()) * 365.25
        return birth, self.clock.cohort(birth)

    def draw_need(self, stream) -> str:
        return stream.choice(self._need_cum, self._need_names)

    def sen_support_of(self, cohort: int):
        group = self.sen_support_by_cohort.get(cohort)
        if group is None:
            group = self.sen_support_by_cohort[cohort] = SenSupportYearGroup()
        return group

    def age_band(self, child) -> str:
        return AGE_BANDS[age_band_index(child.age(self.now))]

    # -- entering and leaving ------------------------------------------------------------------
    def enter(self, child: Child, route: str) -> None:
        self.present += 1
        self.recorder.entered(child, self.now, route)

    def leave(self, child: Child, route: str) -> None:
        if child.status == GONE:
            raise RuntimeError(f"child {child.unique_id} left twice ({route})")
        child.status = GONE
        self.present -= 1
        self.recorder.exited(child, self.now, route)
        child.remove()

    def start_plan(self, child: Child) -> None:
        child.status = PLAN
        child.plan_start = self.now
        self.plan_holders.add(child)
        self.plans_by_need[child.need] += 1
        place(self, child, setting_at_issue(self, child))
        self.stages["reviews"].schedule_first(child)

    # -- start state -------------------------------------------------------------------------
    def _build_start_population(self) -> None:
        """The census's plan holders, by age band and setting, each with a first review due
        within one review interval.

        Drawn array-at-a-time: five uniforms a child from the `start_population` stream, in
        the order one child at a time would take them (age within the band, fraction of a
        year, need, plan start, first review), so the children are those a loop would make."""
        p = self.params
        rng = self.streams["start_population"]
        s = p.start_state
        joint = sorted(start_joint_table(dict(s.caseload_by_setting), dict(s.caseload_by_age_band)).items())
        n = sum(k for _, k in joint)
        if n == 0:
            return
        # census age groups count age on the 31 August before the census (DfE convention)
        aug31 = self.clock.day(dt.date(self.academic_year, 8, 31))
        u = rng.block(5 * n).reshape(n, 5)
        sizes = [k for _, k in joint]
        ages = np.empty(n)
        for band, weights in start_age_weights(p).items():
            cum, names = cumulative(weights)
            mask = np.repeat([b == band for (b, _), _k in joint], sizes)
            ages[mask] = np.asarray(names, dtype=float)[choose(cum, u[mask, 0])] + u[mask, 1]
        births = aug31 - ages * 365.25
        cohorts = self.clock.cohorts(births).tolist()
        needs = choose(self._need_cum, u[:, 2]).tolist()
        plan_starts = (-u[:, 3] * 2 * 365.25).tolist()
        gaps = self.stages["reviews"].gaps
        first_review = u[:, 4] * np.where(ages >= 5, gaps[1], gaps[0])
        settings = [setting for (_, setting), k in joint for _ in range(k)]
        children = []
        need_names = self._need_names
        for birth, cohort, need, plan_start, setting in zip(births.tolist(), cohorts, needs, plan_starts,
                                                            settings):
            child = Child(self, birth, cohort, need_names[need], PLAN)
            child.plan_start = plan_start
            child.setting = setting
            children.append(child)
        self.present += n
        self.recorder.entered_many(children, self.now, "start")
        for (_, setting), k in joint:
            self.counts[setting] += k
        for i, k in enumerate(np.bincount(needs, minlength=len(need_names)).tolist()):
            self.plans_by_need[need_names[i]] += k
        self.plan_holders.add_many(children, first_review)

    # -- calendar ------------------------------------------------------------------------------
    def _build_months(self) -> None:
        start, end = self.clock.start, self.end_date
        months = [start]
        d = first_of_next_month(start)
        while d < end:
            months.append(d)
            d = first_of_next_month(d)
        self.month_dates = months
        self.month_starts = [self.clock.day(m) for m in months]

    def _own_calendar(self):
        """The model's own entries: snapshots, censuses, the academic year, interventions."""
        for i, (day, d) in enumerate(zip(self.month_starts, self.month_dates)):
            yield day, stage.SNAPSHOT, self._take_stocks
            if d.month == 9 and i > 0:
                yield day, stage.NEW_ACADEMIC_YEAR, self._new_academic_year
            if self.levers:
                yield day, stage.LEVERS, lambda d=d: self.levers.update(d)
        for year in range(self.clock.start.year + 1, self.end_date.year + 1):
            yield (self.clock.day(census_date(year)), stage.CENSUS,
                   lambda: self.recorder.census.append(self._census_snapshot(self.now)))

    def _schedule_calendar(self) -> None:
        """Every entry of the model, the money and the stages, in the documented order."""
        items = [*self._own_calendar(), *self.hnb.calendar()]
        for s in self.stages.values():
            items.extend(s.calendar())
        env = self.env
        for day, _, fn in sorted(items, key=lambda x: (x[0], x[1])):
            if 0 <= day < self.end_day:
                ev = simpy.Event(env)
                ev._ok = True
                ev._value = None
                ev.callbacks.append(lambda _ev, fn=fn: fn())
                env.schedule(ev, URGENT, day - env.now)

    def _new_academic_year(self) -> None:
        self.academic_year = academic_year_start(self.date())

    # -- interventions ------------------------------------------------------------------------
    def _draw_effects(self, interventions, structural: bool) -> dict[str, float]:
        """Each intervention's effect for this replication (one draw each, in file order)."""
        rng = self.streams["intervention_effects"]
        out = {}
        for iv in interventions:
            e = iv.effect
            value = rng.triangular(e.low, e.mode, e.high)
            out[iv.name] = value if structural else e.mode
        return out

    @property
    def programme_openings(self) -> list:
        return self.stages["placement"].programme_openings

    def no_to_assess_per_month_shares(self, requester: str) -> dict[str, float]:
        """For `per_month` interventions on no-to-assess: extra refusals a month as a share of
        the decisions of that kind expected a month."""
        out = {}
        share = self.params.requests.parent_share
        for iv, per_month in self.levers.per_month("no_to_assess"):
            bands = iv.age_bands or AGE_BANDS
            expected = sum(self.expected_requests_by_band.get(b, 0.0) for b in bands)
            if iv.requester:
                expected *= share if iv.requester == "parent" else 1.0 - share
            if iv.needs:
                expected *= sum(self.params.start_state.need_mix.get(n, 0.0) for n in iv.needs)
            out[iv.name] = per_month / expected if expected > 0 else 0.0
        return out

    # -- observation -----------------------------------------------------------------------------
    def _age_band_counts(self) -> list[int]:
        """Plans by DfE age group: age on the 31 August before the date, as SEN2 counts them."""
        holders = self.plan_holders
        out = [0] * len(AGE_BANDS)
        if len(holders):
            # the latest 31 August (on 1 September that is yesterday, even before the
            # September transitions have advanced the academic year)
            aug31 = self.clock.day(dt.date(academic_year_start(self.date()), 8, 31))
            ages = (aug31 - holders.birth_days()) / 365.25
            # the band's index is how many of the bands' lower ages (5, 11, 16, 20) are reached
            idx = (ages >= 5.0).view(np.int8) + (ages >= 11.0) + (ages >= 16.0) + (ages >= 20.0)
            out = np.bincount(idx, minlength=len(AGE_BANDS)).tolist()
        return out

    def _age_counts_now(self) -> list[int]:
        t, counts = self._age_counts_cache
        if t != self.now:
            counts = self._age_band_counts()
            self._age_counts_cache = (self.now, counts)
        return counts

    @staticmethod
    def _stock_names() -> tuple[str, ...]:
        """The columns of the monthly stocks: the caseload here, then each stage's `STOCKS`."""
        return ("caseload", *(f"caseload_{s}" for s in SETTINGS),
                *(f"caseload_age_{b}" for b in AGE_BANDS), *(f"caseload_need_{n}" for n in NEEDS),
                *(name for cls in STAGES for name in cls.STOCKS), "present")

    def _take_stocks(self) -> None:
        """This month's row of stocks (at its first instant), in `_stock_names` order."""
        row = [len(self.plan_holders), *self.counts.values(), *self._age_counts_now(),
               *self.plans_by_need.values()]
        for s in self.stages.values():
            row += s.stocks()
        row.append(self.present)
        self.recorder.stocks.append(row)

    def _census_snapshot(self, t: float) -> dict:
        snap = {"day": t, "caseload": len(self.plan_holders)}
        for s in SETTINGS:
            snap[s] = self.counts[s]
        for band, n in zip(AGE_BANDS, self._age_band_counts()):
            snap[f"age_{band}"] = n
        return snap


def start_age_weights(p: Parameters) -> dict[str, dict[int, float]]:
    """Relative numbers of plan holders at each single year of age within a census age band.

    The census gives bands only. Within a band the start population follows the survival the
    parameters imply: a 19-year-old at the census has already passed the age-19 transfer, so
    age 19 is thinned by the average share that ceases there (`phase_transfer.into_post19`);
    within 20-25 each year is thinned by the review ceasing of that band. Other ages are even.
    """
    post19 = p.phase_transfer.into_post19
    cease_at_19 = [sum(v for k, v in shares.items() if k.startswith("cease_"))
                   for shares in post19.values()]
    survive_19 = 1.0 - (sum(cease_at_19) / len(cease_at_19) if cease_at_19 else 0.0)
    review_cease_20 = sum(m.get("20_25", 0.0) for m in p.reviews.cease_at_review.values())
    weights = {band: {a: 1.0 for a in ages} for band, ages in AGES_IN_BAND.items()}
    weights["16_19"][19] = survive_19
    for a in weights["20_25"]:
        weights["20_25"][a] = survive_19 * (1.0 - review_cease_20) ** (a - 20)
    return weights


def simulate(scenario: Scenario | Parameters, seed: np.random.SeedSequence | int,
             years: float = 8.0, process_seed: np.random.SeedSequence | None = None) -> RunResult:
    """Run one replication and return its `RunResult` (tables and provenance): a pure function
    of (scenario, seed)."""
    model = SendModel(scenario, seed, RunSpec(years), process_seed).run()
    return RunResult.from_model(model, seed)
