"""Sample tables: screenshot | rendering of the generated code | code | reward, for people to look at.

Every logger gets them its own way: W&B as a `wandb.Table` with images, TensorBoard as images, and
always an HTML gallery under `<run dir>/samples/<key>-step<N>/index.html` (CSV has no images).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from lightning import Trainer
from lightning.pytorch.loggers import TensorBoardLogger, WandbLogger
from PIL import Image

from widget2code.evaluation.report import Card, Report


@dataclass
class SampleRow:
    id: str
    screenshot: Image.Image
    rendering: Image.Image | None  # None when the code did not render
    code: str
    reward: float
    error: str | None = None


def log_samples(trainer: Trainer, key: str, rows: Sequence[SampleRow], run_dir: str | Path) -> Path:
    """Send the rows to every logger that shows images and write the HTML gallery; returns its path."""
    step = trainer.global_step
    for logger in trainer.loggers:
        if isinstance(logger, WandbLogger):
            import wandb

            logger.log_table(key, columns=["id", "screenshot", "rendering", "code", "reward", "error"], data=[
                [row.id, wandb.Image(row.screenshot), wandb.Image(row.rendering) if row.rendering else None,
                 row.code, row.reward, row.error or ""] for row in rows], step=step)
        elif isinstance(logger, TensorBoardLogger):
            for i, row in enumerate(rows):
                if row.rendering is not None:
                    logger.experiment.add_image(f"{key}/{i}", _side_by_side(row), step, dataformats="HWC")
    report = Report(Path(run_dir) / "samples" / f"{key.replace('/', '-')}-step{step}", title=f"{key} at step {step}")
    section = report.section("Samples", "Screenshot, the rendering of the generated code, and the code.")
    for i, row in enumerate(rows):
        images = [("screenshot", report.add_image(f"{i}-screenshot", row.screenshot))]
        if row.rendering is not None:
            images.append(("rendering", report.add_image(f"{i}-rendering", row.rendering)))
        section.cards.append(Card(title=row.id, images=images, code=row.code,
                                  figures={"reward": round(row.reward, 3), "error": row.error or "-"}))
    return report.write()


def _side_by_side(row: SampleRow) -> np.ndarray:
    """Screenshot and rendering in one HWC uint8 picture (TensorBoard shows single images)."""
    left, right = row.screenshot.convert("RGB"), (row.rendering or row.screenshot).convert("RGB")
    canvas = Image.new("RGB", (left.width + right.width, max(left.height, right.height)), "white")
    canvas.paste(left, (0, 0))
    canvas.paste(right, (left.width, 0))
    return np.asarray(canvas)
