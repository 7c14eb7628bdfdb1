"""Fan charts for a board paper: published history, then each scenario's median with its 50%
and 90% bands, as SVG text that prints sharply and embeds in a self-contained HTML file.

Colours are the Okabe-Ito palette (distinguishable with the common colour-vision deficiencies),
and scenarios also differ by line style, so nothing depends on colour alone.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

#: Okabe & Ito (2008), "Color Universal Design": blue, vermillion, bluish green, reddish
#: purple, orange, sky blue.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
LINE_STYLES = ("-", "--", "-.", ":")
HISTORY_COLOUR = "#000000"


def fan_chart_svg(title: str, ylabel: str, history: pd.Series | None,
                  forecasts: dict[str, pd.DataFrame], start_x=None, zero_line: bool = False,
                  percent: bool = False) -> str:
    """An SVG fan chart. `history`: published values by x; `forecasts`: scenario -> frame
    indexed by x with columns median, p05, p25, p75, p95."""
    # text stays text (smaller, selectable); the same chart gives the same SVG
    with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": "sendsim"}):
        return _fan_chart(title, ylabel, history, forecasts, start_x, zero_line, percent)


def _fan_chart(title, ylabel, history, forecasts, start_x, zero_line, percent) -> str:
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for k, (name, q) in enumerate(forecasts.items()):
        colour = PALETTE[k % len(PALETTE)]
        xs = list(q.index)
        ax.fill_between(xs, q["p05"], q["p95"], color=colour, alpha=0.14, lw=0)
        ax.fill_between(xs, q["p25"], q["p75"], color=colour, alpha=0.30, lw=0)
        ax.plot(xs, q["median"], color=colour, ls=LINE_STYLES[k % len(LINE_STYLES)], lw=1.8,
                marker="o", ms=3, label=f"{name}: simulated median, 50% and 90% bands")
    if history is not None and len(history):
        ax.plot(list(history.index), history.to_numpy(), color=HISTORY_COLOUR, lw=1.6,
                marker="s", ms=3.5, label="Published (DfE)")
    if start_x is not None:
        ax.axvline(start_x, color="#555555", lw=0.8, ls=":")
        ax.annotate("forecast starts", (start_x, 1), xycoords=("data", "axes fraction"),
                    xytext=(3, -10), textcoords="offset points", fontsize=7, color="#333333")
    if zero_line:
        ax.axhline(0, color="#555555", lw=0.8)
    ax.set_title(title, fontsize=10)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.tick_params(labelsize=7)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:.0f}"))
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(
        (lambda v, _: f"{v:.0f}%") if percent else (lambda v, _: f"{v:,.0f}")))
    ax.grid(axis="y", color="#dddddd", lw=0.6)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(fontsize=6.5, loc="best", frameon=False)
    fig.tight_layout()
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    plt.close(fig)
    return buf.getvalue()
