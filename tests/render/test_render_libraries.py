"""The libraries real widget code imports render what they should, and the failures stay exact."""

from __future__ import annotations

import numpy as np
import pytest
from widgets import CARD, LAZY, LUCIDE_HEART, NAMED_ONLY, REACT_ICON, RECHARTS_LINE

from widget2code.render import ErrorKind, Renderer, RenderSettings

pytestmark = pytest.mark.browser


def _pixels(result) -> np.ndarray:
    assert result.ok, f"{result.error_kind}: {result.message}"
    return np.asarray(result.image, dtype=np.int16)


def _red(pixels: np.ndarray) -> np.ndarray:
    return (pixels[..., 0] > 180) & (pixels[..., 1] < 90) & (pixels[..., 2] < 90)


def test_lucide_icon_draws_its_shape(renderer: Renderer) -> None:
    pixels = _pixels(renderer.render(LUCIDE_HEART))
    red = _red(pixels)
    # A filled 96 px heart: a large red blob centred in the image, white around it.
    assert 2000 < red.sum() < 96 * 96
    rows, cols = np.nonzero(red)
    assert abs(rows.mean() - pixels.shape[0] / 2) < 12 and abs(cols.mean() - pixels.shape[1] / 2) < 12
    assert not red[:, : pixels.shape[1] // 2 - 48].any(), "nothing red left of the icon"


def test_react_icons_draw_their_shape(renderer: Renderer) -> None:
    pixels = _pixels(renderer.render(REACT_ICON))
    dark = (pixels.max(axis=-1) < 60).sum()
    assert 2000 < dark < 96 * 96, "the GitHub mark is a dark disc with a light cat cut out of it"


def test_recharts_line_spans_the_chart(renderer: Renderer) -> None:
    result = renderer.render(RECHARTS_LINE)
    pixels = _pixels(result)
    assert (result.width, result.height) == (320 + 96, 160 + 96)
    red = _red(pixels)
    columns = np.nonzero(red.any(axis=0))[0]
    # The whole line is drawn (its animation finished on virtual time), from near the left edge of the
    # plot to near its right edge; it rises and falls, so it covers many rows.
    assert columns.min() < 48 + 80 and columns.max() > 48 + 240, (columns.min(), columns.max())
    assert len(np.unique(np.nonzero(red)[0])) > 40


def test_a_sole_named_component_renders(renderer: Renderer) -> None:
    named = renderer.render(NAMED_ONLY)
    default = renderer.render(NAMED_ONLY.replace("export function StatCard", "export default function StatCard"))
    assert named.ok, named.message
    assert named.png == default.png


def test_unknown_modules_are_still_import_errors(renderer: Renderer) -> None:
    result = renderer.render("import { motion } from 'framer-motion';\nexport default function W() { return <motion.div/>; }")
    assert result.error_kind == ErrorKind.IMPORT and "'framer-motion'" in result.message


def test_react_errors_are_readable(renderer: Renderer) -> None:
    # A component that is undefined at run time: production React only says "error #130".
    source = "const Icon: any = undefined;\nexport default function W() { return <div><Icon /></div>; }"
    result = renderer.render(source)
    assert result.error_kind == ErrorKind.RUNTIME
    assert "Element type is invalid" in result.message and "Minified" not in result.message, result.message
    assert renderer.render(CARD).ok


def test_lazy_components_are_waited_for_and_measured_loaded(renderer: Renderer) -> None:
    result = renderer.render(LAZY)
    pixels = _pixels(result)
    assert (result.width, result.height) == (320 + 96, 160 + 96), "the crop is the loaded panel, not the fallback"
    centre = pixels[result.height // 2, result.width // 2]
    assert centre[2] > 150 and centre[1] < 100, "the violet panel is drawn"


def test_never_resolving_suspense_times_out(quick: Renderer) -> None:
    source = ("import { lazy, Suspense } from 'react';\nconst Never = lazy(() => new Promise<any>(() => {}));\n"
              "export default function W() { return <Suspense fallback={<p>loading</p>}><Never /></Suspense>; }")
    result = quick.render(source)
    assert result.error_kind == ErrorKind.TIMEOUT and "Suspense" in result.message, result.message


@pytest.mark.slow
def test_shadcn_profile_gives_components_and_theme_colours() -> None:
    source = """
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Button } from "@/components/ui/button";
import { Progress } from "@/components/ui/progress";
export default function Plan() {
  return (
    <Card className="w-72">
      <CardHeader><CardTitle>Pro plan</CardTitle></CardHeader>
      <CardContent className="space-y-4">
        <Progress value={50} />
        <Button className="w-full">Upgrade</Button>
      </CardContent>
    </Card>
  );
}
"""
    with Renderer(settings=RenderSettings(import_profile="shadcn")) as shadcn:
        result = shadcn.render(source)
        strict = shadcn.render(source.replace("@/components/ui/button", "@/components/ui/no-such"))
    pixels = _pixels(result)
    assert result.width == 288 + 96
    # bg-primary (near black) fills the button across the card's content width; the card border is grey.
    near_black = (pixels.max(axis=-1) < 40).sum(axis=1)
    assert near_black.max() > 200, "a full-width primary button"
    border = pixels[result.height // 2, 48]
    assert 200 < border.min() < 245, f"the card's border takes the theme's border colour, got {border}"
    assert strict.error_kind == ErrorKind.IMPORT and "no-such" in strict.message
