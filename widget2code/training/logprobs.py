"""Per-token log-probabilities of sampled completions under a model: the three passes of GRPO
(policy with grad; old policy and reference without) all go through here.

The model runs once on prompt + completion. `logits_to_keep = T + 1` makes the language-model head
produce logits only for the last T + 1 positions (the one before the first completion token predicts
it, the last one predicts past the end and is dropped), so nothing is spent on the prompt with its
hundreds of image tokens. The log-softmax is then taken in chunks of `chunk_size` positions,
upcast to float32 per chunk (bf16 logsumexp is too coarse), as gathered logit - logsumexp: only one
chunk's float32 copy of the [B, chunk, V] logits lives at a time. With grad each chunk is
checkpointed, so the backward pass recomputes it instead of keeping every chunk's copy alive; only
the model's own [B, T + 1, V] logits remain.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor, nn
from torch.utils.checkpoint import checkpoint


class LogprobsError(ValueError):
    """Prompt inputs, completions or options that do not fit together."""


def completion_logprobs(model: nn.Module, inputs: Mapping[str, Tensor], completion_ids: Tensor,
                        completion_mask: Tensor, *, temperature: float = 1.0, chunk_size: int | None = None,
                        return_entropy: bool = False) -> Tensor | tuple[Tensor, Tensor]:
    """[B, T] log-probs of `completion_ids` given the prompts, 0 where `completion_mask` is 0.

    Args:
        model: a causal (vision-)language model whose forward takes `logits_to_keep`.
        inputs: the prompt inputs, left-padded ([B, P] `input_ids`, `attention_mask`, optional
            `mm_token_type_ids`) with their `pixel_values` / `image_grid_thw`, as `build_prompt` makes them.
        completion_ids: [B, T] sampled tokens; completion_mask: [B, T] 1 on real tokens, 0 on padding.
        temperature: the sampling temperature; logits are divided by it, as the sampler did.
        chunk_size: positions per log-softmax chunk (None: all T at once).
        return_entropy: also return the [B, T] entropy of each position's distribution (detached,
            for logging).
    """
    if temperature <= 0:
        raise LogprobsError(f"temperature must be > 0, got {temperature}")
    if chunk_size is not None and (isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1):
        raise LogprobsError(f"chunk_size must be a positive int or None, got {chunk_size!r}")
    model_inputs = _prompt_plus_completion(inputs, completion_ids, completion_mask)
    length = completion_ids.shape[1]
    logits = model(**model_inputs, logits_to_keep=length + 1, use_cache=False).logits[:, :-1]  # [B, T, V]
    step = chunk_size or max(length, 1)
    keep_graph = torch.is_grad_enabled() and logits.requires_grad
    logps, entropies = [], []
    for start in range(0, length, step):
        chunk = logits[:, start:start + step]  # [B, C, V]
        targets = completion_ids[:, start:start + step]  # [B, C]
        if keep_graph:
            logps.append(checkpoint(_token_logprobs, chunk, targets, temperature, use_reentrant=False))
        else:
            logps.append(_token_logprobs(chunk, targets, temperature))
        if return_entropy:
            with torch.no_grad():
                entropies.append(_entropy(chunk, temperature))
    padding = ~completion_mask.bool()
    empty = logits.new_zeros(completion_ids.shape, dtype=torch.float32)
    result = (torch.cat(logps, dim=1) if logps else empty).masked_fill(padding, 0.0)  # [B, T]
    if not return_entropy:
        return result
    return result, (torch.cat(entropies, dim=1) if entropies else empty).masked_fill(padding, 0.0)


def _prompt_plus_completion(inputs: Mapping[str, Tensor], completion_ids: Tensor,
                            completion_mask: Tensor) -> dict[str, Tensor]:
    """The model inputs for [prompt | completion]: per-token tensors extended, per-image ones as they are."""
    if "input_ids" not in inputs:
        raise LogprobsError(f"inputs must hold the prompt's input_ids, got keys {sorted(inputs)}")
    prompt_ids = inputs["input_ids"]  # [B, P]
    if completion_ids.ndim != 2 or completion_ids.shape[0] != prompt_ids.shape[0]:
        raise LogprobsError(f"completion_ids must be [B, T] with B = {prompt_ids.shape[0]} prompts, "
                            f"got shape {tuple(completion_ids.shape)}")
    if completion_mask.shape != completion_ids.shape:
        raise LogprobsError(f"completion_mask must have the shape of completion_ids {tuple(completion_ids.shape)}, "
                            f"got {tuple(completion_mask.shape)}")
    model_inputs = {key: value for key, value in inputs.items() if key != "labels"}
    prompt_mask = inputs.get("attention_mask", torch.ones_like(prompt_ids))
    model_inputs["input_ids"] = torch.cat([prompt_ids, completion_ids.to(prompt_ids.dtype)], dim=1)
    model_inputs["attention_mask"] = torch.cat([prompt_mask, completion_mask.to(prompt_mask.dtype)], dim=1)
    if "mm_token_type_ids" in inputs:  # completion tokens are text: type 0
        types = inputs["mm_token_type_ids"]
        model_inputs["mm_token_type_ids"] = torch.cat(
            [types, torch.zeros(completion_ids.shape, dtype=types.dtype, device=types.device)], dim=1)
    return model_inputs


def _scaled(logits: Tensor, temperature: float) -> Tensor:
    logits = logits.float()
    return logits if temperature == 1.0 else logits / temperature


def _token_logprobs(logits: Tensor, targets: Tensor, temperature: float) -> Tensor:
    """[B, C, V] logits, [B, C] targets -> [B, C] float32 log-probs: gathered logit - logsumexp."""
    scaled = _scaled(logits, temperature)
    return scaled.gather(-1, targets.unsqueeze(-1)).squeeze(-1) - scaled.logsumexp(dim=-1)


def _entropy(logits: Tensor, temperature: float) -> Tensor:
    """[B, C, V] logits -> [B, C] entropy of the temperature-scaled distribution."""
    logp = _scaled(logits, temperature).log_softmax(dim=-1)
    return -(logp.exp() * logp).sum(dim=-1)
