"""Run the training recipe (`train(cfg)`) under any strategy and keep what its update did, to compare
2 ranks with 1 process on the same global batch.

    python tests/training/ddp_harness.py OUT_DIR override [override ...]

This file is also the script Lightning's launcher runs again for rank 1 (same arguments), so every rank
composes the same config. `Snapshot` (a callback the harness adds) records per rank:
- `before`: the trainable parameters at `setup`, before any strategy wraps or shards the model;
- `grad_norm`: the total gradient norm of the first optimizer step, before clipping (automatic
  optimization: `on_before_optimizer_step` runs before Lightning clips), measured by
  `strategies.clip_gradients` with an infinite bound, so under FSDP it is the norm over every shard;
- `after`: the trainable parameters when training ends, gathered from the FSDP shards when sharded
  (rank 0 holds them then);
and the harness adds the metrics `train(cfg)` returned. Each rank writes `OUT_DIR/rank<r>.pt`.

GRPO needs the same completions in every run: while a GRPO module trains here, the generation seam
(`widget2code.training.grpo.generate_rollout`) answers with `SCRIPT`, one group per prompt, tokenized by
the model's tokenizer and laid out as `generate_rollout` lays out sampled completions.

Comparisons must see gradient sizes, not only directions: tests run AdamW with `eps` far above every
gradient, whose first step is then lr · g / eps (plain SGD). Adam's usual first step moves each weight
by about ±lr whatever the gradient's size, and would hide a gradient off by any factor.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import torch
from lightning import Callback, LightningModule, Trainer
from training_runs import compose_train

from widget2code.inference.generate import Rollout, SamplingConfig, completion_mask, end_token_ids
from widget2code.task import format_completion
from widget2code.training import grpo
from widget2code.training.base import PolicyModule
from widget2code.training.run import train
from widget2code.training.strategies import clean_name, clip_gradients, full_model_state

ROOT = Path(__file__).resolve().parents[2]
#: One group: two widgets that compile, one with a syntax error, one without code (format rewards 1, 1, ¼, 0).
SCRIPT = [
    format_completion("A red card.", 'export default function W() { return <div className="bg-red-500 p-4">Hi</div>; }'),
    format_completion("A blue bar.", 'export default function W() { return <div className="bg-blue-500 h-2" />; }'),
    format_completion("Broken.", "export default function {"),
    "no code at all",
]


def trainable(module: PolicyModule) -> dict[str, torch.Tensor]:
    return {f"model.{clean_name(name)}": p.detach().clone() for name, p in module.model.named_parameters()
            if p.requires_grad}


class Snapshot(Callback):
    """See the module docstring; writes `<out_dir>/rank<r>.pt` at the end of training."""

    latest: Snapshot | None = None  # the one this process's config built, for `run` to add the metrics

    def __init__(self, out_dir: str) -> None:
        self.out_dir = Path(out_dir)
        self.record: dict[str, Any] = {}
        Snapshot.latest = self

    def setup(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:
        self.record.setdefault("before", trainable(pl_module))

    def on_before_optimizer_step(self, trainer: Trainer, pl_module: LightningModule, optimizer: Any) -> None:
        if "grad_norm" not in self.record:
            norm = clip_gradients(pl_module, optimizer, float("inf"))
            self.record["grad_norm"] = None if norm is None else float(norm)

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        state = full_model_state(pl_module)  # every rank: a collective under FSDP
        if state is None:
            self.record["after"] = trainable(pl_module)
        elif trainer.is_global_zero:
            names = set(pl_module.trainable_names())
            self.record["after"] = {f"model.{key}": value for key, value in state.items() if f"model.{key}" in names}
        self.record |= {"rank": trainer.global_rank, "world_size": trainer.world_size,
                        "strategy": type(trainer.strategy).__name__}
        self.out_dir.mkdir(parents=True, exist_ok=True)
        torch.save(self.record, self.out_dir / f"rank{trainer.global_rank}.pt")


def scripted_rollout(model: torch.nn.Module, processor: Any, inputs: dict[str, torch.Tensor],
                     sampling: SamplingConfig) -> Rollout:
    """`generate_rollout`'s answer when every group of `sampling.num_return_sequences` is SCRIPT's."""
    tokenizer = processor.tokenizer
    end = end_token_ids(model, processor)[0]
    group = sampling.num_return_sequences
    rows = [row for row in range(inputs["input_ids"].shape[0]) for _ in range(group)]
    encoded = [tokenizer(SCRIPT[i % group % len(SCRIPT)], add_special_tokens=False)["input_ids"] + [end]
               for i in range(len(rows))]
    width = max(map(len, encoded))
    ids = torch.tensor([e + [end] * (width - len(e)) for e in encoded])
    mask, truncated = completion_mask(ids, [end])
    kept = [row[:n] for row, n in zip(ids, mask.sum(dim=1).tolist(), strict=True)]
    prompts = inputs["input_ids"][torch.tensor(rows, device=inputs["input_ids"].device)].cpu()
    return Rollout(sequences=torch.cat([prompts, ids], dim=1), prompt_length=prompts.shape[1], completion_ids=ids,
                   completion_mask=mask, texts=tokenizer.batch_decode(kept, skip_special_tokens=True),
                   truncated=truncated, prompt_index=rows)


@contextlib.contextmanager
def scripted_rollouts() -> Iterator[None]:
    """GRPO's generation seam answers with SCRIPT inside (the seam grpo.py must keep: see the docstring)."""
    real = grpo.generate_rollout
    grpo.generate_rollout = scripted_rollout
    try:
        yield
    finally:
        grpo.generate_rollout = real


def run(overrides: Sequence[str], out_dir: Path) -> None:
    """Train as `scripts/train.py` would with these overrides, under `out_dir`, with a Snapshot."""
    cfg = compose_train([*overrides, f"paths.output_dir={out_dir}", "+callbacks.snapshot._target_=ddp_harness.Snapshot",
                         f"+callbacks.snapshot.out_dir={out_dir / 'snapshot'}"])
    with scripted_rollouts():
        metrics = train(cfg)
    assert Snapshot.latest is not None and "rank" in Snapshot.latest.record, "training never ended"
    (out_dir / "snapshot" / f"metrics{Snapshot.latest.record['rank']}.json").write_text(json.dumps(metrics))


def results(out_dir: Path) -> list[dict[str, Any]]:
    """Each rank's record with its metrics, in rank order."""
    folder = out_dir / "snapshot"
    records = [torch.load(path, weights_only=False) for path in sorted(folder.glob("rank*.pt"))]
    for record in records:
        record["metrics"] = json.loads((folder / f"metrics{record['rank']}.json").read_text())
    return records


def run_in_process(overrides: Sequence[str], out_dir: Path) -> list[dict[str, Any]]:
    """One process: here, in pytest's process (no second import of torch)."""
    run(overrides, out_dir)
    return results(out_dir)


def run_launched(overrides: Sequence[str], out_dir: Path, timeout: float = 900) -> list[dict[str, Any]]:
    """A strategy that launches ranks (ddp_cpu, fsdp_cpu): this file as a script, as users run train.py."""
    done = subprocess.run([sys.executable, __file__, str(out_dir), *overrides], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, check=False,
                          env={**os.environ, "WANDB_MODE": "offline", "HF_HUB_OFFLINE": "1"})
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    return results(out_dir)


def update(record: dict[str, Any]) -> dict[str, torch.Tensor]:
    """What the run's optimizer steps changed, parameter by parameter."""
    return {name: record["after"][name] - record["before"][name] for name in record["before"]}


if __name__ == "__main__":
    import ddp_harness  # the module Hydra imports the Snapshot from, not this __main__ copy

    ddp_harness.run(sys.argv[2:], Path(sys.argv[1]))
