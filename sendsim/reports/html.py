"""Laying out a board report as one self-contained HTML file (and, through Chromium, a PDF).

The HTML needs nothing from the network: the stylesheet is inline and charts are SVG data URIs,
so the file can be e-mailed, attached to committee papers and opened offline. Jinja2 escapes
every text it is given (scenario names and sources come from user files).
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import jinja2

from sendsim.errors import InputError, OutputError
from sendsim.folders import OutputExistsError, OutputLock, atomic_write, lock_path_for, writable_parent
from sendsim.reports.board import build_report, read_previous
from sendsim.reports.history import published_history
from sendsim.reports.pdf import find_chromium, html_to_pdf
from sendsim.reports.inputs import read_results

FORMATS = (".html", ".htm", ".pdf")


def render_html(report: dict) -> str:
    """The report dictionary (`board.build_report`) as an HTML page."""
    files = resources.files(__package__).joinpath("templates")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=False, lstrip_blocks=False)
    template = env.from_string(files.joinpath("board.html.j2").read_text(encoding="utf-8"))
    css = files.joinpath("board.css").read_text(encoding="utf-8")
    return template.render(r=report, css=css)


def write_report(folders, out: str | Path, *, baseline: str | None = None, at: str | None = None,
                 data_dir=None, previous: str | Path | None = None, backtest: str | Path | None = None,
                 rag=None, title: str | None = None, overwrite: bool = False,
                 chromium: str | None = None) -> Path:
    """Read the results, build the report and write `out` (.html or .pdf) whole or not at all.

    The report is built in memory and written in one rename, holding a lock on `out`; an
    existing `out` is replaced only with `overwrite` and only if sendsim wrote it."""
    out = Path(out)
    check_report_target(out, overwrite)
    with OutputLock(lock_path_for(out), out, "report"):
        check_report_target(out, overwrite)
        inp = read_results(folders, baseline=baseline, at=at)
        council = next(iter(inp.manifest.get("councils", {}).values()), {})
        history = published_history(council.get("la_code", ""), data_dir)
        prev = read_previous(previous) if previous else None
        bt = _backtest(backtest, council.get("la_code", "")) if backtest else None
        kwargs = {"rag": rag} if rag else {}
        report = build_report(inp, history=history, previous=prev, backtest=bt, title=title, **kwargs)
        html = render_html(report)
        data = html_to_pdf(html, chromium=chromium) if out.suffix.lower() == ".pdf" else html
        out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(out, data)
    return out


def check_report_target(out: Path, overwrite: bool) -> None:
    """Refuse, before any work, a report path sendsim may not write."""
    if out.suffix.lower() not in FORMATS:
        raise OutputError(f"--out {out}", f"the report is written as .html or .pdf, not "
                          f"{out.suffix or 'a name without an extension'}",
                          "give a name ending .html or .pdf")
    if out.is_dir():
        raise OutputError(f"--out {out}", "is a folder", "give the name of the report file")
    writable_parent(out)
    if out.suffix.lower() == ".pdf":
        find_chromium()         # no Chromium: refused before any work
    if out.exists() or out.is_symlink():
        if not overwrite:
            raise OutputExistsError(f"--out {out}", "already exists",
                                    "choose another name, or pass --overwrite to replace a "
                                    "report sendsim wrote")
        if out.is_symlink() or not is_sendsim_report(out):
            raise OutputError(f"--out {out}", "exists and is not a report sendsim wrote, so it "
                              "will not be replaced", "choose another name")


def is_sendsim_report(path: Path) -> bool:
    """Whether `path` is a report sendsim wrote: its HTML names sendsim as generator, or its
    PDF (printed from that HTML) carries the title's "[sendsim]" mark."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(8192)
            fh.seek(0, 2)
            size = fh.tell()
            fh.seek(max(0, size - 65536))
            tail = fh.read()
    except OSError:
        return False
    if path.suffix.lower() in (".html", ".htm"):
        return b'<meta name="generator" content="sendsim ' in head
    return head.startswith(b"%PDF-") and (PDF_MARK in head + tail or PDF_MARK_UTF16 in head + tail)


#: The mark a PDF report carries at the end of its title (the HTML <title> ends with it).
TITLE_MARK = " [sendsim]"
PDF_MARK = b"[sendsim])"
PDF_MARK_UTF16 = "[sendsim]".encode("utf-16-be").hex().upper().encode()


#: The back-test's measures (`sendsim.data.history.MEASURES`) in words.
MEASURE_NAMES = {
    "caseload_total": "EHC plans, all", "caseload_mainstream": "EHC plans in mainstream",
    "caseload_special": "EHC plans in state special schools",
    "caseload_independent": "EHC plans in independent special schools",
    "caseload_post16": "EHC plans in post-16 settings", "caseload_other": "EHC plans elsewhere",
    "requests": "Requests in the calendar year", "new_plans": "New plans in the calendar year",
    "ceased_plans": "Plans ceased in the calendar year"}


def _backtest(folder, la_code: str) -> dict:
    """The back-test's scores for this council, and pooled over every council scored, from a
    `sendsim backtest` folder."""
    import json

    import pandas as pd
    folder = Path(folder)
    needed = [folder / n for n in ("manifest.json", "scores_by_council.csv", "summary.csv")]
    if not all(p.is_file() for p in needed):
        raise InputError("", f"--backtest {folder}: not a back-test folder (needs manifest.json, "
                         "scores_by_council.csv and summary.csv, as `sendsim backtest` writes)")
    try:
        m = json.loads(needed[0].read_text(encoding="utf-8"))
        scores = pd.read_csv(needed[1])
        pooled = pd.read_csv(needed[2])
        missing = [c for c in ("la_code", "method", "scored", "measure", "horizon", "year", "q50",
                               "q05", "q95", "actual", "error_pct", "in_90") if c not in scores]
    except (OSError, ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"--backtest {folder}", f"cannot be read ({type(exc).__name__}: "
                         f"{str(exc)[:80]})", "give a folder sendsim backtest wrote") from None
    if not isinstance(m, dict) or missing:
        raise InputError(f"--backtest {folder}", "is not a back-test sendsim wrote "
                         f"({'missing columns ' + ', '.join(missing) if missing else 'bad manifest'})",
                         "give a folder sendsim backtest wrote")
    mine = scores[(scores["la_code"].astype(str) == la_code) & (scores["method"] == "sendsim")
                  & scores["scored"].astype(bool)]
    columns = ["Measure", "Years ahead", "Year", "Forecast median", "90% interval", "Published",
               "Error", "Inside the 90% interval"]
    rows = [[MEASURE_NAMES.get(r.measure, r.measure), int(r.horizon), int(r.year), f"{r.q50:,.0f}", f"{r.q05:,.0f} to {r.q95:,.0f}",
             f"{r.actual:,.0f}", f"{r.error_pct:+.1f}%", "yes" if bool(r.in_90) else "no"]
            for r in mine.itertuples(index=False)]
    for r in pooled[pooled["method"] == "sendsim"].itertuples(index=False):
        rows.append([f"All {int(r.n_la)} councils: median absolute error", int(r.horizon), "",
                     "", "", "", f"{r.mdape:.1f}%", f"{100 * r.coverage_90:.1f}% of forecasts"])
    coverage = []
    for h in sorted(set(pooled["horizon"])):
        at_h = pooled[pooled["horizon"] == h].set_index("method")
        if {"sendsim", "sendsim_raw"} <= set(at_h.index):
            coverage.append({"horizon": int(h),
                             "raw": f"{100 * at_h.loc['sendsim_raw', 'coverage_90']:.1f}%",
                             "widened": f"{100 * at_h.loc['sendsim', 'coverage_90']:.1f}%"})
    origin = m.get("origin", "")
    if re.fullmatch(r"\d{4}-01", str(origin)):
        origin = f"January {origin[:4]}"
    text = (f"sendsim was calibrated on what had been published by {origin} only, and its "
            "forecasts scored against the figures published later. "
            + (f"The rows for this council ({la_code}) come first, then the scores pooled over "
               "every council." if len(mine) else
               f"This council ({la_code}) was not scored there; the pooled scores follow."))
    return {"origin": origin, "columns": columns, "rows": rows, "text": text,
            "coverage": coverage,
            "source": f"{needed[1]}, {needed[2]} (sendsim {m.get('sendsim_version', '?')})"}
