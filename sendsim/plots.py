"""Charts: fan charts of the caseload and the cumulative deficit, with medians and 90% bands."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from .reports import HIGH, LOW  # noqa: E402


def _band(df: pd.DataFrame, x: str, y: str) -> pd.DataFrame:
    g = df.groupby(x)[y]
    return pd.DataFrame({"median": g.median(), "low": g.quantile(LOW / 100),
                         "high": g.quantile(HIGH / 100)})


def fan_charts(ens, path: Path, title: str) -> Path:
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    m = _band(ens.monthly, "month", "caseload")
    ax = axes[0]
    ax.fill_between(m.index, m["low"], m["high"], alpha=0.3, label="90% prediction interval")
    ax.plot(m.index, m["median"], label="median")
    ax.set_title("EHC plans (start of month)")
    ax.set_ylabel("plans")
    ax.legend(loc="upper left")
    f = ens.financial_year.copy()
    if len(f):
        f["balance_m"] = f["cumulative_balance"] / 1e6
        b = _band(f, "financial_year", "balance_m")
        ax = axes[1]
        xs = range(len(b))
        ax.fill_between(xs, b["low"], b["high"], alpha=0.3)
        ax.plot(xs, b["median"], marker="o")
        ax.set_xticks(list(xs), [f"Mar {int(s[:4]) + 1}" for s in b.index], rotation=45)
        ax.axhline(0, color="grey", lw=0.8)
        ax.set_title("Cumulative DSG balance at 31 March")
        ax.set_ylabel("GBP million (negative = deficit)")
    fig.suptitle(f"{title}  ({ens.reps} replications)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
