"""Benchmark: how long `sendsim report` takes on a finished experiment, HTML and PDF.

    python benchmarks/bench_report.py RESULTS_DIR [--repeat 3] [--at 2028-29] [--json OUT]

A board report should take seconds, not minutes, so that officers can regenerate it for every
version of a paper. Target (issue 5): under 30 s for the HTML of a 100-replication comparison
with contributions (16 scenarios) on a 2-core machine, and under 60 s for the PDF. Prints the
median of `--repeat` runs for each step: reading and checking the results, building the
content (charts included), rendering the HTML, printing the PDF (and the first run's, which
parses the published data); and the files' sizes.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path

from sendsim import __version__
from sendsim.reports.board import build_report
from sendsim.reports.history import published_history
from sendsim.reports.html import render_html
from sendsim.reports.pdf import html_to_pdf
from sendsim.reports.inputs import read_results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--at", default="2028-29")
    ap.add_argument("--json", metavar="OUT")
    args = ap.parse_args()
    steps: dict[str, list[float]] = {k: [] for k in ("read", "history", "build", "html", "pdf")}
    sizes = {}
    for _ in range(args.repeat):
        t = time.perf_counter()
        inp = read_results([args.folder], at=args.at)
        steps["read"].append(time.perf_counter() - t)
        t = time.perf_counter()
        council = next(iter(inp.manifest["councils"].values()))
        history = published_history(council["la_code"])
        steps["history"].append(time.perf_counter() - t)
        t = time.perf_counter()
        report = build_report(inp, history=history)
        steps["build"].append(time.perf_counter() - t)
        t = time.perf_counter()
        html = render_html(report)
        steps["html"].append(time.perf_counter() - t)
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            pdf = html_to_pdf(html, Path(tmp) / "r.pdf")
            steps["pdf"].append(time.perf_counter() - t)
            sizes = {"html_bytes": len(html.encode()), "pdf_bytes": pdf.stat().st_size}
    med = {k: statistics.median(v) for k, v in steps.items()}
    html_total = med["read"] + med["history"] + med["build"] + med["html"]
    out = {"sendsim_version": __version__, "machine": platform.platform(),
           "folder": args.folder, "scenarios": len(inp.manifest["scenarios"]),
           "reps": inp.manifest["reps"], "repeat": args.repeat,
           "median_seconds": {k: round(v, 2) for k, v in med.items()},
           # the first run parses the published data (cached after it): what one command costs
           "first_run_seconds": {k: round(v[0], 2) for k, v in steps.items()},
           "html_total_seconds": round(html_total, 2),
           "pdf_total_seconds": round(html_total + med["pdf"], 2), **sizes}
    print(json.dumps(out, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
