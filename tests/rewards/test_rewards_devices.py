"""Reward networks follow the rank that uses them: `place_rewards` reaches into composites and moves
what is loaded and what loads later. The meta device stands in for a second GPU (there is none here)."""

from __future__ import annotations

import torch
from PIL import Image

from widget2code.rewards.clip import ClipSimilarityReward
from widget2code.rewards.composite import CompositeReward
from widget2code.rewards.devices import place_rewards
from widget2code.rewards.format import FormatReward
from widget2code.rewards.programmatic import ProgrammaticReward


def devices(module: torch.nn.Module) -> set[str]:
    return {p.device.type for p in module.parameters()}


def test_placing_a_composite_moves_loaded_networks_and_points_lazy_ones_at_the_device() -> None:
    clip = ClipSimilarityReward(model_name_or_path=None, tiny_random=True, device="cpu")
    programmatic = ProgrammaticReward(weights={"lpips": 1.0}, allow_random_backbone=True, device=None)
    clip.embed([Image.new("RGB", (32, 32), "white")])  # CLIP loaded now on the CPU; LPIPS not yet
    assert clip._model is not None and devices(clip._model) == {"cpu"} and programmatic._lpips is None
    composite = CompositeReward({"inner": CompositeReward({"clip": clip, "format": FormatReward()}),
                                 "programmatic": programmatic})

    place_rewards(composite, torch.device("meta"))

    assert devices(clip._model) == {"meta"}, "a loaded network moves"
    assert clip.device == "meta" and programmatic.device == "meta"
    assert devices(programmatic.lpips_model) == {"meta"}, "a network loaded afterwards loads there"
