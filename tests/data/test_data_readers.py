"""Readers for the published statistics (sendsim.data).

The first tests build tiny files themselves and always run. Tests marked by the `shared_data`
fixture read ../shared/data (or $SENDSIM_DATA) and are skipped, saying why, when it is absent.
Figures asserted below are published figures read back from the data, or identities the files
must satisfy; none is a value the code was tuned to.
"""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sendsim.codes import AGE_BANDS, SETTINGS
from sendsim.data import (DataDirError, DataFileError, dfe, finance, find_data_dir,
                          local_authority, ons, placements, pupils, read_csv)

WILTSHIRE = "E06000054"


# `shared_data` (the published statistics, or skip with a reason) comes from conftest.py


# -- always run: tiny fixture files ---------------------------------------------------------

def _write(path: Path, text: str) -> Path:
    if path.suffix == ".gz":
        with gzip.open(path, "wt", encoding="utf-8") as f:
            f.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


FIXTURE = (
    "time_period,new_la_code,old_la_code,la_name,requests,refused,note\n"
    "2021,E06000054,865,Wiltshire,x,0,ok\n"
    "2022,E06000054,865,Wiltshire,971,z,\n"
    "2023,E06000054,865,Wiltshire,c,12, also\n"
    "2024,E06000054,865,Wiltshire,,3.5,x\n"
)


@pytest.mark.parametrize("name", ["t.csv", "t.csv.gz"])
def test_x_z_c_and_blank_are_missing_never_zero(tmp_path, name):
    df = read_csv(_write(tmp_path / name, FIXTURE))
    assert df["requests"].isna().tolist() == [True, False, True, True]
    assert df["requests"].sum(min_count=1) == 971          # missing cells add nothing
    assert df["requests"].dtype == float
    assert df["refused"].tolist()[0] == 0.0                  # a real 0 stays 0
    assert math.isnan(df["refused"].tolist()[1])
    assert df["refused"].tolist()[2:] == [12.0, 3.5]
    # identifiers stay text; a text column keeps its text and its missing cells
    assert df["time_period"].tolist() == ["2021", "2022", "2023", "2024"]
    assert df["old_la_code"].tolist() == ["865"] * 4
    assert df["note"].tolist()[0] == "ok" and pd.isna(df["note"].tolist()[1])
    assert pd.isna(df["note"].tolist()[3])


def test_missing_file_and_column_are_named(tmp_path):
    with pytest.raises(DataFileError, match="nothing.csv: file not found"):
        read_csv(tmp_path / "nothing.csv")
    path = _write(tmp_path / "t.csv", FIXTURE)
    with pytest.raises(DataFileError) as err:
        read_csv(path, columns=("requests", "ehcplans", "neet"))
    assert "t.csv" in str(err.value) and "ehcplans, neet" in str(err.value)


def test_data_dir_explicit_env_and_default(tmp_path, monkeypatch):
    data = tmp_path / "data"
    (data / "dfe_ehcp_2025_release").mkdir(parents=True)
    assert find_data_dir(data) == data.resolve()
    with pytest.raises(DataDirError, match="given explicitly"):
        find_data_dir(tmp_path / "absent")
    with pytest.raises(DataDirError, match="given explicitly.*expected subfolders"):
        find_data_dir(tmp_path)                    # a folder, but not the data folder
    monkeypatch.setenv("SENDSIM_DATA", str(data))
    assert find_data_dir() == data.resolve()
    monkeypatch.setenv("SENDSIM_DATA", str(tmp_path / "absent"))
    with pytest.raises(DataDirError, match="SENDSIM_DATA"):
        find_data_dir()
    # no argument, no variable: ../shared/data relative to the current directory (never the
    # package's own location: see tests/data/test_data_discovery.py)
    monkeypatch.delenv("SENDSIM_DATA")
    repo = tmp_path / "work" / "checkout"
    repo.mkdir(parents=True)
    monkeypatch.chdir(repo)
    with pytest.raises(DataDirError) as err:
        find_data_dir()
    assert str(tmp_path / "work" / "shared" / "data") in str(err.value)
    (tmp_path / "work" / "shared" / "data" / "dfe_ehcp_2025_release").mkdir(parents=True)
    assert find_data_dir() == (tmp_path / "work" / "shared" / "data").resolve()


def _placement_row(**cells) -> dict:
    row = {c: 0.0 for c in placements.REQUIRED_COLUMNS}
    row.update(cells)
    return row


def test_mapping_to_settings_on_a_small_table():
    rows = pd.DataFrame([
        _placement_row(ehcplans=97, la_name="Testshire", time_period="202223", nm_early_years=2, mainstream_total=50,
                       mainstream_academy_resourced_provision=6, mainstream_la_maintained_senunit=4,
                       special_la_maintained=10, special_academy_free=5, special_independent=3,
                       special_non_maintained=1, ap_pru_total=1, general_fe_tertiary_colleges=8,
                       ukrlp_provider=np.nan, specialist_post_16_institutions=2,
                       ed_elsewhere=12, neet=3, neet_ntci=2, other_placement_settings=2,
                       placement_unknown=1),
    ])
    got = placements.map_to_settings(rows, "ehcplans").iloc[0]
    assert got["resource_base"] == 10
    assert got["mainstream"] == 50 - 10 + 1
    assert got["special"] == 15 and got["inmss"] == 4
    assert got["fe_college"] == 8                     # ukrlp missing: 0, since the total reconciles
    assert got["neet"] == 5 and got["eotas"] == 12 - 5 + 2
    assert got[list(SETTINGS)].sum() == got["total"] == 97

    off = rows.assign(ehcplans=98)
    with pytest.raises(DataFileError, match="do not add up to ehcplans for row.s. Testshire 202223"):
        placements.map_to_settings(off, "ehcplans")
    assert placements.map_to_settings(off, "ehcplans", strict=False)["total"].iloc[0] == 98
    with pytest.raises(DataFileError, match="missing column.s. mainstream_total"):
        placements.map_to_settings(rows.drop(columns=["mainstream_total"]), "ehcplans")


def test_rounding_helpers():
    counts = placements.largest_remainder({"a": 121, "b": 1557, "c": 1690, "d": 804, "e": 115}, 4760)
    assert sum(counts.values()) == 4760
    exact = {k: v / 4287 * 4760 for k, v in {"a": 121, "b": 1557, "c": 1690, "d": 804, "e": 115}.items()}
    assert all(abs(counts[k] - exact[k]) < 1 for k in counts)
    dist = placements.rounded_distribution({"x": 1, "y": 1, "z": 1})
    assert sum(dist.values()) == pytest.approx(1.0, abs=1e-12)
    assert placements.restrict_to_age_band({"neet": 1, "mainstream": 3}, "under_5") == {
        "early_years": 0.0, "mainstream": 3.0, "resource_base": 0.0, "special": 0.0,
        "inmss": 0.0, "eotas": 1.0}
    assert [placements.age_band_of_label(x) for x in
            ("age 2 and under", "age 4", "age 5", "age 15", "age 16", "age 19",
             "age 20 and over", "Under 5", "Age 11 to 15")] == [
        "under_5", "under_5", "5_10", "11_15", "16_19", "16_19", "20_25", "under_5", "11_15"]


# -- shared data ------------------------------------------------------------------------------

def _raw(shared_data: Path, relative: str) -> pd.DataFrame:
    """The file read the plain pandas way, as an independent check on the readers."""
    return pd.read_csv(shared_data / relative, dtype=str, keep_default_na=False)


def test_local_authority_by_code_old_code_or_name(shared_data):
    for key in ("E06000054", 865, "865", "wiltshire", "WILTSHIRE"):
        la = local_authority(key, shared_data)
        assert (la.name, la.new_code, la.old_code) == ("Wiltshire", "E06000054", "865")
    with pytest.raises(DataFileError, match="caseload.csv.gz: no local authority 'Wiltshyre'"):
        local_authority("Wiltshyre", shared_data)


def test_wiltshire_january_2023_caseload_read_back(shared_data):
    raw = _raw(shared_data, "dfe_ehcp_2025_release/caseload.csv.gz")
    published = raw[(raw.new_la_code == WILTSHIRE) & (raw.time_period == "202223")]["ehcplans"]
    assert published.tolist() == ["4760"]
    table = dfe.caseload(WILTSHIRE, shared_data)
    assert table.loc["202223", "ehcplans"] == 4760
    by_setting = dfe.caseload_by_setting("Wiltshire", shared_data)
    assert by_setting.loc["202223", list(SETTINGS)].sum() == 4760
    # ukrlp_provider is x before 2023: missing, not 0, in the raw reading
    assert math.isnan(table.loc["202122", "ukrlp_provider"])


def test_mapping_reconciles_for_every_council_and_census(shared_data):
    path = shared_data / "dfe_ehcp_2025_release/caseload.csv.gz"
    df = read_csv(path)
    las = df[df.geographic_level == "Local authority"]
    mapped = placements.map_to_settings(las, "ehcplans", path=path)   # raises if any row is off
    assert len(mapped) > 700
    assert (mapped[list(SETTINGS)] >= 0).all().all()


def test_new_plans_by_age_add_up_to_the_year_total(shared_data):
    by_age = dfe.new_plans_by_age_and_setting(WILTSHIRE, shared_data)
    for year, rows in by_age.groupby("time_period"):
        total = dfe.value(dfe.new_plans(WILTSHIRE, shared_data), year, "new_ehc_plans")
        assert rows["total"].sum() == total
        assert rows[list(SETTINGS)].sum().sum() == total
    assert set(by_age["age_band"]) <= set(AGE_BANDS)


def test_flows_read_back(shared_data):
    raw = _raw(shared_data, "dfe_ehcp_2025_release/requests.csv.gz")
    row = raw[(raw.new_la_code == WILTSHIRE) & (raw.time_period == "2022")].iloc[0]
    req = dfe.requests(WILTSHIRE, shared_data)
    assert req.loc["2022", "requests_received_in_year"] == float(row["requests_received_in_year"])
    assert row["requests_decided_to_assess"] == "x"
    assert math.isnan(req.loc["2022", "requests_decided_to_assess"])
    with pytest.raises(DataFileError, match="requests_decided_to_assess for 2022 is missing"):
        dfe.value(req, "2022", "requests_decided_to_assess")
    ceased = dfe.ceased_plans(WILTSHIRE, shared_data)
    reasons = ["max_age", "needs_met", "he", "employ", "transfer", "no_engage",
               "moved_outside_eng", "deceased", "not_rec", "other"]
    assert ceased.loc["2022", reasons].sum() == ceased.loc["2022", "total_ceased"]
    # the old SEN2 return agrees with the 2025 release where both publish a year
    mi = dfe.sen2_mi(WILTSHIRE, shared_data)
    ass = dfe.assessments(WILTSHIRE, shared_data)
    for year in ("2019", "2020", "2021"):
        assert mi.loc[year, "InreqEHC"] == req.loc[year, "requests_received_in_year"]
        assert mi.loc[year, "NewallEHC"] == ass.loc[year, "assess_issued"]


def test_caseload_by_age_groups_add_up(shared_data):
    by_age = dfe.caseload_by_age(WILTSHIRE, shared_data)
    assert (by_age.loc["2022", list(AGE_BANDS)].sum()
            == by_age.loc["2022", "total"]
            == dfe.caseload(WILTSHIRE, shared_data).loc["202122", "ehcplans"])


def test_population_projection(shared_data):
    pop = ons.population_projection("Wiltshire", shared_data)
    assert list(pop.index) == list(range(26))
    assert list(pop.columns) == [str(y) for y in range(2022, 2048)]
    raw = _raw(shared_data, "ons_snpp_2022based/snpp2022_5yr_wiltshire_age0_25_persons.csv")
    assert pop.loc[3, "2025"] == float(raw[raw.AGE_GROUP == "3"]["2025"].iloc[0])
    with pytest.raises(DataFileError, match="no Population/persons rows"):
        ons.population_projection("Isle of Wight", shared_data)


def test_finance_readers(shared_data):
    dsg = finance.dsg_allocations(865, shared_data)
    raw = _raw(shared_data, "esfa_dsg_allocations/dsg_allocations_summary_2019-20_to_2023-24_all_LAs.csv")
    row = raw[(raw.la_code == "865") & (raw.financial_year == "2023-24")].iloc[0]
    assert dsg.loc["2023-24", "high_needs_block_before"] == float(row["high_needs_block_before"])
    assert round(dsg.loc["2023-24", "high_needs_block_before"] / 1e6, 1) == 70.9   # model.md
    pct = finance.dsg_deficit_pct_of_income(WILTSHIRE, shared_data)
    assert (pct < 0).all()
    assert set(pct.index) <= set(finance.dsg_total_allocation(WILTSHIRE, shared_data).index)


def test_s251_net_spend_is_the_benchmarking_outturn_without_place_funding(shared_data):
    """The third-party 'net high needs' figure is the s251 outturn's top-ups plus central
    services, without place funding: checked for 2021-22, the year both files cover."""
    s251 = finance.s251_net_spend(WILTSHIRE, shared_data)
    bench = finance.high_needs_benchmarking_2122(WILTSHIRE, shared_data)
    lines = ["outturn_topup_maintained_total", "outturn_topup_independent_total",
             "outturn_sen_support_inclusion_services", "outturn_alternative_provision_services",
             "outturn_hospital_education", "outturn_therapies_health"]
    assert sum(bench[k] for k in lines) == pytest.approx(s251.loc["2021-22", "high_needs_send_net"])
    assert bench["outturn_topup_maintained_total"] == pytest.approx(sum(
        bench[f"outturn_topup_maintained_{p}"]
        for p in ("early_years", "primary", "secondary", "special", "ap", "post_school")))


def test_sen_support_shares(shared_data):
    share = pupils.percent_pupils(WILTSHIRE, "SEN support", shared_data)
    ehcp = pupils.percent_pupils(WILTSHIRE, "EHC plan", shared_data)
    assert "202223" in share.index and (share > ehcp.reindex(share.index)).all()
    lait = pupils.lait_sen_support_by_phase(WILTSHIRE, shared_data)
    assert list(lait.columns) == ["primary", "secondary"] and lait.notna().all().all()
