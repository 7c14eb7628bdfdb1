"""Derive the Isle of Wight's parameter file, ``sendsim/councils/isle_of_wight.toml``.

Run from the repository root::

    python calibration/derive_isle_of_wight.py [--data DIR] [--out PATH]

It starts from Wiltshire's derived parameters (the shipped ``sendsim/councils/wiltshire.toml``,
made by ``calibration/derive_wiltshire.py``) and replaces everything that is specific to a
council with the Isle of Wight's own published figures (LA code E06000046, old code 921). What
the Isle of Wight's data cannot give (behavioural rates: step-ups and step-downs at review,
review ceasing, the phase-transfer tables, SEN support exits, decision and drafting times,
inflation) stays Wiltshire's, and its source line says so.

The derivation is `sendsim.calibration.builtin`, the pipeline Wiltshire's file goes through
too, with the island's rules and words in ``sendsim/calibration/builtin_councils.py``
(``ISLE_OF_WIGHT``) and its papers' figures in ``sendsim/calibration/papers.py``; this script
only runs it and writes the file. The output is validated (`Parameters.from_dict`) before it
is written, is written atomically, and is the same bytes on every run;
``tests/test_derive_isle_of_wight.py`` re-runs this script and fails if the shipped file
differs, so edit the derivation, never the TOML.

History used ends at the January 2023 census (caseload, ``time_period`` 202223) and calendar
2022 (flows), as for Wiltshire. Every value names its source in ``council.sources``; values
that are judgement rather than data start with "assumption:".

Sources (data folder: ``../shared/data`` unless ``--data``; Crown copyright, Open Government
Licence v3.0):

- DfE "Education, health and care plans", 2025 release (``dfe_ehcp_2025_release``), Isle of
  Wight rows: caseload.csv (January 2021-2023 by placement), newplans.csv (2022, by age when
  the plan started and placement), requests.csv and assessments.csv (calendar 2019-2022),
  timeliness_20_week.csv (2022), ceased_plans.csv (2022).
- DfE EHC plans, 2022 release (``dfe_ehcp_2022_release``): sen2_age_caseload.csv (January 2022
  by age group), sen2_mi.csv (assessments in progress at 31 December 2018-2021; mainstream-to-
  special and special-to-mainstream transfers 2019-2021, shown for comparison only).
- ONS 2022-based subnational population projections: the shared folder holds Wiltshire only
  (``snpp2022_5yr_wiltshire_age0_25_persons.csv``), so the Isle of Wight's projection is
  Wiltshire's scaled by the ratio of the two councils' 2-18 populations in the high-needs
  benchmarking table (column c004, ONS mid-2021 projection). A proxy: say so wherever it matters.
- DfE SEND and AP dashboard: percent_pupils_ehcp_3LAs.csv (Isle of Wight SEN support 2022/23),
  dsg_deficit_pct_of_income_all_LAs (2019-20 to 2021-22), DSG_by_year_total_allocation_all_LAs,
  high_needs_benchmarking_outturn_data_202122_all_LAs (section 251 outturn 2021-22 lines, and
  the 2-18 populations above).
- DfE LAIT: % of primary and secondary pupils on SEN support (January 2022), Isle of Wight.
- ESFA DSG allocations 2019-20 to 2023-24 (high needs block before deductions), Isle of Wight.
- Section 251 net high-needs spend 2017-18 to 2022-23 (third-party aggregation; the data README
  calls it a cross-check): it enters the opening balance exactly as in Wiltshire's script.
- Seed 000: Isle of Wight Safety Valve delivery plan (June 2024): unit costs of new specialist
  places (special school satellite 28,671, primary resourced provision 14,579, secondary 15,614,
  medical satellite 19,028), the statutory override ending in 2025-26. It states no Safety
  Valve payment amounts or dates and no schools block transfers, so none are written. Its
  sufficiency programme (201 places) and its 9%/4.5% growth assumptions are a scenario
  (``experiments/isle_of_wight_sufficiency.toml``), not part of this base file.
- Seed 004 (Wiltshire, January 2025): inflation 2.2% a year and HNB growth of 3% a year after
  the last allocation (DfE guidance quoted there); kept, as seed 000 gives neither.

Choices (each also in ``council.sources``):

- Request rates keep Wiltshire's age profile (seed 004's Figure 3 and Wiltshire's new plans by
  age), scaled so that they reproduce the Isle of Wight's 382 requests of 2022; their trend is
  the Isle of Wight's own 2019-2022 growth, not seed 000's 9% (a scenario input).
- EP capacity follows demand: the Isle of Wight's assessments completed kept pace with agreed
  requests in 2019-2022 (67-81% of plans within 20 weeks), so capacity is set each April to
  the agreed requests expected that year at the base trend, times 2022's ratio of completions
  to agreed requests. Wiltshire's agency-EP changes are Wiltshire's history and are dropped.
- No specialist place changes in the base file; Safety Valve payments none (seed 000 has no
  amounts).
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:        # this checkout's sendsim, not an installed one
    sys.path.insert(0, str(REPO))

from sendsim.calibration import builtin  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    return builtin.main("isle_of_wight", argv, checkout=REPO)


if __name__ == "__main__":
    sys.exit(main())
