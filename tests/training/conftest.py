"""A small dataset for training tests, built without Chromium: fast and the same on every run.

Twelve records of the synthetic generator's TSX and reasoning traces, each with a PNG drawn by PIL (a
background and two rectangles in colours chosen by the record's index), split 8 train / 2 val / 2 test.
The screenshots do not show the code (no browser draws them): tests that need real renderings build
their own data.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from widget2code.data.manifest import SampleRecord, write_manifest
from widget2code.data.synthetic import generate_widgets

N_RECORDS = 12
SPLITS = ["train"] * 8 + ["val"] * 2 + ["test"] * 2
BACKGROUNDS = ["#ffffff", "#0f172a", "#f1f5f9", "#1e293b"]
FILLS = ["#ef4444", "#f59e0b", "#10b981", "#3b82f6", "#8b5cf6", "#ec4899"]


def draw_screenshot(index: int) -> Image.Image:
    """A deterministic stand-in screenshot: a page background, a card and a bar."""
    width, height = 160 + 8 * (index % 4), 100 + 6 * (index % 3)
    image = Image.new("RGB", (width, height), BACKGROUNDS[index % len(BACKGROUNDS)])
    draw = ImageDraw.Draw(image)
    draw.rectangle([12, 12, width - 12, height - 12], fill=FILLS[index % len(FILLS)])
    draw.rectangle([24, 24, 24 + 10 * (index + 1), 36], fill=FILLS[(index + 3) % len(FILLS)])
    return image


def write_dataset(root: Path) -> list[SampleRecord]:
    root.mkdir(parents=True, exist_ok=True)
    records = []
    for index, (widget, split) in enumerate(zip(generate_widgets(N_RECORDS, seed=0), SPLITS, strict=True)):
        name = f"synthetic-{index:04d}"
        image = draw_screenshot(index)
        image.save(root / f"{name}.png")
        (root / f"{name}.tsx").write_text(widget.tsx, encoding="utf-8")
        records.append(SampleRecord(
            id=name, source="synthetic", category=widget.category, tsx=f"{name}.tsx", image=f"{name}.png",
            width=image.width, height=image.height, split=split, cot=widget.cot))
    write_manifest(root, records)
    return records


@pytest.fixture(scope="session")
def widget_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The dataset directory (manifest.jsonl, PNGs, TSX files); its tokenizer cache is shared too."""
    root = tmp_path_factory.mktemp("training-widgets")
    write_dataset(root)
    return root
