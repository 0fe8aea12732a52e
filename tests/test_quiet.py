"""Third-party noise is dropped where it starts; the same libraries' other lines, and our own calls, still show."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import torch
from lightning import Trainer
from lightning.pytorch.callbacks import OnExceptionCheckpoint
from lightning.pytorch.demos.boring_classes import BoringModel, RandomDataset
from lightning.pytorch.loggers import CSVLogger
from lightning_utilities.core import rank_zero
from torchdata.stateful_dataloader import StatefulDataLoader

from widget2code.quiet import quiet_third_party

PACKAGE = Path(__file__).resolve().parents[1] / "widget2code"


@contextmanager
def messages(logger: logging.Logger, level: int = logging.INFO) -> Iterator[list[str]]:
    """What reaches the handlers of `logger` (its filters apply first)."""
    seen: list[str] = []
    handler = logging.Handler(level)
    handler.emit = lambda record: seen.append(record.getMessage())  # type: ignore[method-assign]
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(level)
    try:
        yield seen
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


@pytest.fixture
def caught() -> Iterator[list[warnings.WarningMessage]]:
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        quiet_third_party()  # pytest resets the warning filters for each test
        yield records


def texts(records: list[warnings.WarningMessage]) -> str:
    return "\n".join(str(record.message) for record in records)


def test_a_fit_shows_lightnings_lines_but_not_its_tips_or_third_party_deprecations(
    caught: list[warnings.WarningMessage], tmp_path: Path
) -> None:
    # A real fit: an OnExceptionCheckpoint (as callbacks/default has) and torchdata's StatefulDataLoader
    # (as the data module uses): the two checkpoint warnings, set_vital, LeafSpec and the tip, all at once.
    data = StatefulDataLoader(RandomDataset(32, 8), batch_size=4)
    with messages(rank_zero.log) as lines:
        trainer = Trainer(max_steps=1, logger=CSVLogger(tmp_path), enable_progress_bar=False,
                          enable_model_summary=False, default_root_dir=tmp_path,
                          callbacks=[OnExceptionCheckpoint(dirpath=tmp_path)])
        trainer.fit(BoringModel(), train_dataloaders=data)
    assert not any(line.startswith("💡") for line in lines)
    assert any(line.startswith("`Trainer.fit` stopped") for line in lines)  # Lightning's own info shows
    connector = logging.getLogger("lightning.pytorch.trainer.connectors.checkpoint_connector")
    with messages(connector) as saved:  # what an OnExceptionCheckpoint's save at Ctrl-C logged
        trainer.save_checkpoint(tmp_path / "saved.ckpt")
    assert (tmp_path / "saved.ckpt").is_file() and not any("weights_only" in line for line in saved)
    shown = texts(caught)
    for dropped in ("ckpt_path=None", 'ckpt_path="last"', "set_vital", "LeafSpec"):
        assert dropped not in shown
    assert "smaller than the logging interval" in shown  # a warning that matters (2 batches, interval 50) stays


def test_the_same_deprecations_from_our_own_calls_still_show(caught: list[warnings.WarningMessage]) -> None:
    torch.set_vital("Dataloader", "enabled", "True")  # type: ignore[attr-defined]
    torch.utils._pytree.LeafSpec()
    shown = texts(caught)
    assert "set_vital" in shown and "LeafSpec" in shown


def test_transformers_deprecation_filter_would_hide_our_call_so_we_never_make_it() -> None:
    # transformers warns from inside the property (stacklevel 1): a filter cannot tell PEFT's read from ours
    offenders = [path.name for path in PACKAGE.rglob("*.py")
                 if path.name != "quiet.py" and "is_gradient_checkpointing" in path.read_text()]
    assert not offenders


def test_log_lines_are_dropped_by_logger_and_message() -> None:
    quiet_third_party()
    bnb = logging.getLogger("bitsandbytes.backends.cpu.ops")
    with messages(bnb, logging.WARNING) as lines:
        bnb.warning("Failed to load CPU gemm_4bit_forward from kernels-community: %s. Please make sure you "
                    "already `pip install kernels` and the kernels >= 0.11.1", OSError("offline"))
        bnb.warning("something else bitsandbytes has to say")
    assert lines == ["something else bitsandbytes has to say"]
    alembic = logging.getLogger("alembic.runtime.plugins")
    with messages(alembic) as lines:
        alembic.info("setup plugin %s", "alembic.autogenerate.schemas")
        alembic.info("another alembic line")
    assert lines == ["another alembic line"]
    other = logging.getLogger("widget2code.quiet_test")
    with messages(other) as lines:
        other.info("💡 Tip: ours")  # the same text from another logger is not touched
    assert lines == ["💡 Tip: ours"]


def test_wandbs_weave_advert_is_switched_off_unless_the_user_chose(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WANDB_DISABLE_WEAVE", raising=False)
    quiet_third_party()
    assert os.environ["WANDB_DISABLE_WEAVE"] == "true"
    monkeypatch.setenv("WANDB_DISABLE_WEAVE", "false")
    quiet_third_party()
    assert os.environ["WANDB_DISABLE_WEAVE"] == "false"


@pytest.mark.slow
def test_importing_bitsandbytes_after_the_package_prints_nothing() -> None:
    # On a CPU with AVX512-BF16, bitsandbytes logs a failed kernel download at import (two lines offline).
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    result = subprocess.run([sys.executable, "-c", "import widget2code, bitsandbytes"], env=env,
                            capture_output=True, text=True, timeout=300, check=True)
    assert "kernels-community" not in result.stderr, result.stderr
