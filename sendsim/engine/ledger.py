"""The High Needs Block: spend that follows children, fixed lines, income and the balance.

Spend accrues daily: each setting's child-days are integrated exactly between changes of its
occupancy, and priced at the unit cost of the financial year they fall in (unit costs and fixed
lines are uplifted each April, as council budgets are, each setting at its own rate where one is
given). Income is set per financial year and spread evenly over its days; Safety Valve
instalments arrive on their dates if the cumulative deficit at the previous 31 March was within
the agreed limit.

The balance opens at the last published 31 March (`finance.opening_balance_fy`), which is
usually before the start census: the months between are priced on the caseload interpolated
between the census a year before and the start, so no financial year is skipped. Place funding
the council pays is part of each unit cost and is also kept apart (`council_place_funding`),
because section 251 net high-needs spend, the published outturn, leaves it out.
"""

from __future__ import annotations

import datetime as dt

from sendsim.calendar import financial_year, financial_year_start
from sendsim.codes import SETTINGS
from sendsim.engine.pathway import stage
from sendsim.parameters import Finance


def fy_days(label: str) -> int:
    start = financial_year_start(label)
    return (start.replace(year=start.year + 1) - start).days


def years_after_base(label: str, base: str) -> int:
    return int(label[:4]) - int(base[:4])


class Prices:
    """Unit costs, fixed lines and income for any financial year."""

    def __init__(self, finance: Finance):
        self.f = finance
        self._cache: dict[str, dict] = {}

    def for_year(self, label: str) -> dict:
        if label in self._cache:
            return self._cache[label]
        f = self.f
        years = years_after_base(label, f.price_base_fy)
        uplift = (1.0 + f.inflation_per_year) ** years * f.cost_level
        by_setting = {s: (1.0 + f.inflation_by_setting[s]) ** years * f.cost_level
                      if s in f.inflation_by_setting else uplift for s in SETTINGS}
        days = fy_days(label)
        place = f.place_funding_gbp_per_year
        out = {
            "daily_cost": {s: f.unit_cost_gbp_per_year[s] * by_setting[s] / days for s in SETTINGS},
            "daily_place_funding": {s: place[s] * by_setting[s] / days for s in place},
            "fixed_per_day": {k: v * uplift / days for k, v in f.fixed_spend_gbp_per_year.items()},
            "income_per_day": {
                "hnb": self.hnb_income(label) / days,
                "schools_block_transfer": self._by_year(f.schools_block_transfer_gbp, label,
                                                        f.schools_block_transfer_after_gbp) / days,
                "la_contribution": f.la_contribution_gbp.get(label, 0.0) / days,
            },
        }
        self._cache[label] = out
        return out

    def hnb_income(self, label: str) -> float:
        known = self.f.hnb_income_gbp
        if label in known:
            return known[label]
        last = max(known, key=lambda k: int(k[:4]))
        first = min(known, key=lambda k: int(k[:4]))
        if int(label[:4]) < int(first[:4]):
            return known[first] / (1 + self.f.hnb_growth_per_year) ** (int(first[:4]) - int(label[:4]))
        return known[last] * (1 + self.f.hnb_growth_per_year) ** (int(label[:4]) - int(last[:4]))

    @staticmethod
    def _by_year(table, label: str, after: float) -> float:
        if label in table:
            return table[label]
        if table and int(label[:4]) > max(int(k[:4]) for k in table):
            return after
        return 0.0


class Ledger:
    """Integrates occupancy over time into spend, and keeps income by month."""

    def __init__(self, finance: Finance, counts: dict[str, int], start_day: float):
        self.prices = Prices(finance)
        self.counts = counts                     # live occupancy by setting (shared with model)
        self._child_days = {s: 0.0 for s in SETTINGS}
        self._last = {s: start_day for s in SETTINGS}

    def before_change(self, setting: str, t: float) -> None:
        """Call just before `counts[setting]` changes at time t."""
        self._child_days[setting] += self.counts[setting] * (t - self._last[setting])
        self._last[setting] = t

    def close_period(self, t: float, days: float, fy: str) -> dict[str, float]:
        """Spend and income for the period ending at t (all of it in financial year `fy`)."""
        out: dict[str, float] = {}
        prices = self.prices.for_year(fy)
        daily = prices["daily_cost"]
        for s in SETTINGS:
            self.before_change(s, t)
            out[f"spend_{s}"] = self._child_days[s] * daily[s]
            out[f"child_days_{s}"] = self._child_days[s]
        out["council_place_funding"] = sum(self._child_days[s] * per_day for s, per_day
                                           in prices["daily_place_funding"].items())
        for s in SETTINGS:
            self._child_days[s] = 0.0
        for line, per_day in prices["fixed_per_day"].items():
            out[f"spend_fixed_{line}"] = per_day * days
        for line, per_day in prices["income_per_day"].items():
            out[f"income_{line}"] = per_day * days
        return out



class HighNeedsBlock:
    """The High Needs Block of one replication: each month's spend and income, each financial
    year's balance, and Safety Valve instalments on their dates (paid if the deficit is within
    the agreed limit)."""

    FLOWS = ("income_safety_valve", "safety_valve_paid", "safety_valve_withheld_gbp")

    def __init__(self, model):
        self.model = model
        p = model.params.finance
        self.finance = p
        self.ledger = Ledger(p, model.counts, 0.0)
        self.start_day = model.clock.day(self._first_april())
        self.cumulative_balance = p.opening_cumulative_balance_gbp
        self._fy_totals = {"income": 0.0, "spend": 0.0, "place": 0.0}
        model.recorder.before_start = self._before_start()

    def _first_april(self) -> dt.date:
        """Financial years are accounted whole: from the 1 April after the opening balance, or
        else from the first 1 April of the run."""
        f = self.finance
        if f.opening_balance_fy:
            return dt.date(int(f.opening_balance_fy[:4]) + 1, 4, 1)
        s = self.model.params.council.start_date
        april = dt.date(s.year, 4, 1)
        return april if april >= s else dt.date(s.year + 1, 4, 1)

    def _before_start(self) -> dict:
        """Spend and income from the opening balance's 31 March to the start: the caseload by
        setting moves in a straight line from the census a year before to the start's, and is
        priced as the run's own months are. Nothing when the balance opens after the start."""
        m, f = self.model, self.finance
        days = -self.start_day
        if days <= 0:
            return {}
        start = m.params.council.start_date
        census_before = m.clock.day(start.replace(year=start.year - 1))
        now = m.params.start_state.caseload_by_setting
        before = f.previous_census_by_setting
        mid = self.start_day / 2.0                       # the period's middle (day 0 is the start)
        w = (mid - census_before) / (0.0 - census_before)
        fy = financial_year(self._first_april())
        prices = self.ledger.prices.for_year(fy)
        row: dict = {"financial_year": fy, "days": days}
        place = 0.0
        for s in SETTINGS:
            c0, c1 = float(before.get(s, 0)), float(now.get(s, 0))
            child_days = (c0 + w * (c1 - c0)) * days
            row[f"spend_{s}"] = child_days * prices["daily_cost"][s]
            row[f"child_days_{s}"] = child_days
            place += child_days * prices["daily_place_funding"].get(s, 0.0)
        for line, per_day in prices["fixed_per_day"].items():
            row[f"spend_fixed_{line}"] = per_day * days
        for line, per_day in prices["income_per_day"].items():
            row[f"income_{line}"] = per_day * days
        row["council_place_funding"] = place
        row["spend_total"] = sum(v for k, v in row.items() if k.startswith("spend_"))
        row["income_total"] = sum(v for k, v in row.items() if k.startswith("income_"))
        self._fy_totals = {"income": row["income_total"], "spend": row["spend_total"], "place": place}
        return row

    def calendar(self):
        m = self.model
        for i, day in enumerate(m.month_starts):
            if i == 0:
                continue
            yield day, stage.CLOSE_MONTH, lambda i=i, day=day: self.close_month(i - 1, day)
            if m.month_dates[i].month == 4 and day > self.start_day:
                yield day, stage.CLOSE_YEAR, self.close_financial_year
        for pay in self.finance.safety_valve_payments:
            yield m.clock.day(pay.date), stage.SAFETY_VALVE, lambda pay=pay: self.safety_valve(pay)

    def close_run(self) -> None:
        """The run has ended: close its last month, and its last year if it ends on 1 April."""
        m = self.model
        self.close_month(len(m.month_starts) - 1, m.end_day)
        if (m.end_date.month, m.end_date.day) == (4, 1) and m.end_day > self.start_day:
            self.close_financial_year()

    def safety_valve(self, pay) -> None:
        m = self.model
        deficit = -self.cumulative_balance
        if deficit <= pay.max_cumulative_deficit_gbp:
            m.recorder.flow(m.now, "income_safety_valve", pay.amount_gbp)
            m.recorder.flow(m.now, "safety_valve_paid", 1)
        else:
            m.recorder.flow(m.now, "safety_valve_withheld_gbp", pay.amount_gbp)

    def close_month(self, i: int, t: float) -> None:
        m = self.model
        start = m.month_starts[i]
        fy = financial_year(m.month_dates[i])
        row = self.ledger.close_period(t, t - start, fy)
        self._scenario_spend(row, m.month_dates[i], t - start, fy)
        row["income_safety_valve"] = m.recorder.flow_in(i, "income_safety_valve")
        row["spend_total"] = sum(v for k, v in row.items() if k.startswith("spend_"))
        row["income_total"] = sum(v for k, v in row.items() if k.startswith("income_") and k != "income_total")
        row["financial_year"] = fy
        if start >= self.start_day:
            self._fy_totals["income"] += row["income_total"]
            self._fy_totals["spend"] += row["spend_total"]
            self._fy_totals["place"] += row["council_place_funding"]
            row["cumulative_balance"] = (self.cumulative_balance + self._fy_totals["income"]
                                         - self._fy_totals["spend"])
        else:
            row["cumulative_balance"] = float("nan")
        m.recorder.finance.append(row)

    def _scenario_spend(self, row: dict, month: dt.date, days: float, fy: str) -> None:
        """Money the scenario adds to a month: unit-cost interventions, the price of new places
        that differs from their setting's, and the running cost of interventions."""
        m = self.model
        levers = m.levers
        row["spend_interventions"] = levers.running_cost(month, days) if levers else 0.0
        premium = 0.0
        daily = self.ledger.prices.for_year(fy)["daily_cost"]
        base_cost = self.finance.unit_cost_gbp_per_year
        for project, opens in m.stage("placement").programme_openings:
            cost = project.unit_cost_gbp_per_year
            total = m.places.total[project.setting]
            if cost is None or opens > month or total <= 0 or base_cost[project.setting] <= 0:
                continue
            # the project's places are filled like the rest of its setting's
            share = min(1.0, project.places / total)
            premium += (row[f"child_days_{project.setting}"] * share * daily[project.setting]
                        * (cost / base_cost[project.setting] - 1.0))
        row["spend_new_places_price_difference"] = premium
        if levers:
            for s in SETTINGS:
                factor, added = levers.unit_cost(s)
                if factor != 1.0 or added:
                    row[f"spend_{s}"] = row[f"spend_{s}"] * factor + row[f"child_days_{s}"] * added / 365.25

    def _capital(self, fy: str) -> float:
        """Capital cost of the programme's places that open in financial year `fy` (on their
        actual dates, slips included): kept apart from the High Needs Block's revenue."""
        per_place = self.finance.capital_cost_gbp_per_place
        total = 0.0
        for project, opens in self.model.stage("placement").programme_openings:
            if financial_year(opens) == fy:
                cost = project.capital_cost_gbp
                total += cost if cost is not None else project.places * per_place.get(project.setting, 0.0)
        return total

    def close_financial_year(self) -> None:
        m = self.model
        fy = financial_year(m.date() - dt.timedelta(days=1))
        in_year = self._fy_totals["income"] - self._fy_totals["spend"]
        opening = self.cumulative_balance
        self.cumulative_balance = opening + in_year
        m.recorder.financial_years.append({
            "financial_year": fy, "opening_balance": opening, "income_total": self._fy_totals["income"],
            "spend_total": self._fy_totals["spend"], "in_year_balance": in_year,
            "cumulative_balance": self.cumulative_balance,
            "council_place_funding": self._fy_totals["place"],
            "net_high_needs_spend": self._fy_totals["spend"] - self._fy_totals["place"],
            "override_ended": m.date() > self.finance.statutory_override_end,
            "general_fund_reserves": self.finance.general_fund_reserves_gbp,
            "reserves_less_deficit": self.finance.general_fund_reserves_gbp + self.cumulative_balance,
            "capital_new_places": self._capital(fy),
        })
        self._fy_totals = {"income": 0.0, "spend": 0.0, "place": 0.0}
