"""Parameters for any English council at any January origin, from its published history.

What the history gives directly is taken from it: the start caseload by setting and age, the
request level, refusal and not-issued rates, assessments completed (EP capacity), assessments in
progress, the placement mix of new plans, ceasing and transfer rates, places in use, and the
council's High Needs Block income and DSG balance. What no per-council table gives (the age
shape of requests, decision and drafting times, SEN Support prevalence and exits, phase-transfer
destinations, review step-up and step-down rates, unit costs) is taken from a template council,
the built-in Wiltshire, and scaled where a size matters; each such value says so in
``council.sources``. The demand trend and its drift, EP capacity growth, the assessments in
progress and transfers in are then fitted (`sendsim.calibration.fit`) and carried as posterior
draws, not point values.

Resident population by age is published here for Wiltshire only. Other councils get
Wiltshire's age profile scaled by the ratio of their caseloads: the request rate per 1,000 is
then fitted to the council's own requests, so requests (rate x population) are right while the
population's shape over time is Wiltshire's. Only SEN Support numbers, which nothing here
scores, depend on that proxy.

Councils too small to calibrate. `check_calibratable` refuses (`NotCalibratable`, an
`InputError`: one line, exit 2) a council with fewer than `MIN_CASELOAD` plans at the origin
census or fewer than `MIN_REQUESTS_PER_YEAR` requests a year over the fit's window, and one
whose caseload or requests are not published at all (suppressed, or the council did not exist
yet), naming the council, the series and the figures. In the published data only the Isles of
Scilly (12-16 plans, 0-3 requests a year) and the City of London (20-21 plans, 1-11 requests)
fall below; the next smallest council, Rutland, has 261 plans and 35-62 requests a year. The
calibration is refused rather than filled from statistical neighbours' pooled priors: at these
sizes the fit would return its prior (the neighbours' trend) and the derivation's rates would
rest on one or two events a year, so the files written would present other councils' dynamics
as this council's; a council of fifteen plans is better planned child by child, from
`sendsim params` with its figures set by hand.
"""

from __future__ import annotations

import copy
import datetime as dt
import math

import numpy as np
import pandas as pd

from ..codes import AGE_BANDS, CAPACITY_SETTINGS, SETTINGS
from ..councils import default_parameters
from ..data.placements import largest_remainder
from .money import council_money
from ..errors import InputError
from ..parameters import Parameters

#: Headroom over the places in use at the origin, where the council's own capacity is unknown.
PLACE_HEADROOM = 0.02
#: Reasons that leave the council's caseload without the young person leaving education.
MOVE_REASONS = ("transfer", "moved_outside_eng", "deceased")
#: Leaving reasons the template's reviews and post-19 transfer produce.
LEAVE_REASONS = ("needs_met", "he", "employ", "no_engage")
#: Non-moving ceases a year the template council (Wiltshire, January 2023) is built to produce,
#: and its 16-25 caseload then (see wiltshire.toml, reviews.cease_at_review).
TEMPLATE_LEAVING_PER_YEAR = 262.0
TEMPLATE_CASELOAD_16_25 = 1021.0

#: Fewest EHC plans at the origin census for a calibration. Below it the yearly counts the
#: derivation turns into rates per plan (ceased by reason, transfers in, the setting mix of new
#: plans) are 0 to 4 events (City of London: 21 plans, 0-4 ceased a year), so each rate rests on
#: one or two events, and the template's shares by setting and age, rounded to a few plans,
#: leave most settings empty.
MIN_CASELOAD = 100
#: Years of history the fit (`fit.py`) looks at (at most), ending the year before the origin;
#: here, below the fit, because the checks of what can be calibrated look at the same window.
WINDOW_YEARS = 6
#: Fewest requests a year (the mean over the fit's window of `WINDOW_YEARS` years before
#: the origin) for a calibration. The fit's request statistics are year-on-year log changes: a
#: count of n has a counting (Poisson) noise of about sqrt(2 / n) on a yearly log change, 0.32 at
#: 20, already beyond the widest year-to-year drift its prior allows (0.205), so at fewer the
#: fit would describe counting noise, not demand (and a year of 0 has no log at all).
MIN_REQUESTS_PER_YEAR = 20.0
#: What a refused council can do instead.
TOO_SMALL_ADVICE = (f"sendsim calibrates councils with at least {MIN_CASELOAD} plans and "
                    f"{MIN_REQUESTS_PER_YEAR:.0f} requests a year (MIN_CASELOAD, "
                    "MIN_REQUESTS_PER_YEAR in sendsim.calibration.derive); for a council this "
                    "small, write the template's parameters with `sendsim params --out FILE` and "
                    "set its caseload and rates by hand")


#: For a council with no census at all by the origin: not a small council, but one that did not
#: exist yet (formed by a reorganisation) or whose returns are all suppressed.
NO_CENSUS_ADVICE = ("an origin at or after the council's first published January census (a council "
                    "formed by a reorganisation, such as North and West Northamptonshire in April "
                    "2021, has none before it existed)")


class NotCalibratable(InputError):
    """A council whose published series are too small, too short or too suppressed to
    calibrate at an origin. `la` is the council, `series` the history column at fault."""

    def __init__(self, la, what: str, series: str = "", allowed: str = TOO_SMALL_ADVICE):
        self.la, self.series = la, series
        name = getattr(la, "name", str(la))
        code = getattr(la, "new_code", "")
        super().__init__(f"{name} ({code})" if code else name, what, allowed)

    def __reduce__(self):
        return (type(self), (self.la, self.what, self.series, self.allowed))


#: Where each series a calibration needs is published (file, column), for refusals.
PUBLISHED_AS = {
    "caseload.total": "dfe_ehcp_2025_release/caseload (ehcplans), dfe_ehcp_2022_release/"
                      "sen2_age_caseload (Total_all)",
    "flows.requests": "dfe_ehcp_2025_release/requests (requests_received_in_year), "
                      "dfe_ehcp_2022_release/sen2_mi (InreqEHC)",
    "flows.assessed_issued": "dfe_ehcp_2025_release/assessments (assess_issued), "
                             "dfe_ehcp_2022_release/sen2_mi (NewallEHC)",
}


def check_calibratable(history, origin: int) -> None:
    """Refuse (`NotCalibratable`) a council whose history at `origin` cannot be calibrated:
    no caseload published at the origin census, no requests published in the fit's window, or
    fewer than `MIN_CASELOAD` plans or `MIN_REQUESTS_PER_YEAR` requests a year."""
    la, o = history.la, int(origin)
    c = history.caseload["total"] if "total" in history.caseload else pd.Series(dtype=float)
    if o not in c.index or pd.isna(c.get(o)):
        years = [int(y) for y, v in c.items() if not pd.isna(v)]
        have = (f"census years published: {years[0]}-{years[-1]}" if years else
                "no census year published")
        raise NotCalibratable(la, f"no January {o} caseload published ({have}; looked in "
                              f"{PUBLISHED_AS['caseload.total']}, x, z, c or blank or no rows)",
                              "caseload.total", "choose an origin with a published January "
                              "census for this council" if years else NO_CENSUS_ADVICE)
    first = o - WINDOW_YEARS
    r = history.flows["requests"] if "requests" in history.flows else pd.Series(dtype=float)
    r = r[(r.index >= first) & (r.index <= o - 1)].dropna()
    if r.empty:
        raise NotCalibratable(la, f"no requests for an EHC needs assessment published in "
                              f"{first}-{o - 1} (looked in {PUBLISHED_AS['flows.requests']}: "
                              "x, z, c or blank or no rows), so there is no demand to fit",
                              "flows.requests", "choose a later origin, or check the data "
                              "folder's request tables")
    plans, per_year = float(c[o]), float(r.mean())
    few_plans, few_requests = plans < MIN_CASELOAD, per_year < MIN_REQUESTS_PER_YEAR
    if few_plans or few_requests:
        span = f"{int(r.index[0])}-{int(r.index[-1])}" if len(r) > 1 else f"{int(r.index[0])}"
        small = ([f"{plans:.0f} plans in January {o} (at least {MIN_CASELOAD} needed)"]
                 if few_plans else []) + (
                [f"{per_year:.1f} requests a year in {span} (at least "
                 f"{MIN_REQUESTS_PER_YEAR:.0f} needed)"] if few_requests else [])
        what = ("too few plans and requests" if few_plans and few_requests else
                "too few plans" if few_plans else "too few requests")
        raise NotCalibratable(la, f"{what} to calibrate: {', '.join(small)}",
                              "caseload.total" if few_plans else "flows.requests")



def census_day(year: int) -> dt.date:
    """The January school census: the third Thursday of January."""
    first = dt.date(year, 1, 1)
    first_thursday = first + dt.timedelta(days=(3 - first.weekday()) % 7)
    return first_thursday + dt.timedelta(days=14)


def fy(year: int) -> str:
    """Financial year starting in April of `year`: 2021 -> '2021-22'."""
    return f"{year}-{(year + 1) % 100:02d}"


def _last(series: pd.Series, upto: int, n: int = 1) -> pd.Series:
    s = series.dropna()
    return s[s.index <= upto].tail(n)


def _latest(series: pd.Series, upto: int) -> tuple[int, float]:
    s = _last(series, upto)
    if s.empty:
        raise ValueError(f"no figure at or before {upto}")
    return int(s.index[-1]), float(s.iloc[-1])


def assessments_started(flows: pd.DataFrame) -> pd.Series:
    """Assessments started each year: completed + the change in the stock in progress, where
    both year-end stocks are published; else requests - refusals. DfE's refusals are not the
    complement of assessments: requests refused and later agreed (a second request, mediation,
    tribunal) are counted as refused, and many councils complete more assessments than
    requests minus refusals year after year (East Sussex 2019: 592 requests, 283 refused, 409
    assessments completed, the stock in progress steady)."""
    done = flows["assessed_issued"] + flows["assessed_not_issued"].fillna(0.0)
    stock = flows["in_progress_31_dec"] if "in_progress_31_dec" in flows else pd.Series(np.nan, flows.index)
    change = stock - stock.shift(1).where(stock.index.to_series().diff() == 1)
    started = done + change
    fallback = flows["requests"] - flows["refused"]
    return started.where(started.notna(), fallback).clip(lower=0.0)


def with_starts(flows: pd.DataFrame) -> pd.DataFrame:
    """`flows` with ``started`` and ``not_started`` (requests - started, at least 0)."""
    out = flows.copy()
    out["started"] = assessments_started(flows)
    out["not_started"] = (flows["requests"] - out["started"]).clip(lower=0.0)
    return out


def smoothed_level(series: pd.Series, year: int, years: int = 5) -> float:
    """A year's level: the published count shrunk halfway (on the log scale) to the straight line
    through the last `years` years. One year's count is a noisy measure of the level (a
    panel's backlog cleared, schools closed for a pandemic); the line alone would ignore a real
    change in level. The published count itself where fewer than three years are known."""
    s = series.dropna()
    s = s[(s.index <= year) & (s > 0)].tail(years)
    last = float(s.get(year, np.nan)) if year in s.index else float(s.iloc[-1])
    if len(s) < 3:
        return last
    x = s.index.to_numpy(float)
    slope, intercept = np.polyfit(x, np.log(s.to_numpy(float)), 1)
    return float(np.exp(0.5 * np.log(last) + 0.5 * (intercept + slope * year)))


class Derivation:
    """One council's parameters at one origin; `sources` lists where each value came from."""

    def __init__(self, history, origin: int, template: Parameters | None = None, data_dir=None):
        self.h = history
        self.data_dir = data_dir
        self.origin = int(origin)
        self.t = (template or default_parameters()).to_dict()
        self.sources: list[str] = []
        self.facts: dict[str, float] = {}     # figures the fit and the report reuse

    def note(self, key: str, text: str) -> None:
        self.sources.append(f"{key}: {text}")

    # -- the pieces -----------------------------------------------------------------------------
    def start_caseload(self) -> dict[str, int]:
        o = self.origin
        if o not in self.h.caseload.index:
            raise NotCalibratable(self.h.la, f"no January {o} caseload in the data (census "
                                  f"years: {', '.join(map(str, self.h.caseload.index))})",
                                  "caseload.total", "choose an origin with a published census")
        row = self.h.caseload.loc[o]
        by_setting = {s: int(round(0.0 if pd.isna(row.get(s)) else float(row[s]))) for s in SETTINGS}
        total = int(round(float(row["total"]))) if not pd.isna(row.get("total")) else sum(by_setting.values())
        if sum(by_setting.values()) == 0:
            raise NotCalibratable(self.h.la, f"the January {o} caseload has no figures by setting "
                                  "(every placement cell x, z, c or blank)", "caseload")
        self.facts["caseload"] = float(sum(by_setting.values()))
        self.facts["caseload_published_total"] = float(total)
        self.note("start_state.caseload_by_setting",
                  f"January {o} census, {sum(by_setting.values())} plans by setting "
                  f"(published total {total}); cells not published (x, c) taken as 0 "
                  "(sendsim.data.placements reconciles the settings to the total)")
        return by_setting

    def start_ages(self, total: int) -> dict[str, int]:
        ages = self.h.caseload_by_age
        ages = ages[ages.index <= self.origin].dropna(subset=list(AGE_BANDS), how="any")
        if ages.empty:
            shares = dict(self.t["start_state"]["caseload_by_age_band"])
            self.note("start_state.caseload_by_age_band",
                      "template: no published caseload by age for this council; Wiltshire's shares")
        else:
            year = int(ages.index[-1])
            shares = {b: float(ages.loc[year, b]) for b in AGE_BANDS}
            self.note("start_state.caseload_by_age_band",
                      f"age shares of the January {year} caseload (latest published by age) "
                      f"applied to the January {self.origin} total, largest-remainder rounding")
        out = largest_remainder(shares, total)
        self.facts["caseload_16_25"] = float(out["16_19"] + out["20_25"])
        return out

    def population(self, scale: float) -> dict[str, list[float]]:
        proj = {y: [v * scale for v in vals] for y, vals in self.t["population"]["projection"].items()}
        first = min(int(y) for y in proj)
        for y in range(self.origin - 2, first):
            proj[str(y)] = list(proj[str(first)])
        self.note("population.projection",
                  f"proxy: Wiltshire's ONS 2022-based projection x {scale:.4f} (this council's "
                  f"January {self.origin} caseload / Wiltshire's January 2023 caseload); years "
                  f"before {first} held at {first}. Only the shape matters: the request rate is "
                  "fitted to this council's own requests")
        return dict(sorted(proj.items()))

    def latest(self, column: str, series: pd.Series, what: str) -> tuple[int, float]:
        """The latest published figure before the origin; NotCalibratable if there is none."""
        try:
            return _latest(series, self.origin - 1)
        except ValueError:
            raise NotCalibratable(self.h.la, f"no {what} published by {self.origin - 1}",
                                  column) from None

    def requests(self, scale: float) -> dict:
        year, last = self.latest("flows.requests", self.h.flows["requests"], "requests")
        received = smoothed_level(self.h.flows["requests"], year)
        t = self.t["requests"]
        rates = np.array(t["rate_per_1000_by_age"], dtype=float)
        pop = np.array(self.t["population"]["projection"]["2022"], dtype=float) * scale
        implied = float((rates * pop).sum() / 1000.0)
        factor = received / implied
        self.facts["requests_last"] = received
        self.facts["requests_year"] = year
        self.note("requests.rate_per_1000_by_age",
                  f"level {received:.0f} requests a year in {year} (smoothed_level: {last:.0f} "
                  "received, shrunk halfway on the log scale to the line through the last five "
                  "years), spread over ages as the template (Wiltshire's age shape), divided by "
                  "the proxy population")
        out = dict(t)
        out["rate_per_1000_by_age"] = [round(r * factor, 6) for r in rates]
        out["trend_base_date"] = dt.date(year, 7, 1)
        out["trend_changes"] = []
        self.note("requests.trend_base_date", f"{year}-07-01, the middle of the year the level comes from")
        return out

    def rate(self, num: str, den_cols: tuple[str, ...], years: int = 2) -> tuple[float, float, float]:
        """(share, numerator, denominator) pooled over the last `years` years with both."""
        f = with_starts(self.h.flows)
        cols = list(dict.fromkeys([num, *den_cols]))
        if any(c not in f.columns for c in cols):
            return math.nan, 0.0, 0.0
        rows = f.loc[f.index <= self.origin - 1, cols].dropna().tail(years)
        if rows.empty:
            return math.nan, 0.0, 0.0
        n = float(rows[num].sum())
        d = float(sum(rows[c].sum() for c in den_cols))
        return (n / d if d > 0 else math.nan), n, d

    def decide_to_assess(self) -> dict:
        out = dict(self.t["decide_to_assess"])
        out["no_to_assess"] = self.share("decide_to_assess.no_to_assess", "not_started", ("requests",),
                                         out["no_to_assess"], ("refused", "requests_2y"))
        return out

    def share(self, key: str, num: str, den: tuple[str, ...], template: float,
              facts: tuple[str, str]) -> float:
        """A share from the last two years' counts (the template's if none are published)."""
        share, n, d = self.rate(num, den)
        self.facts[facts[0]], self.facts[facts[1]] = n, d
        if math.isnan(share):
            self.note(key, f"template: no {num} published")
            return template
        self.note(key, f"{n:.0f} {num} of {d:.0f} ({' + '.join(den)}), last two years published; "
                  "drawn per replication from Beta(n + 1, d - n + 1), widened by the spread "
                  "between years")
        return round(min(max(share, 0.0), 0.95), 6)

    def assessment(self) -> dict:
        out = dict(self.t["assessment"])
        out["no_to_issue"] = self.share("assessment.no_to_issue", "assessed_not_issued",
                                        ("assessed_issued", "assessed_not_issued"),
                                        out["no_to_issue"], ("not_issued", "assessed_2y"))
        f = self.h.flows
        completed = (f["assessed_issued"] + f["assessed_not_issued"].fillna(0.0)).dropna()
        year, done = self.latest("flows.assessed_issued", completed, "assessments completed")
        self.facts["completed_last"] = done
        out["ep_advices_per_month"] = round(done / 12.0, 3)
        self.note("assessment.ep_advices_per_month",
                  f"{done:.0f} assessments completed in {year} / 12; growth after that, and the "
                  "assessments in progress at the start, are fitted (sendsim.calibration.fit)")
        out["ep_capacity_changes"] = []
        within = self.rate("issued_within_20_weeks", ("issued_20_week_den",), years=1)[0]
        if math.isnan(within):
            within = 0.5
            self.note("assessment.ep_priority_share", "assumption: 0.5, no timeliness published")
        else:
            self.note("assessment.ep_priority_share",
                      f"{within:.3f}, the share of plans issued within 20 weeks in {self.origin - 1}")
        self.facts["within_20_weeks"] = within
        out["ep_priority_share"] = round(min(max(within, 0.0), 1.0), 6)
        return out

    def new_plan_mix(self) -> dict:
        t = self.t["placement"]["new_plan_mix"]
        f = self.h.flows
        cols = [f"new_plans_{s}" for s in SETTINGS]
        if not all(c in f.columns for c in cols):
            self.note("placement.new_plan_mix", "template: no new plans by setting")
            return copy.deepcopy(t)
        rows = f.loc[f.index <= self.origin - 1, cols].dropna(how="all").tail(2).fillna(0.0)
        la = {s: float(rows[f"new_plans_{s}"].sum()) for s in SETTINGS}
        total = sum(la.values())
        if total <= 0:
            self.note("placement.new_plan_mix", "template: no new plans by setting")
            return copy.deepcopy(t)
        band_weight = {"under_5": 0.2, "5_10": 0.4, "11_15": 0.3, "16_19": 0.08, "20_25": 0.02}
        tmpl = {s: sum(band_weight[b] * t[b].get(s, 0.0) for b in AGE_BANDS) for s in SETTINGS}
        out = {}
        for b in AGE_BANDS:
            w = {s: v * ((la[s] / total + 0.005) / (tmpl[s] + 0.005)) for s, v in t[b].items()}
            z = sum(w.values())
            out[b] = closed({s: v / z for s, v in w.items()})
        years = ", ".join(map(str, rows.index))
        self.note("placement.new_plan_mix",
                  f"the template's shares by age band, each setting reweighted by this council's "
                  f"share of new plans in {years} ({total:.0f} plans) over the template's")
        return out

    def places(self, caseload: dict[str, int]) -> dict[str, float]:
        out = {s: float(math.ceil(caseload[s] * (1 + PLACE_HEADROOM)) or 1) for s in CAPACITY_SETTINGS}
        self.note("placement.places", f"assumption: January {self.origin} occupancy plus "
                  f"{PLACE_HEADROOM:.0%} headroom")
        return out

    def place_changes(self) -> list[dict]:
        """Places keep opening as they have: each September, the mean yearly growth in
        occupancy over the last three censuses (DfE publishes no council's place plans)."""
        c = self.h.caseload
        years = [y for y in range(self.origin - 3, self.origin + 1) if y in c.index]
        out = []
        growth = {}
        for s in CAPACITY_SETTINGS:
            vals = c.loc[years, s].dropna() if s in c else pd.Series(dtype=float)
            if len(vals) < 2:
                continue
            per_year = (vals.iloc[-1] - vals.iloc[0]) / (vals.index[-1] - vals.index[0])
            growth[s] = max(per_year, 0.0)
            if round(growth[s]) > 0:
                out += [{"date": dt.date(self.origin + i, 9, 1), "setting": s,
                         "places": int(round(growth[s])),
                         "label": f"assumption: trend growth of {s} places"} for i in range(12)]
        self.facts["place_growth"] = growth
        self.note("placement.place_changes",
                  "assumption: places open each September at the mean yearly growth of occupancy "
                  f"over the censuses {years[0]}-{years[-1]} ("
                  + ", ".join(f"{s} {g:.0f}" for s, g in growth.items()) + " a year)")
        return sorted(out, key=lambda r: (r["date"], r["setting"]))

    def leaving_factor(self) -> float:
        """This council's non-moving ceases per 16-25 plan, over the template's."""
        f = self.h.flows
        total = _last(f["ceased"], self.origin - 1, 2) if "ceased" in f else pd.Series(dtype=float)
        if total.empty:
            self.note("reviews.cease_at_review", "template: no ceased plans published")
            return 1.0
        moving = sum(f.loc[total.index, f"ceased_{r}"].fillna(0.0) for r in MOVE_REASONS
                     if f"ceased_{r}" in f)
        leaving = float((total - moving).sum()) / len(total)
        rate = leaving / max(self.facts["caseload_16_25"], 1.0)
        factor = rate / (TEMPLATE_LEAVING_PER_YEAR / TEMPLATE_CASELOAD_16_25)
        factor = min(max(factor, 0.2), 3.0)
        self.facts["leaving_per_year"] = leaving
        self.note("reviews.cease_at_review",
                  f"template's review-ceasing probabilities x {factor:.3f} = this council's "
                  f"ceases other than moves ({leaving:.0f} a year, {', '.join(map(str, total.index))}) "
                  f"per 16-25 plan, over the template's ({TEMPLATE_LEAVING_PER_YEAR:.0f} of "
                  f"{TEMPLATE_CASELOAD_16_25:.0f}); bounded to [0.2, 3]")
        return factor

    def ceasing(self, caseload: float) -> dict:
        f = self.h.flows
        out = {}
        total = _last(f["ceased"], self.origin - 1, 2) if "ceased" in f else pd.Series(dtype=float)
        template = self.t["ceasing"]["rate_per_year"]
        for reason in MOVE_REASONS:
            col = f"ceased_{reason}"
            s = f.loc[total.index, col].dropna() if col in f and not total.empty else pd.Series(dtype=float)
            if s.empty:
                out[reason] = dict(template[reason])
                continue
            rate = float(s.mean()) / max(caseload, 1.0)
            out[reason] = {b: round(rate, 6) for b in AGE_BANDS}
            self.facts[f"ceased_{reason}"] = float(s.mean())
        self.note("ceasing.rate_per_year",
                  "plans transferred out, moved outside England and deceased a year (mean of the "
                  "last two years published) / the start caseload, the same in every age band; "
                  "template where not published")
        return out

    def transfers_in(self) -> float:
        """Plans transferred in a year: caseload change - new plans + ceased (identity)."""
        c = self.h.caseload["total"].dropna()
        f = self.h.flows
        values = []
        for y in range(self.origin - 3, self.origin):
            if y in c.index and y + 1 in c.index and y in f.index:
                new, ceased = f.at[y, "assessed_issued"], f.at[y, "ceased"] if "ceased" in f else np.nan
                if "new_plans" in f and not pd.isna(f.at[y, "new_plans"]):
                    new = f.at[y, "new_plans"]
                if not (pd.isna(new) or pd.isna(ceased)):
                    values.append(float(c[y + 1] - c[y] - new + ceased))
        self.facts["transfers_in_values"] = values
        return float(np.mean(values)) if values else 0.0

    def finance(self) -> dict:
        """The council's money from its own published figures (`sendsim.calibration.money`):
        unit costs from its section 251 lines where published by the origin, reconciled with its
        own net spend, income after deductions, the opening balance at the last 31 March."""
        template_caseload = float(sum(self.t["start_state"]["caseload_by_setting"].values()))
        money = council_money(self.h, self.origin, self.t["finance"], template_caseload,
                              self.data_dir)
        for line in money.sources:
            key, _, text = line.partition(": ")
            self.note(key, text)
        self.money_uncertainty = money.uncertainty
        self.facts["costs_basis"] = money.costs_basis
        return money.finance

    # -- the whole file -------------------------------------------------------------------------
    def parameters(self, leaving_factor: float | None = None) -> dict:
        """The council's parameter dictionary (before the fit's draws). `leaving_factor`, when
        given, replaces the ratio-based scaling of the template's ceasing (see
        `calibrate.tune_leaving`, which sets it from a pilot run of the engine)."""
        d = copy.deepcopy(self.t)
        o = self.origin
        la = self.h.la
        by_setting = self.start_caseload()
        total = sum(by_setting.values())
        scale = total / sum(self.t["start_state"]["caseload_by_setting"].values())
        self.facts["scale"] = scale
        by_age = self.start_ages(total)
        d["council"] = {"name": la.name, "la_code": la.new_code, "start_date": census_day(o),
                        "sources": []}
        d["population"] = {"projection": self.population(scale)}
        d["start_state"]["caseload_by_setting"] = by_setting
        d["start_state"]["caseload_by_age_band"] = by_age
        d["requests"] = self.requests(scale)
        d["decide_to_assess"] = self.decide_to_assess()
        d["assessment"] = self.assessment()
        d["placement"]["new_plan_mix"] = self.new_plan_mix()
        d["placement"]["places"] = self.places(by_setting)
        d["placement"]["place_changes"] = self.place_changes()
        factor = self.leaving_factor()
        if leaving_factor is not None:
            factor = leaving_factor
            self.note("reviews.cease_at_review (tuned)",
                      f"factor {factor:.3f} set by a pilot run of the engine so that ceases other "
                      f"than moves match {self.facts.get('leaving_per_year', float('nan')):.0f} a year")
        self.facts["leaving_factor"] = factor
        d["reviews"]["cease_at_review"], d["phase_transfer"]["into_post19"] = scaled_ceasing(
            self.t, factor)
        under5 = by_age["under_5"]
        d["reviews"]["reviews_per_month"] = round((total + under5) / 12 * 1.1, 1)
        d["reviews"]["reviews_capacity_changes"] = []
        self.note("reviews.reviews_per_month", "assumption: reviews due at the start / 12, plus 10%")
        d["ceasing"]["rate_per_year"] = self.ceasing(total)
        tin = max(self.transfers_in(), 0.0)
        d["transfers_in"] = {"per_month": round(tin / 12, 3),
                             "age_mix": {b: round(n / total, 6) for b, n in by_age.items()}}
        d["transfers_in"]["age_mix"] = closed(d["transfers_in"]["age_mix"])
        self.note("transfers_in.per_month", "caseload change - new plans + ceased, mean of up to "
                  "three years before the origin (fitted: sendsim.calibration.fit)")
        d["finance"] = self.finance()
        d["uncertainty"] = list(self.money_uncertainty)
        for k in ("sen_support", "phase_transfer.into_reception", "phase_transfer.into_secondary",
                  "phase_transfer.into_post16", "reviews.step_up", "reviews.step_down",
                  "placement.inmss_when_full", "start_state.need_mix",
                  "decide_to_assess.decision_weeks", "assessment.drafting_weeks"):
            self.note(k, "template: the built-in Wiltshire's value (no per-council table in DfE's files)")
        return d


def closed(shares: dict[str, float]) -> dict[str, float]:
    """Shares rounded to 6 places that sum to exactly 1: the rounding residue goes to the
    largest share, so no share turns negative (a council with a tiny caseload)."""
    out = {k: round(v, 6) for k, v in shares.items()}
    biggest = max(out, key=out.get)
    out[biggest] = round(1 - sum(v for k, v in out.items() if k != biggest), 6)
    return out


def scaled_ceasing(template: dict, factor: float) -> tuple[dict, dict]:
    """The template's review-ceasing probabilities (at most 0.9) and post-19 transfer table
    with ceasing for reasons other than moving scaled by `factor`."""
    reviews = {reason: {b: round(min(p * factor, 0.9), 6) for b, p in bands.items()}
               for reason, bands in template["reviews"]["cease_at_review"].items()}
    return reviews, scale_post19(template["phase_transfer"]["into_post19"], factor)


def scale_post19(table: dict, factor: float) -> dict:
    """The post-19 transfer table with each setting's ceasing shares x `factor` (total ceasing at
    most 0.95) and the shares of those who stay rescaled to fill the rest."""
    out = {}
    for frm, shares in table.items():
        cease = {k: v for k, v in shares.items() if k.startswith("cease_")}
        stay = {k: v for k, v in shares.items() if not k.startswith("cease_")}
        c_total = sum(cease.values())
        new_c = min(c_total * factor, 0.95)
        row = {k: (v / c_total * new_c if c_total else 0.0) for k, v in cease.items()}
        s_total = sum(stay.values())
        if s_total > 0:
            row.update({k: v / s_total * (1 - new_c) for k, v in stay.items()})
        elif c_total:
            row = {k: v / c_total for k, v in cease.items()}
        out[frm] = closed(row)
    return out
