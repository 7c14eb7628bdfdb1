"""The board report shown in docs/how-to/board-report.md: Wiltshire's Safety Valve plan of January 2025
against the unmitigated baseline, with each part's contribution.

    sendsim compare experiments/wiltshire_baseline.toml \\
        experiments/wiltshire_safety_valve_2025.toml --reps 100 --contributions --out RESULTS
    python experiments/wiltshire_report.py RESULTS [--backtest BACKTEST_DIR]

Writes docs/reports/wiltshire_safety_valve_2025.html, a screenshot of its first screen
(docs/img/report_wiltshire_first_page.png, taken in headless Chromium) and the figures quoted
in section 5 of docs/how-to/board-report.md, between its BEGIN and END markers, copied from the report so
that the page and the report cannot disagree (tests/docs/test_docs_reports.py checks it).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from bs4 import BeautifulSoup

from sendsim.reports.html import write_report
from sendsim.reports.pdf import chromium_flags, find_chromium

REPO = Path(__file__).resolve().parent.parent
HTML = REPO / "docs" / "reports" / "wiltshire_safety_valve_2025.html"
SHOT = REPO / "docs" / "img" / "report_wiltshire_first_page.png"
DOC = REPO / "docs" / "how-to" / "board-report.md"
BEGIN, END = "<!-- BEGIN wiltshire figures -->", "<!-- END wiltshire figures -->"


def quoted_figures(html: Path) -> str:
    page = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
    lines = []
    panel = page.select_one("table.panel")
    if panel is not None:
        names = [th.get_text(" ", strip=True) for th in panel.select("thead th")][2:]
        lines.append("Safety Valve conditions (chance met, RAG):\n")
        for tr in panel.select("tbody tr"):
            cells = tr.select("td")[1:]
            parts = [f"{name}: {td.select_one('.rag').get_text()} "
                     f"{td.select_one('data.fig').get_text()}" for name, td in zip(names, cells)]
            lines.append(f"- {tr.th.get_text(strip=True)}: " + "; ".join(parts))
    section = page.find(id="key-figures").find_parent("section")
    for h3 in section.select("h3"):
        lines.append(f"\nKey figures, {h3.get_text(strip=True)}:\n")
        for li in h3.find_next_sibling("ul").select("li"):
            lines.append("- " + " ".join(li.get_text().split()))
    comparison = page.find(id="comparison").find_parent("section")
    lines.append("\nPaired differences:\n")
    for li in comparison.select("ul.key-figures li"):
        lines.append("- " + " ".join(li.get_text().split()))
    table = next((t for t in comparison.select("table")
                  if "cumulative DSG deficit" in t.caption.get_text()), None)
    if table is not None:
        lines.append(f"\n{table.caption.get_text(strip=True)} (median, £m):\n")
        for tr in table.select("tbody tr")[:5]:
            fig = tr.select_one("data.fig")
            lines.append(f"- {tr.th.get_text(strip=True)}: {fig.get_text() if fig else 'n/a'}")
    return "\n".join(lines)


def screenshot(html: Path, out: Path) -> None:
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_chromium(), args=[
            f for f in chromium_flags("") if "user-data-dir" not in f and f != "--headless"])
        page = browser.new_page(viewport={"width": 1100, "height": 1400})
        page.goto(html.as_uri(), wait_until="load")
        page.screenshot(path=str(out))
        browser.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results")
    ap.add_argument("--backtest", help="a sendsim backtest folder to quote")
    args = ap.parse_args()
    HTML.parent.mkdir(parents=True, exist_ok=True)
    write_report([args.results], HTML, backtest=args.backtest, overwrite=True)
    screenshot(HTML, SHOT)
    doc = DOC.read_text(encoding="utf-8")
    block = f"{BEGIN}\n{quoted_figures(HTML)}\n{END}"
    doc = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: block, doc, flags=re.S)
    DOC.write_text(doc, encoding="utf-8")
    print(f"wrote {HTML.relative_to(REPO)}, {SHOT.relative_to(REPO)}, {DOC.relative_to(REPO)}")


if __name__ == "__main__":
    main()
