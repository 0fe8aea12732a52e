"""The GRPO objective: PPO's clipped surrogate on group-relative advantages, plus a KL penalty.

Per completion token t of sequence b (TRL's GRPOTrainer definitions):

    ratio  = exp(logp - old_logp)                                 (1 when old_logps is None)
             with importance_sampling_level "sequence" (GSPO): exp(mean_t(logp - old_logp)), one per sequence
    policy = -min(ratio * A_b, clamp(ratio, 1 - eps, 1 + eps_high) * A_b)
    k3     = exp(ref - logp) - (ref - logp) - 1                   (>= 0, unbiased KL(pi || ref) estimate)
    loss_t = policy * keep_t + beta * k3  (k3 * ratio with kl_ratio_correction, TRL's use_bias_correction_kl)

where keep_t is 1, or with `entropy_mask` (TRL's top_entropy_quantile, "Beyond the 80/20 rule") 1 only on
the high-entropy tokens `high_entropy_mask` picks: the policy term learns at the forks, the KL holds all.

reduced over the completion mask by `loss_type`:
- "grpo": mean over each sequence's tokens, then over sequences (a fully masked row counts as 0);
- "bnpo": mean over every token of the batch;
- "dr_grpo": sum / (B * max_completion_length), which removes the length bias of the two above;
- "dapo": sum / num_items_in_batch, the number of completion tokens in the whole optimizer step (every
  mini-batch of the accumulation window; TRL divides the global count by the number of processes): each
  token of the step weighs the same, however the step is cut into mini-batches.

The loss is not divided by gradient-accumulation steps: the trainer does that (except for "dapo", whose
normaliser already spans the window, as in TRL). Masked positions are
neutralised before anything is computed, so padding (whatever its log-probs) never yields NaN in the
loss or its gradient.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor

LossType = Literal["grpo", "bnpo", "dr_grpo", "dapo"]
LOSS_TYPES = ("grpo", "bnpo", "dr_grpo", "dapo")
ImportanceSamplingLevel = Literal["token", "sequence"]
IMPORTANCE_SAMPLING_LEVELS = ("token", "sequence")


class GRPOLossError(ValueError):
    """Inputs or options that do not define the GRPO loss (shapes, loss type, coefficients)."""


def grpo_loss(logps: Tensor, old_logps: Tensor | None, ref_logps: Tensor | None, advantages: Tensor,
              mask: Tensor, *, epsilon: float = 0.2, epsilon_high: float | None = None, beta: float = 0.05,
              loss_type: LossType = "grpo", max_completion_length: int | None = None,
              num_items_in_batch: float | None = None, importance_sampling_level: ImportanceSamplingLevel = "token",
              kl_ratio_correction: bool = False, entropy: Tensor | None = None,
              entropy_mask: Tensor | None = None) -> tuple[Tensor, dict[str, float]]:
    """The scalar loss and its detached statistics (see the module docstring).

    Args:
        logps: [B, T] per-token log-probs of the completions under the policy being trained (with grad).
        old_logps: [B, T] the same under the policy that sampled them, or None (on-policy: ratio 1).
        ref_logps: [B, T] the same under the reference policy; may be None only when beta == 0.
        advantages: [B] one advantage per completion.
        mask: [B, T] the completion mask (1 on real tokens, 0 on padding), bool or 0/1.
        epsilon, epsilon_high: the clip range [1 - epsilon, 1 + epsilon_high] (epsilon_high defaults
            to epsilon; DAPO's clip-higher sets it larger).
        num_items_in_batch: "dapo"'s normaliser: completion tokens in the optimizer step (per process).
        importance_sampling_level: "token" (PPO/GRPO) or "sequence" (GSPO: one length-normalised ratio
            per sequence, clipped as a whole).
        entropy: [B, T] optional per-token entropies, only logged.
        entropy_mask: [B, T] optional: the tokens whose policy term counts (`high_entropy_mask`).

    Returns:
        loss, and stats: `kl` (when ref_logps is given), `clip_ratio/low_mean`, `clip_ratio/high_mean`,
        `clip_ratio/region_mean` (share of tokens whose ratio the clip held back: below 1 - eps with
        A < 0, above 1 + eps_high with A > 0, either), `entropy` (when given), `ratio/min`, `ratio/max`.
    """
    eps_low, eps_high = epsilon, epsilon if epsilon_high is None else epsilon_high
    _check(logps, old_logps, ref_logps, advantages, mask, entropy, entropy_mask, eps_low, eps_high, beta, loss_type,
           max_completion_length, num_items_in_batch, importance_sampling_level)
    keep = mask.bool()  # [B, T]
    weight = keep.to(logps.dtype)  # [B, T]
    logps = logps.masked_fill(~keep, 0.0)  # [B, T]; padding: ratio 1 and k3 0 below, whatever came in
    old = logps.detach() if old_logps is None else old_logps.masked_fill(~keep, 0.0)  # [B, T]
    a = advantages.to(logps.dtype).unsqueeze(1)  # [B, 1]

    log_ratio = logps - old  # [B, T]
    if importance_sampling_level == "sequence":  # GSPO: the mean log-ratio of each sequence
        log_ratio = (log_ratio * weight).sum(dim=1, keepdim=True) / weight.sum(dim=1, keepdim=True).clamp(min=1.0)
    ratio = torch.exp(log_ratio)  # [B, T], or [B, 1] per sequence
    clipped = ratio.clamp(1.0 - eps_low, 1.0 + eps_high)  # like ratio
    per_token = -torch.min(ratio * a, clipped * a).expand_as(logps)  # [B, T]
    if entropy_mask is not None:
        per_token = per_token * entropy_mask.to(per_token.dtype)  # [B, T]
    kl = None
    if ref_logps is not None:
        delta = ref_logps.masked_fill(~keep, 0.0) - logps  # [B, T]
        kl = torch.exp(delta) - delta - 1.0  # [B, T]
        if kl_ratio_correction:
            kl = kl * ratio  # [B, T]
        if beta != 0.0:
            per_token = per_token + beta * kl
    loss = _reduce(per_token * weight, weight, loss_type, max_completion_length, num_items_in_batch)

    with torch.no_grad():
        tokens = weight.sum().clamp(min=1.0)

        def masked_mean(x: Tensor) -> float:
            return float((x.expand_as(weight).to(weight.dtype) * weight).sum() / tokens)

        low = (ratio < 1.0 - eps_low) & (a < 0)  # like ratio
        high = (ratio > 1.0 + eps_high) & (a > 0)  # like ratio
        ratios = ratio.expand_as(logps)[keep]
        stats = {
            "clip_ratio/low_mean": masked_mean(low),
            "clip_ratio/high_mean": masked_mean(high),
            "clip_ratio/region_mean": masked_mean(low | high),
            # with no token at all there is no ratio to report: 1, the neutral value, keeps logs finite
            "ratio/min": float(ratios.min()) if keep.any() else 1.0,
            "ratio/max": float(ratios.max()) if keep.any() else 1.0,
        }
        if kl is not None:
            stats["kl"] = masked_mean(kl)
        if entropy is not None:
            stats["entropy"] = masked_mean(entropy.masked_fill(~keep, 0.0))
    return loss, stats


def high_entropy_mask(entropy: Tensor, mask: Tensor, quantile: float) -> Tensor:
    """[B, T] bool: the real tokens whose entropy is at or above the `1 - quantile` quantile of the real
    tokens' entropies (TRL's `top_entropy_quantile` = quantile: 0.2 keeps the top 20 %, 1.0 keeps all)."""
    if not 0.0 < quantile <= 1.0:
        raise GRPOLossError(f"top_entropy_quantile must be in (0, 1], got {quantile}")
    keep = mask.bool()
    if quantile == 1.0 or not keep.any():
        return keep
    threshold = torch.quantile(entropy[keep].float(), 1.0 - quantile)
    return keep & (entropy >= threshold)


def _reduce(masked: Tensor, weight: Tensor, loss_type: str, max_completion_length: int | None,
            num_items_in_batch: float | None) -> Tensor:
    """[B, T] masked per-token losses -> scalar."""
    if loss_type == "grpo":
        return (masked.sum(dim=1) / weight.sum(dim=1).clamp(min=1.0)).mean()
    if loss_type == "bnpo":
        return masked.sum() / weight.sum().clamp(min=1.0)
    if loss_type == "dapo":
        return masked.sum() / num_items_in_batch
    return masked.sum() / (masked.shape[0] * max_completion_length)  # dr_grpo


def _check(logps: Tensor, old_logps: Tensor | None, ref_logps: Tensor | None, advantages: Tensor, mask: Tensor,
           entropy: Tensor | None, entropy_mask: Tensor | None, eps_low: float, eps_high: float, beta: float, loss_type: str,
           max_completion_length: int | None, num_items_in_batch: float | None,
           importance_sampling_level: str) -> None:
    if logps.ndim != 2:
        raise GRPOLossError(f"logps must be [B, T], got shape {tuple(logps.shape)}")
    shape = tuple(logps.shape)
    for name, tensor in (("old_logps", old_logps), ("ref_logps", ref_logps), ("mask", mask), ("entropy", entropy),
                         ("entropy_mask", entropy_mask)):
        if tensor is not None and tuple(tensor.shape) != shape:
            raise GRPOLossError(f"{name} must have the shape of logps {shape}, got {tuple(tensor.shape)}")
    if tuple(advantages.shape) != shape[:1]:
        raise GRPOLossError(f"advantages must be [B] = {shape[:1]}, got {tuple(advantages.shape)}")
    if not torch.isfinite(advantages).all():
        raise GRPOLossError("advantages must be finite (a missing reward should give advantage 0)")
    if loss_type not in LOSS_TYPES:
        raise GRPOLossError(f"loss_type must be one of {LOSS_TYPES}, got {loss_type!r}")
    if loss_type == "dr_grpo" and (
        isinstance(max_completion_length, bool) or not isinstance(max_completion_length, int)
        or max_completion_length < max(1, shape[1])
    ):
        raise GRPOLossError(f"dr_grpo needs max_completion_length, an int >= the completion length {shape[1]}, "
                            f"got {max_completion_length!r}")
    if loss_type == "dapo" and (
        isinstance(num_items_in_batch, bool) or not isinstance(num_items_in_batch, int | float)
        or not num_items_in_batch > 0
    ):
        raise GRPOLossError(f"dapo needs num_items_in_batch, the completion tokens of the optimizer step (> 0), "
                            f"got {num_items_in_batch!r}")
    if importance_sampling_level not in IMPORTANCE_SAMPLING_LEVELS:
        raise GRPOLossError(f"importance_sampling_level must be one of {IMPORTANCE_SAMPLING_LEVELS}, "
                            f"got {importance_sampling_level!r}")
    if eps_low < 0 or eps_high < 0:
        raise GRPOLossError(f"epsilon and epsilon_high must be >= 0, got {eps_low} and {eps_high}")
    if beta < 0:
        raise GRPOLossError(f"beta must be >= 0, got {beta}")
    if beta != 0.0 and ref_logps is None:
        raise GRPOLossError(f"beta={beta} needs ref_logps (the reference policy's log-probs)")
