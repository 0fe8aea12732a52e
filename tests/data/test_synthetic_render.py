"""Synthetic widgets of every category render in a real browser at their declared size and colours."""

from __future__ import annotations

import numpy as np
import pytest

from widget2code.data.synthetic import CATEGORIES, generate_widget
from widget2code.render import Renderer

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)


def test_one_widget_of_every_category_renders(renderer: Renderer) -> None:
    widgets = [generate_widget(31 + i, category) for i, category in enumerate(CATEGORIES)]
    results = renderer.render_many([w.tsx for w in widgets])
    margin = renderer.settings.margin
    for w, res in zip(widgets, results, strict=True):
        assert res.ok, (w.category, w.seed, res.error_kind, res.message)
        # The page is cropped to the widget's box plus the margin: the widget has its declared size.
        assert res.width == w.style["width"] + 2 * margin, w.category
        assert res.height >= max(w.style["min_height"], 100) + 2 * margin, w.category
        pixels = np.asarray(res.image, dtype=float)
        widget = pixels[margin:-margin, margin:-margin]
        assert widget.std() > 8, f"{w.category} rendered a flat image"
        assert len(np.unique(widget.reshape(-1, 3), axis=0)) > 20, w.category
        if len(w.style["background"]) == 1:  # solid background: the card's left edge shows that colour
            edge = pixels[margin + widget.shape[0] // 2, margin + 2]
            assert np.abs(edge - _rgb(w.style["background"][0])).max() <= 3, (w.category, edge)
