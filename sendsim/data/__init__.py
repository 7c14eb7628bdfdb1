"""Readers for the published statistics in the shared data folder, for any local authority.

The files (DfE explore-education-statistics CSVs, ESFA DSG allocations, the ONS population
projection, SEND and AP dashboard tables, LAIT) are not part of the package. They are found by
`find_data_dir`: an explicit folder (``--data DIR``), else ``$SENDSIM_DATA``, else ``./shared/data``
or ``../shared/data`` relative to the current working directory (never a folder inside the
installed package).

Every reader takes the council (new code "E06000054", old code 865 or name "Wiltshire") and an
optional data folder. Cells ``x``, ``z``, ``c`` and blanks read as missing (NaN), never 0. A
missing, empty or fully suppressed file, column or row, an unknown council (with close matches)
or an ambiguous code raises `DataFileError` naming the file and the column or the council; a
folder that is not the data folder raises `DataDirError`. Both are `sendsim.errors.InputError`.

`sendsim.data.placements` maps DfE placement columns to the model's settings: the same mapping
builds a council's start state and compares model output with the census in back-tests.
"""

from sendsim.data import dfe, finance, ons, placements, pupils
from sendsim.data.files import (DataDirError, DataFileError, EXPECTED_SUBFOLDERS, MISSING_MARKERS,
                    candidate_data_dirs, find_data_dir, read_csv, require_columns)
from sendsim.data.la import LocalAuthority, local_authority
from sendsim.data.placements import map_to_settings

__all__ = [
    "DataDirError", "DataFileError", "EXPECTED_SUBFOLDERS", "LocalAuthority", "MISSING_MARKERS",
    "candidate_data_dirs", "dfe", "finance", "find_data_dir", "local_authority",
    "map_to_settings", "ons", "placements", "pupils", "read_csv", "require_columns",
]
