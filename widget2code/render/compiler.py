"""TSX -> JS + CSS through the long-lived Node compile worker (`render/worker.mjs`).

The compile step is separate from the browser: the format reward checks that a completion compiles
without rendering it, and the renderer overlaps compiling one widget with painting another.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from widget2code.render.loop import LoopThread
from widget2code.render.result import ErrorKind
from widget2code.render.settings import IMPORT_PROFILES, RENDER_DIR

WORKER_SCRIPT = RENDER_DIR / "worker.mjs"
MAX_SOURCE_BYTES = 200_000
#: Building the cached library bundles on a fresh install takes seconds (once per package-lock).
PREPARE_TIMEOUT_S = 300.0


class RendererSetupError(RuntimeError):
    """The renderer's own parts (Node, the worker's packages, Chromium) are missing or broken."""


@dataclass(frozen=True)
class CompileResult:
    """A compiled widget: its JS and CSS, which export renders (`component`: "default" or a name), and
    the prebuilt libraries its page must load (`libraries`, e.g. ("recharts",)); or a typed failure."""

    ok: bool
    js: str = ""
    css: str = ""
    error_kind: ErrorKind | None = None
    message: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    component: str = ""
    libraries: tuple[str, ...] = ()


def validate_source(source: object, max_bytes: int = MAX_SOURCE_BYTES) -> CompileResult | None:
    """Reject what is not TSX text before it reaches the worker: a failure result, or None when fine."""

    def invalid(message: str) -> CompileResult:
        return CompileResult(ok=False, error_kind=ErrorKind.INVALID_INPUT, message=message)

    if isinstance(source, bytes):
        try:
            source = source.decode("utf-8")
        except UnicodeDecodeError as err:
            return invalid(f"source is binary, not UTF-8 text ({err.reason} at byte {err.start})")
    if not isinstance(source, str):
        return invalid(f"source must be a str of TSX, got {type(source).__name__}")
    if not source.strip():
        return invalid("source is empty")
    if "\x00" in source:
        return invalid("source is binary: it contains NUL characters")
    size = len(source.encode("utf-8", errors="replace"))
    if size > max_bytes:
        return invalid(f"source is {size} bytes, over the {max_bytes}-byte limit")
    return None


class _Worker:
    """One Node process; requests are matched to answers by id, so many can be in flight."""

    def __init__(self, node: str, script: Path) -> None:
        self._node, self._script = node, script
        # The worker answers in order, so a request's time limit must not include a long queue:
        # at most this many requests are in flight per worker, and the limit starts when one is sent.
        self.in_flight = asyncio.Semaphore(8)
        self._proc: asyncio.subprocess.Process | None = None
        self._pending: dict[int, asyncio.Future[dict]] = {}
        self._ids = itertools.count(1)
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._proc = await asyncio.create_subprocess_exec(
            self._node,
            str(self._script),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            cwd=str(self._script.parent),
            limit=64 * 1024 * 1024,
        )
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        while line := await self._proc.stdout.readline():
            answer = json.loads(line)
            future = self._pending.pop(answer.get("id"), None)
            if future is not None and not future.done():
                future.set_result(answer)
        for future in self._pending.values():
            if not future.done():
                future.set_exception(ConnectionError("the compile worker exited"))
        self._pending.clear()

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    async def ask(self, request: dict, timeout_s: float) -> dict:
        if not self.alive:
            raise ConnectionError("the compile worker is not running")
        assert self._proc is not None and self._proc.stdin is not None
        request_id = next(self._ids)
        future: asyncio.Future[dict] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        self._proc.stdin.write((json.dumps({"id": request_id, **request}) + "\n").encode())
        await self._proc.stdin.drain()
        try:
            return await asyncio.wait_for(future, timeout_s)
        finally:
            self._pending.pop(request_id, None)

    async def close(self) -> None:
        if self._proc is None:
            return
        if self.alive:
            self._proc.kill()
            await self._proc.wait()
        if self._reader is not None:
            await self._reader


class AsyncCompiler:
    """A pool of compile workers, used from one event loop.

    `import_profile` (render/profiles.json) decides what a widget may import unless `compile` is told otherwise.
    """

    def __init__(self, workers: int = 1, timeout_s: float = 10.0, max_source_bytes: int = MAX_SOURCE_BYTES,
                 node: str = "node", import_profile: str = "default") -> None:
        if import_profile not in IMPORT_PROFILES:
            raise ValueError(f"unknown import_profile '{import_profile}' (known: {', '.join(IMPORT_PROFILES)})")
        self.timeout_s, self.max_source_bytes = timeout_s, max_source_bytes
        self.import_profile = import_profile
        self._node = node
        self._size = max(1, workers)
        self._workers: list[_Worker] = []
        self._turn = itertools.count()

    async def start(self) -> None:
        node = shutil.which(self._node)
        if node is None:
            raise RendererSetupError(f"'{self._node}' was not found on PATH: install Node.js 18+ (make setup)")
        packages = RENDER_DIR / "node_modules"
        if not all((packages / name).is_dir() for name in ("esbuild", "lucide-react", "recharts", "react-icons")):
            raise RendererSetupError(f"the compile worker's packages are missing: run `npm ci` in {RENDER_DIR}")
        self._node = node
        self._replacing = asyncio.Lock()
        self._workers = [_Worker(node, WORKER_SCRIPT) for _ in range(self._size)]
        await asyncio.gather(*(w.start() for w in self._workers))
        answer = await self._workers[0].ask({"op": "prepare"}, timeout_s=PREPARE_TIMEOUT_S)
        if not answer.get("ok"):
            raise RendererSetupError(f"could not build the library bundles: {answer.get('message')}")

    async def vendor_js(self, dev: bool = False) -> str:
        """The React runtime every page loads before a widget (`dev`: React's development build)."""
        answer = await self._workers[0].ask({"op": "vendor", "dev": dev}, timeout_s=60)
        if not answer.get("ok"):
            raise RendererSetupError(f"could not build the React vendor bundle: {answer.get('message')}")
        return answer["js"]

    async def library_js(self, name: str) -> str:
        """A prebuilt library bundle (e.g. recharts) for the pages of widgets that import it."""
        answer = await self._workers[0].ask({"op": "library", "name": name}, timeout_s=PREPARE_TIMEOUT_S)
        if not answer.get("ok"):
            raise RendererSetupError(f"could not build the {name} bundle: {answer.get('message')}")
        return answer["js"]

    async def compile(self, source: object, import_profile: str | None = None) -> CompileResult:
        """Compile one widget under `import_profile` (default: the compiler's own)."""
        profile = import_profile or self.import_profile
        rejected = validate_source(source, self.max_source_bytes)
        if rejected is not None:
            return rejected
        if isinstance(source, bytes):
            source = source.decode("utf-8")
        for attempt in range(2):
            index = next(self._turn) % len(self._workers)
            worker = self._workers[index]
            async with worker.in_flight:
                try:
                    answer = await worker.ask({"source": source, "profile": profile}, self.timeout_s)
                    break
                except TimeoutError:
                    # This source hung the worker: replace it and blame the source.
                    await self._replace(index, worker)
                    return CompileResult(ok=False, error_kind=ErrorKind.TIMEOUT,
                                         message=f"compiling took longer than {self.timeout_s:g} s")
                except ConnectionError as err:
                    # The worker died, most likely killed for another request's hang: retry once.
                    await self._replace(index, worker)
                    if attempt:
                        return CompileResult(ok=False, error_kind=ErrorKind.CRASH, message=f"compile worker: {err}")
        if not answer.get("ok"):
            return CompileResult(ok=False, error_kind=ErrorKind(answer["error_kind"]), message=answer["message"])
        return CompileResult(ok=True, js=answer["js"], css=answer["css"], timings=answer.get("ms", {}),
                             component=answer.get("component", "default"),
                             libraries=tuple(answer.get("libraries", ())))

    async def _replace(self, index: int, broken: _Worker) -> None:
        """Swap a hung or dead worker for a fresh one, once, however many requests saw it fail."""
        async with self._replacing:
            if self._workers[index] is not broken:
                return
            await broken.close()
            fresh = _Worker(self._node, WORKER_SCRIPT)
            await fresh.start()
            self._workers[index] = fresh

    async def close(self) -> None:
        await asyncio.gather(*(w.close() for w in self._workers))
        self._workers = []


class Compiler:
    """Synchronous compile-only facade (no browser), e.g. for the format reward.

    >>> with Compiler() as compiler:
    ...     compiler.compile("export default function W() { return <div className='p-4'>hi</div> }").ok
    True
    """

    def __init__(self, workers: int = 1, timeout_s: float = 10.0, max_source_bytes: int = MAX_SOURCE_BYTES,
                 import_profile: str = "default") -> None:
        self._async = AsyncCompiler(workers=workers, timeout_s=timeout_s, max_source_bytes=max_source_bytes,
                                    import_profile=import_profile)
        self._loop: LoopThread | None = None

    def __enter__(self) -> Compiler:
        self._loop = LoopThread("widget2code-compiler")
        try:
            self._loop.run(self._async.start())
        except BaseException:
            self._loop.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def compile(self, source: object) -> CompileResult:
        if self._loop is None:
            raise RuntimeError("use Compiler inside a `with` block")
        return self._loop.run(self._async.compile(source))

    def compile_many(self, sources: list[object]) -> list[CompileResult]:
        if self._loop is None:
            raise RuntimeError("use Compiler inside a `with` block")

        async def all_of() -> list[CompileResult]:
            return list(await asyncio.gather(*(self._async.compile(s) for s in sources)))

        return self._loop.run(all_of())

    def close(self) -> None:
        if self._loop is not None:
            self._loop.run(self._async.close())
            self._loop.stop()
            self._loop = None
