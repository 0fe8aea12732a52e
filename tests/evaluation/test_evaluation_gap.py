"""The conditioning gap on pictures drawn here: about 0 for a constant predictor, clearly positive for
predictions that follow their inputs, and failures left out."""

from __future__ import annotations

import random

import pytest
from PIL import Image, ImageDraw

from widget2code.evaluation.gap import conditioning_gap
from widget2code.rewards.programmatic import ProgrammaticReward


def _widget(seed: int) -> Image.Image:
    """A card of a random colour and size with a few bars: distinct pictures, like distinct widgets."""
    rng = random.Random(seed)
    image = Image.new("RGB", (rng.randint(160, 240), rng.randint(100, 160)), "white")
    draw = ImageDraw.Draw(image)
    colour = tuple(rng.randint(0, 255) for _ in range(3))
    draw.rounded_rectangle((8, 8, image.width - 8, image.height - 8), 12, fill=colour)
    for row in range(rng.randint(1, 4)):
        y = 20 + row * 22
        draw.rectangle((20, y, 20 + rng.randint(30, image.width - 60), y + 10), fill=(255, 255, 255))
    return image


@pytest.fixture(scope="module")
def reward() -> ProgrammaticReward:
    return ProgrammaticReward(weights={"ssim": 1, "palette": 1, "contrast": 1, "polarity": 1, "layout": 1,
                                       "lpips": 0})


@pytest.fixture(scope="module")
def references() -> list[Image.Image]:
    return [_widget(seed) for seed in range(6)]


def test_a_predictor_that_ignores_its_input_has_no_gap(reward: ProgrammaticReward,
                                                       references: list[Image.Image]) -> None:
    same = _widget(99)
    gap = conditioning_gap(reward, references, [same] * len(references))
    assert gap.n == len(references)
    assert abs(gap.value) < 1e-9
    assert gap.low <= 0 <= gap.high


def test_predictions_that_follow_their_inputs_have_a_clear_gap(reward: ProgrammaticReward,
                                                               references: list[Image.Image]) -> None:
    gap = conditioning_gap(reward, references, list(references))
    assert gap.value > 0.2
    assert gap.low > 0.1


def test_failures_are_left_out_and_tiny_sets_have_no_interval(reward: ProgrammaticReward,
                                                              references: list[Image.Image]) -> None:
    candidates = [references[0], None, None, references[3], None, None]
    gap = conditioning_gap(reward, references, candidates, max_others=2, seed=1)
    assert gap.n == 2 and gap.value > 0
    single = conditioning_gap(reward, references, [references[0]] + [None] * 5)
    assert single.n == 1 and single.low is None and single.high is None
    nothing = conditioning_gap(reward, references, [None] * 6)
    assert nothing.value is None and nothing.n == 0
