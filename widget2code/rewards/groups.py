"""Which candidates belong together: the one parser of `group_ids` / `group_size` in the project.

GRPO scores the G completions of one prompt against each other, so rewards that compare within a
group (the composite's normalize_then_sum, the tournament) and the advantages all need the same
answer to "which group is candidate i in?". Two ways to say it:

- `group_ids`: one hashable per candidate; equal ids form a group, in any order.
- `group_size`: consecutive runs of that many candidates (how a rollout lays out its samples).

`group_ids` wins when both are given. Groups are numbered 0, 1, ... in order of first appearance.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from numbers import Integral


class GroupSpecError(ValueError):
    """`group_ids` or `group_size` does not describe a grouping of the candidates."""


def group_labels(n: int, group_ids: object = None, group_size: object = None,
                 error: type[ValueError] = GroupSpecError) -> list[int] | None:
    """Group number per candidate from `group_ids` or `group_size`, or None when neither is given.

    `error` is the exception class raised on bad input, so callers keep their own typed errors.
    """
    if group_ids is not None:
        if isinstance(group_ids, str | bytes) or not isinstance(group_ids, Sequence) or len(group_ids) != n:
            raise error(f"group_ids must hold one id per candidate ({n}), got {group_ids!r}")
        seen: dict[Hashable, int] = {}
        try:
            return [seen.setdefault(g, len(seen)) for g in group_ids]
        except TypeError as err:  # an unhashable id
            raise error(f"group_ids must be hashable, got {group_ids!r}") from err
    if group_size is not None:
        if isinstance(group_size, bool) or not isinstance(group_size, Integral) or group_size < 1 \
                or n % int(group_size):
            raise error(f"group_size must be a positive int dividing the {n} candidates, got {group_size!r}")
        return [i // int(group_size) for i in range(n)]
    return None


def group_members(labels: Sequence[int]) -> list[list[int]]:
    """The candidates' indices per group, groups in order of first appearance."""
    members: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        members.setdefault(label, []).append(index)
    return list(members.values())
