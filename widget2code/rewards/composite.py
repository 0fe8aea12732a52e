"""A weighted sum of rewards, with the two ways GRPO can combine several rewards within a group.

    CompositeReward({"programmatic": {"reward": ProgrammaticReward(), "weight": 0.4},
                     "vlm_judge": {"reward": VLMJudgeReward(...), "weight": 0.6}})

Weights are normalised to sum to 1. The breakdown holds every sub-reward's total under its name and
its components as `name/component`, so one log line shows what drove a score. Context (e.g.
`group_ids` for the tournament) is passed to every sub-reward, which are scored in order, together
with `context[SIBLING_OUTPUTS]`: the outputs of the entries scored before it in this call (replacing
an outer composite's). An entry that reads a sibling's output (`depends_on`) must come after it.

Aggregation (`aggregation=`), applied only when the context says how candidates form groups, through
`group_ids` (one hashable per candidate) or `group_size` (consecutive runs of that many):

- "sum_then_normalize" (default): total = sum_k w_k * r_k, the raw weighted sum in [0, 1]. Group
  normalisation is left to the advantage computation ((total - group mean) / group std in GRPO).
- "normalize_then_sum": each sub-reward is first z-scored within its group,
  z_k = (r_k - mean_group(r_k)) / (std_group(r_k) + eps) (population std; a constant group gives 0),
  and total = sum_k w_k * z_k. These totals are centred on 0 within each group (not in [0, 1]): they
  are advantage-like values in which every sub-reward has the same spread, so a low-variance reward
  is not drowned by a high-variance one. The z-scores are also exposed as `name/z`.

Without group information both modes return the raw weighted sum in [0, 1].

A composite is `group_relative` when any sub-reward is or when it normalises within groups; its
`absolute()` part then keeps the sub-rewards' absolute parts (group-relative ones dropped, weights
renormalised) as a raw weighted sum ("sum_then_normalize": z-scores mean nothing in a group of one),
named `<name>/absolute`. `close()` closes every sub-reward.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from typing import Literal

import numpy as np
from PIL import Image

from widget2code.rewards.base import (
    SIBLING_OUTPUTS,
    Candidate,
    Reward,
    RewardOutput,
    clamp01,
    normalize_weights,
)
from widget2code.rewards.groups import group_labels, group_members

Aggregation = Literal["sum_then_normalize", "normalize_then_sum"]
AGGREGATIONS = ("sum_then_normalize", "normalize_then_sum")


class CompositeRewardError(ValueError):
    """A composite built from a malformed reward spec or given inconsistent group information."""


class CompositeReward(Reward):
    """Weighted sum of sub-rewards.

    Args:
        rewards: name -> {"reward": Reward, "weight": float} (or name -> Reward, weight 1), or a list of
            {"name": ..., "reward": ..., "weight": ...} (name defaults to the reward's `name`).
        aggregation: "sum_then_normalize" or "normalize_then_sum" (see the module docstring).
        eps: added to the group std in normalize_then_sum.
        name: the key of this composite's total in logs.
    """

    def __init__(self, rewards: Mapping[str, object] | Sequence[Mapping[str, object]],
                 aggregation: Aggregation = "sum_then_normalize", eps: float = 1e-6,
                 name: str = "composite") -> None:
        if aggregation not in AGGREGATIONS:
            raise CompositeRewardError(f"aggregation must be one of {AGGREGATIONS}, got {aggregation!r}")
        self.rewards, weights = _parse_rewards(rewards)
        _check_dependencies(self.rewards)
        self.weights = normalize_weights(weights, list(weights), "composite", error=CompositeRewardError)
        self.aggregation = aggregation
        self.eps = eps
        self.name = name

    @property  # derived from the parts, not a class constant
    def group_relative(self) -> bool:
        return self.aggregation == "normalize_then_sum" or any(r.group_relative for r in self.rewards.values())

    def absolute(self) -> Reward | None:
        """Itself when nothing is group-relative; else the absolute parts, reweighted; None if none is left."""
        if not self.group_relative:
            return self
        parts = {key: (reward.absolute(), self.weights[key]) for key, reward in self.rewards.items()}
        kept = {key: {"reward": part, "weight": weight} for key, (part, weight) in parts.items() if part is not None}
        if not kept:
            return None
        return CompositeReward(kept, aggregation="sum_then_normalize", eps=self.eps, name=f"{self.name}/absolute")

    def close(self) -> None:
        """Close every sub-reward, in order; each is closed even if an earlier one fails."""
        with ExitStack() as stack:
            for reward in reversed(list(self.rewards.values())):  # ExitStack unwinds last-in first
                stack.callback(reward.close)

    def score(self, references: Sequence[Image.Image], candidates: Sequence[Candidate],
              **context: object) -> RewardOutput:
        n = len(candidates)
        components: dict[str, list[float]] = {}
        errors: list[str | None] = [None] * n
        totals: dict[str, np.ndarray] = {}
        outputs: dict[str, RewardOutput] = {}
        for key, reward in self.rewards.items():
            out = reward.score(references, candidates, **{**context, SIBLING_OUTPUTS: dict(outputs)})
            outputs[key] = out
            totals[key] = np.asarray(out.total, dtype=np.float64)
            components[key] = list(out.total)
            components.update({f"{key}/{comp}": list(vals) for comp, vals in out.components.items()})
            for i, err in enumerate(out.errors):
                errors[i] = errors[i] or err
        groups = group_index(n, context)
        if self.aggregation == "normalize_then_sum" and groups is not None:
            combined = np.zeros(n)
            for key, values in totals.items():
                z = group_zscore(values, groups, self.eps)
                components[f"{key}/z"] = z.tolist()
                combined += self.weights[key] * z
            return RewardOutput(total=combined.tolist(), components=components, errors=errors)
        combined = sum(self.weights[key] * values for key, values in totals.items())
        return RewardOutput(total=[clamp01(v) for v in np.atleast_1d(combined)], components=components,
                            errors=errors)


def _parse_rewards(spec: Mapping[str, object] | Sequence[Mapping[str, object]]
                   ) -> tuple[dict[str, Reward], dict[str, float]]:
    items: list[tuple[str | None, object]]
    if isinstance(spec, Mapping):
        items = list(spec.items())
    elif isinstance(spec, Sequence) and not isinstance(spec, str):
        items = [(entry.get("name") if isinstance(entry, Mapping) else None, entry) for entry in spec]
    else:
        raise CompositeRewardError(f"rewards must be a mapping or a list, got {type(spec).__name__}")
    rewards: dict[str, Reward] = {}
    weights: dict[str, float] = {}
    for key, entry in items:
        if isinstance(entry, Reward):
            reward, weight = entry, 1.0
        elif isinstance(entry, Mapping) and isinstance(entry.get("reward"), Reward):
            reward, weight = entry["reward"], float(entry.get("weight", 1.0))
        else:
            raise CompositeRewardError(
                f"composite entry {key!r} must be a Reward or {{reward: Reward, weight: float}}, got {entry!r}")
        name = str(key) if key is not None else reward.name
        if name in rewards:
            raise CompositeRewardError(f"two composite entries are named {name!r}")
        rewards[name], weights[name] = reward, weight
    if not rewards:
        raise CompositeRewardError("a composite needs at least one reward")
    return rewards, weights


def _check_dependencies(rewards: Mapping[str, Reward]) -> None:
    seen: list[str] = []
    for key, reward in rewards.items():
        missing = [name for name in reward.depends_on if name not in seen]
        if missing:
            raise CompositeRewardError(
                f"composite entry {key!r} reads the output of {missing} (depends_on), which must be earlier "
                f"entries of the same composite; the entries in order: {list(rewards)}")
        seen.append(key)


def group_index(n: int, context: Mapping[str, object]) -> np.ndarray | None:
    """Group number per candidate from `group_ids` or `group_size` in `context`, or None if neither."""
    labels = group_labels(n, context.get("group_ids"), context.get("group_size"), error=CompositeRewardError)
    return None if labels is None else np.array(labels)


def group_zscore(values: np.ndarray, groups: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """(values - group mean) / (group population std + eps); 0 for every member of a constant group."""
    out = np.zeros_like(values, dtype=np.float64)
    for members in group_members(groups.tolist()):
        v = values[members]
        std = v.std()
        out[members] = 0.0 if std == 0 else (v - v.mean()) / (std + eps)
    return out
