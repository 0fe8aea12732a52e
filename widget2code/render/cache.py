"""Content-addressed disk cache of render results.

Key: sha256 of the source, the renderer version (worker, page template, Chromium build) and the
pixel-deciding settings. Safe under concurrent writers (processes or threads): every file is
written to a temp name and renamed, and an entry counts only once its JSON exists, which is
written last. Failures are cached too (a timeout costs seconds to rediscover), except crashes,
which may be the machine's fault rather than the widget's.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from widget2code.files import atomic_write_bytes
from widget2code.render.result import ErrorKind, RenderResult


def cache_key(source: str, renderer_version: str, pixel_key: str) -> str:
    digest = hashlib.sha256()
    for part in (renderer_version, pixel_key, source):
        digest.update(part.encode("utf-8", errors="surrogatepass"))
        digest.update(b"\x00")
    return digest.hexdigest()


class RenderCache:
    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    def _paths(self, key: str) -> tuple[Path, Path]:
        folder = self.directory / key[:2]
        return folder / f"{key}.json", folder / f"{key}.png"

    def get(self, key: str) -> RenderResult | None:
        meta_path, png_path = self._paths(key)
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            png = png_path.read_bytes() if meta["ok"] else None
        except (FileNotFoundError, json.JSONDecodeError, KeyError):
            return None
        kind = meta.get("error_kind")
        return RenderResult(ok=meta["ok"], png=png, width=meta.get("width", 0), height=meta.get("height", 0),
                            error_kind=None if kind is None else ErrorKind(kind), message=meta.get("message", ""),
                            cached=True)

    def put(self, key: str, result: RenderResult) -> None:
        if result.error_kind == ErrorKind.CRASH or result.cached:
            return
        meta_path, png_path = self._paths(key)
        if result.ok and result.png is not None:
            atomic_write_bytes(png_path, result.png)
        meta = {k: v for k, v in result.summary().items() if k not in ("ms", "queue_ms", "cached")}
        atomic_write_bytes(meta_path, json.dumps(meta).encode("utf-8"))
