"""Supervised fine-tuning: cross-entropy on the completion tokens only.

`WidgetDataModule(mode="sft")` already masks the labels (-100 on the prompt, the image tokens and
padding), so the loss is the model's own `model(**batch).loss`. Token accuracy counts the same
positions: the argmax at position t predicts label t + 1 wherever that label is not masked.
"""

from __future__ import annotations

import time
from typing import Any

import torch
from torchmetrics import MeanMetric
from transformers import PreTrainedModel, ProcessorMixin

from widget2code.models.chat import IGNORE_INDEX
from widget2code.training.base import PolicyModule
from widget2code.training.optim import OptimizerSettings


def token_accuracy(logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, int]:
    """Share of unmasked next-token labels the argmax gets right, and how many were counted."""
    predicted = logits[:, :-1].argmax(dim=-1)  # [B, L-1]
    target = labels[:, 1:]  # [B, L-1]
    counted = target != IGNORE_INDEX
    n = int(counted.sum())
    if n == 0:
        return logits.new_zeros(()), 0
    return (predicted[counted] == target[counted]).float().mean(), n


class SFTModule(PolicyModule):
    """Trains the policy on `<think>…</think><code>…</code>` targets (see the module docstring)."""

    data_mode = "sft"
    needs_reference = False

    def __init__(self, model: PreTrainedModel, processor: ProcessorMixin,
                 optimizer: OptimizerSettings | None = None, mode: str | None = "sft") -> None:
        super().__init__(model, processor, optimizer or OptimizerSettings(), mode)
        self.train_accuracy, self.val_accuracy, self.test_accuracy = MeanMetric(), MeanMetric(), MeanMetric()
        self.val_loss, self.test_loss = MeanMetric(), MeanMetric()
        self._step_started: float | None = None

    def forward(self, batch: dict[str, torch.Tensor]) -> Any:
        return self.model(**batch)

    def _loss_and_accuracy(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor, int]:
        output = self(batch)
        accuracy, counted = token_accuracy(output.logits.detach(), batch["labels"])
        return output.loss, accuracy, counted

    def on_train_batch_start(self, batch: Any, batch_idx: int) -> None:
        self._step_started = time.perf_counter()

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        loss, accuracy, counted = self._loss_and_accuracy(batch)
        batch_size = batch["input_ids"].shape[0]
        # forward (not update): Lightning logs a metric object on_step from the value forward returns
        self.train_accuracy(accuracy, weight=max(counted, 1))
        self.log("train/loss", loss, prog_bar=True, batch_size=batch_size)
        self.log("train/token_acc", self.train_accuracy, on_step=True, on_epoch=False, batch_size=batch_size)
        return loss

    def on_train_batch_end(self, outputs: Any, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        """Tokens per second of the whole step: forward, backward and the optimizer."""
        if self._step_started is not None:
            seconds = time.perf_counter() - self._step_started
            tokens = int(batch["attention_mask"].sum())
            self.log("perf/tokens_per_s", tokens / max(seconds, 1e-9), batch_size=batch["input_ids"].shape[0])

    def on_train_epoch_end(self) -> None:
        self.log_memory()

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        loss, accuracy, counted = self._loss_and_accuracy(batch)
        self.val_loss.update(loss, weight=max(counted, 1))
        self.val_accuracy.update(accuracy, weight=max(counted, 1))
        self.log("val/loss", self.val_loss, prog_bar=True, batch_size=batch["input_ids"].shape[0])
        self.log("val/token_acc", self.val_accuracy, batch_size=batch["input_ids"].shape[0])

    def test_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        loss, accuracy, counted = self._loss_and_accuracy(batch)
        self.test_loss.update(loss, weight=max(counted, 1))
        self.test_accuracy.update(accuracy, weight=max(counted, 1))
        self.log("test/loss", self.test_loss, batch_size=batch["input_ids"].shape[0])
        self.log("test/token_acc", self.test_accuracy, batch_size=batch["input_ids"].shape[0])
