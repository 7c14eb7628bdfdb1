"""A council's money from its own published figures: unit costs, fixed lines, inflation, income
and the opening balance, each with where it came from and how uncertain it is.

The basis is the council's own books, *after* the ESFA's deductions. The ESFA pays academies',
free schools' and colleges' place funding directly and deducts it from the High Needs Block
allocation, so that money never passes through the council: income is the allocation after
deductions, and spend is what section 251 records. Section 251 net high-needs spend counts top-ups
and central services but not the place funding the council itself pays to maintained special
schools, units and FE (the 2021-22 benchmarking lines add up to it exactly). So each unit cost is
top-up plus the council's place funding per child, and that place funding is carried apart
(`finance.place_funding_gbp_per_year`) so that the model's `net_high_needs_spend` is on
section 251's basis.

Unit costs (`unit_costs_from_outturn`) come from the 2021-22 benchmarking outturn: each group of
section 251 lines divided by its placements. A group's cost per plan, as an index on the national
cost, is shrunk towards the median of the council's ten statistical neighbours: fully where the
line is missing, suppressed or implausible, and otherwise by the weight ``n / (n + POOL_PLANS)``
of its n placements (partial pooling). The spread of the neighbours' indices, times what the
pooling leaves, is the cost's uncertainty. An outturn is known at a January origin if its
financial year ended by March of the year before, so the 2021-22 lines are used from January 2023;
before that the template's costs by setting stand in, scaled to the council's own spend.

Then every council, whatever its costs rest on, is reconciled with its own section 251 net spend
(`reconcile`): the costs priced on its census caseload at the middle of each published year give
a ratio to the outturn; a line through the log ratios of the last `RECONCILE_YEARS` years gives
the council's own yearly growth of cost per child (its inflation), and the cost level the unit
costs are scaled to is the last year's ratio shrunk halfway to that line. The line's scatter is the cost level's
uncertainty, the slope's standard error the inflation's.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize

from ..codes import SETTINGS
from ..data import finance as fin

#: The outturn lines by group: (settings, top-up lines, place-funding lines, placements).
GROUPS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "schools": (("early_years", "mainstream", "resource_base"),
                tuple(f"outturn_topup_{k}_{p}" for k in ("maintained", "independent")
                      for p in ("early_years", "primary", "secondary")),
                ("outturn_place_early_years", "outturn_place_primary", "outturn_place_secondary"),
                ("plans_mainstream", "plans_resourced_provision")),
    "special": (("special",), ("outturn_topup_maintained_special",), ("outturn_place_special",),
                ("plans_special",)),
    "inmss": (("inmss",), ("outturn_topup_independent_special",), (), ("plans_nmss_independent",)),
    "post16": (("fe_college", "specialist_post16"),
               ("outturn_topup_maintained_post_school", "outturn_topup_independent_post_school"),
               ("outturn_place_post_school",), ("plans_post16",)),
}
#: Lines not tied to a child's placement: the model's fixed spend. Alternative provision is here,
#: not priced per plan: it serves pupils mostly without plans (Wiltshire, January 2021: 1 plan in
#: AP against 2.95m of AP top-ups).
FIXED_LINES: dict[str, tuple[str, ...]] = {
    "sen_support_and_inclusion_services": ("outturn_sen_support_inclusion_services",),
    "alternative_provision_and_hospital": ("outturn_place_ap", "outturn_topup_maintained_ap",
                                           "outturn_topup_independent_ap",
                                           "outturn_alternative_provision_services",
                                           "outturn_hospital_education"),
    "therapies_and_health": ("outturn_therapies_health",),
}
#: Settings no section 251 line prices per child: their spend is inside the other lines.
UNPRICED = {"ap_pru": "in the fixed alternative provision line",
            "eotas": "no section 251 line: packages are paid from the other lines",
            "neet": "no placement cost"}
#: Placements at which a council's own cost per plan and its neighbours' weigh the same.
POOL_PLANS = 25.0
#: A group's cost index further than this factor from the neighbours' median is implausible.
IMPLAUSIBLE_FACTOR = 3.0
#: A group line of 0 with at least this many placements is taken as not reported separately.
ZERO_LINE_PLANS = 10
#: Published years the reconciliation fits its line through (at most).
RECONCILE_YEARS = 5
#: The least scatter of the cost level a year (a single year's ratio is never exact).
MIN_LEVEL_SD = 0.02
#: How far a council's cost level moves in a year beyond what its line predicts (log sd): the
#: year-on-year sd of log(published / model) over every council's 2017-18 to 2019-20 outturns,
#: all published by January 2021 (`python benchmarks/money_reconciliation.py --origin 2021`:
#: 146 councils, 292 changes, sd 0.072). The forecast's first year is two outturns past the last
#: published (its level varies as a random walk would, sd 0.07 sqrt(k) after k years): carried as
#: 1.2 x its variance on the cost level and a fifth of it on the yearly inflation, which
#: together give k = 2 and 3 years exactly and a little more than sqrt(k) later.
LEVEL_DRIFT_SD = 0.07
#: Bounds on a council's own yearly growth of cost per child.
INFLATION_BOUNDS = (-0.03, 0.12)
#: The financial year whose benchmarking lines are published, and the year it ends.
BENCHMARK_FY, BENCHMARK_ENDS = "2021-22", 2022


def outturn_known(fy_label: str, origin: int) -> bool:
    """An outturn is published in the autumn after its year ends: known at the January census
    of `origin` if the year ended by March of ``origin - 1``."""
    return int(fy_label[:4]) + 1 <= int(origin) - 1


def allocation_known(fy_label: str, origin: int) -> bool:
    """The ESFA announces a year's allocation in the December before it starts."""
    return int(fy_label[:4]) <= int(origin)


def census_day(year: int) -> dt.date:
    first = dt.date(year, 1, 1)
    return first + dt.timedelta(days=(3 - first.weekday()) % 7 + 14)


def mid_year_caseload(caseload: pd.DataFrame, fy_end: int) -> pd.Series | None:
    """Plans by setting on 1 October of the financial year ending in March `fy_end`: the
    censuses of January ``fy_end - 1`` and ``fy_end``, interpolated (None if either is missing)."""
    a, b = fy_end - 1, fy_end
    if a not in caseload.index or b not in caseload.index:
        return None
    ca = caseload.loc[a, list(SETTINGS)].astype(float)
    cb = caseload.loc[b, list(SETTINGS)].astype(float)
    if ca.isna().all() or cb.isna().all():
        return None
    w = (dt.date(a, 10, 1) - census_day(a)).days / (census_day(b) - census_day(a)).days
    return (ca.fillna(0.0) + w * (cb.fillna(0.0) - ca.fillna(0.0)))


@dataclass
class Line:
    """One derived money figure: its value, what it rests on, and its uncertainty (a log sd)."""

    value: float
    basis: str                         # "own outturn", "neighbours", "template", "assumption"
    note: str
    log_sd: float = 0.0


@dataclass
class Costs:
    """Unit costs, place funding and fixed lines at `price_fy` prices, with their bases."""

    price_fy: str
    unit: dict[str, Line]
    place: dict[str, float]
    fixed: dict[str, Line]
    notes: list[str] = field(default_factory=list)


# -- the national table --------------------------------------------------------------------------

@functools.lru_cache(maxsize=4)
def _benchmarking_table(data_dir) -> pd.DataFrame:
    """Every council's 2021-22 benchmarking row (named columns), indexed by LA name key."""
    from ..data.files import data_file, read_csv
    path = data_file(data_dir, fin.BENCHMARKING)
    df = read_csv(path)
    by_code = {c.split(":")[0].strip(): c for c in df.columns if ":" in c}
    out = pd.DataFrame({"la_code": df[by_code["c002"]], "la_name": df[by_code["c003"]]})
    for name, (code, _) in fin.BENCHMARKING_COLUMNS.items():
        out[name] = pd.to_numeric(df[by_code[code]], errors="coerce")
    return out


@functools.lru_cache(maxsize=4)
def national_costs(data_dir) -> dict[str, float]:
    """National cost per plan a year in 2021-22 by setting (GBP): mainstream and resourced
    provision by non-negative least squares of every council's school top-ups and place funding
    on its placements in each; special and INMSS the national line over national plans; FE and
    specialist post-16 the maintained and independent post-school lines over England's FE and
    specialist post-16 plans (mean of January 2021 and 2022)."""
    from ..data.history import load_history
    t = _benchmarking_table(data_dir).dropna(subset=["plans_mainstream", "plans_resourced_provision"])
    _, tops, places, plans = GROUPS["schools"]
    y = t[list(tops + places)].fillna(0.0).sum(axis=1).to_numpy(float)
    x = t[list(plans)].to_numpy(float)
    (ms, rb), _ = optimize.nnls(x, y)
    total = lambda cols: float(t[list(cols)].fillna(0.0).to_numpy().sum())   # noqa: E731
    england = load_history("England", data_dir).caseload
    mid = (england.loc[2021] + england.loc[2022]) / 2
    return {
        "mainstream": ms, "early_years": ms, "resource_base": rb,
        "special": total(GROUPS["special"][1] + GROUPS["special"][2]) / total(("plans_special",)),
        "inmss": total(GROUPS["inmss"][1]) / total(("plans_nmss_independent",)),
        "fe_college": total(("outturn_topup_maintained_post_school", "outturn_place_post_school"))
        / float(mid["fe_college"]),
        "specialist_post16": total(("outturn_topup_independent_post_school",))
        / float(mid["specialist_post16"]),
        "fe_share_of_post16": float(mid["fe_college"] / (mid["fe_college"] + mid["specialist_post16"])),
    }


def group_index(row: dict | pd.Series, group: str, nat: dict[str, float]) -> tuple[float, float, float]:
    """(cost index on the national cost, placements, place funding share) of one council's group
    of lines: the lines over what its placements would cost at national costs. NaN index where
    a line is missing or suppressed."""
    settings, tops, places, plans = GROUPS[group]
    lines = [row[k] for k in tops + places]
    n = [row[k] for k in plans]
    if any(pd.isna(v) for v in lines + n):
        return math.nan, float(np.nansum(n)), math.nan
    money = float(sum(lines))
    if group == "schools":
        expected = n[0] * nat["mainstream"] + n[1] * nat["resource_base"]
    elif group == "post16":
        f = nat["fe_share_of_post16"]
        expected = n[0] * (f * nat["fe_college"] + (1 - f) * nat["specialist_post16"])
    else:
        expected = n[0] * nat[settings[0]]
    share = float(sum(row[k] for k in places)) / money if money > 0 else 0.0
    return (money / expected if expected > 0 else math.nan), float(sum(n)), share


def pooled(own: float, plans: float, neighbours: list[float]) -> tuple[float, float, str, str]:
    """(index, log sd, basis, why) of a group: the council's own index shrunk towards its
    neighbours' median by ``plans / (plans + POOL_PLANS)``; the median alone where its own is
    missing, suppressed, a zero line with placements, or implausible."""
    nb = np.log([v for v in neighbours if v > 0 and math.isfinite(v)])
    centre = float(np.median(nb)) if len(nb) else 0.0
    spread = float(np.std(nb, ddof=1)) if len(nb) > 2 else 0.3
    if not math.isfinite(own):
        return math.exp(centre), spread, "neighbours", "line missing or suppressed"
    if own <= 0:
        if plans >= ZERO_LINE_PLANS:
            return math.exp(centre), spread, "neighbours", (
                f"line 0 with {plans:.0f} placements (not reported separately)")
        return 0.0, 0.0, "own outturn", "no spend, no placements"
    if len(nb) and abs(math.log(own) - centre) > math.log(IMPLAUSIBLE_FACTOR):
        return math.exp(centre), spread, "neighbours", (
            f"own index {own:.2f} more than {IMPLAUSIBLE_FACTOR:g}x from the neighbours' "
            f"{math.exp(centre):.2f} (implausible)")
    w = plans / (plans + POOL_PLANS)
    value = math.exp(w * math.log(own) + (1 - w) * centre)
    return value, spread * math.sqrt(1 - w), "own outturn", (
        f"own index {own:.2f} on {plans:.0f} placements, shrunk by {w:.2f} towards the "
        f"neighbours' {math.exp(centre):.2f}")


def unit_costs_from_outturn(row: dict, neighbour_rows: list[dict], nat: dict[str, float]) -> Costs:
    """Unit costs, place funding and fixed lines at 2021-22 prices from one council's
    benchmarking row, its neighbours' rows and the national costs."""
    unit: dict[str, Line] = {}
    place: dict[str, float] = {}
    notes: list[str] = []
    for group, (settings, tops, places, plans) in GROUPS.items():
        own, n, share = group_index(row, group, nat)
        others = [group_index(r, group, nat) for r in neighbour_rows]
        k, sd, basis, why = pooled(own, n, [o[0] for o in others])
        if basis == "neighbours" or not math.isfinite(share):
            shares = [o[2] for o in others if math.isfinite(o[2])]
            share = float(np.median(shares)) if shares else 0.0
        notes.append(f"{group}: {why}")
        for s in settings:
            value = k * nat[s]
            unit[s] = Line(value, basis, f"{group} lines: {why}; x national {nat[s]:,.0f}", sd)
            if group != "schools" and share > 0:
                place[s] = share * value
        if group == "schools":
            # the schools' place funding is resourced provision's and units'
            n_ms, n_rb = (float(row.get(c) or 0.0) for c in plans)
            money = k * (n_ms * nat["mainstream"] + n_rb * nat["resource_base"])
            if n_rb > 0 and share > 0:
                place["resource_base"] = min(unit["resource_base"].value, share * money / n_rb)
    for s, why in UNPRICED.items():
        unit[s] = Line(0.0, "assumption", why)
    fixed = {}
    for name, cols in FIXED_LINES.items():
        vals = [row.get(c) for c in cols]
        if any(pd.isna(v) for v in vals):
            per_plan = [sum(r[c] for c in cols) / r["plans_total"] for r in neighbour_rows
                        if not any(pd.isna(r[c]) for c in cols) and r["plans_total"] > 0]
            value = float(np.median(per_plan)) * float(row["plans_total"]) if per_plan else 0.0
            fixed[name] = Line(value, "neighbours", "a line missing: the neighbours' median per plan")
        else:
            fixed[name] = Line(float(sum(vals)), "own outturn", "2021-22 outturn")
    return Costs(BENCHMARK_FY, unit, place, fixed, notes)


def template_costs(template_finance: dict, caseload_now: float, template_caseload: float) -> Costs:
    """The template's unit costs and place funding at its prices, its fixed lines scaled by
    caseload: where the council's own lines are not yet published at the origin."""
    f = template_finance
    scale = caseload_now / template_caseload if template_caseload else 1.0
    unit = {s: Line(float(f["unit_cost_gbp_per_year"][s]), "template",
                    "the template's cost, scaled to this council's spend") for s in SETTINGS}
    fixed = {k: Line(float(v) * scale, "template", "the template's line x caseload")
             for k, v in f["fixed_spend_gbp_per_year"].items()}
    place = {k: float(v) for k, v in f.get("place_funding_gbp_per_year", {}).items()}
    return Costs(f["price_base_fy"], unit, place, fixed)


# -- reconciliation with the council's own outturn ----------------------------------------------

@dataclass
class Reconciled:
    level: float                      # cost level at the last published year (1: as derived)
    level_sd: float                   # log sd of the cost level at the forecast
    inflation: float                  # own yearly growth of cost per child
    inflation_se: float
    last_fy_end: int
    years: list[int]
    ratios: list[float]               # published / model, by year


def model_net_spend(costs: Costs, children: pd.Series, price_factor: float = 1.0) -> float:
    """Net spend (section 251's basis) of a caseload at the costs, in the costs' prices."""
    per_child = sum(float(children.get(s, 0.0)) * (costs.unit[s].value - costs.place.get(s, 0.0))
                    for s in SETTINGS)
    return (per_child + sum(l.value for l in costs.fixed.values())) * price_factor


def reconcile(costs: Costs, caseload: pd.DataFrame, spend: pd.Series, origin: int,
              prior_inflation: float) -> Reconciled | None:
    """The cost level and own inflation that reproduce the council's published net spend (by
    the year each financial year ends), over the last `RECONCILE_YEARS` published by `origin`.
    None if no year can be priced (no outturn, or no censuses around it)."""
    years, ratios = [], []
    for end in sorted(int(y) for y in spend.dropna().index):
        if end > origin - 1:
            continue
        kids = mid_year_caseload(caseload, end)
        if kids is None or spend[end] <= 0:
            continue
        model = model_net_spend(costs, kids)
        if model > 0:
            years.append(end)
            ratios.append(float(spend[end]) / model)
    years, ratios = years[-RECONCILE_YEARS:], ratios[-RECONCILE_YEARS:]
    if not years:
        return None
    last = years[-1]
    x = np.asarray(years, float) - last
    y = np.log(ratios)
    n = len(years)
    if n >= 3:
        slope, intercept = np.polyfit(x, y, 1)
        resid = y - (intercept + slope * x)
        s = max(float(np.sqrt(np.sum(resid ** 2) / (n - 2))), MIN_LEVEL_SD)
        sxx = float(np.sum((x - x.mean()) ** 2))
        se = s / math.sqrt(sxx)
        level_sd = s * math.sqrt(1 + 1 / n + (0 - x.mean()) ** 2 / sxx)
    else:
        slope, intercept = math.log1p(prior_inflation), float(y[-1])
        se, level_sd = 0.02, 0.1
    # the fit's own slope, shrunk towards the prior by its precision (a few years are noisy)
    prior_se = 0.02
    w = (1 / se ** 2) / (1 / se ** 2 + 1 / prior_se ** 2)
    growth = w * slope + (1 - w) * math.log1p(prior_inflation)
    inflation = min(max(math.expm1(growth), INFLATION_BOUNDS[0]), INFLATION_BOUNDS[1])
    post_se = math.sqrt(1 / (1 / se ** 2 + 1 / prior_se ** 2) + LEVEL_DRIFT_SD ** 2 / 5)
    level_sd = math.sqrt(level_sd ** 2 + 1.2 * LEVEL_DRIFT_SD ** 2)
    # the last year's ratio, shrunk halfway (on the log scale) to the line: one year's outturn
    # is a noisy measure of the level, the line alone would ignore a real change in it
    level = math.exp(0.5 * float(y[-1]) + 0.5 * float(intercept))
    return Reconciled(level, level_sd, inflation, post_se, last, years, ratios)


# -- one council's finance section ---------------------------------------------------------------

SQRT6 = math.sqrt(6.0)      # a symmetric triangular distribution of half-width h has sd h / sqrt(6)


def _triangle(key: str, mode: float, log_sd: float, why: str, floor: float = 0.0) -> dict:
    half = SQRT6 * log_sd
    return {"key": key, "low": round(max(mode * math.exp(-half), floor), 4), "mode": round(mode, 4),
            "high": round(mode * math.exp(half), 4), "source": why}


@dataclass
class CouncilMoney:
    """A council's `finance` section, its uncertainty entries and where each figure came from."""

    finance: dict
    uncertainty: list[dict]
    sources: list[str]
    costs_basis: str             # "own outturn" or "template": what the unit costs rest on


def fy(year: int) -> str:
    return f"{year}-{(year + 1) % 100:02d}"


def council_money(history, origin: int, template_finance: dict, template_caseload: float,
                  data_dir=None) -> CouncilMoney:
    """The council's finance at the January census of `origin`, from what was published by then.

    `history` is the council's `CouncilHistory`; `template_finance` the template's finance
    section (its costs stand in before the council's own lines are published)."""
    la, origin = history.la, int(origin)
    src: list[str] = []
    caseload = history.caseload[history.caseload.index <= origin]
    spend = history.money["high_needs_spend"] if "high_needs_spend" in history.money else pd.Series(dtype=float)
    spend = spend[spend.index <= origin - 1]
    now = float(caseload.loc[origin, list(SETTINGS)].fillna(0.0).sum()) if origin in caseload.index else 0.0
    costs = None
    if outturn_known(BENCHMARK_FY, origin):
        try:
            from ..data.history import statistical_neighbours
            row = fin.high_needs_benchmarking_2122(la, data_dir)
            nbrs = []
            for nb in statistical_neighbours(la, data_dir):
                try:
                    nbrs.append(fin.high_needs_benchmarking_2122(nb, data_dir))
                except Exception:   # noqa: BLE001 - a neighbour without a row is left out
                    continue
            costs = unit_costs_from_outturn(row, nbrs, national_costs(data_dir))
        except Exception as exc:    # noqa: BLE001 - fall back to the template, and say so
            src.append(f"finance.unit_cost_gbp_per_year: the {BENCHMARK_FY} benchmarking lines "
                       f"could not be used ({type(exc).__name__}: {exc}); template instead")
    if costs is None:
        costs = template_costs(template_finance, now, template_caseload)
        if not outturn_known(BENCHMARK_FY, origin):
            src.append(f"finance.unit_cost_gbp_per_year: the template's costs by setting (the "
                       f"council's own {BENCHMARK_FY} lines are published only after January "
                       f"{BENCHMARK_ENDS + 1}), scaled to its own section 251 net spend")
    prior = float(template_finance["inflation_per_year"])
    rec = reconcile(costs, caseload, spend, origin, prior)
    uncertainty: list[dict] = []
    if rec is None:
        level, inflation, price_fy = 1.0, prior, costs.price_fy
        src.append("finance.cost_level: no section 251 outturn to reconcile with: costs as "
                   "derived, the template's inflation")
    else:
        level, inflation, price_fy = rec.level, rec.inflation, fy(rec.last_fy_end - 1)
        shown = ", ".join(f"{fy(y - 1)} {r:.3f}" for y, r in zip(rec.years, rec.ratios))
        src.append(f"finance.unit_cost_gbp_per_year: scaled by {level:.3f} so that the caseload "
                   f"at the middle of {price_fy} (censuses interpolated) x the costs + fixed "
                   f"lines reproduces section 251 net high-needs spend {fy(rec.last_fy_end - 1)} "
                   f"(published / model by year: {shown})")
        src.append(f"finance.inflation_per_year: {inflation:.4f}, the council's own growth of cost "
                   f"per child over {fy(rec.years[0] - 1)} to {price_fy} (slope of the log ratios "
                   f"above, shrunk towards the template's {prior:.3f} by precision)")
        uncertainty.append(_triangle("finance.cost_level", 1.0, rec.level_sd,
                                     "scatter of the published / model ratios about their line "
                                     "(section 251 reconciliation), as a prediction, and how far "
                                     "councils' cost levels move in a year (LEVEL_DRIFT_SD)", 0.1))
        half = SQRT6 * rec.inflation_se
        uncertainty.append({"key": "finance.inflation_per_year", "mode": round(inflation, 5),
                            "low": round(max(inflation - half, -0.2), 5),
                            "high": round(min(inflation + half, 0.5), 5),
                            "source": "standard error of the council's own cost growth, and a "
                                      "fifth of the yearly drift of cost levels"})
    unit = {s: round(costs.unit[s].value * level, 2) for s in SETTINGS}
    place = {s: round(min(v * level, unit[s]), 2) for s, v in costs.place.items() if v > 0}
    fixed = {k: round(l.value * level, 2) for k, l in costs.fixed.items()}
    basis = [f"{s}: {costs.unit[s].basis}" for s in SETTINGS]
    basis += [f"{k}: {l.basis}" for k, l in costs.fixed.items()]
    for s in SETTINGS:
        line = costs.unit[s]
        if line.basis == "neighbours" and line.log_sd > 0 and unit[s] > 0:
            uncertainty.append(_triangle(f"finance.unit_cost_gbp_per_year.{s}", unit[s], line.log_sd,
                                         "spread of the statistical neighbours' costs",
                                         place.get(s, 0.0)))
    src.append("finance.unit_cost_gbp_per_year: by setting, " + "; ".join(
        f"{s} {unit[s]:,.0f} ({costs.unit[s].basis}: {costs.unit[s].note})" for s in SETTINGS))
    src.append("finance.place_funding_gbp_per_year: the council's own place funding lines over "
               "its placements (maintained special schools, units, FE); inside the unit costs, "
               "outside section 251 net spend")
    src.append("finance.fixed_spend_gbp_per_year: " + "; ".join(
        f"{k} {fixed[k]:,.0f} ({l.basis})" for k, l in costs.fixed.items()))
    income, growth = _income(la, origin, data_dir, template_finance, src)
    opening_fy, balance, previous = _opening(history, la, origin, data_dir, src)
    finance = {
        "unit_cost_gbp_per_year": unit, "place_funding_gbp_per_year": place,
        "price_base_fy": price_fy, "inflation_per_year": round(inflation, 5),
        "inflation_by_setting": {}, "cost_level": 1.0,
        "fixed_spend_gbp_per_year": fixed, "hnb_income_gbp": income,
        "hnb_growth_per_year": growth,
        "schools_block_transfer_gbp": {}, "schools_block_transfer_after_gbp": 0.0,
        "la_contribution_gbp": {}, "safety_valve_payments": [],
        "opening_cumulative_balance_gbp": round(balance, 2), "opening_balance_fy": opening_fy,
        "previous_census_by_setting": previous,
        "statutory_override_end": template_finance["statutory_override_end"],
        "general_fund_reserves_gbp": 0.0, "capital_cost_gbp_per_place": {},
        "cost_basis": basis,
    }
    src.append("finance.inflation_by_setting: none: section 251 publishes one year by line "
               "(2021-22), so no setting's own rate; every setting at the council's own rate")
    src.append(f"finance.price_base_fy: {price_fy}, the last financial year whose outturn the "
               "costs are reconciled with")
    src.append("finance.cost_level: 1 (the reconciled level is in the unit costs); drawn each "
               "replication from the reconciliation's scatter (uncertainty)")
    src.append("finance.cost_basis: what each line rests on (own outturn, neighbours, template, "
               "assumption), for the reports")
    src.append("finance.capital_cost_gbp_per_place: none published per council; a scenario's "
               "project gives its own")
    src.append("finance.general_fund_reserves_gbp: not in the published data: 0 unless the "
               "council's own papers give it")
    main = "own outturn" if any(costs.unit[s].basis == "own outturn" for s in SETTINGS) else "template"
    return CouncilMoney(finance, uncertainty, merged(src), main)


def merged(lines: list[str]) -> list[str]:
    """Source lines with one entry per key, in first-seen order (texts joined by '; ')."""
    out: dict[str, list[str]] = {}
    for line in lines:
        key, _, text = line.partition(": ")
        out.setdefault(key, []).append(text)
    return [f"{k}: {'; '.join(v)}" for k, v in out.items()]


def _income(la, origin, data_dir, template_finance, src) -> tuple[dict, float]:
    try:
        alloc = fin.dsg_allocations(la.new_code, data_dir)["high_needs_block_after"].dropna()
    except Exception:   # noqa: BLE001 - say so, and use nothing
        alloc = pd.Series(dtype=float)
    known = {k: round(float(v), 2) for k, v in alloc.items() if allocation_known(k, origin)}
    if not known:
        src.append("finance.hnb_income_gbp: no ESFA allocation for this council: 0")
        return {fy(origin): 0.0}, float(template_finance["hnb_growth_per_year"])
    years = sorted(known)
    rates = [known[b] / known[a] - 1 for a, b in zip(years, years[1:])][-3:]
    growth = float(template_finance["hnb_growth_per_year"])
    src.append(f"finance.hnb_income_gbp: ESFA DSG allocations, high needs block after deductions "
               f"(the place funding the ESFA pays academies and colleges directly never passes "
               f"through the council, and section 251 leaves it out too), {years[0]} to "
               f"{years[-1]}, the years announced by January {origin}")
    own = f" (its own allocations grew {np.mean(rates):.1%} a year over the last {len(rates)})" if rates else ""
    src.append(f"finance.hnb_growth_per_year: {growth}, the template's (a national funding "
               f"assumption, not the council's to choose){own}")
    return known, growth


def _opening(history, la, origin, data_dir, src) -> tuple[str, float, dict]:
    """(opening_balance_fy, balance, previous census) at the last published 31 March."""
    caseload = history.caseload
    previous = {}
    if origin - 1 in caseload.index:
        row = caseload.loc[origin - 1]
        previous = {s: int(round(float(row[s]))) for s in SETTINGS if not pd.isna(row.get(s))}
    try:
        published = fin.dsg_cumulative_balance(la.new_code, data_dir).dropna()
    except Exception:   # noqa: BLE001
        published = pd.Series(dtype=float)
    src.append(f"finance.previous_census_by_setting: the January {origin - 1} census by setting"
               if previous else "finance.previous_census_by_setting: none published")
    usable = [k for k in published.index if outturn_known(k, origin)]
    if usable:
        k = max(usable, key=lambda x: int(x[:4]))
        start = census_day(origin)
        if int(k[:4]) + 1 == origin - 1 and previous:
            src.append(f"finance.opening_cumulative_balance_gbp: the DSG cumulative balance at "
                       f"31 March {origin - 1} (the dashboard's % of income x total DSG), the last "
                       f"published before January {origin}; {fy(origin - 1)} is simulated, its "
                       f"months before the start priced on the caseload between the January "
                       f"{origin - 1} and {origin} censuses")
            src.append(f"finance.opening_balance_fy: {k}, the balance's financial year")
            return k, float(published[k]), previous
        src.append("finance.opening_balance_fy: empty (see opening_cumulative_balance_gbp)")
        src.append(f"finance.opening_cumulative_balance_gbp: the balance at the end of {k}, the "
                   f"last published, is more than a year before {start}: held as the balance at "
                   "the 31 March before the first whole financial year simulated")
        return "", float(published[k]), previous
    src.append("finance.opening_cumulative_balance_gbp: assumption: 0, no balance published by "
               f"January {origin}")
    src.append("finance.opening_balance_fy: empty: no balance published")
    return "", 0.0, previous
