"""The built-in councils as a set: every file in ``sendsim/councils/`` is what the one pipeline
(`sendsim.calibration.builtin`) derives from the shared data, byte for byte; every figure taken
from a council's paper is said in that paper, in the words quoted; the files carry those
figures; and what the Isle of Wight keeps from Wiltshire is Wiltshire's.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sendsim.calibration import builtin, papers
from sendsim.calibration.builtin_councils import COUNCILS
from sendsim.councils import available, load
from sendsim.data.files import checkout_data_dir

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO.parent / "shared" / "seeds"
QUOTED = [(f"{council}.{key}", q) for council, table in
          (("wiltshire", papers.WILTSHIRE), ("isle_of_wight", papers.ISLE_OF_WIGHT),
           ("wiltshire cross-check", papers.WILTSHIRE_CROSS_CHECKS))
          for key, q in table.items()]


def test_every_shipped_council_is_derived_by_a_script_of_calibration():
    assert sorted(COUNCILS) == available()
    for key, council in COUNCILS.items():
        script = REPO / council.script
        assert f'builtin.main("{key}"' in script.read_text(encoding="utf-8"), script
        assert load(key).council.la_code == council.la_code
        if council.template:      # derived from the shipped template, so after it
            assert list(COUNCILS).index(council.template) < list(COUNCILS).index(key)


@pytest.mark.parametrize("key", sorted(COUNCILS))
def test_rederiving_each_council_gives_its_shipped_file(key, shared_data):
    text = builtin.council_file_text(key, shared_data)
    shipped = REPO / "sendsim" / "councils" / f"{key}.toml"
    assert text.encode("utf-8") == shipped.read_bytes(), (
        f"{shipped.name} differs from what sendsim.calibration.builtin derives: re-run "
        f"{COUNCILS[key].script} and commit its output")


@pytest.fixture(scope="module")
def seeds() -> dict[str, str]:
    if not SEEDS.is_dir():
        pytest.skip("council papers not available: no ../shared/seeds beside the repository")
    return {k: " ".join((SEEDS / name).read_text(encoding="utf-8").split())
            for k, name in papers.SEEDS.items()}


@pytest.mark.parametrize("label,quoted", QUOTED, ids=[label for label, _ in QUOTED])
def test_each_figure_from_a_paper_is_said_there(label, quoted, seeds):
    assert quoted.seed in seeds and quoted.where and quoted.words
    for words in quoted.words:
        assert words in seeds[quoted.seed], f"{label}: {words!r} is not in seed {quoted.seed}"


def test_the_files_carry_their_papers_figures():
    w, iow = load("wiltshire"), load("isle_of_wight")
    q = {k: v.value for k, v in papers.WILTSHIRE.items()}
    assert w.decide_to_assess.no_to_assess == q["no_to_assess_2023"]
    assert w.assessment.no_to_issue == q["no_to_issue_2023"]
    assert w.requests.parent_share == q["parent_share"]
    # the papers' inflation is a cross-check: the council's own outturn sets it
    assert any(s.startswith("finance.inflation_per_year (cross-check):") and "2.2%" in s
               for s in w.council.sources)
    assert w.finance.hnb_growth_per_year == q["hnb_growth"]
    # seed 004's 2025-26 allocation is before deductions; the file's basis is after them
    income = w.finance.hnb_income_gbp
    assert income["2025-26"] / income["2024-25"] == pytest.approx(1 + q["hnb_rise_2025_26"], abs=1e-6)
    assert 0.8 * q["hnb_2025_26"] < income["2025-26"] < q["hnb_2025_26"]
    assert w.finance.general_fund_reserves_gbp == q["general_fund_reserves"]
    assert sum(p.amount_gbp for p in w.finance.safety_valve_payments) == pytest.approx(
        q["safety_valve_total"])
    assert q["safety_valve_max_deficit_2024_25"] in {
        p.max_cumulative_deficit_gbp for p in w.finance.safety_valve_payments}
    assert w.finance.statutory_override_end == q["statutory_override_end"]
    places = {(c.date, c.places) for c in w.placement.place_changes}
    assert set(q["further_special_places"].items()) <= places
    assert sum(q["melksham_house"].values()) in {n for _, n in places}
    assert iow.finance.statutory_override_end == papers.ISLE_OF_WIGHT["statutory_override_end"].value
    for p in (w, iow):       # costs rest on the council's own outturn, not the papers
        basis = dict(line.split(": ", 1) for line in p.finance.cost_basis)
        assert basis["special"] == basis["inmss"] == basis["mainstream"] == "own outturn"


def test_what_the_island_keeps_from_wiltshire_is_wiltshires():
    w, iow = load("wiltshire").to_dict(), load("isle_of_wight").to_dict()
    kept = [line.split(":", 1)[0] for line in iow["council"]["sources"]
            if "kept from Wiltshire" in line]
    assert len(kept) >= 15
    for key in kept:
        section, name = key.split(".", 1)
        stem, _, ends = name.partition("_min/")        # "decision_weeks_min/mode/max"
        names = [f"{stem}_{e}" for e in ("min", "mode", "max")] if ends else [name]
        for n in names:
            assert iow[section][n] == w[section][n], f"{section}.{n}"


def test_a_checkouts_scripts_find_the_data_beside_it(tmp_path, monkeypatch):
    checkout = tmp_path / "repo"
    checkout.mkdir()
    monkeypatch.delenv("SENDSIM_DATA", raising=False)
    assert checkout_data_dir(None, checkout) is None            # the finder's own search
    (tmp_path / "shared" / "data").mkdir(parents=True)
    assert checkout_data_dir(None, checkout) == tmp_path / "shared" / "data"
    assert checkout_data_dir("elsewhere", checkout) == "elsewhere"
    assert checkout_data_dir(None, None) is None
    monkeypatch.setenv("SENDSIM_DATA", str(tmp_path))
    assert checkout_data_dir(None, checkout) is None            # the finder reads $SENDSIM_DATA
