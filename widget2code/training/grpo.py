"""GRPO: the policy writes code for a screenshot, the code is rendered and scored against the screenshot,
and the policy moves toward what scored above its group.

One training batch of B prompts (the data module's `grpo` mode) is one rollout:
1. sample G completions per prompt (`inference.generate.generate_rollout`, the generation seam);
2. parse them, render all B·G candidates in one `render_many` and score them with the configured reward
   (`group_size` in the context, so composites and the tournament see the groups). This runs on a worker
   thread while the model computes the old and reference log-probs, so the renderer's CPU time overlaps
   the accelerator's. Identical candidates are rendered and scored once (and the renderer caches on disk);
3. group-relative advantages (`training.advantages`), over the rewards of every rank (TRL gathers them);
4. μ inner epochs over the rollout in shuffled mini-batches: PPO-clip with a k3 KL to the reference
   (`training.losses`), `manual_backward`, accumulation, clipping, optimizer and scheduler steps.

Options with TRL's meaning: `loss_type` (grpo, bnpo, dr_grpo, dapo), `importance_sampling_level`
(token, or sequence: GSPO), `epsilon_high` (DAPO's clip-higher), `mask_truncated_completions`,
`scale_rewards`, `disable_dropout`; and DAPO's dynamic sampling (`training.experience`). `placebo_rewards`
is a control run: each group's rewards are shuffled, so the updates keep GRPO's size and noise and lose
its signal (`advantages.shuffled_within_groups`).
`async_rollouts` pipelines the work: rollout k+1 is generated (and its old and reference log-probs taken)
while rollout k is rendered and scored, then the policy learns from rollout k. The update is then one
step off-policy, which the ratio to the sampling policy's log-probs (always computed then) corrects.

Validation scores with the reward's absolute part (`Reward.absolute()`: without a tournament's
group-relative share, which gives 1.0 to a lone candidate) two ways: `val/reward` is the mean over G
completions sampled at the training temperature from a fixed seed (what GRPO optimises; the same seed at
every validation, so checkpoints compare on the same draws), `val/greedy_reward` is greedy decoding.

The reference policy is never a second copy of the base: the adapters layer keeps the starting adapter
frozen beside the trainable one, or disables adapters to give the base (`models.adapters.reference_model`).
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, fields
from typing import Any

import torch
from PIL import Image
from transformers import PreTrainedModel, ProcessorMixin

from widget2code.inference.generate import Inputs, Rollout, SamplingConfig, generate_rollout, repeat_rows
from widget2code.models.adapters import reference_model
from widget2code.render import ErrorKind, Renderer, RenderResult
from widget2code.rewards.base import Reward, RewardOutput
from widget2code.rewards.devices import place_rewards
from widget2code.task import parse_completion
from widget2code.training.advantages import advantages_with_stats, shuffled_within_groups
from widget2code.training.base import PolicyModule
from widget2code.training.experience import DynamicSampling, Experience
from widget2code.training.logprobs import completion_logprobs
from widget2code.training.losses import IMPORTANCE_SAMPLING_LEVELS, LOSS_TYPES, grpo_loss, high_entropy_mask
from widget2code.training.optim import OptimizerSettings
from widget2code.training.samples import SampleRow, log_samples
from widget2code.training.strategies import clip_gradients

#: Config entries naming the image/video placeholder and boundary tokens (GLM-4V: image_token_id,
#: image_start_token_id, ...; Qwen-VL: vision_start_token_id, ...).
_VISION_TOKEN_KEY = re.compile(r"(image|video|vision)_\w*token_id")
CHECKPOINT_KEY = "grpo_state"


def vision_token_ids(config: Any) -> list[int]:
    """The ids of the model's image/video placeholder and boundary tokens.

    A policy must never sample them: the log-prob pass runs the model on prompt + completion with the
    prompt's images, and a placeholder in the completion would claim image features that do not exist
    (an untrained tiny model samples them readily).
    """
    return sorted({int(value) for key, value in config.to_dict().items()
                   if _VISION_TOKEN_KEY.fullmatch(key) and isinstance(value, int)})


class GRPOConfigError(ValueError):
    """GRPO settings that cannot run (together, or with this reward or strategy)."""


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
    loss_type: str = "grpo"  # grpo | bnpo | dr_grpo | dapo
    importance_sampling_level: str = "token"  # token | sequence (GSPO)
    mask_truncated_completions: bool = False  # truncated completions count in the advantages, not the loss
    top_entropy_quantile: float = 1.0  # the policy term learns on this top share of tokens by entropy (1: all)
    negative_advantage_scale: float = 1.0  # weight of below-average completions (1: GRPO; 0: positive samples only)
    placebo_rewards: bool = False  # a control run: each group's rewards shuffled before the advantages
    dynamic_sampling: bool = False  # drop groups with equal rewards, wait for groups with signal
    max_generation_rounds: int = 4  # with dynamic_sampling: rollouts drawn per update at most
    disable_dropout: bool = True  # dropout would make the first pass's ratio != 1 and the KL != 0 at step 0
    async_rollouts: bool = False  # generate rollout k+1 while rollout k is scored; learn one step off-policy
    kl_ratio_correction: bool = False
    scale_rewards: str = "group"  # group | batch | none
    max_grad_norm: float | None = 1.0
    logprob_chunk_size: int | None = None
    val_max_new_tokens: int | None = None  # validation; None: max_new_tokens
    val_seed: int = 0  # the sampled validation's draws
    sample_table_every_n_steps: int = 50

    def __post_init__(self) -> None:
        for item in fields(self):  # Hydra hands `key=maybe` over as the string "maybe", which is truthy
            if isinstance(item.default, bool) and not isinstance(getattr(self, item.name), bool):
                raise GRPOConfigError(f"grpo.{item.name} must be true or false, got {getattr(self, item.name)!r}")
        for name in ("group_size", "num_iterations", "mini_batch_size", "gradient_accumulation", "max_new_tokens",
                     "max_generation_rounds"):
            if getattr(self, name) < 1:
                raise GRPOConfigError(f"grpo.{name} must be at least 1, got {getattr(self, name)}")
        if self.group_size < 2:
            raise GRPOConfigError(f"grpo.group_size must be at least 2 (advantages compare a group), "
                                  f"got {self.group_size}")
        if self.loss_type not in LOSS_TYPES:
            raise GRPOConfigError(f"grpo.loss_type must be one of {LOSS_TYPES}, got {self.loss_type!r}")
        if not 0.0 <= self.negative_advantage_scale <= 1.0:
            raise GRPOConfigError(f"grpo.negative_advantage_scale must be in [0, 1], got {self.negative_advantage_scale}")
        if not 0.0 < self.top_entropy_quantile <= 1.0:
            raise GRPOConfigError(f"grpo.top_entropy_quantile must be in (0, 1], got {self.top_entropy_quantile}")
        if self.importance_sampling_level not in IMPORTANCE_SAMPLING_LEVELS:
            raise GRPOConfigError(f"grpo.importance_sampling_level must be one of {IMPORTANCE_SAMPLING_LEVELS}, "
                                  f"got {self.importance_sampling_level!r}")


def _running(renderer: Renderer) -> bool:
    """Whether the renderer was started by someone else (a session-wide one in tests, a demo's)."""
    try:
        renderer.render_many([])
    except RuntimeError:  # "use Renderer inside a `with` block"
        return False
    return True


def disable_dropout(model: torch.nn.Module) -> None:
    """p = 0 in every dropout layer, LoRA's included (TRL's `disable_dropout_in_model`)."""
    for module in model.modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0


@dataclass
class Scored:
    """What the worker thread hands back: renders, the reward's breakdown, and how long each took."""

    results: list[RenderResult]
    reward: RewardOutput
    render_s: float
    reward_s: float


@dataclass
class PendingRollout:
    """A rollout whose log-probs are taken and whose scoring runs on the worker thread."""

    batch: dict[str, Any]
    rollout: Rollout
    inputs: Inputs
    old_logps: torch.Tensor | None
    ref_logps: torch.Tensor | None
    scoring: Future[Scored]
    timings: dict[str, float]
    index: int  # the rollout's number, from 0


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
        self.validation_reward = reward.absolute()
        if self.validation_reward is None:
            raise GRPOConfigError(f"the reward {reward.name!r} has no absolute part to validate with: every part "
                                  "of it scores a candidate against its group")
        self.settings = grpo or GRPOSettings()
        if self.settings.disable_dropout:
            disable_dropout(self.model)
        self.run_dir = run_dir
        self._pool: ThreadPoolExecutor | None = None
        self._renderer_started = False
        self._rollouts = 0
        self._pending: PendingRollout | None = None
        self._buffer: DynamicSampling | None = None

    # ---- lifecycle: the renderer and the scoring thread live as long as a fit/validate/test
    def setup(self, stage: str) -> None:
        if self.settings.dynamic_sampling and self.trainer.world_size > 1:
            raise GRPOConfigError("grpo.dynamic_sampling runs on one process only: under DDP the ranks would "
                                  "keep different numbers of groups and their gradient syncs would not pair up")
        place_rewards(self.reward, self.trainer.strategy.root_device)  # each rank's networks on its own device
        if not self._renderer_started and not _running(self.renderer):  # a running one stays its owner's
            self.renderer.__enter__()
            self._renderer_started = True
        self._pool = self._pool or ThreadPoolExecutor(max_workers=1, thread_name_prefix="grpo-score")

    def teardown(self, stage: str) -> None:
        self._pending = None
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        if self._renderer_started:
            self.renderer.__exit__(None, None, None)
            self._renderer_started = False
        self.reward.close()  # e.g. the format reward's compile worker

    # ---- the number of optimizer steps, for the scheduler
    def optimizer_steps_per_batch(self) -> int:
        s = self.settings
        datamodule = self.trainer.datamodule if self._trainer is not None else None
        rows = datamodule.batch_size * s.group_size if datamodule else s.mini_batch_size
        return s.num_iterations * math.ceil(rows / (s.mini_batch_size * s.gradient_accumulation))

    def total_optimizer_steps(self) -> int:
        if self.trainer.max_steps and self.trainer.max_steps > 0:
            return int(self.trainer.max_steps)  # in manual optimization, global_step counts optimizer steps
        return int(self.trainer.estimated_stepping_batches) * self.optimizer_steps_per_batch()

    def needs_old_logps(self) -> bool:
        """TRL's condition: the sampling policy's log-probs are needed when the policy can move between
        sampling and a mini-batch's pass: several optimizer steps per rollout, or a pipelined rollout."""
        return self.optimizer_steps_per_batch() > 1 or self.settings.async_rollouts

    # ---- scoring
    def score_async(self, texts: Sequence[str], references: Sequence[Image.Image], group_size: int,
                    reward: Reward | None = None) -> Future[Scored]:
        assert self._pool is not None, "setup() starts the scoring thread"
        return self._pool.submit(self.score, list(texts), list(references), group_size, reward)

    def score(self, texts: list[str], references: list[Image.Image], group_size: int,
              reward: Reward | None = None) -> Scored:
        """Render each distinct candidate once, score (with `reward`, else the training reward), and
        spread the results back over the rows."""
        codes = [parse_completion(text).code or "" for text in texts]
        unique = list(dict.fromkeys(codes))
        started = time.perf_counter()
        rendered = dict(zip(unique, self.renderer.render_many(unique), strict=True))
        render_s = time.perf_counter() - started
        results = [rendered[code] for code in codes]
        started = time.perf_counter()
        output = (reward or self.reward).score(references, results, completions=texts, group_size=group_size)
        return Scored(results, output, render_s, time.perf_counter() - started)

    # ---- training
    def training_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        pending = self._start_rollout(batch)
        if self.settings.async_rollouts:  # learn from the rollout scored while this one was generated
            pending, self._pending = self._pending, pending
            if pending is None:
                return
        experience, rewards, scored, stats = self._finish_rollout(pending)
        if self.settings.dynamic_sampling:
            self._buffer = self._buffer or DynamicSampling(
                self.trainer.datamodule.batch_size, self.settings.group_size, self.settings.max_generation_rounds)
            self._buffer.add(experience, rewards)
            if not self._buffer.ready():
                self._log_step(pending, scored, rewards, stats, {})
                return
            experiences, buffer_stats = self._buffer.take()
            stats |= buffer_stats
        else:
            experiences = [experience]
        started = time.perf_counter()
        loss_stats = self._optimise(experiences) if experiences else {}
        pending.timings["policy_update"] = time.perf_counter() - started
        self._log_step(pending, scored, rewards, stats | loss_stats, pending.timings)

    def _start_rollout(self, batch: dict[str, Any]) -> PendingRollout:
        """Generate, hand the candidates to the scoring thread, and take the log-probs meanwhile."""
        s, timings = self.settings, {}
        started = time.perf_counter()
        rollout = generate_rollout(self.model, self.processor, batch["inputs"], SamplingConfig(
            max_new_tokens=s.max_new_tokens, temperature=s.temperature, top_p=s.top_p, do_sample=True,
            num_return_sequences=s.group_size))
        timings["generation"] = time.perf_counter() - started
        references = [batch["images"][row] for row in rollout.prompt_index]
        scoring = self.score_async(rollout.texts, references, s.group_size)

        started = time.perf_counter()
        inputs = repeat_rows(batch["inputs"], rollout.prompt_index)  # one prompt per completion
        old_logps = ref_logps = None
        with torch.no_grad():
            if self.needs_old_logps():
                old_logps = self._logprobs_in_mini_batches(inputs, rollout)
            if s.beta != 0.0:
                with reference_model(self.model):
                    ref_logps = self._logprobs_in_mini_batches(inputs, rollout)
        timings["logprobs"] = time.perf_counter() - started
        self._rollouts += 1
        return PendingRollout(batch, rollout, inputs, old_logps, ref_logps, scoring, timings, self._rollouts - 1)

    def _finish_rollout(self, pending: PendingRollout) -> tuple[Experience, torch.Tensor, Scored, dict[str, float]]:
        """Wait for the scores; the experience with advantages over every rank's rewards."""
        s = self.settings
        started = time.perf_counter()
        scored = pending.scoring.result()
        pending.timings["waiting_for_reward"] = time.perf_counter() - started
        pending.timings["rendering"], pending.timings["reward"] = scored.render_s, scored.reward_s
        rewards = torch.tensor(scored.reward.total, dtype=torch.float32)
        everyone = self.all_gather(rewards.to(self.device)).reshape(-1).cpu()  # [world * N], rank-major
        if s.placebo_rewards:  # each rank keeps its own rows' share of whatever order it drew
            everyone = shuffled_within_groups(everyone, s.group_size)
        advantages, advantage_stats = advantages_with_stats(everyone, s.group_size, scale_rewards=s.scale_rewards)
        mine = advantages.view(-1, len(rewards))[self.global_rank if everyone.numel() > len(rewards) else 0]
        mine = torch.where(mine < 0, mine * s.negative_advantage_scale, mine)
        rollout = pending.rollout
        loss_mask = rollout.completion_mask
        if s.mask_truncated_completions:
            loss_mask = loss_mask * (~rollout.truncated).unsqueeze(1).to(loss_mask.dtype)
        experience = Experience(pending.inputs, rollout.completion_ids, loss_mask, mine.to(self.device),
                                pending.old_logps, pending.ref_logps)
        if pending.index % s.sample_table_every_n_steps == 0:
            self._sample_table(pending.batch, rollout, scored)
        return experience, rewards, scored, advantage_stats.as_dict()

    def _logprobs(self, experience: Experience, entropy: bool = False) -> Any:
        return completion_logprobs(self.model, experience.inputs, experience.completion_ids, experience.loss_mask,
                                   temperature=self.settings.temperature,
                                   chunk_size=self.settings.logprob_chunk_size, return_entropy=entropy)

    def _logprobs_in_mini_batches(self, inputs: Inputs, rollout: Rollout) -> torch.Tensor:
        """[N, T] log-probs of a rollout, `mini_batch_size` rows per forward (the no-grad passes would
        otherwise hold every row's logits at once)."""
        n, size = rollout.completion_ids.shape[0], self.settings.mini_batch_size
        parts = []
        for start in range(0, n, size):
            rows = list(range(start, min(n, start + size)))
            parts.append(completion_logprobs(
                self.model, repeat_rows(inputs, rows), rollout.completion_ids[start:start + size],
                rollout.completion_mask[start:start + size], temperature=self.settings.temperature,
                chunk_size=self.settings.logprob_chunk_size))
        return torch.cat(parts)

    def _windows(self, experiences: list[Experience]) -> Iterator[list[Experience]]:
        """μ passes over the experiences: each one's rows shuffled and cut into mini-batches (a mini-batch
        lies within one experience), the mini-batches shuffled and packed into optimizer steps of
        `mini_batch_size × gradient_accumulation` rows each (the last one of a pass may be smaller)."""
        s = self.settings
        step_rows = s.mini_batch_size * s.gradient_accumulation
        for _ in range(s.num_iterations):
            mini_batches = [e.rows(order[i:i + s.mini_batch_size].sort().values)
                            for e in experiences for order in [torch.randperm(len(e))]
                            for i in range(0, len(e), s.mini_batch_size)]
            window: list[Experience] = []
            for index in torch.randperm(len(mini_batches)).tolist():
                window.append(mini_batches[index])
                if sum(map(len, window)) >= step_rows:
                    yield window
                    window = []
            if window:
                yield window

    def _optimise(self, experiences: list[Experience]) -> dict[str, float]:
        s = self.settings
        optimizer, scheduler = self.optimizers(), self.lr_schedulers()
        totals: Counter[str] = Counter()
        count = 0
        for window in self._windows(experiences):
            if 0 < self.trainer.max_steps <= self.trainer.global_step:
                break  # max_steps counts optimizer steps: stop inside a rollout rather than overshoot
            # dapo: tokens of the whole step, averaged over ranks (TRL: the global count / processes)
            tokens = self.trainer.strategy.reduce(torch.tensor(float(sum(e.tokens() for e in window)),
                                                               device=self.device), reduce_op="mean")
            rows = sum(map(len, window))
            for index, mini_batch in enumerate(window):
                last = index == len(window) - 1
                with nullcontext() if last else self._no_sync():
                    logps, entropy = self._logprobs(mini_batch, entropy=True)
                    forks = high_entropy_mask(entropy, mini_batch.loss_mask, s.top_entropy_quantile)
                    loss, stats = grpo_loss(
                        logps, mini_batch.old_logps, mini_batch.ref_logps, mini_batch.advantages, mini_batch.loss_mask,
                        epsilon=s.epsilon, epsilon_high=s.epsilon_high, beta=s.beta, loss_type=s.loss_type,
                        max_completion_length=s.max_new_tokens, num_items_in_batch=max(float(tokens), 1.0),
                        importance_sampling_level=s.importance_sampling_level,
                        kl_ratio_correction=s.kl_ratio_correction, entropy=entropy,
                        entropy_mask=forks if s.top_entropy_quantile < 1.0 else None)
                    # each mini-batch weighs its share of the step's rows (dapo's normaliser does it per token)
                    self.manual_backward(loss if s.loss_type == "dapo" else loss * len(mini_batch) / rows)
                totals.update({"loss": float(loss.detach()), **stats})
                count += 1
            if s.max_grad_norm is not None:
                norm = clip_gradients(self, optimizer, s.max_grad_norm)  # FSDP's root clip, DeepSpeed's config
                if norm is not None:
                    totals["grad_norm"] += float(norm) * len(window)  # averaged per mini-batch below
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            if scheduler is not None:
                scheduler.step()
        return {key: value / max(count, 1) for key, value in totals.items()}

    def _no_sync(self) -> Any:
        """No gradient all-reduce for a mini-batch that is not its window's last (DDP's `no_sync`)."""
        block = getattr(self.trainer.strategy, "block_backward_sync", None)
        return block() if block is not None else nullcontext()

    def _log_step(self, pending: PendingRollout, scored: Scored, rewards: torch.Tensor, stats: dict[str, float],
                  timings: dict[str, float]) -> None:
        rollout, n = pending.rollout, len(scored.results)
        lengths = rollout.completion_mask.sum(dim=1).float()
        errors = Counter(r.error_kind for r in scored.results if not r.ok)
        metrics = {
            "train/reward": float(rewards.mean()),
            "train/reward_std": float(rewards.std()) if n > 1 else 0.0,
            "train/render_rate": sum(r.ok for r in scored.results) / n,
            "train/well_formed": sum(parse_completion(t).well_formed for t in rollout.texts) / n,
            "train/completion_length": float(lengths.mean()),
            "train/truncated": float(rollout.truncated.float().mean()),
            "train/rollouts": float(pending.index + 1),  # learned from (a pipelined one runs one ahead)
            **{f"train/{key}": value for key, value in stats.items()},
            **{f"train/reward/{name}": sum(values) / n for name, values in scored.reward.components.items()},
            # every kind, every step: a kind absent now must not keep its last value in the metrics
            **{f"train/errors/{kind}": errors[kind] / n for kind in ErrorKind},
            **{f"time/{key}_s": value for key, value in timings.items()},
        }
        if "policy_update" in timings:
            step_s = sum(v for k, v in timings.items() if k not in ("waiting_for_reward", "rendering", "reward"))
            metrics["time/render_and_reward_share"] = (timings["rendering"] + timings["reward"]) / max(
                step_s + timings["rendering"] + timings["reward"], 1e-9)
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

    # ---- exact resume: the random state (sampling, mini-batch order) and the rollout counter travel with
    # the checkpoint; every draw of the module is torch's. A pipelined rollout in flight is not saved.
    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        super().on_save_checkpoint(checkpoint)
        checkpoint[CHECKPOINT_KEY] = {"rollouts": self._rollouts, "torch_rng": torch.get_rng_state(),
                                      "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else []}

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        super().on_load_checkpoint(checkpoint)
        state = checkpoint.get(CHECKPOINT_KEY)
        if state is not None:
            self._rollouts = int(state["rollouts"])
            torch.set_rng_state(state["torch_rng"])
            if state["cuda_rng"] and torch.cuda.is_available():
                torch.cuda.set_rng_state_all(state["cuda_rng"])

    # ---- validation and test: sampled groups and greedy, scored by the reward's absolute part
    def _evaluate(self, batch: dict[str, Any], batch_idx: int, stage: str) -> None:
        s = self.settings
        max_new_tokens = s.val_max_new_tokens or s.max_new_tokens
        greedy = generate_rollout(self.model, self.processor, batch["inputs"], SamplingConfig(
            max_new_tokens=max_new_tokens, do_sample=False))
        with torch.random.fork_rng(devices=[self.device] if self.device.type == "cuda" else []):
            torch.manual_seed(s.val_seed + batch_idx)
            sampled = generate_rollout(self.model, self.processor, batch["inputs"], SamplingConfig(
                max_new_tokens=max_new_tokens, temperature=s.temperature, top_p=s.top_p, do_sample=True,
                num_return_sequences=s.group_size))
        images = list(batch["images"])
        scored_greedy = self.score(greedy.texts, images, 1, self.validation_reward)
        scored = self.score(sampled.texts, [images[row] for row in sampled.prompt_index], s.group_size,
                            self.validation_reward)
        n = len(images)
        rewards = torch.tensor(scored.reward.total).view(n, s.group_size)
        self.log(f"{stage}/reward", float(rewards.mean()), prog_bar=stage == "val", batch_size=n, sync_dist=True)
        self.log_dict({
            f"{stage}/render_rate": sum(r.ok for r in scored.results) / len(scored.results),
            f"{stage}/best_of_g_reward": float(rewards.max(dim=1).values.mean()),
            f"{stage}/greedy_reward": sum(scored_greedy.reward.total) / n,
            f"{stage}/greedy_render_rate": sum(r.ok for r in scored_greedy.results) / n,
        }, batch_size=n, sync_dist=True)

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self._evaluate(batch, batch_idx, "val")

    def test_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self._evaluate(batch, batch_idx, "test")
