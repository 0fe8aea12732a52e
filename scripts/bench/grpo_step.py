"""GRPO rollouts, synchronous vs pipelined (`module.grpo.async_rollouts`): rollouts per minute, the time
split, and reward gained per minute, side by side in one run.

    python scripts/bench/grpo_step.py [--rollouts 16] [--presets tiny small] [--threads 1]

Runs the real `GRPOModule` in a Lightning Trainer on a tiny (and a small) random GLM-4V, with grpo_tiny's
shape: 2 prompts × G 4 completions of 48 new tokens, μ 2 passes, β 0.04; each preset twice from the same
seed for the same number of learned rollouts, `async_rollouts` false then true.

The load is real: every rollout renders B·G candidates through a real renderer (cache off) and scores
them with the programmatic reward (LPIPS on a random backbone: the real one's cost). A random model
writes nothing that renders, which would make rendering look free, so the candidates rendered and
scored are the batch's reference widgets (real synthetic TSX, each candidate distinct). The advantage,
though, comes from a reward the random model can move: the share of one character in its own
completions (as tests/training/test_grpo.py's `CharacterShare`), with a full fine-tune (LoRA cannot
move a random tiny model's near-uniform head). Reward gained per minute is the least-squares slope of
each learned rollout's mean reward against the wall time it was logged at (with its standard error);
`reward_slope_per_rollout` is the same against the rollout's index, which the machine's load does not
change: how much a pipelined update, one step off-policy, learns less. `clipped_token_share` is the
share of tokens whose ratio to the sampling policy the PPO clip held back (pipelined, every pass of an
update is one step off-policy, so at a large learning rate more of it is clipped).

Time split: the module's own per-rollout `time/*` metrics, median over the rollouts after the first.
Rendering and reward run on a worker thread (during the log-prob passes; pipelined, also during the
next rollout's generation): `waiting_for_reward_s` is the part of them the step waits for. Prints one
JSON line.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import tempfile
import time
import warnings
from collections.abc import Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning import Callback, LightningModule, Trainer
from PIL import Image

from widget2code.data.datamodule import WidgetDataModule
from widget2code.data.manifest import SampleRecord, write_manifest
from widget2code.data.synthetic import generate_widgets
from widget2code.data.tiny_model import build_tiny_from_dataset
from widget2code.models.adapters import AdapterSettings, attach_adapters
from widget2code.render import Renderer
from widget2code.rewards.base import Candidate, Reward, RewardOutput
from widget2code.rewards.programmatic import ProgrammaticReward
from widget2code.task import format_completion
from widget2code.training.grpo import GRPOModule, GRPOSettings, Scored
from widget2code.training.optim import OptimizerSettings

PROMPTS, GROUP, NEW_TOKENS, PASSES, BETA = 2, 4, 48, 2, 0.04
LR = 2e-2
CHARACTER = "e"
PARTS = ("generation", "rendering", "reward", "logprobs", "policy_update")
GPU_NOTE = ("not measured: the device tool lends no GPU to this task, so the real GLM-4.1V-9B step "
            "(G 5, 4096 new tokens) could not be timed")


class ShareUnderLoad(Reward):
    """Scores the rendered candidates with `load` (the real cost), and returns the share of CHARACTER in
    the policy's own completions; records the rows of each call."""

    name = "share"

    def __init__(self, load: Reward, completions: list[str], calls: list[int]) -> None:
        self.load, self.completions, self.calls = load, completions, calls

    def score(self, references: Sequence[Image.Image], candidates: Sequence[Candidate],
              **context: object) -> RewardOutput:
        self.calls.append(len(candidates))
        loaded = self.load.score(references, candidates, **context)
        assert len(loaded.total) == len(self.completions)
        shares = [text.count(CHARACTER) / max(len(text), 1) for text in self.completions]
        return RewardOutput(shares, {"share": shares})


class ReferencesRendered(GRPOModule):
    """Renders and scores the batch's reference widgets in place of the random model's unrenderable text;
    the advantage comes from `ShareUnderLoad`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reward_calls: list[int] = []
        self.batches = 0

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self._sources, self.batches = batch["tsx"], self.batches + 1
        super().training_step(batch, batch_idx)

    def score_async(self, texts: Sequence[str], references: Sequence[Image.Image], group_size: int,
                    reward: Reward | None = None) -> Future[Scored]:
        # built now, on the training thread: the batch's sources, each candidate distinct (a comment)
        candidates = [format_completion("", f"{self._sources[i // group_size]}\n// sample {i}")
                      for i in range(len(texts))]
        return super().score_async(candidates, references, group_size,
                                   ShareUnderLoad(self.reward, list(texts), self.reward_calls))


class LearnedRollouts(Callback):
    """The wall time, mean reward, share of clipped tokens and time split of each rollout the policy
    learned from."""

    def __init__(self) -> None:
        self.rows: list[dict[str, float]] = []
        self.started = 0.0
        self.step = 0

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.started = time.perf_counter()

    def on_train_batch_end(self, trainer: Trainer, pl_module: LightningModule, *args: object) -> None:
        if trainer.global_step == self.step:  # pipelined: the first batch only generates
            return
        self.step = trainer.global_step
        metrics = trainer.callback_metrics
        self.rows.append({"wall_s": time.perf_counter() - self.started, "reward": float(metrics["train/reward"]),
                          "clipped": float(metrics["train/clip_ratio/region_mean"]),
                          **{k[len("time/"):]: float(v) for k, v in metrics.items() if k.startswith("time/")}})


def build_dataset(root: Path, renderer: Renderer, n: int) -> None:
    """n synthetic widgets with their real renderings as screenshots (all in the train split)."""
    widgets = list(generate_widgets(n, seed=0))
    results = renderer.render_many([w.tsx for w in widgets])
    records = []
    for index, (item, result) in enumerate(zip(widgets, results, strict=True)):
        if not result.ok:
            continue
        name = f"w{index:03d}"
        (root / f"{name}.png").write_bytes(result.png or b"")
        (root / f"{name}.tsx").write_text(item.tsx, encoding="utf-8")
        records.append(SampleRecord(id=name, source="synthetic", category=item.category, tsx=f"{name}.tsx",
                                    image=f"{name}.png", width=result.width, height=result.height, split="train",
                                    cot=item.cot))
    write_manifest(root, records)


def run(dataset: Path, renderer: Renderer, preset: str, rollouts: int, pipelined: bool) -> dict[str, Any]:
    """`rollouts` learned rollouts from seed 0; the figures of one mode."""
    L.seed_everything(0)
    loaded = build_tiny_from_dataset("glm4v", dataset, preset=preset)  # type: ignore[arg-type]
    policy = attach_adapters(loaded.model, AdapterSettings(method="none"), reference=True)
    settings = GRPOSettings(group_size=GROUP, max_new_tokens=NEW_TOKENS, num_iterations=PASSES,
                            mini_batch_size=PROMPTS * GROUP, beta=BETA, async_rollouts=pipelined,
                            sample_table_every_n_steps=10**6)
    module = ReferencesRendered(policy, loaded.processor, ProgrammaticReward(allow_random_backbone=True, device="cpu"),
                                renderer, settings, OptimizerSettings(lr=LR, warmup=0, min_lr_ratio=1.0))
    learned = LearnedRollouts()
    Trainer(accelerator="cpu", devices=1, max_steps=rollouts * PASSES, max_epochs=-1, logger=False,
            enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
            limit_val_batches=0, num_sanity_val_steps=0, gradient_clip_val=None, callbacks=[learned],
            ).fit(module, datamodule=WidgetDataModule(dataset, loaded.processor, mode="grpo",
                                                        batch_size=PROMPTS, seed=0, splits={"val": None}))
    rows = learned.rows
    assert len(rows) == rollouts, (len(rows), rollouts)
    # one batched reward call per generated rollout, every row of every group in it
    assert module.reward_calls == [PROMPTS * GROUP] * module.batches, (module.reward_calls, module.batches)
    measured = rows[1:]  # the first warms up (allocations, Chromium pages); pipelined, it waited for nothing
    split = {f"{part}_s": round(statistics.median(r[f"{part}_s"] for r in measured), 4) for part in PARTS}
    wall = [r["wall_s"] for r in rows]
    minutes = [w / 60 for w in wall]
    rewards = [r["reward"] for r in rows]
    quarter = max(1, rollouts // 4)
    return {
        "parameters": sum(p.numel() for p in loaded.model.parameters()),
        "rollouts_per_min": round(60 * (rollouts - 1) / (wall[-1] - wall[0]), 2),
        "wall_s": round(wall[-1], 2),
        **split,
        "waiting_for_reward_s": round(statistics.median(r["waiting_for_reward_s"] for r in measured), 4),
        "render_and_reward_share": round((split["rendering_s"] + split["reward_s"]) / sum(split.values()), 4),
        "reward_first_quarter": round(statistics.mean(rewards[:quarter]), 4),
        "reward_last_quarter": round(statistics.mean(rewards[-quarter:]), 4),
        **dict(zip(("reward_slope_per_min", "reward_slope_per_min_se"), slope(minutes, rewards), strict=True)),
        # the same per learned rollout: what staleness costs, whatever the machine's load
        "reward_slope_per_rollout": slope([float(i) for i in range(rollouts)], rewards)[0],
        "clipped_token_share": round(statistics.mean(r["clipped"] for r in rows), 4),
        "rollouts_generated": module.batches,
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def slope(x: list[float], rewards: list[float]) -> tuple[float, float]:
    """The least-squares slope of reward against x, and its standard error."""
    fit = statistics.linear_regression(x, rewards)
    residuals = sum((r - fit.intercept - fit.slope * v) ** 2 for v, r in zip(x, rewards, strict=True))
    spread = sum((v - statistics.mean(x)) ** 2 for v in x)
    return round(fit.slope, 4), round((residuals / (len(x) - 2) / spread) ** 0.5, 4)


def compare(dataset: Path, renderer: Renderer, preset: str, rollouts: int) -> dict[str, Any]:
    modes = {name: run(dataset, renderer, preset, rollouts, pipelined)
             for name, pipelined in (("sync", False), ("async", True))}
    sync, pipelined = modes["sync"], modes["async"]
    ratios = {key: round(pipelined[key] / sync[key], 3) if sync[key] > 0 else None
              for key in ("rollouts_per_min", "reward_slope_per_min", "reward_slope_per_rollout")}
    return {**modes, "async_vs_sync": ratios}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rollouts", type=int, default=16, help="learned rollouts per mode and preset")
    parser.add_argument("--presets", nargs="+", default=["tiny", "small"], choices=["tiny", "small"])
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (1: on a shared 2-core machine two threads stall each other)")
    args = parser.parse_args()
    if args.rollouts < 4:
        parser.error(f"--rollouts must be at least 4 (a slope and a warm-up), got {args.rollouts}")
    logging.disable(logging.WARNING)
    warnings.filterwarnings("ignore")
    torch.set_num_threads(args.threads)

    with tempfile.TemporaryDirectory() as tmp, Renderer(slots=1, cache_dir=None) as renderer:
        dataset = Path(tmp) / "data"
        dataset.mkdir()
        build_dataset(dataset, renderer, n=8)
        presets = {preset: compare(dataset, renderer, preset, args.rollouts) for preset in args.presets}
    print(json.dumps({
        "bench": "grpo_step",
        "setting": {"prompts": PROMPTS, "group_size": GROUP, "max_new_tokens": NEW_TOKENS, "passes": PASSES,
                    "beta": BETA, "lr": LR, "peft": "full fine-tune", "rollouts_per_mode": args.rollouts,
                    "load": "B·G reference widgets rendered (cache off) and scored by the programmatic reward "
                            "(LPIPS random backbone)",
                    "advantage_reward": f"share of {CHARACTER!r} in the policy's own completions",
                    "reward_calls": f"one batched call per rollout with all {PROMPTS * GROUP} rows (checked)"},
        **presets,
        "glm41v_9b_gpu": GPU_NOTE,
        "machine": {"cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                    "load_average_1m": round(os.getloadavg()[0], 2), "python": platform.python_version(),
                    "torch": torch.__version__},
    }))


if __name__ == "__main__":
    main()
