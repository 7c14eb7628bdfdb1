"""Calibration: a council's parameters and posterior draws from its published history.

`derive` estimates what the counts give directly (with the template council for what they do
not), `fit` fits the rest with ABC-SMC on a stock-and-flow surrogate, and `calibrate` joins them
and writes files that `sendsim run` and `sendsim compare` read. A council too small or too
suppressed to fit is refused (`NotCalibratable`), never calibrated on borrowed figures alone.

The built-in councils (``sendsim/councils/``) are derived apart, from one origin, by `builtin`
(what differs between them is data: `builtin_councils`, `papers`), so that each value can be
read against the council's own published figures and papers.
"""

from .calibrate import Calibration, calibrate, origin_year, write_calibration
from .derive import MIN_CASELOAD, MIN_REQUESTS_PER_YEAR, NotCalibratable, check_calibratable

__all__ = ["Calibration", "MIN_CASELOAD", "MIN_REQUESTS_PER_YEAR", "NotCalibratable",
           "calibrate", "check_calibratable", "origin_year", "write_calibration"]
