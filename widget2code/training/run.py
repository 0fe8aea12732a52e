"""`train(cfg)`: the one training recipe behind `scripts/train.py`, every experiment and the demo.

seed → dataset (built when missing and `data_build` says how) → model → adapters → data module (with
the model's processor) → module → callbacks → loggers → Trainer → fit → test → metrics. Only this
function and the entry points see the whole config; every object is built by `hydra.utils.instantiate`
from its own group.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import lightning as L
import torch
from hydra import compose
from hydra.utils import get_class, instantiate
from lightning import Callback, LightningDataModule, Trainer
from lightning.pytorch.callbacks import ProgressBar
from lightning.pytorch.loggers import Logger
from omegaconf import DictConfig, OmegaConf

from widget2code.banner import training_banner
from widget2code.data.manifest import MANIFEST
from widget2code.data.pipeline import run as build_dataset
from widget2code.models.adapters import attach_adapters
from widget2code.models.factory import LoadedModel
from widget2code.training.base import PolicyModule
from widget2code.training.callbacks import AdapterExport
from widget2code.training.wandb_login import finish_wandb_runs, wandb_login_problem

log = logging.getLogger(__name__)


class TrainConfigError(ValueError):
    """The training config cannot run as given (a missing dataset, a bad checkpoint path, ...)."""


def ensure_dataset(cfg: DictConfig) -> Path:
    """The dataset directory, built by the data pipeline first when it is missing and `data_build` is set."""
    dataset_dir = Path(cfg.data.dataset_dir)
    if (dataset_dir / MANIFEST).is_file():
        log.info("dataset: %s (found)", dataset_dir)
        return dataset_dir
    if cfg.get("data_build") is None:
        raise TrainConfigError(
            f"no dataset at {dataset_dir} (no {MANIFEST}): build one with `make data` or "
            f"`python scripts/build_data.py out_dir={dataset_dir}`, or set data.dataset_dir to an existing one"
        )
    log.warning("dataset: %s is missing; building the default (%d synthetic widgets) there first",
                dataset_dir, cfg.data_build.num_samples)
    build_dataset(cfg.data_build)
    return dataset_dir


def instantiate_list(group: DictConfig | None, **kwargs: Any) -> list[Any]:
    """Objects of a group whose entries each have a `_target_` (callbacks, loggers); null entries are off."""
    if not group:
        return []
    return [instantiate(entry, **kwargs) for entry in group.values() if entry and "_target_" in entry]


def build_model(cfg: DictConfig, module_class: type[PolicyModule]) -> LoadedModel:
    loaded: LoadedModel = instantiate(cfg.model)
    model = attach_adapters(loaded.model, instantiate(cfg.peft), adapter_path=loaded.adapter_path,
                            reference=module_class.needs_reference)
    return loaded._replace(model=model)


def checkpoint_path(cfg: DictConfig) -> str | None:
    path = cfg.get("ckpt_path")
    if path is not None and not Path(path).is_file():
        raise TrainConfigError(f"ckpt_path={path} is not a file: give a .ckpt a training run wrote "
                               "(<run dir>/checkpoints/last.ckpt)")
    return path


def train(cfg: DictConfig) -> dict[str, float]:
    """Run the configured training; returns the final metrics (train, val and test) as floats."""
    if problem := wandb_login_problem(cfg.get("logger")):
        raise TrainConfigError(problem)
    print(training_banner(cfg), flush=True)
    if cfg.get("seed") is not None:
        L.seed_everything(cfg.seed, workers=True)
    ckpt_path = checkpoint_path(cfg)
    ensure_dataset(cfg)
    module_class = get_class(cfg.module._target_)
    loaded = build_model(cfg, module_class)
    datamodule: LightningDataModule = instantiate(cfg.data, processor=loaded.processor)
    module: PolicyModule = instantiate(cfg.module, model=loaded.model, processor=loaded.processor)
    callbacks: list[Callback] = instantiate_list(cfg.get("callbacks"))
    if not cfg.trainer.get("enable_progress_bar", True):  # else Lightning refuses a progress bar callback
        callbacks = [callback for callback in callbacks if not isinstance(callback, ProgressBar)]
    loggers: list[Logger] = instantiate_list(cfg.get("logger"))
    trainer: Trainer = instantiate(cfg.trainer, callbacks=callbacks, logger=loggers or False)
    config = OmegaConf.to_container(cfg, resolve=True)
    for logger in loggers:
        logger.log_hyperparams(config)

    if cfg.get("train", True):
        trainer.fit(module, datamodule=datamodule, ckpt_path=ckpt_path)
        for callback in callbacks:
            # A fit restored from a checkpoint whose stop condition was already met ends before
            # `on_train_end`: export anyway, so every finished run leaves its model behind.
            if isinstance(callback, AdapterExport) and not callback.exported:
                callback.export_from_every_rank(trainer, module)
    metrics = scalar_metrics(trainer)
    wanted = cfg.get("optimized_metric")
    if cfg.get("train", True) and wanted and wanted not in metrics and trainer.limit_val_batches != 0:
        # A fit that ends (max_steps, max_time) before its first validation never computed the metric a
        # sweep optimises: validate the final model once rather than hand the sweeper nothing.
        log.info("%s was not computed during the fit: validating the final model once", wanted)
        trainer.validate(module, datamodule=datamodule, verbose=False)
        metrics |= scalar_metrics(trainer)
    if cfg.get("test", False):
        best = getattr(trainer.checkpoint_callback, "best_model_path", "") or None
        trainer.test(module, datamodule=datamodule, ckpt_path=best if cfg.get("train", True) else ckpt_path)
        metrics |= scalar_metrics(trainer)
        if best and cfg.get("train", True):
            # the next stage starts from adapter/: the model just tested, not the last weights nobody validated
            log.info("adapter/ holds the best checkpoint (%s), the one tested", Path(best).name)
            for callback in callbacks:
                if isinstance(callback, AdapterExport):
                    callback.export_from_every_rank(trainer, module)
    finish_wandb_runs(loggers)
    return metrics


def scalar_metrics(trainer: Trainer) -> dict[str, float]:
    return {name: float(value) for name, value in trainer.callback_metrics.items()
            if isinstance(value, torch.Tensor | float | int)}


def next_stage_overrides(then: list[str], command_line: list[str], run_dir: Path) -> list[str]:
    """The next stage's overrides: the command line's (less the experiment), then the stage's own with
    `{export}` and `{run_dir}` filled in, writing under `<run_dir>/stage<N>`."""
    kept = [o for o in command_line if not o.lstrip("+~").startswith(("experiment=", "ckpt_path="))]
    own = [o.format(export=run_dir / "adapter", run_dir=run_dir) for o in then]
    stage = run_dir / f"stage-{own[0].split('=', 1)[-1] if own else 'next'}"
    return [*kept, *own, f"paths.output_dir={stage}"]


def train_stages(cfg: DictConfig, command_line: list[str], config_name: str = "train") -> dict[str, float]:
    """`train(cfg)`, then each stage that `cfg.then` chains (SFT → GRPO), each from the last one's export.

    Returns the last stage's metrics. Must run inside a Hydra app (it composes the next config)."""
    metrics = train(cfg)
    then = cfg.get("then")
    while then:
        overrides = next_stage_overrides(list(then), command_line, Path(cfg.paths.output_dir))
        log.info("next stage: %s", " ".join(overrides))
        cfg = compose(config_name=config_name, overrides=overrides)
        metrics = train(cfg)
        then = cfg.get("then")
    return metrics
