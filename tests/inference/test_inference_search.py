"""Best-of-N and polish with a real renderer and reward: over a scripted tiny model and over a loopback
OpenAI-compatible VLM whose answers the test chooses."""

from __future__ import annotations

import io
from collections.abc import Sequence
from itertools import count

import pytest
from inference_widgets import GOOD, GOOD_ANSWER, IMAGE_SIZE, POOR, POOR_ANSWER
from PIL import Image
from support.openai_server import FakeOpenAIServer, Fault, request_images, request_text

from widget2code.inference.best_of_n import NO_CODE
from widget2code.inference.generate import SamplingConfig
from widget2code.inference.model_predictor import ModelPredictor
from widget2code.inference.openai_predictor import OpenAIPredictor
from widget2code.inference.predictor import Prediction
from widget2code.llm import OpenAICompatibleClient
from widget2code.models.factory import LoadedModel
from widget2code.render import Renderer, RenderResult
from widget2code.rewards.programmatic import ProgrammaticReward

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MIDDLE = GOOD.replace("text-3xl", "text-sm")  # right colours, wrong size: between POOR and GOOD


class CountingRenderer:
    """The real renderer, counting batch calls."""

    def __init__(self, renderer: Renderer) -> None:
        self.renderer, self.batches = renderer, 0

    def render_many(self, sources: Sequence[str]) -> list[RenderResult]:
        self.batches += 1
        return self.renderer.render_many(sources)


def client(server: FakeOpenAIServer) -> OpenAICompatibleClient:
    return OpenAICompatibleClient(base_url=server.base_url, model="loopback-vlm", max_concurrency=1, max_retries=0,
                                  timeout_s=30)


def own_score(renderer: Renderer, reward: ProgrammaticReward, target: Image.Image, code: str) -> float:
    return reward([target], [renderer.render(code)])[0]


def test_best_of_n_keeps_the_highest_scoring_candidate(
    openai_server: FakeOpenAIServer, renderer: Renderer, reward: ProgrammaticReward, target: Image.Image
) -> None:
    answers = [POOR_ANSWER, f"```tsx\n{MIDDLE}\n```", "I cannot see an image.", GOOD]  # task format, fence, prose, bare
    served = count()
    openai_server.responder = lambda body: answers[next(served) % len(answers)]
    counting = CountingRenderer(renderer)
    predictor = OpenAIPredictor(client(openai_server), counting, reward, mode="best_of_n", n=4,  # type: ignore[arg-type]
                                temperature=1.0)
    [prediction] = predictor.predict([target], ["0001"])
    assert counting.batches == 1, "all candidates render in one render_many"
    candidates = prediction.extra["candidates"]
    assert sorted(c["code"] for c in candidates) == sorted([POOR, MIDDLE, "I cannot see an image.", GOOD])
    for candidate in candidates:  # every listed score is the candidate's own score against the screenshot
        assert candidate["score"] == pytest.approx(own_score(renderer, reward, target, candidate["code"]), abs=1e-6)
    best = max(candidates, key=lambda c: c["score"])
    assert prediction.code == best["code"] == GOOD
    assert prediction.score == best["score"] == max(c["score"] for c in candidates)
    assert candidates[prediction.extra["best_index"]]["code"] == GOOD
    assert next(c for c in candidates if c["code"].startswith("I cannot"))["error"] == "syntax"
    assert all(not body.shape_errors for body in openai_server.requests)


def test_best_of_n_over_a_model_lists_every_sample(
    scripted: LoadedModel, renderer: Renderer, reward: ProgrammaticReward, target: Image.Image
) -> None:
    predictor = ModelPredictor(scripted.model, scripted.processor, renderer, reward, mode="best_of_n", n=2,
                               sampling=SamplingConfig(max_new_tokens=64), image_size=IMAGE_SIZE)
    [prediction] = predictor.predict([target], ["0001"])
    candidates = prediction.extra["candidates"]
    assert len(candidates) == 2
    assert prediction.score == max(c["score"] for c in candidates)
    assert prediction.code == POOR  # the scripted model's answer, sampled with a large margin
    assert prediction.score == pytest.approx(own_score(renderer, reward, target, POOR), abs=1e-6)


def test_polish_with_a_model_keeps_the_better_revision_and_stops(
    scripted: LoadedModel, renderer: Renderer, reward: ProgrammaticReward, target: Image.Image
) -> None:
    predictor = ModelPredictor(scripted.model, scripted.processor, renderer, reward, mode="polish", n=1, rounds=3,
                               sampling=SamplingConfig(max_new_tokens=64, do_sample=False), image_size=IMAGE_SIZE)
    [outcome] = predictor.search([target], ["0001"])
    history = outcome.extra["history"]
    start = history[0]
    assert start["round"] == 0 and start["code"] == POOR
    assert outcome.extra["start_score"] == start["score"] == pytest.approx(own_score(renderer, reward, target, POOR))
    assert history[1]["kept"] and history[1]["candidates"][0]["code"] == GOOD
    # the revision of GOOD is not better than GOOD (which scores 1): polish stops there
    assert len(history) == 3 and not history[2]["kept"]
    assert outcome.best.code == GOOD and outcome.best.score > start["score"]
    assert outcome.best.render is not None and outcome.best.render.ok
    assert outcome.best.score >= max(c["score"] for entry in history[1:] for c in entry["candidates"])


def is_revision(body: dict) -> bool:
    return len(request_images(body)) == 2


def test_polish_never_keeps_a_worse_revision(
    openai_server: FakeOpenAIServer, renderer: Renderer, reward: ProgrammaticReward, target: Image.Image
) -> None:
    openai_server.responder = lambda body: POOR_ANSWER if is_revision(body) else GOOD_ANSWER
    predictor = OpenAIPredictor(client(openai_server), renderer, reward, mode="polish", n=2, rounds=3)
    [prediction] = predictor.predict([target], ["0001"])
    history = prediction.extra["history"]
    assert [entry["round"] for entry in history] == [0, 1]  # nothing improved: it stopped after one round
    assert not history[1]["kept"] and len(history[1]["candidates"]) == 2
    assert prediction.code == GOOD and prediction.score == history[0]["score"] == prediction.extra["start_score"]
    revision = next(r.body for r in openai_server.requests if is_revision(r.body))
    first, second = (Image.open(io.BytesIO(data)) for data in request_images(revision))
    assert first.size == target.size == second.size  # the target, then GOOD's rendering
    assert GOOD in request_text(revision)


def test_polish_recovers_from_a_start_that_does_not_render(
    openai_server: FakeOpenAIServer, renderer: Renderer, reward: ProgrammaticReward, target: Image.Image
) -> None:
    openai_server.responder = lambda body: GOOD_ANSWER if is_revision(body) else "<think>hmm</think>"
    predictor = OpenAIPredictor(client(openai_server), renderer, reward, mode="polish", n=1, rounds=3)
    [prediction] = predictor.predict([target], ["0001"])
    history = prediction.extra["history"]
    assert history[0]["score"] == 0.0 and history[0]["error"] is not None
    assert history[1]["kept"] and not history[2]["kept"] and len(history) == 3
    assert prediction.code == GOOD and prediction.score > 0.9
    revision = next(r.body for r in openai_server.requests if is_revision(r.body))
    assert "failed to render" in request_text(revision)


def test_openai_single_shot_accepts_every_answer_shape(openai_server: FakeOpenAIServer, target: Image.Image) -> None:
    answers = iter([GOOD_ANSWER, f"Here it is:\n```tsx\n{GOOD}\n```\nEnjoy.", GOOD])
    openai_server.responder = lambda body: next(answers)
    predictor = OpenAIPredictor(client(openai_server), max_tokens=300)
    predictions = predictor.predict([target] * 3, ["a", "b", "c"])
    assert [p.code for p in predictions] == [GOOD] * 3 and all(p.score is None for p in predictions)
    body = openai_server.requests[0].body
    system, user = body["messages"]
    assert system["role"] == "system" and "Tailwind" in system["content"]
    assert [part["type"] for part in user["content"]] == ["image_url", "text"]
    assert Image.open(io.BytesIO(request_images(body)[0])).size == target.size
    assert body["max_tokens"] == 300 and predictor.name == "loopback-vlm"


def test_openai_failed_request_is_a_scored_failure(
    openai_server: FakeOpenAIServer, renderer: Renderer, reward: ProgrammaticReward, target: Image.Image
) -> None:
    openai_server.responder = lambda body: GOOD_ANSWER
    openai_server.fail(Fault.server_error(400))  # refused at once: no retry
    predictor = OpenAIPredictor(client(openai_server), renderer, reward)
    first, second = predictor.predict([target, target], ["a", "b"])
    assert first == Prediction(text="", code=None, score=0.0, extra=first.extra) and first.extra["error"] == NO_CODE
    assert second.code == GOOD and second.score == pytest.approx(own_score(renderer, reward, target, GOOD))
