"""A back-test: calibrate each council on what was published by the origin, forecast with the
full simulation, and score the forecast and the naive baselines against what came after.

Steps, each council independent:

1. history up to the origin (`CouncilHistory.until`): the January census at the origin and
   calendar-year flows to the year before;
2. calibrate (`sendsim.calibration.calibrate`): parameters plus posterior draws;
3. simulate `reps` replications over the horizon on the experiment runner (all councils' runs
   share one process pool; each replication takes a posterior row);
4. quantiles of each measure at each horizon (`FORECAST_COLUMNS`), the baselines, the actuals
   where published, and the scores.

Data after the origin cannot reach a forecast: calibration sees `history.until(origin)` only,
the baselines refuse later values, and `tests/backtest/test_backtest_leakage.py` checks that a data folder
truncated at the origin gives identical forecasts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import platform
import shutil
import time
import traceback
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sendsim import __version__
from sendsim.calibration.calibrate import calibrate
from sendsim.data.files import find_data_dir
from sendsim.data.history import MEASURES, MONEY_MEASURES, PLACEMENT_GROUPS, load_history
from sendsim.errors import SendsimError
from sendsim.experiment.run import default_workers, run_experiment
from sendsim.folders import (MARKER, OutputLock, claim_folder, clear_folder, inside, lock_path_for, marker,
                      move_into_place, staging_dir, sweep)
from sendsim.scenario.definition import Scenario
from sendsim.backtest.baselines import FORECAST_COLUMNS, baseline_forecasts, is_signed, known_history, target_year
from sendsim.backtest.charts import plot_council, plot_coverage, plot_errors
from sendsim.backtest.scores import headline_markdown, score, summary, summary_by_measure

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
#: The model's census columns summed into each placement group scored.
GROUPS = {f"caseload_{g}": settings for g, settings in PLACEMENT_GROUPS.items()}
FLOW_COLUMNS = {"requests": "requests_received_in_year", "new_plans": "new_ehc_plans",
                "ceased_plans": "total_ceased"}
#: The model's financial-year columns for each money measure: spend without the place funding
#: the council pays (section 251 net spend leaves it out), and the balance at 31 March.
MONEY_COLUMNS = {"high_needs_spend": "net_high_needs_spend", "dsg_cumulative_balance": "cumulative_balance"}
assert MEASURES == ("caseload_total", *GROUPS, *FLOW_COLUMNS, *MONEY_COLUMNS)   # the tables cover them

#: A fan chart per council when at most this many are back-tested (152 would be a folder of them).
COUNCIL_CHARTS_UP_TO = 20
#: Discrepancy draws per replication: enough that they do not move the median.
DISCREPANCY_DRAWS = 50


class BacktestError(SendsimError, ValueError):
    """A back-test that cannot start: bad arguments or an output folder in the way."""

    def __init__(self, message: str, where: str = "", allowed: str = ""):
        super().__init__(where, message, allowed)


#: What a back-test folder holds besides sendsim's marker.
CONTENTS = ("forecasts.csv", "scores_by_council.csv", "summary.csv", "summary_by_measure.csv",
            "skipped.csv", "summary.md", "calibrations", "plots", "manifest.json")


@dataclass
class BacktestResult:
    forecasts: pd.DataFrame
    scored: pd.DataFrame
    summary: pd.DataFrame
    summary_by_measure: pd.DataFrame
    skipped: pd.DataFrame
    timings: dict = field(default_factory=dict)
    folder: Path | None = None


# -- one council's calibration, in a worker -----------------------------------------------------

def _calibrate_one(la_code: str, data_dir, origin: int, seed: int, abc_settings: dict):
    try:
        history = load_history(la_code, data_dir)
        cal = calibrate(history, origin, seed=seed, data_dir=data_dir, **abc_settings)
        return {"ok": True, "cal": cal}
    except SendsimError as exc:   # refused: too small, not published, unknown council
        la = getattr(exc, "la", None)
        return {"ok": False, "la_code": getattr(la, "new_code", None) or la_code,
                "reason": f"{type(exc).__name__}: {exc.line()}", "trace": "",
                "short": f"{exc.where}: {exc.what}" if exc.where else exc.what,
                "allowed": exc.allowed}
    except Exception as exc:   # noqa: BLE001 - one council's missing data must not stop the rest
        return {"ok": False, "la_code": la_code, "reason": f"{type(exc).__name__}: {exc}",
                "trace": traceback.format_exc(limit=3)}


def forecast_rows(ensemble, la_code: str, la_name: str, origin: int, horizons: list[int],
                  start_date: dt.date, history=None, seed: int = 0) -> pd.DataFrame:
    """Quantiles of each measure at each horizon from one council's replications."""
    census = ensemble.census.copy()
    census["year"] = pd.to_datetime(census["census_date"]).dt.year
    values: dict[tuple[str, int], np.ndarray] = {}
    for h in horizons:
        year = target_year("caseload_total", origin, h)
        rows = census[census["year"] == year].sort_values("rep")
        if rows.empty:
            continue
        values[("caseload_total", h)] = rows["ehcplans"].to_numpy(float)
        for measure, settings in GROUPS.items():
            values[(measure, h)] = rows[[f"setting_{s}" for s in settings]].sum(axis=1).to_numpy(float)
    cal = ensemble.calendar_year.copy()
    cal["year"] = cal["time_period"].astype(int)
    for h in horizons:
        year = target_year("requests", origin, h)
        rows = cal[cal["year"] == year].sort_values("rep")
        if rows.empty:
            continue
        # The first calendar year starts on census day: scale its flows up to the whole year.
        scale = 1.0
        if year == start_date.year:
            days = (dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days
            scale = days / (dt.date(year + 1, 1, 1) - start_date).days
        for measure, col in FLOW_COLUMNS.items():
            values[(measure, h)] = rows[col].to_numpy(float) * scale
    fy = ensemble.financial_year
    if not fy.empty:
        fy = fy.assign(year=[int(str(label)[:4]) + 1 for label in fy["financial_year"]])
        for h in horizons:
            for measure, col in MONEY_COLUMNS.items():
                rows = fy[fy["year"] == target_year(measure, origin, h)].sort_values("rep")
                if not rows.empty:          # a financial year the run covers whole
                    values[(measure, h)] = rows[col].to_numpy(float)
    out = []
    for (measure, h), v in values.items():
        rows = {"sendsim_raw": v}
        if history is not None:
            s = discrepancy_sd(history.series(measure), measure, origin)
            z = np.random.default_rng([seed, origin, MEASURES.index(measure), h,
                                       int("".join(ch for ch in la_code if ch.isdigit()) or 0)]
                                      ).standard_normal((len(v), DISCREPANCY_DRAWS))
            if is_signed(measure):
                rows["sendsim"] = (v[:, None] + s * np.sqrt(h) * z).ravel()
            else:
                rows["sendsim"] = (v[:, None] * np.exp(s * np.sqrt(h) * z)).ravel()
        for method, vals in rows.items():
            q = np.quantile(vals, QUANTILES)
            out.append({"la_code": la_code, "la_name": la_name, "origin": origin, "measure": measure,
                        "horizon": h, "year": target_year(measure, origin, h), "method": method,
                        **{f"q{int(p * 100):02d}": float(x) for p, x in zip(QUANTILES, q)}})
    return pd.DataFrame(out, columns=FORECAST_COLUMNS)


def discrepancy_sd(series: pd.Series, measure: str, origin: int, years: int = 6) -> float:
    """Model discrepancy: the spread of the measure's year-on-year log growth in the council's
    own history before the origin. The engine's intervals carry process, parameter and trend
    uncertainty, not the error of its template behaviour (placement, ceasing); each replication
    is multiplied by exp(sd x sqrt(h) x z) so the published intervals carry it too. The engine's
    own intervals are kept as method ``sendsim_raw``."""
    known = known_history(series, measure, origin).dropna()
    if is_signed(measure):                   # a balance: the spread of its yearly changes
        known = known.tail(years + 1)
        return float(np.std(np.diff(known.to_numpy(float)), ddof=1)) if len(known) >= 4 else 0.0
    known = known[known > 0].tail(years + 1)
    if len(known) < 4:
        return 0.0
    g = np.diff(np.log(known.to_numpy(float)))
    return float(np.std(g, ddof=1))


def actual_rows(history, measures=MEASURES) -> pd.DataFrame:
    rows = []
    for m in measures:
        s = history.series(m)
        for year, v in s.items():
            rows.append({"la_code": history.la.new_code, "measure": m, "year": int(year),
                         "actual": float(v)})
    return pd.DataFrame(rows, columns=["la_code", "measure", "year", "actual"])


# -- the whole back-test ------------------------------------------------------------------------

def backtest(councils: list, origin: int, horizon: int, reps: int, seed: int = 2023,
             data_dir=None, out: str | Path | None = None, overwrite: bool = False,
             workers: int | None = None, executor: Executor | None = None,
             progress: bool = True, abc_settings: dict | None = None,
             log=print) -> BacktestResult:
    """Back-test `councils` (codes or names) from January `origin` over `horizon` years."""
    if horizon < 1:
        raise BacktestError(f"--horizon must be at least 1 (got {horizon})")
    if reps < 2:
        raise BacktestError(f"--reps must be at least 2 for intervals (got {reps})")
    data_dir = find_data_dir(data_dir)
    folder = Path(out) if out is not None else None
    if folder is None:
        return _backtest(councils, origin, horizon, reps, seed, data_dir, None, overwrite,
                         workers, executor, progress, abc_settings)
    _claim(folder, overwrite)                                   # refused before any work
    with OutputLock(lock_path_for(folder), folder, "back-test"):
        sweep(folder.parent)           # staging folders of back-tests that were killed
        return _backtest(councils, origin, horizon, reps, seed, data_dir, folder, overwrite,
                         workers, executor, progress, abc_settings)


def _backtest(councils, origin, horizon, reps, seed, data_dir, folder, overwrite, workers,
              executor, progress, abc_settings) -> BacktestResult:
    horizons = list(range(1, horizon + 1))
    abc_settings = abc_settings or {}
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    workers = default_workers() if workers is None else max(1, workers)

    codes = [c.new_code if hasattr(c, "new_code") else str(c) for c in councils]
    own = None
    pool = executor
    if pool is None and workers > 1:
        pool = own = ProcessPoolExecutor(max_workers=workers)
    try:
        results = _map(pool, _calibrate_one, [(c, str(data_dir), origin, seed, abc_settings)
                                              for c in codes], progress, "calibrating")
    finally:
        if own is not None:
            own.shutdown()
    timings["calibration_seconds"] = round(time.perf_counter() - t0, 1)
    cals = [r["cal"] for r in results if r["ok"]]
    skipped = pd.DataFrame([{"la_code": r["la_code"], "stage": "calibration", "reason": r["reason"]}
                            for r in results if not r["ok"]], columns=["la_code", "stage", "reason"])
    if not cals:
        failed = [r for r in results if not r["ok"]]
        advice = {r.get("allowed", "") for r in failed}
        raise BacktestError(
            "no council could be calibrated: " + " | ".join(
                r.get("short") or f"{r['la_code']}: {r['reason']}" for r in failed),
            "--la" if len(failed) < 5 else "councils",
            advice.pop() if len(advice) == 1 and "" not in advice else
            "leave out or correct each council named, for the reason given")
    scenarios = [Scenario(name=c.la_code, title=c.la_name, parameters=c.parameters,
                          posterior_draws=tuple(dict(r) for r in c.draws.to_dict("records")))
                 for c in cals]
    t1 = time.perf_counter()
    years = horizon + 0.02
    result = run_experiment(scenarios, reps, seed, years=years, executor=executor,
                            workers=workers, progress=progress)
    timings["simulation_seconds"] = round(time.perf_counter() - t1, 1)

    forecasts, actuals, known = [], [], {}
    for cal in cals:
        history = load_history(cal.la_code, data_dir)
        forecasts.append(forecast_rows(result[cal.la_code], cal.la_code, cal.la_name, origin,
                                       horizons, cal.parameters.council.start_date,
                                       history=history.until(origin), seed=seed))
        for m in MEASURES:
            forecasts.append(baseline_forecasts(history.series(m), origin, m, horizons,
                                                la_code=cal.la_code, la_name=cal.la_name))
        actuals.append(actual_rows(history))
        if len(cals) <= COUNCIL_CHARTS_UP_TO:
            known[cal.la_code] = {m: history.until(origin).series(m) for m in MEASURES}
    fc = pd.concat(forecasts, ignore_index=True)
    act = pd.concat(actuals, ignore_index=True)
    scored = score(fc, act)
    # The headline pools the EHC-plan measures, as it always has; money is read by measure
    # (`summary_by_measure`), so a spend error cannot move or hide in the caseload figures.
    summ = summary(scored[~scored["measure"].isin(MONEY_MEASURES)])
    by_measure = summary_by_measure(scored)
    timings["total_seconds"] = round(time.perf_counter() - t0, 1)
    res = BacktestResult(forecasts=fc, scored=scored, summary=summ, summary_by_measure=by_measure,
                         skipped=skipped, timings=timings)
    if folder is not None:
        res.folder = write_backtest(res, cals, folder, overwrite=overwrite, known=known, actuals=act,
                                    manifest={
            "sendsim_version": __version__, "origin": f"{origin}-01", "horizon_years": horizon,
            "reps": reps, "root_seed": seed, "councils_requested": len(codes),
            "councils_calibrated": len(cals), "workers": workers,
            "abc_settings": abc_settings, "data_dir": str(data_dir),
            "data_files": data_files(data_dir), "python": platform.python_version(),
            "finished": dt.datetime.now().isoformat(timespec="seconds"), "timings": timings})
    return res


def _map(pool, fn, args_list, progress: bool, desc: str) -> list:
    from tqdm import tqdm
    bar = tqdm(total=len(args_list), desc=desc, unit="council", disable=not progress)
    out = [None] * len(args_list)
    try:
        if pool is None:
            for i, a in enumerate(args_list):
                out[i] = fn(*a)
                bar.update(1)
        else:
            futures = {pool.submit(fn, *a): i for i, a in enumerate(args_list)}
            from concurrent.futures import as_completed
            for fut in as_completed(futures):
                out[futures[fut]] = fut.result()
                bar.update(1)
    finally:
        bar.close()
    return out


def data_files(data_dir) -> list[dict]:
    """Each data file read, with its size and SHA-256: the provenance of the figures."""
    rows = []
    for sub in ("dfe_ehcp_2025_release", "dfe_ehcp_2022_release", "dfe_statistical_neighbours",
                "esfa_dsg_allocations", "dfe_send_ap_inclusion_dashboard"):
        for p in sorted((Path(data_dir) / sub).glob("*.csv*")):
            rows.append({"file": f"{sub}/{p.name}", "bytes": p.stat().st_size,
                         "sha256": hashlib.sha256(p.read_bytes()).hexdigest()})
    return rows


def _claim(folder: Path, overwrite: bool) -> str:
    state = claim_folder(folder, "backtest", overwrite, CONTENTS)
    if state == "resume":
        raise BacktestError("already holds a back-test", f"--out {folder}", "choose another "
                            "folder, or pass --overwrite to replace it")
    return state


def write_backtest(res: BacktestResult, cals: list, folder: Path, overwrite: bool,
                   manifest: dict, known: dict | None = None, actuals=None) -> Path:
    """Write the back-test folder whole, or not at all (a staging folder, then a rename);
    an existing folder is replaced only if it is a sendsim back-test (`claim_folder`)."""
    folder = Path(folder)
    tmp = staging_dir(folder.parent)
    try:
        (tmp / MARKER).write_text(json.dumps(marker("backtest"), indent=2), encoding="utf-8")
        res.forecasts.to_csv(tmp / "forecasts.csv", index=False)
        res.scored.to_csv(tmp / "scores_by_council.csv", index=False)
        res.summary.to_csv(tmp / "summary.csv", index=False)
        res.summary_by_measure.to_csv(tmp / "summary_by_measure.csv", index=False)
        res.skipped.to_csv(tmp / "skipped.csv", index=False)
        (tmp / "summary.md").write_text(
            f"# Back-test from January {manifest['origin'][:4]}, {manifest['reps']} replications\n\n"
            + headline_markdown(res.summary) + "\n", encoding="utf-8")
        cal_dir = tmp / "calibrations"
        cal_dir.mkdir()
        for c in cals:
            inside(cal_dir, f"{c.la_code}.json").write_text(json.dumps(c.summary(), indent=1, default=str),
                                                       encoding="utf-8")
        plots = tmp / "plots"
        plots.mkdir()
        scored = res.scored[res.scored["scored"].astype(bool)] if "scored" in res.scored else res.scored
        if len(scored):
            plot_errors(res.scored, plots / "errors.png")
            plot_coverage(res.summary, plots / "coverage.png")
        for code, series in (known or {}).items():
            plot_council(res.forecasts[res.forecasts["la_code"] == code], series, actuals,
                         inside(plots, f"council_{code}.png"), la_code=code)
        manifest = dict(manifest, skipped=len(res.skipped))
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        if _claim(folder, overwrite) == "new" and folder.exists():
            clear_folder(folder, ())            # an empty folder, or only sendsim's litter
            folder.rmdir()
        move_into_place(tmp, folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return folder
