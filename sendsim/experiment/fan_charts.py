"""Charts: fan charts of the caseload and the cumulative deficit, with medians and 90% bands."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from sendsim.experiment.text import HIGH, LOW  # noqa: E402


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


#: The four fans an experiment draws (issue 3): (file, title, table, column, scale, y label).
EXPERIMENT_FANS = (
    ("caseload.png", "EHC plans (start of month)", "monthly", "caseload", 1.0, "plans"),
    ("inmss_share.png", "Share of plans in independent special schools (INMSS)", "monthly",
     "inmss_share", 100.0, "% of plans"),
    ("in_year_balance.png", "In-year High Needs balance", "financial_year", "in_year_balance",
     1e-6, "GBP million (negative = overspend)"),
    ("cumulative_balance.png", "Cumulative DSG balance at 31 March", "financial_year",
     "cumulative_balance", 1e-6, "GBP million (negative = deficit)"),
)


def experiment_fans(ensembles: dict, folder: Path, title: str) -> list[Path]:
    """One PNG per measure: each scenario's median with its 50% and 90% bands."""
    folder = Path(folder)
    paths = []
    for filename, heading, table, column, scale, ylabel in EXPERIMENT_FANS:
        fig, ax = plt.subplots(figsize=(9, 4.8))
        reps = []
        for k, (name, ens) in enumerate(ensembles.items()):
            df = getattr(ens, table)
            if df.empty:
                continue
            x = "month" if table == "monthly" else "financial_year"
            g = (df[column] * scale).groupby(df[x])
            q = pd.DataFrame({p: g.quantile(p) for p in (0.05, 0.25, 0.5, 0.75, 0.95)})
            xs = q.index if table == "monthly" else [pd.Timestamp(int(s[:4]) + 1, 3, 31) for s in q.index]
            colour = f"C{k}"
            ax.fill_between(xs, q[0.05], q[0.95], color=colour, alpha=0.15)
            ax.fill_between(xs, q[0.25], q[0.75], color=colour, alpha=0.3)
            ax.plot(xs, q[0.5], color=colour, marker=None if table == "monthly" else "o",
                    label=f"{name}: median, 50% and 90% bands")
            reps.append(ens.reps)
        if table == "financial_year":
            ax.axhline(0, color="grey", lw=0.8)
        ax.set_title(f"{heading}\n{title} ({min(reps) if reps else 0} replications each)", fontsize=10)
        ax.set_ylabel(ylabel)
        ax.legend(loc="best", fontsize=8)
        fig.tight_layout()
        path = folder / filename
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
    return paths
