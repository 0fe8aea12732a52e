"""Callbacks every training run can use: generation samples scored by the renderer, adapter export
(`training.export`, kept apart from the renderer's imports so the GPU check runs without them).

`GenerationSamples` is what shows whether training helps beyond the loss: every few validations it
writes code for a few validation screenshots, renders it with the project's renderer (started in
`setup`, closed in `teardown`, one per rank), scores the renderings against the screenshots with the
configured reward, and logs the render rate, the error kinds, the reward and a sample table.
"""

from __future__ import annotations

from collections import Counter

from lightning import Callback, LightningModule, Trainer
from lightning.pytorch.utilities import rank_zero_only

from widget2code.data.datamodule import load_image
from widget2code.inference.generate import SamplingConfig, generate_texts
from widget2code.render import Renderer
from widget2code.rewards.base import Reward
from widget2code.rewards.devices import place_rewards
from widget2code.task import parse_completion
from widget2code.training.export import AdapterExport
from widget2code.training.samples import SampleRow, log_samples

__all__ = ["AdapterExport", "GenerationSamples"]


class GenerationSamples(Callback):
    """Every `every_n_validations` validations, generate for `num_samples` validation screenshots."""

    def __init__(self, renderer: Renderer, reward: Reward, num_samples: int = 8, every_n_validations: int = 1,
                 max_new_tokens: int = 512, table_rows: int = 8, run_dir: str | None = None) -> None:
        self.renderer, self.reward = renderer, reward
        self.num_samples, self.every = num_samples, max(1, every_n_validations)
        self.sampling = SamplingConfig(max_new_tokens=max_new_tokens, do_sample=False)
        self.table_rows, self.run_dir = table_rows, run_dir
        self._validations = 0
        self._started = False

    def setup(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:
        place_rewards(self.reward, trainer.strategy.root_device)
        if not self._started:
            self.renderer.__enter__()
            self._started = True

    def teardown(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:
        if self._started:
            self.renderer.__exit__(None, None, None)
            self._started = False

    def on_validation_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if trainer.sanity_checking:
            return
        self._validations += 1
        if (self._validations - 1) % self.every:
            return
        datamodule = trainer.datamodule
        dataset = datamodule.datasets.get("val") if datamodule is not None else None
        if dataset is None or not len(dataset):
            return
        records = dataset.records[: self.num_samples]
        screenshots = [load_image(dataset.dataset_dir / record.image) for record in records]
        texts = [group[0] for group in generate_texts(
            pl_module.model, pl_module.processor, screenshots, self.sampling,
            image_size=datamodule.image_size, pad_color=datamodule.pad_color)]
        parsed = [parse_completion(text) for text in texts]
        results = self.renderer.render_many([p.code or "" for p in parsed])
        scored = self.reward.score(screenshots, results, completions=texts)
        errors = Counter(str(r.error_kind) for r in results if not r.ok)
        n = len(records)
        pl_module.log_dict({
            "samples/render_rate": sum(r.ok for r in results) / n,
            "samples/well_formed": sum(p.well_formed for p in parsed) / n,
            "samples/reward": sum(scored.total) / n,
            **{f"samples/errors/{kind}": count / n for kind, count in errors.items()},
        }, rank_zero_only=True, sync_dist=False)
        self._log_table(trainer, [SampleRow(
            id=record.id, screenshot=shot, rendering=result.image if result.ok else None,
            code=p.code or text, reward=reward, error=None if result.ok else str(result.error_kind))
            for record, shot, result, p, text, reward in zip(
                records, screenshots, results, parsed, texts, scored.total, strict=True)][: self.table_rows])

    @rank_zero_only
    def _log_table(self, trainer: Trainer, rows: list[SampleRow]) -> None:
        log_samples(trainer, "samples/val", rows, self.run_dir or trainer.default_root_dir)
