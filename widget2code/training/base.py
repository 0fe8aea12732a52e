"""What every training module shares: the policy model, AdamW, lean checkpoints, memory figures.

Checkpoints hold the trainable parameters only (with the optimizer, scheduler and loop state for an
exact resume): for LoRA on a 9B model that is megabytes, not the 18 GB base, which the config reloads.
Each checkpoint also records what it was trained from (model, adapter method, the trainable names),
so resuming from another experiment's checkpoint fails with a message instead of a silent mismatch.
"""

from __future__ import annotations

import hashlib
import resource
import sys
from typing import Any

import torch
from lightning import LightningModule
from transformers import PreTrainedModel, ProcessorMixin

from widget2code.training.optim import OptimizerSettings, configure_adamw
from widget2code.training.strategies import clean_name

IDENTITY_KEY = "widget2code_identity"


class CheckpointMismatchError(ValueError):
    """A checkpoint was saved by a run of another model or adapter layout than this one."""


def peak_memory_mb() -> float:
    """Peak accelerator memory when on CUDA, else the process's peak resident memory."""
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        return torch.cuda.max_memory_allocated() / 2**20
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


class PolicyModule(LightningModule):
    """Base of the SFT and GRPO modules: holds `model` (adapters attached) and its `processor`.

    Subclasses set `data_mode` (the batches they take from `WidgetDataModule`) and `needs_reference`
    (whether the adapters layer must keep a frozen reference policy).
    """

    data_mode: str = ""
    needs_reference: bool = False

    def __init__(self, model: PreTrainedModel, processor: ProcessorMixin, optimizer: OptimizerSettings,
                 mode: str | None = None) -> None:
        super().__init__()
        if mode is not None and mode != self.data_mode:
            raise ValueError(f"{type(self).__name__} trains on {self.data_mode!r} batches, got mode={mode!r}")
        self.model = model
        self.processor = processor
        self.optimizer_settings = optimizer
        # Frozen base weights are not in our checkpoints, so loading one must not demand them.
        self.strict_loading = False

    def on_fit_start(self) -> None:
        """`from_pretrained` (and transformers' constructors) leave models in eval mode; Lightning keeps the
        modes it finds, so training would run without dropout. Train mode here; validation switches back."""
        self.model.train()

    # ---- optimisation
    def configure_optimizers(self) -> dict[str, Any]:
        return configure_adamw(self.model, self.optimizer_settings, self.total_optimizer_steps())

    def total_optimizer_steps(self) -> int:
        return int(self.trainer.estimated_stepping_batches)

    # ---- checkpoints
    def trainable_names(self) -> list[str]:
        """State-dict keys of what trains, the same whether the model is wrapped (FSDP units) or not."""
        return [f"model.{clean_name(name)}" for name, p in self.model.named_parameters() if p.requires_grad]

    def identity(self) -> dict[str, Any]:
        names = self.trainable_names()
        return {
            "module": type(self).__name__,
            "model_type": getattr(self.model.config, "model_type", None),
            "name_or_path": getattr(self.model.config, "_name_or_path", None),
            "trainable": len(names),
            "trainable_digest": hashlib.sha256("\n".join(names).encode()).hexdigest()[:16],
        }

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        keep = set(self.trainable_names())
        checkpoint["state_dict"] = {k: v for k, v in checkpoint["state_dict"].items() if k in keep}
        checkpoint[IDENTITY_KEY] = self.identity()

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        saved, mine = checkpoint.get(IDENTITY_KEY), self.identity()
        if saved is None:
            raise CheckpointMismatchError("the checkpoint was not written by a widget2code training run")
        differs = {k: (saved.get(k), v) for k, v in mine.items() if k != "module" and saved.get(k) != v}
        if differs:
            shown = "; ".join(f"{k}: checkpoint {a!r}, this run {b!r}" for k, (a, b) in differs.items())
            raise CheckpointMismatchError(
                f"the checkpoint comes from another experiment ({shown}); resume with the same experiment "
                "and overrides that wrote it, or start without ckpt_path"
            )

    # ---- logging helpers
    def log_memory(self) -> None:
        """The largest peak over the ranks (one all-reduce under DDP/FSDP)."""
        self.log("perf/peak_mem_mb", peak_memory_mb(), sync_dist=True, reduce_fx="max")
