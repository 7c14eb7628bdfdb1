"""The back-test cannot see the future: a data folder cut at the origin gives the same forecasts
as the full folder, and only the full folder can score them. Needs the published statistics.

Kept small for CPU: two small councils, four replications, ABC-SMC with 20 particles and two
generations, one worker.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

from sendsim.errors import OutputError

COUNCILS = ["Isle of Wight", "Rutland"]
ORIGIN = 2021
HORIZON = 2
SMALL = {"population": 20, "generations": 2}
KEYS = ["la_code", "measure", "horizon", "method"]


# `shared_data` (the published statistics, or skip with a reason) comes from conftest.py

def _backtest(data_dir, out=None, **kw):
    from sendsim.backtest.run import backtest
    return backtest(COUNCILS, origin=ORIGIN, horizon=HORIZON, reps=4, seed=5, data_dir=data_dir,
                    out=out, workers=1, progress=False, abc_settings=dict(SMALL),
                    log=lambda *a, **k: None, **kw)


@pytest.fixture(scope="module")
def cut_dir(shared_data, tmp_path_factory):
    from sendsim.data.history import truncate_data_dir
    return truncate_data_dir(shared_data, tmp_path_factory.mktemp("data") / "cut", origin=ORIGIN)


@pytest.fixture(scope="module")
def full_run(shared_data, tmp_path_factory):
    parent = tmp_path_factory.mktemp("full")
    return _backtest(shared_data, out=parent / "bt")


@pytest.fixture(scope="module")
def cut_run(cut_dir):
    return _backtest(cut_dir)


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(KEYS).reset_index(drop=True)


def _listing(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*"))}


# -- leakage ----------------------------------------------------------------------------------

def test_the_cut_folder_really_lacks_the_later_figures(cut_dir, shared_data):
    from sendsim.data.history import load_history
    cut = load_history(COUNCILS[0], cut_dir)
    full = load_history(COUNCILS[0], shared_data)
    assert cut.caseload.index.max() == ORIGIN and full.caseload.index.max() > ORIGIN + 1
    assert cut.flows.index.max() == ORIGIN - 1 and full.flows.index.max() >= ORIGIN + 1
    assert cut.equals(full.until(ORIGIN))
    # and the money: outturns and balances that ended by March 2020, allocations announced by
    # January 2021, no 2021-22 benchmarking outturn
    from sendsim.data import finance as fin
    assert list(fin.s251_net_spend(COUNCILS[0], cut_dir).index)[-1] == "2019-20"
    assert list(fin.dsg_cumulative_balance(COUNCILS[0], cut_dir).dropna().index) == ["2019-20"]
    assert list(fin.dsg_allocations(COUNCILS[0], cut_dir).index)[-1] == "2021-22"
    assert not (Path(cut_dir) / fin.BENCHMARKING).exists()
    assert (Path(shared_data) / fin.BENCHMARKING).exists()


def test_forecasts_from_a_folder_cut_at_the_origin_are_identical(full_run, cut_run):
    full, cut = _sorted(full_run.forecasts), _sorted(cut_run.forecasts)
    methods = set(full["method"])
    assert {"sendsim", "sendsim_raw"} <= methods and len(methods) >= 3      # and the baselines
    assert set(full["la_code"]) == set(cut["la_code"]) and len(set(full["la_code"])) == 2
    assert full_run.skipped.empty and cut_run.skipped.empty
    assert set(full["horizon"]) == set(range(1, HORIZON + 1))
    for method in sorted(methods):
        pd.testing.assert_frame_equal(full[full["method"] == method].reset_index(drop=True),
                                      cut[cut["method"] == method].reset_index(drop=True),
                                      check_exact=True, obj=f"forecasts of {method}")
    pd.testing.assert_frame_equal(full, cut, check_exact=True)
    # the forecasts are not degenerate: the engine's intervals have width
    sim = full[full["method"] == "sendsim"]
    assert (sim["q95"] > sim["q05"]).all()


def test_scores_come_only_from_figures_published_after_the_origin(full_run, cut_run, shared_data):
    from sendsim.backtest.baselines import target_year
    from sendsim.data.history import load_history
    assert not cut_run.scored["scored"].any()
    assert cut_run.scored["actual"].isna().all()
    scored = full_run.scored
    # every forecast is scored, except the four-year growth of the money, which needs five
    # financial years before the origin: section 251 spend begins with 2017-18, so from January
    # 2021 only three (2017-18 to 2019-20) are known
    # The DSG balance is published to 31 March 2022 only, so horizon 2 is never scored, and
    # from one known balance (31 March 2020) no baseline forecasts it.
    from sendsim.data.history import MONEY_MEASURES
    unscored = scored.loc[~scored["scored"], KEYS]
    assert set(unscored["measure"]) <= set(MONEY_MEASURES), unscored
    spend = unscored[unscored["measure"] == "high_needs_spend"]
    assert set(spend["method"]) <= {"average_growth_4y"}, spend
    balance = scored[scored["measure"] == "dsg_cumulative_balance"]
    assert not balance[balance["horizon"] == 2]["scored"].any()
    assert set(balance[balance["scored"]]["method"]) == {"sendsim", "sendsim_raw", "no_change"}
    assert balance[balance["scored"]]["horizon"].eq(1).all() and balance["scored"].sum() == 6   # 2 councils x 3
    scored = scored[scored["scored"]]
    # each actual is the published figure for the year forecast, a year after the origin's data
    for code in set(scored["la_code"]):
        history = load_history(code, shared_data)
        rows = scored[scored["la_code"] == code]
        for r in rows.itertuples():
            year = target_year(r.measure, ORIGIN, r.horizon)
            assert r.year == year
            assert year > (ORIGIN if r.measure.startswith("caseload") else ORIGIN - 1)
            if r.measure in MONEY_MEASURES:    # a financial year that began after the origin
                assert year == ORIGIN + r.horizon
            assert r.actual == pytest.approx(float(history.series(r.measure)[year]))
    # the summaries follow: every group scored on both councils in full, none when cut
    assert (full_run.summary["n_la"] == 2).all() and full_run.summary["mdape"].notna().all()
    assert (cut_run.summary["n_la"] == 0).all() and cut_run.summary["mdape"].isna().all()


# -- the output folder ------------------------------------------------------------------------

def test_a_completed_output_folder_has_every_file_and_a_manifest(full_run, shared_data):
    import sendsim
    folder = full_run.folder
    assert folder is not None and folder.is_dir()
    names = {p.name for p in folder.iterdir()}
    assert {"forecasts.csv", "scores_by_council.csv", "summary.csv", "summary.md",
            "manifest.json"} <= names
    # nothing temporary beside it: the folder was written elsewhere and renamed into place
    assert [p.name for p in folder.parent.iterdir()] == [folder.name]
    written = _sorted(pd.read_csv(folder / "forecasts.csv", dtype={"la_code": str}))
    pd.testing.assert_frame_equal(written, _sorted(full_run.forecasts), check_dtype=False)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["sendsim_version"] == sendsim.__version__
    assert manifest["root_seed"] == 5 and manifest["reps"] == 4
    assert manifest["origin"] == f"{ORIGIN}-01" and manifest["horizon_years"] == HORIZON
    files = manifest["data_files"]
    assert len(files) >= 3 and all(len(f["sha256"]) == 64 for f in files)
    first = files[0]
    assert hashlib.sha256((Path(shared_data) / first["file"]).read_bytes()).hexdigest() == first["sha256"]
    written = pd.read_csv(folder / "scores_by_council.csv")
    from sendsim.data.history import MONEY_MEASURES
    assert written[~written["measure"].isin(MONEY_MEASURES)]["scored"].all()   # see above
    md = (folder / "summary.md").read_text(encoding="utf-8")
    assert md.startswith(f"# Back-test from January {ORIGIN}, 4 replications") and "| sendsim" in md


def test_backtest_refuses_an_existing_folder_without_touching_it(full_run, shared_data, tmp_path):
    from sendsim.backtest.run import BacktestError
    before = _listing(full_run.folder)
    with pytest.raises(BacktestError, match="already holds a back-test"):
        _backtest(shared_data, out=full_run.folder)
    assert _listing(full_run.folder) == before

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me\n", encoding="utf-8")
    for overwrite in (False, True):        # not sendsim's: refused, and --overwrite not offered
        with pytest.raises(OutputError, match="not written by sendsim") as caught:
            _backtest(shared_data, out=mine, overwrite=overwrite)
        assert "--overwrite" not in str(caught.value)
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]
    assert (mine / "notes.txt").read_text(encoding="utf-8") == "keep me\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]
