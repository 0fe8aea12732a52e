"""Each widget runs in a fresh realm: a sandboxed frame that reaches nothing around it and outlives nothing."""

from __future__ import annotations

import numpy as np
import pytest
from widgets import CARD

from widget2code.render import ErrorKind, Renderer
from widget2code.render.renderer import NAVIGATED_AWAY

pytestmark = pytest.mark.browser

# What a widget can see of the page around it and of other frames, written into its picture as text.
REACH = """
export default function Reach() {
  const tries: Record<string, () => unknown> = {
    parent: () => window.parent.document.title,
    top: () => window.top!.document.body.innerHTML,
    storage: () => window.parent.localStorage.length,
    location: () => window.parent.location.href,
  };
  const seen = Object.entries(tries).map(([name, attempt]) => {
    try { attempt(); return `${name}:reached`; } catch { return `${name}:blocked`; }
  });
  return <p className="w-96 p-2 font-mono text-xs" id="out">{seen.join(" ")}</p>;
}
"""
# Work that keeps going in real time, past the capture: a MessageChannel ping-pong that paints the page red.
RESTLESS = """
export default function Restless() {
  const channel = new MessageChannel();
  channel.port1.onmessage = () => { document.documentElement.style.background = "red"; channel.port2.postMessage(0); };
  channel.port2.postMessage(0);
  return <div className="h-10 w-40 bg-emerald-500" />;
}
"""


def test_a_widget_reaches_nothing_outside_its_frame(renderer: Renderer) -> None:
    probe = REACH.replace('id="out">{seen.join(" ")}', 'id="out">{seen.every((s) => s.endsWith(":blocked")) ? "ALL BLOCKED" : seen.join(" ")}')
    blocked = renderer.render(probe)
    reference = renderer.render('export default function R() { return <p className="w-96 p-2 font-mono text-xs" id="out">ALL BLOCKED</p>; }')
    assert blocked.ok and reference.ok, blocked.message
    assert blocked.png == reference.png, "every reach out of the frame throws"


def test_leaving_the_frame_is_a_runtime_error_with_one_message(renderer: Renderer) -> None:
    attempts = [
        "location.assign('https://example.com/')",
        "location.reload()",
        "const a = document.createElement('a'); a.href = 'https://example.com/'; document.body.appendChild(a); a.click()",
        "const f = document.createElement('form'); f.action = 'https://example.com/'; document.body.appendChild(f); f.requestSubmit()",
    ]
    sources = [f"export default function W() {{ {attempt}; return <div className='p-4'>x</div>; }}" for attempt in attempts]
    for attempt, result in zip(attempts, renderer.render_many(sources), strict=True):
        assert result.error_kind == ErrorKind.RUNTIME and result.message == NAVIGATED_AWAY, (attempt, result.message)
    # Trying to move the page itself is refused by the sandbox; the widget still renders.
    top = renderer.render("export default function W() { try { window.top!.location.href = 'https://example.com/'; } catch {} "
                          "return <div className='h-8 w-8 bg-sky-500' />; }")
    assert top.ok, top.message
    assert renderer.render(CARD).ok


def test_a_restless_widget_changes_nothing_after_it(renderer: Renderer) -> None:
    clean = renderer.render(CARD)
    restless = renderer.render(RESTLESS)
    assert restless.ok, restless.message
    after = [renderer.render(CARD) for _ in range(3)]
    assert all(r.png == clean.png for r in after), "nothing of the restless widget reaches later widgets"
    pixels = np.asarray(restless.image, dtype=np.int16)
    assert pixels[5, 5, 0] > 200 and pixels[5, 5, 1] < 60, "its own picture shows what it did before the capture"

