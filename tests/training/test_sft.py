"""SFT on the tiny real-architecture models, in-process: it learns, adapters train alone and reload, QLoRA
steps, the first losses are frozen, and an interrupted run resumes to the same result."""

from __future__ import annotations

import csv
import signal
from collections.abc import Iterator
from pathlib import Path

import lightning as L
import pytest
import torch
from hydra.utils import instantiate
from lightning import Callback, LightningModule, Trainer
from omegaconf import OmegaConf
from peft import PeftModel
from safetensors.torch import load_file
from torch.utils.data import DataLoader
from torchdata.stateful_dataloader import StatefulDataLoader
from training_runs import CONF, MAX_LENGTH, compose_train, tiny_overrides

from widget2code.data.datamodule import EpochShuffle, WidgetDataModule
from widget2code.data.tiny_model import build_tiny_from_dataset
from widget2code.models.adapters import AdapterSettings, attach_adapters, load_for_inference
from widget2code.models.factory import LoadedModel, load_pretrained
from widget2code.training.callbacks import AdapterExport
from widget2code.training.optim import OptimizerSettings
from widget2code.training.run import train
from widget2code.training.sft import SFTModule


class Losses(Callback):
    """The training loss of every optimizer step, as the module returned it."""

    def __init__(self) -> None:
        self.values: list[float] = []

    def on_train_batch_end(self, trainer: Trainer, pl_module: LightningModule, outputs: dict, batch: object,
                           batch_idx: int) -> None:
        self.values.append(float(outputs["loss"]))


def tiny(dataset: Path, family: str = "glm4v") -> LoadedModel:
    """A fresh tiny model (seed 0: the same weights every time); its tokenizer is cached in the dataset."""
    return build_tiny_from_dataset(family, dataset, preset="tiny")  # type: ignore[arg-type]


def data_module(dataset: Path, processor: object, batch_size: int = 2) -> WidgetDataModule:
    module = WidgetDataModule(dataset, processor, batch_size=batch_size, max_length=MAX_LENGTH, seed=0)
    module.setup("fit")
    return module


def first_batch(dataset: Path, processor: object) -> dict[str, torch.Tensor]:
    return next(iter(data_module(dataset, processor).train_dataloader()))


def fit(module: SFTModule, batches: DataLoader | WidgetDataModule, steps: int, *callbacks: Callback) -> list[float]:
    """`steps` optimizer steps with a plain Lightning Trainer on the CPU; returns the step losses."""
    losses = Losses()
    trainer = Trainer(accelerator="cpu", devices=1, max_steps=steps, max_epochs=-1, logger=False,
                      enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                      limit_val_batches=0, num_sanity_val_steps=0, gradient_clip_val=1.0,
                      callbacks=[losses, *callbacks])
    if isinstance(batches, WidgetDataModule):
        trainer.fit(module, datamodule=batches)
    else:
        trainer.fit(module, train_dataloaders=batches)
    assert trainer.global_step == steps
    return losses.values


def repeated(batch: dict[str, torch.Tensor], steps: int) -> DataLoader:
    """The same batch `steps` times (batch_size=None: items are batches already)."""
    return DataLoader([batch] * steps, batch_size=None)


def snapshot(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def changed(model: torch.nn.Module, before: dict[str, torch.Tensor]) -> set[str]:
    return {name for name, p in model.named_parameters() if not torch.equal(p, before[name])}


@torch.no_grad()
def eval_logits(model: torch.nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    model.eval()
    return model(**batch).logits


def peft_settings(name: str) -> AdapterSettings:
    return instantiate(OmegaConf.load(CONF / "peft" / f"{name}.yaml"))


@pytest.mark.slow
def test_loss_on_a_fixed_batch_goes_down(widget_dataset: Path) -> None:
    loaded = tiny(widget_dataset)
    batch = first_batch(widget_dataset, loaded.processor)
    module = SFTModule(loaded.model, loaded.processor, OptimizerSettings(lr=1e-2, warmup=0))
    losses = fit(module, repeated(batch, 8), 8)
    assert all(torch.isfinite(torch.tensor(losses)))
    # from ~ln(vocab) = 6.9 towards memorising the batch's ~60 target tokens (about 4.0 after 8 steps)
    assert losses[-1] < 0.7 * losses[0] and max(losses[-3:]) < min(losses[:3]), losses


@pytest.mark.slow
def test_lora_trains_the_adapter_alone_and_the_export_reloads_with_the_same_logits(
    widget_dataset: Path, tmp_path: Path
) -> None:
    loaded = tiny(widget_dataset)
    batch = first_batch(widget_dataset, loaded.processor)
    settings = peft_settings("lora_r16")  # r16/alpha32 on q/k/v/o, dropout 0.05, gradient checkpointing
    policy = attach_adapters(loaded.model, settings)
    trainable = {name for name, p in policy.named_parameters() if p.requires_grad}
    assert trainable and all(".lora_" in name for name in trainable)
    before = snapshot(policy)

    module = SFTModule(policy, loaded.processor, OptimizerSettings(lr=1e-2, warmup=0))
    losses = fit(module, repeated(batch, 2), 2, AdapterExport(str(tmp_path)))
    assert all(torch.isfinite(torch.tensor(losses)))
    assert changed(policy, before) == trainable  # every adapter matrix moved; no base weight did

    exported = tmp_path / "adapter"
    assert (exported / "adapter_config.json").is_file() and (exported / "tokenizer.json").is_file()
    reloaded = load_for_inference(tiny(widget_dataset), exported)
    assert isinstance(reloaded.model, PeftModel)
    torch.testing.assert_close(eval_logits(reloaded.model, batch), eval_logits(policy, batch), rtol=1e-5, atol=1e-5)


@pytest.mark.slow
def test_qlora_tiny_qwen_steps_through_the_sft_module(widget_dataset: Path, tmp_path: Path) -> None:
    base = tiny(widget_dataset, "qwen3vl")
    base.model.save_pretrained(tmp_path / "base")
    base.processor.save_pretrained(tmp_path / "base")
    model, processor = load_pretrained(str(tmp_path / "base"), quantization="nf4", dtype="float32")[:2]
    assert any(type(m).__name__ == "Linear4bit" for m in model.modules())
    policy = attach_adapters(model, peft_settings("qlora_r64"))
    trainable = {name for name, p in policy.named_parameters() if p.requires_grad}
    before = snapshot(policy)

    module = SFTModule(policy, processor, OptimizerSettings(lr=1e-3, warmup=0))
    losses = fit(module, repeated(first_batch(widget_dataset, processor), 2), 2)
    assert all(torch.isfinite(torch.tensor(losses)))
    assert trainable and changed(policy, before) == trainable  # the 4-bit base stays as loaded


# The first three training losses of the tiny GLM-4V (seed 0) on the test dataset: batch 2, max_length 256,
# AdamW lr 2e-4 with the default warm-up and cosine decay over 3 steps, gradient clipping 1.0. They change
# when the masking, the prompt or chat template, the completion format, the loss, the tiny model's
# initialisation or tokenizer training, the data module's shuffle or image policy, or the synthetic
# generator's output (the dataset's texts) change. After an intended change, recompute and paste.
FROZEN_LOSSES = [6.908763885498047, 6.799866676330566, 6.731989860534668]


@pytest.mark.slow
def test_first_seeded_steps_reproduce_the_frozen_losses(widget_dataset: Path) -> None:
    L.seed_everything(0, workers=True)
    loaded = tiny(widget_dataset)
    module = SFTModule(loaded.model, loaded.processor, OptimizerSettings())
    losses = fit(module, data_module(widget_dataset, loaded.processor), 3)
    torch.testing.assert_close(torch.tensor(losses), torch.tensor(FROZEN_LOSSES), rtol=1e-4, atol=0)


def logged_losses(run_dir: Path) -> dict[int, float]:
    rows = csv.DictReader((run_dir / "csv" / "metrics.csv").open())
    return {int(row["step"]): float(row["train/loss"]) for row in rows if row.get("train/loss")}


@pytest.fixture
def restore_sigint() -> Iterator[None]:
    """Lightning ignores SIGINT after it handled a KeyboardInterrupt; give pytest its handler back."""
    previous = signal.getsignal(signal.SIGINT)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.slow
def test_interrupted_run_resumes_to_the_same_step_and_loss(
    widget_dataset: Path, tmp_path: Path, restore_sigint: None
) -> None:
    # 8 training records in batches of 2: 4 steps an epoch. The interruption falls in the second epoch,
    # so the resumed run must also restore which epoch's shuffle it was in.
    steps, interrupt_at = 6, 5
    base = [*tiny_overrides(widget_dataset, steps=steps), "callbacks=on_exception_checkpoint", "logger=csv",
            "trainer.limit_val_batches=0", "trainer.max_epochs=-1"]

    train(compose_train([*base, f"paths.output_dir={tmp_path / 'whole'}"]))
    whole = logged_losses(tmp_path / "whole")
    assert sorted(whole) == list(range(steps))

    with pytest.raises(SystemExit):  # Lightning saves on_exception.ckpt, then exits
        train(compose_train([*base, f"paths.output_dir={tmp_path / 'cut'}",
                             "+callbacks.interrupt._target_=training_runs.InterruptAt",
                             f"+callbacks.interrupt.step={interrupt_at}"]))
    saved = tmp_path / "cut" / "checkpoints" / "on_exception.ckpt"
    assert torch.load(saved, weights_only=False)["global_step"] == interrupt_at

    metrics = train(compose_train([*base, f"paths.output_dir={tmp_path / 'resumed'}", f"ckpt_path={saved}"]))
    resumed = logged_losses(tmp_path / "resumed")
    assert sorted(resumed) == list(range(interrupt_at, steps))  # it went on from the step it stopped at
    # Same batches in the same order with the same weights: the losses match the uninterrupted run's.
    for step, loss in resumed.items():
        assert loss == pytest.approx(whole[step], rel=1e-6), step
    assert metrics["train/loss"] == pytest.approx(whole[steps - 1], rel=1e-6)



@pytest.mark.slow
def test_a_fit_that_stops_before_validating_still_reports_the_optimized_metric(
    widget_dataset: Path, tmp_path: Path
) -> None:
    # 2 steps, validation only every 100 epochs: the fit never validates, yet a sweep needs val/loss.
    cfg = compose_train([*tiny_overrides(widget_dataset, steps=2), "callbacks=none", "logger=csv",
                         "trainer.check_val_every_n_epoch=100", "optimized_metric=val/loss",
                         f"paths.output_dir={tmp_path}"])
    metrics = train(cfg)
    assert torch.isfinite(torch.tensor(metrics["val/loss"]))
    assert metrics["val/loss"] > 0


@pytest.mark.slow
def test_the_exported_adapter_is_the_checkpoint_that_was_tested(widget_dataset: Path, tmp_path: Path) -> None:
    # validated every step; "best" is the highest val/loss (mode max), an early step, never the last one
    cfg = compose_train([*tiny_overrides(widget_dataset, steps=4), "experiment=sft_tiny", "logger=csv",
                         "callbacks=default", "callbacks.generation_samples=null", "callbacks.rich_progress_bar=null",
                         "trainer.val_check_interval=1", "trainer.check_val_every_n_epoch=null",
                         "callbacks.model_checkpoint.mode=max", "callbacks.model_checkpoint.every_n_train_steps=1",
                         "trainer.limit_test_batches=1", "test=true",
                         f"paths.output_dir={tmp_path}"])
    train(cfg)
    best = next(path for path in (tmp_path / "checkpoints").glob("epoch_*.ckpt"))
    tested = torch.load(best, weights_only=False)["state_dict"]
    last = torch.load(tmp_path / "checkpoints" / "last.ckpt", weights_only=False)["state_dict"]
    exported = load_file(tmp_path / "adapter" / "model.safetensors")
    name = next(key for key in tested if not torch.equal(tested[key], last[key]))  # best is not the last
    assert torch.equal(exported[name.removeprefix("model.")], tested[name])


def test_epoch_shuffle_resumes_later_epochs_exactly_and_shards_over_ranks() -> None:
    """A loader restored from any mid-epoch state gives the rest of the run an uninterrupted one gives."""

    def loader(replicas: int = 1, rank: int = 0) -> StatefulDataLoader:
        items = list(range(12))
        return StatefulDataLoader(items, batch_size=2, sampler=EpochShuffle(items, replicas, rank, seed=7))

    def epoch(batches: StatefulDataLoader | Iterator) -> list[int]:
        return [i for batch in batches for i in batch.tolist()]

    uninterrupted = loader()
    whole = [epoch(uninterrupted) for _ in range(3)]
    assert len({tuple(e) for e in whole}) == 3 and all(sorted(e) == list(range(12)) for e in whole)
    for done_epochs, batches in [(0, 2), (1, 1), (1, 5), (2, 3)]:
        first = loader()
        for _ in range(done_epochs):
            epoch(first)
        iterator = iter(first)
        seen = [i for _ in range(batches) for i in next(iterator).tolist()]
        resumed = loader()
        resumed.load_state_dict(first.state_dict())
        rest = [seen + epoch(resumed)] + [epoch(resumed) for _ in range(2 - done_epochs)]
        assert rest == whole[done_epochs:], (done_epochs, batches)

    shards = [epoch(loader(2, rank)) for rank in (0, 1)]
    assert sorted(shards[0] + shards[1]) == list(range(12))  # each rank its half, together everything
