"""What the built-in councils' own papers say, figure by figure, and where each is said.

The papers are the public council documents in ``../shared/seeds`` (its README lists them).
`sendsim.calibration.builtin` takes every figure it needs from a paper from these tables, not
from numbers written into its steps, so that a figure and its source are read, checked and
changed in one place. Each `Quoted` names the seed, the place in it and the words that give the
figure (white space folded); ``tests/test_builtin_councils.py`` checks those words are in the
seed. The files' own ``council.sources`` lines cite the seeds more briefly.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

#: The seed documents by number (``../shared/seeds/README.md``).
SEEDS = {
    "000": "000_324766227088ea1d.txt",   # Isle of Wight, Safety Valve delivery plan (June 2024)
    "002": "002_55fd81d1dbd1fcf6.txt",   # Wiltshire SEND and Inclusion Strategy final report (July 2024)
    "003": "003_a72e7025660db70b.txt",   # Wiltshire High Needs Budget paper to Schools Forum (January 2020)
    "004": "004_248edb8f388b09ce.txt",   # Wiltshire Children's Select Committee, Safety Valve update (January 2025)
}


class Quoted(NamedTuple):
    """A figure from a council's paper: its value, the seed, where in it, and the words."""

    value: Any
    seed: str                 # key of SEEDS
    where: str                # section, table or paragraph
    words: tuple[str, ...]    # verbatim from the seed, white space folded


_TARGET = "Appendix 3, 'Short term interventions: Target system', table 'Per month', row 'Wiltshire 2023'"
_FINANCE = "Appendix 2 (DfE monitoring update), Condition 2, finance commentary"
_PLACES = "Appendix 2, Condition 3.3 (special school places, resourced provision)"

#: Seed 000, Workstream 3.4 table "IOW SEN Sufficiency 2024 - 2026": average cost a year of a
#: new place, 2024-25 prices. Wiltshire borrows them (it publishes no cost of a new place).
NEW_PLACE_COSTS_2024_25 = Quoted(
    {"special_school_satellite": 28_671.0, "primary_resourced_provision": 14_579.0,
     "secondary_resourced_provision": 15_614.0, "medical_satellite": 19_028.0},
    "000", "Workstream 3.4, table 'IOW SEN Sufficiency 2024 - 2026', average cost per placement",
    ("St Georges Satellite (15 of 20) 15 28,671", "Greenmount RP (6) + 6 = 12 6 14,579",
     "Secondary RP (15) + 5 = 20 5 15,614", "ILC Medical Satellite (20) 20 19,028"))

WILTSHIRE: dict[str, Quoted] = {
    "no_to_assess_2023": Quoted(0.12, "004", _TARGET, ("Wiltshire 2023 97* 12.0% 3.9% 29 636",)),
    "no_to_issue_2023": Quoted(0.039, "004", _TARGET, ("Wiltshire 2023 97* 12.0% 3.9% 29 636",)),
    "ceased_per_month_2023": Quoted(29, "004", _TARGET, ("Wiltshire 2023 97* 12.0% 3.9% 29 636",)),
    "requests_per_month_2024": Quoted(97, "004", _TARGET + ", footnote", (
        "97} EHCNA requests a month represents the 12 month rolling average during 2024",)),
    "parent_share": Quoted(0.32, "004", "Appendix 3, 'Target system', text under the table", (
        "an average of 97 requests coming in, of which 32% come from parent carers",)),
    "pre16_needs_met_per_year": Quoted(3, "004", "Appendix 3, intervention 5 'Pre-16 ceasing'", (
        "measured against the baseline of 3 a year",)),
    #: Figure 3 ("Age distribution of new EHCNA requests 2020-2024") is garbled text: columns
    #: run together and some cells are lost. These are the percentages that can be read for each
    #: academic age 2-15 (all years pooled); ages 16-20 have no readable cell. At age 3 the
    #: lowest value (15.23%) is 2024's part year ("the percentage is lower so far this year")
    #: and is left out, so age 3 reflects "around a quarter" in the earlier years.
    "request_age_figure3": Quoted({
        2: (3.95, 5.01, 3.99, 4.57), 3: (26.39, 23.52, 24.09), 4: (4.80, 4.84, 4.90),
        5: (7.14, 4.86, 5.97, 7.39, 7.51), 6: (8.33, 4.10, 5.97, 7.81, 6.75),
        7: (8.80, 6.62, 8.71, 6.08), 8: (7.74, 6.07, 8.00, 6.54, 7.62),
        9: (9.33, 8.80, 9.81, 10.10, 10.34), 10: (9.13, 12.59, 9.28, 9.34, 7.18), 11: (3.52,),
        12: (3.77, 5.61, 4.90, 5.18, 4.57), 13: (4.40, 4.16, 6.31), 14: (3.19, 3.94, 3.31),
        15: (3.03, 2.56, 2.89, 3.05),
    }, "004", "Appendix 3, Figure 3 'Table showing the age distribution of new EHCNA requests "
              "from 2020-2024'", (
        "3 26.39% 23.52% 24.09% 15.23% 4 4.80% 4.84% 4.90%",
        "9.33% 8.80% 9.81% 10.10% 10.34% 10 9.13% 12.59% 9.28% 9.34% 7.18% 11 3.52%",
        "14 3.19% 3.94% 3.31% 15 3.03% 2.56% 2.89% 3.05%")),
    "agency_eps": Quoted(True, "004", "Appendix 3, text under Figure 1", (
        "the additional plans brought off the backlog through investment in agency "
        "Educational Psychologists",)),
    "special_places_sep_2024": Quoted(98, "004", _PLACES, (
        "156 new special school places were due to come online in September, but "
        "unfortunately only 98 were delivered",)),
    "melksham_house": Quoted({"primary": 50, "secondary": 25}, "004", _PLACES + ", continued",
                             ("places for 50 primary age learners with SEMH needs",
                              "a cohort of up to 25 secondary age learners",
                              "Ofsted registration process which we hope to conclude in early 2025")),
    "special_school_south_sep_2025": Quoted(120, "004", _PLACES, (
        "a new 120 place special school will start to take pupils from September 2025",)),
    "further_special_places": Quoted({dt.date(2025, 9, 1): 25, dt.date(2028, 9, 1): 50}, "004",
                                     _FINANCE, ("there are a further 25 special school places planned",
                                                "for September 2025, 50 from September 2028")),
    "specialist_places_2020_2024": Quoted(400, "002", "Priority one, work undertaken", (
        "400 additional specialist school and 230 resource base places have been created",)),
    "inmss_average_2019_20": Quoted(48_000.0, "003", "Review of INMSS including commissioning challenge", (
        "The total cost to the High Needs block is 9.6m. This is an average of £48k per placement",)),
    "new_place_costs_2024_25": NEW_PLACE_COSTS_2024_25,
    "hnb_2025_26": Quoted(80_301_000.0, "004", _FINANCE, (
        "Income for 2025/26 has been assumed to be £80.301m",)),
    "hnb_rise_2025_26": Quoted(0.079, "004", _FINANCE, (
        "represents an increase of 7.9% compared with 2024/25",)),
    "hnb_growth": Quoted(0.03, "004", _FINANCE, (
        "High Needs Block income is assumed to increase by 3% per annum in line with DfE guidance",)),
    "inflation": Quoted(0.022, "004", _FINANCE, (
        "Inflation on unit costs has been assumed at 2.2% per annum",)),
    "schools_block_share": Quoted({"2024-25": 0.01, "2025-26": 0.005}, "004", _FINANCE, (
        "The assumption of a 1% schools block transfer has been removed for 2025/26 and "
        "replaced with a proposed 0.5% transfer",)),
    "schools_block_share_after": Quoted(0.01, "004", _FINANCE, (
        "An assumption of 1% schools block transfer remains for future years",)),
    "safety_valve_total": Quoted(67_000_000.0, "004", "cover report, paragraph 9", (
        "The agreement commits the DfE to contribute £67m",)),
    "safety_valve_max_deficit_2024_25": Quoted(84_500_000.0, "004", "Appendix 2, Condition 2", (
        "control and reduce the cumulative deficit, not exceeding £84.5m in financial year 2024/25",)),
    "statutory_override_end": Quoted(dt.date(2026, 3, 31), "004", "cover report, paragraph 5", (
        "This statutory override, however, is due to expire 31st March 2026",)),
    "general_fund_reserves": Quoted(90_000_000.0, "004", "cover report, paragraph 5", (
        "the current forecast total general fund and earmarked reserves are £90m",)),
}

#: Figures the papers forecast or report that the model is checked against, never fed from
#: (docs/background/money.md shows each beside the model's own figure).
WILTSHIRE_CROSS_CHECKS: dict[str, Quoted] = {
    "unmitigated_deficit_march_2026": Quoted(117_000_000.0, "004", "cover report, paragraph 5", (
        "at that point the cumulative unmitigated deficit could be £117.0m",)),
    "forecast_overspend_2024_25": Quoted(43_000_000.0, "004", "Sustainability Plan Evolution, "
                                         "Background", (
        "a forecast DSG overspend of £43m instead of the £28m",)),
    "step_downs_2022_23": Quoted(92, "002", "impact of the second priority's workstreams", (
        "There were 92 Step-downs from ISS at the end of the 22/23 academic year",)),
    "step_down_saving_2022_23": Quoted(3_479_479.0, "002", "impact of the second priority's workstreams", (
        "the net saving from which was £3,479,479",)),
}

ISLE_OF_WIGHT: dict[str, Quoted] = {
    "new_place_costs_2024_25": NEW_PLACE_COSTS_2024_25,
    "statutory_override_end": Quoted(dt.date(2026, 3, 31), "000", "Safety Valve priorities, risks "
                                     "and mitigations: 'National statutory override'", (
        "was removed in 2025-26 as intended",)),
}
