"""The official Widget2Code renderer's contract: its globals (React, Recharts, ReactECharts, echarts) with no
import, ECharts drawn finished and the same every time, and its page (the `widget2code` profile)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from widget2code.render import Compiler, ErrorKind, Renderer, RenderSettings

pytestmark = pytest.mark.browser

# Written as benchmark predictions are: no imports, charts and hooks reached through globals.
AREA = """
export default function Widget() {
  const [data] = React.useState([{ q: "Q1", v: 40 }, { q: "Q2", v: 90 }, { q: "Q3", v: 30 }, { q: "Q4", v: 70 }]);
  return (
    <div style={{ width: 320, height: 180, background: "#ffffff", borderRadius: 24, overflow: "hidden" }}>
      <Recharts.AreaChart width={320} height={180} data={data} margin={{ top: 10, right: 0, left: 0, bottom: 0 }}>
        <Recharts.YAxis hide domain={[0, 100]} />
        <Recharts.Area dataKey="v" stroke="#ff0000" fill="#ff0000" fillOpacity={1} />
      </Recharts.AreaChart>
    </div>
  );
}
"""
BARS = """
export default function Widget() {
  const option = {
    __ANIMATION__
    grid: { left: 8, right: 8, top: 8, bottom: 8 },
    xAxis: { type: "category", data: ["a", "b", "c", "d"], show: false },
    yAxis: { type: "value", show: false, max: 10 },
    series: [{ type: "bar", data: [2, 9, 5, 7], barWidth: "60%", itemStyle: { color: "#0000ff" } }],
  };
  return (
    <div style={{ width: 240, height: 160, background: "#ffffff" }}>
      <ReactECharts option={option} style={{ width: "100%", height: "100%" }} __OPTS__ />
    </div>
  );
}
"""
# A CSS animation from 0 to 200 px wide that stays at its end.
GROWING = """
export default function Grow() {
  return (
    <div style={{ width: 220, padding: 10, background: "#ffffff" }}>
      <style>{`@keyframes grow { from { width: 0 } to { width: 200px } } .bar { animation: grow 3s ease-out forwards; }`}</style>
      <div className="bar" style={{ height: 20, width: 0, background: "#00aa00" }} />
    </div>
  );
}
"""


def _pixels(result) -> np.ndarray:
    assert result.ok, f"{result.error_kind}: {result.message}"
    return np.asarray(result.image, dtype=np.int16)


def _bars(animation: str = "", opts: str = "") -> str:
    return BARS.replace("__ANIMATION__", animation).replace("__OPTS__", opts)


@pytest.fixture(scope="module")
def official() -> Iterator[Renderer]:
    """The settings of conf/render/widget2code.yaml."""
    settings = RenderSettings(import_profile="widget2code", viewport_width=1920, viewport_height=1080,
                              background="#000000", margin=0)
    with Renderer(settings=settings) as page:
        yield page


def test_globals_render_without_imports(renderer: Renderer) -> None:
    area, bars = renderer.render_many([AREA, _bars()])
    pixels = _pixels(area)
    red = (pixels[..., 0] > 200) & (pixels[..., 1] < 60) & (pixels[..., 2] < 60)
    assert red[48 + 170].mean() > 0.5, "the area fills the chart's bottom row"
    blue = _pixels(bars)[..., 2] - _pixels(bars)[..., 0]
    assert (blue > 150).sum() > 2000, "four blue bars"


def test_a_widget_s_own_names_win_over_the_globals(renderer: Renderer) -> None:
    own = ("const Recharts = { Box: () => <div className='h-10 w-10 bg-lime-500' /> };\n"
           "export default function W() { return <Recharts.Box />; }")
    result = renderer.render(own)
    assert result.ok and (result.width, result.height) == (40 + 96, 40 + 96), result.message
    with Compiler() as compiler:
        assert compiler.compile(own).libraries == (), "a widget's own Recharts loads no library"
        assert compiler.compile(AREA).libraries == ("recharts",)
        assert compiler.compile(_bars()).libraries == ("echarts", "echarts-for-react"), "ECharts loads before its React face"


def test_echarts_is_drawn_finished_and_the_same_every_time(renderer: Renderer) -> None:
    for opts in ("", "opts={{ renderer: 'svg' }}"):
        animated, still, again = renderer.render_many([_bars(opts=opts), _bars("animation: false,", opts), _bars(opts=opts)])
        assert animated.ok and still.ok, (animated.message, still.message)
        assert animated.png == still.png == again.png, f"the entry animation ends within virtual time ({opts or 'canvas'})"


def test_echarts_imports_as_real_code_writes_them(renderer: Renderer) -> None:
    imports = "import ReactECharts from 'echarts-for-react';\nimport * as echarts from 'echarts';\n"
    gradient = _bars().replace('itemStyle: { color: "#0000ff" }', 'itemStyle: { color: new echarts.graphic.LinearGradient('
                               '0, 0, 0, 1, [{ offset: 0, color: "#0000ff" }, { offset: 1, color: "#ff0000" }]) }')
    imported, globals_, shaded = renderer.render_many([imports + _bars(), _bars(), imports + gradient])
    assert imported.png == globals_.png, "an import and a global are the same module"
    pixels = _pixels(shaded)
    assert ((pixels[..., 2] > 150) & (pixels[..., 0] < 100)).any() and ((pixels[..., 0] > 150) & (pixels[..., 2] < 100)).any()


def test_the_official_page(official: Renderer) -> None:
    area = official.render(AREA)
    pixels = _pixels(area)
    assert (area.width, area.height) == (320, 180), "the capture is the widget's own element, no margin"
    assert (pixels[0, 0] == 0).all() and (pixels[-1, -1] == 0).all(), "the black page shows in the rounded corners"
    # No Tailwind: a class name does nothing, and content-box sizing adds the padding to the width.
    plain = official.render("export default function W() { return <div className='p-8' style={{ width: 100, height: 50, "
                            "padding: 10, background: '#123456' }} />; }")
    assert (plain.width, plain.height) == (120, 70), plain.message


def test_the_official_page_shows_css_animations_finished(official: Renderer, renderer: Renderer) -> None:
    finished = _pixels(official.render(GROWING))
    green = (finished[..., 1] > 150) & (finished[..., 0] < 60)
    assert green.any(axis=0).sum() == 200, "the bar is at its last keyframe: 200 px"
    off = _pixels(renderer.render(GROWING))
    assert not ((off[..., 1] > 150) & (off[..., 0] < 60)).any(), "the default page shows animations off: no bar"


def test_the_official_contract_s_imports() -> None:
    sources = {
        "recharts": ("import { LineChart } from 'recharts';", True),
        "react-icons/pi": ("import { PiEyeBold } from 'react-icons/pi';", True),
        "react": ("import React from 'react';", False),
        "lucide-react": ("import { Heart } from 'lucide-react';", False),
        "echarts-for-react": ("import ReactECharts from 'echarts-for-react';", False),
    }
    with Compiler(import_profile="widget2code") as compiler:
        results = compiler.compile_many([f"{line}\nexport default function W() {{ return <div/>; }}"
                                         for line, _ in sources.values()])
    for (module, (_, allowed)), result in zip(sources.items(), results, strict=True):
        if allowed:
            assert result.ok, (module, result.message)
        else:
            assert result.error_kind == ErrorKind.IMPORT and f"'{module}'" in result.message, (module, result.message)
