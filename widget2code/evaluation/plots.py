"""Charts for reports as PNG bytes, drawn with matplotlib's object API (no pyplot, no global state)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

from matplotlib.figure import Figure


def bar_chart(values: Mapping[str, float | None], title: str, ylabel: str, ylim: tuple[float, float] | None = None
              ) -> bytes:
    """One bar per group (a missing value is drawn as no bar, labelled n/a)."""
    labels = list(values)
    figure = Figure(figsize=(max(4.0, 0.6 * len(labels) + 2), 3.2), dpi=100)
    axes = figure.add_subplot()
    heights = [v if v is not None else 0.0 for v in values.values()]
    bars = axes.bar(range(len(labels)), heights, color="#4f46e5")
    for bar, value in zip(bars, values.values(), strict=True):
        axes.annotate("n/a" if value is None else f"{value:.2f}", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                      ha="center", va="bottom", fontsize=8)
    axes.set_xticks(range(len(labels)), labels, rotation=30, ha="right", fontsize=8)
    axes.set_title(title, fontsize=10)
    axes.set_ylabel(ylabel, fontsize=9)
    if ylim is not None:
        axes.set_ylim(*ylim)
    return _png(figure)


def histogram(series: Mapping[str, Sequence[float]], title: str, xlabel: str, bins: int = 20,
              value_range: tuple[float, float] | None = (0.0, 1.0)) -> bytes:
    """Overlaid histograms, one per named series (e.g. rendered vs failed samples)."""
    figure = Figure(figsize=(5.0, 3.2), dpi=100)
    axes = figure.add_subplot()
    for label, values in series.items():
        if len(values):
            axes.hist(list(values), bins=bins, range=value_range, alpha=0.7, label=f"{label} ({len(values)})")
    axes.set_title(title, fontsize=10)
    axes.set_xlabel(xlabel, fontsize=9)
    axes.set_ylabel("samples", fontsize=9)
    if any(len(v) for v in series.values()):
        axes.legend(fontsize=8)
    return _png(figure)


def line_chart(series: Mapping[str, Sequence[tuple[float, float]]], title: str, xlabel: str) -> bytes:
    """One line per named series of (x, y) points (training curves: step, metric)."""
    figure = Figure(figsize=(5.5, 3.2), dpi=100)
    axes = figure.add_subplot()
    for label, points in series.items():
        if points:
            xs, ys = zip(*points, strict=True)
            axes.plot(xs, ys, marker="." if len(points) < 30 else None, label=label)
    axes.set_title(title, fontsize=10)
    axes.set_xlabel(xlabel, fontsize=9)
    if series:
        axes.legend(fontsize=8)
    return _png(figure)


def _png(figure: Figure) -> bytes:
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
