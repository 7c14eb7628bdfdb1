"""The names a council officer uses: placement groups, primary needs, ceasing reasons, age bands.

These codes are the keys of parameter tables and the columns of output tables, so they are
spelt once, here.
"""

from __future__ import annotations

#: SEN2 placement groups (DfE "Education, health and care plans" caseload columns, grouped).
SETTINGS: tuple[str, ...] = (
    "early_years",        # nm_early_years: non-maintained early years settings
    "mainstream",         # mainstream schools, LA-maintained, academy, free, independent
    "resource_base",      # mainstream with resourced provision or SEN unit (RB)
    "special",            # maintained, academy or free special school
    "inmss",              # independent or non-maintained special school (INMSS)
    "ap_pru",             # alternative provision / pupil referral unit
    "fe_college",         # general FE and tertiary colleges, other UKRLP providers
    "specialist_post16",  # specialist post-16 institutions (SPI)
    "eotas",              # education otherwise than at school, home education, other arrangements
    "neet",               # not in education, employment or training
)

#: Settings whose places are finite in the model (each child occupies one place).
CAPACITY_SETTINGS: tuple[str, ...] = ("resource_base", "special", "specialist_post16")

#: SEN2 primary need categories.
NEEDS: tuple[str, ...] = (
    "ASD", "SEMH", "SLCN", "MLD", "SpLD", "SLD", "PMLD", "PD", "HI", "VI", "MSI", "OTH",
)

#: Ceasing reasons, as in DfE's ceased-plans file (`ceased_plans.csv`).
CEASE_REASONS: tuple[str, ...] = (
    "max_age",            # reached 25
    "needs_met",
    "he",                 # moved into higher education
    "employ",             # moved into employment
    "transfer",           # moved to another LA (plan transferred out)
    "no_engage",          # no longer wishes to engage (19+)
    "moved_outside_eng",
    "deceased",
)

#: Reasons decided at an annual review (they need caseworker capacity); the others happen
#: whenever life does.
REVIEW_CEASE_REASONS: tuple[str, ...] = ("needs_met", "he", "employ", "no_engage")
ANYTIME_CEASE_REASONS: tuple[str, ...] = ("transfer", "moved_outside_eng", "deceased")

#: Outcomes of a phase transfer other than a setting: the plan ceases at the transition
#: (most post-16 plans end when a young person leaves school or college, not at a review).
PHASE_CEASE_OUTCOMES: tuple[str, ...] = ("cease_he", "cease_employ", "cease_no_engage", "cease_needs_met")

#: DfE age groups (age on 31 August), as in the SEN2 caseload-by-age tables.
AGE_BANDS: tuple[str, ...] = ("under_5", "5_10", "11_15", "16_19", "20_25")
_AGE_BAND_UPPER = (4, 10, 15, 19, 25)

#: Oldest age (years) at which a plan may be held.
MAX_AGE = 25


def age_band(age: int) -> str:
    """DfE age group of an age in whole years."""
    for band, upper in zip(AGE_BANDS, _AGE_BAND_UPPER):
        if age <= upper:
            return band
    return AGE_BANDS[-1]


def _band_index_slow(age: int) -> int:
    for i, upper in enumerate(_AGE_BAND_UPPER):
        if age <= upper:
            return i
    return len(AGE_BANDS) - 1


_BAND_INDEX_BY_AGE = tuple(_band_index_slow(a) for a in range(MAX_AGE + 30))


def age_band_index(age: int) -> int:
    """Index into AGE_BANDS (a table lookup: called for every review and decision)."""
    if 0 <= age < len(_BAND_INDEX_BY_AGE):
        return _BAND_INDEX_BY_AGE[age]
    return _band_index_slow(age)


#: Settings a child of each age band can be in (used to build a start population and to keep
#: placements sensible: no under-5 in FE, no 20-year-old in early years).
SETTINGS_BY_AGE_BAND: dict[str, tuple[str, ...]] = {
    "under_5": ("early_years", "mainstream", "resource_base", "special", "inmss", "eotas"),
    "5_10": ("mainstream", "resource_base", "special", "inmss", "ap_pru", "eotas"),
    "11_15": ("mainstream", "resource_base", "special", "inmss", "ap_pru", "eotas", "neet"),
    "16_19": ("mainstream", "resource_base", "special", "inmss", "ap_pru", "fe_college",
              "specialist_post16", "eotas", "neet"),
    "20_25": ("fe_college", "specialist_post16", "inmss", "eotas", "neet"),
}
