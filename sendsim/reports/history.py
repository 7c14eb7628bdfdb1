"""The council's published figures, drawn beside the forecasts (history and forecast kept
apart). Read from the shared data folder; a report without it still works and says why the
history is missing."""

from __future__ import annotations

import math

from sendsim.data.files import DataDirError, DataFileError
from sendsim.data.finance import dsg_cumulative_balance
from sendsim.data.history import load_history


def published_history(la_code: str, data_dir=None) -> dict:
    """measure -> {"values": {period: value}, "source": text}; "_why" says what is missing.

    Periods: census year (caseload, INMSS share), calendar year (requests, 20-week
    timeliness), financial year label (cumulative DSG balance, GBP m).
    """
    out: dict = {}
    if not la_code:
        return {"_why": "the results do not name the council's LA code"}
    try:
        hist = load_history(la_code, data_dir)
    except DataDirError:
        return {"_why": "the folder of published data was not found (give it with --data)"}
    except (DataFileError, KeyError, ValueError):
        return {"_why": f"the published data has no figures for council {la_code}"}

    def files(*keys) -> str:
        names = sorted({f for k in keys for f in hist.sources.get(k, {}).get("files", {})})
        return "DfE, " + ", ".join(names) if names else "DfE"

    total = hist.caseload["total"].dropna()
    out["caseload"] = {"values": {int(y): float(v) for y, v in total.items()},
                       "source": files("caseload.total")}
    indep = hist.caseload_groups["independent"].dropna()
    share = {int(y): 100.0 * float(indep[y]) / float(total[y]) for y in indep.index
             if y in total.index and total[y] > 0}
    out["inmss_share"] = {"values": share, "source": files("caseload.inmss", "caseload.total")}
    flows = hist.flows
    out["requests"] = {"values": {int(y): float(v) for y, v in flows["requests"].dropna().items()},
                       "source": files("flows.requests")}
    num, den = flows["issued_within_20_weeks"], flows["issued_20_week_den"]
    out["timeliness"] = {"values": {int(y): 100.0 * float(num[y]) / float(den[y])
                                    for y in flows.index
                                    if not (math.isnan(num[y]) or math.isnan(den[y])) and den[y] > 0},
                         "source": files("flows.issued_within_20_weeks", "flows.issued_20_week_den")}
    out["cumulative_balance"] = _dsg_balance(la_code, data_dir)
    return out


def _dsg_balance(la_code: str, data_dir) -> dict:
    """Cumulative DSG balance at 31 March, GBP m: the SEND and AP dashboard's % of income times
    the income it divides by."""
    try:
        balance = dsg_cumulative_balance(la_code, data_dir).dropna()
    except (DataDirError, DataFileError, KeyError, ValueError):
        return {"values": {}, "source": ""}
    values = {fy: float(v) / 1e6 for fy, v in balance.items()}
    return {"values": values,
            "source": "DfE SEND and AP dashboard: DSG cumulative balance as a % of total DSG "
                      "income, times that income"}
