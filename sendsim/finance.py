"""The High Needs Block: spend that follows children, fixed lines, income and the balance.

Spend accrues daily: each setting's child-days are integrated exactly between changes of its
occupancy, and priced at the unit cost of the financial year they fall in (unit costs and fixed
lines are uplifted by inflation each April, as council budgets are). Income is set per financial
year and spread evenly over its days; Safety Valve instalments arrive on their dates if the
cumulative deficit at the previous 31 March was within the agreed limit.
"""

from __future__ import annotations


from .calendar import financial_year_start
from .codes import SETTINGS
from .parameters import Finance


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
        uplift = (1.0 + f.inflation_per_year) ** years_after_base(label, f.price_base_fy)
        days = fy_days(label)
        out = {
            "daily_cost": {s: f.unit_cost_gbp_per_year[s] * uplift / days for s in SETTINGS},
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
            self._child_days[s] = 0.0
        for line, per_day in prices["fixed_per_day"].items():
            out[f"spend_fixed_{line}"] = per_day * days
        for line, per_day in prices["income_per_day"].items():
            out[f"income_{line}"] = per_day * days
        return out

