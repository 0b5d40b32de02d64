"""Charts for the quarterly report: matplotlib drawn to inline SVG (no files, no network, prints crisp)."""

from __future__ import annotations

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
    svg = re.sub(r"<svg ", f'<svg role="img" aria-label="{title}" ', svg, count=1)
    return svg


def line_chart(title: str, x: list, series: dict[str, list], ylabel: str, hlines: dict[str, float] | None = None) -> str:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.2, 3.2))
    for name, ys in series.items():
        ax.plot(x, ys, marker="o", markersize=3, linewidth=1.6, label=name)
    for name, y in (hlines or {}).items():
        ax.axhline(y, linestyle="--", color="#7f7f7f", linewidth=1)
        ax.annotate(name, (1, y), xycoords=("axes fraction", "data"), ha="right", va="bottom", color="#595959")
    ax.set_ylabel(ylabel)
    ax.grid(axis="y", color="#e0e0e0")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=8)
    fig.autofmt_xdate()
    return to_svg(fig, title)


def bar_chart(title: str, categories: list[str], series: dict[str, list], ylabel: str, stacked: bool = False,
              hlines: dict[str, float] | None = None) -> str:
    plt = _plt()
    import numpy as np

    fig, ax = plt.subplots(figsize=(7.2, 3.2))
    xs = np.arange(len(categories))
    n = max(1, len(series))
    width = 0.8 if stacked else 0.8 / n
    bottom = np.zeros(len(categories))
    for i, (name, ys) in enumerate(series.items()):
        # a value left out (None or NaN: unknown or suppressed) draws no bar
        vals = np.nan_to_num(np.array([np.nan if v is None else v for v in ys], dtype=float), nan=0.0)
        if stacked:
            ax.bar(xs, vals, width, bottom=bottom, label=name)
            bottom += vals
        else:
            ax.bar(xs - 0.4 + width * (i + 0.5), vals, width, label=name)
    for name, y in (hlines or {}).items():
        ax.axhline(y, linestyle="--", color="#b00020", linewidth=1)
        ax.annotate(name, (1, y), xycoords=("axes fraction", "data"), ha="right", va="bottom", color="#b00020")
    ax.set_xticks(xs, categories, rotation=0 if len(categories) < 7 else 30)
    ax.set_ylabel(ylabel)
    ax.grid(axis="y", color="#e0e0e0")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=8)
    return to_svg(fig, title)
