"""Sampled decoding in evaluation: the quantity GRPO optimises.

GRPO maximises the expected reward of completions sampled at its training temperature; greedy
decoding at a 100 % render rate hides most of what it can change. For each reference, `k` completions
are drawn at `temperature` (one generation call per batch of references, `k` return sequences each,
through the inference proposer), all k·batch of them rendered in one `render_many` and scored with one
reward call (`inference.best_of_n.score_texts`: absolute scores, no group information). Per reference:
the mean reward of the k (avg@k), the share that rendered, and the best of the k (best-of-k, what
best-of-N inference would keep).

Reruns give the same numbers: torch's generator is seeded per batch from (seed, batch start) inside a
fork of its state, so nothing outside the evaluation sees the reseeding. (An OpenAI-compatible server
samples with its own randomness.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch

from widget2code.evaluation.errors import EvaluationInputError, PredictionsError
from widget2code.evaluation.references import Reference
from widget2code.evaluation.results import SampledGroup
from widget2code.evaluation.stats import mean_interval
from widget2code.inference.best_of_n import score_texts
from widget2code.inference.model_predictor import ModelProposer
from widget2code.inference.openai_predictor import OpenAIProposer
from widget2code.inference.predictor import Predictor, Proposer
from widget2code.render import Renderer
from widget2code.rewards.base import Reward

SAMPLED = "sampled.jsonl"


class SampledModeError(EvaluationInputError):
    """The sampled mode's settings cannot work (k below 1, a temperature that does not sample)."""


@dataclass(frozen=True)
class SampledMode:
    """`k` completions per reference at `temperature` / `top_p` (TRL's meanings; GRPO's num_generations,
    temperature and top_p)."""

    k: int = 4
    temperature: float = 1.0
    top_p: float = 1.0

    def __post_init__(self) -> None:
        if self.k < 1:
            raise SampledModeError(f"sampled.k must be at least 1, got {self.k}")
        if not (self.temperature > 0 and 0 < self.top_p <= 1):
            raise SampledModeError(f"sampled mode needs temperature > 0 and top_p in (0, 1], "
                                   f"got temperature {self.temperature}, top_p {self.top_p}")


def sampling_proposer(predictor: Predictor, mode: SampledMode) -> Proposer:
    """The predictor's own proposer (same model, prompt, image policy and length limit), sampling at the
    mode's temperature and top_p."""
    proposer = getattr(predictor, "proposer", None)
    if isinstance(proposer, ModelProposer):
        sampling = replace(proposer.sampling, temperature=mode.temperature, top_p=mode.top_p, do_sample=True)
        return ModelProposer(proposer.model, proposer.processor, sampling, proposer.image_size, proposer.pad_color)
    if isinstance(proposer, OpenAIProposer):
        sampler = OpenAIProposer(proposer.client, mode.temperature, proposer.options.get("max_tokens"))
        if mode.top_p < 1:
            sampler.options["top_p"] = mode.top_p
        return sampler
    raise PredictionsError(f"predictor {getattr(predictor, 'name', type(predictor).__name__)} has no model to "
                           "sample from: the sampled mode needs predictor=model or predictor=openai")


def sample_completions(references: Sequence[Reference], proposer: Proposer, renderer: Renderer, reward: Reward,
                       mode: SampledMode, batch_size: int = 8, seed: int = 0,
                       advance: Callable[[int], object] = lambda n: None) -> list[SampledGroup]:
    """`mode.k` completions per reference, rendered and scored in one batch per `batch_size` references."""
    groups: list[SampledGroup] = []
    for start in range(0, len(references), batch_size):
        targets = [r.image for r in references[start:start + batch_size]]
        with torch.random.fork_rng(devices=list(range(torch.cuda.device_count()))):
            torch.manual_seed(int(np.random.SeedSequence([seed, start]).generate_state(1)[0]))
            texts = proposer.propose(targets, mode.k)
        if [len(group) for group in texts] != [mode.k] * len(targets):
            raise PredictionsError(f"the sampler returned {[len(g) for g in texts]} completions for "
                                   f"{len(targets)} screenshots, {mode.k} wanted each")
        groups += [SampledGroup.of(scored) for scored in score_texts(renderer, reward, targets, texts)]
        advance(len(targets))
    return groups


def summarize(groups: Sequence[SampledGroup], mode: SampledMode, seed: int = 0) -> dict[str, Any]:
    """summary.json's `sampled` block: the settings and three means over references with their bootstrap
    95 % intervals (resampling references)."""
    return {"k": mode.k, "temperature": mode.temperature, "top_p": mode.top_p, "seed": seed,
            **{name: mean_interval([getter(g) for g in groups], seed=seed).as_dict() for name, getter in (
                ("reward", lambda g: g.reward), ("render_success_rate", lambda g: g.render_rate),
                ("best_of_k_reward", lambda g: g.best_reward))}}
