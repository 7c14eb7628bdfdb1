"""The board report in a real headless browser (Debian's Chromium, which the README's test
set-up installs): it opens with no console errors, its first page is saved as a screenshot
(a test artifact), and it prints to an A4 PDF.

Chromium is required, not optional: without it these tests fail and say how to install it.
Screenshots go to $SENDSIM_TEST_ARTIFACTS, else test-artifacts/ in the checkout.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from sendsim.cli import main
from sendsim.parameters import Parameters
from sendsim.reports.pdf import chromium_flags, find_chromium

from small_council import small_council

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("SENDSIM_TEST_ARTIFACTS", ROOT / "test-artifacts"))
A4_POINTS = (595.0, 842.0)

SCENARIO = """
[scenario]
name = "smallshire"
title = "Smallshire"
base = "council.toml"

[[conditions]]
name = "In-year balance in 2024-25"
kind = "in_year_balance_in"
financial_year = "2024-25"
"""


@pytest.fixture(scope="module")
def chromium():
    try:
        return find_chromium()
    except RuntimeError as exc:
        pytest.fail(f"{exc}. The README's test set-up installs it (.ci/run does the same)")


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser")
    (root / "council.toml").write_text(Parameters.from_dict(small_council()).to_toml(),
                                       encoding="utf-8")
    (root / "s.toml").write_text(SCENARIO, encoding="utf-8")
    other = SCENARIO.replace('name = "smallshire"', 'name = "smallshire_more_places"') + """
[[capacity_programme]]
name = "New unit"
setting = "special"
places = 20
opens = 2023-09-01
"""
    (root / "t.toml").write_text(other, encoding="utf-8")
    assert main(["compare", str(root / "s.toml"), str(root / "t.toml"), "--reps", "6",
                 "--years", "2.3", "--seed", "3", "--at", "2024-25", "--workers", "1",
                 "--quiet", "--out", str(root / "cmp")]) == 0
    return root


def test_report_opens_in_chromium_without_console_errors(chromium, results):
    from playwright.sync_api import sync_playwright
    html = results / "report.html"
    assert main(["report", str(results / "cmp"), "--out", str(html), "--at", "2024-25"]) == 0
    messages, failed = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium,
                                    args=[f for f in chromium_flags("") if "user-data-dir" not in f
                                          and f != "--headless"])
        try:
            page = browser.new_page(viewport={"width": 1240, "height": 1754})   # A4 at 150 dpi
            page.on("console", lambda m: messages.append(f"{m.type}: {m.text}"))
            page.on("pageerror", lambda e: messages.append(f"page error: {e}"))
            page.on("requestfailed", lambda r: failed.append(r.url))
            page.goto(html.as_uri(), wait_until="load")
            # every chart decoded and drawn (an SVG that failed to parse has no width)
            widths = page.eval_on_selector_all(".chart-block img", "els => els.map(e => e.naturalWidth)")
            headings = page.eval_on_selector_all("h2", "els => els.map(e => e.id)")
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shot = ARTIFACTS / "report_first_page.png"
            page.screenshot(path=str(shot))
        finally:
            browser.close()
    errors = [m for m in messages if m.startswith(("error", "warning", "page error"))]
    assert not errors, errors
    assert not failed, f"requests failed (the report must need no network): {failed}"
    assert len(widths) == 6 and all(w > 0 for w in widths), widths
    assert headings[1:] == ["headline", "key-figures", "trends", "finance", "comparison",
                            "assumptions", "method", "glossary"]
    assert shot.stat().st_size > 20_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_prints_to_an_a4_pdf(chromium, results):
    pdf = results / "report.pdf"
    assert main(["report", str(results / "cmp"), "--out", str(pdf), "--at", "2024-25"]) == 0
    data = pdf.read_bytes()
    assert data[:5] == b"%PDF-"
    boxes = [tuple(float(x) for x in m) for m in
             re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", data)]
    assert len(boxes) >= 4, "a whole report is several pages"
    portrait = [b for b in boxes if b[0] < b[1]]
    landscape = [b for b in boxes if b[0] > b[1]]
    for w, h in portrait:
        assert abs(w - A4_POINTS[0]) < 2 and abs(h - A4_POINTS[1]) < 2, (w, h)
    for w, h in landscape:      # the financial table's pages
        assert abs(w - A4_POINTS[1]) < 2 and abs(h - A4_POINTS[0]) < 2, (w, h)
    assert portrait and landscape
    assert not list(results.glob(".report.pdf*")), "no staging debris left"
