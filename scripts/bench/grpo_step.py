"""GRPO step time split: generation, rendering, reward, log-prob passes, policy update.

    python scripts/bench/grpo_step.py [--steps 3] [--threads 1]

Runs the real `GRPOModule` in a Lightning Trainer on a tiny and a small random GLM-4V (the CPU presets),
with grpo_tiny's shape: 2 prompts × G 4 completions of 48 new tokens, μ 2 passes, LoRA, β 0.05, scored by
the programmatic reward (LPIPS on a random backbone: the real one's cost) through a real renderer with
its cache off. The figures are the module's own per-step `time/*` metrics, median over the steps after
a warm-up step.

A random model writes nothing that renders, which would make rendering look free; so the candidates
rendered and scored are the batch's reference widgets (a realistic load: real synthetic TSX, each
candidate distinct), while generation, the log-prob passes and the updates run on the model's own
samples. Rendering and reward run on a worker thread during the log-prob passes: `waiting_for_reward_s`
is the part of them the step waits for. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import tempfile
import warnings
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning import Callback, LightningModule, Trainer

from widget2code.data.datamodule import WidgetDataModule
from widget2code.data.manifest import SampleRecord, write_manifest
from widget2code.data.synthetic import generate_widgets
from widget2code.data.tiny_model import build_tiny_from_dataset
from widget2code.models.adapters import AdapterSettings, attach_adapters
from widget2code.render import Renderer
from widget2code.rewards.programmatic import ProgrammaticReward
from widget2code.task import format_completion
from widget2code.training.grpo import GRPOModule, GRPOSettings, Scored
from widget2code.training.optim import OptimizerSettings

PROMPTS, GROUP, NEW_TOKENS, PASSES = 2, 4, 48, 2
PARTS = ("generation", "rendering", "reward", "logprobs", "policy_update")
GPU_NOTE = ("not measured: the device tool lends no GPU to this task, so the real GLM-4.1V-9B step "
            "(G 5, 4096 new tokens) could not be timed")


class ReferenceCandidates(GRPOModule):
    """Renders and scores the batch's reference widgets in place of the random model's unrenderable text."""

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self._sources = batch["tsx"]
        super().training_step(batch, batch_idx)

    def score(self, texts: list[str], references: list[Any], group_size: int) -> Scored:
        # each candidate distinct (a comment), so none is deduplicated away: G renders per prompt
        candidates = [format_completion("", f"{self._sources[i // group_size]}\n// sample {i}")
                      for i in range(len(texts))]
        return super().score(candidates, references, group_size)


class StepTimes(Callback):
    def __init__(self) -> None:
        self.steps: list[dict[str, float]] = []

    def on_train_batch_end(self, trainer: Trainer, pl_module: LightningModule, *args: object) -> None:
        self.steps.append({k[len("time/"):]: float(v) for k, v in trainer.callback_metrics.items()
                           if k.startswith("time/")})


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


def time_split(dataset: Path, renderer: Renderer, preset: str, steps: int) -> dict[str, Any]:
    L.seed_everything(0)
    loaded = build_tiny_from_dataset("glm4v", dataset, preset=preset)  # type: ignore[arg-type]
    parameters = sum(p.numel() for p in loaded.model.parameters())
    lora = AdapterSettings(method="lora", r=32, alpha=64, dropout=0.0, train_vision=True,
                           target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_up_proj", "down_proj"])
    policy = attach_adapters(loaded.model, lora, reference=True)
    reward = ProgrammaticReward(allow_random_backbone=True, device="cpu")
    settings = GRPOSettings(group_size=GROUP, max_new_tokens=NEW_TOKENS, num_iterations=PASSES,
                            mini_batch_size=PROMPTS * GROUP, beta=0.05, sample_table_every_n_steps=10**6)
    module = ReferenceCandidates(policy, loaded.processor, reward, renderer, settings,
                                 OptimizerSettings(lr=5e-3, warmup=0, min_lr_ratio=1.0))
    times = StepTimes()
    Trainer(accelerator="cpu", devices=1, max_steps=(steps + 1) * PASSES, max_epochs=-1, logger=False,
            enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
            limit_val_batches=0, num_sanity_val_steps=0, gradient_clip_val=None, callbacks=[times],
            ).fit(module, datamodule=WidgetDataModule(dataset, loaded.processor, mode="grpo",
                                                        batch_size=PROMPTS, seed=0, splits={"val": None}))
    measured = times.steps[1:]  # the first step warms up (allocations, Chromium pages)
    split = {f"{part}_s": round(statistics.median(s[f"{part}_s"] for s in measured), 4) for part in PARTS}
    waiting = round(statistics.median(s["waiting_for_reward_s"] for s in measured), 4)
    total = sum(split.values())
    return {
        "parameters": parameters,
        **split,
        "waiting_for_reward_s": waiting,
        "step_s": round(total, 3),
        "render_and_reward_share": round((split["rendering_s"] + split["reward_s"]) / total, 4),
        "steps_measured": len(measured),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3, help="measured steps per preset (after one warm-up)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (1: on a shared 2-core machine two threads stall each other)")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    warnings.filterwarnings("ignore")
    torch.set_num_threads(args.threads)

    with tempfile.TemporaryDirectory() as tmp, Renderer(slots=1, cache_dir=None) as renderer:
        dataset = Path(tmp) / "data"
        dataset.mkdir()
        build_dataset(dataset, renderer, n=8)
        presets = {preset: time_split(dataset, renderer, preset, args.steps) for preset in ("tiny", "small")}
    print(json.dumps({
        "bench": "grpo_step",
        "setting": {"prompts": PROMPTS, "group_size": GROUP, "max_new_tokens": NEW_TOKENS, "passes": PASSES,
                    "peft": "lora r32 (+ vision tower)", "reward": "programmatic (LPIPS random backbone)",
                    "renderer_cache": False},
        **presets,
        "glm41v_9b_gpu": GPU_NOTE,
        "machine": {"cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                    "load_average_1m": round(os.getloadavg()[0], 2), "python": platform.python_version(),
                    "torch": torch.__version__},
    }))


if __name__ == "__main__":
    main()
