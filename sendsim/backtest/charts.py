"""Back-test charts: errors by method and horizon, interval coverage, one council's fan.

Each function writes one PNG of a fixed size (`FIGSIZE` or `PANEL_SIZE` per measure, at `DPI`)
and returns its path, so reports can link to it and tests can check it.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from sendsim.backtest.baselines import last_known_year  # noqa: E402
from sendsim.backtest.scores import MODEL_METHOD, method_order  # noqa: E402

DPI = 100
FIGSIZE = (9.0, 4.8)
#: One council's fan: one panel of this size (inches) per measure, side by side.
PANEL_SIZE = (5.0, 4.0)


def _colours(methods) -> dict[str, str]:
    return {m: f"C{i}" for i, m in enumerate(methods)}


def _save(fig, path) -> Path:
    path = Path(path)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def plot_errors(scored: pd.DataFrame, path) -> Path:
    """Box plots of absolute % error of the median, per horizon, one box per method.

    Boxes show the spread across councils (and origins, measures), which a median alone hides.
    """
    d = scored[scored["scored"].astype(bool)]
    methods = method_order(scored["method"])
    colours = _colours(methods)
    horizons = sorted(int(h) for h in scored["horizon"].unique())
    fig, ax = plt.subplots(figsize=FIGSIZE)
    width = 0.8 / max(len(methods), 1)
    for j, m in enumerate(methods):
        data, pos = [], []
        for i, h in enumerate(horizons):
            x = d.loc[(d["method"] == m) & (d["horizon"] == h), "abs_error_pct"].dropna()
            if len(x):
                data.append(x.to_numpy())
                pos.append(i + (j - (len(methods) - 1) / 2) * width)
        if data:
            bp = ax.boxplot(data, positions=pos, widths=width * 0.9, patch_artist=True,
                            showfliers=True, manage_ticks=False)
            for box in bp["boxes"]:
                box.set_facecolor(colours[m])
                box.set_alpha(0.6)
    ax.set_xticks(range(len(horizons)), [f"{h} yr" for h in horizons])
    ax.set_xlim(-0.6, len(horizons) - 0.4)
    ax.set_xlabel("horizon")
    ax.set_ylabel("absolute error of the median (% of actual)")
    ax.set_title("Forecast errors by method and horizon")
    ax.legend(handles=[Patch(facecolor=colours[m], alpha=0.6, label=m) for m in methods],
              loc="upper left", fontsize=8)
    fig.tight_layout()
    return _save(fig, path)


def plot_coverage(summ: pd.DataFrame, path) -> Path:
    """Observed coverage of the 50% and 90% intervals per horizon and method, against nominal.

    Below the nominal line a method is overconfident; above it, vaguer than it needs to be.
    """
    methods = method_order(summ["method"])
    colours = _colours(methods)
    fig, axes = plt.subplots(1, 2, figsize=FIGSIZE, sharey=True)
    for ax, col, nominal in ((axes[0], "coverage_50", 50), (axes[1], "coverage_90", 90)):
        for m in methods:
            s = summ[summ["method"] == m].sort_values("horizon")
            if s[col].notna().any():
                ax.plot(s["horizon"], s[col] * 100, marker="o", color=colours[m], label=m,
                        lw=2 if m == MODEL_METHOD else 1)
        ax.axhline(nominal, color="grey", ls="--", lw=1, label=f"nominal {nominal}%")
        ax.set_title(f"{nominal}% interval")
        ax.set_xlabel("horizon (years)")
        ax.set_xticks(sorted(int(h) for h in summ["horizon"].unique()))
        ax.set_ylim(-3, 103)
    axes[0].set_ylabel("actuals inside the interval (%)")
    axes[1].legend(loc="lower left", fontsize=8)
    fig.suptitle("Interval coverage: observed against nominal")
    fig.tight_layout()
    return _save(fig, path)


def plot_council(forecasts: pd.DataFrame, history_series_by_measure: dict, actuals, path, *,
                 la_code=None, origin=None) -> Path:
    """One council's forecasts from one origin: a panel per measure.

    Each panel has the history the forecaster knew (line), sendsim's 90% and 50% bands and
    median, each baseline's median (dashed) and the published actuals (points). `la_code`
    defaults to the only council in `forecasts`, `origin` to its latest origin. `actuals` is
    the table `score` takes (la_code, measure, year, actual), or None.
    """
    codes = forecasts["la_code"].dropna().unique()
    if la_code is None:
        if len(codes) != 1:
            raise ValueError(f"forecasts hold {len(codes)} councils: say which with la_code")
        la_code = codes[0]
    f = forecasts[forecasts["la_code"] == la_code]
    if f.empty:
        raise ValueError(f"no forecasts for council {la_code}")
    origin = int(f["origin"].max()) if origin is None else int(origin)
    f = f[f["origin"] == origin]
    if f.empty:
        raise ValueError(f"no forecasts for council {la_code} from origin {origin}")
    measures = sorted(f["measure"].unique())
    methods = method_order(f["method"])
    colours = _colours(methods)
    ncols = min(3, len(measures))
    nrows = -(-len(measures) // ncols)
    fig, axes = plt.subplots(nrows, ncols, squeeze=False,
                             figsize=(PANEL_SIZE[0] * ncols, PANEL_SIZE[1] * nrows))
    for ax in axes.ravel()[len(measures):]:
        ax.set_visible(False)
    act = None
    if actuals is not None and len(actuals):
        act = actuals[actuals["la_code"] == la_code]
    for ax, measure in zip(axes.ravel(), measures):
        fm = f[f["measure"] == measure]
        last = last_known_year(measure, origin)
        hist = history_series_by_measure.get(measure) if history_series_by_measure else None
        if hist is not None:
            h = pd.Series(hist, dtype=float).dropna()
            h.index = h.index.astype(int)
            h = h[h.index <= last].sort_index()
            ax.plot(h.index, h.to_numpy(), color="black", marker=".", label="history (known)")
        for m in methods:
            s = fm[fm["method"] == m].sort_values("year")
            if s.empty:
                continue
            if m == MODEL_METHOD:
                ax.fill_between(s["year"], s["q05"], s["q95"], color=colours[m], alpha=0.15,
                                label=f"{m} 90%")
                ax.fill_between(s["year"], s["q25"], s["q75"], color=colours[m], alpha=0.35,
                                label=f"{m} 50%")
                ax.plot(s["year"], s["q50"], color=colours[m], lw=2, label=f"{m} median")
            else:
                ax.plot(s["year"], s["q50"], color=colours[m], ls="--", marker="x", lw=1,
                        label=m)
        if act is not None:
            a = act[(act["measure"] == measure) & (act["year"] > last)
                    & (act["year"] <= fm["year"].max())].dropna(subset=["actual"])
            if len(a):
                ax.plot(a["year"], a["actual"], ls="none", marker="o", mfc="white",
                        color="red", label="actual")
        ax.axvline(last, color="grey", lw=0.8, ls=":")
        ax.set_title(measure, fontsize=10)
        ax.set_xlabel("census year" if measure.startswith("caseload_") else "calendar year")
        years = np.unique(np.concatenate([fm["year"].to_numpy(), [last]]))
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_xlim(right=years.max() + 0.5)
        ax.legend(loc="upper left", fontsize=7)
    name = f["la_name"].dropna()
    label = f"{name.iloc[0]} ({la_code})" if len(name) else str(la_code)
    fig.suptitle(f"{label}: forecasts from origin {origin}")
    fig.tight_layout()
    return _save(fig, path)
