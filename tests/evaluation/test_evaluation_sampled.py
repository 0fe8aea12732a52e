"""The sampled mode with a real tiny GLM-4V whose answer is known: scripted (tests/inference) to write the
GOOD clock for the GOOD screenshot with a logit margin of 30, so sampling at temperature 1 still writes
it every time, while at temperature 8 (a margin of 3.75 against ~600 tokens) no sample survives."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import torch
from inference.inference_widgets import CORPUS, GOOD, GOOD_ANSWER, IMAGE_SIZE, script_model

from widget2code.evaluation.errors import PredictionsError
from widget2code.evaluation.predictors import OraclePredictor
from widget2code.evaluation.references import Reference, from_manifest
from widget2code.evaluation.results import RunResults, Summary
from widget2code.evaluation.runner import evaluate
from widget2code.evaluation.sampled import (
    SampledMode,
    SampledModeError,
    sample_completions,
    sampling_proposer,
)
from widget2code.inference.generate import SamplingConfig, prepare_images
from widget2code.inference.model_predictor import ModelPredictor
from widget2code.models.chat import build_prompt
from widget2code.models.factory import LoadedModel, build_tiny_model
from widget2code.models.tokenizer import train_tokenizer
from widget2code.render import Renderer, RenderResult
from widget2code.rewards.base import Reward, RewardOutput
from widget2code.rewards.programmatic import ProgrammaticReward

pytestmark = [pytest.mark.browser, pytest.mark.slow]

K = 3


@pytest.fixture(scope="module")
def references(tmp_path_factory: pytest.TempPathFactory, renderer: Renderer) -> list[Reference]:
    """Two references showing the GOOD clock."""
    result = renderer.render(GOOD)
    assert result.ok, result.message
    folder = tmp_path_factory.mktemp("gt")
    for ref_id in ("0001", "0002"):
        (folder / f"gt_{ref_id}.png").write_bytes(result.png)
    return [Reference(id=ref_id, path=folder / f"gt_{ref_id}.png") for ref_id in ("0001", "0002")]


@pytest.fixture(scope="module")
def scripted(references: list[Reference]) -> LoadedModel:
    loaded = build_tiny_model("glm4v", train_tokenizer(CORPUS, "glm4v", vocab_size=600), preset="small",
                              image_size=IMAGE_SIZE)
    loaded.model.eval()
    prompt = build_prompt(loaded.processor, prepare_images([references[0].image], IMAGE_SIZE))
    script_model(loaded, [(prompt, GOOD_ANSWER)])
    return loaded


def _predictor(scripted: LoadedModel, max_new_tokens: int = 64) -> ModelPredictor:
    """Greedy; 64 new tokens hold the scripted answer (52 tokens and the end token)."""
    return ModelPredictor(scripted.model, scripted.processor, image_size=IMAGE_SIZE,
                          sampling=SamplingConfig(max_new_tokens=max_new_tokens, do_sample=False))


def _run(tmp_path: Path, references: list[Reference], scripted: LoadedModel, renderer: Renderer,
         reward: ProgrammaticReward, temperature: float, seed: int = 0, name: str = "run") -> Summary:
    return evaluate(references, _predictor(scripted), renderer, reward, tmp_path / name, seed=seed,
                    sampled=SampledMode(k=K, temperature=temperature), report=name == "report")


def _candidates(run_dir: Path) -> list[list[dict[str, Any]]]:
    return [row["candidates"] for row in map(json.loads, (run_dir / "sampled.jsonl").read_text().splitlines())]


def test_at_the_training_temperature_every_sample_is_the_scripted_answer(
        tmp_path: Path, references: list[Reference], scripted: LoadedModel, renderer: Renderer,
        reward: ProgrammaticReward) -> None:
    summary = _run(tmp_path, references, scripted, renderer, reward, temperature=1.0, name="report")
    assert summary.metrics["reward"] == pytest.approx(1.0)  # greedy: the GOOD clock on the GOOD screenshot
    block = summary.sampled
    assert block is not None and (block["k"], block["temperature"], block["top_p"], block["seed"]) == (K, 1.0, 1.0, 0)
    for key in ("reward", "render_success_rate", "best_of_k_reward"):
        assert block[key]["value"] == pytest.approx(1.0) and block[key]["n"] == 2, key
        assert block[key]["low"] == pytest.approx(1.0) and block[key]["high"] == pytest.approx(1.0), key
    assert [[c["code"] for c in group] for group in _candidates(tmp_path / "report")] == [[GOOD] * K] * 2
    run = RunResults.load(tmp_path / "report")
    assert run.summary == summary  # summary.json holds the sampled block
    for row in run.rows.values():
        assert row["sampled_rewards"] == pytest.approx([1.0] * K)
        assert row["sampled_reward"] == pytest.approx(1.0) and row["sampled_render_rate"] == 1.0
    html = (tmp_path / "report" / "report" / "index.html").read_text()
    assert f"sampled reward (mean of {K} at temperature 1)" in html and f"best-of-{K} reward" in html


def test_a_hot_temperature_breaks_the_samples_not_the_greedy_answer(
        tmp_path: Path, references: list[Reference], scripted: LoadedModel, renderer: Renderer,
        reward: ProgrammaticReward) -> None:
    summary = _run(tmp_path, references, scripted, renderer, reward, temperature=8.0)
    assert summary.render_success_rate == 1.0 and summary.metrics["reward"] == pytest.approx(1.0)
    assert summary.sampled["render_success_rate"]["value"] == 0.0
    assert summary.sampled["reward"]["value"] == 0.0 and summary.sampled["best_of_k_reward"]["value"] == 0.0
    groups = _candidates(tmp_path / "run")
    assert all(c["error"] is not None and c["score"] == 0.0 for group in groups for c in group)
    assert len({c["text"] for group in groups for c in group}) == 2 * K  # six different samples


def test_reruns_draw_the_same_samples_and_leave_torch_s_generator_alone(
        references: list[Reference], scripted: LoadedModel, renderer: Renderer, reward: ProgrammaticReward) -> None:
    mode = SampledMode(k=K, temperature=8.0)
    sampler = sampling_proposer(_predictor(scripted, max_new_tokens=16), mode)
    before = torch.random.get_rng_state()
    texts = [[[c["text"] for c in group.candidates] for group in sample_completions(
        references, sampler, renderer, reward, mode, batch_size=1, seed=seed)] for seed in (0, 0, 1)]
    assert texts[0] == texts[1] != texts[2]
    assert texts[0][0] != texts[0][1]  # each batch draws its own samples
    assert torch.equal(torch.random.get_rng_state(), before)


class _Counting(Reward):
    """Counts reward calls (and their sizes) around a real reward."""

    name = "counting"

    def __init__(self, inner: Reward) -> None:
        self.inner, self.calls = inner, []

    def score(self, references: Sequence[object], candidates: Sequence[object], **context: object) -> RewardOutput:
        self.calls.append(len(candidates))
        return self.inner.score(references, candidates, **context)


class _CountingRenderer:
    def __init__(self, inner: Renderer) -> None:
        self.inner, self.calls = inner, []

    def render_many(self, sources: Sequence[str]) -> list[RenderResult]:
        self.calls.append(len(sources))
        return self.inner.render_many(sources)


def test_each_batch_is_one_generate_one_render_many_and_one_reward_call(
        references: list[Reference], scripted: LoadedModel, renderer: Renderer, reward: ProgrammaticReward,
        monkeypatch: pytest.MonkeyPatch) -> None:
    rows: list[int] = []
    generate = scripted.model.generate
    monkeypatch.setattr(scripted.model, "generate",
                        lambda **kwargs: rows.append(kwargs["input_ids"].shape[0]) or generate(**kwargs))
    mode = SampledMode(k=K, temperature=1.0)
    counting_renderer, counting_reward = _CountingRenderer(renderer), _Counting(reward)
    groups = sample_completions(references * 2, sampling_proposer(_predictor(scripted), mode), counting_renderer,  # type: ignore[arg-type]
                                counting_reward, mode, batch_size=3)
    assert rows == [3 * K, 1 * K]  # batches of 3 and 1 references, k rows each
    assert counting_renderer.calls == [3 * K, 1 * K] and counting_reward.calls == [3 * K, 1 * K]
    assert len(groups) == 4 and all(group.rewards == pytest.approx([1.0] * K) for group in groups)


def test_sampling_needs_a_model_and_sampling_settings(tmp_path: Path, dataset: Path, renderer: Renderer,
                                                      reward: ProgrammaticReward) -> None:
    with pytest.raises(PredictionsError, match="oracle has no model to sample from"):
        evaluate(from_manifest(dataset), OraclePredictor(dataset), renderer, reward, tmp_path,
                 sampled=SampledMode(k=2))
    assert not (tmp_path / "predictions").exists()  # refused before any work
    for settings in ({"k": 0}, {"temperature": 0.0}, {"top_p": 1.5}):
        with pytest.raises(SampledModeError):
            SampledMode(**settings)
