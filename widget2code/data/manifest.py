"""A dataset is a directory with `manifest.jsonl` plus the files its records point to.

Each pipeline stage reads one manifest and writes another, so a stage can be rerun or resumed.
Paths inside records are relative to the dataset directory, so a dataset can be moved or copied.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from widget2code.files import atomic_write_bytes, atomic_write_text

MANIFEST = "manifest.jsonl"


class ManifestError(ValueError):
    """A manifest or one of its records is malformed."""


@dataclass
class SampleRecord:
    id: str  # unique, with a source prefix: synthetic-*, widget-*, llmgen-*
    source: str  # synthetic | widget_factory | llm_synthetic | ...
    category: str
    tsx: str  # path of the TSX file, relative to the dataset directory
    image: str  # path of the reference PNG, relative to the dataset directory
    width: int = 0
    height: int = 0
    difficulty: str | None = None  # simple | medium | complex
    split: str | None = None  # train | val | test
    cot: str | None = None  # the reasoning trace (the SFT target is <think>cot</think><code>tsx</code>)
    provenance: dict[str, Any] = field(default_factory=dict)  # model, prompt version, seed, ...
    metrics: dict[str, Any] = field(default_factory=dict)  # render-verify SSIM, token count, cluster, ...

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "record") -> SampleRecord:
        known = {f.name for f in fields(cls)}
        missing = [name for name in ("id", "source", "category", "tsx", "image") if name not in data]
        if missing:
            raise ManifestError(f"{where}: missing field(s) {', '.join(missing)}")
        return cls(**{k: v for k, v in data.items() if k in known})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_manifest(dataset_dir: str | os.PathLike[str]) -> list[SampleRecord]:
    """All records of `dataset_dir/manifest.jsonl`, in file order."""
    return list(iter_manifest(dataset_dir))


def iter_manifest(dataset_dir: str | os.PathLike[str]) -> Iterator[SampleRecord]:
    path = Path(dataset_dir) / MANIFEST
    if not path.is_file():
        raise ManifestError(f"no {MANIFEST} in dataset directory {Path(dataset_dir)}")
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as err:
                raise ManifestError(f"{path}:{number}: not valid JSON ({err.msg})") from err
            yield SampleRecord.from_dict(data, where=f"{path}:{number}")


def write_manifest(dataset_dir: str | os.PathLike[str], records: Iterable[SampleRecord]) -> Path:
    """Replace the manifest atomically: readers see the old one or the new one, never half of one."""
    path = Path(dataset_dir) / MANIFEST
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(r.to_dict(), ensure_ascii=False) + "\n" for r in records)
    atomic_write_text(path, text)
    return path


class ManifestAppender:
    """Appends records one line at a time (flushed and fsynced), for long resumable jobs.

    A crash can leave at most one partial last line; `iter_manifest` would reject it, so on open a
    torn tail is cut back to the last complete line. `done_ids` lets a rerun skip finished work.
    """

    def __init__(self, dataset_dir: str | os.PathLike[str]) -> None:
        self.path = Path(dataset_dir) / MANIFEST
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._repair_tail()
        self.done_ids = {r.id for r in iter_manifest(dataset_dir)} if self.path.exists() else set()
        self._file = self.path.open("a", encoding="utf-8")

    def _repair_tail(self) -> None:
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            atomic_write_bytes(self.path, data[: data.rfind(b"\n") + 1])

    def append(self, record: SampleRecord) -> None:
        self._file.write(json.dumps(record.to_dict(), ensure_ascii=False) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())
        self.done_ids.add(record.id)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> ManifestAppender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
