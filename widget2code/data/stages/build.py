"""build: the procedural synthetic generator as a dataset dir (no API, no network).

Writes `tsx/<id>.tsx` and one record per widget with the generator's own five-section trace as its
`cot`. The code is the ground truth and there is no separate screenshot: the widget's render is its
reference image. So records are marked `provenance["image_from"] = "render"` and point to
`images/<id>.png`, which render_verify writes when it renders them (one render per widget, not two).
Ids are `synthetic-<seed>-<index>`: the same (seed, index) is always the same widget, so a rerun skips
what exists and a larger `num_samples` extends the dataset.

`generator="demo"` builds the demo tier instead (`widget2code.data.synthetic.demo`: four simple layouts
with a one-line trace, short enough for a tiny model to learn on a CPU); its ids are `demo-<seed>-<index>`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Literal

from rich.progress import Progress

from widget2code.data.manifest import SampleRecord
from widget2code.data.progress import track
from widget2code.data.stages.base import RecordOutput, StageReport
from widget2code.data.stages.render_verify import IMAGE_FROM_RENDER
from widget2code.data.synthetic import SyntheticWidget, generate_widgets
from widget2code.data.synthetic.demo import DemoWidget, generate_demo_widgets
from widget2code.files import atomic_write_text

Generator = Literal["full", "demo"]
GENERATORS: dict[str, tuple[str, str]] = {  # generator -> (id prefix, module recorded in provenance)
    "full": ("synthetic", "widget2code.data.synthetic"),
    "demo": ("demo", "widget2code.data.synthetic.demo"),
}


def synthetic_id(seed: int, index: int, generator: Generator = "full") -> str:
    return f"{GENERATORS[generator][0]}-{seed}-{index:06d}"


def _widgets(generator: Generator, num_samples: int, seed: int,
             categories: Sequence[str] | None) -> Iterator[SyntheticWidget | DemoWidget]:
    if generator == "demo":
        return generate_demo_widgets(num_samples, seed, categories)
    return generate_widgets(num_samples, seed, categories)


def build_synthetic(out_dir: str | os.PathLike[str], *, num_samples: int, seed: int = 0,
                    categories: Sequence[str] | None = None, generator: Generator = "full",
                    progress: Progress | None = None) -> StageReport:
    """Generate `num_samples` widgets (cycling through `categories`, all by default) into `out_dir`.

    `generator` is "full" (the realistic generator, for real runs) or "demo" (the demo tier).
    """
    if num_samples < 0:
        raise ValueError(f"num_samples must be >= 0, got {num_samples}")
    if generator not in GENERATORS:
        raise ValueError(f"unknown synthetic generator {generator!r}; expected one of {', '.join(GENERATORS)}")
    start = time.perf_counter()
    out_dir = Path(out_dir)
    ids = [synthetic_id(seed, i, generator) for i in range(num_samples)]
    params = {"seed": seed, "categories": list(categories) if categories is not None else None,
              "generator": generator}
    report = StageReport("build", inputs=num_samples)
    with RecordOutput(out_dir, params) as out, track(progress, "build", num_samples) as advance:
        report.resumed = sum(1 for i in ids if i in out.done_ids)
        advance(report.resumed)
        # Widget i's seed is derived from (seed, i) inside the generator, so skipping done ones is safe;
        # generating a widget is ~ms, far cheaper than rendering it.
        for widget_id, widget in zip(ids, _widgets(generator, num_samples, seed, categories), strict=True):
            if widget_id in out.done_ids:
                continue
            tsx_path = f"tsx/{widget_id}.tsx"
            atomic_write_text(out_dir / tsx_path, widget.tsx)
            out.keep(SampleRecord(
                id=widget_id, source="synthetic", category=widget.category, tsx=tsx_path,
                image=f"images/{widget_id}.png", cot=widget.cot,
                provenance={"generator": GENERATORS[generator][1], "seed": widget.seed,
                            "image_from": IMAGE_FROM_RENDER, "cot_source": "generator"},
                metrics={"element_count": widget.element_count, "depth": widget.depth},
            ), out_dir)
            advance(1)
        report = out.finish(report, ids)
    report.seconds = time.perf_counter() - start
    return report
