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

from .board import build_report, read_previous
from .history import published_history
from .pdf import html_to_pdf
from .results import read_results

FORMATS = (".html", ".htm", ".pdf")


def render_html(report: dict) -> str:
    """The report dictionary (`board.build_report`) as an HTML page."""
    files = resources.files(__package__).joinpath("templates")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=False, lstrip_blocks=False)
    template = env.from_string(files.joinpath("board.html.j2").read_text(encoding="utf-8"))
    css = files.joinpath("board.css").read_text(encoding="utf-8")
    return template.render(r=report, css=css)


def write_report(folders, out: str | Path, *, baseline: str | None = None, at: str = "2028-29",
                 data_dir=None, previous: str | Path | None = None, backtest: str | Path | None = None,
                 rag=None, title: str | None = None, overwrite: bool = False,
                 chromium: str | None = None) -> Path:
    """Read the results, build the report and write `out` (.html or .pdf) whole or not at all."""
    out = Path(out)
    if out.suffix.lower() not in FORMATS:
        raise ValueError(f"--out {out}: the report is written as .html or .pdf (got "
                         f"{out.suffix or 'no extension'!r})")
    if out.exists() and not overwrite:
        raise FileExistsError(f"{out} already exists; choose another --out or pass --overwrite")
    inp = read_results(folders, baseline=baseline, at=at)
    council = next(iter(inp.manifest.get("councils", {}).values()), {})
    history = published_history(council.get("la_code", ""), data_dir)
    prev = read_previous(previous) if previous else None
    bt = _backtest(backtest, council.get("la_code", "")) if backtest else None
    kwargs = {"rag": rag} if rag else {}
    report = build_report(inp, history=history, previous=prev, backtest=bt, title=title, **kwargs)
    html = render_html(report)
    if out.suffix.lower() == ".pdf":
        def write(path: Path) -> None:
            html_to_pdf(html, path, chromium=chromium)
    else:
        def write(path: Path) -> None:
            path.write_text(html, encoding="utf-8")
    _write_one(out, write)
    return out


def _write_one(out: Path, write) -> None:
    """Write to a temporary file beside `out`, then move it into place: all or nothing."""
    partial = out.with_name(f".{out.name}.partial")
    try:
        write(partial)
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)


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
        raise ValueError(f"--backtest {folder}: not a back-test folder (needs manifest.json, "
                         "scores_by_council.csv and summary.csv, as `sendsim backtest` writes)")
    m = json.loads(needed[0].read_text(encoding="utf-8"))
    scores = pd.read_csv(needed[1])
    pooled = pd.read_csv(needed[2])
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
