"""Money: ESFA DSG allocations, section 251 high-needs spend, DSG deficits, benchmarking.

- `dsg_allocations`: ESFA Dedicated Schools Grant by block, before and after deductions
  (academy, FE and independent place funding the ESFA pays directly), 2019-20 to 2023-24.
- `s251_net_spend`: net high-needs spend per council (a third party's aggregation of DfE's
  section 251 outturn; it equals the outturn's top-ups and central services, *without* place
  funding, as the 2021-22 benchmarking file shows line by line).
- `dsg_deficit_pct_of_income`, `dsg_total_allocation`: the SEND and AP dashboard's cumulative
  DSG balance as a % of total DSG income, and that income, so the balance in pounds is
  ``pct / 100 * income``.
- `high_needs_benchmarking_2122`: the 2021-22 high-needs benchmarking table (section 251
  budget and outturn lines, placements), decoded from its numbered ``cNNN:`` headers.

Financial years are labelled "2023-24" throughout.
"""

from __future__ import annotations

import pandas as pd

from sendsim.data.files import DataFileError, data_file, read_csv
from sendsim.data.la import la_rows, local_authority

ESFA_SUMMARY = "esfa_dsg_allocations/dsg_allocations_summary_2019-20_to_2023-24_all_LAs.csv"
S251 = "s251_high_needs_net_derived/s251_net_education_spend_2017-18_to_2022-23.csv"
DSG_DEFICIT = "dfe_send_ap_inclusion_dashboard/dsg_deficit_pct_of_income_all_LAs_2019-20_to_2021-22.csv"
DSG_TOTAL = "dfe_send_ap_inclusion_dashboard/DSG_by_year_total_allocation_all_LAs.csv"
BENCHMARKING = "dfe_send_ap_inclusion_dashboard/high_needs_benchmarking_outturn_data_202122_all_LAs.csv"

DEFICIT_PCT_COLUMN = "DSG cumulative balance as a % of the total income"


def fy_label(period) -> str:
    """'202122', 202122.0 or '2021-22' -> '2021-22'."""
    s = str(period).strip()
    if s.endswith(".0"):
        s = s[:-2]
    if len(s) == 7 and s[4] == "-":
        return s
    if len(s) == 6 and s.isdigit():
        return f"{s[:4]}-{s[4:]}"
    raise ValueError(f"not a financial year: {period!r}")


def dsg_allocations(la, data_dir=None) -> pd.DataFrame:
    """DSG allocations by block (GBP), index financial_year. Columns include
    high_needs_block_before/after, schools_block_before/after, total_dsg_before/after."""
    council = local_authority(la, data_dir)
    path = data_file(data_dir, ESFA_SUMMARY)
    cols = ("financial_year", "la_code", "high_needs_block_before", "high_needs_block_after",
            "schools_block_before", "schools_block_after", "total_dsg_before", "total_dsg_after")
    rows = la_rows(read_csv(path, columns=cols), council, path, by="la_code")
    out = rows.set_index("financial_year").sort_index()
    if out.index.duplicated().any():
        raise DataFileError(f"more than one row per financial_year for {council}", path)
    out.attrs["path"] = str(path)
    return out


def s251_net_spend(la, data_dir=None) -> pd.DataFrame:
    """Net education spend lines (GBP) by financial year, including ``high_needs_send_net``."""
    council = local_authority(la, data_dir)
    path = data_file(data_dir, S251)
    rows = la_rows(read_csv(path, columns=("financial_year", "la_code", "high_needs_send_net")),
                   council, path, by="la_code")
    out = rows.set_index("financial_year").sort_index()
    out.attrs["path"] = str(path)
    return out


def dsg_deficit_pct_of_income(la, data_dir=None) -> pd.Series:
    """Cumulative DSG balance at 31 March as a % of total DSG income (negative = deficit),
    by financial year. The file names councils only by name."""
    council = local_authority(la, data_dir)
    path = data_file(data_dir, DSG_DEFICIT)
    df = read_csv(path, columns=("geographic_level", "la_name", "financial_year", DEFICIT_PCT_COLUMN))
    rows = la_rows(df[df["geographic_level"] == "Local authority"], council, path, by="la_name")
    out = rows.set_index("financial_year")[DEFICIT_PCT_COLUMN].sort_index()
    out.attrs["path"] = str(path)
    return out


def dsg_cumulative_balance(la, data_dir=None) -> pd.Series:
    """Cumulative DSG balance at 31 March in GBP (negative = deficit), by financial year: the
    dashboard's % of income times the income it divides by (NaN where either is missing)."""
    pct = dsg_deficit_pct_of_income(la, data_dir)
    total = dsg_total_allocation(la, data_dir)
    out = pct / 100 * total.reindex(pct.index)
    out.attrs["paths"] = [pct.attrs["path"], total.attrs["path"]]
    return out.rename("cumulative_balance_gbp")


def dsg_total_allocation(la, data_dir=None) -> pd.Series:
    """Total DSG allocation (GBP) the dashboard divides by, by financial year."""
    council = local_authority(la, data_dir)
    path = data_file(data_dir, DSG_TOTAL)
    col = "Total DSG allocation (£s)"
    rows = la_rows(read_csv(path, columns=("la_code", "time_period", col)), council, path,
                   by="la_code")
    out = pd.Series(rows[col].values, index=[fy_label(t) for t in rows["time_period"]],
                    name="total_dsg").sort_index()
    out.attrs["path"] = str(path)
    return out


#: name -> (column code, words the header must contain) for the benchmarking table.
BENCHMARKING_COLUMNS: dict[str, tuple[str, str]] = {
    "plans_total": ("c006", "EHCP"),
    "plans_mainstream": ("c007", "Mainstream"),
    "plans_resourced_provision": ("c008", "Resourced provision"),
    "plans_special": ("c009", "special"),
    "plans_nmss_independent": ("c010", "independent"),
    "plans_hospital_ap": ("c011", "alternative provision"),
    "plans_post16": ("c012", "Post 16"),
    "plans_other": ("c013", "Other"),
    # section 251 outturn 2021-22 (the budget columns c015-c041 are left out)
    "outturn_place_special_and_ap": ("c060", "Section 251 outturn"),
    "outturn_place_early_years": ("c061", "Early Years"),
    "outturn_place_primary": ("c062", "Primary"),
    "outturn_place_secondary": ("c063", "Secondary"),
    "outturn_place_special": ("c064", "Special"),
    "outturn_place_ap": ("c065", "PRU"),
    "outturn_place_post_school": ("c066", "Post School"),
    "outturn_topup_maintained_total": ("c067", "Top up"),
    "outturn_topup_maintained_early_years": ("c068", "Early Years"),
    "outturn_topup_maintained_primary": ("c069", "Primary"),
    "outturn_topup_maintained_secondary": ("c070", "Secondary"),
    "outturn_topup_maintained_special": ("c071", "Special"),
    "outturn_topup_maintained_ap": ("c072", "PRU"),
    "outturn_topup_maintained_post_school": ("c073", "Post School"),
    "outturn_topup_independent_total": ("c075", "independent"),
    "outturn_topup_independent_early_years": ("c076", "Early Years"),
    "outturn_topup_independent_primary": ("c077", "Primary"),
    "outturn_topup_independent_secondary": ("c078", "Secondary"),
    "outturn_topup_independent_special": ("c079", "Special"),
    "outturn_topup_independent_ap": ("c080", "PRU"),
    "outturn_topup_independent_post_school": ("c081", "Post School"),
    "outturn_sen_support_inclusion_services": ("c083", "SEN support"),
    "outturn_alternative_provision_services": ("c084", "Alternative"),
    "outturn_hospital_education": ("c085", "Hospital"),
    "outturn_therapies_health": ("c086", "Therapies"),
}


def high_needs_benchmarking_2122(la, data_dir=None) -> dict[str, float]:
    """The council's row of the 2021-22 high-needs benchmarking table, as named figures (GBP,
    or plan counts for ``plans_*``, January 2021 census). Notes: the "place funding" total
    (c060) is special schools plus AP/PRUs only; primary and secondary (resourced provision)
    place funding are separate lines."""
    council = local_authority(la, data_dir)
    path = data_file(data_dir, BENCHMARKING)
    df = read_csv(path)
    by_code = {c.split(":")[0].strip(): c for c in df.columns if ":" in c}
    for needed in ("c002", "c003"):
        if needed not in by_code:
            raise DataFileError(f"missing column {needed} (LA code / LA name)", path)
    df = df.rename(columns={by_code["c002"]: "la_code", by_code["c003"]: "la_name"})
    row = la_rows(df, council, path, by="la_code")
    if len(row) != 1:
        raise DataFileError(f"{len(row)} rows for {council} (expected 1)", path)
    out = {}
    for name, (code, words) in BENCHMARKING_COLUMNS.items():
        header = by_code.get(code)
        if header is None or words.casefold() not in header.casefold():
            raise DataFileError(f"column {code} ({words}) missing or moved; header is "
                                f"{header!r}", path)
        v = pd.to_numeric(row.iloc[0][header], errors="coerce")
        out[name] = float(v) if pd.notna(v) else float("nan")
    return out
