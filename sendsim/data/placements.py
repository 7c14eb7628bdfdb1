"""DfE placement columns -> the model's ten settings (`sendsim.codes.SETTINGS`).

One mapping, used for the start state, the new-plan placement mix, the engine's census tables
and every back-test, so that "special" means the same thing everywhere. It applies to the
2025-release ``caseload.csv`` and ``newplans.csv`` (same placement columns):

==================  =========================================================================
early_years         nm_early_years
resource_base       every ``*_resourced_provision`` and ``*_senunit`` column
mainstream          mainstream_total - resource_base + placement_unknown
special             special_la_maintained + special_academy_free
inmss               special_independent + special_non_maintained
ap_pru              ap_pru_total
fe_college          general_fe_tertiary_colleges + ukrlp_provider
specialist_post16   specialist_post_16_institutions
neet                neet + neet_ntci + neet_other + neet_other_csa
eotas               ed_elsewhere - (the four NEET columns) + other_placement_settings
                    + await_prov_2022 + perm_ex_2022
==================  =========================================================================

Why: ``ed_elsewhere`` is elective home education, other arrangements (LA and parents), online
providers, Welsh and other schools, and all four NEET columns; the NEET sub-columns from 2023
(notice to cease, other ages, compulsory school age) are NEET too. ``other_placement_settings``
and, before 2023, ``await_prov_2022`` and ``perm_ex_2022`` lie outside every group total yet
inside ``ehcplans``: children awaiting or out of provision, counted with EOTAS. Checked on every
local authority row of the 2025 release for January 2019-2023: the ten settings sum to
``ehcplans`` exactly when missing (x) cells are taken as 0, which is the only place missing is
treated as 0, and only because the totals reconcile.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sendsim.codes import (NEET_COLUMNS, RESOURCE_BASE_COLUMNS, SETTING_TABLE, SETTINGS,
                           SETTINGS_BY_AGE_BAND, age_band)
from sendsim.data.files import DataFileError


#: Setting -> (columns added, columns subtracted).
MAPPING: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    s.name: (s.dfe_added, s.dfe_subtracted) for s in SETTING_TABLE}

#: Columns whose absence is an error (optional ones, e.g. ukrlp_provider before 2023, are 0).
REQUIRED_COLUMNS = ("nm_early_years", "mainstream_total", "special_la_maintained",
                    "special_academy_free", "special_independent", "special_non_maintained",
                    "ap_pru_total", "general_fe_tertiary_colleges",
                    "specialist_post_16_institutions", "neet", "ed_elsewhere") + RESOURCE_BASE_COLUMNS


def map_to_settings(df: pd.DataFrame, total_column: str, *, path=None,
                    strict: bool = True) -> pd.DataFrame:
    """Counts by model setting, one row per row of `df` (same index), plus `total_column`.

    Missing cells count as 0 only because the mapped settings must add up to the published
    total: with `strict`, a row where they do not (by more than 0.5) raises DataFileError naming
    the rows; otherwise such rows are kept and the caller can compare ``total`` itself.
    """
    missing = [c for c in REQUIRED_COLUMNS + (total_column,) if c not in df.columns]
    if missing:
        raise DataFileError(f"missing column(s) {', '.join(missing)}", path)

    def col(name: str) -> pd.Series:
        if name not in df.columns:
            return pd.Series(0.0, index=df.index)
        return pd.to_numeric(df[name], errors="coerce").fillna(0.0)

    out = pd.DataFrame(index=df.index)
    for setting in SETTINGS:
        plus, minus = MAPPING[setting]
        out[setting] = sum((col(c) for c in plus), start=pd.Series(0.0, index=df.index)) - sum(
            (col(c) for c in minus), start=pd.Series(0.0, index=df.index))
    out["total"] = pd.to_numeric(df[total_column], errors="coerce")
    gap = (out[list(SETTINGS)].sum(axis=1) - out["total"]).abs()
    bad = gap[(gap > 0.5) | out["total"].isna()]
    if strict and len(bad):
        where = ", ".join(_row_label(df, i) for i in bad.index[:8])
        raise DataFileError(f"placement columns do not add up to {total_column} for row(s) {where} "
                            "(settings total vs published total)", path)
    if (out[list(SETTINGS)] < -0.5).any().any():
        raise DataFileError("a mapped setting is negative (a sub-column exceeds its group total)", path)
    return out


def _row_label(df: pd.DataFrame, i) -> str:
    parts = [str(df.at[i, c]) for c in ("la_name", "time_period", "breakdown")
             if c in df.columns and pd.notna(df.at[i, c])]
    return " ".join(parts) if parts else str(i)


def shares(counts: pd.Series | dict) -> dict[str, float]:
    """Counts -> shares summing to 1 (a dict in SETTINGS order, zero entries dropped)."""
    s = pd.Series(counts, dtype=float)
    total = s.sum()
    if not total > 0:
        raise ValueError("cannot take shares of an empty table")
    return {k: float(v / total) for k, v in s.items() if v > 0}


def restrict_to_age_band(counts: dict[str, float], band: str, *, fallback: str = "eotas"
                         ) -> dict[str, float]:
    """Move counts in settings a child of `band` cannot be in (`SETTINGS_BY_AGE_BAND`) to
    `fallback` (EOTAS: other arrangements), e.g. a 4-year-old recorded NEET."""
    allowed = SETTINGS_BY_AGE_BAND[band]
    if fallback not in allowed:
        raise ValueError(f"{fallback} is not allowed for {band}")
    out = {s: 0.0 for s in SETTINGS if s in allowed}
    for s, v in counts.items():
        out[s if s in allowed else fallback] += float(v)
    return out


def age_band_of_label(label: str) -> str:
    """DfE age labels ('age 3', 'age 2 and under', 'age 20 and over', 'Under 5',
    'Age 5 to 10') -> model age band."""
    text = label.strip().lower()
    fixed = {"under 5": "under_5", "age 5 to 10": "5_10", "age 11 to 15": "11_15",
             "age 16 to 19": "16_19", "age 20 to 25": "20_25"}
    if text in fixed:
        return fixed[text]
    digits = "".join(ch if ch.isdigit() else " " for ch in text).split()
    if not digits:
        raise ValueError(f"not an age label: {label!r}")
    return age_band(int(digits[0]))


def largest_remainder(shares_: dict[str, float], total: int) -> dict[str, int]:
    """Whole numbers in proportion to `shares_` that add up to `total` exactly (Hamilton's
    method; ties broken by key order, so the result is deterministic)."""
    keys = list(shares_)
    w = np.array([shares_[k] for k in keys], dtype=float)
    if w.sum() <= 0:
        raise ValueError("shares must have a positive sum")
    exact = w / w.sum() * total
    floor = np.floor(exact).astype(int)
    left = int(total - floor.sum())
    order = sorted(range(len(keys)), key=lambda i: (-(exact[i] - floor[i]), i))
    for i in order[:left]:
        floor[i] += 1
    return {k: int(v) for k, v in zip(keys, floor)}


def rounded_distribution(shares_: dict[str, float], digits: int = 6) -> dict[str, float]:
    """Shares rounded to `digits` decimals, the last one fixed so they sum to 1 exactly."""
    keys = [k for k, v in shares_.items() if v > 0]
    total = sum(shares_[k] for k in keys)
    out = {k: round(shares_[k] / total, digits) for k in keys}
    last = keys[-1]
    out[last] = round(1.0 - sum(v for k, v in out.items() if k != last), digits)
    return out


__all__ = ["MAPPING", "RESOURCE_BASE_COLUMNS", "NEET_COLUMNS", "map_to_settings", "shares",
           "restrict_to_age_band", "age_band_of_label", "largest_remainder",
           "rounded_distribution"]
