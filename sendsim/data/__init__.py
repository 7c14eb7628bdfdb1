"""Readers for the published statistics in the shared data folder, for any local authority.

The files (DfE explore-education-statistics CSVs, ESFA DSG allocations, the ONS population
projection, SEND and AP dashboard tables, LAIT) are not part of the package. They are found by
`find_data_dir`: an explicit folder, else ``$SENDSIM_DATA``, else ``../shared/data`` beside the
repository root or the current directory.

Every reader takes the council (new code "E06000054", old code 865 or name "Wiltshire") and an
optional data folder. Cells ``x``, ``z``, ``c`` and blanks read as missing (NaN), never 0. A
missing file, column or row raises `DataFileError` naming the file and the column.

`sendsim.data.placements` maps DfE placement columns to the model's settings: the same mapping
builds a council's start state and compares model output with the census in back-tests.
"""

from . import dfe, finance, ons, placements, pupils
from .files import (DataDirError, DataFileError, MISSING_MARKERS, find_data_dir, read_csv,
                    require_columns)
from .la import LocalAuthority, local_authority
from .placements import map_to_settings

__all__ = [
    "DataDirError", "DataFileError", "LocalAuthority", "MISSING_MARKERS", "dfe", "finance",
    "find_data_dir", "local_authority", "map_to_settings", "ons", "placements", "pupils",
    "read_csv", "require_columns",
]
