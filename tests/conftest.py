"""Shared fixtures: one real Chromium renderer for the whole session (starting one costs ~1 s)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from widget2code.render import Renderer

pytest_plugins = ["support.openai_server"]


@pytest.fixture(scope="session")
def renderer() -> Iterator[Renderer]:
    """A real renderer with default settings and no cache, shared by every test that renders."""
    with Renderer(slots=1) as shared:
        yield shared
