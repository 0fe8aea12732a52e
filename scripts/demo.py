"""`make demo`: python scripts/demo.py [pipeline.num_samples=48] [showcase=8] (see conf/demo.yaml)."""

from __future__ import annotations

import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from widget2code.demo import run


@hydra.main(version_base="1.3", config_path="../conf", config_name="demo")
def main(cfg: DictConfig) -> None:
    try:
        run(cfg, Path(HydraConfig.get().runtime.output_dir))
    except KeyboardInterrupt:
        print("interrupted: the data built so far is kept under the run directory", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
