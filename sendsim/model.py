"""One council's SEND system, child by child, on one SimPy clock.

`SendModel` is a Mesa `Model` (it holds the children as agents, with Mesa's seeded generator)
that owns a SimPy `Environment` (time, the EP queue, containers of specialist places). The
pathway's processes live in `sendsim.pathway`; this module builds the start state, keeps the
registries and counters every process shares, and runs the calendar.

Monthly stocks are collected by Mesa's `DataCollector` (one model reporter per column).

Order of simultaneous events (documented because it changes counts): calendar callbacks run
before any pathway event of the same day, in this order: close the month's money; take the
month's snapshot; close the financial year (1 April); September transitions; capacity, place
and Safety Valve changes; the month's demand (requests, identification, ceasing, transfers in);
the week's annual reviews. A census snapshot on a January census day runs first that day.
"""

from __future__ import annotations

import datetime as dt
import gc
from dataclasses import dataclass

import mesa
import numpy as np
import simpy
from simpy.core import URGENT

from .calendar import (DAYS_PER_MONTH, DAYS_PER_WEEK, Clock, academic_year_start, census_date, cohort_of,
                       financial_year, first_of_next_month)
from .capacity import Places, ReviewBacklog, Team
from .codes import AGE_BANDS, CAPACITY_SETTINGS, NEEDS, SETTINGS, age_band_index
from .finance import Ledger
from .levers import Levers
from .parameters import Parameters, PlaceChange
from .pathway import leaving, requests, reviews, sen_support, transitions
from .pathway.assessment import assess
from .pathway.placement import cancel_wait, place, setting_at_issue
from .population import (AGES_IN_BAND, ASSESSING, GONE, PLAN, REFUSED, SEN_SUPPORT, Child,
                         PlanHolders, start_joint_table)
from .recorder import Recorder
from .scenario import Scenario
from .streams import Streams, cumulative
from .uncertainty import draw_parameters


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
    """The SEND system of one local authority for one replication."""

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

        # demand and decisions that interventions may change during a run
        p = params
        self.no_to_assess = p.decide_to_assess.no_to_assess
        self.no_to_issue = p.assessment.no_to_issue

        self._prepare_tables()
        self._build_calendar()
        self.recorder = Recorder(self.month_starts)

        # registries
        self.sen_support_by_cohort: dict[int, sen_support.SenSupportYearGroup] = {}
        self.plan_holders = PlanHolders()
        self.counts: dict[str, int] = {s: 0 for s in SETTINGS}
        self.plans_by_need: dict[str, int] = {n: 0 for n in NEEDS}
        self.present = 0

        self.datacollector = mesa.DataCollector(model_reporters=self._monthly_reporters())
        self._age_counts_cache: tuple[float, list[int]] = (-1.0, [])
        self._build_start_state()
        self.ledger = Ledger(p.finance, self.counts, 0.0)
        self.finance_start_day = self.clock.day(self._finance_start())
        self.cumulative_balance = p.finance.opening_cumulative_balance_gbp
        self._fy_totals = {"income": 0.0, "spend": 0.0}
        self._schedule_calendar()
        gc.freeze()   # the start population is long-lived: keep it out of every collection

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
        # afterwards. On this machine's noisy timings the gain was not separable from noise.
        thresholds = gc.get_threshold()
        gc.set_threshold(50_000, 50, 100)
        try:
            self.env.run(until=self.end_day)
            self._close_month(len(self.month_starts) - 1, self.end_day)
            if (self.end_date.month, self.end_date.day) == (4, 1) and self.end_day > self.finance_start_day:
                self._close_financial_year()   # the run ends at 1 April: close the last year
        finally:
            gc.set_threshold(*thresholds)
            gc.unfreeze()
            # Mesa 3 counts agent ids in a class-level dict keyed by model, which keeps every
            # model (and all its children) alive for the life of the process: one replication's
            # worth of memory leaked per run, and ever slower collections. No agent is made after
            # the run, so let go of it.
            mesa.Agent._ids.pop(self, None)
        return self

    # -- population helpers ------------------------------------------------------------------
    def _prepare_tables(self) -> None:
        p = self.params
        years = sorted(p.population.projection, key=int)
        self._pop_years = np.array([int(y) for y in years], dtype=float)
        self._pop = np.array([p.population.projection[y] for y in years], dtype=float)
        self._need_cum, self._need_names = cumulative(dict(p.start_state.need_mix))
        self.new_plan_mix = [cumulative(dict(p.placement.new_plan_mix[b])) for b in AGE_BANDS]
        self.transfer_tables = {
            name: {frm: cumulative(dict(shares)) for frm, shares in getattr(p.phase_transfer, name).items()}
            for name in ("into_reception", "into_secondary", "into_post16", "into_post19")}
        self.review_cease_thresholds = reviews.cease_thresholds(p.reviews.cease_at_review)
        self.review_gaps = reviews.review_gaps(p.reviews)

    def population_at_age(self, age: int, t: float) -> float:
        """Residents of one age at time t, interpolated between mid-year projections."""
        d = self.clock.date(t)
        year = d.year + (d.timetuple().tm_yday - 182) / 365.25
        col = self._pop[:, age]
        return float(np.interp(year, self._pop_years, col))

    def pupils_in_ncy(self, ncy_: int) -> float:
        return 0.5 * (self.population_at_age(ncy_ + 4, self.now) +
                      self.population_at_age(ncy_ + 5, self.now))

    def birth_in_cohort(self, cohort: int, stream) -> float:
        """A birth day (simulation days) uniformly within the cohort's year of birth
        (1 September to 31 August), so date of birth and year group always agree."""
        first = self.clock.day(dt.date(cohort, 9, 1))
        last = self.clock.day(dt.date(cohort + 1, 9, 1))
        return first + (last - first) * stream.u()

    def birth_at_age(self, age: int, t: float, stream) -> tuple[float, int]:
        """(birth day, cohort) of a child `age` whole years old at time t."""
        birth = t - (age + stream.u()) * 365.25
        return birth, self.clock.cohort(birth)

    def draw_need(self, stream) -> str:
        return stream.choice(self._need_cum, self._need_names)

    def sen_support_of(self, cohort: int) -> "sen_support.SenSupportYearGroup":
        group = self.sen_support_by_cohort.get(cohort)
        if group is None:
            group = self.sen_support_by_cohort[cohort] = sen_support.SenSupportYearGroup()
        return group

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

    def refused(self, child: Child, decision: str) -> None:
        """After no to assess or no to issue: requested again later, SEN support, or gone."""
        d = self.params.decide_to_assess
        rng = self.streams["decide_to_assess"]
        if rng.u() < d.refused_request_again:
            child.status = REFUSED
            self.after(rng.exponential(d.request_again_after_months * 365.25 / 12),
                       lambda: requests.request_again(self, child))
            return
        ncy_ = self.academic_year - child.cohort - 5
        if 0 <= ncy_ <= 11:
            child.status = SEN_SUPPORT
            self.sen_support_of(child.cohort).named.add(child)
            self.recorder.flow(self.now, "sen_support_returned")
            return
        self.leave(child, decision)

    # -- plans and settings --------------------------------------------------------------------
    def start_plan(self, child: Child) -> None:
        child.status = PLAN
        child.plan_start = self.now
        self.plan_holders.add(child)
        self.plans_by_need[child.need] += 1
        place(self, child, setting_at_issue(self, child))
        reviews.schedule_first(self, child)

    def move(self, child: Child, setting: str | None, place_already_taken: bool = False) -> None:
        """Move a child between settings; the money and the places follow."""
        old = child.setting
        if old == setting:
            if place_already_taken and setting in CAPACITY_SETTINGS:
                self.places.leave(setting)   # already there: hand the extra place back
            return
        t = self.now
        if old is not None:
            self.ledger.before_change(old, t)
            self.counts[old] -= 1
            if old in CAPACITY_SETTINGS:
                self.places.leave(old)
        if setting is not None:
            self.ledger.before_change(setting, t)
            self.counts[setting] += 1
            if setting == "inmss":
                self.recorder.flow(t, "moved_into_inmss")
            if setting in CAPACITY_SETTINGS and not place_already_taken:
                self.places.take_now(setting)
        child.setting = setting

    def cease(self, child: Child, reason: str) -> None:
        cancel_wait(self, child)
        self.move(child, None)
        self.plan_holders.discard(child)
        self.plans_by_need[child.need] -= 1
        self.recorder.flow(self.now, f"ceased_{reason}")
        self.recorder.flow(self.now, "ceased")
        self.leave(child, f"ceased_{reason}")

    # -- start state -------------------------------------------------------------------------
    def _build_start_state(self) -> None:
        p = self.params
        rng = self.streams["start_population"]
        s = p.start_state
        joint = start_joint_table(dict(s.caseload_by_setting), dict(s.caseload_by_age_band))
        # census age groups count age on the 31 August before the census (DfE convention)
        aug31 = self.clock.day(dt.date(self.academic_year, 8, 31))
        age_choice = {band: cumulative(w) for band, w in start_age_weights(p).items()}
        for (band, setting), n in sorted(joint.items()):
            for _ in range(n):
                age = rng.choice(*age_choice[band]) + rng.u()
                birth = aug31 - age * 365.25
                child = Child(self, birth, cohort_of(self.clock.date(birth)),
                              self.draw_need(rng), PLAN)
                self.enter(child, "start")
                child.plan_start = -rng.u() * 2 * 365.25
                child.setting = setting
                self.counts[setting] += 1
                self.plan_holders.add(child)
                self.plans_by_need[child.need] += 1
                child.next_review = rng.u() * self.review_gaps[age >= 5]
        self._ep_base = p.assessment.ep_advices_per_month
        self.places = Places(self.env, dict(p.placement.places),
                             {k: self.counts[k] for k in CAPACITY_SETTINGS})
        a = p.assessment
        self.ep_service = Team(self.env, a.ep_advices_per_month, a.ep_advice_weeks * DAYS_PER_WEEK)
        self.reviews = ReviewBacklog(p.reviews.reviews_per_month)
        self._review_base = p.reviews.reviews_per_month
        self._start_caseload = len(self.plan_holders)
        for child in self.plan_holders:
            self.reviews.schedule(child.next_review, child)
        sen_support.start_sen_support(self)
        self._start_assessments_in_progress()
        self.recorder.census.append(self._census_snapshot(0.0))

    def _start_assessments_in_progress(self) -> None:
        a = self.params.assessment
        n = a.in_progress_at_start
        if n <= 0:
            return
        rng = self.streams["start_population"]
        rates = np.array(self.params.requests.rate_per_1000_by_age) * np.array(
            [self.population_at_age(a, 0.0) for a in range(26)])
        if rates.sum() <= 0:
            return
        cum, ages = cumulative({a_: r for a_, r in enumerate(rates) if r > 0})
        oldest = a.oldest_in_progress_weeks * DAYS_PER_WEEK
        # The census finds the oldest assessments already past the EP queue: as many in drafting
        # as drafting holds at this throughput, then one EP team's worth mid-advice; the rest
        # wait. Otherwise no plan would be issued until the first advice and drafting were done
        # (two to three months of plans missing from every forecast's first year).
        per_day = self.ep_service.per_month / DAYS_PER_MONTH
        drafting_mean = (a.drafting_weeks_min + a.drafting_weeks_mode + a.drafting_weeks_max) / 3
        in_drafting = min(n, round(per_day * drafting_mean * DAYS_PER_WEEK))
        in_advice = min(n - in_drafting, self.ep_service.capacity)
        for i in range(n):
            request_day = -oldest * (1 - i / n)      # oldest first: that is the EP queue order
            age = rng.choice(cum, ages)
            birth = request_day - (age + rng.u()) * 365.25
            child = Child(self, birth, cohort_of(self.clock.date(birth)), self.draw_need(rng),
                          ASSESSING)
            child.request_day = request_day
            self.enter(child, "assessment_in_progress")
            stage = "drafting" if i < in_drafting else "advice" if i < in_drafting + in_advice else None
            self.env.process(assess(self, child, backlog=True, stage=stage, left=rng.u()))

    # -- calendar ------------------------------------------------------------------------------
    def _finance_start(self) -> dt.date:
        s = self.params.council.start_date
        april = dt.date(s.year, 4, 1)
        return april if april >= s else dt.date(s.year + 1, 4, 1)

    def _build_calendar(self) -> None:
        start, end = self.clock.start, self.end_date
        months = [start]
        d = first_of_next_month(start)
        while d < end:
            months.append(d)
            d = first_of_next_month(d)
        self.month_dates = months
        self.month_starts = [self.clock.day(m) for m in months]

    def after(self, delay: float, fn) -> None:
        """Call `fn()` `delay` days from now, as an ordinary event (a step of the pathway that
        needs no process of its own)."""
        self.env.timeout(delay).callbacks.append(lambda _ev: fn())

    def _at(self, day: float, fn) -> None:
        ev = simpy.Event(self.env)
        ev._ok = True
        ev._value = None
        ev.callbacks.append(lambda _ev: fn())
        self.env.schedule(ev, URGENT, day - self.env.now)

    def _schedule_calendar(self) -> None:
        p = self.params
        items: list[tuple[float, int, object]] = []
        for i, d in enumerate(self.month_dates):
            day = self.month_starts[i]
            if i > 0:
                items.append((day, 0, lambda i=i, day=day: self._close_month(i - 1, day)))
                items.append((day, 1, lambda: self.datacollector.collect(self)))
                if d.month == 4 and day > self.finance_start_day:
                    items.append((day, 2, self._close_financial_year))
                if d.month == 9:
                    items.append((day, 3, self._september))
            else:
                items.append((day, 1, lambda: self.datacollector.collect(self)))
            end = self.month_starts[i + 1] if i + 1 < len(self.month_starts) else self.end_day
            items.append((day, 5, lambda i=i, s=day, e=end: self._month_demand(i, s, e)))
        for c in p.assessment.ep_capacity_changes:
            items.append((self.clock.day(c.date), 4, lambda c=c: self._set_ep_capacity(c.per_month)))
        for c in p.reviews.reviews_capacity_changes:
            items.append((self.clock.day(c.date), 4, lambda c=c: self._set_review_capacity(c.per_month)))
        for c in p.placement.place_changes:
            items.append((self.clock.day(c.date), 4, lambda c=c: self._change_places(c)))
        self.programme_openings = self._programme_openings()
        for project, opens in self.programme_openings:
            change = PlaceChange(date=opens, setting=project.setting, places=project.places,
                                 label=project.name)
            items.append((self.clock.day(opens), 4, lambda c=change: self._change_places(c)))
        if self.levers:
            for i in range(len(self.month_dates)):
                items.append((self.month_starts[i], 4.5, lambda i=i: self._update_levers(i)))
        for pay in p.finance.safety_valve_payments:
            items.append((self.clock.day(pay.date), 4, lambda pay=pay: self._safety_valve(pay)))
        for year in range(self.clock.start.year + 1, self.end_date.year + 1):
            day = self.clock.day(census_date(year))
            if day < self.end_day:
                items.append((day, -1, lambda: self.recorder.census.append(self._census_snapshot(self.now))))
        week = 0.0
        while week < self.end_day:
            items.append((week, 6, lambda: reviews.weekly_reviews(self)))
            week += DAYS_PER_WEEK
        for day, order, fn in sorted(items, key=lambda x: (x[0], x[1])):
            if 0 <= day < self.end_day:
                self._at(day, fn)

    # -- interventions and the capacity programme -----------------------------------------------
    def _draw_effects(self, interventions, structural: bool) -> dict[str, float]:
        """Each intervention's effect for this replication (one draw each, in file order)."""
        rng = self.streams["intervention_effects"]
        out = {}
        for iv in interventions:
            e = iv.effect
            value = rng.triangular(e.low, e.mode, e.high)
            out[iv.name] = value if structural else e.mode
        return out

    def _programme_openings(self) -> list:
        """(project, date it opens in this replication): on time, or late if it slips."""
        rng = self.streams["capacity_programme"]
        structural = self.scenario.sources.structural
        out = []
        for project in self.scenario.capacity_programme:
            u_slip = rng.u()
            d = project.delay_months
            delay = rng.triangular(d.low, d.mode, d.high)
            opens = project.opens
            if structural and u_slip < project.slip_probability and delay > 0:
                opens = opens + dt.timedelta(days=round(delay * 365.25 / 12))
            out.append((project, opens))
        return out

    def _update_levers(self, month: int) -> None:
        self.levers.update(self.month_dates[month])
        capacity = self._ep_capacity_now()
        if capacity != self.ep_service.per_month:
            self.ep_service.set_throughput(capacity)

    def _ep_capacity_now(self) -> float:
        """The EP service's capacity: the parameters' (`_ep_base`), after any interventions."""
        return self.levers.capacity("ep_capacity", self._ep_base) if self.levers else self._ep_base

    def _set_ep_capacity(self, per_month: float) -> None:
        self._ep_base = per_month
        self.ep_service.set_throughput(self._ep_capacity_now())

    def age_band(self, child) -> str:
        return AGE_BANDS[age_band_index(child.age(self.now))]

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

    def _set_review_capacity(self, per_month: float) -> None:
        self._review_base = per_month
        self._scale_review_capacity()

    def _scale_review_capacity(self) -> None:
        """Casework capacity, grown with the caseload as far as the parameter says."""
        follow = self.params.reviews.capacity_follows_caseload
        growth = len(self.plan_holders) / self._start_caseload - 1.0 if self._start_caseload else 0.0
        per_month = self._review_base * max(0.0, 1.0 + follow * growth)
        if self.levers:
            per_month = self.levers.capacity("review_capacity", per_month)
        self.reviews.per_month = per_month

    def _month_demand(self, month: int, start: float, end: float) -> None:
        months = (end - start) / (365.25 / 12)
        self._scale_review_capacity()
        requests.generate_requests(self, start, end, month)
        leaving.transfers_in(self, start, end)
        sen_support.monthly_flows(self, months)
        leaving.anytime_ceasing(self, months)
        if self.levers:
            leaving.intervention_ceasing(self, months)
        leaving.reached_max_age(self)

    def _september(self) -> None:
        self.academic_year = academic_year_start(self.date())
        sen_support.end_of_year11(self)
        transitions.phase_transfers(self)

    def _change_places(self, change) -> None:
        self.places.change(change.setting, change.places)
        self.recorder.flow(self.now, f"places_opened_{change.setting}", max(0, change.places))

    def _safety_valve(self, pay) -> None:
        deficit = -self.cumulative_balance
        if deficit <= pay.max_cumulative_deficit_gbp:
            self.recorder.flow(self.now, "income_safety_valve", pay.amount_gbp)
            self.recorder.flow(self.now, "safety_valve_paid", 1)
        else:
            self.recorder.flow(self.now, "safety_valve_withheld_gbp", pay.amount_gbp)

    # -- money -----------------------------------------------------------------------------------
    def _close_month(self, i: int, t: float) -> None:
        start = self.month_starts[i]
        fy = financial_year(self.month_dates[i])
        row = self.ledger.close_period(t, t - start, fy)
        self._scenario_spend(row, self.month_dates[i], t - start, fy)
        row["income_safety_valve"] = self.recorder.flows[i].get("income_safety_valve", 0.0)
        row["spend_total"] = sum(v for k, v in row.items() if k.startswith("spend_"))
        row["income_total"] = sum(v for k, v in row.items() if k.startswith("income_") and k != "income_total")
        row["financial_year"] = fy
        if start >= self.finance_start_day:
            self._fy_totals["income"] += row["income_total"]
            self._fy_totals["spend"] += row["spend_total"]
            row["cumulative_balance"] = (self.cumulative_balance + self._fy_totals["income"]
                                         - self._fy_totals["spend"])
        else:
            row["cumulative_balance"] = float("nan")
        self.recorder.finance.append(row)

    def _scenario_spend(self, row: dict, month: dt.date, days: float, fy: str) -> None:
        """Money the scenario adds to a month: unit-cost interventions, the price of new places
        that differs from their setting's, and the running cost of interventions."""
        row["spend_interventions"] = self.levers.running_cost(month, days) if self.levers else 0.0
        premium = 0.0
        daily = self.ledger.prices.for_year(fy)["daily_cost"]
        base_cost = self.params.finance.unit_cost_gbp_per_year
        for project, opens in self.programme_openings:
            cost = project.unit_cost_gbp_per_year
            total = self.places.total[project.setting]
            if cost is None or opens > month or total <= 0 or base_cost[project.setting] <= 0:
                continue
            # the project's places are filled like the rest of its setting's
            share = min(1.0, project.places / total)
            premium += (row[f"child_days_{project.setting}"] * share * daily[project.setting]
                        * (cost / base_cost[project.setting] - 1.0))
        row["spend_new_places_price_difference"] = premium
        if self.levers:
            for s in SETTINGS:
                factor, added = self.levers.unit_cost(s)
                if factor != 1.0 or added:
                    row[f"spend_{s}"] = row[f"spend_{s}"] * factor + row[f"child_days_{s}"] * added / 365.25

    def _close_financial_year(self) -> None:
        fy = financial_year(self.date() - dt.timedelta(days=1))
        in_year = self._fy_totals["income"] - self._fy_totals["spend"]
        opening = self.cumulative_balance
        self.cumulative_balance = opening + in_year
        self.recorder.financial_years.append({
            "financial_year": fy, "opening_balance": opening, "income_total": self._fy_totals["income"],
            "spend_total": self._fy_totals["spend"], "in_year_balance": in_year,
            "cumulative_balance": self.cumulative_balance,
            "override_ended": self.date() > self.params.finance.statutory_override_end,
        })
        self._fy_totals = {"income": 0.0, "spend": 0.0}

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
            idx = np.searchsorted(np.array([5.0, 11.0, 16.0, 20.0]), ages, side="right")
            out = np.bincount(idx, minlength=len(AGE_BANDS)).tolist()
        return out

    def _age_counts_now(self) -> list[int]:
        t, counts = self._age_counts_cache
        if t != self.now:
            counts = self._age_band_counts()
            self._age_counts_cache = (self.now, counts)
        return counts

    @staticmethod
    def _monthly_reporters() -> dict:
        """Mesa model reporters for the monthly stocks (taken at each month's first instant)."""
        r = {"day": lambda m: m.now, "caseload": lambda m: len(m.plan_holders)}
        for s in SETTINGS:
            r[f"caseload_{s}"] = lambda m, s=s: m.counts[s]
        for i, band in enumerate(AGE_BANDS):
            r[f"caseload_age_{band}"] = lambda m, i=i: m._age_counts_now()[i]
        for need in NEEDS:
            r[f"caseload_need_{need}"] = lambda m, need=need: m.plans_by_need[need]
        r["sen_support"] = lambda m: sum(len(b) for b in m.sen_support_by_cohort.values())
        r["ep_queue"] = lambda m: m.ep_service.queue_length
        r["ep_in_progress"] = lambda m: m.ep_service.count
        r["ep_advices_per_month_capacity"] = lambda m: m.ep_service.per_month
        r["reviews_overdue"] = lambda m: m.reviews.overdue(m.now, reviews.is_current)
        r["reviews_per_month_capacity"] = lambda m: m.reviews.per_month
        for s in CAPACITY_SETTINGS:
            r[f"places_{s}"] = lambda m, s=s: m.places.total[s]
            r[f"waiting_for_{s}"] = lambda m, s=s: m.places.waiting(s)
        r["present"] = lambda m: m.present
        return r

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
             years: float = 8.0, process_seed: np.random.SeedSequence | None = None):
    """Run one replication and return its `RunResult` (tables and provenance): a pure function
    of (scenario, seed)."""
    from .results import RunResult  # results depends on model, not the other way round
    model = SendModel(scenario, seed, RunSpec(years), process_seed).run()
    return RunResult.from_model(model, seed)
