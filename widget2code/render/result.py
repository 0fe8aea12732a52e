"""What a render returns: a picture or a typed failure, never an exception."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

from PIL import Image


class ErrorKind(StrEnum):
    """Why a widget did not render. Values are stable: they are logged, cached and used as reward labels."""

    INVALID_INPUT = "invalid_input"  # empty, binary, or oversized source
    SYNTAX = "syntax"  # esbuild could not parse or transform the TSX
    IMPORT = "import"  # imports a module outside the import profile, or a name the module lacks
    NO_COMPONENT = "no_component"  # no component to render (no default export nor one named component)
    RUNTIME = "runtime"  # threw while evaluating or rendering, or navigated away
    EMPTY = "empty"  # rendered nothing, or a zero-size box
    TIMEOUT = "timeout"  # did not finish within the time limit (infinite loop, ...)
    CRASH = "crash"  # the page or the browser died (out of memory, ...)


@dataclass(frozen=True)
class RenderResult:
    """The outcome of rendering one TSX source.

    `png` holds the encoded screenshot when `ok`; `timings` holds milliseconds per stage (compile,
    wait_page, mount, screenshot), `total` (this render's own time) and `queue` (time spent waiting
    behind other renders, not part of `total`); it is empty for cache hits.
    """

    ok: bool
    png: bytes | None = None
    width: int = 0
    height: int = 0
    error_kind: ErrorKind | None = None
    message: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    cached: bool = False

    @cached_property
    def image(self) -> Image.Image:
        """The screenshot as an RGB PIL image (raises ValueError when the render failed)."""
        if self.png is None:
            raise ValueError(f"render failed ({self.error_kind}): {self.message}")
        with Image.open(io.BytesIO(self.png)) as img:
            return img.convert("RGB")

    @classmethod
    def failure(cls, kind: ErrorKind, message: str, timings: dict[str, float] | None = None) -> RenderResult:
        return cls(ok=False, error_kind=kind, message=message, timings=timings or {})

    def summary(self) -> dict[str, object]:
        """The JSON-friendly fields printed by the CLI and written to results.jsonl."""
        return {
            "ok": self.ok,
            "error_kind": None if self.error_kind is None else str(self.error_kind),
            "message": self.message,
            "width": self.width,
            "height": self.height,
            "ms": round(self.timings.get("total", 0.0), 2),
            "queue_ms": round(self.timings.get("queue", 0.0), 2),
            "cached": self.cached,
        }
