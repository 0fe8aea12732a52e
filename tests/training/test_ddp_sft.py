"""SFT under data parallelism computes what one process computes: 2 DDP ranks (gloo) with batches of 2,
and 2 FSDP ranks on the CPU, take the update that one process takes on the same 4 samples.

The global batch: the training shuffle is DistributedSampler's permutation, sharded over the ranks, so
the first batches of two ranks (2 each) hold the first 4 records of the permutation, the first batch
of one process. Targets are caption traces (`data.target=think`) cut at 1,100 tokens: of different
lengths, so a loss averaged per rank would weigh the ranks' tokens differently and fail here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from ddp_harness import run_in_process, run_launched, update
from peft import PeftModel

from widget2code.data.tiny_model import build_tiny_from_dataset
from widget2code.models.adapters import TRAINABLE

pytestmark = pytest.mark.slow


def sft(dataset: Path, batch_size: int, *extra: str) -> list[str]:
    """One SFT step of the tiny GLM-4V as sft_tiny runs it, with Adam as plain SGD (see ddp_harness), then
    validation (and a test when `extra` asks) on one batch."""
    return ["experiment=sft_tiny", f"data.dataset_dir={dataset}", "data_build=null", "model.preset=tiny",
            "++data.target=think", "data.max_length=1100", f"data.batch_size={batch_size}", "trainer.max_steps=1",
            "trainer.limit_val_batches=1", "trainer.limit_test_batches=1", "trainer.enable_progress_bar=false",
            "logger=csv", "module.optimizer.lr=0.1", "++module.optimizer.eps=1.0", "module.optimizer.warmup=0",
            *extra]


def assert_same_update(ranks: dict[str, Any], one: dict[str, Any]) -> None:
    """Every trainable tensor moved by what one process moved it, within float tolerance: summation order
    and the weights' own float32 resolution (an update is a difference of two weights)."""
    mine, theirs = update(ranks), update(one)
    assert set(mine) == set(theirs) and mine
    scale = max(float(delta.abs().max()) for delta in theirs.values())
    assert scale > 1e-5, "the step must move the weights"
    for name, delta in theirs.items():
        resolution = 1e-6 * float(one["before"][name].abs().max())  # about 8 float32 ulps
        torch.testing.assert_close(mine[name], delta, rtol=1e-3, atol=1e-5 * scale + resolution,
                                   msg=lambda message, name=name: f"{name}: {message}")


def test_two_ddp_ranks_take_the_update_one_process_takes(widget_dataset: Path, tmp_path: Path) -> None:
    bare = ["callbacks=none", "trainer.gradient_clip_val=null", "test=false"]  # no clipping: sizes must show
    (one,) = run_in_process(sft(widget_dataset, 4, *bare), tmp_path / "one")
    ranks = run_launched(sft(widget_dataset, 2, *bare, "trainer=ddp_cpu"), tmp_path / "ddp")

    assert [r["world_size"] for r in ranks] == [2, 2] and ranks[0]["strategy"] == "DDPStrategy"
    assert ranks[0]["grad_norm"] == pytest.approx(one["grad_norm"], rel=1e-5)
    for rank in ranks:  # each rank holds the whole model, and the same one
        assert_same_update(rank, one)
    # the logged metrics are every rank's: the global token mean of the loss, validation summed over ranks
    for key in ("train/loss", "train/token_acc", "val/loss", "val/token_acc"):
        assert ranks[0]["metrics"][key] == pytest.approx(one["metrics"][key], rel=1e-5), key


def test_fsdp_on_two_cpu_ranks_clips_saves_and_exports_what_one_process_trains(
    widget_dataset: Path, tmp_path: Path
) -> None:
    # LoRA (+ the vision tower) under FSDP, clipped at a bound every step exceeds: the clip coefficient
    # is max_norm over the norm of every rank's shard together, as one process computes it whole. The
    # test stage after the fit reloads the saved checkpoint into the sharded model.
    lora = ["peft=lora_tiny", "trainer.gradient_clip_val=0.01", "callbacks=[adapter_export,model_checkpoint]",
            "callbacks.model_checkpoint.monitor=null", "test=true"]
    (one,) = run_in_process(sft(widget_dataset, 4, *lora), tmp_path / "one")
    ranks = run_launched(sft(widget_dataset, 2, *lora, "trainer=fsdp_cpu"), tmp_path / "fsdp")
    first = ranks[0]

    assert first["strategy"] == "FSDP" and first["world_size"] == 2
    assert one["grad_norm"] > 0.01 and first["grad_norm"] == pytest.approx(one["grad_norm"], rel=1e-5)
    assert_same_update(first, one)
    for key in ("train/loss", "val/loss", "test/loss"):
        assert first["metrics"][key] == pytest.approx(one["metrics"][key], rel=1e-5), key

    # The checkpoint holds what trains, found under FSDP's wrapped names, and nothing else.
    saved = torch.load(tmp_path / "fsdp" / "checkpoints" / "last.ckpt", weights_only=False)["state_dict"]
    assert set(saved) == set(first["after"])
    for name, value in first["after"].items():
        torch.testing.assert_close(saved[name], value, rtol=0, atol=0, msg=name)

    # The export gathered the shards: it reloads onto a fresh base as the trained weights.
    base = build_tiny_from_dataset("glm4v", widget_dataset, preset="tiny").model  # type: ignore[arg-type]
    reloaded = PeftModel.from_pretrained(base, tmp_path / "fsdp" / "adapter", adapter_name=TRAINABLE)
    weights = {f"model.{name}": p for name, p in reloaded.named_parameters()}
    for name, value in first["after"].items():
        torch.testing.assert_close(weights[name], value, rtol=0, atol=0, msg=name)
