"""The evaluation's own predictors: TSX already written (`TsxDirPredictor`) and the reference itself
(`OraclePredictor`); `build_predictor` makes any of `conf/predictor/*` (model and OpenAI-compatible
predictors live in `widget2code.inference`).

Both follow the inference predictor protocol, `predict(images, ids) -> list[Prediction]`, and ignore
the images: they look predictions up by reference id. A reference without a file gets a prediction
with no code (`extra["missing"] = True`), which counts as a failure, never as a dropped sample.
`validate(ids)` lets the runner reject a predictor that matches none of the references before any work.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from PIL import Image

from widget2code.evaluation.errors import PredictionsError, ReferencesError
from widget2code.evaluation.references import four_digit_id, from_manifest
from widget2code.inference.predictor import Prediction, Predictor
from widget2code.render import Renderer
from widget2code.rewards.base import Reward


class TsxDirPredictor:
    """TSX files in a folder (searched recursively), matched to references by the 4-digit id in their path.

    `pred_0001.tsx`, `0001.tsx` and `image_0001/output.tsx` (a previous run's layout) all match
    reference 0001: the id is the first run of four digits in the file name, else in its folders.
    """

    name = "tsx_dir"

    def __init__(self, dir: str | os.PathLike[str]) -> None:  # named as on the CLI: predictor.dir=DIR
        self.directory = Path(dir)
        if not self.directory.is_dir():
            raise PredictionsError(f"predictor folder {self.directory} does not exist or is not a directory")
        try:
            paths = sorted(self.directory.rglob("*.tsx"))
        except OSError as err:
            raise PredictionsError(f"cannot read predictor folder {self.directory}: {err}") from err
        if not paths:
            raise PredictionsError(f"predictor folder {self.directory} holds no .tsx files")
        self.files: dict[str, Path] = {}
        for path in paths:
            relative = path.relative_to(self.directory)
            ref_id = four_digit_id(relative.name) or four_digit_id(str(relative.parent))
            if ref_id is None:
                continue
            if ref_id in self.files:
                raise PredictionsError(f"duplicate id {ref_id} in predictor folder {self.directory}: "
                                       f"{self.files[ref_id].relative_to(self.directory)} and {relative}")
            self.files[ref_id] = path
        if not self.files:
            raise PredictionsError(f"no .tsx file in {self.directory} has a 4-digit id in its name "
                                   f"(expected e.g. pred_0001.tsx or image_0001/output.tsx)")

    def validate(self, ids: Sequence[str]) -> None:
        if not set(ids) & set(self.files):
            raise PredictionsError(
                f"the ids of the TSX files in {self.directory} ({_sample(self.files)}) match none of the "
                f"{len(ids)} references ({_sample(ids)})")

    def predict(self, images: Sequence[Image.Image], ids: Sequence[str]) -> list[Prediction]:
        predictions = []
        for ref_id in ids:
            path = self.files.get(ref_id)
            if path is None:
                predictions.append(Prediction(text="", code=None, score=None, extra={"missing": True}))
                continue
            try:
                code = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as err:
                predictions.append(Prediction(text="", code=None, score=None,
                                              extra={"missing": True, "error": f"unreadable {path}: {err}"}))
                continue
            predictions.append(Prediction(text=code, code=code, score=None, extra={"file": str(path)}))
        return predictions


class OraclePredictor:
    """The reference TSX itself, from the same manifest split the references come from (an upper bound)."""

    name = "oracle"

    def __init__(self, manifest: str | os.PathLike[str] | None, split: str | None = "test") -> None:
        if not manifest:
            raise PredictionsError("the oracle predictor needs references from a manifest "
                                   "(references.manifest=DATASET_DIR): a screenshot folder has no code")
        try:
            references = from_manifest(manifest, split)
        except ReferencesError as err:
            raise PredictionsError(f"oracle: {err}") from err
        self.codes = {reference.id: reference.tsx for reference in references}

    def validate(self, ids: Sequence[str]) -> None:
        if not set(ids) & set(self.codes):
            raise PredictionsError(f"the oracle's manifest ids ({_sample(self.codes)}) match none of the "
                                   f"references ({_sample(ids)})")

    def predict(self, images: Sequence[Image.Image], ids: Sequence[str]) -> list[Prediction]:
        return [Prediction(text=self.codes[i], code=self.codes[i], score=None, extra={}) if i in self.codes
                else Prediction(text="", code=None, score=None, extra={"missing": True}) for i in ids]


def _sample(ids: object) -> str:
    values = sorted(ids)
    return ", ".join(values[:3]) + (f", ... ({len(values)} in all)" if len(values) > 3 else "")


def build_predictor(config: DictConfig, renderer: Renderer, reward: Reward) -> Predictor:
    """The predictor of `conf/predictor/<name>.yaml`.

    A config with a `model` entry (a `conf/model` config, with its `adapter_path`) is a local model: it is
    loaded first (`inference.loader.load_model`, `merge_adapter` folds the adapter in) and handed over as
    model + processor. Best-of-N and polish also get the run's renderer and reward, which they score
    candidates with; the renderer may not be started yet (it is by the time `predict` runs).
    """
    from widget2code.inference.loader import load_model

    spec = OmegaConf.to_container(config, resolve=True)  # resolved here: its interpolations reach the root
    model_config = spec.pop("model", None)
    merge_adapter = bool(spec.pop("merge_adapter", False))
    extra: dict[str, object] = {}
    if model_config is not None:
        loaded = load_model(model_config, merge_adapter=merge_adapter)
        extra.update(model=loaded.model, processor=loaded.processor)
    if spec.get("mode", "single") != "single":
        extra.update(renderer=renderer, reward=reward)
    return instantiate(spec, **extra)
