"""Build a dataset: `python scripts/build_data.py [data_source=synthetic] [num_samples=200] [key=value ...]`.

The stages and their settings are in conf/data_pipeline.yaml; see widget2code/data/pipeline.py.
"""

from __future__ import annotations

import sys

import hydra
from omegaconf import DictConfig

from widget2code.data.pipeline import run


@hydra.main(version_base="1.3", config_path="../conf", config_name="data_pipeline")
def main(cfg: DictConfig) -> None:
    try:
        run(cfg)
    except KeyboardInterrupt:
        print("interrupted: finished records are kept; run the same command again to resume", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
