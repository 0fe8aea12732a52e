"""render_verify: render every record's TSX and keep it only if the render matches its reference image.

A record whose reference image exists is kept when SSIM(reference, render) >= `threshold`; the score
goes to `metrics["verify_ssim"]`. A record marked `provenance["image_from"] == "render"` (synthetic
widgets: the code is the ground truth and there is no separate screenshot) gets its render written
as its image. Failures are dropped with the renderer's error kind (syntax, runtime, timeout, ...) as
the reason; `low_ssim`, `missing_tsx`, `missing_reference` and `unreadable_reference` are the others.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Protocol

from PIL import Image, UnidentifiedImageError
from rich.progress import Progress

from widget2code.data.manifest import SampleRecord, read_manifest
from widget2code.data.progress import track
from widget2code.data.similarity import ssim
from widget2code.data.stages.base import RecordOutput, StageReport, chunks
from widget2code.files import atomic_write_bytes
from widget2code.render import RenderResult

#: Records whose image is their own render (set by the synthetic build stage).
IMAGE_FROM_RENDER = "render"


class RendersMany(Protocol):
    def render_many(self, sources: list[str], progress: bool = False) -> list[RenderResult]: ...


def render_verify(in_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str], renderer: RendersMany, *,
                  threshold: float = 0.85, ssim_max_side: int = 256, chunk_size: int = 32,
                  progress: Progress | None = None) -> StageReport:
    """Render, compare and keep; see the module docstring. Resumable: a rerun skips finished ids."""
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"render_verify threshold must be in [0, 1], got {threshold}")
    start = time.perf_counter()
    in_dir = Path(in_dir)
    records = read_manifest(in_dir)
    settings = getattr(renderer, "settings", None)
    params: dict[str, Any] = {"threshold": threshold, "ssim_max_side": ssim_max_side,
                              "render": settings.pixel_key() if hasattr(settings, "pixel_key") else None}
    report = StageReport("render_verify", inputs=len(records))
    with RecordOutput(out_dir, params) as out, track(progress, "render_verify", len(records)) as advance:
        todo = [r for r in records if r.id not in out.done_ids]
        report.resumed = len(records) - len(todo)
        advance(report.resumed)
        for chunk in chunks(todo, chunk_size):
            sources: list[str] = []
            renderable: list[SampleRecord] = []
            for record in chunk:
                try:
                    sources.append((in_dir / record.tsx).read_text(encoding="utf-8"))
                    renderable.append(record)
                except (OSError, UnicodeDecodeError) as err:
                    out.reject(record, in_dir, "missing_tsx", f"{record.tsx}: {err}")
            for record, result in zip(renderable, renderer.render_many(sources), strict=True):
                _judge(record, result, in_dir, out, threshold, ssim_max_side)
            advance(len(chunk))
        report = out.finish(report, [r.id for r in records])
    report.seconds = time.perf_counter() - start
    return report


def _judge(record: SampleRecord, result: RenderResult, in_dir: Path, out: RecordOutput, threshold: float,
           ssim_max_side: int) -> None:
    if not result.ok:
        out.reject(record, in_dir, str(result.error_kind), result.message)
        return
    image_path = in_dir / record.image
    if record.provenance.get("image_from") == IMAGE_FROM_RENDER:
        atomic_write_bytes(image_path, result.png or b"")
        record.width, record.height = result.width, result.height
        out.keep(record, in_dir)
        return
    if not image_path.is_file():
        out.reject(record, in_dir, "missing_reference", f"no reference image at {record.image}")
        return
    try:
        with Image.open(image_path) as reference:
            score = ssim(reference, result.image, ssim_max_side)
    except (OSError, UnidentifiedImageError) as err:
        out.reject(record, in_dir, "unreadable_reference", f"{record.image}: {err}")
        return
    record.metrics["verify_ssim"] = round(score, 4)
    if score >= threshold:
        out.keep(record, in_dir)
    else:
        out.reject(record, in_dir, "low_ssim", f"SSIM {score:.3f} < {threshold}")
