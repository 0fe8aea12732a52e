"""GRPO: the policy writes code for a screenshot, the code is rendered and scored against the screenshot,
and the policy moves toward what scored above its group.

One training batch of B prompts (the data module's `grpo` mode) is one rollout:
1. sample G completions per prompt (`inference.generate.generate_rollout`, the generation seam);
2. parse them, render all B·G candidates in one `render_many` and score them with the configured reward
   (`group_size` in the context, so composites and the tournament see the groups). This runs on a worker
   thread while the model computes the old and reference log-probs, so the renderer's CPU time overlaps
   the accelerator's. Identical candidates are rendered and scored once (and the renderer caches on disk);
3. group-relative advantages (`training.advantages`);
4. μ inner epochs over the rollout in shuffled mini-batches: PPO-clip with a k3 KL to the reference
   (`training.losses`), `manual_backward`, accumulation, clipping, optimizer and scheduler steps.

The reference policy is never a second copy of the base: the adapters layer keeps the starting adapter
frozen beside the trainable one, or disables adapters to give the base (`models.adapters.reference_model`).
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import torch
from PIL import Image
from transformers import PreTrainedModel, ProcessorMixin

from widget2code.inference.generate import Rollout, SamplingConfig, generate_rollout, repeat_rows
from widget2code.models.adapters import reference_model
from widget2code.render import ErrorKind, Renderer, RenderResult
from widget2code.rewards.base import Reward, RewardOutput
from widget2code.task import parse_completion
from widget2code.training.advantages import advantages_with_stats
from widget2code.training.base import PolicyModule
from widget2code.training.logprobs import completion_logprobs
from widget2code.training.losses import grpo_loss
from widget2code.training.optim import OptimizerSettings
from widget2code.training.samples import SampleRow, log_samples

#: Config entries naming the image/video placeholder and boundary tokens (GLM-4V: image_token_id,
#: image_start_token_id, ...; Qwen-VL: vision_start_token_id, ...).
_VISION_TOKEN_KEY = re.compile(r"(image|video|vision)_\w*token_id")


def vision_token_ids(config: Any) -> list[int]:
    """The ids of the model's image/video placeholder and boundary tokens.

    A policy must never sample them: the log-prob pass runs the model on prompt + completion with the
    prompt's images, and a placeholder in the completion would claim image features that do not exist
    (an untrained tiny model samples them readily).
    """
    return sorted({int(value) for key, value in config.to_dict().items()
                   if _VISION_TOKEN_KEY.fullmatch(key) and isinstance(value, int)})


@dataclass
class GRPOSettings:
    group_size: int = 5  # G: completions per prompt (WidgetAnchor 5, Flutter-GRPO 4)
    max_new_tokens: int = 2048
    temperature: float = 1.0
    top_p: float = 1.0
    num_iterations: int = 4  # μ: passes over each rollout
    mini_batch_size: int = 8  # completions per forward/backward
    gradient_accumulation: int = 1  # mini-batches per optimizer step
    epsilon: float = 0.2
    epsilon_high: float | None = None
    beta: float = 0.05
    loss_type: str = "grpo"  # grpo | bnpo | dr_grpo
    kl_ratio_correction: bool = False
    scale_rewards: str = "group"  # group | batch | none
    max_grad_norm: float | None = 1.0
    logprob_chunk_size: int | None = None
    val_max_new_tokens: int | None = None  # greedy validation; None: max_new_tokens
    sample_table_every_n_steps: int = 50

    def __post_init__(self) -> None:
        for name in ("group_size", "num_iterations", "mini_batch_size", "gradient_accumulation", "max_new_tokens"):
            if getattr(self, name) < 1:
                raise ValueError(f"grpo.{name} must be at least 1, got {getattr(self, name)}")
        if self.group_size < 2:
            raise ValueError(f"grpo.group_size must be at least 2 (advantages compare a group), got {self.group_size}")


def _running(renderer: Renderer) -> bool:
    """Whether the renderer was started by someone else (a session-wide one in tests, a demo's)."""
    try:
        renderer.render_many([])
    except RuntimeError:  # "use Renderer inside a `with` block"
        return False
    return True


@dataclass
class Scored:
    """What the worker thread hands back: renders, the reward's breakdown, and how long each took."""

    results: list[RenderResult]
    reward: RewardOutput
    render_s: float
    reward_s: float


class GRPOModule(PolicyModule):
    """See the module docstring. Built by `conf/module/grpo.yaml`; the reward is any `conf/reward` entry."""

    data_mode = "grpo"
    needs_reference = True

    def __init__(self, model: PreTrainedModel, processor: ProcessorMixin, reward: Reward, renderer: Renderer,
                 grpo: GRPOSettings | None = None, optimizer: OptimizerSettings | None = None,
                 mode: str | None = "grpo", run_dir: str | None = None) -> None:
        super().__init__(model, processor, optimizer or OptimizerSettings(lr=1e-5), mode)
        self.automatic_optimization = False
        generation = self.model.generation_config  # used by every generate(): rollouts and validation
        generation.suppress_tokens = sorted(set(generation.suppress_tokens or ()) | set(
            vision_token_ids(self.model.config)))
        self.reward, self.renderer = reward, renderer
        self.settings = grpo or GRPOSettings()
        self.run_dir = run_dir
        self._pool: ThreadPoolExecutor | None = None
        self._renderer_started = False
        self._rollouts = 0

    # ---- lifecycle: the renderer and the scoring thread live as long as a fit/validate/test
    def setup(self, stage: str) -> None:
        if not self._renderer_started and not _running(self.renderer):  # a running one stays its owner's
            self.renderer.__enter__()
            self._renderer_started = True
        self._pool = self._pool or ThreadPoolExecutor(max_workers=1, thread_name_prefix="grpo-score")

    def teardown(self, stage: str) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        if self._renderer_started:
            self.renderer.__exit__(None, None, None)
            self._renderer_started = False
        close = getattr(self.reward, "close", None)  # e.g. the format reward's compile worker
        if callable(close):
            close()

    # ---- the number of optimizer steps, for the scheduler
    def optimizer_steps_per_batch(self) -> int:
        s = self.settings
        rows = self.trainer.datamodule.batch_size * s.group_size if self.trainer.datamodule else s.mini_batch_size
        mini_batches = math.ceil(rows / s.mini_batch_size)
        return s.num_iterations * math.ceil(mini_batches / s.gradient_accumulation)

    def total_optimizer_steps(self) -> int:
        if self.trainer.max_steps and self.trainer.max_steps > 0:
            return int(self.trainer.max_steps)  # in manual optimization, global_step counts optimizer steps
        return int(self.trainer.estimated_stepping_batches) * self.optimizer_steps_per_batch()

    # ---- scoring
    def score_async(self, texts: Sequence[str], references: Sequence[Image.Image], group_size: int) -> Future[Scored]:
        assert self._pool is not None, "setup() starts the scoring thread"
        return self._pool.submit(self.score, list(texts), list(references), group_size)

    def score(self, texts: list[str], references: list[Image.Image], group_size: int) -> Scored:
        """Render each distinct candidate once, score, and spread the results back over the rows."""
        codes = [parse_completion(text).code or "" for text in texts]
        unique = list(dict.fromkeys(codes))
        started = time.perf_counter()
        rendered = dict(zip(unique, self.renderer.render_many(unique), strict=True))
        render_s = time.perf_counter() - started
        results = [rendered[code] for code in codes]
        started = time.perf_counter()
        output = self.reward.score(references, results, completions=texts, group_size=group_size)
        return Scored(results, output, render_s, time.perf_counter() - started)

    # ---- training
    def training_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        s, timings = self.settings, {}
        started = time.perf_counter()
        rollout = generate_rollout(self.model, self.processor, batch["inputs"], SamplingConfig(
            max_new_tokens=s.max_new_tokens, temperature=s.temperature, top_p=s.top_p, do_sample=True,
            num_return_sequences=s.group_size))
        timings["generation"] = time.perf_counter() - started
        references = [batch["images"][row] for row in rollout.prompt_index]
        pending = self.score_async(rollout.texts, references, s.group_size)

        started = time.perf_counter()
        inputs = repeat_rows(batch["inputs"], rollout.prompt_index)  # one prompt per completion
        old_logps = ref_logps = None
        with torch.no_grad():
            if s.num_iterations > 1:  # later passes need the sampling policy's log-probs for the ratio
                old_logps = self._logprobs(inputs, rollout)
            if s.beta != 0.0:
                with reference_model(self.model):
                    ref_logps = self._logprobs(inputs, rollout)
        timings["logprobs"] = time.perf_counter() - started

        started = time.perf_counter()
        scored = pending.result()
        timings["waiting_for_reward"] = time.perf_counter() - started
        timings["rendering"], timings["reward"] = scored.render_s, scored.reward_s
        rewards = torch.tensor(scored.reward.total, dtype=torch.float32)
        advantages, advantage_stats = advantages_with_stats(rewards, s.group_size, scale_rewards=s.scale_rewards)

        started = time.perf_counter()
        loss_stats = self._optimise(inputs, rollout, advantages.to(self.device), old_logps, ref_logps)
        timings["policy_update"] = time.perf_counter() - started
        self._log_step(rollout, scored, rewards, advantage_stats.as_dict(), loss_stats, timings)
        self._rollouts += 1
        if (self._rollouts - 1) % s.sample_table_every_n_steps == 0:
            self._sample_table(batch, rollout, scored)

    def _logprobs(self, prompts: dict[str, torch.Tensor], rollout: Rollout,
                  rows: torch.Tensor | None = None, entropy: bool = False) -> Any:
        """Log-probs of the rollout's completions (of `rows` only, when given) under the current adapters."""
        ids, mask = rollout.completion_ids, rollout.completion_mask
        if rows is not None:
            prompts = repeat_rows(prompts, rows.tolist())
            ids, mask = ids[rows.to(ids.device)], mask[rows.to(mask.device)]
        return completion_logprobs(self.model, prompts, ids, mask, temperature=self.settings.temperature,
                                   chunk_size=self.settings.logprob_chunk_size, return_entropy=entropy)

    def _optimise(self, inputs: dict[str, torch.Tensor], rollout: Rollout, advantages: torch.Tensor,
                  old_logps: torch.Tensor | None, ref_logps: torch.Tensor | None) -> dict[str, float]:
        s = self.settings
        optimizer, scheduler = self.optimizers(), self.lr_schedulers()
        n = rollout.completion_ids.shape[0]
        totals: Counter[str] = Counter()
        count = 0
        for _ in range(s.num_iterations):
            order = torch.randperm(n)
            mini_batches = [order[i:i + s.mini_batch_size] for i in range(0, n, s.mini_batch_size)]
            for index, rows in enumerate(mini_batches):
                rows = rows.sort().values
                logps, entropy = self._logprobs(inputs, rollout, rows, entropy=True)
                on_device = rows.to(self.device)
                loss, stats = grpo_loss(
                    logps, None if old_logps is None else old_logps[on_device],
                    None if ref_logps is None else ref_logps[on_device], advantages[on_device],
                    rollout.completion_mask[on_device], epsilon=s.epsilon, epsilon_high=s.epsilon_high, beta=s.beta,
                    loss_type=s.loss_type, max_completion_length=s.max_new_tokens,
                    kl_ratio_correction=s.kl_ratio_correction, entropy=entropy)
                self.manual_backward(loss / s.gradient_accumulation)
                totals.update({"loss": float(loss.detach()), **stats})
                count += 1
                last = index == len(mini_batches) - 1
                if (index + 1) % s.gradient_accumulation == 0 or last:
                    if s.max_grad_norm is not None:
                        self.clip_gradients(optimizer, gradient_clip_val=s.max_grad_norm,
                                            gradient_clip_algorithm="norm")
                    optimizer.step()
                    optimizer.zero_grad(set_to_none=True)
                    if scheduler is not None:
                        scheduler.step()
        return {key: value / max(count, 1) for key, value in totals.items()}

    def _log_step(self, rollout: Rollout, scored: Scored, rewards: torch.Tensor, advantage_stats: dict[str, float],
                  loss_stats: dict[str, float], timings: dict[str, float]) -> None:
        n = len(scored.results)
        lengths = rollout.completion_mask.sum(dim=1).float()
        errors = Counter(r.error_kind for r in scored.results if not r.ok)
        step_s = sum(v for k, v in timings.items() if k != "waiting_for_reward" and k not in ("rendering", "reward"))
        metrics = {
            "train/reward": float(rewards.mean()),
            "train/reward_std": float(rewards.std()) if n > 1 else 0.0,
            "train/render_rate": sum(r.ok for r in scored.results) / n,
            "train/well_formed": sum(parse_completion(t).well_formed for t in rollout.texts) / n,
            "train/completion_length": float(lengths.mean()),
            "train/truncated": float(rollout.truncated.float().mean()),
            **{f"train/{key}": value for key, value in loss_stats.items()},
            **{f"train/{key}": value for key, value in advantage_stats.items()},
            **{f"train/reward/{name}": sum(values) / n for name, values in scored.reward.components.items()},
            # every kind, every step: a kind absent now must not keep its last value in the metrics
            **{f"train/errors/{kind}": errors[kind] / n for kind in ErrorKind},
            **{f"time/{key}_s": value for key, value in timings.items()},
            "time/render_and_reward_share": (timings["rendering"] + timings["reward"]) / max(
                step_s + timings["rendering"] + timings["reward"], 1e-9),
        }
        self.log_dict(metrics, on_step=True, on_epoch=False, batch_size=n)
        self.log("train/reward_mean", metrics["train/reward"], prog_bar=True, batch_size=n)
        self.log_memory()

    def _sample_table(self, batch: dict[str, Any], rollout: Rollout, scored: Scored) -> None:
        if self.global_rank != 0 or self.trainer is None or self.trainer.sanity_checking:
            return
        rows = [SampleRow(id=f"{batch['ids'][p]}#{i}", screenshot=batch["images"][p],
                          rendering=r.image if r.ok else None, code=parse_completion(t).code or t,
                          reward=reward, error=None if r.ok else str(r.error_kind))
                for i, (p, r, t, reward) in enumerate(zip(rollout.prompt_index, scored.results, rollout.texts,
                                                          scored.reward.total, strict=True))]
        log_samples(self.trainer, "samples/train", rows[: 2 * self.settings.group_size],
                    self.run_dir or self.trainer.default_root_dir)

    # ---- validation and test: one greedy completion per screenshot, rendered and scored
    def _evaluate(self, batch: dict[str, Any], stage: str) -> None:
        s = self.settings
        rollout = generate_rollout(self.model, self.processor, batch["inputs"], SamplingConfig(
            max_new_tokens=s.val_max_new_tokens or s.max_new_tokens, do_sample=False))
        scored = self.score(rollout.texts, list(batch["images"]), 1)
        n = len(scored.results)
        self.log(f"{stage}/reward", sum(scored.reward.total) / n, prog_bar=stage == "val", batch_size=n)
        self.log(f"{stage}/render_rate", sum(r.ok for r in scored.results) / n, batch_size=n)

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self._evaluate(batch, "val")

    def test_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self._evaluate(batch, "test")

