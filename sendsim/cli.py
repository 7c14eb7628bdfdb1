"""The command line: `sendsim run`, `sendsim check`, `sendsim params`."""

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


def cmd_run(args) -> int:
    from .output import write_ensemble
    from .plots import fan_charts
    from .reports import format_summary, summary_table
    from .runner import run_replications

    params = _load(args.params)
    out = Path(args.out) if args.out else Path("sendsim-output") / (
        f"{params.council.name.lower().replace(' ', '-')}-{dt.datetime.now():%Y%m%d-%H%M%S}")
    if out.exists() and any(out.iterdir()) and not args.overwrite:
        print(f"sendsim: {out} already exists and is not empty; choose another --out or pass "
              "--overwrite", file=sys.stderr)
        return 2
    ens = run_replications(params, reps=args.reps, seed=args.seed, years=args.years,
                           workers=args.workers, progress=not args.quiet)
    ens.provenance["parameter_file"] = str(args.params) if args.params else "built-in default council"
    table = summary_table(ens)
    text = format_summary(table, ens.provenance)
    title = f"sendsim {__version__}: {params.council.name}"
    write_ensemble(ens, out, table, text, chart=lambda p: fan_charts(ens, p, title),
                   overwrite=args.overwrite)
    print(text)
    print(f"\nTables, provenance and chart written to {out}/ "
          "(summary.txt, summary.csv, monthly.csv, census.csv, calendar_year.csv, "
          "financial_year.csv, plans_issued.csv, provenance.json, chart.png)")
    return 0


def cmd_check(args) -> int:
    p = Parameters.from_toml(args.file)
    print(f"{args.file}: valid parameters for {p.council.name} from {p.council.start_date}")
    return 0


def cmd_params(args) -> int:
    p = _load(None)
    if args.out:
        p.save(args.out, overwrite=args.overwrite)
        print(f"wrote the default council's parameters to {args.out}")
    else:
        sys.stdout.write(p.to_toml())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sendsim",
        description="Simulate an English council's SEND system and High Needs Block, child by "
                    "child, many times over.")
    parser.add_argument("--version", action="version", version=f"sendsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="Simulate a council (the built-in default if no --params) "
                                     "and summarise caseload, requests, timeliness and deficit.",
                         description="Run replications and print central values with 90% "
                                     "prediction intervals; write tables and a chart.")
    run.add_argument("--params", metavar="FILE", help="parameter file (TOML); default: the "
                                                      "built-in council (Wiltshire)")
    run.add_argument("--reps", type=_positive_int, default=40, help="replications (default 40)")
    run.add_argument("--seed", type=int, default=20230119, help="root random seed (default 20230119)")
    run.add_argument("--years", type=_positive_float, default=8.0,
                     help="years to simulate from the start date, then on to 31 March (default 8)")
    run.add_argument("--out", metavar="DIR", help="folder for the results (default: a new "
                                                  "folder under ./sendsim-output)")
    run.add_argument("--workers", type=_positive_int, default=None,
                     help="parallel worker processes (default: one per core); results do not "
                          "depend on it")
    run.add_argument("--overwrite", action="store_true", help="replace an existing --out folder")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.set_defaults(func=cmd_run)

    check = sub.add_parser("check", help="Check a parameter file and list every problem in it.")
    check.add_argument("file", help="parameter file (TOML)")
    check.set_defaults(func=cmd_check)

    params = sub.add_parser("params", help="Print (or save) the built-in council's parameters, "
                                           "to start a scenario file from.")
    params.add_argument("--out", metavar="FILE", help="write to FILE instead of printing")
    params.add_argument("--overwrite", action="store_true", help="replace an existing FILE")
    params.set_defaults(func=cmd_params)
    return parser


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
    except FileExistsError as exc:
        print(f"sendsim: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
