"""A disk cache of judge answers: one small JSON file per judgment, so nothing is judged twice.

Files are written atomically (`widget2code.files`), so a
reader never sees half a file and concurrent writers (threads, DataLoader workers, DDP ranks sharing
a folder) simply race to write the same content. JSON files rather than sqlite: no locking, and a
cache folder can be copied, merged or inspected with ordinary tools.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any

from widget2code.files import atomic_write_text


def cache_key(**fields: Any) -> str:
    """sha256 of the fields as canonical JSON (sorted keys), e.g. image hashes + prompt + model + mode."""
    return hashlib.sha256(json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


class JudgmentCache:
    """Judgments by key, in memory and (when `directory` is set) on disk under `<key[:2]>/<key>.json`."""

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = None if directory is None else Path(directory)
        self._memory: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        return {"directory": self.directory}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["directory"])

    def _path(self, key: str) -> Path:
        assert self.directory is not None
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            if key in self._memory:
                return self._memory[key]
        if self.directory is None:
            return None
        try:
            value = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):  # absent, or damaged by something other than us: re-judge
            return None
        with self._lock:
            self._memory[key] = value
        return value

    def put(self, key: str, value: dict[str, Any]) -> None:
        with self._lock:
            self._memory[key] = value
        if self.directory is None:
            return
        atomic_write_text(self._path(key), json.dumps(value, sort_keys=True))
