"""Fixtures for inference: real tiny models, the target screenshot, the reward, and a scripted model
(see inference_widgets.py)."""

from __future__ import annotations

import pytest
from inference_widgets import CORPUS, GOOD, GOOD_ANSWER, IMAGE_SIZE, POOR, POOR_ANSWER, script_model
from PIL import Image

from widget2code.inference.generate import SamplingConfig, prepare_images
from widget2code.inference.model_predictor import ModelProposer
from widget2code.inference.predictor import Revision
from widget2code.models.chat import build_prompt
from widget2code.models.factory import LoadedModel, build_tiny_model
from widget2code.models.tokenizer import train_tokenizer
from widget2code.render import Renderer
from widget2code.rewards.programmatic import ProgrammaticReward


@pytest.fixture(scope="session", params=["glm4v", "qwen3vl"])
def tiny(request: pytest.FixtureRequest) -> LoadedModel:
    """A random tiny model of each family (do not modify it: it is shared)."""
    return build_tiny_model(request.param, train_tokenizer(CORPUS, request.param, vocab_size=600), preset="tiny")


@pytest.fixture(scope="session")
def reward() -> ProgrammaticReward:
    """The programmatic reward without LPIPS (its backbone weights are not on this machine)."""
    return ProgrammaticReward(weights={"ssim": 0.15, "palette": 0.2, "contrast": 0.15, "polarity": 0.1,
                                       "layout": 0.2, "lpips": 0.0}, device="cpu")


@pytest.fixture(scope="session")
def target(renderer: Renderer) -> Image.Image:
    """The screenshot to reproduce: GOOD rendered."""
    result = renderer.render(GOOD)
    assert result.ok, result.message
    return result.image


@pytest.fixture(scope="session")
def poor_render(renderer: Renderer) -> Image.Image:
    result = renderer.render(POOR)
    assert result.ok, result.message
    return result.image


@pytest.fixture(scope="session")
def scripted(target: Image.Image, poor_render: Image.Image) -> LoadedModel:
    """A tiny GLM-4V that answers POOR to the target and, asked to revise POOR, answers GOOD.

    (Other prompts, such as a revision of GOOD, get whatever the fit makes of them.)
    """
    tokenizer = train_tokenizer(CORPUS, "glm4v", vocab_size=600)
    loaded = build_tiny_model("glm4v", tokenizer, preset="small", image_size=IMAGE_SIZE)
    loaded.model.eval()
    first = build_prompt(loaded.processor, prepare_images([target], IMAGE_SIZE))
    proposer = ModelProposer(loaded.model, loaded.processor, SamplingConfig(), image_size=IMAGE_SIZE)
    revision = proposer.revision_inputs([Revision(target=target, rendering=poor_render, code=POOR)])
    script_model(loaded, [(first, POOR_ANSWER), (revision, GOOD_ANSWER)])
    return loaded
