"""Build a dataset: `python scripts/build_data.py [data_source=synthetic] [num_samples=200] [key=value ...]`.

The stages and their settings are in conf/data_pipeline.yaml; see widget2code/data/pipeline.py.
"""

from __future__ import annotations

import hydra
from omegaconf import DictConfig

from widget2code.data.manifest import ManifestError
from widget2code.data.pipeline import PipelineConfigError, run
from widget2code.entry import run_entry
from widget2code.llm import LLMConfigError


@hydra.main(version_base="1.3", config_path="../conf", config_name="data_pipeline")
def main(cfg: DictConfig) -> None:
    run_entry(lambda: run(cfg),
              interrupted="finished records are kept; run the same command again to resume",
              user_errors=(PipelineConfigError, ManifestError, LLMConfigError))


if __name__ == "__main__":
    main()
