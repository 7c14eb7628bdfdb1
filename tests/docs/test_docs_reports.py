"""docs/how-to/board-report.md shows a real report: the committed Wiltshire report and the figures the page
quotes from it must agree, and the report must be whole and self-contained."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "experiments" / "wiltshire_report.py"


def script():
    spec = importlib.util.spec_from_file_location("wiltshire_report", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_page_quotes_the_committed_report():
    s = script()
    doc = s.DOC.read_text(encoding="utf-8")
    block = re.search(re.escape(s.BEGIN) + r"\n(.*?)\n" + re.escape(s.END), doc, re.S)
    assert block, "docs/how-to/board-report.md lacks the Wiltshire figures block"
    quoted = block.group(1)
    assert quoted == s.quoted_figures(s.HTML)
    assert "Cumulative DSG deficit at 31 March 2029" in quoted
    assert "Contributions to the cumulative DSG deficit" in quoted


def test_the_committed_report_is_whole_and_needs_no_network():
    s = script()
    page = BeautifulSoup(s.HTML.read_text(encoding="utf-8"), "html.parser")
    ids = [h["id"] for h in page.select("main h2")]
    assert ids == ["headline", "key-figures", "trends", "finance", "comparison", "assumptions",
                   "method", "glossary"]
    assert len(page.select(".chart-block img[alt]")) == 6
    assert not page.select('[src^="http"], link[href^="http"], script[src]')
    scenarios = {s.get_text() for s in page.select("header strong")}
    assert scenarios == {"wiltshire_baseline", "wiltshire_safety_valve_2025"}
    assert s.SHOT.is_file() and s.SHOT.read_bytes()[:4] == b"\x89PNG"
