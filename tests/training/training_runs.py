"""What the training tests share: the overrides that make a run tiny, a composed config, an interrupting callback."""

from __future__ import annotations

from pathlib import Path

from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from lightning import Callback, LightningModule, Trainer
from omegaconf import DictConfig

CONF = Path(__file__).resolve().parents[2] / "conf"
#: The prompt alone is about 225 tokens (instructions + 16 image tokens): this leaves ~30 target tokens.
MAX_LENGTH = 256


def tiny_overrides(dataset_dir: Path, *, steps: int = 2, batch_size: int = 2) -> list[str]:
    """A tiny GLM-4V run on the test dataset: few short steps, one validation batch, no test, no building."""
    return [
        f"data.dataset_dir={dataset_dir}",
        "data_build=null",
        f"data.max_length={MAX_LENGTH}",
        f"data.batch_size={batch_size}",
        "model.preset=tiny",
        f"trainer.max_steps={steps}",
        "trainer.log_every_n_steps=1",
        "trainer.limit_val_batches=1",
        "trainer.enable_progress_bar=false",
        "test=false",
    ]


def compose_train(overrides: list[str]) -> DictConfig:
    """conf/train.yaml composed in-process as `scripts/train.py` would, with these overrides."""
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(str(CONF), version_base="1.3"):
            return compose("train", overrides=overrides)
    finally:
        GlobalHydra.instance().clear()


class InterruptAt(Callback):
    """Raises KeyboardInterrupt after optimizer step `step`, as a Ctrl-C between two steps would."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_train_batch_end(self, trainer: Trainer, pl_module: LightningModule, outputs: object, batch: object,
                           batch_idx: int) -> None:
        if trainer.global_step == self.step:
            raise KeyboardInterrupt
