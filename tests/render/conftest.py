"""Fixtures the renderer tests share (the default-settings `renderer` is in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from widget2code.render import Renderer, RenderSettings


@pytest.fixture(scope="session")
def quick() -> Iterator[Renderer]:
    """A renderer with a short time limit (hang tests take about a second each) and 500 ms of virtual time."""
    with Renderer(settings=RenderSettings(timeout_s=1.5, virtual_time_ms=500)) as short:
        yield short
