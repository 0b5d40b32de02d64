"""Charts for the quarterly report: matplotlib drawn to inline SVG (no files, no network, prints crisp)."""

from __future__ import annotations

import html
import io
import re

PALETTE = ["#1f4e79", "#c55a11", "#548235", "#7030a0", "#bf9000", "#2e75b6", "#a5a5a5", "#843c0c"]


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 9, "axes.spines.top": False, "axes.spines.right": False,
                         "svg.fonttype": "none", "axes.prop_cycle": plt.cycler(color=PALETTE)})
    return plt


def to_svg(fig, title: str) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    _plt().close(fig)
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]  # drop the XML prolog and DOCTYPE: the SVG sits inside HTML
    svg = re.sub(r"<svg ", f'<svg role="img" aria-label="{html.escape(title)}" ', svg, count=1)
    return svg


def _floats(ys: list) -> list[float]:
    """A series as floats, a value left out (None, NaN or pandas' <NA> of a nullable count: unknown or
    suppressed) as NaN, which matplotlib leaves undrawn."""
    import pandas as pd

    return [float("nan") if pd.isna(v) else float(v) for v in ys]


def line_chart(title: str, x: list, series: dict[str, list], ylabel: str, hlines: dict[str, float] | None = None) -> str:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.2, 3.2))
    for name, ys in series.items():
        ax.plot(x, _floats(ys), marker="o", markersize=3, linewidth=1.6, label=name)
    for name, y in (hlines or {}).items():
        ax.axhline(y, linestyle="--", color="#7f7f7f", linewidth=1)
        ax.annotate(name, (1, y), xycoords=("axes fraction", "data"), ha="right", va="bottom", color="#595959")
    ax.set_ylabel(ylabel)
    ax.grid(axis="y", color="#e0e0e0")
    fig.autofmt_xdate()
    _legend(ax, len(series), below=-0.32)  # below the slanted date labels
    _say_if_empty(ax, series)
    return to_svg(fig, title)


def _legend(ax, n: int, below: float = -0.18) -> None:
    # under the plot, in the body's type size: beside it, the page scales the legend down to unreadable
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, below), frameon=False, fontsize=9, ncol=2 if n > 2 else max(n, 1))


def _say_if_empty(ax, series: dict[str, list]) -> None:
    """An empty plot reads as zero: say that every figure is suppressed or unknown."""
    import math

    if not any(not math.isnan(v) for ys in series.values() for v in _floats(ys)):
        ax.text(0.5, 0.5, "No figure can be shown: every value is suppressed (c) or unknown; see the table",
                transform=ax.transAxes, ha="center", va="center", color="#595959", fontsize=9)


def bar_chart(title: str, categories: list[str], series: dict[str, list], ylabel: str, stacked: bool = False,
              hlines: dict[str, float] | None = None, horizontal: bool = False) -> str:
    """Bars per category; horizontal=True for long category names (measure names) read across."""
    plt = _plt()
    import numpy as np

    height = 3.2 if not horizontal else max(2.4, 0.45 * len(categories) + 1)
    fig, ax = plt.subplots(figsize=(7.2, height))
    bar = ax.barh if horizontal else ax.bar
    xs = np.arange(len(categories))
    n = max(1, len(series))
    width = 0.8 if stacked else 0.8 / n
    bottom = np.zeros(len(categories))
    for i, (name, ys) in enumerate(series.items()):
        # a value left out (None or NaN: unknown or suppressed) draws no bar
        vals = np.nan_to_num(np.array(_floats(ys), dtype=float), nan=0.0)
        if stacked:
            bar(xs, vals, width, label=name, **({"left": bottom} if horizontal else {"bottom": bottom}))
            bottom += vals
        else:
            bar(xs - 0.4 + width * (i + 0.5), vals, width, label=name)
    for name, y in (hlines or {}).items():
        if horizontal:
            ax.axvline(y, linestyle="--", color="#b00020", linewidth=1)
            ax.annotate(name, (y, 1), xycoords=("data", "axes fraction"), ha="left", va="bottom", color="#b00020")
        else:
            ax.axhline(y, linestyle="--", color="#b00020", linewidth=1)
            ax.annotate(name, (1, y), xycoords=("axes fraction", "data"), ha="right", va="bottom", color="#b00020")
    if horizontal:
        ax.set_yticks(xs, categories)
        ax.invert_yaxis()
        ax.set_xlabel(ylabel)
        ax.grid(axis="x", color="#e0e0e0")
    else:
        ax.set_xticks(xs, categories, rotation=0 if len(categories) < 7 else 30)
        ax.set_ylabel(ylabel)
        ax.grid(axis="y", color="#e0e0e0")
    # the legend sits a fixed distance (in inches) under the axis title, whatever the chart's height
    _legend(ax, len(series), below=-0.62 / (0.77 * height) if horizontal else -0.18)
    _say_if_empty(ax, series)
    return to_svg(fig, title)
