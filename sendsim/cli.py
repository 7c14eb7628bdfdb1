"""The command line: `sendsim run`, `compare`, `summarise`, `check`, `params`, `calibrate`,
`backtest`."""

# sendsim's own modules are imported inside the commands on purpose, not to dodge import cycles:
# `sendsim --help` and a mistyped option then load no reports, calibration, back-tests or
# matplotlib. (The bounds of --reps, --years and --seed, imported from sendsim.experiment.run
# below, do load the engine.)

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

from sendsim import __version__
from sendsim.errors import EXIT_INTERNAL, EXIT_REFUSED, SendsimError, UsageError
from sendsim.parameters import ParameterError, Parameters, is_financial_year

#: Worker processes at most, even when asked to use more than the machine's cores.
MAX_WORKERS = 256


def _load(path: str | None) -> Parameters:
    if path is None:
        from sendsim.councils import default_parameters
        return default_parameters()
    return Parameters.from_toml(path)


def load_scenario_or_parameters(path: str | None):
    """A scenario file (it has a [scenario] table), or a plain parameter file run as it is;
    None is the built-in council."""
    from sendsim.scenario.definition import Scenario
    from sendsim.folders import check_name, safe_stem
    if path is None:
        params = _load(None)
        return Scenario.of(params, name=params.council.name.lower().replace(" ", "_"))
    if not Path(path).is_file():
        raise UsageError(str(path), "no such file" if not Path(path).exists() else "is not a file",
                         "give a scenario or parameter file (TOML)")
    import tomllib
    try:
        with open(path, "rb") as fh:
            is_scenario = "scenario" in tomllib.load(fh)
    except (OSError, ValueError):   # not UTF-8, not TOML, an integer of thousands of digits
        is_scenario = False     # let the loader below report the problem with the file's name
    if is_scenario:
        from sendsim.scenario.files import load_scenario
        s = load_scenario(path)
        check_name(s.name, "scenario name", f"{path}: scenario.name")
        return s
    params = Parameters.from_toml(path)
    return Scenario.of(params, safe_stem(Path(path).stem), Path(path).read_text(encoding="utf-8"),
                       str(path))


def _executor(args):
    """(executor or None, a function to close it) from --executor / --scheduler."""
    if args.executor == "process":
        if args.scheduler:
            raise UsageError("--scheduler", "is for --executor dask", "add --executor dask, or "
                             "leave --scheduler out")
        return None, lambda: None
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise UsageError("--executor dask", "needs Dask, which is not installed",
                         "pip install 'sendsim[dask]'") from None
    if args.scheduler:
        try:
            client = Client(args.scheduler, timeout="20s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise UsageError(f"--scheduler {args.scheduler}", f"no Dask scheduler answered "
                             f"({type(exc).__name__})", "give the address of a running "
                             "scheduler, e.g. tcp://10.0.0.5:8786") from None
        return client.get_executor(), client.close
    cluster = LocalCluster(n_workers=_workers(args) or None, threads_per_worker=1,
                           dashboard_address=None)
    client = Client(cluster)

    def close():
        client.close()
        cluster.close()
    return client.get_executor(), close


def _experiment(args, paths: list[str | None], baseline_first: bool) -> int:
    from sendsim.experiment.run import run_experiment
    from sendsim.experiment.outputs import write_summary
    from sendsim.engine.model import RunSpec
    from sendsim.folders import LOCK, OutputLock

    scenarios = [load_scenario_or_parameters(p) for p in paths]
    start = scenarios[0].parameters.council.start_date
    if args.at is not None:
        check_at_option(args.at, start, RunSpec(args.years).end_date(start))
    workers = _workers(args)
    names = "_vs_".join(s.name for s in scenarios)[:80]
    contributions = {}
    if getattr(args, "contributions", False):
        from sendsim.experiment.contributions import contribution_scenarios
        if len(scenarios) < 2:
            raise UsageError("--contributions", "needs a baseline and at least one plan",
                             "give two or more scenario files")
        for plan in scenarios[1:]:
            variants, parts = contribution_scenarios(plan, scenarios[0])
            scenarios += variants
            contributions[plan.name] = {"versus": scenarios[0].name, "parts": [
                {"scenario": v.name, "key": p.key, "label": p.label, "kind": p.kind,
                 "source": p.source} for v, p in zip(variants, parts)]}
    out = Path(args.out) if args.out else Path("sendsim-output") / f"{names}-{dt.datetime.now():%Y%m%d-%H%M%S}"
    executor, close = _executor(args)
    try:
        result = run_experiment(scenarios, reps=args.reps, seed=args.seed, years=args.years,
                                out=out, executor=executor, workers=workers,
                                chunk_size=args.chunk_size, progress=not args.quiet,
                                overwrite=args.overwrite, contributions=contributions)
    finally:
        close()
    with OutputLock(out / LOCK, out, "experiment"):
        text = write_summary(result, baseline=scenarios[0].name if baseline_first else None,
                             at=args.at)
    print(text)
    run = result.manifest["runs"][-1]
    print(f"\n{run['replications_run']} replications run in {run['seconds']:.0f} s "
          f"({run['executor']}); results in {out}/: manifest.json, reps/ (Parquet, one file per "
          "chunk and table), summary/ (CSV tables, report.txt, charts/*.png). A board paper: "
          f"sendsim report {out} --out report.html")
    return 0


def _workers(args) -> int | None:
    """--workers, capped at the machine's cores unless --oversubscribe asks for more."""
    if args.workers is None:
        return None
    cores = os.cpu_count() or 1
    if args.workers > cores and not getattr(args, "oversubscribe", False):
        print(f"sendsim: --workers {args.workers}: this machine has {cores} core(s); using "
              f"{cores} (pass --oversubscribe to start more)", file=sys.stderr)
        return cores
    return args.workers


def check_at_option(at: str, start: dt.date, end: dt.date) -> None:
    """--at must be a financial year (YYYY-YY) that a run from `start` to `end` covers."""
    first = start.year if start.month >= 4 else start.year - 1
    end = end - dt.timedelta(days=1)          # the run stops at the start of `end`
    last = end.year if end.month >= 4 else end.year - 1
    allowed = f"allowed: {first}-{(first + 1) % 100:02d} to {last}-{(last + 1) % 100:02d}"
    if not isinstance(at, str) or not is_financial_year(at):
        raise UsageError("--at", f"{at!r} is not a financial year", allowed + ", written like 2028-29")
    if not first <= int(at[:4]) <= last:
        raise UsageError("--at", f"{at} is outside the run ({start} to {end})", allowed)


def cmd_run(args) -> int:
    if args.scenario and args.params:
        raise UsageError("--params", "give a scenario file or --params, not both",
                         "give one of them")
    return _experiment(args, [args.scenario or args.params], baseline_first=True)


def cmd_compare(args) -> int:
    return _experiment(args, list(args.scenarios), baseline_first=True)


def cmd_report(args) -> int:
    from sendsim.reports.html import write_report
    if args.data is not None:
        from sendsim.data.files import find_data_dir
        find_data_dir(args.data)
    for option, path in (("--previous", args.previous), ("--backtest", args.backtest)):
        if path is not None and not Path(path).exists():
            raise UsageError(f"{option} {path}", "does not exist",
                             "give an earlier report" if option == "--previous" else
                             "give a folder written by sendsim backtest")
    rag = None
    if args.rag:
        import math
        try:
            green, amber = (float(x) for x in args.rag.split(","))
        except ValueError:
            green = amber = math.nan
        if not (math.isfinite(green) and math.isfinite(amber) and 0 <= amber <= green <= 100):
            raise UsageError("--rag", f"{args.rag!r} is not two percentages GREEN,AMBER",
                             "allowed: 0 <= AMBER <= GREEN <= 100, e.g. 80,50")
        rag = (green / 100, amber / 100)
    out = write_report(args.folders, args.out, baseline=args.baseline, at=args.at,
                       data_dir=args.data, previous=args.previous, backtest=args.backtest,
                       rag=rag, title=args.title, overwrite=args.overwrite)
    print(f"report written to {out}")
    return 0


def cmd_summarise(args) -> int:
    from sendsim.experiment.run import load_experiment, read_manifest
    from sendsim.experiment.outputs import write_summary
    from sendsim.folders import LOCK, OutputLock, read_marker
    folder = Path(args.folder)
    marked = read_marker(folder) if folder.is_dir() else None
    if marked is None or marked["kind"] != "experiment":
        read_manifest(folder)                 # refuse a folder that is not an experiment first
    # a run that has claimed its folder may not have written its manifest yet: the lock first
    with OutputLock(folder / LOCK, folder, "experiment"):
        result = load_experiment(folder)
        print(write_summary(result, baseline=args.baseline, at=args.at))
    return 0


def cmd_check(args) -> int:
    from sendsim.engine.model import RunSpec
    from sendsim.scenario.files import ScenarioError
    s = load_scenario_or_parameters(args.file)
    p = s.parameters
    end = RunSpec(args.years).end_date(p.council.start_date)
    problems = s.problems(end)
    if problems:
        raise ScenarioError([f"{q} (for a run of {args.years:g} years, to {end})" for q in problems],
                            args.file)
    what = (f"valid scenario '{s.name}' ({len(s.interventions)} interventions, "
            f"{len(s.capacity_programme)} capacity projects)" if s.interventions or
            s.capacity_programme or s.conditions else "valid parameters")
    print(f"{args.file}: {what} for {p.council.name} from {p.council.start_date}")
    return 0


#: The first line of a parameter file `sendsim params --out` writes: how it knows its own.
PARAMS_HEADER = "# The built-in council's parameters, written by sendsim params"


def cmd_params(args) -> int:
    from sendsim.errors import OutputError
    from sendsim.folders import OutputExistsError, atomic_write, writable_parent
    p = _load(None)
    text = f"{PARAMS_HEADER} (sendsim {__version__}).\n" + p.to_toml()
    if not args.out:
        sys.stdout.write(text)
        return 0
    out = Path(args.out)
    if out.is_dir():
        raise OutputError(f"--out {out}", "is a folder", "give the name of a .toml file")
    writable_parent(out)
    if out.exists() or out.is_symlink():
        if not args.overwrite:
            raise OutputExistsError(f"--out {out}", "already exists", "choose another name, "
                                    "or pass --overwrite to replace a file sendsim params wrote")
        try:
            first = out.read_text(encoding="utf-8").split("\n", 1)[0]
        except (OSError, UnicodeDecodeError):
            first = ""
        if out.is_symlink() or not first.startswith(PARAMS_HEADER):
            raise OutputError(f"--out {out}", "exists and was not written by sendsim params, so "
                              "it will not be replaced", "choose another name")
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(out, text)
    print(f"wrote the default council's parameters to {out}")
    return 0


def cmd_calibrate(args) -> int:
    import time
    from sendsim.calibration import calibrate, origin_year, write_calibration
    from sendsim.calibration.calibrate import output_paths
    from sendsim.data.files import find_data_dir
    from sendsim.data.history import load_history
    from sendsim.folders import OutputLock, lock_path_for
    origin = origin_year(args.origin)
    output_paths(args.out, args.overwrite)      # refuse a bad --out before an expensive fit
    data_dir = find_data_dir(args.data)
    started = time.perf_counter()
    with OutputLock(lock_path_for(args.out), args.out, "calibration"):
        output_paths(args.out, args.overwrite)
        history = load_history(args.la, data_dir)
        if not args.quiet:
            print(f"calibrating {history.la} on data published by January {origin} ...",
                  flush=True)
        cal = calibrate(history, origin, seed=args.seed, data_dir=data_dir,
                        progress=None if args.quiet else (lambda text: print(f"  {text}",
                                                                             flush=True)))
        written = write_calibration(cal, args.out, overwrite=args.overwrite)
    s = cal.summary()
    print(f"{cal.la_name} at January {origin}: {s['abc_simulations']} ABC-SMC simulations, "
          f"window {s['window_years'][0]}-{s['window_years'][-1]}, prior from "
          f"{len(cal.neighbours)} council(s)")
    for key, (lo, mid, hi) in s["draws"].items():
        print(f"  {key:45s} {mid:>12.4f}  (90%: {lo:.4f} to {hi:.4f})")
    print(f"wrote {', '.join(str(p) for p in written)} in {time.perf_counter() - started:.0f} s; "
          f"run it with: sendsim run {written[0]}")
    return 0


def cmd_backtest(args) -> int:
    from sendsim.backtest.run import backtest
    from sendsim.calibration import origin_year
    from sendsim.data.files import find_data_dir
    from sendsim.data.history import councils_with_history
    if bool(args.all) == bool(args.la):
        raise UsageError("--la/--all", "give --la CODE_OR_NAME (repeatable) or --all",
                         "one of the two, not both")
    data_dir = find_data_dir(args.data)
    councils = councils_with_history(data_dir) if args.all else list(args.la)
    executor, close = _executor(args)
    try:
        res = backtest(councils, origin_year(args.origin), args.horizon, args.reps, seed=args.seed,
                       data_dir=data_dir, out=args.out, overwrite=args.overwrite,
                       workers=_workers(args), executor=executor, progress=not args.quiet)
    finally:
        close()
    from sendsim.backtest.scores import headline_markdown
    print(headline_markdown(res.summary))
    t = res.timings
    print(f"\n{len(set(res.forecasts['la_code']))} councils back-tested ({len(res.skipped)} "
          f"skipped) in {t['total_seconds'] / 60:.1f} min (calibration {t['calibration_seconds']:.0f} s, "
          f"simulation {t['simulation_seconds']:.0f} s); results in {res.folder}/")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="sendsim",
        description="Simulate an English council's SEND system and High Needs Block, child by "
                    "child, many times over.")
    parser.add_argument("--version", action="version", version=f"sendsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    run = sub.add_parser("run", help="Simulate a scenario (default: the built-in council) and "
                                     "summarise caseload, requests, timeliness and deficit.",
                         description="Run replications of one scenario; write per-replication "
                                     "results (Parquet), summary tables (CSV), fan charts and a "
                                     "manifest; print medians with 90% prediction intervals.")
    run.add_argument("scenario", nargs="?", metavar="SCENARIO.toml",
                     help="scenario file, or a plain parameter file; default: the built-in "
                          "council (Wiltshire)")
    run.add_argument("--params", metavar="FILE", help="a parameter file (same as giving it as "
                                                      "SCENARIO.toml)")
    _experiment_options(run)
    run.set_defaults(func=cmd_run)

    compare = sub.add_parser("compare", help="Run scenarios paired (common random numbers) and "
                                             "print the differences that matter to a board.",
                             description="The first scenario is the baseline; every other is "
                                         "compared with it replication by replication.")
    compare.add_argument("scenarios", nargs="+", metavar="SCENARIO.toml")
    compare.add_argument("--contributions", action="store_true",
                         help="also run each plan without each of its parts (intervention, "
                              "capacity project, changed parameter section), paired, to rank "
                              "what contributes most to the difference (one extra scenario per "
                              "part)")
    _experiment_options(compare)
    compare.set_defaults(func=cmd_compare)

    rep = sub.add_parser("report", help="Write a board paper (HTML or PDF) from experiment "
                                        "results.",
                         description="Turn one experiment folder (from run or compare), or "
                                     "several run with the same seed and horizon, into one "
                                     "self-contained HTML file or an A4 PDF: Safety Valve "
                                     "conditions with RAG ratings, key figures with 90% "
                                     "intervals, fan charts beside their figures, the DSG "
                                     "management plan table, paired comparisons, assumptions, "
                                     "method and a glossary.")
    rep.add_argument("folders", nargs="+", metavar="RESULTS_DIR")
    rep.add_argument("--out", required=True, metavar="FILE.html|FILE.pdf",
                     help="the report to write (.pdf needs Chromium installed)")
    rep.add_argument("--baseline", help="scenario the others are compared with (default: the "
                                        "summary's, else the first)")
    rep.add_argument("--at", default=None, help="financial year of the key figures (default: "
                                                "the summary's, 2028-29 or the run's last)")
    rep.add_argument("--data", metavar="DIR", help="published data for the history in the "
                                                   "charts (default: $SENDSIM_DATA, else ./shared/data or "
                                                   "../shared/data if present)")
    rep.add_argument("--previous", metavar="OLD.html", help="an earlier report: the headline's "
                                                            "arrows compare with its chances")
    rep.add_argument("--backtest", metavar="DIR", help="a `sendsim backtest` folder whose "
                                                       "scores the method section quotes")
    rep.add_argument("--rag", metavar="GREEN,AMBER", help="RAG thresholds on the chance a "
                                                          "condition is met, %% (default 80,50)")
    rep.add_argument("--title", help="the report's title (default: council and scenarios)")
    rep.add_argument("--overwrite", action="store_true", help="replace an existing report")
    rep.set_defaults(func=cmd_report)

    summ = sub.add_parser("summarise", help="Rebuild an experiment folder's summary from its "
                                            "saved replications.")
    summ.add_argument("folder", metavar="DIR")
    summ.add_argument("--baseline", help="scenario to compare the others with (default: first)")
    summ.add_argument("--at", default=None, help="financial year of the headline (default "
                                                 "2028-29, or the run's last if it ends sooner)")
    summ.set_defaults(func=cmd_summarise)

    check = sub.add_parser("check", help="Check a parameter file and list every problem in it.")
    check.add_argument("file", help="scenario or parameter file (TOML)")
    check.add_argument("--years", type=_years, default=8.0,
                       help="check that every date falls in a run of this many years (default 8)")
    check.set_defaults(func=cmd_check)

    params = sub.add_parser("params", help="Print (or save) the built-in council's parameters, "
                                           "to start a scenario file from.")
    params.add_argument("--out", metavar="FILE", help="write to FILE instead of printing")
    params.add_argument("--overwrite", action="store_true", help="replace an existing FILE")
    params.set_defaults(func=cmd_params)
    cal = sub.add_parser("calibrate", help="Fit a council's parameters to DfE's published "
                                           "statistics, with posterior draws.",
                         description="Estimate a council's parameters from the data published by "
                                     "the origin (direct estimates from counts, ABC-SMC for the "
                                     "demand trend, EP capacity and transfers) and write a "
                                     "scenario file that sendsim run and compare accept.")
    cal.add_argument("--la", required=True, metavar="CODE_OR_NAME",
                     help="council: new code (E06000054), old code (865) or name (Wiltshire)")
    cal.add_argument("--data", metavar="DIR", help="data folder (default: $SENDSIM_DATA, "
                     "else ./shared/data, else ../shared/data)")
    cal.add_argument("--origin", required=True, metavar="YYYY-MM",
                     help="January census the forecast starts from, e.g. 2023-01")
    cal.add_argument("--out", required=True, metavar="FILE.toml",
                     help="scenario file to write; the parameter file, draws and charts go beside it")
    cal.add_argument("--seed", type=_seed, default=2023, help="random seed (default 2023)")
    cal.add_argument("--overwrite", action="store_true", help="replace files written before")
    cal.add_argument("--quiet", action="store_true", help="less output")
    cal.set_defaults(func=cmd_calibrate)

    bt = sub.add_parser("backtest", help="Calibrate at a past origin, forecast, and score the "
                                         "forecast and naive baselines against what happened.")
    bt.add_argument("--data", metavar="DIR", help="data folder (default: $SENDSIM_DATA, "
                     "else ./shared/data, else ../shared/data)")
    bt.add_argument("--origin", required=True, metavar="YYYY-MM", help="January origin, e.g. 2021-01")
    bt.add_argument("--horizon", type=_bounded(int, 1, 10, "a whole number"), default=2,
                    help="years ahead (default 2)")
    bt.add_argument("--la", action="append", metavar="CODE_OR_NAME", help="a council (repeatable)")
    bt.add_argument("--all", action="store_true", help="every council with published figures")
    bt.add_argument("--reps", type=_reps, default=100, help="replications (default 100)")
    bt.add_argument("--seed", type=_seed, default=2023, help="root random seed (default 2023)")
    bt.add_argument("--out", required=True, metavar="DIR", help="folder to write (must not exist)")
    bt.add_argument("--overwrite", action="store_true", help="replace an existing folder")
    bt.add_argument("--workers", type=_workers_type, default=None, help="worker processes")
    bt.add_argument("--oversubscribe", action="store_true",
                    help="allow --workers above the number of cores")
    bt.add_argument("--executor", choices=("process", "dask"), default="process")
    bt.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address")
    bt.add_argument("--quiet", action="store_true", help="no progress bars")
    bt.set_defaults(func=cmd_backtest)
    return parser


def _experiment_options(p) -> None:
    p.add_argument("--reps", type=_reps, default=40, help="replications (default 40)")
    p.add_argument("--seed", type=_seed, default=20230119, help="root random seed (default 20230119)")
    p.add_argument("--years", type=_years, default=8.0,
                   help="years to simulate from the start date, then on to 31 March (default 8)")
    p.add_argument("--out", metavar="DIR", help="experiment folder (default: a new folder under "
                                                "./sendsim-output); an unfinished one is resumed")
    p.add_argument("--workers", type=_workers_type, default=None,
                   help="parallel worker processes (default: one per core; more than the "
                        "cores only with --oversubscribe); results do not depend on it")
    p.add_argument("--oversubscribe", action="store_true",
                   help="allow --workers above the number of cores")
    p.add_argument("--executor", choices=("process", "dask"), default="process",
                   help="where replications run: a local process pool (default) or Dask")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (default with "
                        "--executor dask: a local cluster)")
    p.add_argument("--chunk-size", type=_reps, default=None,
                   help="replications sent to a worker at a time (default: 1 to 25)")
    p.add_argument("--at", default=None,
                   help="financial year the headline reports at (default 2028-29, or the "
                        "run's last financial year if it ends sooner)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace an existing experiment folder instead of resuming it")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _bounded(kind: type, least, most, what: str, above: bool = False):
    """An argparse type: a finite number of `kind` from `least` (or above it) to `most`."""
    import math

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or (kind is float and not math.isfinite(value)):
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}; allowed: {_range()}")
        if value < least or (above and value <= least) or value > most:
            raise argparse.ArgumentTypeError(f"{text} is out of range; allowed: {_range()}")
        return value

    def _range() -> str:
        lo, hi = (f"{least:g}", f"{most:g}") if kind is float else (f"{least:,}", f"{most:,}")
        return f"{'more than' if above else 'from'} {lo} {'and at most' if above else 'to'} {hi}"
    return parse


def _positive(kind: type, least, what: str):
    return _bounded(kind, least, 10**9, what, above=kind is float)


from sendsim.experiment.limits import MAX_REPS, MAX_SEED, MAX_YEARS  # noqa: E402  (no engine loaded)

_reps = _bounded(int, 1, MAX_REPS, "a whole number")
_years = _bounded(float, 0.0, MAX_YEARS, "a number of years", above=True)
_seed = _bounded(int, 0, MAX_SEED, "a whole number")
_workers_type = _bounded(int, 1, MAX_WORKERS, "a whole number")
_positive_int = _positive(int, 1, "a whole number")
_positive_float = _positive(float, 0.0, "a number")


class Parser(argparse.ArgumentParser):
    """argparse, with its refusals on one line in sendsim's form and exit status 2."""

    def error(self, message: str):
        import re
        m = re.match(r"argument (\S+?)(?:/\S+)?: (.*)", message)
        where, what = (m.group(1), m.group(2)) if m else (self.prog, message)
        what = re.sub(r"invalid choice: (.*) \(choose from (.*)\)", r"\1 is not a choice; allowed: \2",
                      what)
        hint = f"see {self.prog} --help"
        self.exit(EXIT_REFUSED, f"sendsim: {where}: {' '.join(what.split())}; {hint}\n")


def log_dir() -> Path:
    """Where tracebacks of unexpected errors go: $SENDSIM_LOG_DIR, else the user's log folder."""
    env = os.environ.get("SENDSIM_LOG_DIR")
    if env:
        return Path(env)
    import platformdirs
    return Path(platformdirs.user_log_dir("sendsim", appauthor=False))


def _log_crash(exc: BaseException) -> Path | None:
    import tempfile
    import traceback
    text = (f"sendsim {__version__}, {dt.datetime.now().isoformat(timespec='seconds')}\n"
            f"command: {' '.join(sys.argv)}\ncwd: {os.getcwd()}\n\n"
            + "".join(traceback.format_exception(exc)))
    for folder in (log_dir(), Path(tempfile.gettempdir()) / "sendsim-logs"):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"crash-{dt.datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}.log"
            path.write_text(text, encoding="utf-8")
            return path
        except OSError:
            continue
    return None


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return args.func(args)
    except SendsimError as exc:
        if args.command == "check" and isinstance(exc, ParameterError):
            for line in exc.lines():                  # check's job: every problem, one a line
                print(f"sendsim: {line}", file=sys.stderr)
        else:
            print(f"sendsim: {exc.line()}", file=sys.stderr)
        return EXIT_REFUSED
    except KeyboardInterrupt as exc:
        print(f"\nsendsim: {exc or 'interrupted'}", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError) as exc:
        if exc.filename is None:
            return _internal(exc)
        print(f"sendsim: {exc.filename}: {exc.strerror.lower()}; give a path that exists and "
              "that you may read and write", file=sys.stderr)
        return EXIT_REFUSED
    except Exception as exc:
        return _internal(exc)


def _internal(exc: BaseException) -> int:
    path = _log_crash(exc)
    where = f"the full traceback is in {path}" if path else "no log file could be written"
    print(f"sendsim: internal error ({type(exc).__name__}: {str(exc)[:200]}); {where}; please "
          "report it with that file", file=sys.stderr)
    return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
