"""Screenshots to TSX: `python scripts/infer.py input=IMAGE_OR_FOLDER [predictor.mode=best_of_n] [...]`.

See conf/infer.yaml for the options and widget2code/inference/cli.py for what is written.
Exit status: 0 done, 2 bad input, 1 missing reward weights, 130 interrupted (finished images kept).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import hydra
from omegaconf import DictConfig

from widget2code.inference.inputs import InferInputError, find_images


def fail(err: BaseException, status: int) -> NoReturn:
    print(f"error: {type(err).__name__}: {err}", file=sys.stderr)
    sys.exit(status)


@hydra.main(version_base="1.3", config_path="../conf", config_name="infer")
def main(cfg: DictConfig) -> None:
    try:
        images = find_images(cfg.input)
    except InferInputError as err:
        fail(err, 2)
    # Imported after the input check, so that a typo is reported before torch and the model stack load.
    from widget2code.inference.cli import InferenceRun, exit_status

    run = InferenceRun(cfg, Path(cfg.out_dir))
    try:
        run.run(images)
    except KeyboardInterrupt:
        print(f"\ninterrupted: {run.note()}", file=sys.stderr)
        sys.exit(130)
    except Exception as err:
        status = exit_status(err)
        if status is None:
            raise
        fail(status[1], status[0])


if __name__ == "__main__":
    main()
