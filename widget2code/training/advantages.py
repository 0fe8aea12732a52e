"""Group-relative advantages: how much better each completion scored than its siblings.

The definitions are TRL's GRPOTrainer's, so numbers compare with the ecosystem:

- `sum_then_normalize` (default): r = sum_k w_k r_k, then A = (r - group mean) / (std + 1e-4) with
  the sample (n - 1) std; `scale_rewards` picks the std: "group" (of the group), "batch" (of every
  reward in the batch; the mean is still the group's) or "none" (A = r - group mean).
- `normalize_then_sum`: each component is z-scored within its group, (r_k - mean) / (std + 1e-4),
  the z-scores are summed with the weights, and the sums are normalised over the batch,
  (s - batch mean) / (batch std + 1e-4). As in TRL this mode always normalises over the batch, so
  `scale_rewards` plays no part in it.

Two rules TRL does not have, so that a missing or uninformative reward never pushes the policy:

- NaN marks a missing reward. A missing component is left out of the weighted sum (TRL's nansum); a
  completion with every component missing has no reward: it is left out of every mean and std and
  its advantage is exactly 0.
- A group whose rewards are all equal (or that has fewer than two rewards) carries no signal: its
  advantages are exactly 0 rather than float noise divided by 1e-4, and it is counted in the stats
  (TRL's `frac_reward_zero_std`). In `normalize_then_sum` that means every component is constant.

The G = `group_size` completions of one prompt are contiguous, as a rollout lays them out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Literal

import torch
from torch import Tensor

from widget2code.rewards.groups import group_labels

ScaleRewards = Literal["group", "batch", "none"]
Aggregation = Literal["sum_then_normalize", "normalize_then_sum"]
SCALE_REWARDS = ("group", "batch", "none")
AGGREGATIONS = ("sum_then_normalize", "normalize_then_sum")
EPS = 1e-4  # TRL's


class AdvantageError(ValueError):
    """Rewards, group size, weights or options that do not define advantages."""


@dataclass(frozen=True)
class AdvantageStats:
    """What a trainer logs about one batch of advantages."""

    zero_std_fraction: float  # share of groups whose rewards are all equal (their advantages are 0)
    missing_fraction: float  # share of completions without a reward (advantage 0)
    mean: float
    std: float
    min: float
    max: float

    def as_dict(self, prefix: str = "advantages/") -> dict[str, float]:
        return {f"{prefix}{key}": value for key, value in asdict(self).items()}


def group_advantages(rewards: Tensor | Sequence[float] | Sequence[Sequence[float]], group_size: int, *,
                     scale_rewards: ScaleRewards = "group", weights: Tensor | Sequence[float] | None = None,
                     aggregation: Aggregation = "sum_then_normalize") -> Tensor:
    """Advantages `[N]` for rewards `[N]` or `[N, K]` (K components); see the module docstring."""
    return advantages_with_stats(rewards, group_size, scale_rewards=scale_rewards, weights=weights,
                                 aggregation=aggregation)[0]


def advantages_with_stats(rewards: Tensor | Sequence[float] | Sequence[Sequence[float]], group_size: int, *,
                          scale_rewards: ScaleRewards = "group", weights: Tensor | Sequence[float] | None = None,
                          aggregation: Aggregation = "sum_then_normalize") -> tuple[Tensor, AdvantageStats]:
    """`group_advantages` and the statistics a trainer logs about them."""
    if scale_rewards not in SCALE_REWARDS:
        raise AdvantageError(f"scale_rewards must be one of {SCALE_REWARDS}, got {scale_rewards!r}")
    if aggregation not in AGGREGATIONS:
        raise AdvantageError(f"aggregation must be one of {AGGREGATIONS}, got {aggregation!r}")
    r = _reward_matrix(rewards)  # [N, K]
    n, k = r.shape
    group_labels(n, group_size=group_size, error=AdvantageError)  # validates: a positive divisor of N
    w = _weights(weights, k, r)  # [K]
    missing = r.isnan().all(dim=1)  # [N]

    if aggregation == "sum_then_normalize":
        total = (r * w).nansum(dim=1).masked_fill(missing, float("nan"))  # [N]
        grouped = total.view(-1, group_size)  # [N/G, G]
        std = _nanstd(grouped, dim=1)  # [N/G, 1]
        flat = _no_spread(std).squeeze(1)  # [N/G]
        advantages = grouped - grouped.nanmean(dim=1, keepdim=True)  # [N/G, G]
        if scale_rewards == "group":
            advantages = advantages / (std + EPS)
        elif scale_rewards == "batch":
            advantages = advantages / (_batch_std(total) + EPS)
    else:
        grouped = r.view(-1, group_size, k)  # [N/G, G, K]
        std_k = _nanstd(grouped, dim=1)  # [N/G, 1, K]
        flat_k = _no_spread(std_k)  # [N/G, 1, K]
        z = ((grouped - grouped.nanmean(dim=1, keepdim=True)) / (std_k + EPS)).masked_fill(flat_k, 0.0)
        total = (z * w).nansum(dim=2).view(n).masked_fill(missing, float("nan"))  # [N]
        advantages = (total - total.nanmean()) / (_batch_std(total) + EPS)  # [N]
        flat = flat_k.all(dim=2).squeeze(1)  # [N/G]

    advantages = advantages.reshape(n).masked_fill(flat.repeat_interleave(group_size) | missing, 0.0)
    stats = AdvantageStats(
        zero_std_fraction=float(flat.float().mean()),
        missing_fraction=float(missing.float().mean()),
        mean=float(advantages.mean()),
        std=float(advantages.std()) if n > 1 else 0.0,
        min=float(advantages.min()),
        max=float(advantages.max()),
    )
    return advantages, stats


def shuffled_within_groups(rewards: Tensor, group_size: int, generator: torch.Generator | None = None) -> Tensor:
    """`rewards` [N] with each group's G values in a random order: a placebo. GRPO then takes updates of
    the real run's size and noise (each group keeps its spread) that follow no completion's merit, so
    the real run minus the placebo run is what the reward taught, and the placebo alone is what the
    update's noise costs (the spurious-reward control of Shao et al., 2025)."""
    group_labels(len(rewards), group_size=group_size, error=AdvantageError)  # validates: G divides N
    grouped = rewards.view(-1, group_size)  # [N/G, G]
    order = torch.rand(grouped.shape, generator=generator).argsort(dim=1)  # [N/G, G]
    return grouped.gather(1, order.to(grouped.device)).reshape(-1)


def _reward_matrix(rewards: Tensor | Sequence[float] | Sequence[Sequence[float]]) -> Tensor:
    try:
        r = torch.as_tensor(rewards)
    except (TypeError, ValueError) as err:
        raise AdvantageError(f"rewards must be a tensor or a (nested) list of numbers: {err}") from err
    if not r.is_floating_point():
        r = r.to(torch.get_default_dtype())
    if r.ndim not in (1, 2) or r.shape[0] == 0 or r.numel() == 0:
        raise AdvantageError(f"rewards must be a non-empty [N] or [N, K] tensor, got shape {tuple(r.shape)}")
    if r.isinf().any():
        raise AdvantageError("rewards must be finite (NaN marks a missing reward), got an infinite value")
    return r if r.ndim == 2 else r.unsqueeze(1)


def _weights(weights: Tensor | Sequence[float] | None, k: int, like: Tensor) -> Tensor:
    if weights is None:
        return torch.ones(k, dtype=like.dtype, device=like.device)
    w = torch.as_tensor(weights, dtype=like.dtype, device=like.device)
    if w.shape != (k,) or not w.isfinite().all():
        raise AdvantageError(f"weights must be {k} finite numbers (one per reward component), got {weights!r}")
    return w


def _nanstd(x: Tensor, dim: int) -> Tensor:
    """Sample (n - 1) std over `dim` ignoring NaN, kept as a size-1 dim; NaN where fewer than 2 values."""
    count = (~x.isnan()).sum(dim=dim, keepdim=True)
    squares = (x - x.nanmean(dim=dim, keepdim=True)).square().nansum(dim=dim, keepdim=True)
    variance = squares / (count - 1).clamp(min=1)
    return variance.sqrt().masked_fill(count < 2, float("nan"))


def _no_spread(std: Tensor) -> Tensor:
    """True where there is nothing to compare: fewer than two rewards, or all equal (TRL's isclose)."""
    return std.isnan() | torch.isclose(std, torch.zeros_like(std))


def _batch_std(total: Tensor) -> Tensor:
    std = _nanstd(total, dim=0)
    return std.nan_to_num(0.0)  # a batch with a single reward has no spread
