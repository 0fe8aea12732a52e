"""`make demo`: python scripts/demo.py [pipeline.num_samples=480] (see conf/demo.yaml)."""

from __future__ import annotations

from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from widget2code.data.pipeline import PipelineConfigError
from widget2code.demo import run
from widget2code.entry import run_entry
from widget2code.training.errors import USER_ERRORS


@hydra.main(version_base="1.3", config_path="../conf", config_name="demo")
def main(cfg: DictConfig) -> None:
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    run_entry(lambda: run(cfg, run_dir),
              interrupted=f"what finished is kept under {run_dir} (data, each stage's checkpoints and export); "
                          f"the same command with hydra.run.dir={run_dir} goes on after the last finished stage",
              user_errors=(*USER_ERRORS, PipelineConfigError))


if __name__ == "__main__":
    main()
