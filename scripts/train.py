"""Train: `python scripts/train.py experiment=sft_tiny [key=value ...]`; `-m` for sweeps (see README)."""

from __future__ import annotations

from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from widget2code.entry import run_entry
from widget2code.training.errors import USER_ERRORS
from widget2code.training.run import train_stages


@hydra.main(version_base="1.3", config_path="../conf", config_name="train")
def main(cfg: DictConfig) -> float | None:
    run_dir = Path(cfg.paths.output_dir)  # where the checkpoints go (Hydra's run directory unless overridden)
    saved = run_dir / "checkpoints" / "on_exception.ckpt"

    def resume() -> str:
        if saved.is_file():
            return f"the run directory is {run_dir}; resume with the same command plus ckpt_path={saved}"
        return f"the run directory is {run_dir}; it stopped before training saved a checkpoint: run it again"

    command_line = list(HydraConfig.get().overrides.task)
    metrics = run_entry(lambda: train_stages(cfg, command_line), interrupted=resume, user_errors=USER_ERRORS)
    return metrics.get(cfg.get("optimized_metric"))


if __name__ == "__main__":
    main()
