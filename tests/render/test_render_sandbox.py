"""Untrusted widgets: no request leaves the page, hangs and crashes are contained, nothing leaks."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from widgets import CARD

from widget2code.render import ErrorKind, Renderer

pytestmark = pytest.mark.browser


class _Canary(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def _record(self) -> None:
        _Canary.hits.append(f"{self.command} {self.path}")
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"canary")

    do_GET = do_POST = do_HEAD = do_OPTIONS = _record

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def canary() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Canary)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _exfiltration_attempts(url: str) -> dict[str, str]:
    body = "<div className='w-40 h-20 bg-slate-200'>x</div>"
    effect = "import { useEffect } from 'react';\n"
    return {
        "fetch": f"{effect}export default function W() {{ useEffect(() => {{ fetch('{url}/fetch').catch(() => {{}}); }}, []); return {body}; }}",
        "xhr": f"export default function W() {{ const x = new XMLHttpRequest(); try {{ x.open('GET', '{url}/xhr'); x.send(); }} catch {{}} return {body}; }}",
        "image": f"export default function W() {{ return <div className='p-2'><img src='{url}/img.png' className='h-8 w-8'/></div>; }}",
        "css_url": f"export default function W() {{ return <div className='h-20 w-20' style={{{{backgroundImage: 'url({url}/bg.png)'}}}}/>; }}",
        "stylesheet": f"export default function W() {{ return <div><link rel='stylesheet' href='{url}/x.css'/>{body}</div>; }}",
        "font": f"export default function W() {{ return <div><style>{{`@font-face {{ font-family: X; src: url({url}/f.woff2); }} .f {{ font-family: X; }}`}}</style><p className='f'>hi</p></div>; }}",
        "iframe": f"export default function W() {{ return <div><iframe src='{url}/frame'/>{body}</div>; }}",
        "file_iframe": f"export default function W() {{ return <div><iframe src='file:///etc/passwd'/>{body}</div>; }}",
        "script_tag": f"{effect}export default function W() {{ useEffect(() => {{ const s = document.createElement('script'); s.src = '{url}/s.js'; document.body.appendChild(s); }}, []); return {body}; }}",
        "beacon": f"export default function W() {{ navigator.sendBeacon('{url}/beacon', 'x'); return {body}; }}",
        "websocket": f"export default function W() {{ try {{ new WebSocket('{url.replace('http', 'ws')}/ws'); }} catch {{}} return {body}; }}",
        "event_source": f"export default function W() {{ try {{ new EventSource('{url}/es'); }} catch {{}} return {body}; }}",
        "worker": f"export default function W() {{ try {{ new Worker('{url}/w.js'); }} catch {{}} return {body}; }}",
        "popup": f"export default function W() {{ window.open('{url}/popup'); return {body}; }}",
        "navigation": f"export default function W() {{ window.location.href = '{url}/nav'; return {body}; }}",
        "form": f"{effect}export default function W() {{ useEffect(() => {{ (document.getElementById('f') as HTMLFormElement).submit(); }}, []); return <form id='f' action='{url}/form' method='post'>{body}</form>; }}",
        "prefetch": f"export default function W() {{ return <div><link rel='prefetch' href='{url}/pre'/>{body}</div>; }}",
    }


def test_no_widget_reaches_the_network(renderer: Renderer, canary: str) -> None:
    attempts = _exfiltration_attempts(canary)
    results = renderer.render_many(list(attempts.values()))
    # Every attempt is blocked without stalling the render; leaving the page (a link, a form) is a failure.
    for name, result in zip(attempts, results, strict=True):
        if name in ("navigation", "form"):
            assert result.error_kind == ErrorKind.RUNTIME and "navigated away" in result.message, result.message
        else:
            assert result.ok, f"{name}: {result.error_kind} {result.message}"
        assert result.timings.get("total", 0) < 5000, f"{name} stalled the render"
    # Give any stray request time to arrive before asserting none did.
    assert renderer.render(CARD).ok
    assert _Canary.hits == [], f"requests escaped the sandbox: {_Canary.hits}"


def test_dialogs_are_dismissed(renderer: Renderer) -> None:
    source = ("export default function W() { alert('a'); const ok = confirm('b'); const name = prompt('c');"
              " return <div className='p-4'>{String(ok)} {String(name)}</div>; }")
    assert renderer.render(source).ok


@pytest.mark.slow
@pytest.mark.parametrize("where", ["module", "component", "effect", "timer"])
def test_infinite_loops_time_out_and_the_next_render_works(quick: Renderer, where: str) -> None:
    loop = "while (true) {}"
    sources = {
        "module": f"{loop}\nexport default function W() {{ return <div/>; }}",
        "component": f"export default function W() {{ {loop} return <div/>; }}",
        "effect": f"import {{ useEffect }} from 'react';\nexport default function W() {{ useEffect(() => {{ {loop} }}, []); return <div className='p-4'>x</div>; }}",
        "timer": f"export default function W() {{ setTimeout(() => {{ {loop} }}, 0); return <div className='p-4'>x</div>; }}",
    }
    result = quick.render(sources[where])
    if where == "timer":
        # A loop scheduled after mount may start before or after the screenshot; either outcome is
        # fine, as long as the render ends on time and the renderer survives.
        assert result.ok or result.error_kind == ErrorKind.TIMEOUT
    else:
        assert result.error_kind == ErrorKind.TIMEOUT, result.message
    assert result.timings["total"] < (1.5 + 1.0) * 1000 + 500
    assert quick.render(CARD).ok


@pytest.mark.slow
def test_time_queued_behind_a_timeout_is_not_the_next_renders_own(quick: Renderer) -> None:
    started = time.perf_counter()
    hang, card = quick.render_many(["export default function W() { while (true) {} }", CARD])
    wall_ms = (time.perf_counter() - started) * 1000
    assert hang.error_kind == ErrorKind.TIMEOUT and card.ok
    # the hang holds the only page for 1.5 s; the card compiles meanwhile (up to ~1 s on a loaded machine,
    # measured 0.98 s waiting there), then waits for the page: that wait is queue, not its own time
    assert card.timings["queue"] >= 500 and card.timings["queue"] > card.timings["total"], card.timings
    assert card.timings["total"] + card.timings["queue"] <= wall_ms
    assert card.summary()["ms"] == round(card.timings["total"], 2)
    assert card.summary()["queue_ms"] == round(card.timings["queue"], 2)


@pytest.mark.slow
def test_memory_blowup_crashes_only_its_page(quick: Renderer) -> None:
    source = "export default function W() { const a: number[][] = []; while (true) a.push(new Array(1e6).fill(1)); }"
    result = quick.render(source)
    assert result.error_kind in (ErrorKind.CRASH, ErrorKind.TIMEOUT), result.message
    assert quick.render(CARD).ok


@pytest.mark.slow
def test_chromium_dying_is_survived(quick: Renderer) -> None:
    quick._loop.run(quick._browser.close())  # as if Chromium were killed from outside
    results = [quick.render(CARD) for _ in range(4)]
    assert results[-1].ok, results[-1].message
    time.sleep(1.0)  # let the last page's renewal finish
    assert quick._pools[()].qsize() <= 2 * quick.slots, "pages of the dead Chromium must not be replaced twice"


def test_nothing_leaks_from_one_render_into_the_next(renderer: Renderer) -> None:
    probe = ("export default function Probe() {"
             " const w = window as any;"
             " return <div className='w-48 p-2 bg-white text-black'>"
             "{typeof w.LEAKED}|{String(Array.prototype.hasOwnProperty('evil'))}|{document.querySelectorAll('style').length}"
             "</div>; }")
    polluter = ("(window as any).LEAKED = 1; (Array.prototype as any).evil = 1;"
                " setInterval(() => { document.body.style.background = 'red'; }, 1);"
                " const s = document.createElement('style'); s.textContent = 'div { color: red !important; }';"
                " document.head.appendChild(s);"
                " export default function Polluter() { return <div className='p-4'>polluted</div>; }")
    clean = renderer.render(probe)
    assert renderer.render(polluter).ok
    after = renderer.render(probe)
    assert clean.ok and after.ok
    assert after.png == clean.png


def test_long_mixed_sequence_on_one_renderer(renderer: Renderer) -> None:
    from widgets import FAILING

    good = [CARD.replace("Hello", f"Hello {i}") for i in range(4)]
    bad = [source for _, source in FAILING.values()]
    sequence = [item for pair in zip(bad, good * 4, strict=False) for item in pair] + bad
    results = renderer.render_many(sequence)
    references = {src: renderer.render(src).png for src in good}
    for source, result in zip(sequence, results, strict=True):
        if source in references:
            assert result.ok and result.png == references[source]
        else:
            assert not result.ok and result.error_kind is not None
