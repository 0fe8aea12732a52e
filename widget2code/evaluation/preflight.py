"""Checks that fail in seconds what would otherwise fail after every prediction was made and rendered."""

from __future__ import annotations

from collections.abc import Mapping

from widget2code.rewards.base import Reward
from widget2code.rewards.vlm_judge import VLMJudgeReward


def check_reward_clients(reward: Reward) -> None:
    """Build the API client of every VLM judge inside `reward` (composites, tournaments) now.

    A judge builds its client on first use, so a missing API key would only surface at scoring time;
    this raises the client's `LLMConfigError` up front instead. No request is sent.
    """
    seen: set[int] = set()

    def visit(value: object) -> None:
        if id(value) in seen:
            return
        seen.add(id(value))
        if isinstance(value, VLMJudgeReward):
            _ = value.client
        elif isinstance(value, Reward):
            for attribute in vars(value).values():
                visit(attribute)
        elif isinstance(value, Mapping):
            for item in value.values():
                visit(item)
        elif isinstance(value, list | tuple):
            for item in value:
                visit(item)

    visit(reward)
