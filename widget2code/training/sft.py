"""Supervised fine-tuning: cross-entropy on the completion tokens only.

`WidgetDataModule(mode="sft")` already masks the labels (-100 on the prompt, the image tokens and
padding), so the loss is the model's own cross-entropy. Token accuracy counts the same positions: the
argmax at position t predicts label t + 1 wherever that label is not masked.

Under data parallelism (DDP, FSDP, DeepSpeed) a training step's loss is the mean over the completion
tokens of every rank's batch, not of this rank's: each rank sums its tokens' losses and divides by the
global count (one all-reduce of the counts), times the world size because the strategies average
gradients over ranks. Two ranks with batches of 2 then compute the update one process computes on the
same 4 samples, whatever their lengths (a per-rank mean would weigh a short sample's tokens more).
`train/loss` and `train/token_acc` are that global mean; validation metrics are torchmetrics, which
sum over ranks before they compute.
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


def correct_tokens(logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """How many unmasked next-token labels the argmax gets right, and how many there are (float tensors)."""
    predicted = logits[:, :-1].argmax(dim=-1)  # [B, L-1]
    target = labels[:, 1:]  # [B, L-1]
    counted = target != IGNORE_INDEX
    return (predicted[counted] == target[counted]).sum().float(), counted.sum().float()


def token_accuracy(logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, int]:
    """Share of unmasked next-token labels the argmax gets right, and how many were counted."""
    correct, counted = correct_tokens(logits, labels)
    n = int(counted)
    return (correct / n if n else logits.new_zeros(())), n


class SFTModule(PolicyModule):
    """Trains the policy on `<think>…</think><code>…</code>` targets (see the module docstring)."""

    data_mode = "sft"
    needs_reference = False

    def __init__(self, model: PreTrainedModel, processor: ProcessorMixin,
                 optimizer: OptimizerSettings | None = None, mode: str | None = "sft") -> None:
        super().__init__(model, processor, optimizer or OptimizerSettings(), mode)
        self.val_accuracy, self.test_accuracy = MeanMetric(), MeanMetric()
        self.val_loss, self.test_loss = MeanMetric(), MeanMetric()
        self._step_started: float | None = None
        self._step_tokens = 0.0  # every rank's attention tokens in the current step

    def forward(self, batch: dict[str, torch.Tensor]) -> Any:
        return self.model(**batch)

    def _loss_and_accuracy(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor, int]:
        output = self(batch)
        accuracy, counted = token_accuracy(output.logits.detach(), batch["labels"])
        return output.loss, accuracy, counted

    def on_train_batch_start(self, batch: Any, batch_idx: int) -> None:
        self._step_started = time.perf_counter()

    def _sum_over_ranks(self, values: torch.Tensor) -> torch.Tensor:
        return self.trainer.strategy.reduce(values, reduce_op="sum")

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        labels = batch["labels"]
        local = torch.stack([(labels[:, 1:] != IGNORE_INDEX).sum(), batch["attention_mask"].sum()]).float()
        targets, self._step_tokens = self._sum_over_ranks(local).tolist()
        # the sum of this rank's token losses over every rank's token count (see the module docstring)
        output = self.model(**batch, num_items_in_batch=torch.tensor(max(targets, 1.0), device=labels.device))
        correct, _ = correct_tokens(output.logits.detach(), labels)
        loss_share, correct = self._sum_over_ranks(torch.stack([output.loss.detach(), correct])).tolist()
        batch_size = batch["input_ids"].shape[0]
        self.log("train/loss", loss_share, prog_bar=True, batch_size=batch_size)
        self.log("train/token_acc", correct / max(targets, 1.0), batch_size=batch_size)
        return output.loss * self.trainer.world_size

    def on_train_batch_end(self, outputs: Any, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        """Tokens per second of the whole step over every rank: forward, backward and the optimizer."""
        if self._step_started is not None:
            seconds = time.perf_counter() - self._step_started
            self.log("perf/tokens_per_s", self._step_tokens / max(seconds, 1e-9),
                     batch_size=batch["input_ids"].shape[0])

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
