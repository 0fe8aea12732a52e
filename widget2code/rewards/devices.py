"""Where the rewards' torch networks (LPIPS, CLIP) run.

Under DDP every rank scores its own rollouts, so its reward networks belong on its own GPU. A reward
built from config says `device: null`, and "cuda" alone would mean the *calling thread's* current
device: GRPO scores on a worker thread, where that is cuda:0 on every rank. So whoever trains with a
reward places it, once the rank's device is known: `place_rewards(reward, trainer.strategy.root_device)`.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch

from widget2code.rewards.base import Reward


def resolve_device(device: str | torch.device | None) -> torch.device:
    """`None` / "auto" -> CUDA when available, else CPU; anything else as given."""
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def place_rewards(reward: object, device: str | torch.device) -> None:
    """Put `reward` and every reward inside it (composites, wrappers) on `device`.

    A reward with a `device` attribute gets this device for the networks it loads later (they load
    lazily), and every torch module it already holds moves there now.
    """
    seen: set[int] = set()

    def visit(node: object) -> None:
        if id(node) in seen:
            return
        seen.add(id(node))
        if hasattr(node, "device"):
            node.device = str(device)
        for value in vars(node).values():
            if isinstance(value, torch.nn.Module):
                value.to(device)
            for item in value.values() if isinstance(value, Mapping) else (
                    value if isinstance(value, list | tuple) else [value]):
                if isinstance(item, Reward):
                    visit(item)

    visit(reward)
