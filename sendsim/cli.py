"""The command line: `sendsim run`, `compare`, `summarise`, `check`, `params`, `calibrate`,
`backtest`."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from . import __version__
from .parameters import ParameterError, Parameters


def _load(path: str | None) -> Parameters:
    if path is None:
        from .councils import default_parameters
        return default_parameters()
    return Parameters.from_toml(path)


def load_scenario_or_parameters(path: str | None):
    """A scenario file (it has a [scenario] table), or a plain parameter file run as it is;
    None is the built-in council."""
    from .scenario import Scenario
    if path is None:
        params = _load(None)
        return Scenario.of(params, name=params.council.name.lower().replace(" ", "_"))
    import tomllib
    try:
        with open(path, "rb") as fh:
            is_scenario = "scenario" in tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError):
        is_scenario = False     # let the loader below report the problem with the file's name
    if is_scenario:
        from .scenario_files import load_scenario
        return load_scenario(path)
    params = Parameters.from_toml(path)
    return Scenario.of(params, Path(path).stem, Path(path).read_text(encoding="utf-8"), str(path))


def _executor(args):
    """(executor or None, a function to close it) from --executor / --scheduler."""
    if args.executor == "process":
        if args.scheduler:
            raise SystemExit("sendsim: --scheduler is for --executor dask")
        return None, lambda: None
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise SystemExit("sendsim: --executor dask needs Dask: pip install 'sendsim[dask]'") from None
    if args.scheduler:
        client = Client(args.scheduler)
        return client.get_executor(), client.close
    cluster = LocalCluster(n_workers=args.workers or None, threads_per_worker=1,
                           dashboard_address=None)
    client = Client(cluster)

    def close():
        client.close()
        cluster.close()
    return client.get_executor(), close


def _experiment(args, paths: list[str | None], baseline_first: bool) -> int:
    from .experiment import run_experiment
    from .experiment_output import write_summary

    scenarios = [load_scenario_or_parameters(p) for p in paths]
    names = "_vs_".join(s.name for s in scenarios)
    contributions = {}
    if getattr(args, "contributions", False):
        from .contributions import contribution_scenarios
        if len(scenarios) < 2:
            raise SystemExit("sendsim: --contributions needs a baseline and at least one plan")
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
                                out=out, executor=executor, workers=args.workers,
                                chunk_size=args.chunk_size, progress=not args.quiet,
                                overwrite=args.overwrite, contributions=contributions)
    finally:
        close()
    text = write_summary(result, baseline=scenarios[0].name if baseline_first else None, at=args.at)
    print(text)
    run = result.manifest["runs"][-1]
    print(f"\n{run['replications_run']} replications run in {run['seconds']:.0f} s "
          f"({run['executor']}); results in {out}/: manifest.json, reps/ (Parquet, one file per "
          "chunk and table), summary/ (CSV tables, report.txt, charts/*.png). A board paper: "
          f"sendsim report {out} --out report.html")
    return 0


def cmd_run(args) -> int:
    if args.scenario and args.params:
        raise SystemExit("sendsim: give a scenario file or --params, not both")
    return _experiment(args, [args.scenario or args.params], baseline_first=True)


def cmd_compare(args) -> int:
    return _experiment(args, list(args.scenarios), baseline_first=True)


def cmd_report(args) -> int:
    from .reports.html import write_report
    rag = None
    if args.rag:
        try:
            green, amber = (float(x) / 100 for x in args.rag.split(","))
        except ValueError:
            raise SystemExit(f"sendsim: --rag {args.rag!r}: give two percentages, GREEN,AMBER "
                             "(e.g. 80,50)") from None
        rag = (green, amber)
    out = write_report(args.folders, args.out, baseline=args.baseline, at=args.at,
                       data_dir=args.data, previous=args.previous, backtest=args.backtest,
                       rag=rag, title=args.title, overwrite=args.overwrite)
    print(f"report written to {out}")
    return 0


def cmd_summarise(args) -> int:
    from .experiment import load_experiment
    from .experiment_output import write_summary
    result = load_experiment(args.folder)
    print(write_summary(result, baseline=args.baseline, at=args.at))
    return 0


def cmd_check(args) -> int:
    from .model import RunSpec
    from .scenario_files import ScenarioError
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


def cmd_params(args) -> int:
    p = _load(None)
    if args.out:
        p.save(args.out, overwrite=args.overwrite)
        print(f"wrote the default council's parameters to {args.out}")
    else:
        sys.stdout.write(p.to_toml())
    return 0


def cmd_calibrate(args) -> int:
    import time
    from .calibration import calibrate, origin_year, write_calibration
    from .calibration.calibrate import output_paths
    from .data.files import find_data_dir
    from .data.history import load_history
    origin = origin_year(args.origin)
    output_paths(args.out, args.overwrite)      # refuse a bad --out before an expensive fit
    data_dir = find_data_dir(args.data)
    started = time.perf_counter()
    history = load_history(args.la, data_dir)
    if not args.quiet:
        print(f"calibrating {history.la} on data published by January {origin} ...", flush=True)
    cal = calibrate(history, origin, seed=args.seed, data_dir=data_dir,
                    progress=None if args.quiet else (lambda text: print(f"  {text}", flush=True)))
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
    from .backtest.run import backtest
    from .calibration import origin_year
    from .data.files import find_data_dir
    from .data.history import councils_with_history
    if bool(args.all) == bool(args.la):
        raise SystemExit("sendsim backtest: give --la CODE_OR_NAME (repeatable) or --all")
    data_dir = find_data_dir(args.data)
    councils = councils_with_history(data_dir) if args.all else list(args.la)
    executor, close = _executor(args)
    try:
        res = backtest(councils, origin_year(args.origin), args.horizon, args.reps, seed=args.seed,
                       data_dir=data_dir, out=args.out, overwrite=args.overwrite,
                       workers=args.workers, executor=executor, progress=not args.quiet)
    finally:
        close()
    from .backtest.scores import headline_markdown
    print(headline_markdown(res.summary))
    t = res.timings
    print(f"\n{len(set(res.forecasts['la_code']))} councils back-tested ({len(res.skipped)} "
          f"skipped) in {t['total_seconds'] / 60:.1f} min (calibration {t['calibration_seconds']:.0f} s, "
          f"simulation {t['simulation_seconds']:.0f} s); results in {res.folder}/")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sendsim",
        description="Simulate an English council's SEND system and High Needs Block, child by "
                    "child, many times over.")
    parser.add_argument("--version", action="version", version=f"sendsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

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
    rep.add_argument("--at", default="2028-29", help="financial year of the key figures "
                                                     "(default 2028-29)")
    rep.add_argument("--data", metavar="DIR", help="published data for the history in the "
                                                   "charts (default: ../shared/data if present)")
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
    summ.add_argument("--at", default="2028-29", help="financial year of the headline (default 2028-29)")
    summ.set_defaults(func=cmd_summarise)

    check = sub.add_parser("check", help="Check a parameter file and list every problem in it.")
    check.add_argument("file", help="scenario or parameter file (TOML)")
    check.add_argument("--years", type=_positive_float, default=8.0,
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
    cal.add_argument("--data", metavar="DIR", help="data folder (default: ../shared/data)")
    cal.add_argument("--origin", required=True, metavar="YYYY-MM",
                     help="January census the forecast starts from, e.g. 2023-01")
    cal.add_argument("--out", required=True, metavar="FILE.toml",
                     help="scenario file to write; the parameter file, draws and charts go beside it")
    cal.add_argument("--seed", type=int, default=2023, help="random seed (default 2023)")
    cal.add_argument("--overwrite", action="store_true", help="replace files written before")
    cal.add_argument("--quiet", action="store_true", help="less output")
    cal.set_defaults(func=cmd_calibrate)

    bt = sub.add_parser("backtest", help="Calibrate at a past origin, forecast, and score the "
                                         "forecast and three baselines against what happened.")
    bt.add_argument("--data", metavar="DIR", help="data folder (default: ../shared/data)")
    bt.add_argument("--origin", required=True, metavar="YYYY-MM", help="January origin, e.g. 2021-01")
    bt.add_argument("--horizon", type=_positive_int, default=2, help="years ahead (default 2)")
    bt.add_argument("--la", action="append", metavar="CODE_OR_NAME", help="a council (repeatable)")
    bt.add_argument("--all", action="store_true", help="every council with published figures")
    bt.add_argument("--reps", type=_positive_int, default=100, help="replications (default 100)")
    bt.add_argument("--seed", type=int, default=2023, help="root random seed (default 2023)")
    bt.add_argument("--out", required=True, metavar="DIR", help="folder to write (must not exist)")
    bt.add_argument("--overwrite", action="store_true", help="replace an existing folder")
    bt.add_argument("--workers", type=_positive_int, default=None, help="worker processes")
    bt.add_argument("--executor", choices=("process", "dask"), default="process")
    bt.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address")
    bt.add_argument("--quiet", action="store_true", help="no progress bars")
    bt.set_defaults(func=cmd_backtest)
    return parser


def _experiment_options(p) -> None:
    p.add_argument("--reps", type=_positive_int, default=40, help="replications (default 40)")
    p.add_argument("--seed", type=int, default=20230119, help="root random seed (default 20230119)")
    p.add_argument("--years", type=_positive_float, default=8.0,
                   help="years to simulate from the start date, then on to 31 March (default 8)")
    p.add_argument("--out", metavar="DIR", help="experiment folder (default: a new folder under "
                                                "./sendsim-output); an unfinished one is resumed")
    p.add_argument("--workers", type=_positive_int, default=None,
                   help="parallel worker processes (default: one per core); results do not "
                        "depend on it")
    p.add_argument("--executor", choices=("process", "dask"), default="process",
                   help="where replications run: a local process pool (default) or Dask")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (default with "
                        "--executor dask: a local cluster)")
    p.add_argument("--chunk-size", type=_positive_int, default=None,
                   help="replications sent to a worker at a time (default: 1 to 25)")
    p.add_argument("--at", default="2028-29",
                   help="financial year the headline reports at (default 2028-29)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace an existing experiment folder instead of resuming it")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _positive(kind: type, least, what: str):
    """An argparse type: a number of `kind` that is at least `least` (or above, for floats)."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if value < least or (kind is float and value <= least):
            raise argparse.ArgumentTypeError(f"{value} must be {'at least' if kind is int else 'greater than'} {least}")
        return value
    return parse


_positive_int = _positive(int, 1, "a whole number")
_positive_float = _positive(float, 0.0, "a number")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return args.func(args)
    except ParameterError as exc:
        print(f"sendsim: {exc}", file=sys.stderr)
        return 2
    except (FileExistsError, ValueError) as exc:   # ExperimentError is a ValueError
        print(f"sendsim: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        print(f"\nsendsim: {exc or 'interrupted'}", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
