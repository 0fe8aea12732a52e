"""Screenshots to TSX: `python scripts/infer.py input=IMAGE_OR_FOLDER [predictor.mode=best_of_n] [...]`.

See conf/infer.yaml for the options and widget2code/inference/cli.py for what is written.
Exit status: 0 done, 2 bad input, 1 missing reward weights, 130 interrupted (finished images kept).
"""

from __future__ import annotations

from pathlib import Path

import hydra
from omegaconf import DictConfig

from widget2code.entry import run_entry
from widget2code.inference.inputs import InferInputError, find_images


@hydra.main(version_base="1.3", config_path="../conf", config_name="infer")
def main(cfg: DictConfig) -> None:
    # Inputs first, so that a typo is reported before torch and the model stack load.
    images = run_entry(lambda: find_images(cfg.input), interrupted="nothing was written",
                       user_errors=(InferInputError,))
    from widget2code.inference.cli import SETUP_ERRORS, USAGE_ERRORS, InferenceRun

    run = InferenceRun(cfg, Path(cfg.out_dir))
    run_entry(lambda: run.run(images), interrupted=run.note, user_errors=USAGE_ERRORS, setup_errors=SETUP_ERRORS)


if __name__ == "__main__":
    main()
