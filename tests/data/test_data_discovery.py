"""Finding the published data folder, refusing unusable data files, and refusing councils too
small to calibrate: each refusal is one `sendsim: ` line and exit status 2, never a traceback.

The discovery and data-file tests build tiny folders and files in tmp_path and always run. The
tests marked by `shared_data` read the published statistics (../shared/data or $SENDSIM_DATA)
and skip, saying why, when they are absent. Figures expected below are read from the data (or
are the documented thresholds), not copied from the code's output.
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

import sendsim
from sendsim.data import DataDirError, DataFileError, dfe, find_data_dir
from sendsim.data.files import ENV_VAR, EXPECTED_SUBFOLDERS
from sendsim.data.layouts import PLACEMENT_COUNTS, read_table
from sendsim.errors import EXIT_INTERNAL, EXIT_REFUSED, InputError

from conftest import shared_data_dir

ORIGIN = 2023
WILTSHIRE = ("E06000054", "865", "Wiltshire")


# -- helpers -----------------------------------------------------------------------------------

def make_data_dir(path: Path, sub: str = EXPECTED_SUBFOLDERS[0]) -> Path:
    """A folder that looks like the data folder: it holds one of the expected subfolders."""
    (path / sub).mkdir(parents=True)
    return path


def refusal_line(err: str) -> str:
    """The single `sendsim: ` line a refusal prints (asserting there is exactly one)."""
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("sendsim: "), err
    assert "Traceback" not in err and "internal error" not in err, err
    return lines[0]


@pytest.fixture
def places(tmp_path, monkeypatch):
    """Every level of discovery present and valid; cwd = work/checkout."""
    explicit = make_data_dir(tmp_path / "explicit", EXPECTED_SUBFOLDERS[1])
    env = make_data_dir(tmp_path / "env", EXPECTED_SUBFOLDERS[2])
    checkout = tmp_path / "work" / "checkout"
    here = make_data_dir(checkout / "shared" / "data", EXPECTED_SUBFOLDERS[3])
    beside = make_data_dir(tmp_path / "work" / "shared" / "data", EXPECTED_SUBFOLDERS[-1])
    monkeypatch.chdir(checkout)
    monkeypatch.setenv(ENV_VAR, str(env))
    return SimpleNamespace(explicit=explicit, env=env, here=here, beside=beside,
                           checkout=checkout, tmp=tmp_path)


# -- the order ---------------------------------------------------------------------------------

def test_each_level_wins_over_the_later_ones(places, monkeypatch):
    import shutil
    assert find_data_dir(places.explicit) == places.explicit.resolve()
    assert find_data_dir(str(places.explicit)) == places.explicit.resolve()
    assert find_data_dir() == places.env.resolve()
    assert find_data_dir(None) == places.env.resolve()
    monkeypatch.delenv(ENV_VAR)
    assert find_data_dir() == places.here.resolve()            # ./shared/data
    shutil.rmtree(places.here)
    assert find_data_dir() == places.beside.resolve()          # ../shared/data


def test_a_relative_explicit_folder_is_relative_to_the_working_folder(places):
    assert find_data_dir(Path("shared") / "data") == places.here.resolve()
    assert find_data_dir("../shared/data") == places.beside.resolve()


def _not_a_data_folder(tmp: Path, kind: str) -> Path:
    p = tmp / f"bad-{kind}"
    if kind == "file":
        p.write_text("not a folder\n")
    elif kind == "no-subfolder":
        (p / "unrelated").mkdir(parents=True)
        (p / "README.md").write_text("# a folder, but not the data folder\n")
    elif kind == "subfolder-name-is-a-file":
        p.mkdir()
        (p / EXPECTED_SUBFOLDERS[0]).write_text("a file named like the release folder\n")
    return p                                                     # "missing": not created


BAD = ["missing", "file", "no-subfolder", "subfolder-name-is-a-file"]


@pytest.mark.parametrize("kind", BAD)
def test_a_bad_explicit_folder_is_refused_not_passed_over(places, kind):
    bad = _not_a_data_folder(places.tmp, kind)
    with pytest.raises(DataDirError) as err:
        find_data_dir(bad)                   # SENDSIM_DATA, ./ and ../shared/data are all valid
    assert isinstance(err.value, InputError)
    text = err.value.line()
    assert str(bad) in text and "--data" in text, text
    assert str(places.env) not in text and "\n" not in text


@pytest.mark.parametrize("kind", BAD)
def test_a_bad_sendsim_data_folder_is_refused_not_passed_over(places, monkeypatch, kind):
    bad = _not_a_data_folder(places.tmp, kind)
    monkeypatch.setenv(ENV_VAR, str(bad))
    with pytest.raises(DataDirError) as err:
        find_data_dir()                      # ./shared/data and ../shared/data are valid
    text = err.value.line()
    assert str(bad) in text and ENV_VAR in text, text
    assert str(places.here) not in text
    # an explicit folder still wins over a bad variable
    assert find_data_dir(places.explicit) == places.explicit.resolve()


@pytest.mark.parametrize("kind", ["missing", "file", "no-subfolder", "subfolder-name-is-a-file"])
def test_a_local_shared_data_that_is_not_the_data_folder_is_passed_over(places, monkeypatch,
                                                                         kind):
    import shutil
    monkeypatch.delenv(ENV_VAR)
    shutil.rmtree(places.here)
    if kind == "file":
        places.here.write_text("not a folder\n")
    elif kind == "no-subfolder":
        (places.here / "something_else").mkdir(parents=True)
    elif kind == "subfolder-name-is-a-file":
        places.here.mkdir()
        (places.here / EXPECTED_SUBFOLDERS[0]).write_text("x\n")
    assert find_data_dir() == places.beside.resolve()


def test_nothing_found_lists_every_place_in_order(tmp_path, monkeypatch):
    cwd = tmp_path / "a" / "b"
    cwd.mkdir(parents=True)
    (cwd / "shared" / "data").mkdir(parents=True)       # there, but holds no expected subfolder
    monkeypatch.chdir(cwd)
    monkeypatch.delenv(ENV_VAR, raising=False)
    with pytest.raises(DataDirError) as err:
        find_data_dir()
    assert isinstance(err.value, InputError)
    text = err.value.line()
    places = ["--data", ENV_VAR, str(cwd / "shared" / "data"),
              str(cwd.parent / "shared" / "data")]
    at = [text.find(p) for p in places]
    assert -1 not in at and at == sorted(at), text
    # and how to point sendsim at the data
    assert "--data DIR" in text and f"{ENV_VAR}=" in text
    assert "\n" not in text


def test_empty_sendsim_data_counts_as_unset(places, monkeypatch):
    monkeypatch.setenv(ENV_VAR, "")
    assert find_data_dir() == places.here.resolve()


# -- never the package's own location ----------------------------------------------------------

def test_discovery_depends_on_the_working_folder_not_on_the_package(tmp_path, monkeypatch):
    beside_checkout = Path(sendsim.__file__).resolve().parents[2] / "shared" / "data"
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)
    monkeypatch.delenv(ENV_VAR, raising=False)
    with pytest.raises(DataDirError) as err:
        find_data_dir()
    text = err.value.line()
    assert str(beside_checkout) not in text, text
    assert str(Path(sendsim.__file__).resolve().parent) not in text
    # the same folder is found as soon as the working folder is the checkout
    if beside_checkout.is_dir() and any((beside_checkout / s).is_dir()
                                        for s in EXPECTED_SUBFOLDERS):
        monkeypatch.chdir(Path(sendsim.__file__).resolve().parents[1])     # the checkout
        assert find_data_dir() == beside_checkout.resolve()


# -- the command line from another folder ------------------------------------------------------

def _calibrate_argv(out: Path, la: str = "Wiltshire", *extra: str) -> list[str]:
    return ["calibrate", "--la", la, "--origin", f"{ORIGIN}-01", "--out", str(out),
            "--quiet", *extra]


@pytest.fixture
def elsewhere(tmp_path, monkeypatch):
    """An empty working folder far from the checkout, SENDSIM_DATA unset, and an out folder."""
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.delenv(ENV_VAR, raising=False)
    return SimpleNamespace(cwd=cwd, out=out)


def test_cli_from_another_folder_without_data_exits_2_saying_where_it_looked(elsewhere, capsys):
    from sendsim.cli import main
    code = main(_calibrate_argv(elsewhere.out / "w.toml"))
    captured = capsys.readouterr()
    assert code == EXIT_REFUSED != EXIT_INTERNAL
    line = refusal_line(captured.err)
    assert str(elsewhere.cwd / "shared" / "data") in line, line
    assert str(elsewhere.cwd.parent / "shared" / "data") in line, line
    assert "--data" in line and ENV_VAR in line, line
    assert list(elsewhere.out.iterdir()) == [] and list(elsewhere.cwd.iterdir()) == []


def test_cli_subprocess_from_another_folder_without_data_exits_2(elsewhere):
    env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    proc = subprocess.run([sys.executable, "-m", "sendsim",
                           *_calibrate_argv(elsewhere.out / "w.toml")],
                          cwd=elsewhere.cwd, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == EXIT_REFUSED, proc.stderr
    line = refusal_line(proc.stderr)
    assert str(elsewhere.cwd / "shared" / "data") in line and "--data" in line, line
    assert list(elsewhere.out.iterdir()) == []


@pytest.mark.parametrize("how", ["--data", ENV_VAR])
def test_cli_from_another_folder_with_the_data_gets_past_discovery(shared_data, elsewhere,
                                                                   monkeypatch, capsys, how):
    from sendsim.cli import main
    extra = []
    if how == "--data":
        extra = ["--data", str(shared_data)]
    else:
        monkeypatch.setenv(ENV_VAR, str(shared_data))
    code = main(_calibrate_argv(elsewhere.out / "w.toml", "Atlantis", *extra))
    line = refusal_line(capsys.readouterr().err)
    assert code == EXIT_REFUSED
    assert "Atlantis" in line and "no published data folder" not in line, line
    assert list(elsewhere.out.iterdir()) == []


# -- unusable data files -----------------------------------------------------------------------

META = ("time_period,time_identifier,geographic_level,country_code,country_name,region_code,"
        "region_name,new_la_code,old_la_code,la_name")


def _meta(year: str, la=WILTSHIRE) -> str:
    return (f"{year},Calendar year,Local authority,E92000001,England,E12000009,South West,"
            f"{la[0]},{la[1]},{la[2]}")


def _gz(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write(text)
    return path


def _register(root: Path, cells: str = "1000") -> Path:
    """dfe_ehcp_2025_release/caseload.csv.gz: Wiltshire's January 2022 and 2023 caseload,
    every placement column set to `cells` (the register of councils and the caseload table)."""
    cols = ("ehcplans",) + PLACEMENT_COUNTS
    head = f"{META},breakdown_topic,breakdown,{','.join(cols)}\n"
    rows = "".join(f"{_meta(y)},All EHC plans,Total,{','.join([cells] * len(cols))}\n"
                   for y in ("202122", "202223"))
    return _gz(root / "dfe_ehcp_2025_release" / "caseload.csv.gz", head + rows)


REQ_HEAD = f"{META},breakdown_topic,breakdown,requests_received_in_year,requests_decided_not_to_assess\n"


def _requests(root: Path, rows: list[tuple[str, str, tuple]]) -> Path:
    body = "".join(f"{_meta(y, la)},All requests for EHC needs assessments,Total,{a},{b}\n"
                   for y, (a, b), la in rows)
    return _gz(root / "dfe_ehcp_2025_release" / "requests.csv.gz", REQ_HEAD + body)


SUPPRESSED = ["x", "z", "c", "", " c "]
SOMERSET = ("E06000066", "933", "Somerset")


@pytest.fixture
def data(tmp_path):
    root = tmp_path / "data"
    _register(root)
    return root


def test_empty_file_is_refused_naming_it(data):
    path = _gz(data / "dfe_ehcp_2025_release" / "requests.csv.gz", "")
    with pytest.raises(DataFileError) as err:
        dfe.requests("Wiltshire", data)
    assert isinstance(err.value, InputError)
    assert str(path) in err.value.line() and "empty" in err.value.line()


def test_header_only_file_is_refused_naming_it(data):
    path = _gz(data / "dfe_ehcp_2025_release" / "requests.csv.gz", REQ_HEAD)
    with pytest.raises(DataFileError) as err:
        dfe.requests("Wiltshire", data)
    assert str(path) in err.value.line() and "no rows" in err.value.line(), err.value.line()


def test_a_fully_suppressed_column_is_refused_naming_file_and_column(data):
    years = [str(y) for y in range(2019, 2024)]
    path = _requests(data, [(y, (m, 10 + i), WILTSHIRE)
                            for i, (y, m) in enumerate(zip(years, SUPPRESSED))])
    with pytest.raises(DataFileError) as err:
        dfe.requests("Wiltshire", data)
    text = err.value.line()
    assert str(path) in text and "requests_received_in_year" in text, text
    assert "requests_decided_not_to_assess" not in text.split(str(path))[1], text


def test_both_columns_suppressed_names_both(data):
    _requests(data, [(str(2019 + i), (m, m), WILTSHIRE) for i, m in enumerate(SUPPRESSED)])
    with pytest.raises(DataFileError) as err:
        dfe.requests("Wiltshire", data)
    text = err.value.line()
    assert "requests_received_in_year" in text and "requests_decided_not_to_assess" in text


def test_a_councils_fully_suppressed_rows_are_refused_naming_the_council(data):
    path = _requests(data, [("2021", ("x", "c"), WILTSHIRE), ("2022", ("z", ""), WILTSHIRE),
                            ("2022", ("500", "40"), SOMERSET)])
    with pytest.raises(DataFileError) as err:
        dfe.requests("Wiltshire", data)
    text = err.value.line()
    assert str(path) in text and "Wiltshire" in text and "requests_received_in_year" in text


def test_suppressed_cells_beside_figures_are_read_as_missing_not_refused(data):
    _requests(data, [("2021", ("x", "30"), WILTSHIRE), ("2022", ("971", "c"), WILTSHIRE)])
    got = dfe.requests("Wiltshire", data)
    assert pd.isna(got.at["2021", "requests_received_in_year"])
    assert got.at["2022", "requests_received_in_year"] == 971.0
    assert pd.isna(got.at["2022", "requests_decided_not_to_assess"])


def test_a_fully_suppressed_table_is_refused_by_the_layout_reader(tmp_path):
    root = tmp_path / "data"
    path = _register(root, "x")
    with pytest.raises(DataFileError) as err:
        read_table(path, "caseload")
    text = err.value.line()
    assert str(path) in text and "ehcplans" in text, text


def _cli_refusal(argv, capsys) -> str:
    from sendsim.cli import main
    code = main(argv)
    line = refusal_line(capsys.readouterr().err)
    assert code == EXIT_REFUSED, line
    return line


@pytest.mark.parametrize("case", ["empty", "header-only", "suppressed"])
def test_cli_turns_an_unusable_data_file_into_exit_2(tmp_path, monkeypatch, capsys, case):
    root = tmp_path / "data"
    register = root / "dfe_ehcp_2025_release" / "caseload.csv.gz"
    if case == "empty":
        _gz(register, "")
    elif case == "header-only":
        _gz(register, gzip.decompress(_register(root).read_bytes()).decode().splitlines()[0]
            + "\n")                                    # the full header, no rows
    else:
        _register(root, "x")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(ENV_VAR, raising=False)
    out = tmp_path / "out"
    out.mkdir()
    line = _cli_refusal(_calibrate_argv(out / "w.toml", "Wiltshire", "--data", str(root)),
                        capsys)
    assert str(register) in line, line
    if case == "suppressed":
        assert "ehcplans" in line, line
    else:
        assert ("empty" if case == "empty" else "no rows") in line, line
    assert list(out.iterdir()) == []


# -- councils too small to calibrate (published data) ------------------------------------------

_no_data = pytest.mark.skipif(shared_data_dir() is None, reason=(
    "published statistics not available: no ../shared/data beside the repository and "
    f"{ENV_VAR} unset"))


def needs_data(test):
    return pytest.mark.shared_data(_no_data(test))

TINY = [("E06000053", "Isles of Scilly"), ("City of London", "City of London")]


def _history(la: str, origin: int = ORIGIN):
    from sendsim.data.history import load_history
    return load_history(la, shared_data_dir()).until(origin)   # as calibrate() cuts it


def _published(history, origin: int = ORIGIN) -> tuple[float, float]:
    """Plans at the origin census and mean requests a year over the fit's window."""
    from sendsim.calibration.fit import WINDOW_YEARS
    r = history.flows["requests"]
    r = r[(r.index >= origin - WINDOW_YEARS) & (r.index < origin)].dropna()
    return float(history.caseload["total"][origin]), float(r.mean())


@needs_data
@pytest.mark.parametrize("la, name", TINY, ids=["isles-of-scilly", "city-of-london"])
def test_tiny_councils_are_not_calibratable(la, name):
    from sendsim.calibration import (MIN_CASELOAD, MIN_REQUESTS_PER_YEAR, NotCalibratable,
                                     check_calibratable)
    h = _history(la)
    plans, requests = _published(h)
    assert plans < MIN_CASELOAD and requests < MIN_REQUESTS_PER_YEAR    # the data's premise
    with pytest.raises(NotCalibratable) as err:
        check_calibratable(h, ORIGIN)
    assert isinstance(err.value, InputError)
    text = err.value.line()
    assert name in text and h.la.new_code in text, text
    assert f"{plans:.0f} plans" in text and f"{requests:.1f} requests" in text, text
    assert "\n" not in text


@needs_data
@pytest.mark.parametrize("la, name", TINY, ids=["isles-of-scilly", "city-of-london"])
def test_cli_refuses_tiny_councils_writing_nothing(la, name, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    h = _history(la)
    plans, requests = _published(h)
    line = _cli_refusal(_calibrate_argv(out / "tiny.toml", la, "--data",
                                        str(shared_data_dir())), capsys)
    assert name in line and h.la.new_code in line, line
    assert "plans" in line and "requests" in line, line                    # the series
    assert f"{plans:.0f}" in line and f"{requests:.1f}" in line, line      # the figures
    assert list(out.iterdir()) == []


@needs_data
@pytest.mark.parametrize("origin", [2021, 2022, 2023])
def test_rutland_the_next_smallest_is_calibratable(origin):
    from sendsim.calibration import MIN_CASELOAD, check_calibratable
    h = _history("Rutland", origin)
    plans, _ = _published(h, origin)
    assert plans >= MIN_CASELOAD
    check_calibratable(h, origin)                # does not raise


def _fake_history(plans: float, requests: list[float], origin: int = ORIGIN):
    from sendsim.data.la import LocalAuthority
    years = list(range(origin - len(requests), origin))
    return SimpleNamespace(
        la=LocalAuthority(name="Testshire", new_code="E06999999", old_code="999"),
        caseload=pd.DataFrame({"total": [plans]}, index=[origin]),
        flows=pd.DataFrame({"requests": requests}, index=years))


@pytest.mark.parametrize("plans, requests, ok", [
    (100, [20.0] * 6, True),
    (99, [500.0] * 6, False),
    (5000, [19.0, 21.0, 19.0, 21.0, 19.0, 19.5], False),
    (5000, [0.0, 40.0, 20.0, 20.0, 20.0, 20.0], True),
], ids=["at-both-thresholds", "one-plan-short", "requests-just-short", "mean-of-window"])
def test_the_thresholds(plans, requests, ok):
    from sendsim.calibration import NotCalibratable, check_calibratable
    h = _fake_history(plans, requests)
    if ok:
        check_calibratable(h, ORIGIN)
    else:
        with pytest.raises(NotCalibratable) as err:
            check_calibratable(h, ORIGIN)
        assert "Testshire (E06999999)" in err.value.line()


def test_no_caseload_at_the_origin_is_refused_naming_the_series():
    from sendsim.calibration import NotCalibratable, check_calibratable
    h = _fake_history(float("nan"), [50.0] * 6)
    with pytest.raises(NotCalibratable) as err:
        check_calibratable(h, ORIGIN)
    assert err.value.series == "caseload.total" and f"January {ORIGIN}" in err.value.line()


def test_a_council_with_no_census_yet_is_not_called_small():
    """A council formed by a reorganisation (North and West Northamptonshire, April 2021) has no
    census before it existed: the refusal says so, not that the council is too small."""
    from sendsim.calibration import NotCalibratable, check_calibratable
    h = _fake_history(float("nan"), [50.0] * 6)
    h.caseload = pd.DataFrame({"total": pd.Series(dtype=float)})        # no census year at all
    with pytest.raises(NotCalibratable) as err:
        check_calibratable(h, ORIGIN)
    line = err.value.line()
    assert "no census year published" in line and "first published January census" in line
    assert "this small" not in line and "at least 100 plans" not in line
