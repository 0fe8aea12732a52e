"""W&B around a training run: whether the configured logger can log (checked before the run starts),
and ending its W&B run when the training ends.

Without credentials, `wandb.init` raises `UsageError: No API key configured` when the logger first
starts, after the data and the model are ready (once per trial of a sweep), or prompts on a terminal.
`train(cfg)` asks first, so such a run ends at once in one line that says what to do. Nothing here
contacts the network: credentials are looked up (`WANDB_API_KEY`, the netrc file, wandb's settings),
not verified.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

from lightning.pytorch.loggers import Logger, WandbLogger

#: wandb modes that need no login
NO_LOGIN_MODES = ("offline", "dryrun", "disabled")


def wandb_login_problem(loggers: Mapping[str, Any] | None) -> str | None:
    """What stops the W&B logger among `loggers` (cfg.logger) from logging, or None when nothing does."""
    online = [name for name, entry in (loggers or {}).items()
              if entry and str(entry.get("_target_", "")).endswith("WandbLogger")
              and not entry.get("offline") and entry.get("mode") not in NO_LOGIN_MODES]
    if not online or os.environ.get("WANDB_MODE") in NO_LOGIN_MODES:
        return None
    import wandb  # only for runs that log to W&B

    # wandb's own settings: the environment and `wandb offline` (its settings file) included. Silent,
    # because a login that finds a key then asks the server for the user's name to print it (DNS and
    # HTTP: on a machine with no network that stalled for minutes); torn down after, so the run itself
    # sets wandb up again with the user's own settings.
    settings = wandb.setup(settings=wandb.Settings(silent=True)).settings
    try:
        if settings.mode in NO_LOGIN_MODES or wandb.login(prompt=False, verify=False):
            return None
    finally:
        wandb.teardown()
    return (f"logger.{online[0]} logs to W&B, which needs a login, and none was found (no WANDB_API_KEY, "
            f"no netrc entry): run `wandb login`, or log offline with logger.{online[0]}.offline=true "
            "or WANDB_MODE=offline")


def finish_wandb_runs(loggers: Iterable[Logger]) -> None:
    """End the W&B run of each WandbLogger. Lightning leaves it open, and the next `train(cfg)` in this
    process (a sweep's next trial, a chained stage, a demo stage) would log into it (Lightning warns
    "There is a wandb run already in progress ... will reuse this run")."""
    for logger in loggers:
        if isinstance(logger, WandbLogger):
            logger.experiment.finish()  # on ranks other than 0 a no-op stand-in
