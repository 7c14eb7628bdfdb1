"""Board-paper reports (issue 5): every number traceable to the summary tables, comparisons,
refusals, accessibility. Built on a small invented council the tests write themselves; the
browser and PDF checks are in test_report_browser.py."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup

from sendsim.cli import main
from sendsim.experiment.run import load_experiment
from sendsim.experiment.outputs import summary_tables
from sendsim.parameters import Parameters
from sendsim.reports.board import RAG_AMBER, RAG_GREEN, arrow, fmt, rag_rating
from sendsim.reports.svg_charts import PALETTE
from sendsim.reports.html import write_report

from small_council import small_council

AT = "2025-26"
SEED = "7"
COMMON = ["--reps", "8", "--years", "3.3", "--seed", SEED, "--at", AT, "--workers", "1",
          "--quiet"]

BASE = """
[scenario]
name = "smallshire_baseline"
title = "Smallshire, unmitigated"
base = "council.toml"

[[conditions]]
name = "In-year balance from 2025-26"
kind = "in_year_balance_from"
financial_year = "2025-26"

[[conditions]]
name = "Deficit at most 6m in 2024-25"
kind = "cumulative_deficit_at_most"
financial_year = "2024-25"
gbp = 6000000.0
"""

PLAN = """
[scenario]
name = "smallshire_plan"
title = "Smallshire plan"
extends = "base.toml"

[parameters.finance]
hnb_growth_per_year = 0.06

[[interventions]]
name = "Fewer requests"
target = "requests"
change = "multiply"
effect = { low = 0.6, mode = 0.7, high = 0.8 }
start = 2023-04-01
source = "test: a third fewer requests"

[[interventions]]
name = "Tighter decisions"
target = "no_to_assess"
change = "set"
effect = { low = 0.25, mode = 0.3, high = 0.35 }
start = 2023-06-01
source = "test: more refusals"

[[capacity_programme]]
name = "New unit"
setting = "special"
places = 10
opens = 2024-09-01
source = "test: ten places"
"""


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A paired comparison with contributions, the same two scenarios run separately, and
    their summaries."""
    root = tmp_path_factory.mktemp("report")
    (root / "council.toml").write_text(Parameters.from_dict(small_council()).to_toml(),
                                       encoding="utf-8")
    (root / "base.toml").write_text(BASE, encoding="utf-8")
    (root / "plan.toml").write_text(PLAN, encoding="utf-8")
    base, plan = str(root / "base.toml"), str(root / "plan.toml")
    assert main(["compare", base, plan, "--out", str(root / "cmp"), "--contributions"] + COMMON) == 0
    assert main(["run", base, "--out", str(root / "run_base")] + COMMON) == 0
    assert main(["run", plan, "--out", str(root / "run_plan")] + COMMON) == 0
    assert main(["report", str(root / "cmp"), "--out", str(root / "cmp.html"), "--at", AT]) == 0
    return root


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def shown_number(text: str) -> tuple[float, int]:
    """The number a figure prints, and its decimals: '−£1,234.5m' -> (-1234.5, 1)."""
    t = text.replace("\u2212", "-").replace("£", "").replace(",", "").replace("+", "")
    t = t.replace(" points", "").rstrip("m%").strip()
    assert re.fullmatch(r"-?\d+(\.\d+)?", t), f"not a number as printed: {text!r}"
    return float(t), len(t.split(".")[1]) if "." in t else 0


def cell(table: pd.DataFrame, key: dict, column: str) -> float:
    rows = table
    for k, v in key.items():
        rows = rows[rows[k].astype(str) == str(v)]
    assert len(rows) == 1, f"{len(rows)} rows match {key}"
    return float(rows.iloc[0][column])


def check_figures(page: BeautifulSoup, tables: dict[str, pd.DataFrame]) -> int:
    """Every <data class=fig> prints its table cell, scaled and rounded as shown."""
    figs = page.select("data.fig")
    for f in figs:
        if f["data-source"] in ("published", "previous report"):
            continue
        expected = cell(tables[f["data-source"]], json.loads(f["data-key"]), f["data-column"])
        expected *= float(f["data-scale"])
        shown, decimals = shown_number(f.get_text())
        assert abs(shown - expected) <= 0.5 * 10 ** -decimals + 1e-9, (
            f"{f.get_text()!r} from {f['data-source']} {f['data-key']} {f['data-column']}: "
            f"table says {expected}")
    return len(figs)


def summary_csvs(folder: Path) -> dict[str, pd.DataFrame]:
    return {p.name: pd.read_csv(p) for p in (folder / "summary").glob("*.csv")}


# -- every number traceable ------------------------------------------------------------------------
def test_every_figure_equals_its_cell_in_the_summary_tables(runs):
    page = soup(runs / "cmp.html")
    n = check_figures(page, summary_csvs(runs / "cmp"))
    assert n > 300
    # every section with figures has some, and each names a table the summary folder has
    for section in ("headline", "key-figures", "trends", "finance", "comparison"):
        heading = page.find(id=section)
        assert heading.find_parent("section").select("data.fig"), section
    sources = {f["data-source"] for f in page.select("data.fig")}
    assert sources <= set(summary_csvs(runs / "cmp")) | {"published"}


ALLOWED_DIGITS = re.compile(
    r"\d{4}-\d{2}|\d{1,2} (January|March|April) \d{4}|\b(19|20)\d{2}\b|95% confidence|"
    r"\(\d+ futures\)|9 in 10|20 weeks|50% and 90%")


def test_no_number_in_the_figures_escapes_its_source(runs):
    """Numbers in table cells and key-figure sentences are all traceable <data> figures (bar
    dates, years and the fixed words of the layout)."""
    page = soup(runs / "cmp.html")
    for section in ("headline", "key-figures", "trends", "finance", "comparison"):
        part = page.find(id=section).find_parent("section")
        for el in part.select("td, li"):
            el = BeautifulSoup(str(el), "html.parser")
            for f in el.select("data.fig"):
                f.decompose()
            rest = ALLOWED_DIGITS.sub("", el.get_text(" "))
            assert not re.search(r"\d", rest), f"untraced number in {section}: {rest!r}"


def test_key_figures_read_as_plain_english_with_the_90_percent_interval(runs):
    page = soup(runs / "cmp.html")
    head = pd.read_csv(runs / "cmp" / "summary" / "headline.csv")
    row = head[(head["scenario"] == "smallshire_plan") & (head["kind"] == "level")
               & (head["measure"] == "cumulative_deficit_at_31_march")].iloc[0]
    items = [li.get_text() for li in page.find(id="key-figures").find_parent("section")
             .select("li")]
    wanted = (f"Cumulative DSG deficit at 31 March 2026: {fmt(row['estimate'], 'gbp_m')} (9 in 10 "
              f"simulated futures between {fmt(row['p05'], 'gbp_m')} and "
              f"{fmt(row['p95'], 'gbp_m')}).")
    assert wanted in items


# -- comparison -------------------------------------------------------------------------------------
def test_a_comparison_shows_paired_differences_and_what_contributes(runs):
    page = soup(runs / "cmp.html")
    comparison = page.find(id="comparison").find_parent("section")
    paired = {f["data-source"] for f in comparison.select("data.fig")}
    assert "paired__smallshire_plan__minus__smallshire_baseline.csv" in paired
    assert "headline.csv" in paired
    keys = [json.loads(f["data-key"]) for f in comparison.select("data.fig")
            if f["data-source"] == "headline.csv"]
    assert all(k["kind"] == "paired difference" for k in keys)
    contrib = pd.read_csv(runs / "cmp" / "summary" / "contributions__smallshire_plan.csv")
    deficit = contrib[contrib["measure"] == "cumulative_deficit_at_31_march"]
    table = next(t for t in comparison.select("table")
                 if "cumulative DSG deficit" in t.caption.get_text())
    labels = [th.get_text() for th in table.select("tbody th[scope=row]")]
    assert labels == list(deficit["label"])        # every part, in the summary's order
    assert {"Fewer requests", "Tighter decisions"} <= set(labels)


def test_a_single_scenario_report_has_no_comparison(runs, tmp_path):
    out = tmp_path / "one.html"
    assert main(["report", str(runs / "run_base"), "--out", str(out), "--at", AT]) == 0
    page = soup(out)
    comparison = page.find(id="comparison").find_parent("section")
    assert not comparison.select("data.fig")
    assert "nothing to compare" in comparison.get_text()
    assert check_figures(page, summary_csvs(runs / "run_base")) > 100


def test_separate_runs_of_one_seed_combine_into_the_same_paired_comparison(runs, tmp_path):
    """Two `run` folders with the same seed pair replication by replication: the combined
    report's figures are those of the summary computed from both, and its paired differences
    equal the ones `compare` wrote for the same scenarios."""
    out = tmp_path / "combined.html"
    assert main(["report", str(runs / "run_base"), str(runs / "run_plan"), "--out", str(out),
                 "--at", AT]) == 0
    page = soup(out)
    a, b = load_experiment(runs / "run_base"), load_experiment(runs / "run_plan")
    from sendsim.experiment.run import ExperimentResult
    combined = ExperimentResult({**a.ensembles, **b.ensembles},
                                {**a.manifest, "conditions": {**a.manifest["conditions"],
                                                              **b.manifest["conditions"]}})
    check_figures(page, summary_tables(combined, "smallshire_baseline", AT))
    name = "paired__smallshire_plan__minus__smallshire_baseline.csv"
    from_compare = pd.read_csv(runs / "cmp" / "summary" / name)
    check_figures(page, {name: from_compare,
                         **summary_tables(combined, "smallshire_baseline", AT)})
    assert "computed from the replications" in page.find(id="method").find_parent("section").get_text()


# -- refusals ---------------------------------------------------------------------------------------
def copy_of(runs, name, tmp_path) -> Path:
    dest = tmp_path / name
    shutil.copytree(runs / name, dest)
    return dest


def refused(args, capsys, *needles):
    assert main(args) == 2
    err = capsys.readouterr().err
    for needle in needles:
        assert needle in err, err
    return err


def test_an_incomplete_experiment_is_refused(runs, tmp_path, capsys):
    folder = copy_of(runs, "run_base", tmp_path)
    chunk = sorted((folder / "reps" / "smallshire_baseline" / "provenance").glob("*.json"))[-1]
    chunk.unlink()
    out = tmp_path / "r.html"
    refused(["report", str(folder), "--out", str(out)], capsys, "4 of 8 replications are saved",
            "missing: 4, 5, 6, 7", "run the same command again")
    assert not out.exists()
    m = json.loads((folder / "manifest.json").read_text())
    m["status"] = "running"
    (folder / "manifest.json").write_text(json.dumps(m))
    refused(["report", str(folder), "--out", str(out)], capsys, "not complete", "'running'")


def test_a_summary_missing_a_table_is_refused(runs, tmp_path, capsys):
    folder = copy_of(runs, "run_base", tmp_path)
    (folder / "summary" / "headline.csv").unlink()
    refused(["report", str(folder), "--out", str(tmp_path / "r.html")], capsys,
            "missing headline.csv", "sendsim summarise")


def test_results_from_an_older_version_are_refused(runs, tmp_path, capsys):
    folder = copy_of(runs, "run_base", tmp_path)
    m = json.loads((folder / "manifest.json").read_text())
    m.pop("results_format")
    m["sendsim_version"] = "0.1.0"
    (folder / "manifest.json").write_text(json.dumps(m))
    refused(["report", str(folder), "--out", str(tmp_path / "r.html")], capsys,
            "sendsim 0.1.0", "results format 1", "run the experiment again")


def test_folders_that_cannot_pair_are_refused(runs, tmp_path, capsys):
    folder = tmp_path / "run_plan_seed99"
    seed = COMMON.index("--seed") + 1 if "--seed" in COMMON else None
    common = COMMON[:seed] + ["99"] + COMMON[seed + 1:] if seed else COMMON + ["--seed", "99"]
    assert main(["run", str(runs / "plan.toml"), "--out", str(folder)] + common) == 0
    refused(["report", str(runs / "run_base"), str(folder), "--out", str(tmp_path / "r.html")],
            capsys, "cannot be compared", "root_seed")
    # an edited manifest is not believed: its chunks say which experiment made them
    edited = copy_of(runs, "run_plan", tmp_path)
    m = json.loads((edited / "manifest.json").read_text())
    m["root_seed"] = 99
    (edited / "manifest.json").write_text(json.dumps(m))
    refused(["report", str(runs / "run_base"), str(edited), "--out", str(tmp_path / "r.html")],
            capsys, "made by a different experiment")
    refused(["report", str(runs / "run_base"), str(runs / "run_base"), "--out",
             str(tmp_path / "r.html")], capsys, "also in an earlier folder")


def test_not_a_results_folder_and_bad_outputs_are_refused(runs, tmp_path, capsys):
    (tmp_path / "notes").mkdir()
    refused(["report", str(tmp_path / "notes"), "--out", str(tmp_path / "r.html")], capsys,
            "not an experiment folder")
    refused(["report", str(runs / "run_base"), "--out", str(tmp_path / "r.docx")], capsys,
            ".html or .pdf")
    existing = tmp_path / "old.html"
    existing.write_text("keep me")
    refused(["report", str(runs / "run_base"), "--out", str(existing)], capsys, "--overwrite")
    assert existing.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes", "old.html"]   # no debris


# -- headline panel ----------------------------------------------------------------------------------
def test_rag_ratings_follow_the_thresholds(runs, tmp_path):
    assert (RAG_GREEN, RAG_AMBER) == (0.8, 0.5)
    assert [rag_rating(p, 0.8, 0.5) for p in (0.8, 0.79, 0.5, 0.49)] == \
        ["Green", "Amber", "Amber", "Red"]
    for green, amber, args in ((0.8, 0.5, []), (0.3, 0.1, ["--rag", "30,10"])):
        out = tmp_path / f"rag{green}.html"
        assert main(["report", str(runs / "cmp"), "--out", str(out), "--at", AT] + args) == 0
        panel = soup(out).select_one("table.panel")
        cells = panel.select("tbody td:has(data.fig)")
        assert cells
        for td in cells:
            p = float(td.select_one("data.fig")["value"])
            assert td.select_one(".rag").get_text() == rag_rating(p, green, amber)


def test_arrows_compare_with_the_baseline_and_the_previous_report(runs, tmp_path):
    assert arrow(0.2, 0.05, "x")["direction"] == "up"
    assert arrow(-0.2, 0.05, "x")["direction"] == "down"
    assert arrow(0.05, 0.05, "x")["direction"] == "same"      # within 1.96 SE: noise
    assert arrow(0.0, 0.0, "x")["direction"] == "same"
    page = soup(runs / "cmp.html")
    head = pd.read_csv(runs / "cmp" / "summary" / "headline.csv")
    rows = page.select("table.panel tbody tr")
    for tr in rows:
        cond = tr.th.get_text()
        plan_cell = tr.select("td")[2]
        d = head[(head["measure"] == cond) & (head["kind"] == "paired difference")].iloc[0]
        expected = arrow(d["estimate"], d["mc_se"], "smallshire_baseline")
        assert plan_cell.select_one(".arrow")["class"][-1] == f"arrow-{expected['direction']}"
    # a previous report in which the baseline met every condition for sure: now worse or same
    prev = json.loads(page.select_one("#sendsim-figures").string)
    for cond in prev["conditions"]["smallshire_baseline"]:
        prev["conditions"]["smallshire_baseline"][cond] = {"probability": 1.0, "n_reps": 1000}
    old = tmp_path / "previous.html"
    old.write_text('<script type="application/json" id="sendsim-figures">'
                   + json.dumps(prev) + "</script>")
    out = tmp_path / "now.html"
    assert main(["report", str(runs / "cmp"), "--out", str(out), "--at", AT,
                 "--previous", str(old)]) == 0
    for tr in soup(out).select("table.panel tbody tr"):
        base_cell = tr.select("td")[1]
        p = float(base_cell.select_one("data.fig")["value"])
        direction = base_cell.select_one(".arrow")["class"][-1]
        # the previous figure (1000 futures) is near exact; this one has 8 futures' noise
        expected = arrow(p - 1.0, (p * (1 - p) / 8) ** 0.5, "previous")["direction"]
        assert direction == f"arrow-{expected}"
        if p == 1.0:
            assert expected == "same"
        words = ("worse than" if expected == "down" else "no clear change against")
        assert f"{words} the previous report (then 100.0%)" in " ".join(base_cell.get_text().split())


# -- layout and accessibility --------------------------------------------------------------------------
def test_sections_come_in_the_order_the_issue_gives(runs):
    page = soup(runs / "cmp.html")
    ids = [h["id"] for h in page.select("main h2")]
    assert ids == ["headline", "key-figures", "trends", "finance", "comparison", "assumptions",
                   "method", "glossary"]
    assert len(page.select("h1")) == 1
    assert page.html["lang"] == "en-GB"


def test_charts_are_embedded_with_alt_text_and_a_table_beside_each(runs):
    page = soup(runs / "cmp.html")
    trends = page.find(id="trends").find_parent("section")
    blocks = trends.select(".chart-block")
    assert len(blocks) == 6
    for block in blocks:
        img = block.img
        assert img["src"].startswith("data:image/svg+xml;base64,")    # no network needed
        assert len(img["alt"]) > 80 and "table beside" in img["alt"]
        assert block.table.caption and block.table.select("th[scope=col]")
    assert not page.select('[src^="http"], link[href^="http"], script[src]')


def test_charts_use_the_colour_blind_safe_palette(runs):
    import base64
    page = soup(runs / "cmp.html")
    neutral = {"#000000", "#ffffff", "#555555", "#333333", "#dddddd", "#262626", "none"}
    allowed = {c.lower() for c in PALETTE} | neutral
    for img in page.select(".chart-block img"):
        svg = base64.b64decode(img["src"].split(",", 1)[1]).decode()
        colours = {c.lower() for c in re.findall(r"(?:fill|stroke):\s*(#[0-9a-fA-F]{6}|none)", svg)}
        assert colours and colours <= allowed, colours - allowed


def test_uk_number_formats():
    assert fmt(1234.56, "gbp_m") == "£1,234.6m"
    assert fmt(-12.34, "gbp_m") == "\u2212£12.3m"
    assert fmt(5.0, "gbp_m", signed=True) == "+£5.0m"
    assert fmt(-0.01, "gbp_m") == "£0.0m"          # no sign on a figure that rounds to zero
    assert fmt(8815.5, "count") == "8,816"
    assert fmt(6.0546, "percent") == "6.1%"
    assert fmt(0.25, "probability") == "25.0%"
    assert fmt(float("nan"), "count") == "n/a"


def test_assumptions_list_every_change_with_its_source(runs):
    page = soup(runs / "cmp.html")
    section = page.find(id="assumptions").find_parent("section")
    table = next(t for t in section.select("table") if t.caption.get_text() == "smallshire_plan")
    rows = [[td.get_text() for td in tr.select("td, th")] for tr in table.select("tbody tr")]
    csv = pd.read_csv(runs / "cmp" / "summary" / "smallshire_plan__assumptions.csv")
    csv = csv.astype(object).fillna("")
    assert rows == csv[["kind", "item", "value", "base_value", "source"]].astype(str).values.tolist()
    items = {r[1]: r for r in rows}
    assert items["finance.hnb_growth_per_year"][2:] == ["0.06", "0.03", "plan.toml"]
    assert items["Fewer requests"][4] == "test: a third fewer requests"
    assert "10 special places opening 01 Sep 2024" in items["New unit"][2]


def test_method_names_replications_seed_version_and_the_licence(runs):
    text = soup(runs / "cmp.html").find(id="method").find_parent("section").get_text(" ")
    m = json.loads((runs / "cmp" / "manifest.json").read_text())
    assert f"Replications per scenario {m['reps']}" in " ".join(text.split())
    assert f"Root seed {SEED}" in " ".join(text.split())
    assert m["sendsim_version"] in text
    assert "Open Government Licence" in text


def test_glossary_defines_the_terms_a_committee_meets():
    from sendsim.reports.glossary import GLOSSARY
    terms = {t for t, _ in GLOSSARY}
    assert {"EHCP", "EHCNA", "SEN Support", "INMSS", "RB", "HNB", "DSG", "Safety Valve",
            "Statutory override", "NCY", "EP", "20-week timeliness", "RAG"} <= terms


def test_write_report_refuses_a_pdf_without_chromium(runs, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))          # no browser anywhere
    monkeypatch.delenv("SENDSIM_CHROMIUM", raising=False)
    from sendsim.reports.pdf import PdfError
    with pytest.raises(PdfError, match="apt-get install chromium"):
        write_report([runs / "cmp"], tmp_path / "r.pdf", at=AT)
    assert not (tmp_path / "r.pdf").exists()
    assert not list(tmp_path.glob(".r.pdf*"))


# -- published history -------------------------------------------------------------------------------
def test_published_figures_in_the_charts_are_the_published_data(runs, shared_data, tmp_path):
    """Wiltshire's published history, laid over the small council's forecasts: each published
    figure the report prints equals DfE's, computed here from the council's history."""
    from sendsim.data.finance import dsg_deficit_pct_of_income, dsg_total_allocation
    from sendsim.data.history import load_history
    from sendsim.reports.board import build_report
    from sendsim.reports.history import published_history
    from sendsim.reports.html import render_html
    from sendsim.reports.inputs import read_results
    dfe = load_history("E06000054", shared_data)
    pct = dsg_deficit_pct_of_income("E06000054", shared_data)
    income = dsg_total_allocation("E06000054", shared_data)
    history = published_history("E06000054", shared_data)
    page = BeautifulSoup(render_html(build_report(read_results([runs / "cmp"], at=AT),
                                                  history=history)), "html.parser")
    figs = [f for f in page.select("data.fig") if f["data-source"] == "published"]
    measures = {json.loads(f["data-key"])["measure"] for f in figs}
    assert measures == {"caseload", "requests", "timeliness", "inmss_share", "cumulative_balance"}
    for f in figs:
        key = json.loads(f["data-key"])
        period = key["period"]
        if key["measure"] == "cumulative_balance":
            expected = pct[period] / 100 * income[period] / 1e6
        else:
            y = int(period)
            expected = {
                "caseload": lambda: dfe.caseload.loc[y, "total"],
                "requests": lambda: dfe.flows.loc[y, "requests"],
                "timeliness": lambda: 100 * dfe.flows.loc[y, "issued_within_20_weeks"]
                / dfe.flows.loc[y, "issued_20_week_den"],
                "inmss_share": lambda: 100 * dfe.caseload_groups.loc[y, "independent"]
                / dfe.caseload.loc[y, "total"],
            }[key["measure"]]()
        shown, decimals = shown_number(f.get_text())
        assert abs(shown - expected) <= 0.5 * 10 ** -decimals + 1e-9, (key, shown, expected)
    assert 4760 in [shown_number(f.get_text())[0] for f in figs]   # plans, January 2023 census


def test_without_published_data_the_charts_say_why(runs, tmp_path):
    from sendsim.reports.history import published_history
    assert "not found" in published_history("E06000054", tmp_path / "nowhere")["_why"]
    trends = soup(runs / "cmp.html").find(id="trends").find_parent("section")
    assert "Published figures not shown" in trends.get_text()   # an invented council


def test_a_calibrated_council_reports_its_calibration(tmp_path):
    """A scenario on a council file that `sendsim calibrate` wrote (its summary beside it)
    quotes the calibration's origin and fitted values in the method section."""
    (tmp_path / "small_2023.council.toml").write_text(
        Parameters.from_dict(small_council()).to_toml(), encoding="utf-8")
    (tmp_path / "small_2023.calibration").mkdir()
    (tmp_path / "small_2023.calibration" / "summary.json").write_text(json.dumps({
        "council": "Smallshire", "la_code": "E99999999", "origin": "2023-01", "seed": 5,
        "sendsim_version": "0.2.0", "fitted": {"requests.trend_per_year": [0.01, 0.04, 0.07]},
        "abc_simulations": 1234}), encoding="utf-8")
    (tmp_path / "s.toml").write_text('[scenario]\nname = "small"\nbase = "small_2023.council.toml"\n',
                                     encoding="utf-8")
    assert main(["run", str(tmp_path / "s.toml"), "--reps", "2", "--years", "1.3", "--seed", "1",
                 "--at", "2023-24", "--workers", "1", "--quiet", "--out", str(tmp_path / "r")]) == 0
    assert main(["report", str(tmp_path / "r"), "--out", str(tmp_path / "r.html"),
                 "--at", "2023-24"]) == 0
    method = " ".join(soup(tmp_path / "r.html").find(id="method").find_parent("section")
                      .get_text(" ").split())
    assert "calibrated to published statistics" in method
    assert "origin: 2023-01" in method
    assert "fitted requests.trend_per_year: 0.04 (90% of the posterior 0.01 to 0.07)" in method


def test_backtest_scores_are_quoted_with_how_far_to_trust_the_intervals(runs, tmp_path, capsys):
    bt = tmp_path / "bt"
    bt.mkdir()
    (bt / "manifest.json").write_text(json.dumps({"origin": "2021-01", "sendsim_version": "0.1.0"}))
    pd.DataFrame([
        {"la_code": "E99999999", "measure": "caseload_total", "horizon": 1, "year": 2022,
         "method": "sendsim", "q05": 900.0, "q50": 1000.0, "q95": 1100.0, "actual": 1050.0,
         "scored": True, "error_pct": -4.76, "in_90": True},
        {"la_code": "E99999999", "measure": "caseload_total", "horizon": 1, "year": 2022,
         "method": "sendsim_raw", "q05": 990.0, "q50": 1000.0, "q95": 1010.0, "actual": 1050.0,
         "scored": True, "error_pct": -4.76, "in_90": False},
        {"la_code": "E06000054", "measure": "requests", "horizon": 1, "year": 2021,
         "method": "sendsim", "q05": 1.0, "q50": 2.0, "q95": 3.0, "actual": 2.0,
         "scored": True, "error_pct": 0.0, "in_90": True},
    ]).to_csv(bt / "scores_by_council.csv", index=False)
    pd.DataFrame([{"method": m, "horizon": 1, "n_la": 149, "mdape": mdape, "coverage_90": cov}
                  for m, mdape, cov in (("sendsim", 8.5, 0.904), ("sendsim_raw", 8.5, 0.463))]
                 ).to_csv(bt / "summary.csv", index=False)
    out = tmp_path / "bt.html"
    assert main(["report", str(runs / "cmp"), "--out", str(out), "--at", AT,
                 "--backtest", str(bt)]) == 0
    method = soup(out).find(id="method").find_parent("section")
    text = " ".join(method.get_text(" ").split())
    assert ("the simulation's own 90% intervals contained the published figure 46.3% of the "
            "time 1 year ahead") in text
    assert "90.4%" in text and "January 2021" in text
    table = next(t for t in method.select("table") if "Back-test" in t.caption.get_text())
    rows = [[td.get_text() for td in tr.select("td")] for tr in table.select("tbody tr")]
    assert rows[0] == ["EHC plans, all", "1", "2022", "1,000", "900 to 1,100", "1,050", "-4.8%",
                       "yes"]                       # this council's own row, sendsim only
    assert len(rows) == 2 and rows[1][0].startswith("All 149 councils")
    refused(["report", str(runs / "cmp"), "--out", str(tmp_path / "x.html"), "--backtest",
             str(runs / "cmp")], capsys, "not a back-test folder")


from hypothesis import given, strategies as st  # noqa: E402


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
       st.sampled_from(["gbp_m", "count", "percent", "points"]), st.booleans())
def test_a_printed_figure_reads_back_as_its_value_rounded(x, unit, signed):
    text = fmt(x, unit, signed)
    shown, decimals = shown_number(text)
    assert abs(shown - x) <= 0.5 * 10 ** -decimals + 1e-9
    assert decimals == (0 if unit == "count" else 1)
    assert text.startswith("\u2212") == (shown < 0)        # a true minus, only when below zero
    assert "-" not in text


@pytest.mark.parametrize("basis, words, row", [
    ({s: "own outturn" for s in ("mainstream", "special", "inmss")},
     "Money rests on the council's own costs", "(own outturn)"),
    ({"mainstream": "own outturn", "special": "own outturn", "inmss": "neighbours",
      "central_sen_services": "template"},
     "Money rests partly on borrowed costs: inmss, central_sen_services are priced on "
     "statistical neighbours' costs and another council's costs (a template)", "(neighbours)"),
    ({}, "not stated in the council file", None),
])
def test_the_first_page_says_whose_costs_the_money_uses(tmp_path, basis, words, row):
    """Every money figure says what it rests on: a line on page 1, the key figures' source, and
    each cost line of the finance table; a file that does not say is flagged as indicative."""
    d = small_council()
    d["finance"]["cost_basis"] = [f"{k}: {v}" for k, v in basis.items()]
    (tmp_path / "c.toml").write_text(Parameters.from_dict(d).to_toml(), encoding="utf-8")
    (tmp_path / "s.toml").write_text('[scenario]\nname = "small"\nbase = "c.toml"\n', encoding="utf-8")
    assert main(["run", str(tmp_path / "s.toml"), "--reps", "2", "--years", "1.3", "--seed", "1",
                 "--at", "2023-24", "--workers", "1", "--quiet", "--out", str(tmp_path / "r")]) == 0
    assert main(["report", str(tmp_path / "r"), "--out", str(tmp_path / "r.html"),
                 "--at", "2023-24"]) == 0
    page = soup(tmp_path / "r.html")
    first = " ".join(page.find(id="headline").find_parent("section").get_text(" ").split())
    assert "whose costs:" in first and words in first
    if not basis:
        assert "indicative only" in first
    key = " ".join(page.find(id="key-figures").find_parent("section").get_text(" ").split())
    assert "costs: " + ("not stated" if not basis else "partly borrowed" if "neighbours" in
                        basis.values() else "own outturn") in key
    table = page.find(id="finance").find_parent("section")
    labels = [" ".join(th.get_text(" ").split()) for th in table.select("th[scope=row]")]
    if row:
        special = next(x for x in labels if x.startswith("Maintained special schools"))
        assert special.endswith("(own outturn)")
        assert any(x.endswith(row) for x in labels)
    else:
        assert not any("(" in x and x.endswith(")") and "outturn" in x for x in labels)
