"""The renderer: untrusted TSX in, PNG out, thousands of times per training step.

Design (measured on a 2-core machine; see scripts/bench/render_throughput.py):
- One Chromium, and one browser context per page, so pages never share a renderer process: a
  widget that hangs or blows its heap takes down only its own page.
- Every render gets a *fresh document in a fresh JS realm* (isolation: no globals, timers or styles
  leak): a sandboxed iframe (`allow-scripts allow-forms`, no `allow-same-origin`: an opaque origin
  that can reach neither the page around it nor any other widget's frame) filling the viewport of a
  page that never navigates. Making one costs about half a navigation (measured: ~17 vs ~31 ms of CPU,
  same pixels), and it is paid off the critical path: right after its screenshot, a page swaps its
  frame for a new, React-loaded one in the background, and renders draw from a queue of such warm
  pages. A render is then one CDP call in the frame (inject CSS and JS, mount, run the virtual clock
  of `render/clock.js`, measure) and one CDP screenshot of the page; both go to Chromium directly,
  not through Playwright's evaluate, which would inject its own script into every new realm.
- Pages come in kinds, one warm pool each: the plain kind, and kinds whose documents also load
  prebuilt libraries (recharts; echarts with echarts-for-react) or React's development build. A
  widget draws a page of the kind its compile result asks for, so only widgets that use a big library
  pay for loading it; a kind's pool is made the first time a widget needs it.
- Compiling happens in the Node worker (`render/worker.mjs`), overlapping with painting.
- Sandbox: every request leaves through a route that serves only the page itself and aborts the
  rest; the page's CSP (which the widget's frame inherits) forbids fetch, frames, workers and remote
  images/fonts, and navigating the frame anywhere; the frame's sandbox forbids popups, top-level
  navigation and dialogs, and popups are blocked by a Chromium switch too; a V8 heap cap turns memory
  blow-ups into a page crash; a CDP session attached at page creation stops runaway scripts.
- Chromium is Debian's headless shell when it is installed (the same engine without the browser's
  UI layers: about a third less CPU per render), else the full Chromium.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import logging
import os
import re
import struct
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from playwright.async_api import Browser, BrowserContext, CDPSession, Page, Playwright, async_playwright
from playwright.async_api import Error as PlaywrightError

from widget2code.render.cache import RenderCache, cache_key
from widget2code.render.compiler import AsyncCompiler, CompileResult, RendererSetupError
from widget2code.render.loop import LoopThread
from widget2code.render.result import ErrorKind, RenderResult
from widget2code.render.settings import IMPORT_PROFILES, RENDER_DIR, RenderSettings

log = logging.getLogger(__name__)

PAGE_URL = "http://w2c.render/"
HEADLESS_SHELL = "/usr/bin/chromium-headless-shell"
DEFAULT_CHROMIUM = HEADLESS_SHELL if Path(HEADLESS_SHELL).exists() else "/usr/bin/chromium"
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    # IsolateSandboxedIframes would put every widget's frame in a process of its own.
    "--disable-features=BackForwardCache,Translate,MediaRouter,IsolateSandboxedIframes",
    "--block-new-web-contents",  # no popups, whatever the widget calls
    "--force-color-profile=srgb",
    "--font-render-hinting=none",
    "--hide-scrollbars",
    "--mute-audio",
)
_PAGE_TEMPLATE = (RENDER_DIR / "page.html").read_text(encoding="utf-8")
#: CSS animations and transitions, by a profile's `motion`: off, or shown finished at their last frame at once.
MOTION = {
    "none": "animation: none !important; transition: none !important;",
    "finished": "animation-delay: -1ms !important; animation-duration: 1ms !important; animation-iteration-count: 1 "
                "!important; animation-fill-mode: forwards !important; transition-delay: -1ms !important; "
                "transition-duration: 1ms !important;",
}
_MOUNT_SCRIPT = (RENDER_DIR / "mount.js").read_text(encoding="utf-8")
_CLOCK_SCRIPT = (RENDER_DIR / "clock.js").read_text(encoding="utf-8")
#: A page kind: the prebuilt libraries its documents load, plus DEV_REACT for React's development build.
PageKind = tuple[str, ...]
DEV_REACT = "react:development"
#: Evaluated in a page (never in a widget's frame): replace its widget frame with a new one showing `html`,
#: resolved once the new frame has loaded.
_NEW_FRAME = """(html) => new Promise((resolve) => {
  document.querySelector("iframe")?.remove();
  const frame = document.createElement("iframe");
  frame.setAttribute("sandbox", "allow-scripts allow-forms");
  frame.style.cssText = "position: fixed; left: 0; top: 0; width: 100%; height: 100%; border: 0; display: block";
  frame.addEventListener("load", () => resolve(true), { once: true });
  frame.srcdoc = html;
  document.body.appendChild(frame);
})"""
NAVIGATED_AWAY = "the widget navigated away from its page; a widget must stay on its page"
_MINIFIED_REACT = re.compile(r"Minified React error #(\d+); visit \S*?invariant=\d+((?:&args\[\]=[^&\s]*)*)")


def _renderer_files() -> bytes:
    """Every file of the Node side that decides pixels (the Chromium build is added at launch)."""
    names = ["worker.mjs", "page.html", "mount.js", "clock.js", "profiles.json", "package-lock.json"]
    files = [RENDER_DIR / name for name in names] + sorted((RENDER_DIR / "shadcn").rglob("*.*"))
    return b"".join(path.read_bytes() for path in files) + _NEW_FRAME.encode()


def local_slots() -> int:
    """Renders in flight for one training process: the cores it may use ÷ the processes on this machine
    (LOCAL_WORLD_SIZE from torchrun, SLURM_NTASKS_PER_NODE, WORLD_SIZE from Lightning's launcher), at least 1."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    ranks = next((int(os.environ[key]) for key in ("LOCAL_WORLD_SIZE", "SLURM_NTASKS_PER_NODE", "WORLD_SIZE")
                  if os.environ.get(key, "").isdigit()), 1)
    return max(1, cores // max(1, ranks))


def page_html(settings: RenderSettings) -> str:
    """The widget's document for these settings: background, margin, and how its profile shows motion."""
    motion = MOTION[IMPORT_PROFILES[settings.import_profile].get("motion", "none")]
    return (_PAGE_TEMPLATE.replace("__BACKGROUND__", settings.background).replace("__MARGIN__", str(settings.margin))
            .replace("__MOTION__", motion))


def _png_size(png: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", png[16:24])
    return width, height


@dataclass
class _Slot:
    """One page in its own browser context, with a CDP session attached when it was made, and the
    execution context (`realm`) of the widget frame it holds ready."""

    browser: Browser
    context: BrowserContext
    page: Page
    cdp: CDPSession
    kind: PageKind = ()
    crashed: bool = False
    main_frame: str = ""
    realm: int = 0
    #: The newest main-world context of a frame other than the page's own (reported by CDP).
    newest_realm: int = 0

    def context_created(self, event: dict[str, Any]) -> None:
        context = event["context"]
        aux = context.get("auxData", {})
        if aux.get("isDefault") and aux.get("frameId") != self.main_frame:
            self.newest_realm = context["id"]


class Renderer:
    """Renders TSX widgets to PNG in a pool of sandboxed Chromium pages.

    Use as a context manager (sync) or `async with` (async). `render` never raises for bad input:
    every failure is a `RenderResult` with an `ErrorKind`, and the next render works.

    Args:
        settings: pixel-deciding settings (viewport, scale, background, margin, limits).
        slots: renders in flight at once (one warm page each; 1–2 suit a 2-core machine); None: this
            process's share of the machine's cores (`local_slots`, decided at start, when DDP ranks are known).
        cache_dir: a content-addressed disk cache shared by every stage; None disables it.
        compile_workers: Node compile workers.
        chromium: path of the Chromium executable; None: Debian's `chromium-headless-shell` when installed,
            else `/usr/bin/chromium`.
    """

    def __init__(self, settings: RenderSettings | dict[str, Any] | None = None, slots: int | None = 1,
                 cache_dir: str | os.PathLike[str] | None = None, compile_workers: int = 1,
                 chromium: str | None = None) -> None:
        if isinstance(settings, dict):
            settings = RenderSettings(**settings)
        self.settings = settings or RenderSettings()
        if slots is not None and slots < 1:
            raise ValueError(f"slots must be at least 1 (or None: a share of the cores), got {slots}")
        self.slots = slots
        self.cache = RenderCache(cache_dir) if cache_dir is not None else None
        self.chromium = chromium or DEFAULT_CHROMIUM
        self.compiler = AsyncCompiler(workers=compile_workers, import_profile=self.settings.import_profile)
        #: The latest requests the sandbox blocked (URLs), for debugging widgets.
        self.blocked_requests: deque[str] = deque(maxlen=256)
        self._loop: LoopThread | None = None
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._page_html = ""
        self._vendor_js: dict[bool, str] = {}
        self._library_js: dict[str, str] = {}
        self._version = ""
        #: Warm pages by kind; the plain kind `()` always exists, others are made on first use.
        self._pools: dict[PageKind, asyncio.Queue[_Slot]] = {}
        self._busy: asyncio.Semaphore | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._restart_lock: asyncio.Lock | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> Renderer:
        self.slots = self.slots or local_slots()
        if not Path(self.chromium).exists():
            raise RendererSetupError(f"Chromium not found at {self.chromium}: run `make setup` (installs Debian's "
                                     "chromium-headless-shell and chromium) or pass chromium=PATH")
        await self.compiler.start()
        self._vendor_js[False] = await self.compiler.vendor_js()
        self._page_html = page_html(self.settings)
        self._playwright = await async_playwright().start()
        self._pools = {(): asyncio.Queue()}
        self._busy = asyncio.Semaphore(self.slots)
        self._restart_lock = asyncio.Lock()
        await self._launch()
        return self

    async def _launch(self) -> None:
        assert self._playwright is not None
        args = [*CHROMIUM_ARGS, f"--js-flags=--max-old-space-size={self.settings.max_heap_mb}"]
        self._browser = await self._playwright.chromium.launch(executable_path=self.chromium, args=args)
        build = f"{Path(self.chromium).name} {self._browser.version}".encode()
        self._version = hashlib.sha256(_renderer_files() + build).hexdigest()[:16]
        # One warm page per slot plus one being renewed in the background for each: the plain kind now,
        # any other kind already in use (after a Chromium restart) in the background.
        slots = await asyncio.gather(*(self._new_slot(()) for _ in range(2 * self.slots)))
        for slot in slots:
            self._pools[()].put_nowait(slot)
        for kind in self._pools:
            if kind:
                self._fill(kind)

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

    async def _init_script(self, kind: PageKind) -> str:
        """What Chromium runs first in every document of a page of this kind: clock, React, libraries.

        The libraries run once the document is parsed (still before it has loaded, so before any widget):
        some read the document as they start (zrender, under echarts, reads `document.documentElement`).
        """
        dev = DEV_REACT in kind
        if dev not in self._vendor_js:
            self._vendor_js[dev] = await self.compiler.vendor_js(dev=dev)
        libraries = []
        for name in kind:
            if name != DEV_REACT:
                if name not in self._library_js:
                    self._library_js[name] = await self.compiler.library_js(name)
                libraries.append(self._library_js[name])
        parts = [_CLOCK_SCRIPT, self._vendor_js[dev]]
        if libraries:
            parts.append('document.addEventListener("DOMContentLoaded", () => {\n' + ";\n".join(libraries)
                         + '\n}, { once: true })')
        return ";\n".join(parts)

    def _fill(self, kind: PageKind) -> None:
        """Make a new kind's warm pages in the background."""

        async def add() -> None:
            try:
                self._pools[kind].put_nowait(await self._new_slot(kind))
            except PlaywrightError as err:
                log.warning("could not make a page of kind %s: %s", kind, err)

        for _ in range(2 * self.slots):
            self._spawn(add())

    async def _new_slot(self, kind: PageKind) -> _Slot:
        assert self._browser is not None
        browser = self._browser
        init_script = await self._init_script(kind)
        s = self.settings
        context = await browser.new_context(
            viewport={"width": s.viewport_width, "height": s.viewport_height},
            device_scale_factor=s.device_scale_factor,
            reduced_motion="reduce",
            timezone_id="UTC",
            locale="en-US",
            service_workers="block",
            accept_downloads=False,
        )
        await context.route("**/*", self._route)
        # The clock, React and the kind's libraries are loaded into every new document by Chromium itself:
        # registered once per context, so the bundles do not travel through Python and Playwright on every
        # navigation (moving 700 kB into a page costs ~160 ms), and V8 reuses their compiled code.
        await context.add_init_script(script=init_script)
        page = await context.new_page()
        # Attached now, not after a hang: a session attached to a page stuck in a loop hangs too.
        cdp = await context.new_cdp_session(page)
        slot = _Slot(browser=browser, context=context, page=page, cdp=cdp, kind=kind)
        page.on("crash", lambda _page: setattr(slot, "crashed", True))
        await page.goto(PAGE_URL, wait_until="load", timeout=30_000)
        slot.main_frame = (await cdp.send("Page.getFrameTree"))["frameTree"]["frame"]["id"]
        cdp.on("Runtime.executionContextCreated", slot.context_created)
        await cdp.send("Runtime.enable")
        await self._new_frame(slot)
        return slot

    async def _new_frame(self, slot: _Slot) -> None:
        """Give the slot a new widget frame: a fresh document in a fresh realm."""
        slot.realm = slot.newest_realm = 0
        # In the page's own document (CDP's default context), which no widget can reach.
        await slot.cdp.send("Runtime.evaluate", {"expression": f"({_NEW_FRAME})({json.dumps(self._page_html)})",
                                                 "awaitPromise": True})
        # The frame's context is reported before its load event, which the evaluation above waited for.
        if not slot.newest_realm:
            raise PlaywrightError("the widget frame has no JS realm: is Chromium isolating sandboxed frames?")
        slot.realm = slot.newest_realm

    async def _route(self, route: Any) -> None:
        request = route.request
        if request.url == PAGE_URL and request.is_navigation_request() and request.frame.parent_frame is None:
            await route.fulfill(body=self._page_html, content_type="text/html; charset=utf-8")
            return
        self.blocked_requests.append(request.url[:200])
        await route.abort("blockedbyclient")

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _renew(self, slot: _Slot) -> None:
        """Give the slot a fresh widget frame, or replace it when it is broken; then make it available."""
        try:
            if slot.crashed or slot.page.is_closed():
                raise PlaywrightError("page crashed")
            async with asyncio.timeout(self.settings.timeout_s + 5):
                await self._new_frame(slot)
            self._pools[slot.kind].put_nowait(slot)
            return
        except (PlaywrightError, TimeoutError):
            # A page the widget broke (a loop still running, a crash): replace it.
            await self._stop_scripts(slot)
        await self._retire(slot)

    async def _discard(self, slot: _Slot) -> None:
        with contextlib.suppress(PlaywrightError):
            await asyncio.wait_for(slot.context.close(), 5)

    async def _replace_slot(self, broken: _Slot) -> None:
        """Put a new page in the pool for a broken one (with a new Chromium if it died)."""
        if broken.browser is not self._browser:
            return  # the pool was rebuilt with a new Chromium since this page was made
        try:
            if not broken.browser.is_connected():
                await self._restart_browser(broken.kind)
                return
            self._pools[broken.kind].put_nowait(await self._new_slot(broken.kind))
        except PlaywrightError as err:
            log.warning("could not make a new page (%s); restarting Chromium", err)
            await self._restart_browser(broken.kind)

    async def _restart_browser(self, kind: PageKind = ()) -> None:
        """Chromium itself died (or will not make pages of `kind`): start a new one with full pools."""
        assert self._restart_lock is not None
        async with self._restart_lock:
            if self._browser is not None and self._browser.is_connected() and not self._pools[kind].empty():
                return
            log.warning("restarting Chromium")
            if self._browser is not None:
                with contextlib.suppress(PlaywrightError):
                    await self._browser.close()
            for pool in self._pools.values():
                while not pool.empty():
                    pool.get_nowait()
            await self._launch()

    # -- rendering -------------------------------------------------------------------------------

    async def render_async(self, source: object) -> RenderResult:
        """Render one source. `timings["total"]` is this render's own time; time spent waiting behind
        other renders (for a free slot and a warm page) is `timings["queue"]`."""
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
        compiled = await self.compiler.compile(source, self.settings.import_profile)
        timings = {"compile": (time.perf_counter() - started) * 1000, "queue": 0.0}
        if not compiled.ok:
            assert compiled.error_kind is not None
            result = RenderResult.failure(compiled.error_kind, compiled.message, timings)
        else:
            assert self._busy is not None
            waiting = time.perf_counter()
            async with self._busy:
                timings["queue"] += (time.perf_counter() - waiting) * 1000
                result = await self._paint(compiled, timings)
                if _MINIFIED_REACT.search(result.message):
                    result = await self._explain(compiled, result)
        result.timings["total"] = (time.perf_counter() - started) * 1000 - result.timings.get("queue", 0.0)
        if key is not None and self.cache is not None:
            self.cache.put(key, result)
        return result

    async def _explain(self, compiled: CompileResult, failed: RenderResult) -> RenderResult:
        """Production React reports only an error code: rerun in React's development build for its words."""
        timings: dict[str, float] = {"queue": 0.0}
        started = time.perf_counter()
        again = await self._paint(compiled, timings, dev=True)
        failed.timings["explain"] = (time.perf_counter() - started) * 1000 - timings["queue"]
        failed.timings["queue"] += timings["queue"]
        if again.error_kind == failed.error_kind and not _MINIFIED_REACT.search(again.message):
            return RenderResult.failure(failed.error_kind, again.message, failed.timings)
        match = _MINIFIED_REACT.search(failed.message)
        assert match is not None
        args = [unquote(a) for a in match.group(2).split("&args[]=")[1:]]
        message = (f"React error #{match.group(1)}" + (f" (arguments: {', '.join(args)})" if args else "")
                   + f"; see https://react.dev/errors/{match.group(1)}")
        return RenderResult.failure(failed.error_kind, _MINIFIED_REACT.sub(message, failed.message), failed.timings)

    async def _paint(self, compiled: CompileResult, timings: dict[str, float], dev: bool = False) -> RenderResult:
        s = self.settings
        t0 = time.perf_counter()
        slot = await self._take_slot(tuple(compiled.libraries) + ((DEV_REACT,) if dev else ()))
        t1 = time.perf_counter()
        timings["wait_page"] = (t1 - t0) * 1000
        timings["queue"] += timings["wait_page"]
        options = {"component": compiled.component or "default", "virtualTimeMs": s.virtual_time_ms,
                   "capture": IMPORT_PROFILES[s.import_profile].get("capture", "root"),
                   # the page gives up on pending Suspense boundaries in time to say so itself
                   "deadlineMs": max(100.0, s.timeout_s * 1000 - 750)}
        healthy = False
        try:
            outcome = await asyncio.wait_for(self._mount(slot, compiled, options), s.timeout_s)
            t2 = time.perf_counter()
            timings["mount"] = (t2 - t1) * 1000
            if "box" not in outcome:
                healthy = True
                return RenderResult.failure(ErrorKind(outcome["kind"]), outcome["message"], timings)
            png = await asyncio.wait_for(self._screenshot(slot, outcome["box"]), s.timeout_s)
            timings["screenshot"] = (time.perf_counter() - t2) * 1000
            width, height = _png_size(png)
            healthy = True
            return RenderResult(ok=True, png=png, width=width, height=height, timings=timings)
        except TimeoutError:
            await self._stop_scripts(slot)
            return RenderResult.failure(
                ErrorKind.TIMEOUT, f"did not finish within {s.timeout_s:g} s (a loop that never ends?)", timings)
        except PlaywrightError as err:
            return self._classify_page_error(slot, err, timings)
        finally:
            if healthy:
                self._spawn(self._renew(slot))
            else:
                self._spawn(self._retire(slot))

    @staticmethod
    async def _mount(slot: _Slot, compiled: CompileResult, options: dict[str, Any]) -> dict[str, Any]:
        """Run the mount script in the slot's widget frame: {box} or {kind, message}."""
        reply = await slot.cdp.send("Runtime.callFunctionOn", {
            "functionDeclaration": _MOUNT_SCRIPT, "executionContextId": slot.realm,
            "arguments": [{"value": [compiled.js, compiled.css, options]}],
            "awaitPromise": True, "returnByValue": True})
        if "exceptionDetails" in reply:  # thrown past the mount script's own handlers (by React itself)
            details = reply["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text", "")
            return {"kind": "runtime", "message": text.strip().splitlines()[0] if text.strip() else "an exception"}
        return reply["result"]["value"]

    async def _take_slot(self, kind: PageKind) -> _Slot:
        if kind not in self._pools:
            self._pools[kind] = asyncio.Queue()
            try:
                await self._init_script(kind)  # a library that cannot be built is a setup error, raised here
            except BaseException:
                del self._pools[kind]
                raise
            self._fill(kind)
        while True:
            try:
                slot = await asyncio.wait_for(self._pools[kind].get(), 30)
            except TimeoutError:
                # Renewals are failing: Chromium is gone or stuck. Start again.
                await self._restart_browser(kind)
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
        if any(sign in text.lower() for sign in ("context was destroyed", "cannot find context", "navigat",
                                                  "not attached")):
            return RenderResult.failure(ErrorKind.RUNTIME, NAVIGATED_AWAY, timings)
        first_line = text.splitlines()[0] if text else repr(err)
        return RenderResult.failure(ErrorKind.RUNTIME, re.sub(r"^Protocol error \([\w.]+\): ", "", first_line), timings)

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
