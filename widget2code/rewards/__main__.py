"""Score candidate images against a reference from the command line.

    python -m widget2code.rewards REF.png CAND.png [CAND2.png ...] [reward=<name>] [hydra overrides]

`reward=<name>` picks conf/reward/<name>.yaml (default: programmatic); further overrides address its
fields under `reward.`, e.g. `reward.working_size=512 reward.allow_random_backbone=true`. Prints one
JSON line per candidate: the candidate path, the total, every component and the error kind.
The config directory is the repository's conf/, or $WIDGET2CODE_CONF_DIR when set.
Exit status: 0 on success, 2 on bad usage (missing/unreadable image, unknown reward, bad override, an
API key the reward needs but is not set), 1 when model weights the reward needs are not on disk.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image, UnidentifiedImageError

if TYPE_CHECKING:
    from widget2code.rewards.base import Reward

USAGE = ("usage: python -m widget2code.rewards REF.png CAND.png [CAND2.png ...] [reward=<name>] "
         "[reward.<field>=<value> ...]")
CONF_ENV = "WIDGET2CODE_CONF_DIR"


class UsageError(ValueError):
    """Bad command-line input; reported with exit status 2."""


def conf_dir() -> Path:
    """$WIDGET2CODE_CONF_DIR, else the repository's conf/ next to the package."""
    path = Path(os.environ.get(CONF_ENV) or Path(__file__).resolve().parents[2] / "conf")
    if not (path / "reward").is_dir():
        raise UsageError(f"no reward configs under {path}/reward; set {CONF_ENV} to the repository's conf/")
    return path


def split_args(argv: Sequence[str]) -> tuple[list[str], str, list[str]]:
    """(image paths, reward name, other overrides). Anything with '=' or a leading +/~ is an override."""
    paths, overrides, name = [], [], "programmatic"
    for arg in argv:
        if arg.startswith("reward="):
            name = arg.split("=", 1)[1]
        elif "=" in arg or arg.startswith(("+", "~")):
            overrides.append(arg)
        else:
            paths.append(arg)
    if len(paths) < 2:
        raise UsageError(f"need a reference image and at least one candidate image\n{USAGE}")
    return paths, name, overrides


def load_image(path: str) -> Image.Image:
    try:
        with Image.open(path) as img:
            img.load()
            return img.copy()
    except FileNotFoundError as exc:
        raise UsageError(f"no such image file: {path}") from exc
    except (UnidentifiedImageError, OSError) as exc:
        raise UsageError(f"cannot read {path} as an image: {exc}") from exc


def build_reward(name: str, overrides: list[str]) -> Reward:
    """Compose conf/reward/<name>.yaml with the overrides (Hydra's compose API) and instantiate it."""
    from hydra import compose, initialize_config_dir
    from hydra.errors import HydraException
    from hydra.utils import instantiate
    from omegaconf.errors import OmegaConfBaseException

    root = conf_dir()
    available = sorted(p.stem for p in (root / "reward").glob("*.yaml"))
    if name not in available:
        raise UsageError(f"unknown reward {name!r}; available: {', '.join(available)}")
    try:
        with initialize_config_dir(version_base=None, config_dir=str(root)):
            cfg = compose(overrides=[f"+reward={name}", *overrides])
        return instantiate(cfg.reward)
    except (HydraException, OmegaConfBaseException) as exc:
        raise UsageError(f"bad config for reward {name!r}: {exc}") from exc


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(__doc__.strip() if args else USAGE, file=sys.stdout if args else sys.stderr)
        return 0 if args else 2
    try:
        paths, name, overrides = split_args(args)
        images = [load_image(p) for p in paths]
        reward = build_reward(name, overrides)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    # Imported here, not at the top, so that bad usage is reported before torch is loaded.
    from widget2code.llm import LLMConfigError
    from widget2code.rewards.clip import ClipModelUnavailable
    from widget2code.rewards.lpips_net import LpipsWeightsMissing

    reference, candidates = images[0], images[1:]
    try:
        with reward:  # closes what scoring started (the format reward's compile worker, a judge's client)
            output = reward.score([reference] * len(candidates), candidates)
    except LLMConfigError as exc:  # e.g. a VLM judge without its API key: bad usage, nothing was sent
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (LpipsWeightsMissing, ClipModelUnavailable) as exc:  # weights not on disk: a setup problem
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for path, row in zip(paths[1:], output.rows(), strict=True):
        print(json.dumps({"candidate": path, **row}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
