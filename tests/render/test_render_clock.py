"""Time is virtual: timers and animation frames due within `virtual_time_ms` fire, in order, then the
page is captured; the same source gives the same bytes every time (the README states the rule)."""

from __future__ import annotations

import pytest
from widgets import CHANCE, CLOCK, FRAMES, INTERVAL, LATE_TIMEOUT, RECHARTS_LINE

from widget2code.render import Renderer

pytestmark = pytest.mark.browser
MARGIN = 2 * 48


def _width(renderer: Renderer, source: str) -> int:
    result = renderer.render(source)
    assert result.ok, f"{result.error_kind}: {result.message}"
    return result.width - MARGIN


def test_timers_and_frames_fire_on_virtual_time(renderer: Renderer) -> None:
    assert _width(renderer, INTERVAL) == 10 * 20 + 1, "every 100 ms for 2,000 ms: 20 ticks"
    assert _width(renderer, FRAMES) == 125 + 1, "a frame each 16 ms for 2,000 ms: 125 frames"
    assert _width(renderer, LATE_TIMEOUT) == 100, "a timer due after 2,000 ms never fires"


def test_virtual_time_is_a_setting(quick: Renderer) -> None:
    assert quick.settings.virtual_time_ms == 500
    assert _width(quick, INTERVAL) == 10 * 5 + 1


def test_time_and_chance_dependent_widgets_are_byte_identical_across_runs(renderer: Renderer) -> None:
    for source in (CLOCK, INTERVAL, FRAMES, RECHARTS_LINE, CHANCE):
        first, second = renderer.render(source), renderer.render(source)
        assert first.ok and first.png == second.png


def test_storage_and_cookies_do_not_carry_over(renderer: Renderer) -> None:
    visits = ("export default function Visits() {"
              " const n = Number(localStorage.getItem('n') ?? 0) + 1; localStorage.setItem('n', String(n));"
              " document.cookie = `seen=${n}`;"
              " return <div className='h-4 bg-rose-500' style={{ width: 50 * n + document.cookie.length }} />; }")
    widths = {_width(renderer, visits) for _ in range(3)}
    assert widths == {50 + len("seen=1")}
