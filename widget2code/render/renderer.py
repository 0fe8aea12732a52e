"""The renderer: untrusted TSX in, PNG out, thousands of times per training step.

Design (measured on a 2-core machine; see scripts/bench/render_throughput.py):
- One Chromium, and one browser context per page, so pages never share a renderer process: a
  widget that hangs or blows its heap takes down only its own page.
- Every render gets a *fresh document* (isolation: no globals, timers or styles leak), but the
  cost of making one (navigation, parsing React) is paid off the critical path: each page is
  re-navigated to a blank, React-loaded document in the background right after its screenshot,
  and renders draw from a queue of such warm pages. A render is then one `evaluate` (inject CSS
  and JS, mount with `flushSync`, measure) and one CDP screenshot.
- Compiling happens in the Node worker (`render/worker.mjs`), overlapping with painting.
- Sandbox: every request leaves through a route that serves only the page itself and aborts the
  rest; the page's CSP forbids fetch, frames, workers and remote images/fonts; popups are blocked
  by a Chromium switch; dialogs are stubbed and auto-dismissed; a V8 heap cap turns memory blow-ups
  into a page crash; a CDP session attached at page creation stops runaway scripts.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import logging
import os
import struct
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, BrowserContext, CDPSession, Page, Playwright, async_playwright
from playwright.async_api import Error as PlaywrightError

from widget2code.render.cache import RenderCache, cache_key
from widget2code.render.compiler import RENDER_DIR, AsyncCompiler, RendererSetupError
from widget2code.render.loop import LoopThread
from widget2code.render.result import ErrorKind, RenderResult
from widget2code.render.settings import RenderSettings

log = logging.getLogger(__name__)

PAGE_URL = "http://w2c.render/"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-features=BackForwardCache,Translate,MediaRouter",
    "--block-new-web-contents",  # no popups, whatever the widget calls
    "--force-color-profile=srgb",
    "--font-render-hinting=none",
    "--hide-scrollbars",
    "--mute-audio",
)
_PAGE_TEMPLATE = (RENDER_DIR / "page.html").read_text(encoding="utf-8")
_MOUNT_SCRIPT = (RENDER_DIR / "mount.js").read_text(encoding="utf-8")


def _png_size(png: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", png[16:24])
    return width, height


@dataclass
class _Slot:
    """One page in its own browser context, with a CDP session attached when it was made."""

    browser: Browser
    context: BrowserContext
    page: Page
    cdp: CDPSession
    crashed: bool = False


class Renderer:
    """Renders TSX widgets to PNG in a pool of sandboxed Chromium pages.

    Use as a context manager (sync) or `async with` (async). `render` never raises for bad input:
    every failure is a `RenderResult` with an `ErrorKind`, and the next render works.

    Args:
        settings: pixel-deciding settings (viewport, scale, background, margin, limits).
        slots: renders in flight at once (one warm page each; 1–2 suit a 2-core machine).
        cache_dir: a content-addressed disk cache shared by every stage; None disables it.
        compile_workers: Node compile workers.
        chromium: path of the Chromium executable.
    """

    def __init__(self, settings: RenderSettings | dict[str, Any] | None = None, slots: int = 1,
                 cache_dir: str | os.PathLike[str] | None = None, compile_workers: int = 1,
                 chromium: str = DEFAULT_CHROMIUM) -> None:
        if isinstance(settings, dict):
            settings = RenderSettings(**settings)
        self.settings = settings or RenderSettings()
        if slots < 1:
            raise ValueError(f"slots must be at least 1, got {slots}")
        self.slots = slots
        self.cache = RenderCache(cache_dir) if cache_dir is not None else None
        self.chromium = chromium
        self.compiler = AsyncCompiler(workers=compile_workers)
        #: The latest requests the sandbox blocked (URLs), for debugging widgets.
        self.blocked_requests: deque[str] = deque(maxlen=256)
        self._loop: LoopThread | None = None
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._page_html = ""
        self._vendor_js = ""
        self._version = ""
        self._warm: asyncio.Queue[_Slot] | None = None
        self._busy: asyncio.Semaphore | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._restart_lock: asyncio.Lock | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> Renderer:
        if not Path(self.chromium).exists():
            raise RendererSetupError(f"Chromium not found at {self.chromium}: run `make setup` "
                                     "(installs Debian's chromium) or pass chromium=PATH")
        await self.compiler.start()
        vendor = await self.compiler.vendor_js()
        self._vendor_js = vendor
        self._page_html = (_PAGE_TEMPLATE.replace("__BACKGROUND__", self.settings.background)
                           .replace("__MARGIN__", str(self.settings.margin)))
        self._playwright = await async_playwright().start()
        self._warm = asyncio.Queue()
        self._busy = asyncio.Semaphore(self.slots)
        self._restart_lock = asyncio.Lock()
        await self._launch()
        return self

    async def _launch(self) -> None:
        assert self._playwright is not None and self._warm is not None
        args = [*CHROMIUM_ARGS, f"--js-flags=--max-old-space-size={self.settings.max_heap_mb}"]
        self._browser = await self._playwright.chromium.launch(executable_path=self.chromium, args=args)
        worker = (RENDER_DIR / "worker.mjs").read_bytes()
        self._version = hashlib.sha256(
            worker + _PAGE_TEMPLATE.encode() + _MOUNT_SCRIPT.encode() + self._browser.version.encode()
        ).hexdigest()[:16]
        # One warm page per slot plus one being renewed in the background for each.
        slots = await asyncio.gather(*(self._new_slot() for _ in range(2 * self.slots)))
        for slot in slots:
            self._warm.put_nowait(slot)

    async def close(self) -> None:
        # After a Ctrl-C the terminal has already signalled Chromium, Playwright's driver and the
        # compile worker (one process group), so parts may be gone: close what is left, quietly.
        asyncio.get_running_loop().set_exception_handler(lambda _loop, _context: None)
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        if self._browser is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._browser.close(), 10)
        if self._playwright is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._playwright.stop(), 10)
        await self.compiler.close()
        self._browser = self._playwright = None

    async def __aenter__(self) -> Renderer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __enter__(self) -> Renderer:
        self._loop = LoopThread("widget2code-renderer")
        try:
            self._loop.run(self.start())
        except BaseException:
            with contextlib.suppress(Exception):
                self._loop.run(self.close())
            self._loop.stop()
            self._loop = None
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None:
            self._loop.run(self.close())
            self._loop.stop()
            self._loop = None

    @property
    def version(self) -> str:
        """Identifies what decides pixels besides the settings: worker, page, Chromium build."""
        return self._version

    # -- pages -----------------------------------------------------------------------------------

    async def _new_slot(self) -> _Slot:
        assert self._browser is not None
        s = self.settings
        context = await self._browser.new_context(
            viewport={"width": s.viewport_width, "height": s.viewport_height},
            device_scale_factor=s.device_scale_factor,
            reduced_motion="reduce",
            timezone_id="UTC",
            locale="en-US",
            service_workers="block",
            accept_downloads=False,
        )
        await context.route("**/*", self._route)
        # React is loaded into every new document by Chromium itself: registered once per context,
        # so the 140 kB bundle does not travel through Python and Playwright on every navigation.
        await context.add_init_script(script=self._vendor_js)
        page = await context.new_page()
        # Attached now, not after a hang: a session attached to a page stuck in a loop hangs too.
        cdp = await context.new_cdp_session(page)
        slot = _Slot(browser=self._browser, context=context, page=page, cdp=cdp)
        page.on("crash", lambda _page: setattr(slot, "crashed", True))
        await page.goto(PAGE_URL, wait_until="load", timeout=30_000)
        return slot

    async def _route(self, route: Any) -> None:
        request = route.request
        if request.url == PAGE_URL and request.is_navigation_request():
            await route.fulfill(body=self._page_html, content_type="text/html; charset=utf-8")
            return
        self.blocked_requests.append(request.url[:200])
        await route.abort("blockedbyclient")

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _renew(self, slot: _Slot) -> None:
        """Give the slot a fresh document, or replace it when it is broken; then make it available."""
        assert self._warm is not None
        try:
            if slot.crashed or slot.page.is_closed():
                raise PlaywrightError("page crashed")
            # A reload started by the page itself costs about half the CPU of a `goto` from outside.
            async with asyncio.timeout(self.settings.timeout_s + 5):
                async with slot.page.expect_event("load"):
                    await slot.page.evaluate("setTimeout(() => location.reload(), 0)")
            self._warm.put_nowait(slot)
            return
        except (PlaywrightError, TimeoutError):
            # A page the widget broke (timers removed, a loop still running, a crash): replace it.
            await self._stop_scripts(slot)
        await self._retire(slot)

    async def _discard(self, slot: _Slot) -> None:
        with contextlib.suppress(PlaywrightError):
            await asyncio.wait_for(slot.context.close(), 5)

    async def _replace_slot(self, broken: _Slot) -> None:
        """Put a new page in the pool for a broken one (with a new Chromium if it died)."""
        assert self._warm is not None
        if broken.browser is not self._browser:
            return  # the pool was rebuilt with a new Chromium since this page was made
        try:
            if not broken.browser.is_connected():
                await self._restart_browser()
                return
            self._warm.put_nowait(await self._new_slot())
        except PlaywrightError as err:
            log.warning("could not make a new page (%s); restarting Chromium", err)
            await self._restart_browser()

    async def _restart_browser(self) -> None:
        """Chromium itself died (or will not make pages): start a new one with a full pool."""
        assert self._restart_lock is not None and self._warm is not None
        async with self._restart_lock:
            if self._browser is not None and self._browser.is_connected() and not self._warm.empty():
                return
            log.warning("restarting Chromium")
            if self._browser is not None:
                with contextlib.suppress(PlaywrightError):
                    await self._browser.close()
            while not self._warm.empty():
                self._warm.get_nowait()
            await self._launch()

    # -- rendering -------------------------------------------------------------------------------

    async def render_async(self, source: object) -> RenderResult:
        started = time.perf_counter()
        if isinstance(source, bytes):
            with contextlib.suppress(UnicodeDecodeError):
                source = source.decode("utf-8")
        key = None
        if self.cache is not None and isinstance(source, str):
            key = cache_key(source, self._version, self.settings.pixel_key())
            hit = self.cache.get(key)
            if hit is not None:
                return hit
        compiled = await self.compiler.compile(source)
        timings = {"compile": (time.perf_counter() - started) * 1000}
        if not compiled.ok:
            assert compiled.error_kind is not None
            result = RenderResult.failure(compiled.error_kind, compiled.message, timings)
        else:
            assert self._busy is not None
            async with self._busy:
                result = await self._paint(compiled.js, compiled.css, timings)
        result.timings["total"] = (time.perf_counter() - started) * 1000
        if key is not None and self.cache is not None:
            self.cache.put(key, result)
        return result

    async def _paint(self, js: str, css: str, timings: dict[str, float]) -> RenderResult:
        assert self._warm is not None
        t0 = time.perf_counter()
        slot = await self._take_slot()
        t1 = time.perf_counter()
        timings["wait_page"] = (t1 - t0) * 1000
        healthy = False
        try:
            outcome = await asyncio.wait_for(slot.page.evaluate(_MOUNT_SCRIPT, [js, css]), self.settings.timeout_s)
            t2 = time.perf_counter()
            timings["mount"] = (t2 - t1) * 1000
            if "box" not in outcome:
                healthy = True
                return RenderResult.failure(ErrorKind(outcome["kind"]), outcome["message"], timings)
            png = await asyncio.wait_for(self._screenshot(slot, outcome["box"]), self.settings.timeout_s)
            timings["screenshot"] = (time.perf_counter() - t2) * 1000
            width, height = _png_size(png)
            healthy = True
            return RenderResult(ok=True, png=png, width=width, height=height, timings=timings)
        except TimeoutError:
            await self._stop_scripts(slot)
            return RenderResult.failure(
                ErrorKind.TIMEOUT, f"did not finish within {self.settings.timeout_s:g} s (a loop that never ends?)",
                timings)
        except PlaywrightError as err:
            return self._classify_page_error(slot, err, timings)
        finally:
            if healthy:
                self._spawn(self._renew(slot))
            else:
                self._spawn(self._retire(slot))

    async def _take_slot(self) -> _Slot:
        assert self._warm is not None
        while True:
            try:
                slot = await asyncio.wait_for(self._warm.get(), 30)
            except TimeoutError:
                # Renewals are failing: Chromium is gone or stuck. Start again.
                await self._restart_browser()
                continue
            if slot.browser is not self._browser:
                continue  # left over from a Chromium that was replaced
            if not slot.crashed and not slot.page.is_closed():
                return slot
            self._spawn(self._retire(slot))

    async def _retire(self, slot: _Slot) -> None:
        await self._discard(slot)
        await self._replace_slot(slot)

    async def _stop_scripts(self, slot: _Slot) -> None:
        with contextlib.suppress(PlaywrightError, TimeoutError):
            await asyncio.wait_for(slot.cdp.send("Runtime.terminateExecution"), 1.0)

    def _classify_page_error(self, slot: _Slot, err: PlaywrightError, timings: dict[str, float]) -> RenderResult:
        text = str(err)
        if slot.crashed or "crash" in text.lower():
            return RenderResult.failure(ErrorKind.CRASH, "the page crashed (out of memory?)", timings)
        if "closed" in text.lower() and (self._browser is None or not self._browser.is_connected()):
            return RenderResult.failure(ErrorKind.CRASH, "Chromium exited during the render", timings)
        if "context was destroyed" in text or "navigat" in text.lower():
            return RenderResult.failure(ErrorKind.RUNTIME, "the widget navigated away from its page", timings)
        first_line = text.splitlines()[0] if text else repr(err)
        return RenderResult.failure(ErrorKind.RUNTIME, first_line.removeprefix("Page.evaluate: "), timings)

    async def _screenshot(self, slot: _Slot, box: list[float]) -> bytes:
        s = self.settings
        x = max(0.0, box[0] - s.margin)
        y = max(0.0, box[1] - s.margin)
        width = min(box[2] + 2 * s.margin, s.max_width / s.device_scale_factor)
        height = min(box[3] + 2 * s.margin, s.max_height / s.device_scale_factor)
        # Whole pixels, so the same widget always gives the same image size.
        clip = {"x": int(x), "y": int(y), "width": int(width + 0.999), "height": int(height + 0.999),
                "scale": s.device_scale_factor}
        beyond = clip["x"] + clip["width"] > s.viewport_width or clip["y"] + clip["height"] > s.viewport_height
        shot = await slot.cdp.send("Page.captureScreenshot", {
            "format": "png", "clip": clip, "captureBeyondViewport": beyond, "optimizeForSpeed": True,
        })
        return base64.b64decode(shot["data"])

    async def render_many_async(self, sources: Sequence[object],
                                on_result: Callable[[int, RenderResult], None] | None = None) -> list[RenderResult]:
        """Render all sources, at most `slots` painting at once; results keep the input order.

        `on_result(index, result)` is called as each render finishes (e.g. to save it at once).
        """
        results: list[RenderResult | None] = [None] * len(sources)
        indices: asyncio.Queue[int] = asyncio.Queue()
        for i in range(len(sources)):
            indices.put_nowait(i)

        async def worker() -> None:
            while not indices.empty():
                i = indices.get_nowait()
                results[i] = result = await self.render_async(sources[i])
                if on_result is not None:
                    on_result(i, result)

        # Twice the slots: while one source paints, the next one compiles.
        await asyncio.gather(*(worker() for _ in range(min(len(sources), 2 * self.slots) or 1)))
        return [r for r in results if r is not None]

    # -- sync facade -----------------------------------------------------------------------------

    def _run(self, coro: Any) -> Any:
        if self._loop is None:
            coro.close()
            raise RuntimeError("use Renderer inside a `with` block (or `async with` for the async API)")
        return self._loop.run(coro)

    def render(self, source: object) -> RenderResult:
        """Render one TSX source (str; bytes are decoded as UTF-8)."""
        return self._run(self.render_async(source))

    def render_many(self, sources: Sequence[object], progress: bool | str = False,
                    on_result: Callable[[int, RenderResult], None] | None = None) -> list[RenderResult]:
        """Render many sources, keeping their order.

        `progress` shows a progress bar (labelled with it, if a str); `on_result(index, result)` is
        called as each render finishes, so a caller can save work before the batch ends.
        """
        if not progress:
            return self._run(self.render_many_async(sources, on_result))
        from rich.progress import Progress

        with Progress(transient=False) as bar:
            task = bar.add_task(progress if isinstance(progress, str) else "rendering", total=len(sources))

            def advance(index: int, result: RenderResult) -> None:
                bar.advance(task)
                if on_result is not None:
                    on_result(index, result)

            return self._run(self.render_many_async(sources, advance))
