"""What a policy update needs of one scored rollout, and DAPO's dynamic sampling over such rollouts.

An `Experience` holds, per completion row: the prompt inputs (images included), the sampled tokens,
the loss mask, the advantage, and the log-probs the sampling policy and the reference gave those
tokens. A rollout becomes one as soon as it is scored; the update only reads experiences, so a rollout
can be scored while the next one is generated (`async_rollouts`) and groups without signal can wait
in a buffer for more (`dynamic_sampling`).

Dynamic sampling (DAPO; verl's `filter_groups`): a group whose rewards are all equal has advantage 0
everywhere and only dilutes the update, so it is dropped, and the update waits for the next rollouts
until `batch_groups` groups with signal are buffered (or `max_generation_rounds` rollouts were drawn).
Every buffered group was sampled by the current policy: no update happens while the buffer fills.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import torch
from torch import Tensor

from widget2code.inference.generate import Inputs, repeat_rows


@dataclass
class Experience:
    """N completion rows, the G of one prompt contiguous."""

    inputs: Inputs  # prompt inputs, one row per completion (images repeated per row)
    completion_ids: Tensor  # [N, T]
    loss_mask: Tensor  # [N, T] the tokens the loss counts (the completion mask, less masked truncations)
    advantages: Tensor  # [N]
    old_logps: Tensor | None  # [N, T] under the policy that sampled, or None (on-policy: ratio 1)
    ref_logps: Tensor | None  # [N, T] under the reference, or None when beta == 0

    def __len__(self) -> int:
        return int(self.completion_ids.shape[0])

    def rows(self, index: Sequence[int] | Tensor) -> Experience:
        """The experience of `index`'s rows (in that order)."""
        index = torch.as_tensor(index, dtype=torch.long)

        def pick(tensor: Tensor | None) -> Tensor | None:
            return None if tensor is None else tensor[index.to(tensor.device)]

        return replace(self, inputs=repeat_rows(self.inputs, index.tolist()), completion_ids=pick(self.completion_ids),
                       loss_mask=pick(self.loss_mask), advantages=pick(self.advantages),
                       old_logps=pick(self.old_logps), ref_logps=pick(self.ref_logps))

    def tokens(self) -> int:
        return int(self.loss_mask.sum())


def groups_with_signal(rewards: Tensor, group_size: int) -> list[int]:
    """Indices of the groups whose rewards are not all equal ([N] rewards, groups of `group_size` rows)."""
    grouped = rewards.view(-1, group_size)  # [N/G, G]
    spread = grouped.max(dim=1).values - grouped.min(dim=1).values  # [N/G]
    return [int(i) for i in torch.nonzero(~torch.isclose(spread, torch.zeros_like(spread))).flatten()]


def group_rows(groups: Sequence[int], group_size: int) -> list[int]:
    return [g * group_size + i for g in groups for i in range(group_size)]


@dataclass
class DynamicSampling:
    """The buffer of groups with signal that fills until one update's worth (`batch_groups`) is there."""

    batch_groups: int
    group_size: int
    max_generation_rounds: int
    buffered: list[Experience] = field(default_factory=list)
    rounds: int = 0
    dropped_groups: int = 0

    def add(self, experience: Experience, rewards: Tensor) -> None:
        """Keep `experience`'s groups whose `rewards` differ; count the others."""
        keep = groups_with_signal(rewards, self.group_size)
        self.rounds += 1
        self.dropped_groups += len(rewards) // self.group_size - len(keep)
        if keep:
            self.buffered.append(experience.rows(group_rows(keep, self.group_size)))

    def groups(self) -> int:
        return sum(len(e) for e in self.buffered) // self.group_size

    def ready(self) -> bool:
        return self.groups() >= self.batch_groups or self.rounds >= self.max_generation_rounds

    def take(self) -> tuple[list[Experience], dict[str, float]]:
        """The buffered experiences, at most `batch_groups` groups (the surplus is dropped: after this
        update it would be off-policy), and what this fill cost; the buffer starts over."""
        taken, room = [], self.batch_groups
        for experience in self.buffered:
            groups = min(room, len(experience) // self.group_size)
            if groups:
                taken.append(experience if groups * self.group_size == len(experience)
                             else experience.rows(range(groups * self.group_size)))
                room -= groups
        stats = {"dynamic_sampling/generation_rounds": float(self.rounds),
                 "dynamic_sampling/dropped_groups": float(self.dropped_groups),
                 "dynamic_sampling/groups": float(self.batch_groups - room)}
        self.buffered, self.rounds, self.dropped_groups = [], 0, 0
        return taken, stats
