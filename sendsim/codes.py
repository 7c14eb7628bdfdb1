"""The names a council officer uses: settings (one table), placement groups, primary needs, ceasing reasons, age bands.

These codes are the keys of parameter tables and the columns of output tables, so they are
spelt once, here.
"""

from __future__ import annotations

from dataclasses import dataclass

@dataclass(frozen=True)
class Setting:
    """One kind of placement, and everything that depends on which kind it is.

    Adding a placement type means adding one row to `SETTING_TABLE`: the engine, the DfE
    mappings, the back-tests' forecast groups and the board paper's finance lines derive from it.
    """

    name: str                                 # the model's key (parameter tables, output columns)
    label: str                                # how a board paper names its spend line
    dfe_added: tuple[str, ...]                # DfE 2025-release placement columns that add up to it
    dfe_subtracted: tuple[str, ...] = ()      # ... less these
    dfe_census_column: str | None = None      # DfE census column for exactly this quantity
    forecast_group: str = "other"             # the back-tests' placement group
    places_limited: bool = False              # a child occupies one of a finite number of places
    age_bands: tuple[str, ...] = ()           # DfE age groups that can be in it
    step_down: str | None = None              # one step down the ladder of specialist provision
    step_up: str | None = None                # one step up


#: DfE columns of resourced provision and SEN units, counted inside `mainstream_total`.
RESOURCE_BASE_COLUMNS = (
    "mainstream_la_maintained_resourced_provision", "mainstream_la_maintained_senunit",
    "mainstream_academy_resourced_provision", "mainstream_academy_senunit",
    "mainstream_free_school_resourced_provision", "mainstream_free_school_senunit",
)
#: NEET columns (from 2023 DfE splits NEET; all four are inside `ed_elsewhere`).
NEET_COLUMNS = ("neet", "neet_ntci", "neet_other", "neet_other_csa")
#: Columns outside every DfE group total yet inside `ehcplans`: children awaiting or out of
#: provision, counted with EOTAS.
OUTSIDE_GROUP_COLUMNS = ("other_placement_settings", "await_prov_2022", "perm_ex_2022")

_UNDER_5, _5_10, _11_15, _16_19, _20_25 = "under_5", "5_10", "11_15", "16_19", "20_25"

#: The ten SEN2 placement groups of the model, in output order.
SETTING_TABLE: tuple[Setting, ...] = (
    Setting("early_years", "Early years settings", ("nm_early_years",),
            dfe_census_column="nm_early_years", forecast_group="mainstream", age_bands=(_UNDER_5,)),
    Setting("mainstream", "Mainstream schools: top-up funding", ("mainstream_total", "placement_unknown"),
            RESOURCE_BASE_COLUMNS, forecast_group="mainstream",
            age_bands=(_UNDER_5, _5_10, _11_15, _16_19), step_up="resource_base"),
    Setting("resource_base", "Resourced provision and SEN units", RESOURCE_BASE_COLUMNS,
            forecast_group="mainstream", places_limited=True, age_bands=(_UNDER_5, _5_10, _11_15, _16_19),
            step_down="mainstream", step_up="special"),
    Setting("special", "Maintained special schools and special academies",
            ("special_la_maintained", "special_academy_free"), forecast_group="special",
            places_limited=True, age_bands=(_UNDER_5, _5_10, _11_15, _16_19),
            step_down="resource_base", step_up="inmss"),
    Setting("inmss", "Independent and non-maintained special schools",
            ("special_independent", "special_non_maintained"), forecast_group="independent",
            age_bands=(_UNDER_5, _5_10, _11_15, _16_19, _20_25), step_down="special"),
    Setting("ap_pru", "Alternative provision and pupil referral units (placements)", ("ap_pru_total",),
            dfe_census_column="ap_pru_total", forecast_group="other", age_bands=(_5_10, _11_15, _16_19)),
    Setting("fe_college", "Further education colleges", ("general_fe_tertiary_colleges", "ukrlp_provider"),
            forecast_group="post16", age_bands=(_16_19, _20_25)),
    Setting("specialist_post16", "Specialist post-16 institutions", ("specialist_post_16_institutions",),
            dfe_census_column="specialist_post_16_institutions", forecast_group="post16",
            places_limited=True, age_bands=(_16_19, _20_25)),
    Setting("eotas", "Education otherwise than at school", ("ed_elsewhere",) + OUTSIDE_GROUP_COLUMNS,
            NEET_COLUMNS, forecast_group="other", age_bands=(_UNDER_5, _5_10, _11_15, _16_19, _20_25)),
    Setting("neet", "Young people not in education, employment or training", NEET_COLUMNS,
            dfe_census_column="neet", forecast_group="other", age_bands=(_11_15, _16_19, _20_25)),
)

SETTING: dict[str, Setting] = {s.name: s for s in SETTING_TABLE}
SETTINGS: tuple[str, ...] = tuple(s.name for s in SETTING_TABLE)

#: Settings whose places are finite in the model (each child occupies one place).
CAPACITY_SETTINGS: tuple[str, ...] = tuple(s.name for s in SETTING_TABLE if s.places_limited)

#: One step down / up the ladder of specialist provision.
STEP_DOWN: dict[str, str] = {s.name: s.step_down for s in reversed(SETTING_TABLE) if s.step_down}
STEP_UP: dict[str, str] = {s.name: s.step_up for s in SETTING_TABLE if s.step_up}

#: The back-tests' placement groups (forecast targets), in their output order.
FORECAST_GROUPS: tuple[str, ...] = ("mainstream", "special", "independent", "post16", "other")

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
    band: tuple(s.name for s in SETTING_TABLE if band in s.age_bands) for band in AGE_BANDS}
