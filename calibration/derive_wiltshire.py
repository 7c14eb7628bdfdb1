"""Derive Wiltshire's parameter file, ``sendsim/councils/wiltshire.toml``, from published data.

Run from the repository root::

    python calibration/derive_wiltshire.py [--data DIR] [--out PATH]

The derivation is `sendsim.calibration.builtin` (the pipeline every built-in council goes
through), with Wiltshire's rules and words in ``sendsim/calibration/builtin_councils.py`` and
its papers' figures, each with where it is said, in ``sendsim/calibration/papers.py``; this
script only runs it and writes the file. The output is validated (`Parameters.from_dict`)
before it is written, is written atomically, and is the same bytes on every run.
``tests/test_derive_wiltshire.py`` re-runs this script and fails if the shipped file differs,
so edit the derivation, never the TOML.

History used ends at the January 2023 census (caseload, ``time_period`` 202223) and calendar
2022 (flows), the model's start; the January 2024 caseload is the back-test target and is not
read. Every value names its source in ``council.sources``; values that are judgement rather than
data start with "assumption:".

Sources (data folder: ``../shared/data`` unless ``--data``; Crown copyright, Open Government
Licence v3.0):

- DfE "Education, health and care plans", 2025 release (``dfe_ehcp_2025_release``):
  caseload.csv (January 2019-2023 by placement), newplans.csv (2019-2022 by placement; 2022 by
  age when the plan started), requests.csv, assessments.csv, timeliness_20_week.csv and
  ceased_plans.csv (calendar 2019-2022; ceased 2022 only).
- DfE EHC plans, 2022 release (``dfe_ehcp_2022_release``): sen2_age_caseload.csv (January 2022
  by age group), sen2_mi.csv (assessments in progress at 31 December 2018; mainstream-to-special
  and special-to-mainstream transfers 2019-2021).
- ONS 2022-based subnational population projections, Wiltshire, ages 0-25, 2022-2047.
- DfE SEND and AP dashboard: percent_pupils_ehcp_3LAs.csv (SEN support 2022/23),
  dsg_deficit_pct_of_income_all_LAs (2019-20 to 2021-22), DSG_by_year_total_allocation_all_LAs,
  high_needs_benchmarking_outturn_data_202122_all_LAs (section 251 outturn 2021-22 lines).
- DfE LAIT: % of primary and secondary pupils on SEN support (January 2022).
- ESFA DSG allocations 2019-20 to 2023-24 (high needs and schools blocks, before deductions).
- Section 251 net high-needs spend 2017-18 to 2022-23 (third-party aggregation; it equals the
  outturn's top-ups plus central services without place funding). The data README calls it a
  cross-check only: it enters the opening balance (the 2022-23 in-year deficit, for want of any
  other 2022-23 spend figure) and is reported beside the unit costs, which it no longer scales.
- Seed 000: Isle of Wight Safety Valve delivery plan (June 2024): unit costs of new places.
- Seed 002: Wiltshire SEND and Inclusion Strategy 2020-2024 final report (July 2024): 400
  specialist school places created 2020-2024.
- Seed 003: Wiltshire High Needs Budget paper to Schools Forum (January 2020): INMSS £48k.
- Seed 004: Wiltshire Children's Select Committee, Safety Valve update (January 2025): no-to-
  assess 12.0% and no-to-issue 3.9% (2023), 97 requests a month (2024), 32% parent requests, a
  quarter of requests at age 3 (Figure 3), 29 ceased plans a month (2023), 3 pre-16 "needs met"
  ceases a year, the EHCNA backlog cleared with agency EPs, special places delivered and planned,
  HNB income 80.301m (2025-26, +7.9%) and +3% a year, inflation 2.2%, schools block transfers
  1%/0.5%/1%, DfE Safety Valve £67m, cumulative deficit limit 84.5m (2024-25), statutory
  override ending 31 March 2026.

Choices the schema asks for (each also in ``council.sources``):

- Unit costs are the anchors' own values (seed 000's special satellite, resource base and
  medical costs; seed 003's INMSS average, inflated; mainstream and FE top-ups from the 2021-22
  benchmarking outturn), not scaled to the section 251 spend; the 2022-23 spend they imply is
  compared with the section 251 estimate, and the gap explained, in the unit-cost source.
- ``placement.inmss_when_full`` is a table by capacity setting: special 0.5, resource_base 0
  and specialist_post16 0 (assumptions: a resource base or specialist post-16 place is waited
  for, not replaced by an independent special school).
- Most ceasing at 19 happens at the post-19 phase transfer (``phase_transfer.into_post19``,
  young people entering NCY 15), a share by the setting left (assumption) split into he, employ
  and no_engage as Wiltshire's 2022 ceased plans; the expected ceases there in a year (shares x
  the quarter of the January 2023 16_19 band entering NCY 15) are taken out of the 2023 target
  of 29 a month before the review-ceasing probabilities are set. Those are per review, divided
  by the reviews expected in 2023 by age at the review (``reviews_in_first_year``), since the
  engine decides review ceasing by age at the review, not by the census's age on 31 August.
- Safety Valve instalments without a deficit condition are written without
  ``max_cumulative_deficit_gbp`` (the default, no limit) rather than as 1e300.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:        # this checkout's sendsim, not an installed one
    sys.path.insert(0, str(REPO))

from sendsim.calibration import builtin  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    return builtin.main("wiltshire", argv, checkout=REPO)


if __name__ == "__main__":
    sys.exit(main())
