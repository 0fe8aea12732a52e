"""`scripts/infer.py`: screenshots in, TSX + its rendering + its score out, one folder per image.

For an image `shots/clock.png` the run writes `<out_dir>/clock/` holding `output.tsx` (the kept
code), `output.png` (its rendering, when it renders) and `score.json` (the score against the input
screenshot, its components and error, the completion, and the candidates of best-of-N or the rounds
of polish). Each folder appears whole or not at all, so a Ctrl-C keeps every finished image.
Inputs are checked before the model loads (`inputs.find_images`).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import torch
from hydra.utils import instantiate
from omegaconf import DictConfig
from rich.console import Console

from widget2code.data.datamodule import DatasetError, load_image
from widget2code.data.manifest import ManifestError
from widget2code.data.progress import make_progress, track
from widget2code.files import atomic_directory, atomic_write_bytes, atomic_write_text
from widget2code.inference.inputs import InferInputError, find_images
from widget2code.inference.loader import load_model
from widget2code.inference.search import Outcome, PredictorConfigError, SearchPredictor
from widget2code.llm import LLMConfigError
from widget2code.models.adapters import AdapterError
from widget2code.models.factory import ModelLoadError
from widget2code.models.tokenizer import TokenizerError
from widget2code.rewards.clip import ClipModelUnavailable
from widget2code.rewards.lpips_net import LpipsWeightsMissing

#: Errors that mean the command was given bad input: reported in one line, exit status 2.
USAGE_ERRORS: tuple[type[Exception], ...] = (
    InferInputError, ModelLoadError, AdapterError, TokenizerError, DatasetError, ManifestError,
    PredictorConfigError, LLMConfigError,
)


#: Model weights a reward needs are not on disk: a setup problem, one line, exit status 1.
SETUP_ERRORS: tuple[type[Exception], ...] = (LpipsWeightsMissing, ClipModelUnavailable)


def write_outcome(folder: Path, image: Path, outcome: Outcome) -> None:
    """`folder/` with output.tsx, output.png (when the code rendered) and score.json, atomically."""
    with atomic_directory(folder, replace=True) as tmp:
        if outcome.best.code is not None:
            atomic_write_text(tmp / "output.tsx", outcome.best.code)
        render = outcome.best.render
        if render is not None and render.ok and render.png is not None:
            atomic_write_bytes(tmp / "output.png", render.png)
        record: dict[str, Any] = {"id": image.stem, "image": str(image.resolve()), "score": outcome.best.score,
                                  **outcome.extra, "text": outcome.best.text}
        atomic_write_text(tmp / "score.json", json.dumps(record, indent=2, ensure_ascii=False) + "\n")


class InferenceRun:
    """One `infer.py` run; `finished` counts the images whose folder is written (for the Ctrl-C note)."""

    def __init__(self, cfg: DictConfig, out_dir: Path, console: Console | None = None) -> None:
        self.cfg, self.out_dir, self.console = cfg, Path(out_dir), console or Console(stderr=True)
        self.total, self.finished = 0, 0

    def note(self) -> str:
        return (f"{self.finished} of {self.total} images finished; their output.tsx, output.png and score.json "
                f"are kept under {self.out_dir}")

    def run(self, images: list[Path] | None = None) -> list[Path]:
        """Predict every input image (`images`: `find_images(cfg.input)` already done); returns the
        output folders in input order."""
        images = find_images(self.cfg.input) if images is None else images
        self.total = len(images)
        torch.manual_seed(self.cfg.seed)
        started = time.perf_counter()
        loaded = load_model(self.cfg.model, merge_adapter=self.cfg.merge_adapter)
        reward = instantiate(self.cfg.reward)
        folders, scores = [], []
        with instantiate(self.cfg.render) as renderer:
            predictor: SearchPredictor = instantiate(self.cfg.predictor, model=loaded.model,
                                                     processor=loaded.processor, renderer=renderer, reward=reward)
            with make_progress(self.console) as progress, \
                    track(progress, f"{predictor.mode}", len(images)) as advance:
                for image in images:
                    outcome = predictor.search([load_image(image)], [image.stem])[0]
                    folder = self.out_dir / image.stem
                    write_outcome(folder, image, outcome)
                    self.finished += 1
                    folders.append(folder)
                    scores.append(outcome.best.score or 0.0)
                    advance(1)
        rendered = sum((folder / "output.png").is_file() for folder in folders)
        self.console.print(f"{len(folders)} images -> {self.out_dir}: mean score {sum(scores) / len(scores):.3f}, "
                           f"{rendered} rendered, {time.perf_counter() - started:.0f} s")
        return folders
