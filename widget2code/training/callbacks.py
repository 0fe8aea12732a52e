"""Callbacks every training run can use: generation samples scored by the renderer, adapter export.

`GenerationSamples` is what shows whether training helps beyond the loss: every few validations it
writes code for a few validation screenshots, renders it with the project's renderer (started in
`setup`, closed in `teardown`, one per rank), scores the renderings against the screenshots with the
configured reward, and logs the render rate, the error kinds, the reward and a sample table.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from lightning import Callback, LightningModule, Trainer
from lightning.pytorch.utilities import rank_zero_only

from widget2code.data.datamodule import load_image
from widget2code.inference.generate import SamplingConfig, generate_texts
from widget2code.models.adapters import save_adapter
from widget2code.render import Renderer
from widget2code.rewards.base import Reward
from widget2code.rewards.devices import place_rewards
from widget2code.task import parse_completion
from widget2code.training.samples import SampleRow, log_samples
from widget2code.training.strategies import full_model_state, names_without_wrappers


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


class AdapterExport(Callback):
    """Save what trained, in Hugging Face format with the processor, when training ends (rank 0 writes).

    `<dirpath>/adapter` is what inference and GRPO start from (`model.adapter_path=...`); for a model
    trained without adapters it is the whole model (`model.model_name_or_path=...`). Under FSDP every
    rank first takes part in gathering the shards (`strategies.full_model_state`).
    """

    def __init__(self, dirpath: str) -> None:
        self.dirpath = Path(dirpath)
        self.saved: Path | None = None

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        state = full_model_state(pl_module)  # a collective under FSDP: every rank, before rank 0 writes
        if trainer.is_global_zero:
            self.export(pl_module, state)

    def export(self, pl_module: LightningModule, state_dict: dict[str, Any] | None = None) -> Path:
        with names_without_wrappers(pl_module.model):  # the gathered state dict's names
            self.saved = save_adapter(pl_module.model, pl_module.processor, self.dirpath / "adapter", state_dict)
        return self.saved

    def state_dict(self) -> dict[str, Any]:
        return {}
