"""Good widgets render to the right picture, deterministically; bad ones give typed failures."""

from __future__ import annotations

import numpy as np
import pytest
from widgets import CARD, CLOCK, COUNTER, FAILING, INTERVAL, RECHARTS_LINE

from widget2code.render import ErrorKind, Renderer, RenderSettings

pytestmark = pytest.mark.browser


def _pixels(result) -> np.ndarray:
    return np.asarray(result.image, dtype=np.int16)


def test_renders_a_widget_with_its_colours_and_a_margin_for_shadows(renderer: Renderer) -> None:
    result = renderer.render(CARD)
    assert result.ok, result.message
    assert result.png is not None and result.png.startswith(b"\x89PNG")
    # w-64 = 256 px plus a 48 px margin on each side.
    assert result.width == 256 + 2 * 48
    pixels = _pixels(result)
    centre = pixels[result.height // 2, result.width // 2]
    assert centre[2] > centre[0] + 60, "the card's blue-to-indigo gradient should dominate its centre"
    # The margin is background, yet the shadow darkens it below the card: nothing is cut.
    assert (pixels[0] == 255).all() and (pixels[:, 0] == 255).all()
    below_card = pixels[result.height - 30, result.width // 2]
    assert below_card.max() < 250, "shadow-2xl should be visible below the card"
    assert (pixels[-1] >= 245).all(), "the shadow should fade out before the image edge"


def test_same_source_gives_byte_identical_pngs(renderer: Renderer) -> None:
    first, second = renderer.render(CARD), renderer.render(CARD)
    assert first.png == second.png


def test_effects_run_before_the_screenshot(renderer: Renderer) -> None:
    with_effect = renderer.render(COUNTER)
    without_effect = renderer.render(COUNTER.replace("useEffect(() => setN(7), []);", "").replace("(1)", "(7)"))
    assert with_effect.ok and without_effect.ok
    assert with_effect.png == without_effect.png


@pytest.mark.parametrize("name", sorted(FAILING))
def test_failure_kinds(renderer: Renderer, name: str) -> None:
    kind, source = FAILING[name]
    result = renderer.render(source)
    assert not result.ok
    assert result.error_kind == ErrorKind(kind), result.message
    assert result.message, "a failure must say what went wrong"
    assert result.png is None
    # The very next render works.
    assert renderer.render(CARD).ok


def test_import_error_names_the_module(renderer: Renderer) -> None:
    result = renderer.render(FAILING["import"][1])
    assert "lodash" in result.message


def test_oversized_box_is_clamped(renderer: Renderer) -> None:
    huge = "export default function W() { return <div className='bg-rose-500' style={{width: 100000, height: 100000}}/>; }"
    result = renderer.render(huge)
    assert result.ok, result.message
    assert (result.width, result.height) == (2048, 2048)


def test_scale_and_background_settings() -> None:
    settings = RenderSettings(device_scale_factor=2.0, background="#000000", margin=8)
    with Renderer(settings=settings) as dark:
        result = dark.render(CARD)
    assert result.ok, result.message
    assert result.width == 2 * (256 + 2 * 8)
    assert (_pixels(result)[0, 0] == 0).all()


@pytest.mark.slow
def test_identical_pngs_across_renderer_restarts(renderer: Renderer) -> None:
    sources = [CARD, CLOCK, INTERVAL, RECHARTS_LINE]  # time-dependent widgets too: time is virtual
    with Renderer() as fresh:
        again = fresh.render_many(sources)
    assert [r.png for r in again] == [renderer.render(s).png for s in sources]


def test_render_outside_a_with_block_is_a_clear_error() -> None:
    with pytest.raises(RuntimeError, match="with"):
        Renderer().render(CARD)


def test_bad_settings_are_rejected() -> None:
    with pytest.raises(ValueError, match="margin"):
        RenderSettings(margin=-1)
    with pytest.raises(ValueError, match="slots"):
        Renderer(slots=0)
