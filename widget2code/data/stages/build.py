"""build: the procedural synthetic generator as a dataset dir (no API, no network).

Writes `tsx/<id>.tsx` and one record per widget with the generator's own five-section trace as its
`cot`. The code is the ground truth and there is no separate screenshot: the widget's render is its
reference image. So records are marked `provenance["image_from"] = "render"` and point to
`images/<id>.png`, which render_verify writes when it renders them (one render per widget, not two).
Ids are `synthetic-<seed>-<index>`: the same (seed, index) is always the same widget, so a rerun skips
what exists and a larger `num_samples` extends the dataset.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path

from rich.progress import Progress

from widget2code.data.manifest import SampleRecord
from widget2code.data.progress import track
from widget2code.data.stages.base import RecordOutput, StageReport
from widget2code.data.stages.render_verify import IMAGE_FROM_RENDER
from widget2code.data.synthetic import generate_widgets
from widget2code.files import atomic_write_text


def synthetic_id(seed: int, index: int) -> str:
    return f"synthetic-{seed}-{index:06d}"


def build_synthetic(out_dir: str | os.PathLike[str], *, num_samples: int, seed: int = 0,
                    categories: Sequence[str] | None = None, progress: Progress | None = None) -> StageReport:
    """Generate `num_samples` widgets (cycling through `categories`, all by default) into `out_dir`."""
    if num_samples < 0:
        raise ValueError(f"num_samples must be >= 0, got {num_samples}")
    start = time.perf_counter()
    out_dir = Path(out_dir)
    ids = [synthetic_id(seed, i) for i in range(num_samples)]
    params = {"seed": seed, "categories": list(categories) if categories is not None else None}
    report = StageReport("build", inputs=num_samples)
    with RecordOutput(out_dir, params) as out, track(progress, "build", num_samples) as advance:
        report.resumed = sum(1 for i in ids if i in out.done_ids)
        advance(report.resumed)
        # Widget i's seed is derived from (seed, i) inside the generator, so skipping done ones is safe;
        # generating a widget is ~ms, far cheaper than rendering it.
        for widget_id, widget in zip(ids, generate_widgets(num_samples, seed, categories), strict=True):
            if widget_id in out.done_ids:
                continue
            tsx_path = f"tsx/{widget_id}.tsx"
            atomic_write_text(out_dir / tsx_path, widget.tsx)
            out.keep(SampleRecord(
                id=widget_id, source="synthetic", category=widget.category, tsx=tsx_path,
                image=f"images/{widget_id}.png", cot=widget.cot,
                provenance={"generator": "widget2code.data.synthetic", "seed": widget.seed,
                            "image_from": IMAGE_FROM_RENDER, "cot_source": "generator"},
                metrics={"element_count": widget.element_count, "depth": widget.depth},
            ), out_dir)
            advance(1)
        report = out.finish(report, ids)
    report.seconds = time.perf_counter() - start
    return report
