"""Calibration: a council's parameters and posterior draws from its published history.

`derive` estimates what the counts give directly (with the template council for what they do
not), `fit` fits the rest with ABC-SMC on a stock-and-flow surrogate, and `calibrate` joins them
and writes files that `sendsim run` and `sendsim compare` read.
"""

from .calibrate import Calibration, calibrate, origin_year, write_calibration

__all__ = ["Calibration", "calibrate", "origin_year", "write_calibration"]
