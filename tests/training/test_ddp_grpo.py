"""GRPO under DDP computes what one process computes: 2 gloo ranks with 1 prompt each take the update one
process takes on the same 2 prompts, given the same completions.

The rollout is fixed (`ddp_harness.SCRIPT` through GRPO's generation seam, `grpo.generate_rollout`):
sampling differs between 1 and 2 processes, so an equivalence needs the same completions. Everything
after generation is the real thing: renders, the reward (programmatic + format), advantages, the
reference pass (adapters disabled), two mini-batches accumulated into one optimizer step (the first
without a gradient all-reduce), logged statistics. Two recipes: the default (`scale_rewards: group`,
loss `grpo`), and `scale_rewards: batch` with the `dapo` loss, which need every rank's rewards (the
batch's standard deviation) and token count (the loss's denominator) gathered across ranks.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from ddp_harness import run_in_process, run_launched, update

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def grpo(dataset: Path, prompts: int, mini_batch: int, scale: str, *extra: str) -> list[str]:
    """One GRPO update of the tiny GLM-4V: `prompts` × G 4 rows in mini-batches of `mini_batch`,
    accumulated in pairs, no clipping (gradient sizes must show), Adam as plain SGD (see ddp_harness)."""
    return ["experiment=grpo_tiny", f"data.dataset_dir={dataset}", "data_build=null", "model.preset=tiny",
            f"data.batch_size={prompts}", "module.grpo.group_size=4", "module.grpo.num_iterations=1",
            f"module.grpo.mini_batch_size={mini_batch}", "module.grpo.gradient_accumulation=2",
            "module.grpo.max_grad_norm=null", f"module.grpo.scale_rewards={scale}", "module.optimizer.lr=0.1",
            "++module.optimizer.eps=1.0", "trainer.max_steps=1", "trainer.limit_val_batches=0",
            "trainer.enable_progress_bar=false", "test=false", "callbacks=none", "logger=csv", *extra]


@pytest.mark.parametrize(("scale", "loss"), [("batch", "dapo"), ("group", "grpo")])
def test_two_ddp_ranks_take_the_grpo_update_one_process_takes(
    widget_dataset: Path, tmp_path: Path, scale: str, loss: str
) -> None:
    (one,) = run_in_process(grpo(widget_dataset, 2, 4, scale, f"module.grpo.loss_type={loss}"), tmp_path / "one")
    ranks = run_launched(grpo(widget_dataset, 1, 2, scale, f"module.grpo.loss_type={loss}", "trainer=ddp_cpu"),
                         tmp_path / "ddp")

    assert [r["world_size"] for r in ranks] == [2, 2]
    assert one["metrics"]["train/advantages/zero_std_fraction"] < 1, "the groups must carry a signal"
    theirs = update(one)
    scale_of_update = max(float(delta.abs().max()) for delta in theirs.values())
    assert scale_of_update > 1e-5, "the update must move the adapter"
    for rank in ranks:
        mine = update(rank)
        assert set(mine) == set(theirs)
        for name, delta in theirs.items():
            resolution = 1e-6 * float(one["before"][name].abs().max())  # the weights' float32 resolution
            torch.testing.assert_close(mine[name], delta, rtol=1e-3, atol=1e-5 * scale_of_update + resolution,
                                       msg=lambda message, name=name: f"{name}: {message}")
