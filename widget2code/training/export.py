"""The adapter export at the end of training, under every strategy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lightning import Callback, LightningModule, Trainer

from widget2code.models.adapters import save_adapter
from widget2code.training.strategies import full_model_state, names_without_wrappers


class AdapterExport(Callback):
    """Save what trained, in Hugging Face format with the processor, when training ends (rank 0 writes).

    `<dirpath>/adapter` is what inference and GRPO start from (`model.adapter_path=...`); for a model
    trained without adapters it is the whole model (`model.model_name_or_path=...`). Under FSDP every
    rank first takes part in gathering the shards (`strategies.full_model_state`).
    """

    def __init__(self, dirpath: str) -> None:
        self.dirpath = Path(dirpath)
        self.saved: Path | None = None
        self.exported = False  # on every rank (only rank 0 has `saved`)

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.export_from_every_rank(trainer, pl_module)

    def export_from_every_rank(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """Every rank calls this: under FSDP gathering the shards is a collective; rank 0 writes."""
        state = full_model_state(pl_module)
        if trainer.is_global_zero:
            self.export(pl_module, state)
        self.exported = True

    def export(self, pl_module: LightningModule, state_dict: dict[str, Any] | None = None) -> Path:
        with names_without_wrappers(pl_module.model):  # the gathered state dict's names
            self.saved = save_adapter(pl_module.model, pl_module.processor, self.dirpath / "adapter", state_dict)
        return self.saved

    def state_dict(self) -> dict[str, Any]:
        return {}
